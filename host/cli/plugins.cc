// insource plugins: what each loaded plugin is and what it reads.
#include <iostream>

#include "common.h"
#include "plugin_host/sandbox.h"

namespace insource::cli {

namespace {

std::string fallback_text(const FactDecl& f) {
  if (!f.has_fallback) return f.required ? "required" : "optional";
  switch (f.type) {
    case Type::kNumber: return "default " + format_number(f.fallback_number);
    case Type::kBool: return std::string("default ") + (f.fallback_bool ? "true" : "false");
    case Type::kString: return "default \"" + f.fallback_string + "\"";
    case Type::kAbsent: break;
  }
  return "";
}

std::string range_text(const FactDecl& f) {
  std::string out;
  if (!f.allowed.empty()) {
    for (const auto& a : f.allowed) out += (out.empty() ? "" : "|") + a;
    return " {" + out + "}";
  }
  if (f.min != -HUGE_VAL) out += std::string(f.min_exclusive ? " >" : " >=") + format_number(f.min);
  if (f.max != HUGE_VAL) out += " <=" + format_number(f.max);
  return out;
}

void print_plugin(const Plugin& p) {
  std::cout << p.criterion() << ": " << p.name() << " " << p.version() << " (ABI " << p.abi_major() << "."
            << p.abi_minor() << ")\n"
            << "  file: " << p.path().string() << "\n"
            << "  sha256: " << p.sha256() << (p.isolated() ? " (isolated: runs in a worker process)" : "") << "\n"
            << "  " << p.description() << "\n"
            << "  score range: [" << format_number(p.score_min()) << ", " << format_number(p.score_max()) << "]\n";
  std::cout << "  facts:\n";
  for (const FactDecl& f : p.facts()) {
    std::cout << "    " << f.name << ": " << type_name(f.type) << range_text(f) << ", " << fallback_text(f);
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

}  // namespace

void register_plugins(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<EngineOptions>();
  CLI::App* cmd = app.add_subcommand("plugins", "List the loaded plugins: file, version, ABI, facts and parameters");
  add_plugin_options(cmd, o.get());
  cmd->callback([o, exit_code]() {
    PluginSet set;
    if (!load_plugin_set(*o, &set)) {
      *exit_code = kExitUsage;
      return;
    }
    if (set.plugins.empty()) std::cout << "no plugins found (search path: see --plugins and INSOURCE_PLUGIN_PATH)\n";
    bool first = true;
    for (const auto& p : set.plugins) {
      if (!first) std::cout << "\n";
      first = false;
      print_plugin(*p);
    }
    // What --sandbox can use on this machine (docs/reliability.md section 2).
    std::cout << "\nsandbox (--sandbox): " << sandbox_support().describe() << "\n";
    *exit_code = kExitOk;
  });
}

}  // namespace insource::cli
