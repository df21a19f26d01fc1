#include "plugin_host/plugin_calls.h"

#include <insource/plugin.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/plugin_text.h"

namespace insource {

constinit thread_local const PluginCall* current_plugin_call = nullptr;

namespace {

struct PluginLogContext {
  std::string name;  // valid UTF-8 (plugin_text)
};

// Set when the process starts to exit: log lines then bypass spdlog.
std::atomic<bool> exiting{false};
// Log calls inside spdlog right now; exit waits (briefly) for them.
std::atomic<int> logging{0};
// The log level when the exit began: lines below it are dropped after that too.
std::atomic<int> exit_level{spdlog::level::warn};

spdlog::level::level_enum spdlog_level(uint32_t level) {
  switch (level) {
    case INSOURCE_LOG_DEBUG: return spdlog::level::debug;
    case INSOURCE_LOG_INFO: return spdlog::level::info;
    case INSOURCE_LOG_WARN: return spdlog::level::warn;
    default: return spdlog::level::err;
  }
}

void write_stderr(const std::string& s) {
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(2, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void on_exit() {
  if (const PluginCall* call = current_plugin_call) {
    // exit() from inside a plugin's call: not the host's doing.
    write_stderr(std::string("insource: plugin ") + call->plugin + " (criterion " + call->criterion +
                 ") ended the process (exit) during " + call->what +
                 "; a plugin must not exit: the run is incomplete (isolate the plugin with --isolate to "
                 "contain it)\n");
    std::_Exit(kPluginExitStatus);
  }
  // A normal exit: from now on a plugin thread that logs writes to stderr
  // itself; the calls already inside spdlog get a moment to finish.
  if (auto* logger = spdlog::default_logger_raw()) exit_level.store(logger->level());
  exiting.store(true, std::memory_order_seq_cst);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (logging.load(std::memory_order_seq_cst) > 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
}

}  // namespace

void guard_plugin_calls() {
  static std::once_flag once;
  std::call_once(once, [] {
    // spdlog's registry exists already (it is made on first use, and the
    // host logs before it loads a plugin), so these run before its destructor.
    spdlog::default_logger_raw();
    std::atexit(on_exit);
    std::at_quick_exit(on_exit);
  });
}

void* plugin_log_context(const char* plugin_name) {
  // One context per plugin name, never freed: a plugin's thread may hold it
  // as long as the process lives. Interning keeps a server that reloads its
  // policy from growing, and the table (itself never destroyed, so no exit
  // order can free it under a late log call) keeps every context reachable.
  static std::mutex mutex;
  static auto* contexts = new std::map<std::string, std::unique_ptr<PluginLogContext>, std::less<>>();
  std::string name = plugin_text(plugin_name ? plugin_name : "?");
  std::lock_guard lock(mutex);
  auto& slot = (*contexts)[name];
  if (!slot) slot = std::make_unique<PluginLogContext>(PluginLogContext{std::move(name)});
  return slot.get();
}

void plugin_log(void* context, uint32_t level, const char* message) noexcept {
  try {
    const auto* ctx = static_cast<const PluginLogContext*>(context);
    const std::string_view name = ctx ? std::string_view(ctx->name) : std::string_view("?");
    const std::string text = plugin_text(message ? message : "");
    const spdlog::level::level_enum lvl = spdlog_level(level);
    logging.fetch_add(1, std::memory_order_seq_cst);
    if (exiting.load(std::memory_order_seq_cst)) {
      logging.fetch_sub(1, std::memory_order_seq_cst);
      if (lvl >= exit_level.load()) write_stderr("insource: [plugin " + std::string(name) + "] " + text + "\n");
      return;
    }
    try {
      spdlog::log(lvl, "[plugin {}] {}", name, text);
    } catch (...) {
    }
    logging.fetch_sub(1, std::memory_order_seq_cst);
  } catch (...) {
  }
}

}  // namespace insource
