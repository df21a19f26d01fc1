// insource decide: the verdict on one or more cases.
#include <iostream>

#include "io/case_reader.h"
#include "common.h"
#include "policy/evaluator.h"
#include "io/json_text.h"
#include "tools/margins.h"
#include "io/report.h"
#include "tools/simulate_report.h"

namespace insource::cli {

namespace {

struct DecideOptions {
  EngineOptions engine;
  std::string format = "text";
  bool margins = false;
  SimulateFlags simulate;
  std::vector<std::string> cases;
};

int run_decide(const DecideOptions& o) {
  auto policy = load_engine(o.engine);
  if (!policy) return kExitUsage;
  const bool json = o.format == "json";
  bool first = true;
  auto emit = [&](const CaseFacts& c, const Decision& d, const Simulation* sim) {
    if (json) {
      nlohmann::ordered_json j = decision_json(*policy, c, d);
      if (o.margins && !d.failed) j["margins"] = margins_json(*policy, compute_margins(*policy, c, d));
      if (sim) j["simulation"] = simulation_json(*sim);
      std::cout << json_text(j) << "\n";
    } else if (sim) {
      // The decision at the most likely values, then what the draws say.
      std::cout << (first ? "" : "\n");
      if (!d.failed) std::cout << decision_text(*policy, c, d) << "\n";
      else std::cout << "case " << c.id << "\n  no verdict at the most likely values: " << d.error << "\n\n";
      std::cout << simulation_text(*sim);
      if (o.margins && !d.failed) std::cout << "\n" << margins_text(*policy, compute_margins(*policy, c, d));
      first = false;
    } else if (!d.failed) {
      std::cout << (first ? "" : "\n") << decision_text(*policy, c, d);
      if (o.margins) std::cout << "\n" << margins_text(*policy, compute_margins(*policy, c, d));
      first = false;
    }
  };
  const std::optional<SimulationOptions> simulate = o.simulate.options();
  bool failed = decide_case_files(policy, o.cases, o.engine.limits, json, simulate ? &*simulate : nullptr, emit);
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

void register_decide(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<DecideOptions>();
  CLI::App* cmd = app.add_subcommand("decide", "Decide one or more cases: the verdict, and each criterion's part in it");
  add_engine_options(cmd, &o->engine);
  cmd->add_option("--format", o->format, "text (for people) or json (one object per case, a line each)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--margins", o->margins,
                "Also say what would flip each verdict: per criterion the weights and scores that keep it, the "
                "distance to the thresholds, the facts an override depends on");
  add_simulate_options(cmd, &o->simulate);
  cmd->add_option("cases", o->cases, "Case files (YAML or JSON; - for standard input)")->required()->type_name("CASE");
  cmd->callback([o, exit_code]() { *exit_code = run_decide(*o); });
}

}  // namespace insource::cli
