// `insource explain` (explain.h) on real cases: the brief reason, the full
// table with the facts each criterion read, and the trace of every override
// with unknown steps naming the missing fact.
#include "tools/explain.h"
#include "policy_tools_util.h"

namespace insource {
namespace {

using tools_test::contains;

struct Explained {
  std::shared_ptr<const Policy> policy;
  CaseFacts c;
  Decision d;
};

Explained explained(const std::string& case_yaml) {
  Explained e;
  e.policy = test::default_policy();
  e.c = test::case_from(*e.policy, case_yaml);
  Evaluator ev(e.policy);
  ev.decide(e.c, &e.d, true);
  return e;
}

std::string example(const std::string& name) {
  return tools_test::read_file(tools_test::source_path("examples/cases/" + name));
}

const char* kBookedUnknown = "id: booked-unknown\nfacts: {capacity: {utilization: 0.95}, control: {core_competence: true}}\n";

TEST(Explain, BriefReasons) {
  Explained candy = explained(example("candy-launch.yaml"));
  EXPECT_EQ(explain_brief(*candy.policy, candy.c, candy.d),
            "candy-launch: outsource-then-insource, because override fully-booked-team holds: The team that knows the "
            "product is fully booked; hand the launch out, take it back once it runs. (the weighted vote alone would "
            "say hybrid at total +0.090)");
  Explained catering = explained(example("office-catering.yaml"));
  EXPECT_EQ(explain_brief(*catering.policy, catering.c, catering.d),
            "office-catering: outsource: the weighted total -0.464 is at or below the outsource threshold -0.200, "
            "driven by control (-0.250) and cost (-0.168)");
  Explained two = explained("id: two\nfacts: {cost: {hours: 10, internal_rate: 100, external_rate: 50}, legal: {vendor_jurisdiction: foreign}}\n");
  EXPECT_EQ(explain_brief(*two.policy, two.c, two.d),
            "two: hybrid: the weighted total +0.033 lies between the outsource threshold -0.200 and the insource "
            "threshold +0.200; legal (+0.333) pulls toward insourcing, cost (-0.300) toward outsourcing");
  Explained none = explained("id: none\nfacts: {}\n");
  EXPECT_EQ(explain_brief(*none.policy, none.c, none.d),
            "none: review: no criterion voted (the case gives none of the facts they read), so a person must decide");
  EXPECT_EQ(explain_text(*none.policy, none.c, none.d, ExplainLevel::kBrief), explain_brief(*none.policy, none.c, none.d) + "\n");
}

TEST(Explain, FullHasTheTableTheFactsReadAndTheMargins) {
  Explained e = explained(example("office-catering.yaml"));
  std::string t = explain_text(*e.policy, e.c, e.d, ExplainLevel::kFull);
  EXPECT_TRUE(contains(t, "  verdict: outsource\n")) << t;
  EXPECT_TRUE(contains(t, "  cost       0.30    -0.56   -0.168     in house 800 h")) << t;
  EXPECT_TRUE(contains(t, "    cost: cost.hours = 800, cost.internal_rate = 55, cost.external_rate = 30, "
                          "cost.opportunity_rate = 20, cost.transition = not given, default 0\n"))
      << t;
  EXPECT_TRUE(contains(t, "security.vendor_certified = not given, default false")) << t;
  EXPECT_TRUE(contains(t, "  margins (what would change the verdict outsource, one thing at a time):\n")) << t;
  EXPECT_TRUE(contains(t, "would become hybrid if the weight of security rose above 1.5192 (now 0.2)")) << t;
  EXPECT_FALSE(contains(t, "overrides, in order")) << t;
}

TEST(Explain, TraceNamesTheMissingFactOfAnUnknownOverride) {
  Explained e = explained(kBookedUnknown);
  ASSERT_EQ(e.d.verdict, Verdict::kInsource);
  std::string t = explain_text(*e.policy, e.c, e.d, ExplainLevel::kTrace);
  EXPECT_TRUE(contains(t, "    3. fully-booked-team -> outsource-then-insource: did not match: unknown "
                          "(control.institutional_knowledge is not given)\n"
                          "       when: capacity.utilization >= 0.9 and control.institutional_knowledge in [\"medium\", \"high\"]\n"
                          "       reads: capacity.utilization = 0.95, control.institutional_knowledge = not given\n"
                          "       capacity.utilization >= 0.9 and control.institutional_knowledge in [\"medium\", \"high\"]  ->  "
                          "unknown (control.institutional_knowledge is not given)\n"
                          "         capacity.utilization >= 0.9  ->  true\n"
                          "           capacity.utilization  ->  0.95\n"
                          "         control.institutional_knowledge in [\"medium\", \"high\"]  ->  unknown "
                          "(control.institutional_knowledge is not given)\n"))
      << t;
  // The default of vendor_certified makes `not security.vendor_certified` true, yet system_access is missing.
  EXPECT_TRUE(contains(t, "    1. back-office-stays-in-house -> insource: did not match: unknown (security.system_access is not given)\n"))
      << t;
  EXPECT_TRUE(contains(t, "         not security.vendor_certified  ->  true\n")) << t;
  EXPECT_TRUE(contains(t, "reads: security.system_access = not given, security.vendor_certified = not given, default false")) << t;
  EXPECT_TRUE(contains(t, "would become outsource-then-insource by override fully-booked-team if "
                          "control.institutional_knowledge were \"medium\" or \"high\" (now not given)"))
      << t;
}

TEST(Explain, TraceShowsWhichDecidedAndWhatWasNotReached) {
  // Back office, restricted data abroad and fully booked: the first override decides.
  Explained e = explained(R"(id: all-three
facts:
  security: {system_access: back_office, data_sensitivity: restricted}
  legal: {vendor_jurisdiction: foreign}
  capacity: {utilization: 1.0}
  control: {institutional_knowledge: high}
)");
  std::string t = explain_text(*e.policy, e.c, e.d, ExplainLevel::kTrace);
  EXPECT_TRUE(contains(t, "    1. back-office-stays-in-house -> insource: matched: decides insource\n")) << t;
  EXPECT_TRUE(contains(t, "    2. restricted-data-abroad -> insource: not reached (override back-office-stays-in-house "
                          "decided first); it is true\n"))
      << t;
  EXPECT_TRUE(contains(t, "would no longer match if security.system_access were \"none\" or \"front_office\" or not given "
                          "(now \"back_office\"); or if security.vendor_certified were true (now false, by default)"))
      << t;
}

TEST(Explain, JsonAtEachLevel) {
  Explained e = explained(kBookedUnknown);
  nlohmann::ordered_json brief = explain_json(*e.policy, e.c, e.d, ExplainLevel::kBrief);
  EXPECT_EQ(brief["verdict"], "insource");
  EXPECT_FALSE(brief.contains("criteria"));
  EXPECT_FALSE(brief.contains("margins"));
  nlohmann::ordered_json full = explain_json(*e.policy, e.c, e.d, ExplainLevel::kFull);
  EXPECT_EQ(full["criteria"]["control"]["facts"]["control.core_competence"], true);
  EXPECT_TRUE(full["criteria"]["control"]["facts"]["control.institutional_knowledge"].is_null());
  EXPECT_FALSE(full.contains("overrides"));
  EXPECT_EQ(full["margins"]["criteria"]["control"]["below"], "review");
  nlohmann::ordered_json trace = explain_json(*e.policy, e.c, e.d, ExplainLevel::kTrace);
  const auto& booked = trace["overrides"][2];
  EXPECT_EQ(booked["id"], "fully-booked-team");
  EXPECT_EQ(booked["outcome"], "unknown");
  EXPECT_EQ(booked["decided"], false);
  EXPECT_EQ(booked["reads"]["capacity.utilization"], 0.95);
  EXPECT_TRUE(booked["reads"]["control.institutional_knowledge"].is_null());
  EXPECT_EQ(booked["steps"][0]["missing"], "control.institutional_knowledge");
  EXPECT_EQ(booked["steps"][1]["outcome"], "true");
}

TEST(Explain, ConditionsOnScoresAndTotalAreTracedWithTheirValues) {
  auto p = test::policy_from(R"(insource: 1
criteria: {cost: {weight: 1}, legal: {weight: 1}}
overrides:
  - id: legal-abstained
    when: not exists(score.legal) and total < 0
    verdict: review
  - id: strong-cost
    when: score.legal > 0.5 or score.cost / 0 > 1
    verdict: insource
)");
  CaseFacts c = test::case_from(*p, "id: a\nfacts: {cost: {hours: 10, internal_rate: 100, external_rate: 100}}\n");
  Evaluator ev(p);
  Decision d;
  ev.decide(c, &d, true);
  std::string t = explain_text(*p, c, d, ExplainLevel::kTrace);
  EXPECT_TRUE(contains(t, "reads: score.legal = none (legal did not vote), total = 0.09090909090909091")) << t;
  EXPECT_TRUE(contains(t, "score.legal > 0.5  ->  unknown (score.legal is missing: that criterion did not vote)")) << t;
  EXPECT_TRUE(contains(t, "score.cost / 0  ->  unknown (division by zero)")) << t;
}

}  // namespace
}  // namespace insource
