// The policy a long-running process decides with, and replacing it while it
// runs: a new PluginSet and Policy are built completely beside the current
// one and swapped in atomically only when they load cleanly. A reader takes
// a snapshot (a shared_ptr) and keeps deciding with it however many reloads
// happen meanwhile; the old policy (and its plugin libraries) goes away when
// the last snapshot of it is dropped.
//
// Plugins are loaded from private copies: each load copies the plugin files
// into a fresh staging folder, loads the copies and removes the folder (the
// loaded code stays mapped). A plugin file replaced on disk therefore really
// is loaded anew (the dynamic loader would hand back the library already
// loaded under the same path), and rewriting a file in place never touches
// code that is running.
#ifndef INSOURCE_HOST_POLICY_STORE_H_
#define INSOURCE_HOST_POLICY_STORE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "policy/load_policy.h"

namespace insource {

// One loaded policy with what describes it.
struct PolicySnapshot {
  std::shared_ptr<const Policy> policy;
  uint64_t generation = 0;   // 1 for the first load, +1 for each successful reload
  std::string revision;      // SHA-256 (hex) of the resolved rules text
  std::chrono::system_clock::time_point loaded_at;
  std::vector<LoadedPluginFile> plugins;  // as policy->plugins()
};

// A policy that cannot be loaded: every problem, one per line, as the CLI prints them.
// kind() says whose problem: "rules" (the rules files, their binding to the
// plugins, a pin no file matches) or "plugin" (a plugin file or folder).
class PolicyLoadError : public std::runtime_error {
 public:
  explicit PolicyLoadError(const std::string& message, std::string kind = "rules")
      : std::runtime_error(message), kind_(std::move(kind)) {}
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
};

// Builds a snapshot from scratch with load_policy(), as the CLI loads a
// policy (PolicySource, LoadedPluginFile: policy/load_policy.h), and checks
// that every plugin takes its parameters. Throws PolicyLoadError.
std::shared_ptr<const PolicySnapshot> build_policy_snapshot(const PolicySource& source, uint64_t generation);

struct ReloadOutcome {
  bool ok = false;
  bool changed = false;  // ok, and the revision or a plugin's hash differs from before
  std::string error;     // !ok: why the new policy was refused (the old one stays)
  std::shared_ptr<const PolicySnapshot> current;  // in force after the attempt
};

struct ReloadStatus {
  uint64_t succeeded = 0, failed = 0;
  std::chrono::system_clock::time_point last_attempt{};  // epoch: never
  std::string last_trigger;                              // "SIGHUP", "POST /v1/reload", "watch", ...
  bool last_ok = true;
  std::string last_error;                                // of the latest failed attempt (kept after later successes)
  std::chrono::system_clock::time_point last_error_at{};
};

// A file the policy depends on, with what a change check compares.
struct WatchedFile {
  std::string path;
  bool exists = false;
  int64_t mtime_ns = 0;
  uint64_t size = 0;
  uint64_t inode = 0;
  bool operator==(const WatchedFile&) const = default;
};

class PolicyStore {
 public:
  explicit PolicyStore(PolicySource source) : source_(std::move(source)) {}

  // The first load. Throws PolicyLoadError.
  void load();

  // The policy in force now (never null after load()).
  std::shared_ptr<const PolicySnapshot> current() const { return current_.load(std::memory_order_acquire); }

  // Loads the policy again beside the current one and swaps it in when it
  // loads cleanly; otherwise keeps the current one. Never throws. Reloads are
  // serialised: a second caller waits for the first.
  ReloadOutcome reload(const std::string& trigger);

  ReloadStatus status() const;

  // The rules files (the root and every file it extends, as last read, and
  // the root as named) and the plugin files on the search path, with their
  // modification times: what --watch polls.
  std::vector<WatchedFile> watched_files() const;

  // watched_files() as they were just before the latest load or reload
  // attempt read them: what a watcher compares with, so that a change made
  // while (or after) a policy was read is never taken for the state it was read in.
  std::vector<WatchedFile> watch_baseline() const;

  const PolicySource& source() const { return source_; }

 private:
  PolicySource source_;
  std::atomic<std::shared_ptr<const PolicySnapshot>> current_;
  mutable std::mutex reload_mutex_;  // one reload at a time; guards status_
  void set_baseline(const std::vector<WatchedFile>& before);

  ReloadStatus status_;
  std::vector<WatchedFile> baseline_;
  uint64_t next_generation_ = 1;
};

// Stats one path for a WatchedFile.
WatchedFile stat_watched(const std::string& path);

// RFC 3339 UTC with milliseconds: 2026-11-28T05:30:17.123Z.
std::string rfc3339(std::chrono::system_clock::time_point t);

}  // namespace insource

#endif  // INSOURCE_HOST_POLICY_STORE_H_
