#include "service/policy_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "io/case_reader.h"
#include "policy/evaluator.h"
#include "plugin_host/sha256.h"
#include "core/source_pos.h"

namespace insource {

namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw PolicyLoadError("plugin '" + file.string() + "' cannot be read: " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw PolicyLoadError("plugin '" + file.string() + "' cannot be read");
  return std::move(s).str();
}

void replace_all(std::string* s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size()))
    s->replace(at, from.size(), to);
}

// The plugin files load_plugins() would load from `dirs`, folder by folder,
// in its order (missing and repeated folders and repeated files skipped).
std::vector<std::pair<fs::path, std::vector<fs::path>>> plugin_files(const std::vector<fs::path>& dirs) {
  std::vector<std::pair<fs::path, std::vector<fs::path>>> out;
  std::set<fs::path> seen_dirs, seen_files;
  for (const fs::path& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    fs::path canon = fs::canonical(dir, ec);
    if (ec || !seen_dirs.insert(canon).second) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(canon, ec)) {
      const fs::path& f = entry.path();
      std::error_code ec2;
      if (f.extension() == ".so" && f.filename().string()[0] != '.' && entry.is_regular_file(ec2)) files.push_back(f);
    }
    if (ec) throw PolicyLoadError("plugin folder '" + dir.string() + "' cannot be read: " + ec.message());
    std::sort(files.begin(), files.end());
    std::vector<fs::path> kept;
    for (const fs::path& f : files)
      if (seen_files.insert(fs::canonical(f, ec)).second) kept.push_back(f);
    out.emplace_back(canon, std::move(kept));
  }
  return out;
}

// A private folder that is removed when this goes out of scope.
class StagingDir {
 public:
  StagingDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/insource-plugins-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))  // mode 0700: nobody else can swap a copy before it is loaded
      throw PolicyLoadError("cannot make a staging folder for plugins (" + pattern + "): " + std::strerror(errno));
    path_ = fs::canonical(buf.data());
  }
  ~StagingDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Loaded {
  PluginSet plugins;
  std::vector<LoadedPluginFile> files;
};

// Whether group or others may write to `p` (following symlinks).
bool writable_by_others(const fs::path& p) {
  std::error_code ec;
  fs::perms perms = fs::status(p, ec).permissions();
  if (ec) return false;
  return (perms & (fs::perms::group_write | fs::perms::others_write)) != fs::perms::none;
}

Loaded load_plugin_files(const PolicySource& source, const PluginTrust& trust) {
  std::vector<fs::path> dirs = plugin_search_path(source.plugin_dirs, !source.no_default_plugins);
  Loaded out;
  std::map<fs::path, std::pair<std::string, std::string>> origin;  // loaded path -> (file, sha256)
  if (!source.stage_plugins) {
    try {
      out.plugins = load_plugins(dirs, trust);
    } catch (const PluginError& e) {
      throw PolicyLoadError(e.what());
    }
    for (const auto& p : out.plugins.plugins) {
      try {
        origin[p->path()] = {p->path().string(), sha256_file_hex(p->path())};
      } catch (const std::exception& e) {
        throw PolicyLoadError(e.what());
      }
    }
  } else {
    auto staging = std::make_shared<StagingDir>();
    std::vector<fs::path> staged_dirs;
    std::vector<std::pair<std::string, std::string>> renames;  // staged folder -> original folder, for messages
    size_t k = 0;
    for (const auto& [dir, files] : plugin_files(dirs)) {
      // The copies are private, so the loader would find them safe: the
      // originals are what group or others might have written.
      if (!trust.allow_writable && writable_by_others(dir))
        throw PolicyLoadError("plugin folder '" + dir.string() + "' is writable by group or others; refusing to load " +
                              "from it (chmod go-w it, or pass --allow-writable-plugins)");
      fs::path sdir = staging->path() / std::to_string(k++);
      fs::create_directory(sdir);
      for (const fs::path& f : files) {
        if (!trust.allow_writable && writable_by_others(f))
          throw PolicyLoadError("plugin '" + f.string() + "': the file is writable by group or others; refusing to " +
                                "load it (chmod go-w it, or pass --allow-writable-plugins)");
        std::string bytes = read_bytes(f);
        fs::path copy = sdir / f.filename();
        std::ofstream o(copy, std::ios::binary);
        o.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        o.close();
        if (!o) throw PolicyLoadError("cannot copy plugin '" + f.string() + "' to " + copy.string());
        origin[copy] = {f.string(), sha256_hex(bytes)};
      }
      staged_dirs.push_back(sdir);
      renames.emplace_back(sdir.string(), dir.string());
    }
    try {
      // The pins are checked on the copies: the very bytes that are loaded.
      out.plugins = load_plugins(staged_dirs, trust);
    } catch (const PluginError& e) {
      std::string msg = e.what();
      for (const auto& [from, to] : renames) replace_all(&msg, from, to);
      throw PolicyLoadError(msg);
    }
    // The copies can go now (the loaded code stays mapped), unless isolated
    // plugins will be loaded from them again by each worker (re)started.
    for (const auto& p : out.plugins.plugins)
      if (p->isolated()) out.plugins.keep_alive = staging;
  }
  for (const auto& p : out.plugins.plugins) {
    LoadedPluginFile f;
    f.criterion = p->criterion();
    f.name = p->name();
    f.version = p->version();
    auto it = origin.find(p->path());
    if (it != origin.end()) f.file = it->second.first, f.sha256 = it->second.second;
    else f.file = p->path().string();
    out.files.push_back(std::move(f));
  }
  return out;
}

}  // namespace

std::shared_ptr<const PolicySnapshot> build_policy_snapshot(const PolicySource& source, uint64_t generation) {
  auto snap = std::make_shared<PolicySnapshot>();
  try {
    RulesDoc doc = read_policy_rules(source.rules);
    PluginTrust trust = plugin_trust_of(doc, source.allow_writable_plugins);
    trust.isolate_all = source.isolate_all;
    trust.isolation = source.isolation;
    Loaded loaded = load_plugin_files(source, trust);
    snap->revision = sha256_hex(doc.resolved_text);
    snap->policy = Policy::compile(std::move(doc), std::move(loaded.plugins));
    snap->plugins = std::move(loaded.files);
    // Every plugin takes its parameters: an Evaluator makes one instance of each.
    Evaluator check(snap->policy);
  } catch (const RulesError& e) {
    std::string msg;
    for (const auto& d : e.diagnostics()) msg += (msg.empty() ? "" : "\n") + d.str();
    throw PolicyLoadError(msg.empty() ? e.what() : msg);
  } catch (const PolicyLoadError&) {
    throw;
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
    for (const auto& [dir, files] : plugin_files(plugin_search_path(source_.plugin_dirs, !source_.no_default_plugins)))
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
