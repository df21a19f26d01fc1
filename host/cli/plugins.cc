// insource plugins: what each loaded plugin is and what it reads.
#include <iostream>

#include "common.h"
#include "plugin_host/plugin_files.h"
#include "tools/decl_json.h"
#include "decl_text.h"
#include "io/json_text.h"
#include "plugin_host/sandbox.h"

namespace insource::cli {

namespace {

void print_plugin(const LoadedPlugin& p) {
  std::cout << p.criterion() << ": " << p.name() << " " << p.version() << " (ABI " << p.abi_major() << "."
            << p.abi_minor() << ")\n"
            << "  file: " << p.path().string() << "\n"
            << "  sha256: " << p.sha256() << (p.isolated() ? " (isolated: runs in a worker process)" : "") << "\n"
            << "  " << p.description() << "\n"
            << "  score range: [" << format_number(p.score_min()) << ", " << format_number(p.score_max()) << "]\n";
  std::cout << "  facts:\n";
  for (const FactDecl& f : p.facts()) {
    std::cout << "    " << f.name << ": " << type_name(f.type) << fact_range_text(f) << ", " << fact_fallback_text(f);
    if (!f.unit.empty()) std::cout << ", " << f.unit;
    if (!f.description.empty()) std::cout << " - " << f.description;
    std::cout << "\n";
  }
  if (!p.params().empty()) {
    std::cout << "  params:\n";
    for (const ParamDecl& d : p.params()) {
      std::cout << "    " << d.name << ": " << type_name(d.type) << ", default " << ParamValue::fallback_of(d).describe();
      if (!d.description.empty()) std::cout << " - " << d.description;
      std::cout << "\n";
    }
  }
}

struct PluginsOptions {
  EngineOptions engine;
  std::string format = "text";
};

}  // namespace

void register_plugins(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<PluginsOptions>();
  CLI::App* cmd = app.add_subcommand("plugins", "List the loaded plugins: file, version, ABI, facts and parameters");
  add_plugin_options(cmd, &o->engine);
  cmd->add_option("--format", o->format, "text, or json (an array with one object per plugin, for tools)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([o, exit_code]() {
    PluginSet set;
    if (!load_plugin_set(o->engine, &set)) {
      *exit_code = kExitUsage;
      return;
    }
    if (o->format == "json") {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const auto& p : set.plugins) list.push_back(plugin_json(*p));
      std::cout << json_text(list, 2) << "\n";
      *exit_code = kExitOk;
      return;
    }
    if (set.plugins.empty()) std::cout << "no plugins found (search path: see --plugins and INSOURCE_PLUGIN_PATH)\n";
    bool first = true;
    for (const auto& p : set.plugins) {
      if (!first) std::cout << "\n";
      first = false;
      print_plugin(*p);
    }
    const auto skipped = skipped_plugin_files(plugin_search_path(o->engine.plugin_dirs, !o->engine.no_default_plugins));
    if (!skipped.empty()) {
      std::cout << (set.plugins.empty() ? "" : "\n") << "skipped (not loaded as plugins):\n";
      for (const std::string& s : skipped) std::cout << "  " << s << "\n";
    }
    // What --sandbox can use on this machine (docs/reliability.md section 2).
    std::cout << "\nsandbox (--sandbox): " << sandbox_support().describe() << "\n";
    *exit_code = kExitOk;
  });
}

}  // namespace insource::cli
