#include "common.h"

#include <iostream>

namespace insource::cli {

void add_plugin_options(CLI::App* cmd, EngineOptions* o) {
  cmd->add_option("--plugins", o->plugin_dirs,
                  "A folder of plugins to load (repeatable); also INSOURCE_PLUGIN_PATH, then the folder beside the binary")
      ->type_name("DIR");
  cmd->add_flag("--no-default-plugins", o->no_default_plugins,
                "Do not load the plugins installed beside the binary");
}

void add_engine_options(CLI::App* cmd, EngineOptions* o) {
  cmd->add_option("--rules", o->rules, "The rules file (default: the built-in default policy)")->type_name("FILE");
  add_plugin_options(cmd, o);
}

bool load_plugin_set(const EngineOptions& o, PluginSet* out) {
  try {
    *out = load_plugins(plugin_search_path(o.plugin_dirs, !o.no_default_plugins));
    return true;
  } catch (const PluginError& e) {
    std::cerr << "insource: " << e.what() << "\n";
    return false;
  }
}

std::shared_ptr<const Policy> load_engine(const EngineOptions& o) {
  PluginSet plugins;
  if (!load_plugin_set(o, &plugins)) return nullptr;
  try {
    return load_policy(o.rules, std::move(plugins));
  } catch (const RulesError& e) {
    for (const auto& d : e.diagnostics()) std::cerr << d.str() << "\n";
    return nullptr;
  } catch (const PluginError& e) {
    std::cerr << "insource: " << e.what() << "\n";
    return nullptr;
  }
}

}  // namespace insource::cli
