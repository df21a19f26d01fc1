// The structure of compiled conditions (condition_shape.h), copied from the
// condition's read-only view: the right tree for every construct of the
// language, values of every sub-expression that agree with
// Condition::evaluate and trace() on many random cases, the names and
// constants simple comparisons use, and "what would have to change".
#include <random>

#include "tools/condition_shape.h"
#include "policy_tools_util.h"

namespace insource {
namespace {

using K = CondNode::Kind;

const char* kRules = R"(insource: 1
facts:
  capacity.utilization: number
  project.priority: {type: string, allowed: [low, normal, high]}
  project.code: string
  project.urgent: bool
criteria:
  cost: {weight: 1}
  security: {weight: 1}
overrides:
)";

// Conditions covering every construct: parentheses, not, unary minus, the
// four operations, min / max / abs, exists, in lists, literals on the left,
// escapes, scores, the total, and facts with defaults.
const std::vector<std::string> kConditions = {
    R"(capacity.utilization >= 0.9 and project.priority in ["normal", "high"])",
    R"(not (project.urgent or capacity.utilization < 0.5))",
    R"(0.5 <= capacity.utilization)",
    R"(-capacity.utilization > -1 and --1 == 1 and -(-2) == 2)",
    R"(cost.hours * cost.internal_rate - cost.external_rate / 2 > 100)",
    R"(min(cost.hours, 10, capacity.utilization) < max(1, 2) or abs(-3) == 3)",
    R"(exists(cost.hours) and not exists(score.security) or exists(total))",
    R"(project.code == "it's \"quoted\"" or project.code != 'x')",
    R"(score.cost > 0.25 and total < score.security)",
    R"(security.vendor_certified == false and not security.vendor_certified)",
    R"(capacity.utilization in [] or project.urgent in [true] or cost.hours in [1, 2, 3])",
    R"(((capacity.utilization)) > (0.5) and (project.urgent))",
    R"(cost.hours / (capacity.utilization - 1) > 2)",
    R"(true and not false or project.priority == "low")",
};

std::shared_ptr<const Policy> policy_with(const std::vector<std::string>& conditions) {
  std::string rules = kRules;
  for (size_t i = 0; i < conditions.size(); ++i) {
    std::string c = conditions[i];
    std::string quoted;
    for (char ch : c) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
    rules += "  - {id: o" + std::to_string(i) + ", verdict: review, when: '" + quoted + "'}\n";
  }
  return test::policy_from(rules);
}

TEST(ConditionShape, TheDefaultOverridesHaveTheirTrees) {
  auto p = test::default_policy();
  CondNode a = condition_shape(p->overrides()[0].condition);
  ASSERT_EQ(a.kind, K::kAnd);
  ASSERT_EQ(a.kids.size(), 2u);
  EXPECT_EQ(a.kids[0].kind, K::kCompare);
  EXPECT_EQ(a.kids[0].op, "==");
  EXPECT_EQ(a.kids[0].kids[0].kind, K::kName);
  EXPECT_EQ(a.kids[0].kids[0].name, "security.system_access");
  EXPECT_EQ(a.kids[0].kids[1].kind, K::kString);
  EXPECT_EQ(a.kids[0].kids[1].string, "back_office");
  EXPECT_EQ(a.kids[1].kind, K::kNot);
  EXPECT_EQ(a.kids[1].kids[0].type, Type::kBool);
  CondNode c = condition_shape(p->overrides()[2].condition);
  ASSERT_EQ(c.kids.size(), 2u);
  EXPECT_EQ(c.kids[0].op, ">=");
  EXPECT_EQ(c.kids[0].kids[1].number, 0.9);
  EXPECT_EQ(c.kids[1].kind, K::kIn);
  ASSERT_EQ(c.kids[1].kids.size(), 3u);
  EXPECT_EQ(c.kids[1].kids[2].string, "high");
}

TEST(ConditionShape, EveryConstructIsReadBack) {
  auto p = policy_with(kConditions);
  ASSERT_EQ(p->overrides().size(), kConditions.size());
  for (const auto& o : p->overrides()) EXPECT_NO_THROW(condition_shape(o.condition)) << o.condition.text();
  CondNode neg = condition_shape(p->overrides()[3].condition);
  ASSERT_EQ(neg.kids.size(), 3u);
  EXPECT_EQ(neg.kids[0].kids[0].kind, K::kNeg);
  EXPECT_EQ(neg.kids[1].kids[0].kind, K::kNumber);
  EXPECT_EQ(neg.kids[1].kids[0].number, 1.0);  // --1
  EXPECT_EQ(neg.kids[2].kids[0].number, 2.0);  // -(-2)
  CondNode esc = condition_shape(p->overrides()[7].condition);
  EXPECT_EQ(esc.kids[0].kids[1].string, "it's \"quoted\"");
  EXPECT_EQ(esc.kids[1].kids[1].string, "x");
  CondNode calls = condition_shape(p->overrides()[5].condition);
  EXPECT_EQ(calls.kids[0].kids[0].kind, K::kCall);
  EXPECT_EQ(calls.kids[0].kids[0].op, "min");
  EXPECT_EQ(calls.kids[0].kids[0].kids.size(), 3u);
  CondNode empty_in = condition_shape(p->overrides()[10].condition);
  EXPECT_EQ(empty_in.kids[0].kind, K::kIn);
  EXPECT_EQ(empty_in.kids[0].kids.size(), 1u);
}

void flatten(const CondNode& n, std::vector<const CondNode*>* out) {
  out->push_back(&n);
  for (const CondNode& k : n.kids) flatten(k, out);
}

// The tools' values agree with the engine on random cases: the whole
// condition with Condition::evaluate, and every sub-expression that trace()
// evaluated with its step (the tree is in the steps' order, text and offset).
TEST(ConditionShape, EvaluatesLikeTheEngine) {
  auto p = policy_with(kConditions);
  std::vector<CondNode> shapes;
  for (const auto& o : p->overrides()) shapes.push_back(condition_shape(o.condition));
  std::mt19937 rng(42);
  std::vector<std::string> strings{"low", "normal", "high", "x", "it's \"quoted\"", "other"};
  std::vector<double> numbers{-3, -1, 0, 0.25, 0.5, 0.9, 1, 2, 3, 10, 100, 1000};
  int agree = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<insource_value> facts(p->schema().size(), make_absent());
    for (uint32_t s = 0; s < facts.size(); ++s) {
      if (rng() % 3 == 0) continue;  // absent
      switch (p->schema().at(s).decl.type) {
        case Type::kNumber: facts[s] = make_number(numbers[rng() % numbers.size()]); break;
        case Type::kBool: facts[s] = make_bool(rng() % 2); break;
        case Type::kString: facts[s] = make_string(strings[rng() % strings.size()]); break;
        default: break;
      }
    }
    std::vector<double> scores(p->criteria().size());
    std::vector<uint8_t> voted(p->criteria().size());
    for (size_t i = 0; i < scores.size(); ++i) {
      voted[i] = rng() % 3 != 0;
      scores[i] = numbers[rng() % numbers.size()] / 10;
    }
    EvalInput in{facts.data(), scores.data(), voted.data(), numbers[rng() % numbers.size()] / 10};
    for (size_t i = 0; i < shapes.size(); ++i) {
      const Condition& cond = p->overrides()[i].condition;
      Tri engine = cond.evaluate(in);
      Tri shape = value_of(shapes[i], in).tri();
      ASSERT_EQ(engine, shape) << cond.text() << " (round " << round << ")";
      ++agree;
      std::vector<TraceStep> steps;
      ASSERT_EQ(cond.trace(in, &steps), engine);
      std::vector<const CondNode*> nodes;
      flatten(shapes[i], &nodes);
      ASSERT_EQ(nodes.size(), steps.size()) << cond.text();
      for (size_t k = 0; k < steps.size(); ++k) {
        ASSERT_EQ(nodes[k]->text, steps[k].text) << cond.text();
        ASSERT_EQ(nodes[k]->offset, steps[k].offset) << cond.text();
        if (steps[k].outcome == "not evaluated") continue;
        ASSERT_EQ(value_of(*nodes[k], in).describe(), steps[k].outcome)
            << steps[k].text << " in " << cond.text() << " (round " << round << ")";
      }
    }
  }
  EXPECT_EQ(agree, 3000 * static_cast<int>(kConditions.size()));
}

TEST(ConditionShape, SimpleComparisonsGiveTheirConstantsOthersAreOpaque) {
  auto p = policy_with({kConditions[0], kConditions[4], kConditions[8]});
  NameUses first, arithmetic, scores;
  collect_name_uses(condition_shape(p->overrides()[0].condition), &first);
  collect_name_uses(condition_shape(p->overrides()[1].condition), &arithmetic);
  collect_name_uses(condition_shape(p->overrides()[2].condition), &scores);
  NameRef util{NameInfo::Kind::kFact, *p->schema().find("capacity.utilization")};
  NameRef prio{NameInfo::Kind::kFact, *p->schema().find("project.priority")};
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[util].numbers, std::vector<double>{0.9});
  EXPECT_EQ(first[prio].strings, (std::vector<std::string>{"normal", "high"}));
  EXPECT_FALSE(first[util].opaque);
  for (const auto& [ref, use] : arithmetic) EXPECT_TRUE(use.opaque);
  NameRef cost_score{NameInfo::Kind::kScore, static_cast<uint32_t>(p->criterion_index("cost"))};
  EXPECT_EQ(scores[cost_score].numbers, std::vector<double>{0.25});
  EXPECT_FALSE(scores[cost_score].opaque);
  const NameRef total_ref{NameInfo::Kind::kTotal, 0};
  EXPECT_TRUE(scores[total_ref].opaque);  // compared with another name
}

TEST(ConditionShape, WhatWouldHaveToChange) {
  auto p = policy_with({kConditions[0], kConditions[1], kConditions[9]});
  CaseFacts c = test::case_from(*p, "id: c\nfacts: {capacity: {utilization: 0.95}, project: {priority: high, urgent: false}}\n");
  std::vector<double> scores(p->criteria().size());
  std::vector<uint8_t> voted(p->criteria().size());
  EvalInput in{c.facts.data(), scores.data(), voted.data(), 0.0};
  CondNode booked = condition_shape(p->overrides()[0].condition);
  EXPECT_EQ(describe_changes(changes_for(booked, Goal::kNotTrue, in, *p)),
            "capacity.utilization were below 0.9 or not given (now 0.95); or project.priority were \"low\" or not given "
            "(now \"high\")");
  EXPECT_EQ(describe_changes(changes_for(booked, Goal::kTrue, in, *p)), "(nothing: it already is so)");
  // not (urgent or utilization < 0.5): false now because... it is true now; to make it false, one of them must hold.
  CondNode n = condition_shape(p->overrides()[1].condition);
  EXPECT_EQ(describe_changes(changes_for(n, Goal::kFalse, in, *p)),
            "capacity.utilization were below 0.5 (now 0.95); or project.urgent were true (now false)");
  // A fact with a default cannot be "not given": vendor_certified defaults to false.
  CondNode cert = condition_shape(p->overrides()[2].condition);
  EXPECT_EQ(describe_changes(changes_for(cert, Goal::kNotTrue, in, *p)),
            "security.vendor_certified were true (now false, by default)");
  // A goal nothing can reach.
  auto q = policy_with({"true or capacity.utilization > 1"});
  EXPECT_TRUE(changes_for(condition_shape(q->overrides()[0].condition), Goal::kNotTrue, in, *q).empty());
}

}  // namespace
}  // namespace insource
