// Plugin isolation (docs/reliability.md section 2): plugins that run in a
// worker process (insource-plugin-worker) which the host starts, feeds over a
// socket and restarts. A plugin that segfaults, aborts, exits, loops forever
// or exhausts its memory limit costs the case it was deciding a fault (which
// the criterion's on_error then handles) and the worker a restart; the host
// and the rest of the run go on. An isolated plugin is never loaded into the
// host process at all: even its descriptor is read by a worker.
#ifndef INSOURCE_HOST_PLUGIN_ISOLATION_H_
#define INSOURCE_HOST_PLUGIN_ISOLATION_H_

#include <insource/plugin.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugin_host/plugin_loader.h"
#include "plugin_host/plugin_wire.h"

namespace insource {

// The worker binary: $INSOURCE_PLUGIN_WORKER, else insource-plugin-worker
// beside the running binary, else <bin>/../libexec/insource/. Throws
// PluginError when there is none.
std::filesystem::path find_plugin_worker();

// One worker process and the socket to it. Not thread-safe.
class WorkerProcess {
 public:
  explicit WorkerProcess(IsolationConfig config) : config_(std::move(config)) {}
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Starts the worker. Throws PluginError when it cannot be started.
  void start();
  bool running() const { return pid_ > 0; }

  // Sends frames; false when the worker is gone.
  bool send(std::string_view frames);

  enum class Wait { kFrame, kTimeout, kDied };
  // Waits up to `timeout_ms` for the next frame from the worker. The payload
  // stays valid until the next call.
  // `spin`: look for the answer without sleeping for a few microseconds
  // first (worth it only while there is a core to spare; see IsolatedPlugins).
  Wait next(uint32_t timeout_ms, wire::Kind* kind, std::string_view* payload, bool spin = false);

  // The worker's progress through the current request (plugin_wire.h).
  const wire::Progress& progress() const { return *progress_; }

  // Kills the worker (if still running), reaps it and says how it ended:
  // "was killed by signal 11 (Segmentation fault)", "exited with status 3".
  // `dying`: it closed its end, so wait up to 2 s for it to end by itself
  // (its own cause of death is then the one reported).
  std::string stop(bool dying = false);

 private:
  IsolationConfig config_;
  pid_t pid_ = -1;
  int fd_ = -1;
  wire::Progress* progress_ = nullptr;  // shared with the worker; mapped by start()
  std::string sandbox_dir_;             // the worker's private folder (--sandbox), removed by stop()
  std::string in_;       // bytes received, not yet consumed
  size_t consumed_ = 0;  // of in_, by the frame last returned
};

// Reads a plugin file's descriptor in a worker process: the host never opens
// the file itself. `sha256` (of the file as the host hashed it) is checked
// again by the worker before it loads the file. Throws PluginError naming
// the file, also when the plugin crashes or hangs while loading.
std::shared_ptr<const LoadedPlugin> probe_plugin(const std::filesystem::path& file, const std::string& sha256,
                                           const IsolationConfig& config);

// The isolated criteria of one Evaluator, all in one worker process that
// holds one instance of each. A case's isolated criteria are decided in one
// round trip (one send each way). The worker records in shared memory which
// call it is in and since when, so a crash or a timeout is blamed on exactly
// the plugin that was running, and the other criteria of the case are asked
// again of a restarted worker. Not thread-safe (one per Evaluator).
class IsolatedPlugins {
 public:
  struct Member {
    std::shared_ptr<const LoadedPlugin> plugin;
    std::vector<ParamValue> params;
    std::string criterion;
    uint32_t timeout_ms = 1000;
  };
  // What one member's call gave. `vote`'s strings point into this struct.
  struct Result {
    int32_t status = INSOURCE_OK;
    insource_vote vote{};
    std::string fault;  // the worker crashed, hung or broke the protocol: the whole message
    std::string rationale, message;  // at most kMaxPluginTextBytes each, as the plugin wrote them
    size_t rationale_bytes = 0;      // the length of the plugin's whole rationale
  };

  // Starts the worker and instantiates every member. Throws PluginError when
  // the worker cannot start or a plugin refuses its parameters.
  IsolatedPlugins(std::vector<Member> members, IsolationConfig config);
  ~IsolatedPlugins();
  IsolatedPlugins(const IsolatedPlugins&) = delete;
  IsolatedPlugins& operator=(const IsolatedPlugins&) = delete;

  size_t size() const { return members_.size(); }

  // A round trip: begin(), add() for each member to ask, run(); then result().
  void begin(uint32_t flags);
  void add(size_t member, const insource_value* facts, size_t count);
  void run();
  const Result& result(size_t member) const { return results_[member]; }

  // Workers started after the first (each crash or timeout costs one).
  uint64_t restarts() const { return restarts_; }

 private:
  void start_worker();  // throws PluginError
  void send_pending();
  // Waits for the votes of the pending items; returns the position (in
  // pending_) of the item to blame when the worker crashed or hung, with
  // `why` set, or -1 when every vote came.
  long collect(std::string* why);
  void fault(size_t item, const std::string& why);

  std::vector<Member> members_;
  IsolationConfig config_;
  WorkerProcess worker_;
  std::string setup_;  // the kSetup frame, sent at every (re)start
  uint32_t flags_ = 0;
  std::string items_;               // encoded items, back to back
  std::vector<size_t> item_start_;  // offset of each item in items_ (plus the end)
  std::vector<uint32_t> item_member_;
  std::vector<uint32_t> pending_;  // items without a result, in the order sent
  size_t answered_ = 0;            // of pending_, in order
  uint32_t request_ = 0;           // numbers the requests (wire::Progress::request)
  bool spin_ = false;              // wait for answers without sleeping first
  int64_t sent_ns_ = 0;            // when the current request was sent (CLOCK_MONOTONIC)
  std::string frame_;
  std::vector<Result> results_;
  uint64_t restarts_ = 0;
  bool started_ = false;
};

}  // namespace insource

#endif  // INSOURCE_HOST_PLUGIN_ISOLATION_H_
