// insource-plugin-worker: runs plugins for a host that isolates them
// (docs/reliability.md section 2). The host starts it with one end of a
// socket as fd 3 and sends frames (plugin_wire.h): probe a file, set up the
// plugins it is to run, evaluate cases. Whatever a plugin does here (crash,
// abort, hang, eat memory) ends or stalls this process only; the host sees
// the socket close or time out, blames the plugin that was running, and
// starts another worker.
#include <fcntl.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "core/plugin_text.h"
#include "plugin_host/plugin_loader.h"
#include "plugin_host/plugin_wire.h"
#include "plugin_host/sandbox.h"
#include "plugin_host/sha256.h"

namespace {

using insource::LoadedPlugin;
using insource::PluginError;
using insource::PluginInstance;
namespace wire = insource::wire;

constexpr int kSocket = 3;

// What fd 3 was at startup: a plugin that closes it, or opens something
// else into its number, is caught by comparing (channel_intact()).
struct stat socket_identity {};

// Whether the socket to the host is still ours and open both ways. Checked
// after every plugin call (one fstat and one poll, well under a microsecond).
bool channel_intact() {
  struct stat now {};
  if (::fstat(kSocket, &now) != 0) return false;
  if (now.st_dev != socket_identity.st_dev || now.st_ino != socket_identity.st_ino) return false;
  pollfd p{kSocket, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) < 0) return true;  // cannot tell; the next send will
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
}

}  // namespace

// Sanitizer builds (GCC spells it __SANITIZE_*__, clang __has_feature).
#if defined(__SANITIZE_ADDRESS__)
#define INSOURCE_WORKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INSOURCE_WORKER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define INSOURCE_WORKER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define INSOURCE_WORKER_TSAN 1
#endif
#endif

#ifdef INSOURCE_WORKER_ASAN
// A sanitized worker must still die of a plugin's SIGSEGV the way a normal
// one does (the host reports the signal); ASan would turn it into exit(1).
extern "C" const char* __asan_default_options() { return "handle_segv=0:handle_sigbus=0:detect_leaks=0"; }
#endif
#ifdef INSOURCE_WORKER_TSAN
extern "C" const char* __tsan_default_options() { return "handle_segv=0:handle_sigbus=0"; }
#endif

namespace {

#if defined(INSOURCE_WORKER_ASAN) || defined(INSOURCE_WORKER_TSAN)
constexpr bool kSanitized = true;  // their shadow memory needs far more address space than any limit here
#else
constexpr bool kSanitized = false;
#endif

bool write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(kSocket, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

constexpr int64_t kSpinNanos = 50000;

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Reads the next frame into `buf` (replacing what was there). False at the end of input.
// Whether to look for the next request without sleeping first: the host says
// so with each request (it knows whether there are cores to spare).
bool spin_for_next = false;

bool read_frame(std::string* buf, size_t* used, wire::Kind* kind, std::string_view* payload) {
  if (*used) {
    buf->erase(0, *used);
    *used = 0;
  }
  char chunk[65536];
  for (;;) {
    size_t size = 0;
    if (wire::next_frame(*buf, kind, payload, &size)) {
      *used = size;
      return true;
    }
    // The host's next request usually follows within microseconds: look for
    // it without sleeping for a short while (as the host does), then block.
    ssize_t n = -1;
    const int64_t spin_until = monotonic_ns() + (spin_for_next ? kSpinNanos : 0);
    do {
      n = ::recv(kSocket, chunk, sizeof chunk, MSG_DONTWAIT);
    } while (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && monotonic_ns() < spin_until);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) n = ::read(kSocket, chunk, sizeof chunk);
    if (n > 0) buf->append(chunk, static_cast<size_t>(n));
    else if (n == 0) return false;
    else if (errno != EINTR) return false;
  }
}

std::string error_frame(const std::string& message) {
  std::string out;
  wire::Writer w(&out);
  w.begin(wire::Kind::kError);
  w.str(message);
  w.finish();
  return out;
}

class Worker {
 public:
  explicit Worker(wire::Progress* progress) : progress_(progress) {}

  // Returns false when the host is gone.
  bool serve(wire::Kind kind, wire::Reader& r) {
    switch (kind) {
      case wire::Kind::kProbe: return probe(r);
      case wire::Kind::kSetup: return setup(r);
      case wire::Kind::kEvaluate: return evaluate(r);
      default: return write_all(error_frame("the plugin worker got a message it does not know"));
    }
  }

 private:
  bool probe(wire::Reader& r) {
    std::string path(r.str()), sha256(r.str());
    std::string out;
    try {
      auto plugin = LoadedPlugin::load(path, sha256);  // refuses bytes of another hash
      wire::Writer w(&out);
      w.begin(wire::Kind::kDescriptor);
      plugin->encode(w);
      w.finish();
      plugins_.push_back(std::move(plugin));  // stays loaded: unloading code that may still run is worse
    } catch (const std::exception& e) {
      out = error_frame(e.what());
    }
    return write_all(out);
  }

  bool setup(wire::Reader& r) {
    instances_.clear();
    try {
      for (uint32_t n = r.u32(); n > 0; --n) {
        std::string path(r.str()), sha256(r.str()), criterion(r.str());
        std::vector<insource::ParamValue> params;
        for (uint32_t k = r.u32(); k > 0; --k) {
          insource_value v = r.value();
          insource::ParamValue p;
          p.type = static_cast<insource::Type>(v.type);
          p.number = v.number;
          p.boolean = v.boolean != 0;
          if (v.type == INSOURCE_STRING) p.string.assign(v.string, v.length);
          params.push_back(std::move(p));
        }
        auto plugin = LoadedPlugin::load(path, sha256);  // refuses bytes of another hash
        if (plugin->criterion() != criterion)
          throw PluginError("plugin '" + path + "' now votes on '" + plugin->criterion() + "', not '" + criterion + "'");
        instances_.push_back(plugin->instantiate(params));
      }
    } catch (const std::exception& e) {
      instances_.clear();
      return write_all(error_frame(e.what()));
    }
    std::string out;
    wire::Writer w(&out);
    w.begin(wire::Kind::kReady);
    w.finish();
    return write_all(out);
  }

  bool evaluate(wire::Reader& r) {
    const uint32_t request = r.u32();
    const uint32_t flags = r.u32();
    spin_for_next = r.u8() != 0;
    const uint32_t n = r.u32();
    out_.clear();
    for (uint32_t item = 0; item < n; ++item) {
      const uint32_t member = r.u32();
      const uint32_t count = r.u32();
      facts_.clear();
      for (uint32_t k = 0; k < count; ++k) facts_.push_back(r.value());
      // Tell the host which call runs from when: if it never returns (or
      // takes the process down), the host knows whom to blame.
      progress_->started_ns.store(monotonic_ns(), std::memory_order_relaxed);
      progress_->item.store(item, std::memory_order_relaxed);
      progress_->request.store(request, std::memory_order_release);
      insource_vote vote{};
      int32_t status = INSOURCE_ERR_INTERNAL;
      std::string thrown;
      if (member >= instances_.size()) {
        thrown = "the host asked for a plugin the worker does not hold";
      } else {
        try {  // the ABI forbids exceptions; one that escapes anyway is a fault
          status = instances_[member]->evaluate(facts_.data(), facts_.size(), flags, &vote);
        } catch (const std::exception& e) {
          thrown = std::string("threw an exception: ") + e.what();
        } catch (...) {
          thrown = "threw an exception of unknown type";
        }
      }
      if (!channel_intact()) {
        // The plugin closed, replaced or shut down the socket to the host:
        // say which call did it (the shared page) and stop before another runs.
        progress_->broken_item.store(item, std::memory_order_relaxed);
        progress_->broken_request.store(request, std::memory_order_release);
        std::_Exit(wire::kChannelBrokenStatus);
      }
      if (!thrown.empty()) {
        vote = insource_vote{};
        vote.message = thrown.c_str();
        status = INSOURCE_ERR_INTERNAL;
      }
      wire::Writer w(&out_);
      w.begin(wire::Kind::kVote);
      w.i32(status);
      w.u8(vote.abstain ? 1 : 0);
      w.f64(vote.score);
      // Only the first kMaxPluginTextBytes (and one more, so the host sees
      // that it must cut, and where) of each text cross, with the
      // rationale's whole length: the host keeps what it keeps in process,
      // and a frame stays far below its limit whatever the plugin returns.
      const std::string_view rationale = vote.rationale ? vote.rationale : "";
      const std::string_view message = vote.message ? vote.message : "";
      w.u8(vote.rationale ? 1 : 0);
      w.u64(rationale.size());
      w.str(rationale.substr(0, insource::kMaxPluginTextBytes + 1));
      w.u8(vote.message ? 1 : 0);
      w.str(message.substr(0, insource::kMaxPluginTextBytes + 1));
      w.finish();
    }
    return write_all(out_);  // one send for the whole request: one wake-up of the host
  }

  std::vector<std::shared_ptr<const LoadedPlugin>> plugins_;
  std::vector<std::unique_ptr<PluginInstance>> instances_;
  std::vector<insource_value> facts_;
  std::string out_;
  wire::Progress* progress_;
};

}  // namespace

int main(int argc, char** argv) {
  long host_pid = 0, memory_mib = 0;
  std::string level = "warn";
  std::string sandbox_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key == "--host-pid") host_pid = std::strtol(argv[i + 1], nullptr, 10);
    else if (key == "--memory-mib") memory_mib = std::strtol(argv[i + 1], nullptr, 10);
    else if (key == "--log-level") level = argv[i + 1];
    else if (key == "--sandbox") sandbox_dir = argv[i + 1];
  }
  if (::fcntl(kSocket, F_GETFD) < 0 || ::fstat(kSocket, &socket_identity) != 0) {
    std::fprintf(stderr, "insource-plugin-worker: run by insource for isolated plugins, not by hand\n");
    return 2;
  }
  // Die with the host, even if it is killed outright.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (host_pid > 0 && ::getppid() != host_pid) return 0;
  // A plugin that prints must not write into the host's output (stdout is
  // the host's records): its stdout goes to stderr; it gets no stdin.
  ::dup2(2, 1);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null >= 0) ::dup2(null, 0);

  auto logger = spdlog::stderr_logger_st("insource-plugin-worker");
  logger->set_pattern("insource-plugin-worker[%P]: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));

  if (memory_mib > 0) {
    if (kSanitized) {
      spdlog::debug("sanitizer build: no address-space limit");
    } else {
      rlimit lim{};
      lim.rlim_cur = lim.rlim_max = static_cast<rlim_t>(memory_mib) << 20;
      if (::setrlimit(RLIMIT_AS, &lim) != 0) spdlog::warn("cannot limit memory to {} MiB: {}", memory_mib, std::strerror(errno));
    }
  }

  void* page = ::mmap(nullptr, wire::kProgressBytes, PROT_READ | PROT_WRITE, MAP_SHARED, wire::kProgressFd, 0);
  if (page == MAP_FAILED) {
    spdlog::error("cannot map the page shared with the host (fd {}): {}", wire::kProgressFd, std::strerror(errno));
    return 2;
  }
  if (!sandbox_dir.empty()) {
    // Before any plugin code runs: its static constructors are sandboxed too.
    auto* progress = static_cast<wire::Progress*>(page);
    try {
      spdlog::debug("sandbox: {}", insource::enter_sandbox(sandbox_dir, progress->denied, sizeof progress->denied));
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      return 2;
    }
  }
  Worker worker(static_cast<wire::Progress*>(page));
  std::string buf;
  size_t used = 0;
  wire::Kind kind{};
  std::string_view payload;
  try {
    while (read_frame(&buf, &used, &kind, &payload)) {
      wire::Reader r(payload);
      if (!worker.serve(kind, r)) break;
    }
  } catch (const wire::WireError& e) {
    spdlog::error("the host sent a message that does not decode: {}", e.what());
    return 3;
  }
  return 0;
}
