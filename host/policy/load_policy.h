// Loading a policy the one way every front end does: the rules first (their
// sha256 pins, isolate keys and the writability rule decide which plugin
// files may be opened at all, and where), then the plugins, then the binding.
// The CLI, the server's policy store and the rule-test runner all call
// load_policy(); none of them assembles these steps itself, so a pin or a
// limit can never hold in one front end and not in another.
#ifndef INSOURCE_POLICY_LOAD_POLICY_H_
#define INSOURCE_POLICY_LOAD_POLICY_H_

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "plugin_host/plugin_loader.h"
#include "policy/input_limits.h"
#include "policy/policy.h"

namespace insource {

// Where a policy comes from, how far its files are trusted, and the limits
// its files are read under.
struct PolicySource {
  std::string rules;                     // empty: the built-in default policy
  std::vector<std::string> plugin_dirs;  // --plugins, before INSOURCE_PLUGIN_PATH and the default folder
  bool no_default_plugins = false;
  // The installed plugins' folder; empty: ../lib/insource/plugins beside the
  // program (the Python package, whose program is python3, names its own).
  std::filesystem::path default_plugin_dir;
  bool allow_writable_plugins = false;   // --allow-writable-plugins
  // Load private copies of the plugin files: a long-running server, so that a
  // file replaced on disk really is loaded anew on reload (service/policy_store.h).
  // The CLI loads the files in place.
  bool stage_plugins = true;
  bool isolate_all = false;              // --isolate: every plugin in worker processes
  IsolationConfig isolation;             // --plugin-timeout, --isolate-memory, --sandbox
  InputLimits limits;                    // --max-file-bytes, --max-yaml-depth, --max-yaml-nodes
};

// A plugin file as loaded.
struct LoadedPluginFile {
  std::string criterion, name, version;
  std::string file;    // the file it was loaded from (not the private copy)
  std::string sha256;  // of the file's contents as loaded
};

struct LoadedPolicy {
  std::shared_ptr<const Policy> policy;
  std::vector<LoadedPluginFile> plugins;  // as policy->plugins()
  std::string revision;                   // SHA-256 (hex) of the resolved rules text
};

// Reads the rules (held to source.limits), loads the plugins under the
// rules' trust, and binds them. Throws RulesError (every problem,
// file:line:column) or PluginError (naming the file or folder).
LoadedPolicy load_policy(const PolicySource& source);

// The same from rules already read (`insource check` goes on from rules
// that read only in part); source.rules is not read.
LoadedPolicy bind_policy(RulesDoc doc, const PolicySource& source);

// The plugin files load_plugins() would load from `dirs`, folder by folder,
// in its order (missing and repeated folders and repeated files skipped).
// Throws PluginError when a folder cannot be listed.
std::vector<std::pair<std::filesystem::path, std::vector<std::filesystem::path>>> plugin_files(
    const std::vector<std::filesystem::path>& dirs);

}  // namespace insource

#endif  // INSOURCE_POLICY_LOAD_POLICY_H_
