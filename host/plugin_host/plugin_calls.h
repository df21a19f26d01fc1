// What the host knows about the plugin code running in this process at any
// moment, so that what a plugin does to the whole process is caught and
// named (docs/reliability.md, "In process"):
//  - a plugin that calls exit() (or quick_exit()) inside one of its calls
//    ends the process with a message naming it and status 2, never with
//    the status it chose (a pipeline would read exit(0) as success);
//  - the log callback handed to plugins stays safe to call from any thread
//    for as long as the process lives: its context is never freed, plugin
//    libraries are never unmapped, and once the process is exiting log
//    lines go straight to stderr instead of through spdlog, which static
//    destructors are about to take apart.
#ifndef INSOURCE_PLUGIN_HOST_PLUGIN_CALLS_H_
#define INSOURCE_PLUGIN_HOST_PLUGIN_CALLS_H_

#include <cstdint>

namespace insource {

// The status of a process a plugin tried to end (the CLI's "unusable plugin").
inline constexpr int kPluginExitStatus = 2;

// Names the plugin a thread is calling into; set for the length of a call.
struct PluginCall {
  const char* plugin;     // the plugin's name (valid while the call runs)
  const char* criterion;  // its criterion
  const char* what;       // "evaluate", "create", "destroy", "loading"
};

// The call this thread is in, or null. Constant-initialized: no TLS wrapper.
extern constinit thread_local const PluginCall* current_plugin_call;

// Marks the calls of one scope as the plugin's.
class PluginCallScope {
 public:
  explicit PluginCallScope(const PluginCall* call) : previous_(current_plugin_call) { current_plugin_call = call; }
  ~PluginCallScope() { current_plugin_call = previous_; }
  PluginCallScope(const PluginCallScope&) = delete;
  PluginCallScope& operator=(const PluginCallScope&) = delete;

 private:
  const PluginCall* previous_;
};

// Registers (once) the exit handlers that catch a plugin's exit() and
// retire the log callback. Called before any plugin code runs.
void guard_plugin_calls();

// The log callback given to every plugin (insource_host::log). `context`
// is a PluginLogContext, made by plugin_log_context(): one per plugin name,
// never freed.
void plugin_log(void* context, uint32_t level, const char* message) noexcept;
void* plugin_log_context(const char* plugin_name);

}  // namespace insource

#endif  // INSOURCE_PLUGIN_HOST_PLUGIN_CALLS_H_
