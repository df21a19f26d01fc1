// The structure of a compiled override condition, for the policy authors'
// tools (static checks, flip margins, explanations); deciding never uses it.
//
// It is copied from the condition's read-only view (Condition::root()), so
// that it is the very tree the engine compiled, with no second parser that
// could drift from it. The value of any sub-expression on a case comes from
// the engine too (ConditionNodeView::evaluate): there is one evaluator. On
// top of the tree: the names and constants that simple comparisons read, and
// "what would have to change" for a condition to hold or to stop holding on
// a given case.
#ifndef INSOURCE_HOST_CONDITION_SHAPE_H_
#define INSOURCE_HOST_CONDITION_SHAPE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/condition.h"
#include "policy/policy.h"

namespace insource {

// What a name in a condition refers to: a fact slot, a criterion's score, or the total.
struct NameRef {
  NameInfo::Kind kind = NameInfo::Kind::kFact;
  uint32_t index = 0;  // fact slot or criterion index; 0 for the total

  bool operator<(const NameRef& o) const { return kind != o.kind ? kind < o.kind : index < o.index; }
  bool operator==(const NameRef& o) const { return kind == o.kind && index == o.index; }
};

// A node of the tree, with its children in kids. The strings are copies, so a
// tree can be kept, compared and printed on its own; `node` is the compiled
// node it was copied from, valid while the condition lives.
struct CondNode {
  // kIn: kids[0] is the left side, the rest the list; kExists: `name` and `ref` say what.
  using Kind = ConditionNodeView::Kind;
  Kind kind = Kind::kBool;
  std::string op;      // kCompare: == != < <= > >=; kArith: + - * /; kCall: min max abs
  std::string text;    // the source text (without enclosing parentheses)
  size_t offset = 0;   // where it starts in the condition
  Type type = Type::kBool;  // the value's type (number, string or bool)
  std::string name;    // kName, kExists
  NameRef ref;         // kName, kExists
  double number = 0.0; // kNumber
  std::string string;  // kString
  bool boolean = false;  // kBool
  std::vector<CondNode> kids;
  ConditionNodeView node;  // for the value on a case (value_of)
};

// The tree of a compiled condition. Throws std::logic_error for an empty
// (default-constructed) condition, which no policy holds.
CondNode condition_shape(const Condition& condition);

// The value of a sub-expression on a case: unknown, or a number, string or
// bool (a copy of the engine's NodeValue that outlives the case).
struct CondValue {
  enum class State : uint8_t { kUnknown, kNumber, kString, kBool };
  State state = State::kUnknown;
  double number = 0.0;
  std::string string;
  bool boolean = false;

  Tri tri() const { return state == State::kBool ? (boolean ? Tri::kTrue : Tri::kFalse) : Tri::kUnknown; }
  std::string describe() const;  // 12, "high", true, or "unknown"
};

// The value of the sub-expression on a case, as the engine computes it
// (ConditionNodeView::evaluate: three-valued, facts fall back to their
// declared defaults, a missing score is unknown). A constant (is_constant)
// reads nothing: EvalInput{} will do.
CondValue value_of(const CondNode& n, const EvalInput& in);
// The name as written: cost.hours, score.cost, total.
std::string name_text(const NameRef& ref, const Policy& policy);
// Whether a missing value of the name is unknown (false for facts with a default and for the total).
bool can_be_unknown(const NameRef& ref, const Policy& policy);

// Whether the subtree reads no name (a constant such as 0.5 or 1 + 2).
bool is_constant(const CondNode& n);

// The names a condition reads, and the constants that simple comparisons
// (a name against constants: `x >= 0.9`, `x in ["a", "b"]`, `exists(x)`, a
// bool fact on its own) compare each with. A name used in any other way
// (arithmetic, two names compared) is `opaque`: its effect cannot be
// enumerated from constants.
struct NameUse {
  std::vector<double> numbers;
  std::vector<std::string> strings;
  bool opaque = false;
};
using NameUses = std::map<NameRef, NameUse>;
void collect_name_uses(const CondNode& n, NameUses* out);

// What would have to change on a case for a condition to reach a goal: a
// list of alternatives, each a list of changes that must all happen, each
// phrased for a person ("capacity.utilization were below 0.9 or not given
// (now 1)"). Empty when no change of the facts, scores or total can do it.
// {{}} (one empty alternative) when the goal already holds.
enum class Goal : uint8_t { kTrue, kNotTrue, kFalse, kNotFalse };
using Changes = std::vector<std::vector<std::string>>;
Changes changes_for(const CondNode& n, Goal goal, const EvalInput& in, const Policy& policy);

// "a were x and b were y; or c were z"
std::string describe_changes(const Changes& changes);

}  // namespace insource

#endif  // INSOURCE_HOST_CONDITION_SHAPE_H_
