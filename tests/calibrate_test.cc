// Calibration: refitting weights to past verdicts with GLPK.
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "analysis/calibrate.h"
#include "policy_tools_util.h"

namespace insource {
namespace {

using tools_test::contains;
using tools_test::read_file;
using tools_test::run_cli;
using tools_test::source_path;
using tools_test::write_scratch;

// The default policy's criteria and thresholds, other weights, no overrides
// unless asked.
std::string rules_with(const std::string& weights, bool overrides) {
  std::string r = std::string(embedded_default_rules());
  size_t c = r.find("criteria:\n");
  size_t t = r.find("thresholds:");
  r = r.substr(0, c) + "criteria:\n" + weights + r.substr(t);
  if (!overrides) r = r.substr(0, r.find("overrides:"));
  return r;
}
const char* kTruth =
    "  cost:     {weight: 0.10, params: {vendor_overhead: 0.10}}\n  control:  {weight: 0.40}\n"
    "  security: {weight: 0.10, params: {certified_discount: 0.5}}\n  legal:    {weight: 0.30}\n  training: {weight: 0.10}\n";

// Random cases in YAML, every criterion's facts present most of the time.
std::string random_case(std::mt19937& rng, int i) {
  std::uniform_real_distribution<double> u(0, 1);
  auto pick = [&](std::initializer_list<const char*> xs) { return *(xs.begin() + static_cast<int>(u(rng) * xs.size())); };
  std::ostringstream s;
  s << "id: c" << i << "\nfacts:\n";
  s << "  cost: {hours: " << static_cast<int>(100 + u(rng) * 2000) << ", internal_rate: " << static_cast<int>(30 + u(rng) * 120)
    << ", external_rate: " << static_cast<int>(20 + u(rng) * 150) << "}\n";
  if (u(rng) < 0.9)
    s << "  control: {institutional_knowledge: " << pick({"low", "medium", "high"}) << ", core_competence: "
      << (u(rng) < 0.4 ? "true" : "false") << ", customer_facing: " << (u(rng) < 0.5 ? "true" : "false") << "}\n";
  if (u(rng) < 0.8)
    s << "  security: {system_access: " << pick({"none", "front_office"}) << ", data_sensitivity: "
      << pick({"public", "internal", "confidential"}) << "}\n";
  if (u(rng) < 0.8)
    s << "  legal: {vendor_jurisdiction: " << pick({"domestic", "treaty"}) << ", regulated: " << (u(rng) < 0.3 ? "true" : "false")
      << "}\n";
  if (u(rng) < 0.7) s << "  training: {complexity: " << pick({"low", "medium", "high"}) << "}\n";
  return s.str();
}

// Past cases labelled by `truth`.
std::vector<PastCase> labelled(const std::shared_ptr<const Policy>& truth, const Policy& schema_of, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<PastCase> out;
  Evaluator ev(truth);
  for (int i = 0; i < n; ++i) {
    PastCase p;
    p.c = test::case_from(schema_of, random_case(rng, i));
    Decision d;
    ev.decide(p.c, &d, false);
    p.decided = d.verdict;
    out.push_back(std::move(p));
  }
  return out;
}

TEST(Calibrate, CasesLabelledByKnownWeightsAreRefittedToFullAgreement) {
  auto truth = test::policy_from(rules_with(kTruth, true));
  auto current = test::default_policy();
  auto past = labelled(truth, *current, 60, 7);
  CalibrationOptions o;
  o.leave_one_out = false;
  Calibration c = calibrate(current, past, o);
  ASSERT_GT(c.fitted, 40);
  EXPECT_LT(c.agree_before, c.fitted) << "the start must disagree somewhere for the test to mean anything";
  EXPECT_EQ(c.agree_after, c.fitted) << calibration_text(c);
  EXPECT_TRUE(c.reproducible);
  EXPECT_TRUE(c.optimal);
  // Cases the truth's overrides decided are left out and named.
  int left_out = 0;
  for (const auto& cc : c.cases) left_out += cc.left_out.empty() ? 0 : 1;
  EXPECT_EQ(left_out + c.fitted, 60);
  double sum = 0.0;
  for (double w : c.weights_after) sum += w;
  EXPECT_NEAR(sum, 1.0, 1e-9);
}

TEST(Calibrate, AlreadyAgreeingCasesKeepTheWeights) {
  auto current = test::default_policy();
  auto past = labelled(current, *current, 30, 3);
  Calibration c = calibrate(current, past, CalibrationOptions{});
  EXPECT_EQ(c.agree_before, c.fitted);
  for (size_t i = 0; i < c.weights_after.size(); ++i) EXPECT_NEAR(c.weights_after[i], c.weights_before[i], 1e-7);
  EXPECT_EQ(c.loo_agree, c.fitted);
}

TEST(Calibrate, LeaveOneOutMissesTheCaseThatAloneMovesTheWeights) {
  auto current = test::policy_from(rules_with(
      "  cost:     {weight: 0.30, params: {vendor_overhead: 0.10}}\n  control:  {weight: 0.25}\n"
      "  security: {weight: 0.20, params: {certified_discount: 0.5}}\n  legal:    {weight: 0.15}\n  training: {weight: 0.10}\n",
      false));
  // Twelve cases on which the current weights and the truth agree, then one
  // on which they differ: all labelled by the truth, so some weights
  // reproduce all thirteen, but only the last one asks for a change.
  auto truth = test::policy_from(rules_with(kTruth, false));
  std::mt19937 rng(11);
  Evaluator now(current), then(truth);
  std::vector<PastCase> past;
  bool odd_one = false;
  for (int i = 0; i < 2000 && !odd_one; ++i) {
    PastCase p;
    p.c = test::case_from(*current, random_case(rng, i));
    Decision a, b;
    now.decide(p.c, &a, false);
    then.decide(p.c, &b, false);
    bool differ = a.verdict != b.verdict;
    if (differ ? past.size() < 12 : past.size() >= 12) continue;
    p.decided = b.verdict;
    odd_one = differ;
    past.push_back(std::move(p));
  }
  ASSERT_EQ(past.size(), 13u);
  Calibration c = calibrate(current, past, CalibrationOptions{});
  EXPECT_EQ(c.fitted, 13);
  EXPECT_EQ(c.agree_before, 12);
  EXPECT_EQ(c.agree_after, 13) << calibration_text(c);
  // Without the odd case the fit keeps the current weights, which get it
  // wrong: leave-one-out counts it as missed, as the next such case would be.
  EXPECT_FALSE(c.cases.back().loo_agrees) << calibration_text(c);
  EXPECT_LT(c.loo_agree, 13);
  EXPECT_GE(c.loo_agree, 0);
}

TEST(Calibrate, ContradictoryCasesAreReportedAsNotReproducible) {
  auto current = test::default_policy();
  const char* facts =
      "facts:\n  cost: {hours: 500, internal_rate: 80, external_rate: 60}\n  control: {core_competence: true}\n";
  std::vector<PastCase> past;
  for (const char* v : {"insource", "outsource"}) {
    PastCase p;
    p.c = test::case_from(*current, std::string("id: same-") + v + "\n" + facts);
    p.decided = *parse_verdict(v);
    past.push_back(std::move(p));
  }
  PastCase odd;
  odd.c = test::case_from(*current, std::string("id: handover\n") + facts);
  odd.decided = Verdict::kOutsourceThenInsource;
  past.push_back(std::move(odd));
  Calibration c = calibrate(current, past, CalibrationOptions{});
  EXPECT_FALSE(c.reproducible);
  EXPECT_EQ(c.agree_after, 1);
  std::string text = calibration_text(c);
  EXPECT_TRUE(contains(text, "no weights reproduce every fitted verdict")) << text;
  EXPECT_TRUE(contains(text, "handover: decided outsource-then-insource")) << text;
  EXPECT_TRUE(contains(text, "needs an override")) << text;
  EXPECT_TRUE(contains(text, "no weights reproduce it together with the cases that agree")) << text;
}

TEST(Calibrate, ThresholdsAreFittedWhenAsked) {
  // Every case labelled hybrid by a policy with wide thresholds: weights
  // alone cannot make the extreme ones hybrid, thresholds can.
  auto current = test::policy_from(rules_with(kTruth, false));
  std::string wide = rules_with(kTruth, false);
  wide.replace(wide.find("thresholds: {insource: 0.20, outsource: -0.20}"), 46, "thresholds: {insource: 0.90, outsource: -0.90}");
  auto truth = test::policy_from(wide);
  auto past = labelled(truth, *current, 30, 9);
  CalibrationOptions o;
  o.leave_one_out = false;
  Calibration plain = calibrate(current, past, o);
  o.thresholds = true;
  Calibration fitted = calibrate(current, past, o);
  EXPECT_LT(plain.agree_after, plain.fitted);
  EXPECT_EQ(fitted.agree_after, fitted.fitted) << calibration_text(fitted);
  EXPECT_GT(fitted.thresholds_after.insource, 0.2);
}

// The server's request budget: no program starts once it has passed.
TEST(Calibrate, StopsWhenItsTimeIsUp) {
  auto current = test::default_policy();
  auto past = labelled(current, *current, 5, 3);
  CalibrationOptions o;
  o.until = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  EXPECT_THROW(calibrate(current, past, o), CalibrationOutOfTime);
  o.until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  Calibration c = calibrate(current, past, o);
  EXPECT_GT(c.fitted, 0);
  EXPECT_EQ(c.agree_after, c.fitted);
}

TEST(Calibrate, BadPastCasesAreErrorsWithPosition) {
  auto current = test::default_policy();
  auto err = [&](const std::string& yaml) {
    try {
      read_past_cases(yaml, "past.yaml", current->schema());
    } catch (const RulesError& e) {
      return std::string(e.diagnostics().at(0).str());
    }
    return std::string("no error");
  };
  EXPECT_TRUE(contains(err("- id: a\n  facts: {control: {core_competence: true}}\n"), "past.yaml:1:3: error: case a: no `decided`"));
  EXPECT_TRUE(contains(err("- id: a\n  decided: inhouse\n"), "past.yaml:2:12: error: case a: `decided: inhouse` is not a verdict"));
  EXPECT_TRUE(contains(err("- id: a\n  decided: insource\n  facts: {control: {core_competence: 3}}\n"), "case a"));
  // Facts are read as decide reads them, at their place in the file: a
  // quoted number is a string.
  EXPECT_EQ(err("- id: a\n  decided: insource\n  facts: {cost: {hours: \"500\", internal_rate: 80, external_rate: 60}}\n"),
            "past.yaml:3:25: error: case a: fact cost.hours must be a number, not the string \"500\"");
}

TEST(CalibrateCli, ReportsAndWritesRulesThatLoad) {
  std::string out = (tools_test::scratch() / "calibrated.yaml").string();
  auto run = run_cli("calibrate --rules rules/default.yaml tests/fixtures/analysis/past-decisions.yaml --write " + out);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "agreement before: ")) << run.out;
  EXPECT_TRUE(contains(run.out, "leave-one-out:    ")) << run.out;
  EXPECT_TRUE(contains(run.out, "decided by override")) << run.out;
  std::string text = read_file(out);
  EXPECT_TRUE(contains(text, "extends: ")) << text;
  auto check = run_cli("check --rules " + out);
  EXPECT_EQ(check.status, 0) << check.out << check.err;
  auto json = run_cli("calibrate --format json tests/fixtures/analysis/past-decisions.yaml");
  EXPECT_EQ(json.status, 0) << json.err;
  EXPECT_TRUE(contains(json.out, "\"agreement_after\": ")) << json.out;
}

// What --write writes is what was fitted: calibrating again from the written
// rules agrees at the start with as many cases as the first run ended with.
TEST(CalibrateCli, WrittenWeightsAndThresholdsReproduceTheFit) {
  std::string out = (tools_test::scratch() / "calibrated-thresholds.yaml").string();
  auto first = run_cli("calibrate --rules rules/default.yaml --thresholds --format json "
                       "tests/fixtures/analysis/past-decisions.yaml --write " + out);
  ASSERT_EQ(first.status, 0) << first.err;
  std::string text = read_file(out);
  EXPECT_TRUE(contains(text, "extends: ")) << text;
  auto again = run_cli("calibrate --rules " + out + " --format json --no-leave-one-out tests/fixtures/analysis/past-decisions.yaml");
  ASSERT_EQ(again.status, 0) << again.err;
  auto after = first.out.find("\"agreement_after\": ");
  auto before = again.out.find("\"agreement_before\": ");
  ASSERT_NE(after, std::string::npos);
  ASSERT_NE(before, std::string::npos);
  EXPECT_EQ(std::stoi(first.out.substr(after + 19)), std::stoi(again.out.substr(before + 20))) << first.out << again.out;
  // The written weights add up to exactly 1 and the file passes `check`.
  RulesDoc doc = read_rules_file(out);
  double sum = 0.0;
  for (const auto& c : doc.criteria) sum += c.weight;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  auto check = run_cli("check --rules " + out);
  EXPECT_EQ(check.status, 0) << check.out << check.err;
}

TEST(CalibrateCli, ThresholdsAndUnreproducibleSetsFromTheCommandLine) {
  // Mostly hybrid decisions: the weights alone get 4 of 5, with the thresholds 5 of 5.
  auto plain = run_cli("calibrate --no-leave-one-out tests/fixtures/analysis/hybrid-decisions.yaml");
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_TRUE(contains(plain.out, "agreement after:  4 of 5")) << plain.out;
  auto fitted = run_cli("calibrate --thresholds --no-leave-one-out tests/fixtures/analysis/hybrid-decisions.yaml");
  ASSERT_EQ(fitted.status, 0) << fitted.err;
  EXPECT_TRUE(contains(fitted.out, "agreement after:  5 of 5")) << fitted.out;
  EXPECT_TRUE(contains(fitted.out, "thresholds: insource ")) << fitted.out;
  // The same facts decided both ways: said, with each case that still disagrees and why.
  auto contra = run_cli("calibrate tests/fixtures/analysis/contradictory-decisions.yaml");
  ASSERT_EQ(contra.status, 0) << contra.err;
  EXPECT_TRUE(contains(contra.out, "no weights reproduce every fitted verdict")) << contra.out;
  EXPECT_TRUE(contains(contra.out, "print-2024: decided outsource-then-insource, fitted weights give insource: "
                                   "the weighted vote gives only insource, hybrid or outsource")) << contra.out;
}

TEST(CalibrateCli, BadPastCaseFilesNameFileAndLine) {
  std::string bad = write_scratch("bad-past.yaml", "- id: a\n  decided: insource\n- id: b\n  decided: maybe\n");
  auto run = run_cli("calibrate " + bad);
  EXPECT_EQ(run.status, 2);
  EXPECT_TRUE(contains(run.err, bad + ":4:12: error: case b: `decided: maybe` is not a verdict")) << run.err;
}

}  // namespace
}  // namespace insource
