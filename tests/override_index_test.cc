// The override index gives exactly the first match a scan in file order
// gives, with keyed, unkeyed and mixed overrides.
#include <random>

#include "test_util.h"

namespace insource {
namespace {

TEST(OverrideIndex, SameFirstMatchAsAScanInFileOrder) {
  // 60 overrides: vendor exceptions (keyed), access exceptions (keyed on
  // another fact), and unkeyed ones interleaved, some of them `or`s.
  std::string rules = "insource: 1\nextends: default.yaml\nfacts: {contract.vendor: string}\noverrides:\n";
  for (int i = 0; i < 60; ++i) {
    std::string when;
    switch (i % 4) {
      case 0: when = "contract.vendor == \"v" + std::to_string(i % 7) + "\" and cost.hours > " + std::to_string(i * 20); break;
      case 1: when = "security.system_access == \"none\" and total > " + std::to_string(-0.5 + i * 0.01); break;
      case 2: when = "capacity.utilization > " + std::to_string(0.5 + i * 0.01); break;
      case 3: when = "contract.vendor == \"v" + std::to_string(i % 5) + "\" or legal.regulated"; break;
    }
    rules += "  - {id: o" + std::to_string(i) + ", when: '" + when + "', verdict: " + (i % 2 ? "outsource" : "review") + "}\n";
  }
  auto p = Policy::compile(read_rules_text(rules, "idx.yaml", std::string(INSOURCE_SOURCE_DIR) + "/rules"), test::plugins_with());
  ASSERT_TRUE(p->override_index().enabled);
  ASSERT_FALSE(p->override_index().keyed.empty());
  ASSERT_FALSE(p->override_index().unkeyed.empty());

  std::mt19937 rng(3);
  Evaluator e(p);
  Decision d;
  int matched = 0;
  for (int k = 0; k < 3000; ++k) {
    std::string yaml = "id: c\nfacts:\n";
    if (rng() % 4) yaml += "  contract: {vendor: v" + std::to_string(rng() % 9) + "}\n";
    yaml += "  cost: {hours: " + std::to_string(1 + rng() % 1500) + ", internal_rate: 50, external_rate: 40}\n";
    if (rng() % 2) yaml += "  capacity: {utilization: 0." + std::to_string(rng() % 100) + "}\n";
    if (rng() % 2) yaml += std::string("  security: {system_access: ") + (rng() % 2 ? "none" : "back_office") + "}\n";
    if (rng() % 3 == 0) yaml += std::string("  legal: {regulated: ") + (rng() % 2 ? "true" : "false") + "}\n";
    CaseFacts c = test::case_from(*p, yaml);
    e.decide(c, &d, false);
    // The scan: every override in order, on the same votes.
    std::vector<double> scores(p->criteria().size());
    std::vector<uint8_t> voted(p->criteria().size());
    for (size_t i = 0; i < scores.size(); ++i) {
      voted[i] = d.criteria[i].state == CriterionOutcome::State::kVoted;
      scores[i] = d.criteria[i].score;
    }
    EvalInput in{c.facts.data(), scores.data(), voted.data(), d.total};
    int expected = -1;
    for (size_t i = 0; i < p->overrides().size() && expected < 0; ++i)
      if (p->overrides()[i].condition.evaluate(in) == Tri::kTrue) expected = static_cast<int>(i);
    ASSERT_EQ(d.rule, expected) << yaml;
    matched += expected >= 0;
  }
  EXPECT_GT(matched, 1000);  // the comparison is not vacuous
}

}  // namespace
}  // namespace insource
