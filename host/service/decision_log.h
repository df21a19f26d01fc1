// The decision log: one JSON line per decision, enough to replay it.
//
//   {"decision_id":"6f1c2a9e-42","time":"2026-11-28T05:30:17.123Z",
//    "rules_revision":"<sha256>","generation":3,"source":"decide",
//    "case":{...the case as received...},
//    "record":{...the verdict record as answered...},
//    "plugins":{"cost":{"name":"builtin-cost","version":"1.0.0","file":"...","sha256":"..."},...}}
//
// `record` is the `decide --format json` object (the compact `batch` record
// for /v1/batch, the full one with ?detail=true); a plugin fault is logged
// with its error record. `replay` decides each logged case again with
// another (usually the current) policy and reports the decisions that would
// now come out differently.
#ifndef INSOURCE_HOST_DECISION_LOG_H_
#define INSOURCE_HOST_DECISION_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <istream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"
#include "service/policy_store.h"

namespace insource {

// Appends whole lines to a file (or standard output) from any thread; each
// append() is one write(2), so lines from concurrent requests never interleave.
class DecisionLog {
 public:
  // "-" is standard output. Throws std::runtime_error when the file cannot be opened.
  explicit DecisionLog(const std::string& path);
  ~DecisionLog();
  DecisionLog(const DecisionLog&) = delete;
  DecisionLog& operator=(const DecisionLog&) = delete;

  // Writes `lines` (each ending in a newline). False when the write failed
  // (counted in errors(); the process goes on).
  bool append(std::string_view lines);

  // Opens the file again (after logrotate moved it); false on failure (the old one is kept).
  bool reopen();

  const std::string& path() const { return path_; }
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  uint64_t lines() const { return lines_.load(std::memory_order_relaxed); }

 private:
  std::string path_;
  std::mutex mutex_;
  int fd_ = -1;
  std::atomic<uint64_t> errors_{0}, lines_{0};
};

// {"cost":{"name":..,"version":..,"file":..,"sha256":..},...}: the plugins of a snapshot, for every line.
std::string plugin_hashes_json(const PolicySnapshot& snap);

// Appends one log line. `case_json` and `record_json` are JSON texts on one line
// (a record may end in a newline; it is dropped).
void append_log_line(std::string* out, std::string_view decision_id, std::string_view time, const PolicySnapshot& snap,
                     std::string_view plugins_json, std::string_view source, std::string_view case_json,
                     std::string_view record_json);

// Replay.
struct ReplayOptions {
  bool strict = false;  // also compare totals and per-criterion scores, not only verdict, rule and failure
};

struct ReplayDifference {
  uint64_t line = 0;          // in the log
  std::string decision_id;
  std::string case_id;
  std::string logged_revision;
  std::vector<std::string> changes;  // "verdict outsource -> insource", "rule null -> back-office-stays-in-house", ...
  nlohmann::ordered_json now;        // the record the policy gives now
};

struct ReplaySummary {
  uint64_t lines = 0;       // non-blank lines read
  uint64_t replayed = 0;    // decisions decided again
  uint64_t same = 0;
  uint64_t differing = 0;   // including cases that cannot be read now
  uint64_t unreadable = 0;  // lines that are not decision log lines
  std::vector<std::string> revisions;      // logged revisions, in the order first seen
  std::vector<std::string> plugin_changes; // "cost: sha256 abc.. logged, def.. now" (each once)
  std::vector<std::string> problems;       // "line 7: ..." for unreadable lines (the first 20)
};

// Replays every line of `log` against `policy` (its plugins described by
// `plugins`, for the hash comparison). Calls `on_difference` for each decision
// that would now differ, in log order.
ReplaySummary replay_decision_log(std::istream& log, const std::shared_ptr<const Policy>& policy,
                                  const std::vector<LoadedPluginFile>& plugins, const ReplayOptions& options,
                                  const std::function<void(const ReplayDifference&)>& on_difference);

}  // namespace insource

#endif  // INSOURCE_HOST_DECISION_LOG_H_
