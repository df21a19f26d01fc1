// `insource test`: rule test files, their runner, coverage and reports.
//
// A rule test file (YAML; schema in rules/test.schema.json):
//
//   rules: default.yaml        # relative to this file; omitted: the built-in default policy
//   plugins: [../plugins]      # optional folders (relative to this file) loaded first
//   tests:
//     - name: fully booked marketing team hands the launch out
//       case: {id: candy, facts: {...}}        # or case_file: ../examples/cases/x.yaml (case_id: y)
//       expect:
//         verdict: outsource-then-insource
//         rule: fully-booked-team              # null: the thresholds decided
//         total: {min: -0.2, max: 0.2}         # a number (within 1e-9), {min, max}, or {approx, tolerance}
//         reason: fully booked                 # a part of the reason
//         criteria: {cost: {score: {max: 0}}, legal: {abstained: true}}
//         error: cost.hours                    # instead: the case must fail, with this in the message
//
// Coverage, per rules file: for each override, whether some test matched it
// and some test reached it without matching; for each verdict band
// (insource, hybrid, outsource), whether the thresholds put some test there;
// for each criterion, whether it voted in some test and abstained in some test.
//
// The parts, one file each: rule_test_file.cc (reading a test file and its
// expectations), rule_test_runner.cc (running it), rule_test_coverage.cc,
// rule_test_reports.cc (text, JSON, JUnit).
#ifndef INSOURCE_HOST_RULE_TESTS_H_
#define INSOURCE_HOST_RULE_TESTS_H_

#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "policy/evaluator.h"
#include "policy/load_policy.h"
#include "policy/policy.h"
#include "core/source_pos.h"

namespace insource {

// The keys a rule test file accepts, per map (the schema test compares them
// with rules/test.schema.json).
inline constexpr std::array<const char*, 4> kTestFileKeys = {"rules", "plugins", "description", "tests"};
inline constexpr std::array<const char*, 5> kTestKeys = {"name", "case", "case_file", "case_id", "expect"};
inline constexpr std::array<const char*, 6> kExpectKeys = {"verdict", "rule", "total", "reason", "error", "criteria"};
inline constexpr std::array<const char*, 3> kCriterionExpectKeys = {"score", "contribution", "abstained"};
inline constexpr std::array<const char*, 4> kNumberExpectKeys = {"min", "max", "approx", "tolerance"};

// A number as a test expects it.
struct NumberExpect {
  std::optional<double> equals;  // `x` (tolerance 1e-9) or `{approx: x}` (tolerance 0.0005 unless given)
  std::optional<double> min, max;
  double tolerance = 1e-9;

  bool matches(double v) const;
  std::string text() const;  // "-0.2", "at most -0.2", "between 0 and 1", "0.09 +/- 0.0005"
};

struct CriterionExpect {
  std::string name;
  SourcePos pos;
  std::optional<NumberExpect> score, contribution;
  std::optional<bool> abstained;
};

struct TestExpect {
  std::optional<Verdict> verdict;
  bool has_rule = false;
  std::optional<std::string> rule;  // with has_rule: nullopt means "the thresholds decided"
  std::optional<NumberExpect> total;
  std::optional<std::string> reason;  // a part of the reason
  std::optional<std::string> error;   // the case must fail with this in the message
  std::vector<CriterionExpect> criteria;
};

struct RuleTest {
  std::string name;
  SourcePos pos;
  std::string case_text;   // inline: the file's text with all but the case blanked (positions stay true)
  bool has_id = false;     // the inline case names its id
  std::string case_file;   // or a file of cases (resolved)
  std::optional<std::string> case_id;
  SourcePos case_pos;
  TestExpect expect;
};

struct TestFile {
  std::string path;
  std::string rules;  // resolved path; empty: the built-in default policy
  SourcePos rules_pos;
  std::vector<std::string> plugin_dirs;  // resolved
  std::string description;
  std::vector<RuleTest> tests;
};

// Reads and checks a test file. Throws RulesError with every problem (file:line:column).
TestFile read_test_file(const std::string& path);

struct Mismatch {
  std::string field;
  std::string expected;
  std::string actual;
};

struct TestResult {
  std::string name;
  SourcePos pos;
  std::string case_id;
  bool passed = false;
  std::vector<Mismatch> mismatches;
  std::string error;  // the case could not be read or decided
  bool decided = false;
  Verdict verdict = Verdict::kReview;
  std::string rule;  // empty: the thresholds decided
  double total = 0.0;
};

class Coverage {
 public:
  Coverage() = default;
  static Coverage of(const Policy& p, std::string rules_label);

  void add(const Decision& d);
  void merge(const Coverage& o);  // of the same policy

  const std::string& rules() const { return rules_; }
  int items() const;
  int covered() const;
  double percent() const;  // 100 when there is nothing to cover

  std::string text() const;
  nlohmann::ordered_json json() const;

 private:
  std::string rules_;
  std::vector<std::string> overrides_;
  std::vector<int> matched_, passed_;
  std::array<int, 3> bands_{};  // insource, hybrid, outsource
  std::vector<std::string> criteria_;
  std::vector<int> voted_, abstained_;
};

// The command's plugin options and limits, as decide loads a policy (the
// rules' pins always apply). `rules` is not used: each test file names its
// own, and its `plugins` folders come before the command's.
using TestRunOptions = PolicySource;

// One test file run against its rules.
struct FileRun {
  std::string file;
  std::string rules_label;  // the rules as shown (a path, or the built-in label)
  std::string rules_key;    // files with the same key share a coverage table
  std::vector<Diagnostic> errors;  // the file or its rules could not be used: no results
  std::vector<TestResult> results;
  std::optional<Coverage> coverage;

  int passed() const;
  int failed() const;
};

// Reads and runs a test file; problems are recorded, never thrown.
FileRun run_test_file(const std::string& path, const TestRunOptions& options);

// The coverage of the runs, merged per rules file.
std::vector<Coverage> merged_coverage(const std::vector<FileRun>& runs);

// Reports: a test runner's text, JSON, and JUnit XML.
std::string test_report_text(const std::vector<FileRun>& runs);
nlohmann::ordered_json test_report_json(const std::vector<FileRun>& runs, const std::vector<Coverage>* coverage);
std::string test_report_junit(const std::vector<FileRun>& runs);

}  // namespace insource

#endif  // INSOURCE_HOST_RULE_TESTS_H_
