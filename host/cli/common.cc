#include "common.h"

#include <nlohmann/json.hpp>

#include "io/case_reader.h"
#include "io/distribution_reader.h"

#include <fstream>
#include <iostream>
#include <optional>

#include "policy/input_limits.h"
#include "io/json_text.h"

namespace insource::cli {

void add_plugin_options(CLI::App* cmd, EngineOptions* o) {
  cmd->add_option("--plugins", o->plugin_dirs,
                  "A folder of plugins to load (repeatable); also INSOURCE_PLUGIN_PATH, then the folder beside the binary")
      ->type_name("DIR")
      ->allow_extra_args(false);  // one folder per --plugins: `--plugins DIR cases.jsonl` must not swallow the input
  cmd->add_flag("--no-default-plugins", o->no_default_plugins,
                "Do not load the plugins installed beside the binary");
  cmd->add_flag("--allow-writable-plugins", o->allow_writable_plugins,
                "Load plugin files and folders that group or others may write to (refused by default)");
  cmd->add_flag("--isolate", o->isolate,
                "Run every plugin in a worker process: a crash, hang or memory exhaustion costs the case a fault, "
                "not the run (the rules may isolate single criteria with isolate: true)");
  cmd->add_option("--plugin-timeout", o->isolation.timeout_ms,
                  "Per-call time limit of an isolated plugin, in ms (default 1000; the rules' timeout_ms wins)")
      ->type_name("MS")
      ->check(CLI::Range(1u, 3600000u));
  cmd->add_option("--isolate-memory", o->isolation.memory_mib,
                  "Address-space limit of each plugin worker process, in MiB (default 1024; 0: none)")
      ->type_name("MIB");
  cmd->add_flag("--sandbox", o->isolation.sandbox,
                "Isolate every plugin (as --isolate) in a sandboxed worker: no network, no new processes, no writes "
                "outside a private temporary folder; a plugin that tries gets a fault naming what it tried");
}

PolicySource policy_source_of(const EngineOptions& o) {
  PolicySource source;
  source.rules = o.rules;
  source.plugin_dirs = o.plugin_dirs;
  source.no_default_plugins = o.no_default_plugins;
  source.allow_writable_plugins = o.allow_writable_plugins;
  source.isolate_all = o.isolate || o.isolation.sandbox;
  source.isolation = o.isolation;
  source.stage_plugins = false;
  source.limits = o.limits;
  return source;
}

void add_engine_options(CLI::App* cmd, EngineOptions* o) {
  cmd->add_option("--rules", o->rules, "The rules file (default: the built-in default policy)")->type_name("FILE");
  add_plugin_options(cmd, o);
  // Hostile-input limits (docs/reliability.md section 4), handed to the rules loader and the case readers.
  InputLimits& limits = o->limits;
  cmd->add_option("--max-file-bytes", limits.max_file_bytes, "Refuse a rules or case file larger than this (default 64 MiB)")
      ->type_name("N");
  cmd->add_option("--max-yaml-depth", limits.max_yaml_depth, "Refuse YAML/JSON nested deeper than this (default 64)")
      ->type_name("N");
  cmd->add_option("--max-yaml-nodes", limits.max_yaml_nodes,
                  "Refuse a YAML document that expands (aliases counted at each use) to more nodes (default 1000000)")
      ->type_name("N");
}

bool load_plugin_set(const EngineOptions& o, PluginSet* out) {
  PluginTrust trust;
  trust.allow_writable = o.allow_writable_plugins;
  trust.isolate_all = o.isolate || o.isolation.sandbox;
  trust.isolation = o.isolation;
  try {
    *out = load_plugins(plugin_search_path(o.plugin_dirs, !o.no_default_plugins), trust);
    return true;
  } catch (const PluginError& e) {
    std::cerr << "insource: " << e.what() << "\n";
    return false;
  }
}

std::shared_ptr<const Policy> build_policy(const EngineOptions& o) { return load_policy(policy_source_of(o)).policy; }

std::shared_ptr<const Policy> load_engine(const EngineOptions& o) {
  try {
    return build_policy(o);
  } catch (const RulesError& e) {
    for (const auto& d : e.diagnostics()) std::cerr << d.str() << "\n";
    return nullptr;
  } catch (const PluginError& e) {
    std::cerr << "insource: " << e.what() << "\n";
    return nullptr;
  }
}

bool read_input_file(const std::string& file, const InputLimits& limits, std::string* text) {
  std::string why;
  if (file == "-") {
    why = read_bounded(std::cin, limits, text);
  } else if (why = why_unreadable(file); why.empty()) {
    if (why = check_file_size(file, limits); why.empty()) {
      std::ifstream in(file, std::ios::binary);
      why = read_bounded(in, limits, text);
    }
  }
  if (why.empty()) return true;
  std::cerr << "insource: cannot read '" << (file == "-" ? "<stdin>" : file) << "': " << why << "\n";
  return false;
}

bool decide_case_files(const std::shared_ptr<const Policy>& policy, const std::vector<std::string>& files,
                       const InputLimits& limits, bool json, const SimulationOptions* simulate,
                       const DecisionSink& emit) {
  Evaluator evaluator(policy);
  Decision d;
  bool any_failed = false;
  for (const std::string& file : files) {
    std::vector<CaseInput> inputs = read_case_file(file, policy->schema(), limits);
    if (!simulate) refuse_uncertain(&inputs, policy->schema(), kSimulateToDecide);
    for (CaseInput& in : inputs) {
      if (!in.value) {
        any_failed = true;
        std::cerr << "insource: " << in.error << "\n";
        if (json) {
          nlohmann::ordered_json j;
          j["id"] = in.id;
          if (in.line > 0) j["line"] = in.line;
          if (in.column > 0) j["column"] = in.column;
          j["error"] = {{"kind", input_error_label(in.kind)}, {"message", in.error}};
          std::cout << json_text(j) << "\n";
        }
        continue;
      }
      std::optional<Simulation> sim;
      if (simulate) sim = insource::simulate(policy, *in.value, *simulate);
      const Decision& decided = sim ? sim->likely : d;
      if (!sim) evaluator.decide(*in.value, &d, true);
      if (decided.failed) {
        any_failed = true;
        // Named like every other case error: where the case is, then the case.
        std::cerr << "insource: " << in.value->source << ": case " << in.value->id << ": " << decided.error << "\n";
      }
      emit(*in.value, decided, sim ? &*sim : nullptr);
    }
  }
  std::cout.flush();
  return any_failed;
}

std::optional<SimulationOptions> SimulateFlags::options() const {
  if (draws == 0) return std::nullopt;
  SimulationOptions o;
  o.draws = draws;
  o.seed = seed;
  o.jobs = jobs;
  return o;
}

void add_simulate_options(CLI::App* cmd, SimulateFlags* f) {
  cmd->add_option("--simulate", f->draws,
                  "Monte Carlo over the case's uncertain facts and the rules' weight ranges: N draws (e.g. 10000); "
                  "reports each verdict's probability, the total's quantiles and the inputs that drive the outcome")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100000000}))
      ->type_name("N");
  cmd->add_option("--seed", f->seed, "The simulation's seed (default 1): the same seed gives the same result")
      ->type_name("S");
  cmd->add_option("--jobs", f->jobs, "Threads for the simulation (default 1); the result does not depend on it")
      ->check(CLI::Range(1u, 256u))
      ->type_name("N");
}

}  // namespace insource::cli
