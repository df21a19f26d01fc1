// The condition language of override rules (`when:`), see docs/rules.md.
//
// A condition is compiled once, when the rules load: names are resolved to
// slots, types are checked, and the result is a flat tree that evaluates a
// case with no string lookups and no allocation. Evaluation is three-valued:
// a comparison that reads a missing value is unknown, and a condition that
// ends unknown does not match. The policy authors' tools read the compiled
// tree through ConditionNodeView (below), never the trace's text.
#ifndef INSOURCE_HOST_CONDITION_H_
#define INSOURCE_HOST_CONDITION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/value.h"

namespace insource {

enum class Tri : uint8_t { kFalse = 0, kTrue = 1, kUnknown = 2 };
const char* tri_name(Tri t);  // "false", "true", "unknown"

// What a name in a condition refers to.
struct NameInfo {
  enum class Kind : uint8_t { kFact, kScore, kTotal };
  Kind kind = Kind::kFact;
  Type type = Type::kNumber;        // kScore and kTotal are numbers
  uint32_t index = 0;               // fact slot, or criterion index for kScore
  insource_value fallback{};        // facts: the declared default (type kAbsent = none)
  std::vector<std::string> allowed; // string facts: the allowed values, empty = any
};

// Resolves a dotted name (`cost.hours`, `score.cost`, `total`) or returns
// nullopt when the name is not declared. `suggestion` may be filled with a
// close known name for "did you mean".
using NameResolver = std::function<std::optional<NameInfo>(std::string_view name, std::string* suggestion)>;

// A compile error: `offset` is the byte offset in the condition text where
// the problem starts (the caller turns it into file:line:column).
class ConditionError : public std::runtime_error {
 public:
  ConditionError(std::string message, size_t offset) : std::runtime_error(std::move(message)), offset_(offset) {}
  size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

// What a condition reads when it runs on one case.
struct EvalInput {
  const insource_value* facts = nullptr; // by slot; kAbsent where the case gave nothing
  const double* scores = nullptr;        // by criterion index
  const uint8_t* voted = nullptr;        // by criterion index: 1 = voted, 0 = abstained / failed
  double total = 0.0;
};

// One step of a trace: a sub-expression, its text, its outcome, and for an
// unknown outcome the missing name that made it so.
//
// Steps: every operator, literal, name and call is one step; parentheses are
// not (the step of `(a or b)` has the text `a or b`); the elements of an
// `in` list are direct children of the `in` step; `exists(x)` is one step.
// An operand that was skipped because the result was already decided
// (`false and ...`, `true or ...`, the rest of an `in` list after a match,
// the other side of a comparison or arithmetic whose first operand is
// unknown) and everything under it has the outcome "not evaluated".
// For an unknown step, `missing` is the missing name of its first unknown
// operand, "division by zero", or the name itself for a missing name.
struct TraceStep {
  std::string text;      // the source text of the sub-expression
  size_t offset = 0;     // where it starts in the condition
  int depth = 0;         // nesting depth (0 = the whole condition)
  std::string outcome;   // "true", "false", "unknown", "not evaluated", or a value such as 12 or "high"
  std::string missing;   // for unknown: the name that was missing (or "division by zero")
};

class ConditionNodeView;

class Condition {
 public:
  // Parses, resolves and type-checks `text`. Throws ConditionError.
  static Condition compile(std::string_view text, const NameResolver& resolve);

  Condition();
  ~Condition();
  Condition(Condition&&) noexcept;
  Condition& operator=(Condition&&) noexcept;
  Condition(const Condition&);
  Condition& operator=(const Condition&);

  Tri evaluate(const EvalInput& in) const;

  // Evaluates like evaluate() and records every sub-expression in source
  // order (pre-order: a node before its children), for `explain --level trace`.
  // Replaces the contents of *steps (which may be null: then it only evaluates).
  Tri trace(const EvalInput& in, std::vector<TraceStep>* steps) const;

  const std::string& text() const;

  // Fact slots the condition reads (sorted, unique).
  const std::vector<uint32_t>& facts_read() const;

  // If the condition is a conjunction (possibly of one term) that contains a
  // term `fact == "string"` for a string fact, that fact's slot and value:
  // the case must have exactly this value for the condition to match. Lets
  // the engine index many overrides by string equality.
  struct EqualityKey {
    uint32_t slot;
    std::string value;
  };
  std::optional<EqualityKey> equality_key() const;

  // The compiled tree, read-only (see ConditionNodeView): the root, or
  // nullopt for a default-constructed (empty) condition.
  std::optional<ConditionNodeView> root() const;
  // Every node by its pre-order index, the index of its trace() step.
  size_t node_count() const;
  ConditionNodeView node(size_t index) const;  // index < node_count()

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The value of a sub-expression on a case, as the engine computes it.
struct NodeValue {
  enum class State : uint8_t { kUnknown, kNumber, kString, kBool };
  State state = State::kUnknown;
  double number = 0.0;
  std::string_view string;  // points into the condition or into the case's facts
  bool boolean = false;
};

// One node of a compiled condition, read-only, for the policy authors' tools
// (static checks, flip margins, explanations): what the compiler built, so
// that they need no second parser and no second evaluator. Deciding never
// uses it, and it adds nothing to evaluate().
//
// A view is a pointer and an index, cheap to copy. It stays valid while the
// Condition it came from lives, also across a move of that Condition (the
// nodes do not move); a copy of the Condition has nodes, and views, of its own.
class ConditionNodeView {
 public:
  enum class Kind : uint8_t {
    kAnd, kOr, kNot,          // logic
    kCompare, kIn,            // comparisons; kIn: the first child is the left side, the rest the list
    kArith, kNeg, kCall,      // + - * /, unary minus, min / max / abs
    kExists,                  // exists(name)
    kNumber, kString, kBool,  // literals
    kName,                    // a fact, score.<criterion> or total
  };

  // Views nothing: evaluate() gives unknown; nothing else may be called.
  ConditionNodeView() = default;

  Kind kind() const;
  // kCompare: == != < <= > >= (as written); kArith: + - * /; kCall: min max abs; else empty.
  std::string_view op() const;
  std::string_view text() const;  // the source text, without enclosing parentheses
  size_t offset() const;          // where the text starts in the condition
  int depth() const;              // 0 for the root
  Type type() const;              // of the value: number, string or bool
  size_t index() const { return index_; }  // pre-order: the same as the trace() step's

  // The children in order (operands, the left side and list of `in`, arguments).
  class Children;
  Children children() const;
  size_t child_count() const;

  // kName and kExists: what the name refers to, and the name as written.
  NameInfo::Kind name_kind() const;
  uint32_t name_index() const;  // fact slot, criterion index; 0 for total
  std::string_view name() const;

  // Literals: kNumber (a folded `-1` is the number -1), kString (unescaped), kBool.
  double number() const;
  std::string_view string() const;
  bool boolean() const;

  // The value of this sub-expression on a case, by the engine's own evaluator
  // (the one evaluate() runs), without allocating.
  NodeValue evaluate(const EvalInput& in) const;

 private:
  friend class Condition;
  ConditionNodeView(const Condition::Impl* impl, uint32_t index) : impl_(impl), index_(index) {}

  const Condition::Impl* impl_ = nullptr;
  uint32_t index_ = 0;
};

class ConditionNodeView::Children {
 public:
  class Iterator {
   public:
    ConditionNodeView operator*() const { return ConditionNodeView(impl_, index_); }
    Iterator& operator++();
    bool operator==(const Iterator& o) const { return index_ == o.index_; }
    bool operator!=(const Iterator& o) const { return index_ != o.index_; }

   private:
    friend class Children;
    Iterator(const Condition::Impl* impl, uint32_t index) : impl_(impl), index_(index) {}
    const Condition::Impl* impl_;
    uint32_t index_;
  };
  Iterator begin() const { return Iterator(impl_, first_); }
  Iterator end() const { return Iterator(impl_, end_); }

 private:
  friend class ConditionNodeView;
  Children(const Condition::Impl* impl, uint32_t first, uint32_t end) : impl_(impl), first_(first), end_(end) {}
  const Condition::Impl* impl_;
  uint32_t first_, end_;
};

}  // namespace insource

#endif  // INSOURCE_HOST_CONDITION_H_
