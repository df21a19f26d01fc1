// insource decide: the verdict on one or more cases.
#include <iostream>

#include "case_reader.h"
#include "common.h"
#include "evaluator.h"
#include "margins.h"
#include "report.h"

namespace insource::cli {

namespace {

struct DecideOptions {
  EngineOptions engine;
  std::string format = "text";
  bool margins = false;
  std::vector<std::string> cases;
};

int run_decide(const DecideOptions& o) {
  auto policy = load_engine(o.engine);
  if (!policy) return kExitUsage;
  Evaluator evaluator(policy);
  Decision d;
  bool any_failed = false, first = true;
  for (const std::string& file : o.cases) {
    for (CaseInput& in : read_case_file(file, policy->schema())) {
      if (!in.value) {
        // A bad case is reported on its own; the others still get their verdicts.
        any_failed = true;
        std::cerr << "insource: " << in.error << "\n";
        if (o.format == "json") {
          nlohmann::ordered_json j;
          j["id"] = in.id;
          j["error"] = {{"kind", "case"}, {"message", in.error}};
          std::cout << j.dump() << "\n";
        }
        continue;
      }
      evaluator.decide(*in.value, &d, true);
      if (d.failed) {
        any_failed = true;
        std::cerr << "insource: case " << in.value->id << ": " << d.error << "\n";
      }
      if (o.format == "json") {
        nlohmann::ordered_json j = decision_json(*policy, *in.value, d);
        if (o.margins && !d.failed) j["margins"] = margins_json(*policy, compute_margins(*policy, *in.value, d));
        std::cout << j.dump() << "\n";
      } else if (!d.failed) {
        std::cout << (first ? "" : "\n") << decision_text(*policy, *in.value, d);
        if (o.margins) std::cout << "\n" << margins_text(*policy, compute_margins(*policy, *in.value, d));
        first = false;
      }
    }
  }
  std::cout.flush();
  return any_failed ? kExitFailed : kExitOk;
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
  cmd->add_option("cases", o->cases, "Case files (YAML or JSON; - for standard input)")->required()->type_name("CASE");
  cmd->callback([o, exit_code]() { *exit_code = run_decide(*o); });
}

}  // namespace insource::cli
