// `insource test` (rule_tests.h): reading test files with every problem
// located, running them (passing, failing, error-expecting, unknown-driven),
// coverage, and the text, JSON and JUnit reports.
#include "policy_tools_util.h"
#include "tools/rule_tests.h"

namespace insource {
namespace {

using tools_test::contains;
using tools_test::fixture;
using tools_test::source_path;
using tools_test::write_scratch;

std::string errors_of(const std::string& path) {
  try {
    read_test_file(path);
  } catch (const RulesError& e) {
    return e.what();
  }
  ADD_FAILURE() << "the test file read without errors: " << path;
  return {};
}

TEST(RuleTests, TheDefaultRulesTestsPassWithFullCoverage) {
  FileRun run = run_test_file(source_path("rules/default.test.yaml"), {});
  ASSERT_TRUE(run.errors.empty()) << run.errors[0].str();
  EXPECT_EQ(run.failed(), 0);
  EXPECT_GE(run.passed(), 10);
  for (const TestResult& r : run.results) EXPECT_TRUE(r.passed) << r.name;
  ASSERT_TRUE(run.coverage);
  EXPECT_EQ(run.coverage->items(), 19);  // 3 overrides x 2, 3 bands, 5 criteria x 2
  EXPECT_EQ(run.coverage->covered(), 19);
  EXPECT_EQ(run.coverage->percent(), 100.0);
  EXPECT_EQ(run.rules_label, source_path("rules/default.yaml"));
}

TEST(RuleTests, FailingTestsSayWhatWasExpectedAndWhatCame) {
  const std::string f = fixture("failing.test.yaml");
  FileRun run = run_test_file(f, {});
  ASSERT_TRUE(run.errors.empty());
  ASSERT_EQ(run.results.size(), 4u);
  EXPECT_TRUE(run.results[0].passed);
  const TestResult& wrong = run.results[1];
  EXPECT_FALSE(wrong.passed);
  EXPECT_EQ(wrong.case_id, "office-catering");
  ASSERT_EQ(wrong.mismatches.size(), 5u);
  EXPECT_EQ(wrong.mismatches[0].field, "verdict");
  EXPECT_EQ(wrong.mismatches[0].expected, "hybrid");
  EXPECT_EQ(wrong.mismatches[0].actual, "outsource");
  EXPECT_EQ(wrong.mismatches[1].actual, "null (the thresholds decided)");
  EXPECT_EQ(wrong.mismatches[2].expected, "at least 0");
  EXPECT_EQ(wrong.mismatches[3].field, "criteria.cost.score");
  EXPECT_EQ(wrong.mismatches[3].actual, "-0.56");
  EXPECT_EQ(wrong.mismatches[4].actual, "false (it voted)");
  EXPECT_EQ(run.results[2].mismatches[0].actual, "verdict insource (no error)");
  // A fact of the wrong type: the error points at it in the test file.
  EXPECT_EQ(run.results[3].error, f + ":24:23: case broken: fact cost.hours must be a number, not the string \"lots\"");
  std::string text = test_report_text({run});
  EXPECT_TRUE(contains(text, "  PASS  passes\n  FAIL  expects the wrong verdict and total\n")) << text;
  EXPECT_TRUE(contains(text, "        " + f + ":8:5, case office-catering (- expected, + actual)\n"
                             "        - verdict: hybrid\n        + verdict: outsource\n"))
      << text;
  EXPECT_TRUE(contains(text, "\n1 passed, 3 failed\n")) << text;
}

TEST(RuleTests, JsonAndJUnitReports) {
  FileRun run = run_test_file(fixture("failing.test.yaml"), {});
  std::vector<Coverage> cov = merged_coverage({run});
  nlohmann::ordered_json j = test_report_json({run}, &cov);
  EXPECT_EQ(j["passed"], 1);
  EXPECT_EQ(j["failed"], 3);
  EXPECT_EQ(j["files"][0]["tests"][1]["status"], "fail");
  EXPECT_EQ(j["files"][0]["tests"][1]["mismatches"][0]["field"], "verdict");
  EXPECT_EQ(j["files"][0]["tests"][0]["verdict"], "outsource");
  EXPECT_EQ(j["coverage"][0]["items"], 19);
  std::string x = test_report_junit({run});
  EXPECT_TRUE(contains(x, "<testsuites name=\"insource test\" tests=\"4\" failures=\"3\" errors=\"0\">")) << x;
  EXPECT_TRUE(contains(x, "<testcase name=\"passes\" classname=\"failing.test\"")) << x;
  EXPECT_TRUE(contains(x, "<failure message=\"verdict: expected hybrid, got outsource\">- verdict: hybrid\n+ verdict: outsource\n"))
      << x;
  EXPECT_TRUE(contains(x, "&quot;something&quot;")) << x;  // escaped
}

TEST(RuleTests, CoverageCountsWhatTheTestsExercised) {
  FileRun run = run_test_file(fixture("partial.test.yaml"), {});
  ASSERT_TRUE(run.coverage);
  // outsource by the thresholds (all three overrides passed), then restricted-data-abroad
  // matched (the first override passed): 6 override items -> 3, bands 1 of 3, criteria 9 of 10 ... see the table.
  EXPECT_EQ(run.coverage->covered(), 13);
  EXPECT_NEAR(run.coverage->percent(), 100.0 * 13 / 19, 1e-12);
  std::string t = run.coverage->text();
  EXPECT_TRUE(contains(t, "  back-office-stays-in-house 0 (missing)  2\n")) << t;
  EXPECT_TRUE(contains(t, "  hybrid                     0 (missing)\n")) << t;
  EXPECT_TRUE(contains(t, "  security                   2            0 (missing)\n")) << t;
  // Two files on the same rules share one table.
  std::vector<Coverage> merged = merged_coverage({run, run_test_file(source_path("rules/default.test.yaml"), {})});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].percent(), 100.0);
}

TEST(RuleTests, ProblemsInATestFileAreLocated) {
  const std::string f = write_scratch("bad.test.yaml", R"(rules: default.yaml
tests:
  - name: typo
    case: {id: x, facts: {}}
    expcet: {verdict: review}
  - name: two cases
    case: {id: y, facts: {}}
    case_file: other.yaml
    expect: {verdict: insorce, total: {tolerance: 0.1}}
  - name: typo
    case_file: x.yaml
    expect: {error: boom, verdict: review, criteria: {cost: {abstained: true, score: 1}}}
)");
  std::string e = errors_of(f);
  for (const char* want : {
           ":5:5: error: unknown key 'expcet' in the test (did you mean 'expect'?)",
           ":3:5: error: a test needs `expect` (for example {verdict: insource})",
           ":8:16: error: a test has either `case` or `case_file`, not both",
           ":9:23: error: unknown verdict 'insorce' (did you mean 'insource'?)",
           ":9:51: error: tolerance goes with approx",
           ":12:21: error: a test that expects an error expects nothing else (the case gets no verdict)",
           ":12:61: error: criterion cost cannot both abstain and have a score or contribution",
           ":10:11: error: test name 'typo' is used twice in this file",
       })
    EXPECT_TRUE(contains(e, f + want)) << want << "\n" << e;
  EXPECT_TRUE(contains(errors_of(write_scratch("empty.test.yaml", "rules: x.yaml\n")), ":1:1: error: the file has no `tests`"));
  EXPECT_TRUE(contains(errors_of(write_scratch("typo.test.yaml", "rulez: x.yaml\ntests: []\n")),
                       ":1:1: error: unknown key 'rulez' in the rule test file (did you mean 'rules'?)"));
  EXPECT_TRUE(contains(errors_of(write_scratch("missing.test.yaml", "tests: []\n") + "-nope"), "cannot read the rule test file"));
}

TEST(RuleTests, AFileThatCannotRunIsReportedNotThrown) {
  FileRun run = run_test_file(write_scratch("norules.test.yaml", "rules: no-such-rules.yaml\ntests: []\n"), {});
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_TRUE(contains(run.errors[0].str(), "no-such-rules.yaml: error: cannot read the rules file")) << run.errors[0].str();
  std::string text = test_report_text({run});
  EXPECT_TRUE(contains(text, "0 passed, 0 failed, 1 file could not run")) << text;
  EXPECT_TRUE(contains(test_report_junit({run}), "errors=\"1\"")) << test_report_junit({run});
}

TEST(RuleTests, CaseFilesAndInlineCasesAndTheirIds) {
  const std::string rules = write_scratch("own/rules.yaml", std::string(embedded_default_rules()));
  const std::string f = write_scratch("own/cases.test.yaml", R"(rules: rules.yaml
tests:
  - name: several cases need an id
    case_file: )" + fixture("cases/several.yaml") + R"(
    expect: {verdict: insource}
  - name: no such id
    case_file: )" + fixture("cases/several.yaml") + R"(
    case_id: nowhere
    expect: {verdict: insource}
  - name: an inline case without an id is named after its test
    case:
      facts: {legal: {regulated: true}}
    expect: {verdict: insource, criteria: {legal: {score: 1, contribution: 1}, cost: {abstained: true}}}
  - name: the reason and an approximate total
    case_file: )" + source_path("examples/cases/office-catering.yaml") + R"(
    expect: {reason: "<= outsource threshold", total: {approx: -0.464}, criteria: {cost: {contribution: {approx: -0.168, tolerance: 0.001}}}}
)");
  FileRun run = run_test_file(f, {});
  ASSERT_TRUE(run.errors.empty()) << run.errors[0].str();
  ASSERT_EQ(run.results.size(), 4u);
  EXPECT_TRUE(contains(run.results[0].error, ":4:16: " + fixture("cases/several.yaml") + " holds 2 cases: name one with case_id"))
      << run.results[0].error;
  EXPECT_TRUE(contains(run.results[1].error, "holds no case with id 'nowhere'")) << run.results[1].error;
  EXPECT_TRUE(run.results[2].passed);
  EXPECT_EQ(run.results[2].case_id, "an inline case without an id is named after its test");
  EXPECT_TRUE(run.results[3].passed) << (run.results[3].mismatches.empty() ? "" : run.results[3].mismatches[0].actual);
}

TEST(RuleTests, PluginsOfTheTestFileAreLoaded) {
  const std::string rules = write_scratch("dial/rules.yaml", "insource: 1\ncriteria: {dial: {weight: 1}}\n");
  const std::string f = write_scratch("dial/dial.test.yaml", "rules: rules.yaml\nplugins: [" +
                                                                 test::fixture_plugin_dir("dial") + R"(]
tests:
  - name: the dial votes
    case: {id: d, facts: {dial: {score: -0.5}}}
    expect: {verdict: outsource, total: -0.5, criteria: {dial: {score: -0.5}}}
)");
  FileRun run = run_test_file(f, {});
  ASSERT_TRUE(run.errors.empty()) << run.errors[0].str();
  EXPECT_TRUE(run.results[0].passed);
  (void)rules;
}

TEST(RuleTests, NumberExpectations) {
  NumberExpect exact;
  exact.equals = 0.5;
  EXPECT_TRUE(exact.matches(0.5 + 1e-10));
  EXPECT_FALSE(exact.matches(0.5 + 1e-8));
  EXPECT_EQ(exact.text(), "0.5");
  NumberExpect range;
  range.min = -0.2;
  range.max = 0.2;
  EXPECT_TRUE(range.matches(0.2));
  EXPECT_TRUE(range.matches(-0.2 - 0.5e-9));  // the thresholds' allowance
  EXPECT_FALSE(range.matches(0.21));
  EXPECT_EQ(range.text(), "between -0.2 and 0.2");
  NumberExpect approx;
  approx.equals = 0.09;
  approx.tolerance = 0.0005;
  EXPECT_TRUE(approx.matches(0.0902));
  EXPECT_EQ(approx.text(), "0.09 +/- 0.0005");
}

}  // namespace
}  // namespace insource
