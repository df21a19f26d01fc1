// Combining votes (docs/criteria.md section 6): renormalisation over voters,
// contributions, thresholds at their edges, overrides in order with
// three-valued conditions, and plugin faults.
#include "test_util.h"

namespace insource {
namespace {

using test::crit;
using test::decide;
using test::default_policy;
using test::policy_from;

// The seed's candy launch (examples/cases/candy-launch.yaml).
const char* kCandy = R"(
id: candy-launch
facts:
  cost:     {hours: 1200, internal_rate: 85, external_rate: 60, opportunity_rate: 30, transition: 5000}
  capacity: {utilization: 1.0}
  control:  {institutional_knowledge: high, core_competence: false, customer_facing: true, change_frequency: high}
  security: {system_access: front_office, data_sensitivity: internal, vendor_certified: true}
  legal:    {vendor_jurisdiction: domestic, regulated: false, ip_sensitive: true}
  training: {complexity: medium, expertise_in_house: false, internal_ramp_weeks: 1, external_ramp_weeks: 4}
)";

TEST(Evaluator, CandyLaunchByHand) {
  auto p = default_policy();
  Decision d = decide(p, kCandy);
  ASSERT_FALSE(d.failed) << d.error;
  // cost: internal 1200*(85+30)=138000, external 1200*60*1.1+5000=84200, rel=(84200-138000)/138000
  const double cost = (84200.0 - 138000.0) / 138000.0;
  // control: (1 + 0 + 1 + 1)/4 = 0.75 -> 2*0.75-1 = 0.5
  const double control = 0.5;
  // security: mean(0.5, 1/3) = 5/12, certified -> x0.5 = 5/24
  const double security = (0.5 + 1.0 / 3.0) / 2.0 * 0.5;
  // legal: mean(0, 0, 1) = 1/3
  const double legal = 1.0 / 3.0;
  // training: ramp rel(4,1) = 0.75, expertise -1, mean -0.125, medium x0.75 = -0.09375
  const double training = -0.09375;
  const double total = (0.30 * cost + 0.25 * control + 0.20 * security + 0.15 * legal + 0.10 * training) / 1.0;
  EXPECT_NEAR(d.criteria[crit(*p, "cost")].score, cost, 1e-12);
  EXPECT_NEAR(d.criteria[crit(*p, "control")].score, control, 1e-12);
  EXPECT_NEAR(d.criteria[crit(*p, "security")].score, security, 1e-12);
  EXPECT_NEAR(d.criteria[crit(*p, "legal")].score, legal, 1e-12);
  EXPECT_NEAR(d.criteria[crit(*p, "training")].score, training, 1e-12);
  EXPECT_NEAR(d.total, total, 1e-12);
  // Utilisation 1.0 >= 0.9 and knowledge high: the fully-booked override decides.
  EXPECT_EQ(d.verdict, Verdict::kOutsourceThenInsource);
  ASSERT_GE(d.rule, 0);
  EXPECT_EQ(p->overrides()[static_cast<size_t>(d.rule)].id, "fully-booked-team");
}

TEST(Evaluator, AbstainersDropOutAndTheOthersAreRenormalised) {
  auto p = default_policy();
  // Only cost and legal vote; the other three abstain.
  Decision d = decide(p, R"(
id: two-voters
facts:
  cost: {hours: 10, internal_rate: 100, external_rate: 50, transition: 0}
  legal: {vendor_jurisdiction: foreign}
)");
  ASSERT_FALSE(d.failed) << d.error;
  // cost: internal 1000, external 10*50*1.1 = 550, rel = (550-1000)/1000 = -0.45; legal: 1
  const double cost = -0.45, legal = 1.0;
  const double total = (0.30 * cost + 0.15 * legal) / (0.30 + 0.15);
  EXPECT_NEAR(d.total, total, 1e-12);
  EXPECT_NEAR(d.weight_sum, 0.45, 1e-12);
  EXPECT_EQ(d.criteria[crit(*p, "control")].state, CriterionOutcome::State::kAbstained);
  EXPECT_EQ(d.criteria[crit(*p, "security")].state, CriterionOutcome::State::kAbstained);
  EXPECT_EQ(d.criteria[crit(*p, "training")].state, CriterionOutcome::State::kAbstained);
  EXPECT_NEAR(d.criteria[crit(*p, "cost")].contribution, 0.30 * cost / 0.45, 1e-12);
  EXPECT_NEAR(d.criteria[crit(*p, "legal")].contribution, 0.15 * legal / 0.45, 1e-12);
  double sum = 0;
  for (const auto& c : d.criteria) sum += c.contribution;
  EXPECT_NEAR(sum, d.total, 1e-12);
  // total = (-0.135 + 0.15) / 0.45 = 0.0333: hybrid.
  EXPECT_EQ(d.verdict, Verdict::kHybrid);
  EXPECT_EQ(d.rule, -1);
}

TEST(Evaluator, NoVoterMeansReview) {
  auto p = default_policy();
  Decision d = decide(p, "id: empty\nfacts: {}\n");
  EXPECT_EQ(d.verdict, Verdict::kReview);
  EXPECT_EQ(d.total, 0.0);
  EXPECT_FALSE(d.failed);
}

TEST(Evaluator, ThresholdsAllowOneBillionthAndNoMore) {
  Thresholds t{0.20, -0.20};
  EXPECT_EQ(threshold_verdict(t, 0.20), Verdict::kInsource);
  EXPECT_EQ(threshold_verdict(t, 0.20 - 0.9e-9), Verdict::kInsource);
  EXPECT_EQ(threshold_verdict(t, 0.20 - 1.1e-9), Verdict::kHybrid);
  EXPECT_EQ(threshold_verdict(t, -0.20), Verdict::kOutsource);
  EXPECT_EQ(threshold_verdict(t, -0.20 + 0.9e-9), Verdict::kOutsource);
  EXPECT_EQ(threshold_verdict(t, -0.20 + 1.1e-9), Verdict::kHybrid);
  EXPECT_EQ(threshold_verdict(t, 0.0), Verdict::kHybrid);
}

TEST(Evaluator, TotalExactlyOnAThresholdOnPaperIsInsource) {
  // control alone, knowledge medium, core true, facing false, change low:
  // mean = (0.5+1+0+0)/4 = 0.375 -> 2*0.375-1 = -0.25, exactly the outsource threshold.
  auto p = policy_from(R"(insource: 1
criteria: {control: {weight: 0.7}}
thresholds: {insource: 0.6, outsource: -0.25}
)");
  Decision d = decide(p, R"(
id: edge
facts: {control: {institutional_knowledge: medium, core_competence: true, customer_facing: false, change_frequency: low}}
)");
  EXPECT_NEAR(d.total, -0.25, 1e-15);
  EXPECT_EQ(d.verdict, Verdict::kOutsource);
}

TEST(Evaluator, ThreeValuedOverrides) {
  auto p = default_policy();
  // No security facts: back-office rule is unknown (system_access missing) and does not match,
  // even though `not security.vendor_certified` holds by its default.
  Decision d = decide(p, R"(
id: unknown-access
facts: {capacity: {utilization: 0.5}, legal: {vendor_jurisdiction: foreign}}
)");
  EXPECT_EQ(d.rule, -1);
  // Back office, certification absent: the default false makes `not certified` true.
  d = decide(p, "id: bo\nfacts: {security: {system_access: back_office}}\n");
  ASSERT_GE(d.rule, 0);
  EXPECT_EQ(p->overrides()[static_cast<size_t>(d.rule)].id, "back-office-stays-in-house");
  EXPECT_EQ(d.verdict, Verdict::kInsource);
  // Back office but certified: the rule does not match.
  d = decide(p, "id: bo2\nfacts: {security: {system_access: back_office, vendor_certified: true}}\n");
  EXPECT_EQ(d.rule, -1);
  // Foreign and restricted.
  d = decide(p, "id: abroad\nfacts: {security: {data_sensitivity: restricted}, legal: {vendor_jurisdiction: foreign}}\n");
  ASSERT_GE(d.rule, 0);
  EXPECT_EQ(p->overrides()[static_cast<size_t>(d.rule)].id, "restricted-data-abroad");
  // Fully booked but knowledge missing: unknown, no match.
  d = decide(p, "id: booked\nfacts: {capacity: {utilization: 0.95}, control: {core_competence: true}}\n");
  EXPECT_EQ(d.rule, -1);
  // Fully booked, knowledge low: false.
  d = decide(p, "id: booked2\nfacts: {capacity: {utilization: 0.95}, control: {institutional_knowledge: low}}\n");
  EXPECT_EQ(d.rule, -1);
  // Fully booked at exactly 0.9 with medium knowledge: matches.
  d = decide(p, "id: booked3\nfacts: {capacity: {utilization: 0.9}, control: {institutional_knowledge: medium}}\n");
  ASSERT_GE(d.rule, 0);
  EXPECT_EQ(p->overrides()[static_cast<size_t>(d.rule)].id, "fully-booked-team");
}

TEST(Evaluator, FirstMatchingOverrideWins) {
  auto p = default_policy();
  // Matches all three; the first in file order decides.
  Decision d = decide(p, R"(
id: all-three
facts:
  security: {system_access: back_office, data_sensitivity: restricted}
  legal: {vendor_jurisdiction: foreign}
  capacity: {utilization: 1.0}
  control: {institutional_knowledge: high}
)");
  EXPECT_EQ(p->overrides()[static_cast<size_t>(d.rule)].id, "back-office-stays-in-house");
}

TEST(Evaluator, ConditionsReadScoresAndTotal) {
  auto p = policy_from(R"(insource: 1
criteria: {cost: {weight: 1}, legal: {weight: 1}}
overrides:
  - id: legal-abstained
    when: not exists(score.legal) and total < 0
    verdict: review
    reason: cheap but nobody checked the contract
  - id: strong-cost
    when: score.cost > 0.5
    verdict: insource
)");
  Decision d = decide(p, "id: a\nfacts: {cost: {hours: 10, internal_rate: 100, external_rate: 10}}\n");
  EXPECT_EQ(d.verdict, Verdict::kReview);
  EXPECT_EQ(d.rule, 0);
  d = decide(p, "id: b\nfacts: {cost: {hours: 10, internal_rate: 10, external_rate: 100}, legal: {regulated: false}}\n");
  // cost = rel(1100, 100) = 1000/1100 > 0.5
  EXPECT_EQ(d.rule, 1);
  EXPECT_EQ(d.verdict, Verdict::kInsource);
}

class PluginFaults : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(PluginFaults, FailTheCaseNamingThePlugin) {
  auto p = policy_from("insource: 1\ncriteria: {cost: {weight: 1}, faulty: {weight: 1}}\n", {"faulty"});
  Decision d = decide(p, std::string("id: f\nfacts: {faulty: {mode: ") + GetParam().first + "}}\n");
  EXPECT_TRUE(d.failed);
  EXPECT_NE(d.error.find("fixture-faulty"), std::string::npos) << d.error;
  EXPECT_NE(d.error.find(GetParam().second), std::string::npos) << d.error;
  EXPECT_EQ(d.criteria[crit(*p, "faulty")].state, CriterionOutcome::State::kFailed);
}

INSTANTIATE_TEST_SUITE_P(Modes, PluginFaults,
                         ::testing::Values(std::make_pair("throw", "deliberate failure inside the plugin"),
                                           std::make_pair("nan", "returned score nan"),
                                           std::make_pair("three", "returned score 3, outside [-1, 1]"),
                                           std::make_pair("error", "faulty.mode asked for an error")),
                         [](const ::testing::TestParamInfo<std::pair<const char*, const char*>>& i) {
                           return std::string(i.param.first);
                         });

TEST(Evaluator, AHealthyCaseAfterAFaultIsUnaffected) {
  auto p = policy_from("insource: 1\ncriteria: {faulty: {weight: 1}}\n", {"faulty"});
  Evaluator e(p);
  Decision d;
  CaseFacts bad = test::case_from(*p, "id: bad\nfacts: {faulty: {mode: throw}}\n");
  CaseFacts good = test::case_from(*p, "id: good\nfacts: {faulty: {mode: ok}}\n");
  e.decide(bad, &d, true);
  EXPECT_TRUE(d.failed);
  e.decide(good, &d, true);
  EXPECT_FALSE(d.failed);
  EXPECT_DOUBLE_EQ(d.total, 0.5);
  EXPECT_EQ(d.verdict, Verdict::kInsource);
}

TEST(Evaluator, MissingRequiredFactFailsTheCaseNamingTheFact) {
  auto p = default_policy();
  Decision d = decide(p, "id: nohours\nfacts: {cost: {internal_rate: 10, external_rate: 5}}\n");
  EXPECT_TRUE(d.failed);
  EXPECT_NE(d.error.find("cost.hours"), std::string::npos) << d.error;
  EXPECT_NE(d.error.find("builtin-cost"), std::string::npos) << d.error;
}

TEST(Evaluator, RationaleOnlyWhenAskedAndTheVerdictIsTheSame) {
  auto p = default_policy();
  Evaluator e(p);
  CaseFacts c = test::case_from(*p, kCandy);
  Decision with, without;
  e.decide(c, &with, true);
  e.decide(c, &without, false);
  EXPECT_FALSE(with.criteria[0].rationale.empty());
  EXPECT_TRUE(without.criteria[0].rationale.empty());
  EXPECT_EQ(with.verdict, without.verdict);
  EXPECT_EQ(with.total, without.total);
}

TEST(Evaluator, CustomCPluginVotesBesideTheBuiltins) {
  auto p = policy_from(R"(insource: 1
criteria:
  cost: {weight: 1}
  speed: {weight: 1, params: {scale: 2}}
)", {"c_speed"});
  Decision d = decide(p, R"(
id: s
facts:
  cost: {hours: 10, internal_rate: 100, external_rate: 100, transition: 0}
  speed: {team_start_weeks: 8, vendor_start_weeks: 2}
)");
  ASSERT_FALSE(d.failed) << d.error;
  // cost: rel(1100, 1000) = 100/1100; speed: rel(2, 8) = -0.75, x2 = -1.5 -> clamped -1.
  EXPECT_NEAR(d.criteria[crit(*p, "speed")].score, -1.0, 1e-15);
  EXPECT_NEAR(d.total, (100.0 / 1100.0 - 1.0) / 2.0, 1e-12);
  EXPECT_EQ(d.verdict, Verdict::kOutsource);
}

}  // namespace
}  // namespace insource
