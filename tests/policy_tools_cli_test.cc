// The policy authors' commands as a user runs them: test, explain, decide
// --margins, check, diff; exit statuses, text, JSON and JUnit output.
#include <nlohmann/json.hpp>

#include "policy_tools_util.h"

namespace insource {
namespace {

using tools_test::contains;
using tools_test::run_cli;

TEST(PolicyToolsCli, TheDefaultRuleTestsPassWithFullCoverage) {
  auto r = run_cli("test rules/default.test.yaml --coverage --min-coverage 100");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "rules/default.test.yaml (rules: rules/default.yaml)\n  PASS  fully booked marketing team")) << r.out;
  EXPECT_TRUE(contains(r.out, "\n11 passed, 0 failed\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "coverage of rules/default.yaml: 19 of 19 items, 100.0%\n")) << r.out;
}

TEST(PolicyToolsCli, FailingTestsExitOneAndWriteJUnit) {
  std::string junit = (tools_test::scratch() / "junit.xml").string();
  auto r = run_cli("test tests/fixtures/policy_tools/failing.test.yaml --junit " + junit);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "  FAIL  expects the wrong verdict and total\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "        - verdict: hybrid\n        + verdict: outsource\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "\n1 passed, 3 failed\n")) << r.out;
  std::string x = tools_test::read_file(junit);
  EXPECT_TRUE(contains(x, "tests=\"4\" failures=\"3\" errors=\"0\"")) << x;
}

TEST(PolicyToolsCli, CoverageBelowTheMinimumFails) {
  auto r = run_cli("test tests/fixtures/policy_tools/partial.test.yaml --min-coverage 90");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "2 passed, 0 failed")) << r.out;
  EXPECT_TRUE(contains(r.out, "coverage of rules/default.yaml is 68.4%, below --min-coverage 90%")) << r.out;
  EXPECT_FALSE(contains(r.out, "verdict band")) << "the table only with --coverage";
  EXPECT_EQ(run_cli("test tests/fixtures/policy_tools/partial.test.yaml --min-coverage 60").status, 0);
}

TEST(PolicyToolsCli, TestJsonReport) {
  auto r = run_cli("test --format json --coverage rules/default.test.yaml tests/fixtures/policy_tools/failing.test.yaml");
  EXPECT_EQ(r.status, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["passed"], 12);
  EXPECT_EQ(j["failed"], 3);
  ASSERT_EQ(j["coverage"].size(), 1u);  // both files test rules/default.yaml
  EXPECT_EQ(j["coverage"][0]["percent"], 100.0);
}

TEST(PolicyToolsCli, AnUnusableTestFileExitsTwo) {
  std::string f = tools_test::write_scratch("cli/bad.test.yaml", "tests:\n  - name: x\n    case: {facts: {}}\n    expect: {verdict: maybe}\n");
  auto r = run_cli("test " + f);
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.out, f + ":4:23: error: unknown verdict 'maybe'")) << r.out;
}

TEST(PolicyToolsCli, ExplainAtEachLevel) {
  auto brief = run_cli("explain --level brief examples/cases/candy-launch.yaml examples/cases/office-catering.yaml");
  EXPECT_EQ(brief.status, 0);
  EXPECT_EQ(brief.out,
            "candy-launch: outsource-then-insource, because override fully-booked-team holds: The team that knows the "
            "product is fully booked; hand the launch out, take it back once it runs. (the weighted vote alone would "
            "say hybrid at total +0.090)\n"
            "office-catering: outsource: the weighted total -0.464 is at or below the outsource threshold -0.200, "
            "driven by control (-0.250) and cost (-0.168)\n");
  auto full = run_cli("explain examples/cases/office-catering.yaml");
  EXPECT_TRUE(contains(full.out, "facts each criterion read:")) << full.out;
  EXPECT_TRUE(contains(full.out, "margins (what would change the verdict outsource")) << full.out;
  EXPECT_FALSE(contains(full.out, "overrides, in order")) << full.out;
  auto trace = run_cli("explain --level trace examples/cases/back-office-accounting.yaml");
  EXPECT_TRUE(contains(trace.out, "    1. back-office-stays-in-house -> insource: matched: decides insource\n")) << trace.out;
  EXPECT_TRUE(contains(trace.out, "         not security.vendor_certified  ->  true\n")) << trace.out;
  auto json = run_cli("explain --level trace --format json examples/cases/candy-launch.yaml");
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["overrides"][2]["decided"], true);
  EXPECT_EQ(j["margins"]["vote_verdict"], "hybrid");
  EXPECT_EQ(run_cli("explain --level loud examples/cases/candy-launch.yaml").status, 2);
}

TEST(PolicyToolsCli, DecideWithMargins) {
  auto text = run_cli("decide --margins examples/cases/office-catering.yaml");
  EXPECT_EQ(text.status, 0);
  EXPECT_TRUE(contains(text.out, "  total                      -0.464\n\n  margins (what would change the verdict outsource, one thing at a time):\n"))
      << text.out;
  EXPECT_TRUE(contains(text.out, "would become hybrid if the weight of security rose above 1.5192 (now 0.2)")) << text.out;
  auto json = run_cli("decide --margins --format json examples/cases/office-catering.yaml");
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["margins"]["criteria"]["security"]["above"], "hybrid");
  EXPECT_GT(j["margins"]["criteria"]["security"]["weight_high"].get<double>(), 1.519);
  EXPECT_FALSE(nlohmann::json::parse(run_cli("decide --format json examples/cases/office-catering.yaml").out).contains("margins"));
}

TEST(PolicyToolsCli, CheckWarnsAndStrictFails) {
  const std::string f = "tests/fixtures/policy_tools/rules/warnings.yaml";
  auto r = run_cli("check --rules " + f);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, f + ": 6 warnings (2 criteria, 6 overrides)\n");
  EXPECT_TRUE(contains(r.err, f + ":17:11: warning: override 'very-booked' can never decide")) << r.err;
  auto strict = run_cli("check --strict --rules " + f);
  EXPECT_EQ(strict.status, 1);
  EXPECT_EQ(strict.out, f + ": 6 warnings (failures under --strict) (2 criteria, 6 overrides)\n");
  auto clean = run_cli("check --strict --rules rules/default.yaml");
  EXPECT_EQ(clean.status, 0);
  EXPECT_EQ(clean.out, "rules/default.yaml: ok (5 criteria, 3 overrides)\n");
  EXPECT_EQ(clean.err, "");
  auto json = run_cli("check --format json --rules " + f);
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["warnings"], 6);
  EXPECT_EQ(j["diagnostics"][0]["line"], 7);
  EXPECT_EQ(j["diagnostics"][0]["column"], 3);
  EXPECT_EQ(j["diagnostics"][0]["severity"], "warning");
  auto broken = run_cli("check --format json --rules tests/fixtures/rules/bad/undeclared_fact.yaml");
  EXPECT_EQ(broken.status, 1);
  EXPECT_EQ(nlohmann::json::parse(broken.out)["diagnostics"][0]["severity"], "error");
}

TEST(PolicyToolsCli, Diff) {
  const std::string args = "rules/default.yaml tests/fixtures/policy_tools/rules/changed.yaml tests/fixtures/policy_tools/cases/batch.jsonl";
  auto r = run_cli("diff " + args);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "policy changes (rules/default.yaml -> tests/fixtures/policy_tools/rules/changed.yaml):\n"
                              "  name: \"Default sourcing policy\" -> \"Default sourcing policy, revised\"\n"
                              "  weight of cost: 0.3 -> 0.4\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "  candy-launch: outsource-then-insource -> hybrid\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "  hybrid -> insource: 2\n  unchanged: 2\n")) << r.out;
  EXPECT_EQ(run_cli("diff --fail-on-change " + args).status, 1);
  auto same = run_cli("diff --fail-on-change rules/default.yaml rules/default.yaml tests/fixtures/policy_tools/cases/batch.jsonl");
  EXPECT_EQ(same.status, 0);
  EXPECT_TRUE(contains(same.out, "5 cases, 0 verdicts change:\n  No verdict changes: the new policy decides every one of these cases "
                                 "as the old one does.\n"))
      << same.out;
  auto j = nlohmann::json::parse(run_cli("diff --format json " + args).out);
  EXPECT_EQ(j["changed"].size(), 3u);
  EXPECT_EQ(run_cli("diff rules/default.yaml tests/fixtures/rules/bad/no_plugin.yaml tests/fixtures/policy_tools/cases/batch.jsonl").status, 2);
}

TEST(PolicyToolsCli, HelpListsTheNewCommands) {
  auto r = run_cli("--help");
  for (const char* c : {"test", "explain", "diff", "check"}) EXPECT_TRUE(contains(r.out, std::string("  ") + c)) << c;
  for (const char* c : {"test", "explain", "diff"}) EXPECT_EQ(run_cli(std::string(c) + " --help").status, 0) << c;
}

}  // namespace
}  // namespace insource
