// insource diff: which verdicts a changed policy would change, and why.
#include <iostream>

#include "common.h"
#include "io/json_text.h"
#include "tools/policy_diff.h"

namespace insource::cli {

namespace {

struct DiffOptions {
  EngineOptions engine;  // plugins only: the rules are the two compared
  std::string old_rules, new_rules;
  std::vector<std::string> cases;
  std::string format = "text";
  bool fail_on_change = false;
};

int run_diff(const DiffOptions& o) {
  // Each side with its own rules' pins and isolation, exactly as decide would load it.
  EngineOptions old_side = o.engine, new_side = o.engine;
  old_side.rules = o.old_rules;
  new_side.rules = o.new_rules;
  auto before = load_engine(old_side);
  auto after = load_engine(new_side);
  if (!before || !after) return kExitUsage;
  PolicyDiff d = diff_policies(before, after, o.cases);
  if (o.format == "json") std::cout << json_text(policy_diff_json(d), 2) << "\n";
  else std::cout << policy_diff_text(d);
  std::cout.flush();
  if (!d.errors.empty()) return kExitFailed;
  return o.fail_on_change && !d.changed.empty() ? kExitFailed : kExitOk;
}

}  // namespace

void register_diff(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<DiffOptions>();
  CLI::App* cmd = app.add_subcommand(
      "diff", "Compare two policies on cases: every case whose verdict would change, both verdicts and why");
  add_plugin_options(cmd, &o->engine);
  cmd->add_option("--format", o->format, "text (for people) or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--fail-on-change", o->fail_on_change, "Exit with status 1 when some verdict changes");
  cmd->add_option("old", o->old_rules, "The rules in force")->required()->type_name("OLD.yaml");
  cmd->add_option("new", o->new_rules, "The changed rules")->required()->type_name("NEW.yaml");
  cmd->add_option("cases", o->cases, "Case files (YAML, JSON or JSON Lines; - for standard input)")
      ->required()
      ->type_name("CASES");
  cmd->callback([o, exit_code]() { *exit_code = run_diff(*o); });
}

}  // namespace insource::cli
