// insource explain: why a case got its verdict, and what would change it.
#include <iostream>

#include "case_reader.h"
#include "common.h"
#include "evaluator.h"
#include "explain.h"

namespace insource::cli {

namespace {

struct ExplainOptions {
  EngineOptions engine;
  std::string level = "full";
  std::string format = "text";
  std::vector<std::string> cases;
};

int run_explain(const ExplainOptions& o) {
  auto policy = load_engine(o.engine);
  if (!policy) return kExitUsage;
  const ExplainLevel level = *parse_explain_level(o.level);
  Evaluator evaluator(policy);
  Decision d;
  bool any_failed = false, first = true;
  for (const std::string& file : o.cases) {
    for (CaseInput& in : read_case_file(file, policy->schema())) {
      if (!in.value) {
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
        std::cout << explain_json(*policy, *in.value, d, level).dump() << "\n";
      } else if (!d.failed) {
        std::cout << (first || level == ExplainLevel::kBrief ? "" : "\n") << explain_text(*policy, *in.value, d, level);
        first = false;
      }
    }
  }
  std::cout.flush();
  return any_failed ? kExitFailed : kExitOk;
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
  cmd->add_option("cases", o->cases, "Case files (YAML or JSON; - for standard input)")->required()->type_name("CASE");
  cmd->callback([o, exit_code]() { *exit_code = run_explain(*o); });
}

}  // namespace insource::cli
