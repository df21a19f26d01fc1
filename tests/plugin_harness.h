// A tiny test helper that drives a criterion plugin through its C ABI, the way
// the host does, without the host: dlopen the file, call the entry symbol,
// create instances and evaluate cases given as {fact name, value} pairs.
//
//   insource_test::PluginFile cost(INSOURCE_PLUGIN_DIR "/cost.so");
//   insource_test::Instance inst = cost.create({{"vendor_overhead", 0.25}});
//   insource_test::Result r = inst.evaluate({{"cost.hours", 10}, {"cost.internal_rate", 100}});
//
// Header-only, standard library and <dlfcn.h> only. Failures of the harness
// itself (a file that does not load, an undeclared fact name) throw
// std::runtime_error, which a test framework reports as a failure.
#ifndef INSOURCE_TESTS_PLUGIN_HARNESS_H
#define INSOURCE_TESTS_PLUGIN_HARNESS_H

#include <insource/plugin.h>

#include <dlfcn.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace insource_test {

// A fact or parameter value as a test writes it: 1200, 0.5, "high", true.
struct Value {
  insource_type type;
  double number = 0.0;
  std::string string;
  bool boolean = false;

  Value(double v) : type(INSOURCE_NUMBER), number(v) {}
  Value(int v) : type(INSOURCE_NUMBER), number(v) {}
  Value(bool v) : type(INSOURCE_BOOL), boolean(v) {}
  Value(const char* v) : type(INSOURCE_STRING), string(v) {}
  Value(std::string v) : type(INSOURCE_STRING), string(std::move(v)) {}

  // The C view; points into this object, so it lives as long as it does.
  insource_value c() const {
    return insource_value{static_cast<uint32_t>(type), boolean ? 1u : 0u, number,
                          type == INSOURCE_STRING ? string.data() : nullptr, string.size()};
  }
};

// One named value: {"cost.hours", 1200} or {"vendor_overhead", 0.25}.
struct Named {
  std::string name;
  Value value;
};

// What evaluate() returned, copied out of the instance.
struct Result {
  int32_t status = -1;
  double score = 0.0;
  bool abstain = false;
  bool rationale_null = true;  // the plugin left vote.rationale NULL
  std::string rationale;
  std::string message;
};

// Log lines the plugin sent to the host, in order.
struct LogLine {
  uint32_t level;
  std::string text;
};

class PluginFile;

// One plugin instance; destroyed with the object. Must not outlive its PluginFile.
class Instance {
 public:
  Instance(Instance&& o) noexcept
      : d_(o.d_), handle_(std::exchange(o.handle_, nullptr)), log_(std::move(o.log_)) {}
  Instance& operator=(Instance&&) = delete;
  Instance(const Instance&) = delete;
  ~Instance() {
    if (handle_) d_->destroy(handle_);
  }

  // Evaluates one case; facts not listed are ABSENT. Throws for a name the plugin does not declare.
  Result evaluate(const std::vector<Named>& facts, uint32_t flags = INSOURCE_EVAL_RATIONALE) {
    std::vector<insource_value> values(d_->fact_count, insource_value{INSOURCE_ABSENT, 0, 0.0, nullptr, 0});
    for (const Named& f : facts) values.at(index_of(f.name)) = f.value.c();
    insource_vote vote{};  // the host zeroes the vote before each call
    Result r;
    r.status = d_->evaluate(handle_, values.data(), values.size(), flags, &vote);
    r.score = vote.score;
    r.abstain = vote.abstain != 0;
    r.rationale_null = vote.rationale == nullptr;
    if (vote.rationale) r.rationale = vote.rationale;
    if (vote.message) r.message = vote.message;
    return r;
  }

  const std::vector<LogLine>& log() const { return *log_; }

 private:
  friend class PluginFile;
  Instance(const insource_plugin_descriptor* d, void* handle, std::unique_ptr<std::vector<LogLine>> log)
      : d_(d), handle_(handle), log_(std::move(log)) {}

  size_t index_of(std::string_view name) const {
    for (uint32_t i = 0; i < d_->fact_count; ++i)
      if (name == d_->facts[i].name) return i;
    throw std::runtime_error("plugin " + std::string(d_->name) + " declares no fact " + std::string(name));
  }

  const insource_plugin_descriptor* d_;
  void* handle_;
  std::unique_ptr<std::vector<LogLine>> log_;  // stable address: it is the host's log_context
};

// A loaded plugin file; dlclose'd with the object.
class PluginFile {
 public:
  explicit PluginFile(const std::string& path) {
    lib_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib_) throw std::runtime_error("dlopen " + path + ": " + dlerror());
    auto entry = reinterpret_cast<insource_plugin_entry_fn>(dlsym(lib_, INSOURCE_ENTRY_SYMBOL));
    d_ = entry ? entry() : nullptr;
    if (!d_) {
      dlclose(lib_);
      throw std::runtime_error(path + ": no " INSOURCE_ENTRY_SYMBOL " or it returned NULL");
    }
  }
  PluginFile(const PluginFile&) = delete;
  PluginFile& operator=(const PluginFile&) = delete;
  ~PluginFile() { dlclose(lib_); }

  const insource_plugin_descriptor& descriptor() const { return *d_; }

  // The declaration of a fact or parameter by name, or nullptr.
  const insource_fact_decl* fact(std::string_view name) const {
    for (uint32_t i = 0; i < d_->fact_count; ++i)
      if (name == d_->facts[i].name) return &d_->facts[i];
    return nullptr;
  }
  const insource_param_decl* param(std::string_view name) const {
    for (uint32_t i = 0; i < d_->param_count; ++i)
      if (name == d_->params[i].name) return &d_->params[i];
    return nullptr;
  }

  // Calls create() with the listed parameters and the declared defaults for the
  // others. Returns the status; on success *out holds the instance, else *error the text.
  int32_t try_create(const std::vector<Named>& params, std::unique_ptr<Instance>* out,
                     std::string* error = nullptr) const {
    std::vector<insource_value> values;
    for (uint32_t i = 0; i < d_->param_count; ++i) values.push_back(d_->params[i].fallback);
    for (const Named& p : params) {
      const insource_param_decl* decl = param(p.name);
      if (!decl) throw std::runtime_error("plugin " + std::string(d_->name) + " declares no parameter " + p.name);
      values[static_cast<size_t>(decl - d_->params)] = p.value.c();
    }
    auto log = std::make_unique<std::vector<LogLine>>();
    insource_host host{sizeof(insource_host), INSOURCE_ABI_MAJOR, INSOURCE_ABI_MINOR, 0, log.get(), &log_line};
    void* handle = nullptr;
    char err[512] = "";
    int32_t status = d_->create(&host, values.data(), values.size(), &handle, err, sizeof err);
    if (status == INSOURCE_OK && out) {
      out->reset(new Instance(d_, handle, std::move(log)));
    } else if (status == INSOURCE_OK) {
      d_->destroy(handle);
    } else if (error) {
      *error = err;
    }
    return status;
  }

  // Like try_create, but throws when create() fails.
  Instance create(const std::vector<Named>& params = {}) const {
    std::unique_ptr<Instance> inst;
    std::string error;
    int32_t status = try_create(params, &inst, &error);
    if (status != INSOURCE_OK)
      throw std::runtime_error("create " + std::string(d_->name) + " failed (" + std::to_string(status) +
                               "): " + error);
    return std::move(*inst);
  }

 private:
  static void log_line(void* context, uint32_t level, const char* message) {
    static_cast<std::vector<LogLine>*>(context)->push_back(LogLine{level, message});
  }

  void* lib_ = nullptr;
  const insource_plugin_descriptor* d_ = nullptr;
};

}  // namespace insource_test

#endif  // INSOURCE_TESTS_PLUGIN_HARNESS_H
