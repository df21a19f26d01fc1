// insource explain: why a case got its verdict, and what would change it.
#include <iostream>

#include "io/case_reader.h"
#include "common.h"
#include "policy/evaluator.h"
#include "tools/explain.h"
#include "io/json_text.h"
#include "tools/simulate_report.h"

namespace insource::cli {

namespace {

struct ExplainOptions {
  EngineOptions engine;
  std::string level = "full";
  std::string format = "text";
  SimulateFlags simulate;
  std::vector<std::string> cases;
};

int run_explain(const ExplainOptions& o) {
  auto policy = load_engine(o.engine);
  if (!policy) return kExitUsage;
  const ExplainLevel level = *parse_explain_level(o.level);
  const bool json = o.format == "json";
  bool first = true;
  auto emit = [&](const CaseFacts& c, const Decision& d, const Simulation* sim) {
    if (json) {
      nlohmann::ordered_json j = explain_json(*policy, c, d, level);
      if (sim) j["simulation"] = simulation_json(*sim);
      std::cout << json_text(j) << "\n";
    } else if (!d.failed) {
      // With --simulate, the explanation is of the verdict at the most likely values.
      std::cout << (first || level == ExplainLevel::kBrief ? "" : "\n") << explain_text(*policy, c, d, level);
      if (sim) std::cout << (level == ExplainLevel::kBrief ? "" : "\n") << simulation_text(*sim);
      first = false;
    }
  };
  const std::optional<SimulationOptions> simulate = o.simulate.options();
  bool failed = decide_case_files(policy, o.cases, o.engine.limits, json, simulate ? &*simulate : nullptr, emit);
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

void register_explain(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ExplainOptions>();
  CLI::App* cmd = app.add_subcommand(
      "explain", "Explain verdicts: the reason, each criterion and the facts it read, the trace of every override, "
                 "and what would flip the verdict");
  add_engine_options(cmd, &o->engine);
  cmd->add_option("--level", o->level,
                  "brief (one line), full (the table, the facts read and the flip margins) or trace (also every "
                  "override's condition, step by step)")
      ->check(CLI::IsMember({"brief", "full", "trace"}));
  cmd->add_option("--format", o->format, "text (for people) or json (one object per case, a line each)")
      ->check(CLI::IsMember({"text", "json"}));
  add_simulate_options(cmd, &o->simulate);
  cmd->add_option("cases", o->cases, "Case files (YAML or JSON; - for standard input)")->required()->type_name("CASE");
  cmd->callback([o, exit_code]() { *exit_code = run_explain(*o); });
}

}  // namespace insource::cli
