#include "plugin_host/plugin_isolation.h"
#include "plugin_host/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/dll/runtime_symbol_info.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

extern char** environ;

namespace insource {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kWorkerName = "insource-plugin-worker";

// Loading a plugin (dlopen, its static constructors, create()) gets this
// long at least, whatever the per-call timeout.
constexpr uint32_t kMinSetupMs = 10000;

// How long to wait for a worker's answer without sleeping (see next()).
constexpr int kSpinMicros = 50;

// IsolatedPlugins alive in this process. Spinning pays while each host
// thread and its worker can have a core of their own (one batch job on two
// cores); with more of them than that, spinners would take the cores their
// workers need, so everyone sleeps in poll() instead.
std::atomic<int> live_isolated{0};

bool spare_cores() {
  static const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return 2 * live_isolated.load(std::memory_order_relaxed) <= cores;
}

std::string errno_text(int e) { return std::strerror(e); }

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Moves `fd` above `floor` (dup2 onto its own number would keep CLOEXEC).
int above(int fd, int floor) {
  if (fd > floor) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return moved;
}

bool executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return "was killed by signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")";
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "stopped";
}

}  // namespace

fs::path find_plugin_worker() {
  if (const char* env = std::getenv("INSOURCE_PLUGIN_WORKER"); env && *env) {
    if (!executable(env))
      throw PluginError(std::string("INSOURCE_PLUGIN_WORKER names '") + env + "', which is not an executable file");
    return env;
  }
  boost::dll::fs::error_code ec;
  fs::path exe = boost::dll::program_location(ec).string();
  fs::path dir = exe.parent_path();
  for (const fs::path& p : {dir / kWorkerName, dir.parent_path() / "libexec" / "insource" / kWorkerName})
    if (executable(p)) return p;
  throw PluginError(std::string("plugin isolation needs the ") + kWorkerName + " program, which is neither beside " +
                    exe.string() + " nor in ../libexec/insource/ (or set INSOURCE_PLUGIN_WORKER)");
}

// --- WorkerProcess ---------------------------------------------------------

WorkerProcess::~WorkerProcess() {
  stop();
  if (progress_) ::munmap(progress_, wire::kProgressBytes);
}

void WorkerProcess::start() {
  stop();
  const fs::path exe = config_.worker.empty() ? find_plugin_worker() : config_.worker;
  int sv[2];
  // CLOEXEC on both ends: a worker started by another thread at the same time must not inherit ours.
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw PluginError("cannot create a socket for the plugin worker: " + errno_text(errno));
  int shared = ::memfd_create("insource-worker-progress", MFD_CLOEXEC);
  if (shared < 0 || ::ftruncate(shared, wire::kProgressBytes) != 0) {
    int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    if (shared >= 0) ::close(shared);
    throw PluginError("cannot create the shared page for the plugin worker: " + errno_text(e));
  }
  if (progress_) ::munmap(progress_, wire::kProgressBytes);
  void* page = ::mmap(nullptr, wire::kProgressBytes, PROT_READ | PROT_WRITE, MAP_SHARED, shared, 0);
  progress_ = page == MAP_FAILED ? nullptr : new (page) wire::Progress();
  if (!progress_) {
    int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    ::close(shared);
    throw PluginError("cannot map the shared page for the plugin worker: " + errno_text(e));
  }
  // The worker's ends become its fds 3 and 4.
  sv[1] = above(sv[1], wire::kProgressFd);
  shared = above(shared, wire::kProgressFd);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, sv[1], 3);
  posix_spawn_file_actions_adddup2(&actions, shared, wire::kProgressFd);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A host thread may block signals (the server's signal thread does) or
  // ignore SIGPIPE: the worker starts with a clean slate, so SIGTERM and
  // SIGKILL from the host, or a crash, end it as they should.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const std::string host_pid = std::to_string(::getpid());
  const std::string memory = std::to_string(config_.memory_mib);
  const std::string level(spdlog::level::to_string_view(spdlog::get_level()).data(),
                          spdlog::level::to_string_view(spdlog::get_level()).size());
  std::string exe_s = exe.string();
  std::vector<char*> argv{exe_s.data(),
                          const_cast<char*>("--host-pid"), const_cast<char*>(host_pid.c_str()),
                          const_cast<char*>("--memory-mib"), const_cast<char*>(memory.c_str()),
                          const_cast<char*>("--log-level"), const_cast<char*>(level.c_str())};
  if (config_.sandbox) {
    // A private folder of its own, the only place it may write; removed when it ends.
    std::string tmpl = (fs::temp_directory_path() / "insource-sandbox-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      int e = errno;
      ::close(sv[0]);
      ::close(sv[1]);
      ::close(shared);
      posix_spawn_file_actions_destroy(&actions);
      posix_spawnattr_destroy(&attr);
      throw PluginError("cannot make the sandbox's private folder: " + errno_text(e));
    }
    sandbox_dir_ = tmpl;
    argv.push_back(const_cast<char*>("--sandbox"));
    argv.push_back(sandbox_dir_.data());
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe_s.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(sv[1]);
  ::close(shared);
  if (rc != 0) {
    ::close(sv[0]);
    throw PluginError("cannot start the plugin worker " + exe_s + ": " + errno_text(rc));
  }
  pid_ = pid;
  fd_ = sv[0];
  in_.clear();
  consumed_ = 0;
}

bool WorkerProcess::send(std::string_view frames) {
  while (!frames.empty()) {
    ssize_t n = ::send(fd_, frames.data(), frames.size(), MSG_NOSIGNAL);  // never SIGPIPE the host
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    frames.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

WorkerProcess::Wait WorkerProcess::next(uint32_t timeout_ms, wire::Kind* kind, std::string_view* payload, bool spin) {
  if (consumed_) {
    in_.erase(0, consumed_);
    consumed_ = 0;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[16384];
  for (;;) {
    size_t size = 0;
    if (wire::next_frame(in_, kind, payload, &size)) {
      consumed_ = size;
      return Wait::kFrame;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left < 0) return Wait::kTimeout;
    pollfd p{fd_, POLLIN, 0};
    // A plugin call takes microseconds; sleeping in poll() right away would
    // add the wake-up latency of an idle core to every case (tens of µs).
    // Poll without sleeping for a short while first.
    int r = 0;
    const auto spin_until = Clock::now() + std::chrono::microseconds(spin ? kSpinMicros : 0);
    do {
      r = ::poll(&p, 1, 0);
    } while (r == 0 && Clock::now() < spin_until);
    if (r == 0) r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Wait::kDied;
    }
    if (r == 0) {
      if (Clock::now() >= deadline) return Wait::kTimeout;
      continue;
    }
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      return Wait::kDied;  // the worker closed its end: it is exiting
    } else if (errno != EINTR && errno != EAGAIN) {
      return Wait::kDied;
    }
  }
}

std::string WorkerProcess::stop(bool dying) {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (pid_ <= 0) return {};
  // A worker that closed its end is on its way out: give it a moment to
  // finish dying (a core dump takes time) so its own cause of death is the
  // one reported, then kill it.
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  const auto grace = Clock::now() + std::chrono::seconds(2);
  while (dying && r == 0 && Clock::now() < grace) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    r = ::waitpid(pid_, &status, WNOHANG);
  }
  if (r == 0) {
    ::kill(pid_, SIGKILL);
    while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  in_.clear();
  consumed_ = 0;
  const bool sandboxed = !sandbox_dir_.empty();
  if (sandboxed) {
    std::error_code ec;
    fs::remove_all(sandbox_dir_, ec);
    sandbox_dir_.clear();
  }
  // A trapped call made with SIGSYS blocked (posix_spawn blocks every
  // signal around its clone) cannot reach the handler: the kernel kills.
  if (sandboxed && r > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
    return "was stopped by the sandbox: the plugin made a system call it denies, with SIGSYS blocked (as "
           "posix_spawn does to start a process); killed by signal 31";
  if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == kSandboxDeniedStatus && progress_ && progress_->denied[0])
    return std::string("was stopped by the sandbox: the plugin tried to ") +
           std::string(progress_->denied, strnlen(progress_->denied, sizeof progress_->denied));
  return r > 0 ? describe_status(status) : "could not be waited for";
}

// --- probe -----------------------------------------------------------------

std::shared_ptr<const LoadedPlugin> probe_plugin(const fs::path& file, const std::string& sha256,
                                           const IsolationConfig& config) {
  const std::string quoted = "plugin '" + file.string() + "'";
  WorkerProcess worker(config);
  worker.start();
  std::string frame;
  wire::Writer w(&frame);
  w.begin(wire::Kind::kProbe);
  w.str(file.string());
  w.str(sha256);
  w.finish();
  wire::Kind kind{};
  std::string_view payload;
  WorkerProcess::Wait wait = WorkerProcess::Wait::kDied;
  const uint32_t limit = std::max(kMinSetupMs, config.timeout_ms);
  try {
    if (worker.send(frame)) wait = worker.next(limit, &kind, &payload);
  } catch (const wire::WireError& e) {
    throw PluginError(quoted + ": its worker process sent a garbled reply (" + e.what() + "); the worker " +
                      worker.stop());
  }
  if (wait == WorkerProcess::Wait::kFrame) {
    wire::Reader r(payload);
    if (kind == wire::Kind::kDescriptor) return LoadedPlugin::decode(r, file, sha256);
    if (kind == wire::Kind::kError) {
      std::string msg;
      try {
        msg = std::string(r.str());
      } catch (const wire::WireError&) {
        msg = quoted + ": could not be loaded in its worker process";
      }
      throw PluginError(msg);
    }
    throw PluginError(quoted + ": its worker process answered out of turn; the worker " + worker.stop());
  }
  if (wait == WorkerProcess::Wait::kTimeout) {
    worker.stop();
    throw PluginError(quoted + ": did not finish loading within " + std::to_string(limit) +
                      " ms in its worker process (the worker was killed)");
  }
  throw PluginError(quoted + ": crashed while loading: its worker process " + worker.stop(true));
}

// --- IsolatedPlugins -------------------------------------------------------

IsolatedPlugins::IsolatedPlugins(std::vector<Member> members, IsolationConfig config)
    : members_(std::move(members)), config_(std::move(config)), worker_(config_) {
  wire::Writer w(&setup_);
  w.begin(wire::Kind::kSetup);
  w.u32(static_cast<uint32_t>(members_.size()));
  for (const Member& m : members_) {
    w.str(m.plugin->path().string());
    w.str(m.plugin->sha256());
    w.str(m.plugin->criterion());
    w.u32(static_cast<uint32_t>(m.params.size()));
    for (const ParamValue& p : m.params) w.value(p.view());
  }
  w.finish();
  results_.resize(members_.size());
  start_worker();
  live_isolated.fetch_add(1, std::memory_order_relaxed);
}

IsolatedPlugins::~IsolatedPlugins() { live_isolated.fetch_sub(1, std::memory_order_relaxed); }

void IsolatedPlugins::start_worker() {
  worker_.start();
  std::string names;
  for (const Member& m : members_) names += (names.empty() ? "" : ", ") + m.plugin->name();
  wire::Kind kind{};
  std::string_view payload;
  WorkerProcess::Wait wait = WorkerProcess::Wait::kDied;
  uint32_t limit = kMinSetupMs;
  for (const Member& m : members_) limit = std::max(limit, m.timeout_ms);
  try {
    if (worker_.send(setup_)) wait = worker_.next(limit, &kind, &payload);
  } catch (const wire::WireError& e) {
    throw PluginError("the plugin worker for " + names + " sent a garbled reply (" + e.what() + "); it " +
                      worker_.stop());
  }
  if (wait == WorkerProcess::Wait::kFrame && kind == wire::Kind::kReady) return;
  if (wait == WorkerProcess::Wait::kFrame && kind == wire::Kind::kError) {
    std::string msg;
    try {
      wire::Reader r(payload);
      msg = std::string(r.str());
    } catch (const wire::WireError&) {
      msg = "the plugin worker for " + names + " failed to set up";
    }
    worker_.stop();
    throw PluginError(msg);
  }
  if (wait == WorkerProcess::Wait::kTimeout) {
    worker_.stop();
    throw PluginError("the plugin worker for " + names + " did not load them within " + std::to_string(limit) +
                      " ms (it was killed)");
  }
  throw PluginError("the plugin worker for " + names + " " + worker_.stop(true) + " while loading them");
}

void IsolatedPlugins::begin(uint32_t flags) {
  flags_ = flags;
  items_.clear();
  item_start_.clear();
  item_member_.clear();
}

void IsolatedPlugins::add(size_t member, const insource_value* facts, size_t count) {
  item_start_.push_back(items_.size());
  item_member_.push_back(static_cast<uint32_t>(member));
  wire::Writer w(&items_);
  w.u32(static_cast<uint32_t>(member));
  w.u32(static_cast<uint32_t>(count));
  for (size_t i = 0; i < count; ++i) w.value(facts[i]);
}

void IsolatedPlugins::send_pending() {
  frame_.clear();
  wire::Writer w(&frame_);
  w.begin(wire::Kind::kEvaluate);
  w.u32(++request_);
  w.u32(flags_);
  spin_ = spare_cores();
  w.u8(spin_ ? 1 : 0);  // the worker spins for the next request too
  w.u32(static_cast<uint32_t>(pending_.size()));
  for (uint32_t item : pending_) {
    const size_t from = item_start_[item];
    const size_t to = item + 1 < item_start_.size() ? item_start_[item + 1] : items_.size();
    frame_.append(items_, from, to - from);
  }
  w.finish();
  answered_ = 0;
  sent_ns_ = monotonic_ns();
  // A worker that is already gone shows as kDied on the first read.
  worker_.send(frame_);
}

void IsolatedPlugins::fault(size_t item, const std::string& why) {
  const Member& m = members_[item_member_[item]];
  Result& res = results_[item_member_[item]];
  res = Result{};
  res.status = INSOURCE_ERR_INTERNAL;
  res.fault = "plugin " + m.plugin->name() + " (criterion " + m.criterion + ") " + why;
}

long IsolatedPlugins::collect(std::string* why) {
  const wire::Progress& progress = worker_.progress();
  // Which pending item the worker is in, and until when it may run: from
  // the shared page once the worker has started this request, else the
  // first unanswered item from now.
  auto current = [&](int64_t* deadline_ns) -> size_t {
    size_t at = answered_;
    // Until the worker has started this request, its first call counts from
    // when the request was sent (a worker that never picks it up times out too).
    int64_t started = answered_ == 0 ? sent_ns_ : monotonic_ns();
    if (progress.request.load(std::memory_order_acquire) == request_) {
      size_t k = progress.item.load(std::memory_order_acquire);
      int64_t t = progress.started_ns.load(std::memory_order_acquire);
      if (k >= answered_ && k < pending_.size() && t > 0) at = k, started = t;
    }
    *deadline_ns = started + int64_t{members_[item_member_[pending_[at]]].timeout_ms} * 1000000;
    return at;
  };
  while (answered_ < pending_.size()) {
    int64_t deadline = 0;
    current(&deadline);
    const int64_t left_ns = deadline - monotonic_ns();
    const uint32_t wait_ms = left_ns <= 0 ? 0 : static_cast<uint32_t>(std::min<int64_t>((left_ns + 999999) / 1000000, 1 << 30));
    wire::Kind kind{};
    std::string_view payload;
    WorkerProcess::Wait wait;
    try {
      wait = worker_.next(wait_ms, &kind, &payload, spin_);
      if (wait == WorkerProcess::Wait::kFrame && kind == wire::Kind::kVote) {
        const uint32_t item = pending_[answered_];
        Result& res = results_[item_member_[item]];
        wire::Reader r(payload);
        res.fault.clear();
        res.status = r.i32();
        res.vote = insource_vote{};
        res.vote.abstain = r.u8();
        res.vote.score = r.f64();
        bool has_rationale = r.u8() != 0;
        res.rationale_bytes = r.u64();
        res.rationale = r.str();
        bool has_message = r.u8() != 0;
        res.message = r.str();
        res.vote.rationale = has_rationale ? res.rationale.c_str() : nullptr;
        res.vote.message = has_message ? res.message.c_str() : nullptr;
        ++answered_;
        continue;
      }
      if (wait == WorkerProcess::Wait::kTimeout) {
        int64_t now_deadline = 0;
        size_t at = current(&now_deadline);
        if (monotonic_ns() < now_deadline) continue;  // the worker moved on to another call meanwhile
        const Member& m = members_[item_member_[pending_[at]]];
        worker_.stop();
        *why = "did not answer within " + std::to_string(m.timeout_ms) + " ms; its worker process was killed";
        return static_cast<long>(at);
      }
      if (wait == WorkerProcess::Wait::kDied) {
        // Reap the worker first: once it is dead, the shared page says for
        // certain which call it was in (or which call broke the channel).
        const std::string ended = worker_.stop(true);
        if (progress.broken_request.load(std::memory_order_acquire) == request_) {
          const size_t k = progress.broken_item.load(std::memory_order_relaxed);
          if (k >= answered_ && k < pending_.size()) {
            *why = "broke the channel to its worker process (closed, replaced or shut down its socket); the worker "
                   "stopped";
            return static_cast<long>(k);
          }
        }
        int64_t ignored = 0;
        size_t at = current(&ignored);
        // A sandbox denial is no crash: say what was tried.
        *why = ended.rfind("was stopped by the sandbox", 0) == 0 ? ended : "crashed: its worker process " + ended;
        return static_cast<long>(at);
      }
      *why = "broke the worker protocol; its worker process " + worker_.stop();
    } catch (const wire::WireError& e) {
      *why = std::string("sent a garbled reply (") + e.what() + "); its worker process " + worker_.stop();
    }
    return static_cast<long>(answered_);
  }
  return -1;
}

void IsolatedPlugins::run() {
  pending_.clear();
  for (uint32_t i = 0; i < item_member_.size(); ++i) pending_.push_back(i);
  while (!pending_.empty()) {
    if (!worker_.running()) {
      try {
        ++restarts_;
        start_worker();
      } catch (const PluginError& e) {
        for (uint32_t item : pending_)
          fault(item, std::string("could not run: its worker process could not be restarted: ") + e.what());
        return;
      }
    }
    send_pending();
    std::string why;
    long blamed = collect(&why);
    if (blamed < 0) return;
    const uint32_t item = pending_[static_cast<size_t>(blamed)];
    const Member& m = members_[item_member_[item]];
    spdlog::warn("plugin {} (criterion {}) {}; starting a new worker", m.plugin->name(), m.criterion, why);
    fault(item, why);
    // The calls answered keep their votes; the others (those the worker
    // finished but had not yet sent, and those after) go to a new worker.
    std::vector<uint32_t> rest;
    for (size_t k = answered_; k < pending_.size(); ++k)
      if (k != static_cast<size_t>(blamed)) rest.push_back(pending_[k]);
    pending_.swap(rest);
  }
}

}  // namespace insource
