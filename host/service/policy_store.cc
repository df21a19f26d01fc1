#include "service/policy_store.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <set>

#include "policy/evaluator.h"

namespace insource {

namespace fs = std::filesystem;

std::shared_ptr<const PolicySnapshot> build_policy_snapshot(const PolicySource& source, uint64_t generation) {
  auto snap = std::make_shared<PolicySnapshot>();
  try {
    LoadedPolicy loaded = load_policy(source);
    snap->revision = std::move(loaded.revision);
    snap->policy = std::move(loaded.policy);
    snap->plugins = std::move(loaded.plugins);
    // Every plugin takes its parameters: an Evaluator makes one instance of each.
    Evaluator check(snap->policy);
  } catch (const RulesError& e) {
    std::string msg;
    for (const auto& d : e.diagnostics()) msg += (msg.empty() ? "" : "\n") + d.str();
    throw PolicyLoadError(msg.empty() ? e.what() : msg);
  } catch (const PluginError& e) {
    throw PolicyLoadError(e.what(), "plugin");
  } catch (const std::exception& e) {
    throw PolicyLoadError(e.what());
  }
  snap->generation = generation;
  snap->loaded_at = std::chrono::system_clock::now();
  return snap;
}

void PolicyStore::load() {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  std::vector<WatchedFile> before = watched_files();
  auto snap = build_policy_snapshot(source_, next_generation_);
  ++next_generation_;
  current_.store(std::move(snap), std::memory_order_release);
  set_baseline(before);
}

ReloadOutcome PolicyStore::reload(const std::string& trigger) {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  ReloadOutcome out;
  auto before = current_.load(std::memory_order_acquire);
  status_.last_attempt = std::chrono::system_clock::now();
  status_.last_trigger = trigger;
  std::vector<WatchedFile> files_before = watched_files();
  try {
    auto snap = build_policy_snapshot(source_, next_generation_);
    ++next_generation_;
    out.changed = !before || before->revision != snap->revision || before->plugins.size() != snap->plugins.size();
    for (size_t i = 0; !out.changed && i < snap->plugins.size(); ++i)
      out.changed = before->plugins[i].sha256 != snap->plugins[i].sha256 || before->plugins[i].file != snap->plugins[i].file;
    current_.store(snap, std::memory_order_release);
    out.ok = true;
    out.current = std::move(snap);
    ++status_.succeeded;
    status_.last_ok = true;
  } catch (const std::exception& e) {
    out.ok = false;
    out.error = e.what();
    out.current = before;
    ++status_.failed;
    status_.last_ok = false;
    status_.last_error = out.error;
    status_.last_error_at = status_.last_attempt;
  }
  set_baseline(files_before);
  return out;
}

void PolicyStore::set_baseline(const std::vector<WatchedFile>& before) {
  // The files the policy in force depends on, each as it was before it was
  // read; one that only this read brought in (a new `extends`), as it is now.
  baseline_ = watched_files();
  for (WatchedFile& w : baseline_)
    for (const WatchedFile& b : before)
      if (b.path == w.path) w = b;
}

std::vector<WatchedFile> PolicyStore::watch_baseline() const {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  return baseline_;
}

ReloadStatus PolicyStore::status() const {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  return status_;
}

WatchedFile stat_watched(const std::string& path) {
  WatchedFile w;
  w.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    w.exists = true;
    w.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    w.size = static_cast<uint64_t>(st.st_size);
    w.inode = static_cast<uint64_t>(st.st_ino);
  }
  return w;
}

std::vector<WatchedFile> PolicyStore::watched_files() const {
  std::set<std::string> paths;
  if (!source_.rules.empty()) paths.insert(source_.rules);
  if (auto snap = current())
    for (const std::string& f : snap->policy->rules().files)
      if (!source_.rules.empty()) paths.insert(f);
  std::vector<WatchedFile> out;
  for (const std::string& p : paths) out.push_back(stat_watched(p));
  try {
    for (const auto& [dir, files] : plugin_files(plugin_search_path(source_.plugin_dirs, !source_.no_default_plugins, source_.default_plugin_dir)))
      for (const fs::path& f : files) out.push_back(stat_watched(f.string()));
  } catch (const std::exception& e) {
    WatchedFile w;
    w.path = std::string("error: ") + e.what();
    out.push_back(w);
  }
  return out;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  if (ms < 0 && ms % 1000) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

}  // namespace insource
