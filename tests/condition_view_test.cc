// The read-only view of a compiled condition (ConditionNodeView in
// host/core/condition.h): every kind of node with its operator, text, offset,
// children, resolved name and literal value; nodes in the order and at the
// depth of trace()'s steps; sub-expression values from the engine that agree
// with the trace; and the lifetime rules (empty, copied, moved conditions).
#include "core/condition.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace insource {
namespace {

using Kind = ConditionNodeView::Kind;

// A few facts (slot = order of declaration), two criteria's scores, and the total.
class Names {
 public:
  Names() {
    fact("cost.hours", Type::kNumber);                          // 0
    fact("capacity.utilization", Type::kNumber);                // 1
    fact("control.level", Type::kString, {"low", "medium", "high"});  // 2
    fact("legal.regulated", Type::kBool);                       // 3
    fact("security.vendor_certified", Type::kBool, {}, make_bool(false));  // 4: a default
    fact("cost.transition", Type::kNumber, {}, make_number(0));  // 5: a default
    fact("project.code", Type::kString);                        // 6: any string
    NameInfo s;
    s.kind = NameInfo::Kind::kScore;
    s.index = 0;
    names_["score.cost"] = s;
    s.index = 1;
    names_["score.legal"] = s;
    NameInfo t;
    t.kind = NameInfo::Kind::kTotal;
    names_["total"] = t;
  }

  Condition compile(std::string_view text) const {
    return Condition::compile(text, [this](std::string_view name, std::string*) -> std::optional<NameInfo> {
      auto it = names_.find(std::string(name));
      if (it == names_.end()) return std::nullopt;
      return it->second;
    });
  }

  size_t size() const { return slots_; }

 private:
  void fact(const std::string& name, Type type, std::vector<std::string> allowed = {},
            insource_value fallback = make_absent()) {
    NameInfo n;
    n.kind = NameInfo::Kind::kFact;
    n.type = type;
    n.index = slots_++;
    n.fallback = fallback;
    n.allowed = std::move(allowed);
    names_[name] = n;
  }

  std::map<std::string, NameInfo> names_;
  uint32_t slots_ = 0;
};

std::vector<ConditionNodeView> kids(const ConditionNodeView& v) {
  std::vector<ConditionNodeView> out;
  for (const ConditionNodeView k : v.children()) out.push_back(k);
  EXPECT_EQ(out.size(), v.child_count());
  return out;
}

TEST(ConditionView, ShowsTheCompiledTree) {
  Names names;
  const std::string text = R"(capacity.utilization >= 0.9 and control.level in ["medium", "high"])";
  Condition c = names.compile(text);
  ASSERT_TRUE(c.root());
  const ConditionNodeView root = *c.root();
  EXPECT_EQ(root.kind(), Kind::kAnd);
  EXPECT_EQ(root.text(), text);
  EXPECT_EQ(root.offset(), 0u);
  EXPECT_EQ(root.depth(), 0);
  EXPECT_EQ(root.type(), Type::kBool);
  EXPECT_EQ(root.op(), "");
  auto and_kids = kids(root);
  ASSERT_EQ(and_kids.size(), 2u);

  const ConditionNodeView cmp = and_kids[0];
  EXPECT_EQ(cmp.kind(), Kind::kCompare);
  EXPECT_EQ(cmp.op(), ">=");
  EXPECT_EQ(cmp.text(), "capacity.utilization >= 0.9");
  EXPECT_EQ(cmp.depth(), 1);
  auto cmp_kids = kids(cmp);
  ASSERT_EQ(cmp_kids.size(), 2u);
  EXPECT_EQ(cmp_kids[0].kind(), Kind::kName);
  EXPECT_EQ(cmp_kids[0].name(), "capacity.utilization");
  EXPECT_EQ(cmp_kids[0].name_kind(), NameInfo::Kind::kFact);
  EXPECT_EQ(cmp_kids[0].name_index(), 1u);
  EXPECT_EQ(cmp_kids[0].type(), Type::kNumber);
  EXPECT_EQ(cmp_kids[1].kind(), Kind::kNumber);
  EXPECT_EQ(cmp_kids[1].number(), 0.9);
  EXPECT_EQ(cmp_kids[1].depth(), 2);

  const ConditionNodeView in = and_kids[1];
  EXPECT_EQ(in.kind(), Kind::kIn);
  EXPECT_EQ(in.offset(), text.find("control.level"));
  auto in_kids = kids(in);
  ASSERT_EQ(in_kids.size(), 3u);  // the left side, then the list
  EXPECT_EQ(in_kids[0].name(), "control.level");
  EXPECT_EQ(in_kids[0].type(), Type::kString);
  EXPECT_EQ(in_kids[1].string(), "medium");
  EXPECT_EQ(in_kids[2].string(), "high");
  EXPECT_EQ(in_kids[2].text(), "\"high\"");
}

TEST(ConditionView, EveryKindOfNode) {
  Names names;
  // Literals on the left, parentheses, a folded negative number, escapes,
  // arithmetic, calls, exists, scores, the total and bool literals.
  Condition c = names.compile(
      R"(0.5 < (capacity.utilization) or -cost.hours * 2 + 1 / 4 - -3 > min(1, abs(score.cost), max(2, 3)) or )"
      R"(exists(score.legal) and exists(cost.hours) and not legal.regulated == true or total != 0 or )"
      R"(project.code == 'it\'s')");
  const auto top = kids(*c.root());
  ASSERT_EQ(c.root()->kind(), Kind::kOr);
  ASSERT_EQ(top.size(), 5u);  // `or` is flat: one node, five operands

  const auto lit_left = kids(top[0]);
  EXPECT_EQ(top[0].op(), "<");  // as written, though the engine runs it as `fact > 0.5`
  EXPECT_EQ(lit_left[0].kind(), Kind::kNumber);
  EXPECT_EQ(lit_left[1].kind(), Kind::kName);
  EXPECT_EQ(lit_left[1].text(), "capacity.utilization");  // without the parentheses

  const auto sides = kids(top[1]);
  ASSERT_EQ(sides.size(), 2u);
  const ConditionNodeView sub = sides[0];  // (-cost.hours * 2 + 1 / 4) - -3
  EXPECT_EQ(sub.kind(), Kind::kArith);
  EXPECT_EQ(sub.op(), "-");
  EXPECT_EQ(kids(sub)[1].kind(), Kind::kNumber);
  EXPECT_EQ(kids(sub)[1].number(), -3.0);
  const ConditionNodeView add = kids(sub)[0];
  EXPECT_EQ(add.op(), "+");
  EXPECT_EQ(kids(add)[0].op(), "*");
  EXPECT_EQ(kids(kids(add)[0])[0].kind(), Kind::kNeg);
  EXPECT_EQ(kids(add)[1].op(), "/");
  const ConditionNodeView call = sides[1];
  EXPECT_EQ(call.kind(), Kind::kCall);
  EXPECT_EQ(call.op(), "min");
  ASSERT_EQ(call.child_count(), 3u);
  EXPECT_EQ(kids(call)[1].op(), "abs");
  EXPECT_EQ(kids(kids(call)[1])[0].name_kind(), NameInfo::Kind::kScore);
  EXPECT_EQ(kids(kids(call)[1])[0].name_index(), 0u);
  EXPECT_EQ(kids(call)[2].op(), "max");

  const auto conj = kids(top[2]);
  ASSERT_EQ(conj.size(), 3u);
  EXPECT_EQ(conj[0].kind(), Kind::kExists);
  EXPECT_EQ(conj[0].child_count(), 0u);
  EXPECT_EQ(conj[0].name(), "score.legal");
  EXPECT_EQ(conj[0].name_kind(), NameInfo::Kind::kScore);
  EXPECT_EQ(conj[0].name_index(), 1u);
  EXPECT_EQ(conj[1].name(), "cost.hours");
  EXPECT_EQ(conj[1].name_kind(), NameInfo::Kind::kFact);
  EXPECT_EQ(conj[1].name_index(), 0u);
  EXPECT_EQ(conj[2].kind(), Kind::kNot);
  const ConditionNodeView eq_bool = kids(conj[2])[0];
  EXPECT_EQ(eq_bool.op(), "==");
  EXPECT_EQ(kids(eq_bool)[1].kind(), Kind::kBool);
  EXPECT_TRUE(kids(eq_bool)[1].boolean());

  EXPECT_EQ(top[3].op(), "!=");
  EXPECT_EQ(kids(top[3])[0].name_kind(), NameInfo::Kind::kTotal);
  EXPECT_EQ(kids(top[4])[1].string(), "it's");  // unescaped
  EXPECT_EQ(kids(top[4])[1].text(), R"('it\'s')");  // as written
}

TEST(ConditionView, NodesAreTheTraceSteps) {
  Names names;
  for (const char* text : {"capacity.utilization >= 0.9 and control.level in [\"medium\", \"high\"]",
                           "not (legal.regulated or cost.hours / (capacity.utilization - 1) > 2)",
                           "exists(total) and -(-2) == 2 and max(cost.transition, 1) >= 1"}) {
    Condition c = names.compile(text);
    std::vector<insource_value> facts(names.size(), make_absent());
    double scores[2] = {0, 0};
    uint8_t voted[2] = {0, 0};
    std::vector<TraceStep> steps;
    c.trace(EvalInput{facts.data(), scores, voted, 0.0}, &steps);
    ASSERT_EQ(c.node_count(), steps.size()) << text;
    for (size_t i = 0; i < steps.size(); ++i) {
      const ConditionNodeView n = c.node(i);
      EXPECT_EQ(n.index(), i);
      EXPECT_EQ(n.text(), steps[i].text) << text;
      EXPECT_EQ(n.offset(), steps[i].offset) << text;
      EXPECT_EQ(n.depth(), steps[i].depth) << text;
    }
    EXPECT_THROW(c.node(steps.size()), std::out_of_range);
  }
}

// Each sub-expression's value, computed by the engine from that node, is the
// value trace() records for it, fused comparisons included.
TEST(ConditionView, EvaluatesSubExpressionsAsTheTraceDoes) {
  Names names;
  Condition c = names.compile(
      "cost.hours > 10 and control.level == \"high\" and 100 / (capacity.utilization - 1) < cost.transition + 1 "
      "or security.vendor_certified or score.cost >= total");
  std::vector<insource_value> facts(names.size(), make_absent());
  double scores[2] = {0.5, 0};
  uint8_t voted[2] = {1, 0};
  facts[0] = make_number(12);
  facts[1] = make_number(1);  // division by zero
  facts[2] = make_string("high");
  EvalInput in{facts.data(), scores, voted, 0.25};
  std::vector<TraceStep> steps;
  EXPECT_EQ(c.trace(in, &steps), c.evaluate(in));
  size_t checked = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].outcome == "not evaluated") continue;
    const NodeValue v = c.node(i).evaluate(in);
    std::string got;
    switch (v.state) {
      case NodeValue::State::kUnknown: got = "unknown"; break;
      case NodeValue::State::kBool: got = v.boolean ? "true" : "false"; break;
      case NodeValue::State::kNumber: got = format_number(v.number); break;
      case NodeValue::State::kString: got = describe(make_string(v.string)); break;
    }
    EXPECT_EQ(got, steps[i].outcome) << steps[i].text;
    ++checked;
  }
  EXPECT_GT(checked, 10u);
  // A fact's declared default is its value when the case does not give it.
  const ConditionNodeView certified = kids(*c.root())[1];
  ASSERT_EQ(certified.name(), "security.vendor_certified");
  const NodeValue v = certified.evaluate(in);
  EXPECT_EQ(v.state, NodeValue::State::kBool);
  EXPECT_FALSE(v.boolean);
}

TEST(ConditionView, FollowsTheConditionItCameFrom) {
  Condition empty;
  EXPECT_FALSE(empty.root());
  EXPECT_EQ(empty.node_count(), 0u);
  EXPECT_EQ(ConditionNodeView().evaluate(EvalInput{}).state, NodeValue::State::kUnknown);

  Names names;
  Condition c = names.compile("cost.hours > 1");
  const ConditionNodeView before = *c.root();
  Condition moved = std::move(c);  // the nodes stay where they are
  EXPECT_EQ(before.text(), "cost.hours > 1");
  Condition copy = moved;
  EXPECT_EQ(copy.root()->text(), "cost.hours > 1");
  EXPECT_NE(&copy.root()->text()[0], &before.text()[0]);  // a copy has nodes of its own
}

}  // namespace
}  // namespace insource
