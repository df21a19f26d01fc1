#include "tools/condition_shape.h"

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

namespace insource {

namespace {

using K = CondNode::Kind;

CondNode copy_tree(const ConditionNodeView& v) {
  CondNode n;
  n.kind = v.kind();
  n.op = std::string(v.op());
  n.text = std::string(v.text());
  n.offset = v.offset();
  n.type = v.type();
  n.node = v;
  switch (n.kind) {
    case K::kName:
    case K::kExists:
      n.name = std::string(v.name());
      n.ref = NameRef{v.name_kind(), v.name_index()};
      break;
    case K::kNumber: n.number = v.number(); break;
    case K::kString: n.string = std::string(v.string()); break;
    case K::kBool: n.boolean = v.boolean(); break;
    default: break;
  }
  for (const ConditionNodeView k : v.children()) n.kids.push_back(copy_tree(k));
  return n;
}

CondValue bool_value(bool b) {
  CondValue v;
  v.state = CondValue::State::kBool;
  v.boolean = b;
  return v;
}

}  // namespace

CondNode condition_shape(const Condition& condition) {
  std::optional<ConditionNodeView> root = condition.root();
  if (!root) throw std::logic_error("an empty condition has no structure");
  return copy_tree(*root);
}

std::string CondValue::describe() const {
  switch (state) {
    case State::kNumber: return format_number(number);
    case State::kString: return insource::describe(make_string(string));
    case State::kBool: return boolean ? "true" : "false";
    case State::kUnknown: break;
  }
  return "unknown";
}

CondValue value_of(const CondNode& n, const EvalInput& in) {
  const NodeValue v = n.node.evaluate(in);
  CondValue out;
  switch (v.state) {
    case NodeValue::State::kNumber:
      out.state = CondValue::State::kNumber;
      out.number = v.number;
      break;
    case NodeValue::State::kString:
      out.state = CondValue::State::kString;
      out.string = std::string(v.string);
      break;
    case NodeValue::State::kBool: out = bool_value(v.boolean); break;
    case NodeValue::State::kUnknown: break;
  }
  return out;
}

std::string name_text(const NameRef& ref, const Policy& policy) {
  switch (ref.kind) {
    case NameInfo::Kind::kTotal: return "total";
    case NameInfo::Kind::kScore: return "score." + policy.criteria()[ref.index].name;
    case NameInfo::Kind::kFact: break;
  }
  return policy.schema().at(ref.index).decl.name;
}

bool can_be_unknown(const NameRef& ref, const Policy& policy) {
  switch (ref.kind) {
    case NameInfo::Kind::kTotal: return false;
    case NameInfo::Kind::kScore: return true;
    case NameInfo::Kind::kFact: break;
  }
  const FactInfo& f = policy.schema().at(ref.index);
  return type_of(f.fallback) != f.decl.type;
}

bool is_constant(const CondNode& n) {
  if (n.kind == K::kName || n.kind == K::kExists) return false;
  for (const CondNode& k : n.kids)
    if (!is_constant(k)) return false;
  return true;
}

namespace {

// A constant reads no fact, score or total: the engine needs no case for it.
CondValue constant_value(const CondNode& n) { return value_of(n, EvalInput{}); }

void mark_opaque(const CondNode& n, NameUses* out) {
  if (n.kind == K::kName || n.kind == K::kExists) (*out)[n.ref].opaque = true;
  for (const CondNode& k : n.kids) mark_opaque(k, out);
}

void add_constant(const NameRef& ref, const CondValue& v, NameUses* out) {
  NameUse& u = (*out)[ref];
  if (v.state == CondValue::State::kNumber) {
    if (std::find(u.numbers.begin(), u.numbers.end(), v.number) == u.numbers.end()) u.numbers.push_back(v.number);
  } else if (v.state == CondValue::State::kString) {
    if (std::find(u.strings.begin(), u.strings.end(), v.string) == u.strings.end()) u.strings.push_back(v.string);
  }
}

// The constants of a simple comparison, or null when it is not one: the name
// side, the operator as if the name were on the left, and the constants.
struct SimpleAtom {
  const CondNode* name = nullptr;
  std::string op;               // kCmp; "in" for kIn; "exists"; "is" for a bool name alone
  std::vector<CondValue> values;
};

std::string flipped(const std::string& op) {
  if (op == "<") return ">";
  if (op == "<=") return ">=";
  if (op == ">") return "<";
  if (op == ">=") return "<=";
  return op;
}

std::optional<SimpleAtom> simple_atom(const CondNode& n) {
  SimpleAtom a;
  switch (n.kind) {
    case K::kName:
      a.name = &n;
      a.op = "is";
      return a;
    case K::kExists:
      a.name = &n;
      a.op = "exists";
      return a;
    case K::kCompare: {
      const CondNode& l = n.kids[0];
      const CondNode& r = n.kids[1];
      if (l.kind == K::kName && is_constant(r)) {
        a.name = &l;
        a.op = n.op;
        a.values.push_back(constant_value(r));
        return a;
      }
      if (r.kind == K::kName && is_constant(l)) {
        a.name = &r;
        a.op = flipped(n.op);
        a.values.push_back(constant_value(l));
        return a;
      }
      return std::nullopt;
    }
    case K::kIn: {
      if (n.kids[0].kind != K::kName) return std::nullopt;
      for (size_t i = 1; i < n.kids.size(); ++i) {
        if (!is_constant(n.kids[i])) return std::nullopt;
        a.values.push_back(constant_value(n.kids[i]));
      }
      a.name = &n.kids[0];
      a.op = "in";
      return a;
    }
    default: return std::nullopt;
  }
}

}  // namespace

void collect_name_uses(const CondNode& n, NameUses* out) {
  switch (n.kind) {
    case K::kAnd:
    case K::kOr:
    case K::kNot:
      for (const CondNode& k : n.kids) collect_name_uses(k, out);
      return;
    default: break;
  }
  if (is_constant(n)) return;
  if (std::optional<SimpleAtom> a = simple_atom(n)) {
    (*out)[a->name->ref];
    for (const CondValue& v : a->values) add_constant(a->name->ref, v, out);
    return;
  }
  mark_opaque(n, out);
}

// ---------------------------------------------------------------- what would have to change

namespace {

bool satisfies(Tri t, Goal g) {
  switch (g) {
    case Goal::kTrue: return t == Tri::kTrue;
    case Goal::kFalse: return t == Tri::kFalse;
    case Goal::kNotTrue: return t != Tri::kTrue;
    case Goal::kNotFalse: return t != Tri::kFalse;
  }
  return false;
}

Goal opposite(Goal g) {
  switch (g) {
    case Goal::kTrue: return Goal::kFalse;
    case Goal::kFalse: return Goal::kTrue;
    case Goal::kNotTrue: return Goal::kNotFalse;
    case Goal::kNotFalse: return Goal::kNotTrue;
  }
  return g;
}

constexpr size_t kMaxAlternatives = 24;

void normalise(Changes* c) {
  for (auto& alt : *c) {
    std::sort(alt.begin(), alt.end());
    alt.erase(std::unique(alt.begin(), alt.end()), alt.end());
  }
  std::sort(c->begin(), c->end(), [](const auto& a, const auto& b) { return a.size() != b.size() ? a.size() < b.size() : a < b; });
  c->erase(std::unique(c->begin(), c->end()), c->end());
  // Keep the minimal ones: drop an alternative that includes all of another.
  Changes out;
  for (const auto& alt : *c) {
    bool covered = false;
    for (const auto& kept : out)
      if (std::includes(alt.begin(), alt.end(), kept.begin(), kept.end())) covered = true;
    if (!covered) out.push_back(alt);
  }
  if (out.size() > kMaxAlternatives) out.resize(kMaxAlternatives);
  *c = std::move(out);
}

Changes either(const std::vector<Changes>& parts) {
  Changes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  normalise(&out);
  return out;
}

Changes all_of(const std::vector<Changes>& parts) {
  Changes acc{{}};
  for (const auto& p : parts) {
    Changes next;
    for (const auto& a : acc)
      for (const auto& b : p) {
        auto merged = a;
        merged.insert(merged.end(), b.begin(), b.end());
        next.push_back(std::move(merged));
      }
    normalise(&next);
    acc = std::move(next);
    if (acc.empty()) break;
  }
  return acc;
}

std::string quoted_value(const CondValue& v) { return v.describe(); }

std::string join_values(const std::vector<CondValue>& vs, const char* last_word) {
  std::string out;
  for (size_t i = 0; i < vs.size(); ++i) {
    if (i) out += i + 1 == vs.size() ? std::string(" ") + last_word + " " : ", ";
    out += quoted_value(vs[i]);
  }
  return out;
}

// The values the atom accepts (`holds`) or rejects, in words: "at least 0.9",
// "\"medium\" or \"high\"", "true". Empty when there is no such value.
std::string value_set(const SimpleAtom& a, bool holds, const Policy& policy) {
  const CondNode& name = *a.name;
  if (a.op == "is") return holds ? "true" : "false";
  const CondValue& c = a.values.empty() ? CondValue{} : a.values[0];
  std::vector<std::string> allowed;
  if (name.ref.kind == NameInfo::Kind::kFact) allowed = policy.schema().at(name.ref.index).decl.allowed;
  auto string_set = [&](const std::vector<CondValue>& in_list, bool member) -> std::string {
    if (!allowed.empty()) {
      std::vector<CondValue> pick;
      for (const auto& s : allowed) {
        bool listed = std::any_of(in_list.begin(), in_list.end(), [&](const CondValue& v) {
          return v.state == CondValue::State::kString && v.string == s;
        });
        if (listed == member) {
          CondValue v;
          v.state = CondValue::State::kString;
          v.string = s;
          pick.push_back(v);
        }
      }
      return join_values(pick, "or");
    }
    if (member) return join_values(in_list, "or");
    return in_list.empty() ? "anything" : "neither " + join_values(in_list, "nor");
  };
  if (a.op == "in") {
    if (name.type == Type::kString) return string_set(a.values, holds);
    if (name.type == Type::kBool) {
      bool has_t = false, has_f = false;
      for (const auto& v : a.values)
        if (v.state == CondValue::State::kBool) (v.boolean ? has_t : has_f) = true;
      std::vector<CondValue> pick;
      for (bool b : {true, false})
        if ((b ? has_t : has_f) == holds) pick.push_back(bool_value(b));
      return join_values(pick, "or");
    }
    if (holds) return join_values(a.values, "or");
    return a.values.empty() ? "anything" : "neither " + join_values(a.values, "nor");
  }
  if (c.state == CondValue::State::kUnknown) return "";  // a constant that is itself unknown (1/0)
  std::string v = c.describe();
  if (name.type == Type::kString && (a.op == "==" || a.op == "!=")) return string_set({c}, (a.op == "==") == holds);
  if (name.type == Type::kBool) return ((a.op == "==") == holds) == c.boolean ? "true" : "false";
  std::string op = a.op;
  if (!holds) {
    static const std::map<std::string, std::string> kNeg = {{"==", "!="}, {"!=", "=="}, {"<", ">="},
                                                            {"<=", ">"},  {">", "<="},  {">=", "<"}};
    op = kNeg.at(op);
  }
  if (op == "==") return v;
  if (op == "!=") return "other than " + v;
  if (op == "<") return "below " + v;
  if (op == "<=") return "at most " + v;
  if (op == ">") return "above " + v;
  return "at least " + v;
}

// The name's value now, as the engine reads it (its default when not given).
std::string now_text(const CondNode& name, const EvalInput& in) {
  const NameRef& ref = name.ref;
  CondValue v = value_of(name, in);
  if (v.state == CondValue::State::kUnknown) return "now not given";
  if (ref.kind == NameInfo::Kind::kFact && type_of(in.facts[ref.index]) == Type::kAbsent)
    return "now " + v.describe() + ", by default";
  return "now " + v.describe();
}

Changes atom_changes(const CondNode& n, Goal goal, const EvalInput& in, const Policy& policy) {
  std::optional<SimpleAtom> a = simple_atom(n);
  if (!a) {
    // Not a plain name against constants: say which comparison must turn.
    std::string want = goal == Goal::kTrue ? "true" : goal == Goal::kFalse ? "false"
                       : goal == Goal::kNotTrue ? "false or unknown" : "true or unknown";
    std::string now = value_of(n, in).describe();
    return {{"`" + n.text + "` were " + want + " (now " + now + ")"}};
  }
  const NameRef& ref = a->name->ref;
  const std::string name = name_text(ref, policy);
  const std::string now = now_text(*a->name, in);
  if (a->op == "exists") {
    bool want_given = goal == Goal::kTrue || goal == Goal::kNotFalse;
    if (ref.kind == NameInfo::Kind::kTotal) return want_given ? Changes{{}} : Changes{};
    std::string subject = ref.kind == NameInfo::Kind::kScore ? "criterion " + policy.criteria()[ref.index].name : name;
    if (ref.kind == NameInfo::Kind::kScore)
      return {{subject + (want_given ? " voted" : " abstained") + " (now " +
               (in.voted[ref.index] ? "voted" : "abstained") + ")"}};
    return {{name + " were " + (want_given ? "given" : "not given") + " (" +
             (type_of(in.facts[ref.index]) == Type::kAbsent ? "now not given" : "now given") + ")"}};
  }
  const bool want_holds = goal == Goal::kTrue || goal == Goal::kNotFalse;
  const bool unknown_ok = (goal == Goal::kNotTrue || goal == Goal::kNotFalse) && can_be_unknown(ref, policy);
  std::string set = value_set(*a, want_holds, policy);
  if (set.empty() && !unknown_ok) return {};
  std::string what = set.empty() ? "not given" : unknown_ok ? set + " or not given" : set;
  return {{name + " were " + what + " (" + now + ")"}};
}

}  // namespace

Changes changes_for(const CondNode& n, Goal goal, const EvalInput& in, const Policy& policy) {
  Tri now = value_of(n, in).tri();
  if (satisfies(now, goal)) return {{}};
  switch (n.kind) {
    case K::kNot: return changes_for(n.kids[0], opposite(goal), in, policy);
    case K::kAnd:
    case K::kOr: {
      // and: true / not-false need every operand; false / not-true need one. or: the reverse.
      const bool every = (n.kind == K::kAnd) == (goal == Goal::kTrue || goal == Goal::kNotFalse);
      std::vector<Changes> parts;
      for (const CondNode& k : n.kids) parts.push_back(changes_for(k, goal, in, policy));
      return every ? all_of(parts) : either(parts);
    }
    case K::kBool: return {};
    default: return atom_changes(n, goal, in, policy);
  }
}

std::string describe_changes(const Changes& changes) {
  std::string out;
  for (const auto& alt : changes) {
    if (!out.empty()) out += "; or ";
    if (alt.empty()) {
      out += "(nothing: it already is so)";
      continue;
    }
    for (size_t i = 0; i < alt.size(); ++i) out += (i ? " and " : "") + alt[i];
  }
  return out;
}

}  // namespace insource
