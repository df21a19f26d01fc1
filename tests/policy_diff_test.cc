// `insource diff` (policy_diff.h): what changed between two policies, and
// every case whose verdict changes, with both verdicts and why.
#include "tools/policy_diff.h"
#include "policy_tools_util.h"

namespace insource {
namespace {

using tools_test::contains;
using tools_test::fixture;
using tools_test::source_path;

struct Pair {
  std::shared_ptr<const Policy> before, after;
};

Pair pair_of(const std::string& before, const std::string& after) {
  return Pair{load_policy(before, test::plugins_with()), load_policy(after, test::plugins_with())};
}

TEST(PolicyDiff, WhatChangedBetweenThePolicies) {
  Pair p = pair_of(source_path("rules/default.yaml"), fixture("rules/changed.yaml"));
  EXPECT_EQ(policy_changes(*p.before, *p.after),
            (std::vector<std::string>{
                "name: \"Default sourcing policy\" -> \"Default sourcing policy, revised\"",
                "weight of cost: 0.3 -> 0.4",
                "insource threshold: +0.200 -> +0.100",
                "override fully-booked-team removed",
                "override regulated-stays added (checked 3rd): when `legal.regulated` -> insource",
            }));
  EXPECT_TRUE(policy_changes(*p.before, *p.before).empty());
}

TEST(PolicyDiff, EveryCaseWhoseVerdictChangesAndWhy) {
  Pair p = pair_of(source_path("rules/default.yaml"), fixture("rules/changed.yaml"));
  PolicyDiff d = diff_policies(p.before, p.after, {fixture("cases/batch.jsonl")});
  EXPECT_EQ(d.cases, 5);
  EXPECT_EQ(d.unchanged, 2);
  EXPECT_TRUE(d.errors.empty());
  ASSERT_EQ(d.changed.size(), 3u);
  const CaseDiff& candy = d.changed[0];
  EXPECT_EQ(candy.id, "candy-launch");
  EXPECT_EQ(candy.before.verdict, Verdict::kOutsourceThenInsource);
  EXPECT_EQ(candy.before.rule, "fully-booked-team");
  EXPECT_EQ(candy.after.verdict, Verdict::kHybrid);
  EXPECT_EQ(candy.after.rule, "");
  EXPECT_EQ(d.changed[1].id, "regulated-reports");
  EXPECT_EQ(d.changed[1].after.rule, "regulated-stays");
  EXPECT_EQ(d.changed[2].id, "slightly-for");
  EXPECT_EQ(d.pairs, (std::vector<std::pair<std::string, int>>{{"outsource-then-insource -> hybrid", 1}, {"hybrid -> insource", 2}}));
  std::string t = policy_diff_text(d);
  EXPECT_TRUE(contains(t, "5 cases, 3 verdicts change:\n")) << t;
  EXPECT_TRUE(contains(t, "  slightly-for: hybrid -> insource\n"
                          "    before: weighted total +0.144 lies between the outsource threshold -0.200 and the insource threshold +0.200\n"
                          "    after:  weighted total +0.134 >= insource threshold +0.100\n"
                          "    contributions: legal +0.083 -> +0.068, cost +0.061 -> +0.066\n"))
      << t;
  EXPECT_TRUE(contains(t, "summary:\n  outsource-then-insource -> hybrid: 1\n  hybrid -> insource: 2\n  unchanged: 2\n")) << t;
  nlohmann::ordered_json j = policy_diff_json(d);
  EXPECT_EQ(j["summary"]["hybrid -> insource"], 2);
  EXPECT_EQ(j["changed"][1]["after"]["rule"], "regulated-stays");
  EXPECT_TRUE(j["changed"][0]["after"]["rule"].is_null());
}

TEST(PolicyDiff, ACaseThatFailsUnderOnePolicyOnlyIsAChange) {
  // The new policy declares a fact the old one does not know: the old one rejects the case.
  auto before = test::default_policy();
  const std::string rules = tools_test::write_scratch(
      "diff/new.yaml", std::string(embedded_default_rules()).replace(std::string(embedded_default_rules()).find("facts:"), 6,
                                                                     "facts:\n  client.vip: bool"));
  const std::string cases = tools_test::write_scratch("diff/cases.yaml", "id: vip\nfacts: {client: {vip: true}}\n");
  auto b = load_policy(rules, test::plugins_with());
  PolicyDiff d = diff_policies(before, b, {cases});
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_FALSE(d.changed[0].before.ok);
  EXPECT_TRUE(contains(d.changed[0].before.error, "client.vip")) << d.changed[0].before.error;
  EXPECT_EQ(d.changed[0].after.verdict, Verdict::kReview);
  EXPECT_EQ(d.pairs[0].first, "error -> review");
}

}  // namespace
}  // namespace insource
