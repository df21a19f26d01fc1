#include "policy/load_policy.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "plugin_host/sha256.h"

namespace insource {

namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw PluginError("plugin '" + file.string() + "' cannot be read: " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw PluginError("plugin '" + file.string() + "' cannot be read");
  return std::move(s).str();
}

void replace_all(std::string* s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size()))
    s->replace(at, from.size(), to);
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
      throw PluginError("cannot make a staging folder for plugins (" + pattern + "): " + std::strerror(errno));
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
  std::vector<fs::path> dirs = plugin_search_path(source.plugin_dirs, !source.no_default_plugins, source.default_plugin_dir);
  Loaded out;
  std::map<fs::path, std::pair<std::string, std::string>> origin;  // loaded path -> (file, sha256)
  if (!source.stage_plugins) {
    out.plugins = load_plugins(dirs, trust);
    // The hash of the bytes loaded (the file may have changed since).
    for (const auto& p : out.plugins.plugins) origin[p->path()] = {p->path().string(), p->sha256()};
  } else {
    auto staging = std::make_shared<StagingDir>();
    std::vector<fs::path> staged_dirs;
    std::vector<std::pair<std::string, std::string>> renames;  // staged folder -> original folder, for messages
    size_t k = 0;
    for (const auto& [dir, files] : plugin_files(dirs)) {
      // The copies are private, so the loader would find them safe: the
      // originals are what group or others might have written.
      if (!trust.allow_writable && writable_by_others(dir))
        throw PluginError("plugin folder '" + dir.string() + "' is writable by group or others; refusing to load " +
                              "from it (chmod go-w it, or pass --allow-writable-plugins)");
      fs::path sdir = staging->path() / std::to_string(k++);
      fs::create_directory(sdir);
      for (const fs::path& f : files) {
        if (!trust.allow_writable && writable_by_others(f))
          throw PluginError("plugin '" + f.string() + "': the file is writable by group or others; refusing to " +
                                "load it (chmod go-w it, or pass --allow-writable-plugins)");
        std::string bytes = read_bytes(f);
        fs::path copy = sdir / f.filename();
        std::ofstream o(copy, std::ios::binary);
        o.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        o.close();
        if (!o) throw PluginError("cannot copy plugin '" + f.string() + "' to " + copy.string());
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
      throw PluginError(msg);
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
    if (ec) throw PluginError("plugin folder '" + dir.string() + "' cannot be read: " + ec.message());
    std::sort(files.begin(), files.end());
    std::vector<fs::path> kept;
    for (const fs::path& f : files)
      if (seen_files.insert(fs::canonical(f, ec)).second) kept.push_back(f);
    out.emplace_back(canon, std::move(kept));
  }
  return out;
}

LoadedPolicy bind_policy(RulesDoc doc, const PolicySource& source) {
  PluginTrust trust = plugin_trust_of(doc, source.allow_writable_plugins);
  trust.isolate_all = source.isolate_all;
  trust.isolation = source.isolation;
  Loaded loaded = load_plugin_files(source, trust);
  LoadedPolicy out;
  out.revision = sha256_hex(doc.resolved_text);
  out.policy = Policy::compile(std::move(doc), std::move(loaded.plugins));
  out.plugins = std::move(loaded.files);
  return out;
}

LoadedPolicy load_policy(const PolicySource& source) {
  // The rules first: their sha256 pins decide which plugin files may be opened
  // at all, and their isolate keys which ones may be opened in this process.
  return bind_policy(read_policy_rules(source.rules, source.limits), source);
}

}  // namespace insource
