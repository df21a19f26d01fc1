// insource._engine: the engine's libraries as a Python extension (pybind11).
//
// No decision logic here. A policy is loaded by build_policy_snapshot(), the
// function `insource serve` loads with, from the same options as the CLI's;
// one case is read by read_cases() and rendered by decision_json(), as
// `insource decide --format json` does; bytes go through run_batch(), the
// pipeline of `insource batch`. The GIL is released around each of them.
// The Python side (insource/_engine_api.py) turns dicts into JSON text and back.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "service/batch.h"
#include "io/case_reader.h"
#include "io/distribution_reader.h"
#include "policy/evaluator.h"
#include "io/json_text.h"
#include "service/policy_store.h"
#include "io/report.h"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace insource::python {
namespace {

// An error to raise as insource.<cls>(kind, message, position) once the GIL is held again.
struct EngineError {
  const char* cls;
  std::string kind, message;
};

// "file:line:column" (or "file:line") where a message starts with one ("rules.yaml:15:30: error: ..."), else "".
std::string position_of(const std::string& message) {
  for (size_t colon = message.find(": "); colon != std::string::npos; colon = message.find(": ", colon + 1)) {
    std::string head = message.substr(0, colon);
    size_t b = head.rfind(':');
    if (b == std::string::npos || b + 1 == head.size()) continue;
    size_t a = head.rfind(':', b - 1);
    if (a == std::string::npos || a + 1 == b) continue;
    auto digits = [&](size_t from, size_t to) {
      for (size_t i = from; i < to; ++i)
        if (!std::isdigit(static_cast<unsigned char>(head[i]))) return false;
      return true;
    };
    if (digits(a + 1, b) && digits(b + 1, head.size())) return head;
  }
  // JSON errors name the line alone: "file:line".
  for (size_t colon = message.find(": "); colon != std::string::npos; colon = message.find(": ", colon + 1)) {
    std::string head = message.substr(0, colon);
    size_t b = head.rfind(':');
    if (b == std::string::npos || b == 0 || b + 1 == head.size()) continue;
    bool all_digits = true;
    for (size_t i = b + 1; i < head.size(); ++i) all_digits = all_digits && std::isdigit(static_cast<unsigned char>(head[i]));
    if (all_digits) return head;
  }
  return "";
}

// The folder of this extension module's file.
fs::path module_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&position_of), &info) == 0 || !info.dli_fname) return {};
  return fs::path(info.dli_fname).parent_path();
}

// The first of `candidates` (relative to the module's folder) that exists.
fs::path beside_module(std::initializer_list<const char*> candidates) {
  fs::path dir = module_dir();
  std::error_code ec;
  for (const char* c : candidates) {
    fs::path p = (dir / c).lexically_normal();
    if (!dir.empty() && fs::exists(p, ec)) return p;
  }
  return {};
}

// A file descriptor in memory (memfd), closed on destruction.
class MemFile {
 public:
  explicit MemFile(const char* name) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  int fd() const { return fd_; }

  void write_all(const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw std::system_error(errno, std::generic_category(), "write");
      p += w;
      n -= static_cast<size_t>(w);
    }
    ::lseek(fd_, 0, SEEK_SET);
  }
  // The whole contents, mapped (empty when there are none).
  std::string_view map(void** base, size_t* size) {
    off_t end = ::lseek(fd_, 0, SEEK_END);
    *size = static_cast<size_t>(end);
    *base = nullptr;
    if (end <= 0) return {};
    *base = ::mmap(nullptr, *size, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (*base == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    return {static_cast<const char*>(*base), *size};
  }

 private:
  int fd_;
};

class Engine {
 public:
  Engine(const std::string& rules, const std::vector<std::string>& plugin_dirs, bool isolate, bool no_default_plugins,
         bool allow_writable_plugins, int plugin_timeout_ms, long isolate_memory_mib) {
    PolicySource source;  // the CLI's options (cli/common.cc policy_source_of)
    source.rules = rules;
    source.plugin_dirs = plugin_dirs;
    source.no_default_plugins = no_default_plugins;
    source.allow_writable_plugins = allow_writable_plugins;
    source.isolate_all = isolate;
    source.stage_plugins = false;  // as decide and batch: the files in place
    // The program is python3: the installed plugins and the worker are found
    // from this module's place instead (the build tree, then an installed prefix).
    source.default_plugin_dir = beside_module({"../../lib/insource/plugins", "../../../insource/plugins"});
    source.isolation.worker = beside_module({"../../bin/insource-plugin-worker", "../../../../libexec/insource/insource-plugin-worker"});
    if (const char* env = std::getenv("INSOURCE_PLUGIN_WORKER"); env && *env) source.isolation.worker.clear();
    if (plugin_timeout_ms > 0) source.isolation.timeout_ms = static_cast<uint32_t>(plugin_timeout_ms);
    if (isolate_memory_mib >= 0) source.isolation.memory_mib = static_cast<uint32_t>(isolate_memory_mib);
    py::gil_scoped_release nogil;
    try {
      snap_ = build_policy_snapshot(source, 1);
    } catch (const PolicyLoadError& e) {
      throw EngineError{"PolicyError", e.kind(), e.what()};
    }
  }

  // One case as JSON text -> its `decide --format json` record as JSON text.
  std::string decide_json(const std::string& text) {
    py::gil_scoped_release nogil;
    const Policy& policy = *snap_->policy;
    std::vector<CaseInput> cases = read_cases(text, "<dict>", policy.schema());
    refuse_uncertain(&cases, policy.schema(), "the Python engine decides sure values only: use `insource decide --simulate N`");
    if (cases.size() != 1)
      throw EngineError{"CaseError", "case", "<dict>: one case expected, " + std::to_string(cases.size()) + " read"};
    CaseInput& in = cases[0];
    if (!in.value) throw EngineError{"CaseError", "case", in.error};
    Decision d;
    {
      Lease ev(this);
      ev->decide(*in.value, &d, true);
    }
    if (d.failed) throw EngineError{"PluginFault", "plugin", "case " + in.value->id + ": " + d.error};
    return json_text(decision_json(policy, *in.value, d));
  }

  // `insource batch` on bytes: the records as bytes.
  py::bytes batch(const py::bytes& data, const std::string& format, int jobs, bool detail, uint64_t first_line) {
    if (jobs < 0) throw py::value_error("jobs must be 0 (all cores) or more");
    if (first_line < 1) throw py::value_error("first_line must be at least 1");
    BatchOptions o;
    o.jobs = jobs > 0 ? jobs : std::max(1u, std::thread::hardware_concurrency());
    o.detail = detail;
    o.label = "<bytes>";
    o.first_line = first_line;
    if (!parse_input_format(format, &o.format)) throw py::value_error("no such input format: " + format);
    char* p = nullptr;
    Py_ssize_t n = 0;
    if (PyBytes_AsStringAndSize(data.ptr(), &p, &n) != 0) throw py::error_already_set();
    MemFile in("insource-cases"), out("insource-records");
    void* base = nullptr;
    size_t size = 0;
    std::string_view records;
    {
      py::gil_scoped_release nogil;
      in.write_all(p, static_cast<size_t>(n));
      try {
        run_batch(snap_->policy, in.fd(), out.fd(), o);
      } catch (const BatchError& e) {
        throw EngineError{"CaseError", "batch", e.what()};
      }
      records = out.map(&base, &size);
    }
    py::bytes result(records.data(), records.size());
    if (base) ::munmap(base, size);
    return result;
  }

  const std::string& revision() const { return snap_->revision; }

  py::list plugins() const {
    py::list out;
    for (const LoadedPluginFile& f : snap_->plugins) {
      py::dict d;
      d["criterion"] = f.criterion;
      d["name"] = f.name;
      d["version"] = f.version;
      d["file"] = f.file;
      d["sha256"] = f.sha256;
      out.append(d);
    }
    return out;
  }

  std::vector<std::string> criteria() const {
    std::vector<std::string> out;
    for (const CriterionBinding& c : snap_->policy->criteria()) out.push_back(c.name);
    return out;
  }

 private:
  // An Evaluator (one instance of each plugin) is used by one thread at a
  // time; calls from several Python threads each borrow one from the pool.
  class Lease {
   public:
    explicit Lease(Engine* e) : e_(e) {
      std::lock_guard<std::mutex> lock(e_->mutex_);
      if (!e_->idle_.empty()) {
        ev_ = std::move(e_->idle_.back());
        e_->idle_.pop_back();
      }
      if (!ev_) ev_ = std::make_unique<Evaluator>(e_->snap_->policy);
    }
    ~Lease() {
      std::lock_guard<std::mutex> lock(e_->mutex_);
      e_->idle_.push_back(std::move(ev_));
    }
    Evaluator* operator->() { return ev_.get(); }

   private:
    Engine* e_;
    std::unique_ptr<Evaluator> ev_;
  };

  std::shared_ptr<const PolicySnapshot> snap_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Evaluator>> idle_;
};

}  // namespace
}  // namespace insource::python

PYBIND11_MODULE(_engine, m) {
  using insource::python::Engine;
  using insource::python::EngineError;
  m.doc() = "The insource engine (C++); use the insource package, not this module.";
  m.attr("__version__") = INSOURCE_VERSION;
  // Warnings and errors on stderr, as the CLI's (not info: a library is quiet).
  if (!spdlog::get("insource")) {
    spdlog::set_default_logger(spdlog::stderr_logger_mt("insource"));
    spdlog::set_pattern("insource: %l: %v");
    spdlog::set_level(spdlog::level::warn);
  }
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const EngineError& e) {
      py::object cls = py::module_::import("insource._errors").attr(e.cls);
      py::object exc = cls(e.kind, e.message, insource::python::position_of(e.message));
      PyErr_SetObject(cls.ptr(), exc.ptr());
    }
  });
  py::class_<Engine>(m, "Engine")
      .def(py::init<const std::string&, const std::vector<std::string>&, bool, bool, bool, int, long>())
      .def("_decide_json", &Engine::decide_json, py::arg("text"))
      .def("_batch", &Engine::batch, py::arg("data"), py::arg("format"), py::arg("jobs"), py::arg("detail"),
           py::arg("first_line"))
      .def_property_readonly("revision", &Engine::revision, "SHA-256 of the resolved rules text (as serve reports it)")
      .def_property_readonly("plugins", &Engine::plugins, "Each plugin loaded: criterion, name, version, file, sha256")
      .def_property_readonly("criteria", &Engine::criteria, "The policy's criteria, in the order of its records");
}
