// Finding, loading and validating criterion plugins (Boost.DLL), and making
// instances of them. Only the host uses Boost.DLL; plugins see the C ABI.
#ifndef INSOURCE_HOST_PLUGIN_LOADER_H_
#define INSOURCE_HOST_PLUGIN_LOADER_H_

#include <insource/plugin.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/fact_decl.h"
#include "core/value.h"
#include "plugin_host/plugin_calls.h"

namespace boost::dll {
class shared_library;
}

namespace insource {

namespace wire {
class Writer;
class Reader;
}  // namespace wire

// How isolated plugins run (plugin_isolation.h, docs/reliability.md section 2).
struct IsolationConfig {
  std::filesystem::path worker;  // the worker binary; empty: find_plugin_worker()
  uint32_t timeout_ms = 1000;    // per evaluate call, unless the rules set the criterion's timeout_ms
  uint32_t memory_mib = 1024;    // address-space limit of a worker process; 0: none
  bool sandbox = false;          // workers run in the sandbox (plugin_host/sandbox.h)
};

// A plugin file that cannot be used: the message names the file.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PluginInstance;
struct PluginFile;

// A loaded plugin: its library (kept loaded while this or any instance
// lives) and a validated copy of what its descriptor says. (LoadedPlugin,
// not Plugin: insource::Plugin is the SDK's base class for plugin authors.)
class LoadedPlugin : public std::enable_shared_from_this<LoadedPlugin> {
 public:
  // Loads and validates a plugin from bytes already read and hashed
  // (plugin_file.h): the file itself is not opened again. Throws PluginError
  // naming the file.
  static std::shared_ptr<const LoadedPlugin> load(const PluginFile& file);
  // Reads `file` once and loads those bytes. With `sha256` (hex), refuses
  // bytes of another hash: what was checked is what is loaded.
  static std::shared_ptr<const LoadedPlugin> load(const std::filesystem::path& file, const std::string& sha256 = {});

  // The validated descriptor, as a worker process sends it to the host
  // (plugin_isolation.h), and the host's copy made from it: a Plugin that
  // is isolated() and cannot be instantiate()d in this process. decode()
  // validates again and throws PluginError naming the file.
  void encode(wire::Writer& w) const;
  static std::shared_ptr<const LoadedPlugin> decode(wire::Reader& r, const std::filesystem::path& file,
                                              const std::string& sha256);

  const std::filesystem::path& path() const { return path_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& criterion() const { return criterion_; }
  const std::string& description() const { return description_; }
  uint32_t abi_major() const { return abi_major_; }
  uint32_t abi_minor() const { return abi_minor_; }
  double score_min() const { return score_min_; }
  double score_max() const { return score_max_; }
  const std::vector<FactDecl>& facts() const { return facts_; }
  const std::vector<ParamDecl>& params() const { return params_; }
  // SHA-256 (hex) of the file as loaded; empty when not known.
  const std::string& sha256() const { return sha256_; }
  // Known only through a worker process: never loaded into this one.
  bool isolated() const { return isolated_; }

  // A new instance with these parameter values, one per declared parameter
  // in declaration order. Throws PluginError with the plugin's message.
  std::unique_ptr<PluginInstance> instantiate(const std::vector<ParamValue>& params) const;

  // For tests that build a Plugin by hand around a descriptor already in
  // memory (no library).
  static std::shared_ptr<const LoadedPlugin> from_descriptor(const insource_plugin_descriptor* d,
                                                       const std::filesystem::path& label);

 private:
  LoadedPlugin() = default;
  void read_descriptor(const insource_plugin_descriptor* d);

  std::shared_ptr<boost::dll::shared_library> library_;
  const insource_plugin_descriptor* descriptor_ = nullptr;
  std::filesystem::path path_;
  std::string name_, version_, criterion_, description_;
  uint32_t abi_major_ = 0, abi_minor_ = 0;
  double score_min_ = -1.0, score_max_ = 1.0;
  std::vector<FactDecl> facts_;
  std::vector<ParamDecl> params_;
  std::string sha256_;
  bool isolated_ = false;
  void* log_context_ = nullptr;  // plugin_log_context(name_): outlives this object on purpose

  friend class PluginInstance;
};

// One instance of a plugin. Not thread-safe: one per worker thread.
class PluginInstance {
 public:
  PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, void* handle);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  // Calls the plugin's evaluate; `vote` is zeroed first.
  int32_t evaluate(const insource_value* facts, size_t count, uint32_t flags, insource_vote* vote) {
    *vote = insource_vote{};
    PluginCallScope scope(&call_);  // an exit() in there is named (plugin_calls.h)
    return evaluate_(handle_, facts, count, flags, vote);
  }

  const LoadedPlugin& plugin() const { return *plugin_; }

 private:
  std::shared_ptr<const LoadedPlugin> plugin_;  // keeps the library loaded
  void* handle_;
  decltype(insource_plugin_descriptor::evaluate) evaluate_;
  PluginCall call_;
};

// The plugins found on the search path.
struct PluginSet {
  std::vector<std::shared_ptr<const LoadedPlugin>> plugins;
  // How the isolated ones run (their workers load the files again by path).
  IsolationConfig isolation;
  // Whatever must outlive the plugins, e.g. the folder of private copies
  // that isolated plugins are loaded from (policy_store.cc).
  std::shared_ptr<const void> keep_alive;

  // The plugin that votes on `criterion`, or null.
  std::shared_ptr<const LoadedPlugin> find(std::string_view criterion) const;
};

// Where plugins are looked for, in order: `extra` (--plugins), then the
// colon-separated INSOURCE_PLUGIN_PATH, then <dir of the binary>/../lib/insource/plugins
// (or `default_dir` when given: the Python package's own).
// Never the current directory, unless one of these names it.
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& extra,
                                                      bool include_default = true,
                                                      const std::filesystem::path& default_dir = {});

// The folder beside the running binary: <bin>/../lib/insource/plugins.
std::filesystem::path default_plugin_dir();

// Loads every plugin file (*.so) in the folders (missing folders are skipped,
// a folder seen twice is read once). Throws PluginError on the first file that
// cannot be used, or when two plugins vote on one criterion.
// Logs (spdlog info) the path and SHA-256 of every plugin it loads. Does
// not check permissions or pins: the CLI uses the overload below.
PluginSet load_plugins(const std::vector<std::filesystem::path>& dirs);

// How far the host trusts plugin files (docs/reliability.md, section 3).
struct PluginTrust {
  // criterion -> SHA-256 (lower-case hex) its plugin file must have. When not
  // empty, every candidate file is hashed before anything is loaded, only
  // files whose hash is one of these are loaded (the others are never
  // opened), each must declare the criterion it is pinned for, and every
  // pinned criterion must be found.
  std::map<std::string, std::string> pins;
  // Load plugin files or folders that group or others may write to.
  bool allow_writable = false;
  // Run these plugins in worker processes (all of them, or those voting on
  // the listed criteria). When any is isolated, every file's descriptor is
  // read in a worker first, and only the others are then loaded in-process.
  bool isolate_all = false;
  std::set<std::string> isolate;
  IsolationConfig isolation;
};

// As above, under `trust`. Throws PluginError naming the file (and its hash).
PluginSet load_plugins(const std::vector<std::filesystem::path>& dirs, const PluginTrust& trust);

}  // namespace insource

#endif  // INSOURCE_HOST_PLUGIN_LOADER_H_
