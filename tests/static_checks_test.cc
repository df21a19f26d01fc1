// `insource check` beyond loading (static_checks.h): each kind of warning,
// with its file:line:column, on fixture rules; none on the default policy;
// none where the conditions cannot be decided (no false alarms).
#include "policy_tools_util.h"
#include "tools/static_checks.h"

namespace insource {
namespace {

using tools_test::fixture;

std::vector<std::string> warnings_of(const std::string& rules_file, const std::vector<std::string>& fixtures = {}) {
  auto p = load_policy(rules_file, test::plugins_with(fixtures));
  std::vector<std::string> out;
  for (const Diagnostic& d : static_checks(*p)) {
    EXPECT_EQ(d.severity, Diagnostic::Severity::kWarning);
    out.push_back(d.str());
  }
  return out;
}

std::vector<std::string> warnings_of_text(const std::string& yaml) {
  std::vector<std::string> out;
  for (const Diagnostic& d : static_checks(*test::policy_from(yaml))) out.push_back(d.str());
  return out;
}

TEST(StaticChecks, TheDefaultPolicyIsClean) {
  EXPECT_TRUE(static_checks(*test::default_policy()).empty());
  EXPECT_TRUE(warnings_of(tools_test::source_path("rules/default.yaml")).empty());
}

TEST(StaticChecks, EveryKindOfWarningWithItsPosition) {
  const std::string f = fixture("rules/warnings.yaml");
  EXPECT_EQ(warnings_of(f),
            (std::vector<std::string>{
                f + ":7:3: warning: fact 'project.unused' is declared under `facts` but no override condition reads it "
                    "(and no plugin does)",
                f + ":11:19: warning: criterion 'legal' has weight 0: it never votes (give it a weight above 0, or "
                    "remove it)",
                f + ":17:11: warning: override 'very-booked' can never decide: every case it matches is matched first "
                    "by override 'booked' (" + f + ":14:11)",
                f + ":20:11: warning: the condition of override 'negative-hours' can never hold: no case (with facts "
                    "of their declared types, ranges and levels, or without them) makes it true, so the override never "
                    "decides",
                f + ":26:11: warning: the condition of override 'any-priority' holds for every case: the override "
                    "decides every case, so the weighted vote and the overrides after it never decide",
                f + ":29:11: warning: override 'after-everything' can never decide: every case it matches is matched "
                    "first by override 'any-priority' (" + f + ":26:11)",
            }));
  // cheap-for-its-size does arithmetic on two facts: not decidable here, so nothing is said about it.
  for (const auto& w : warnings_of(f)) EXPECT_EQ(w.find("cheap-for-its-size"), std::string::npos) << w;
}

TEST(StaticChecks, ShadowedByTwoEarlierOverridesTogether) {
  const std::string f = fixture("rules/split.yaml");
  EXPECT_EQ(warnings_of(f), (std::vector<std::string>{
                                f + ":15:11: warning: override 'given' can never decide: every case it matches is matched "
                                    "first by one of the overrides 'low' (" + f + ":9:11), 'high' (" + f + ":12:11)"}));
}

TEST(StaticChecks, VerdictBandsThePluginsScoreRangesCannotReach) {
  const std::string f = fixture("rules/bands.yaml");
  EXPECT_EQ(warnings_of(f),
            (std::vector<std::string>{
                f + ":6:13: warning: no case can reach the insource band: the total stays within [+0, +1] (the score "
                    "ranges the plugins of the voting criteria declare), below the insource threshold +1.5",
                f + ":6:13: warning: no case can reach the outsource band: the total stays within [+0, +1] (the score "
                    "ranges the plugins of the voting criteria declare), above the outsource threshold -0.2",
            }));
  TotalRange r = total_range(*test::policy_from("insource: 1\ncriteria: {security: {weight: 1}, legal: {weight: 2}}\n"));
  EXPECT_EQ(r.min, 0.0);
  EXPECT_EQ(r.max, 1.0);
}

TEST(StaticChecks, WeightZeroThatRemovesAnInheritedCriterion) {
  const std::string f = tools_test::source_path("tests/fixtures/rules/good/child.yaml");
  EXPECT_EQ(warnings_of(f), (std::vector<std::string>{f + ":11:22: warning: weight 0 removes criterion 'legal' inherited "
                                                          "from the extended rules: it does not vote"}));
}

TEST(StaticChecks, ConditionsOnScoresAndTotalUseTheDeclaredRanges) {
  // security scores lie in [0, 1]: a negative security score never happens;
  // total is at least -1: `total >= -1` always holds.
  auto w = warnings_of_text(R"(insource: 1
criteria: {security: {weight: 1}, cost: {weight: 1}}
overrides:
  - {id: never, when: score.security < 0, verdict: outsource}
  - {id: always, when: total >= -1, verdict: hybrid}
)");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("override 'never' can never hold"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("override 'always' holds for every case"), std::string::npos) << w[1];
}

TEST(StaticChecks, OverridesThatTogetherCoverEveryCaseShadowTheRest) {
  // b and c between them match every case (utilization given and >= 0.9, or not): d never decides.
  auto w = warnings_of_text(R"(insource: 1
facts: {capacity.utilization: number}
criteria: {cost: {weight: 1}}
overrides:
  - {id: b, when: capacity.utilization >= 0.9, verdict: hybrid}
  - {id: c, when: not exists(capacity.utilization) or capacity.utilization < 0.9, verdict: insource}
  - {id: d, when: score.cost > 0.5, verdict: review}
)");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("override 'd' can never decide: every case it matches is matched first by one of the overrides "
                      "'b' (test.yaml:5:19), 'c' (test.yaml:6:19)"),
            std::string::npos)
      << w[0];
}

TEST(StaticChecks, NoFalseAlarms) {
  // Each of these can hold and can fail, and none hides another.
  EXPECT_TRUE(warnings_of_text(R"(insource: 1
facts: {capacity.utilization: number}
criteria: {cost: {weight: 1}, control: {weight: 1}}
overrides:
  - {id: a, when: capacity.utilization >= 0.9 and control.institutional_knowledge == "high", verdict: outsource}
  - {id: b, when: capacity.utilization >= 0.9, verdict: hybrid}
  - {id: c, when: not exists(capacity.utilization) or capacity.utilization < 0.5, verdict: insource}
  - {id: d, when: score.cost > 0.5 or total < -0.5, verdict: review}
)")
                  .empty());
}

}  // namespace
}  // namespace insource
