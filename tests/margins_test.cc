// Flip margins (margins.h), checked the hard way: every reported bound is
// re-run through a real decision with the weight (or, through the dial
// fixture plugin, the score) moved just past it (the verdict flips to the one
// reported) and just before it (it does not), and at the bound itself and the
// next double beyond it.
#include <cmath>

#include "tools/margins.h"
#include "policy_tools_util.h"

namespace insource {
namespace {

using test::case_from;
using test::policy_from;
using tools_test::contains;
using tools_test::rules_with_weight;

const std::vector<std::string> kDial{"dial"};

const char* kTwoVoters = R"(
id: two-voters
facts:
  cost: {hours: 10, internal_rate: 100, external_rate: 50, transition: 0}
  legal: {vendor_jurisdiction: foreign}
)";

// A policy whose override reads the total, and the dial criterion.
const char* kTotalRules = R"(insource: 1
criteria:
  dial:    {weight: 1}
  control: {weight: 1}
overrides:
  - id: strong
    when: total >= 0.6
    verdict: review
    reason: too good to be true
)";
const char* kDialCase = "id: d\nfacts: {dial: {score: 0.9}, control: {institutional_knowledge: medium}}\n";

Verdict verdict_under(const std::string& rules, const std::string& case_yaml, const std::vector<std::string>& fixtures) {
  auto p = policy_from(rules, fixtures);
  return test::decide(p, case_yaml).verdict;
}

struct Computed {
  std::shared_ptr<const Policy> policy;
  Decision decision;
  Margins margins;
};

Computed compute(const std::string& rules, const std::string& case_yaml, const std::vector<std::string>& fixtures = {}) {
  Computed c;
  c.policy = policy_from(rules, fixtures);
  CaseFacts k = case_from(*c.policy, case_yaml);
  Evaluator e(c.policy);
  e.decide(k, &c.decision, true);
  c.margins = compute_margins(*c.policy, k, c.decision);
  return c;
}

// Moves each reported weight bound and decides again. Returns how many bounds it checked.
int check_weight_bounds(const std::string& rules, const std::string& case_yaml,
                        const std::vector<std::string>& fixtures = {}) {
  Computed c = compute(rules, case_yaml, fixtures);
  const Verdict now = c.decision.verdict;
  int checked = 0;
  for (const CriterionMargin& cm : c.margins.criteria) {
    if (cm.state != CriterionOutcome::State::kVoted) continue;
    SCOPED_TRACE(cm.criterion);
    auto at = [&](double w) { return verdict_under(rules_with_weight(rules, cm.criterion, w), case_yaml, fixtures); };
    if (cm.below && cm.weight_low > 1e-300) {
      const double b = cm.weight_low, delta = 1e-9 * std::max(1.0, b);
      EXPECT_LT(b + delta, cm.weight);
      EXPECT_EQ(at(b - delta), *cm.below) << "just past the low end " << format_number(b);
      EXPECT_EQ(at(b + delta), now) << "just before the low end " << format_number(b);
      EXPECT_EQ(at(b), now) << "at the low end";
      EXPECT_EQ(at(std::nextafter(b, 0.0)), *cm.below) << "at the double below the low end";
      ++checked;
    }
    if (cm.above) {
      const double b = cm.weight_high, delta = 1e-9 * std::max(1.0, b);
      EXPECT_GT(b - delta, cm.weight);
      EXPECT_EQ(at(b + delta), *cm.above) << "just past the high end " << format_number(b);
      EXPECT_EQ(at(b - delta), now) << "just before the high end " << format_number(b);
      EXPECT_EQ(at(b), now) << "at the high end";
      EXPECT_EQ(at(std::nextafter(b, HUGE_VAL)), *cm.above) << "at the double above the high end";
      ++checked;
    } else {
      EXPECT_TRUE(std::isinf(cm.weight_high));
      EXPECT_EQ(at(cm.weight * 1000), now) << "no upper end reported, yet a far larger weight flips it";
    }
  }
  return checked;
}

TEST(Margins, WeightBoundsOfAThresholdVerdictFlipWhenCrossedAndOnlyThen) {
  // office-catering: outsource; the weights of security and legal (both scoring 0) can dilute it to hybrid.
  const std::string rules(embedded_default_rules());
  EXPECT_EQ(check_weight_bounds(rules, tools_test::read_file(tools_test::source_path("examples/cases/office-catering.yaml"))), 2);
  // two voters, hybrid: cost and legal each have a low and a high end.
  EXPECT_EQ(check_weight_bounds(rules, kTwoVoters), 4);
}

TEST(Margins, TwoVotersBoundsByHand) {
  Computed c = compute(std::string(embedded_default_rules()), kTwoVoters);
  ASSERT_EQ(c.decision.verdict, Verdict::kHybrid);
  const CriterionMargin& cost = c.margins.criteria[test::crit(*c.policy, "cost")];
  // total(x) = (0.15 - 0.45 x) / (0.15 + x): insource while x <= 0.12 / 0.65, outsource from 0.18 / 0.25.
  // (Within 1e-7: the thresholds' allowance of 1e-9 moves the ends a little.)
  EXPECT_NEAR(cost.weight_low, (0.15 - 0.2 * 0.15) / (0.2 + 0.45), 1e-7);
  EXPECT_NEAR(cost.weight_high, (0.15 + 0.2 * 0.15) / (0.45 - 0.2), 1e-7);
  EXPECT_EQ(cost.below, Verdict::kInsource);
  EXPECT_EQ(cost.above, Verdict::kOutsource);
  std::string text = margins_text(*c.policy, c.margins);
  EXPECT_TRUE(contains(text, "would become insource if the weight of cost fell below 0.1846 (now 0.3)")) << text;
  EXPECT_TRUE(contains(text, "would become outsource if the weight of cost rose above 0.72 (now 0.3)")) << text;
  EXPECT_TRUE(contains(text, "total +0.033: 0.167 below the insource threshold +0.200, 0.233 above the outsource threshold -0.200"))
      << text;
  EXPECT_TRUE(contains(text, "control abstained: its weight and score play no part")) << text;
  EXPECT_NEAR(c.margins.thresholds.insource - c.margins.total, 0.2 - 0.15 / 4.5, 1e-12);
}

TEST(Margins, AnOverrideThatReadsTheTotalIsPartOfTheWeightBounds) {
  // dial 0.9, control 0: total 0.45, insource. The dial weight above 2 makes
  // the total reach 0.6 and the override `total >= 0.6` decides review.
  Computed c = compute(kTotalRules, kDialCase, kDial);
  ASSERT_EQ(c.decision.verdict, Verdict::kInsource);
  const CriterionMargin& dial = c.margins.criteria[test::crit(*c.policy, "dial")];
  EXPECT_EQ(dial.above, Verdict::kReview);
  EXPECT_NEAR(dial.weight_high, 2.0, 1e-7);
  EXPECT_EQ(dial.below, Verdict::kHybrid);
  EXPECT_NEAR(dial.weight_low, 0.2 / 0.7, 1e-7);
  const CriterionMargin& control = c.margins.criteria[test::crit(*c.policy, "control")];
  EXPECT_EQ(control.below, Verdict::kReview);
  EXPECT_NEAR(control.weight_low, 0.5, 1e-7);
  EXPECT_EQ(control.above, Verdict::kHybrid);
  EXPECT_NEAR(control.weight_high, 3.5, 1e-7);
  EXPECT_EQ(check_weight_bounds(kTotalRules, kDialCase, kDial), 4);
}

TEST(Margins, ScoreBoundsFlipWhenTheScoreCrossesThem) {
  Computed c = compute(kTotalRules, kDialCase, kDial);
  const CriterionMargin& dial = c.margins.criteria[test::crit(*c.policy, "dial")];
  // total = s / 2: hybrid below s = 0.4; no score in [-1, 1] reaches the override's 0.6.
  ASSERT_EQ(dial.score_below, Verdict::kHybrid);
  EXPECT_NEAR(dial.score_low, 0.4, 1e-7);
  EXPECT_FALSE(dial.score_above);
  EXPECT_EQ(dial.score_high, 1.0);
  auto at = [&](double s) {
    return verdict_under(kTotalRules, "id: d\nfacts: {dial: {score: " + format_number(s) +
                                          "}, control: {institutional_knowledge: medium}}\n",
                         kDial);
  };
  const double b = dial.score_low;
  EXPECT_EQ(at(b - 1e-9), Verdict::kHybrid);
  EXPECT_EQ(at(b + 1e-9), Verdict::kInsource);
  EXPECT_EQ(at(b), Verdict::kInsource);
  EXPECT_EQ(at(std::nextafter(b, -1.0)), Verdict::kHybrid);
  EXPECT_EQ(at(1.0), Verdict::kInsource);
  std::string text = margins_text(*c.policy, c.margins);
  EXPECT_TRUE(contains(text, "would become hybrid if the score of dial fell below 0.3999 (now +0.900)")) << text;
  EXPECT_TRUE(contains(text, "would become review if the weight of dial rose above 2 (now 1)")) << text;
}

TEST(Margins, AScoreTheOverrideComparesWithIsABound) {
  const std::string rules = R"(insource: 1
criteria: {dial: {weight: 1}}
overrides:
  - id: dial-high
    when: score.dial > 0.75
    verdict: outsource-then-insource
)";
  Computed c = compute(rules, "id: d\nfacts: {dial: {score: 0.5}}\n", kDial);
  ASSERT_EQ(c.decision.verdict, Verdict::kInsource);
  const CriterionMargin& dial = c.margins.criteria[0];
  EXPECT_EQ(dial.score_above, Verdict::kOutsourceThenInsource);
  EXPECT_EQ(dial.score_high, 0.75);  // `> 0.75`: 0.75 itself keeps insource
  EXPECT_EQ(dial.score_below, Verdict::kHybrid);
  EXPECT_NEAR(dial.score_low, 0.2, 1e-7);
  auto at = [&](double s) { return verdict_under(rules, "id: d\nfacts: {dial: {score: " + format_number(s) + "}}\n", kDial); };
  EXPECT_EQ(at(0.75), Verdict::kInsource);
  EXPECT_EQ(at(std::nextafter(0.75, 1.0)), Verdict::kOutsourceThenInsource);
}

TEST(Margins, TheOnlyVoterFlipsToReviewOnlyAtWeightZero) {
  Computed c = compute("insource: 1\ncriteria: {dial: {weight: 1}}\n", "id: d\nfacts: {dial: {score: 0.9}}\n", kDial);
  const CriterionMargin& dial = c.margins.criteria[0];
  EXPECT_EQ(dial.below, Verdict::kReview);
  EXPECT_LT(dial.weight_low, 1e-300);
  EXPECT_FALSE(dial.above);
  std::string text = margins_text(*c.policy, c.margins);
  EXPECT_TRUE(contains(text, "would become review if the weight of dial were 0 (now 1)")) << text;
}

TEST(Margins, AnOverrideVerdictSaysWhatWouldStopTheOverrideAndWhatTheVoteSays) {
  Computed c = compute(std::string(embedded_default_rules()),
                       tools_test::read_file(tools_test::source_path("examples/cases/candy-launch.yaml")));
  ASSERT_EQ(c.decision.verdict, Verdict::kOutsourceThenInsource);
  EXPECT_EQ(c.margins.vote_verdict, Verdict::kHybrid);
  ASSERT_EQ(c.margins.unmatch.size(), 2u);
  EXPECT_EQ(c.margins.unmatch[0], std::vector<std::string>{"capacity.utilization were below 0.9 or not given (now 1)"});
  EXPECT_EQ(c.margins.unmatch[1],
            std::vector<std::string>{"control.institutional_knowledge were \"low\" or not given (now \"high\")"});
  // The override reads neither scores nor the total: no weight or score moves the verdict.
  for (const CriterionMargin& cm : c.margins.criteria) {
    EXPECT_FALSE(cm.below || cm.above || cm.score_below || cm.score_above) << cm.criterion;
    EXPECT_EQ(cm.weight_low, 0.0);
    EXPECT_TRUE(std::isinf(cm.weight_high));
  }
  std::string text = margins_text(*c.policy, c.margins);
  EXPECT_TRUE(contains(text, "override fully-booked-team decided; it would no longer match if capacity.utilization were "
                             "below 0.9 or not given (now 1); or if control.institutional_knowledge were \"low\" or not "
                             "given (now \"high\")"))
      << text;
  EXPECT_TRUE(contains(text, "the weighted vote alone says hybrid: total +0.090")) << text;
  EXPECT_TRUE(contains(text, "would become insource by override back-office-stays-in-house if security.system_access "
                             "were \"back_office\" (now \"front_office\") and security.vendor_certified were false (now true)"))
      << text;
  EXPECT_EQ(check_weight_bounds(std::string(embedded_default_rules()),
                                tools_test::read_file(tools_test::source_path("examples/cases/candy-launch.yaml"))),
            0);
}

TEST(Margins, UnknownDrivenOverridesSayWhichMissingFactWouldLetThemDecide) {
  // Fully booked, but the knowledge is not given: fully-booked-team is unknown and does not match.
  Computed c = compute(std::string(embedded_default_rules()),
                       "id: u\nfacts: {capacity: {utilization: 0.95}, control: {core_competence: true}}\n");
  ASSERT_EQ(c.decision.verdict, Verdict::kInsource);
  ASSERT_EQ(c.decision.rule, -1);
  std::vector<std::string> lines;
  for (const TakeOver& t : c.margins.take_over) lines.push_back(c.policy->overrides()[t.rule].id + ": " + describe_changes(t.changes));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "fully-booked-team: control.institutional_knowledge were \"medium\" or \"high\" (now not given)"}));
}

TEST(Margins, JsonCarriesTheExactEnds) {
  Computed c = compute(std::string(embedded_default_rules()), kTwoVoters);
  nlohmann::ordered_json j = margins_json(*c.policy, c.margins);
  EXPECT_EQ(j["verdict"], "hybrid");
  EXPECT_TRUE(j["rule"].is_null());
  EXPECT_EQ(j["criteria"]["cost"]["below"], "insource");
  EXPECT_EQ(j["criteria"]["cost"]["weight_low"].get<double>(), c.margins.criteria[0].weight_low);
  EXPECT_EQ(j["criteria"]["control"]["state"], "abstained");
  EXPECT_FALSE(j["criteria"]["control"].contains("weight_low"));
  EXPECT_NEAR(j["to_insource_threshold"].get<double>(), 0.2 - c.decision.total, 1e-15);
}

TEST(Margins, BoundsAreRoundedAwayFromTheSideThatKeeps) {
  EXPECT_EQ(bound_text(0.18461538, true), "0.1846");
  EXPECT_EQ(bound_text(0.18461538, false), "0.1847");
  EXPECT_EQ(bound_text(0.3, true), "0.3");
  EXPECT_EQ(bound_text(2.0, false), "2");
  EXPECT_EQ(bound_text(0.000123456, true), "0.0001234");
  EXPECT_EQ(bound_text(-0.39999, true), "-0.4");
}

}  // namespace
}  // namespace insource
