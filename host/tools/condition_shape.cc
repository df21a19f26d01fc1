#include "tools/condition_shape.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>

namespace insource {

namespace {

using K = CondNode::Kind;

bool is_blank_or_paren(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')'; }

// The text without blanks and parentheses: what separates sub-expressions.
std::string strip(std::string_view s) {
  std::string out;
  for (char c : s)
    if (!is_blank_or_paren(c)) out += c;
  return out;
}

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char e = s[++i];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        default: out += e; break;  // \" \' \\ (the only other escapes the lexer accepts)
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

[[noreturn]] void unreadable(const std::string& cond, const std::string& why) {
  throw std::logic_error("cannot read the structure of condition `" + cond + "`: " + why);
}

class Builder {
 public:
  Builder(const std::vector<TraceStep>& steps, const std::string& text, const Policy& policy)
      : steps_(steps), text_(text), policy_(policy) {}

  CondNode build() {
    if (pos_ >= steps_.size()) unreadable(text_, "the trace ended early");
    const TraceStep& s = steps_[pos_++];
    CondNode n;
    n.text = s.text;
    n.offset = s.offset;
    while (pos_ < steps_.size() && steps_[pos_].depth > s.depth) {
      if (steps_[pos_].depth != s.depth + 1) unreadable(text_, "a step skips a level");
      n.kids.push_back(build());
    }
    classify(n);
    return n;
  }

  bool done() const { return pos_ == steps_.size(); }

 private:
  std::string between(size_t from, size_t to) const {
    if (to < from || to > text_.size()) unreadable(text_, "steps out of order");
    return strip(std::string_view(text_).substr(from, to - from));
  }

  void classify(CondNode& n) {
    if (n.kids.empty()) return leaf(n);
    const CondNode& k0 = n.kids[0];
    std::string before = between(n.offset, k0.offset);
    if (!before.empty()) {
      if (before == "not" && n.kids.size() == 1) {
        n.kind = K::kNot;
        n.type = Type::kBool;
      } else if (before == "-" && n.kids.size() == 1) {
        n.kind = K::kNeg;
        n.type = Type::kNumber;
      } else if (before == "min" || before == "max" || before == "abs") {
        n.kind = K::kCall;
        n.op = before;
        n.type = Type::kNumber;
      } else {
        unreadable(text_, "unexpected '" + before + "' before an operand");
      }
      return;
    }
    const size_t k0_end = k0.offset + k0.text.size();
    std::string sep = n.kids.size() >= 2 ? between(k0_end, n.kids[1].offset) : between(k0_end, n.offset + n.text.size());
    if (sep == "and" || sep == "or") {
      n.kind = sep == "and" ? K::kAnd : K::kOr;
      n.type = Type::kBool;
    } else if (sep == "==" || sep == "!=" || sep == "<" || sep == "<=" || sep == ">" || sep == ">=") {
      n.kind = K::kCmp;
      n.op = sep;
      n.type = Type::kBool;
    } else if (sep == "+" || sep == "-" || sep == "*" || sep == "/") {
      n.kind = K::kArith;
      n.op = sep;
      n.type = Type::kNumber;
    } else if (sep.compare(0, 3, "in[") == 0) {
      n.kind = K::kIn;
      n.type = Type::kBool;
    } else {
      unreadable(text_, "unexpected operator '" + sep + "'");
    }
  }

  void leaf(CondNode& n) {
    const std::string& t = n.text;
    if (t == "true" || t == "false") {
      n.kind = K::kBool;
      n.type = Type::kBool;
      n.boolean = t == "true";
      return;
    }
    if (!t.empty() && (t[0] == '"' || t[0] == '\'')) {
      if (t.size() < 2) unreadable(text_, "a string literal without its end");
      n.kind = K::kString;
      n.type = Type::kString;
      n.string = unescape(std::string_view(t).substr(1, t.size() - 2));
      return;
    }
    if (t.compare(0, 6, "exists") == 0) {
      size_t k = 6;
      while (k < t.size() && (t[k] == ' ' || t[k] == '\t' || t[k] == '\n' || t[k] == '\r')) ++k;
      if (k < t.size() && t[k] == '(') {
        n.kind = K::kExists;
        n.type = Type::kBool;
        n.name = strip(std::string_view(t).substr(k));
        resolve(n.name, &n.ref, nullptr);
        return;
      }
    }
    if (!t.empty() && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))) {
      std::string s = strip(t);
      bool negative = false;
      size_t k = 0;
      while (k < s.size() && s[k] == '-') negative = !negative, ++k;
      double d = 0.0;
      auto r = std::from_chars(s.data() + k, s.data() + s.size(), d);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) unreadable(text_, "a number '" + t + "'");
      n.kind = K::kNumber;
      n.type = Type::kNumber;
      n.number = negative ? -d : d;
      return;
    }
    n.kind = K::kName;
    n.name = t;
    resolve(t, &n.ref, &n.type);
  }

  void resolve(const std::string& name, NameRef* ref, Type* type) const {
    Type ty = Type::kNumber;
    if (name == "total") {
      ref->kind = NameInfo::Kind::kTotal;
      ref->index = 0;
    } else if (name.compare(0, 6, "score.") == 0 && policy_.criterion_index(name.substr(6)) >= 0) {
      ref->kind = NameInfo::Kind::kScore;
      ref->index = static_cast<uint32_t>(policy_.criterion_index(name.substr(6)));
    } else if (auto slot = policy_.schema().find(name)) {
      ref->kind = NameInfo::Kind::kFact;
      ref->index = *slot;
      ty = policy_.schema().at(*slot).decl.type;
    } else {
      unreadable(text_, "unknown name '" + name + "'");
    }
    if (type) *type = ty;
  }

  const std::vector<TraceStep>& steps_;
  const std::string& text_;
  const Policy& policy_;
  size_t pos_ = 0;
};

CondValue number_value(double d) {
  CondValue v;
  v.state = CondValue::State::kNumber;
  v.number = d;
  return v;
}
CondValue bool_value(bool b) {
  CondValue v;
  v.state = CondValue::State::kBool;
  v.boolean = b;
  return v;
}

CondValue from_insource(const insource_value& v) {
  CondValue out;
  switch (type_of(v)) {
    case Type::kNumber: return number_value(v.number);
    case Type::kBool: return bool_value(v.boolean != 0);
    case Type::kString:
      out.state = CondValue::State::kString;
      out.string = std::string(string_of(v));
      return out;
    case Type::kAbsent: break;
  }
  return out;
}

bool same_value(const CondValue& a, const CondValue& b) {
  if (a.state != b.state) return false;
  switch (a.state) {
    case CondValue::State::kNumber: return a.number == b.number;
    case CondValue::State::kString: return a.string == b.string;
    case CondValue::State::kBool: return a.boolean == b.boolean;
    case CondValue::State::kUnknown: break;
  }
  return false;
}

bool compare_numbers(const std::string& op, double x, double y) {
  if (op == "==") return x == y;
  if (op == "!=") return x != y;
  if (op == "<") return x < y;
  if (op == "<=") return x <= y;
  if (op == ">") return x > y;
  return x >= y;
}

}  // namespace

CondNode condition_shape(const Condition& condition, const Policy& policy) {
  std::vector<uint8_t> voted(policy.criteria().size(), 0);
  std::vector<double> scores(policy.criteria().size(), 0.0);
  std::vector<insource_value> facts(policy.schema().size(), make_absent());
  EvalInput in{facts.data(), scores.data(), voted.data(), 0.0};
  std::vector<TraceStep> steps;
  condition.trace(in, &steps);
  if (steps.empty()) unreadable(condition.text(), "an empty condition");
  Builder b(steps, condition.text(), policy);
  CondNode root = b.build();
  if (!b.done()) unreadable(condition.text(), "more than one root");
  return root;
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

CondValue name_value(const NameRef& ref, const EvalInput& in, const Policy& policy) {
  switch (ref.kind) {
    case NameInfo::Kind::kTotal: return number_value(in.total);
    case NameInfo::Kind::kScore:
      if (!in.voted[ref.index]) return {};
      return number_value(in.scores[ref.index]);
    case NameInfo::Kind::kFact: break;
  }
  const FactInfo& f = policy.schema().at(ref.index);
  const insource_value& v = in.facts[ref.index];
  if (type_of(v) == f.decl.type) return from_insource(v);
  if (type_of(f.fallback) == f.decl.type) return from_insource(f.fallback);
  return {};
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

CondValue evaluate_shape(const CondNode& n, const EvalInput& in, const Policy& policy) {
  switch (n.kind) {
    case K::kNumber: return number_value(n.number);
    case K::kBool: return bool_value(n.boolean);
    case K::kString: {
      CondValue v;
      v.state = CondValue::State::kString;
      v.string = n.string;
      return v;
    }
    case K::kName: return name_value(n.ref, in, policy);
    case K::kExists:
      switch (n.ref.kind) {
        case NameInfo::Kind::kTotal: return bool_value(true);
        case NameInfo::Kind::kScore: return bool_value(in.voted[n.ref.index] != 0);
        case NameInfo::Kind::kFact: return bool_value(type_of(in.facts[n.ref.index]) != Type::kAbsent);
      }
      return {};
    case K::kNeg: {
      CondValue x = evaluate_shape(n.kids[0], in, policy);
      if (x.state != CondValue::State::kNumber) return {};
      return number_value(-x.number);
    }
    case K::kArith: {
      CondValue x = evaluate_shape(n.kids[0], in, policy);
      CondValue y = evaluate_shape(n.kids[1], in, policy);
      if (x.state != CondValue::State::kNumber || y.state != CondValue::State::kNumber) return {};
      if (n.op == "+") return number_value(x.number + y.number);
      if (n.op == "-") return number_value(x.number - y.number);
      if (n.op == "*") return number_value(x.number * y.number);
      if (y.number == 0.0) return {};
      return number_value(x.number / y.number);
    }
    case K::kCall: {
      std::vector<double> xs;
      for (const CondNode& k : n.kids) {
        CondValue x = evaluate_shape(k, in, policy);
        if (x.state != CondValue::State::kNumber) return {};
        xs.push_back(x.number);
      }
      if (n.op == "abs") return number_value(std::fabs(xs[0]));
      double r = xs[0];
      for (size_t i = 1; i < xs.size(); ++i) r = n.op == "min" ? (xs[i] < r ? xs[i] : r) : (xs[i] > r ? xs[i] : r);
      return number_value(r);
    }
    case K::kNot: {
      Tri t = evaluate_shape(n.kids[0], in, policy).tri();
      return t == Tri::kUnknown ? CondValue{} : bool_value(t == Tri::kFalse);
    }
    case K::kAnd:
    case K::kOr: {
      const bool is_and = n.kind == K::kAnd;
      bool unknown = false;
      for (const CondNode& k : n.kids) {
        Tri t = evaluate_shape(k, in, policy).tri();
        if (t == Tri::kUnknown) unknown = true;
        else if ((t == Tri::kTrue) != is_and) return bool_value(!is_and);
      }
      return unknown ? CondValue{} : bool_value(is_and);
    }
    case K::kCmp: {
      CondValue x = evaluate_shape(n.kids[0], in, policy);
      if (x.state == CondValue::State::kUnknown) return {};
      CondValue y = evaluate_shape(n.kids[1], in, policy);
      if (y.state == CondValue::State::kUnknown) return {};
      if (x.state == CondValue::State::kNumber) return bool_value(compare_numbers(n.op, x.number, y.number));
      return bool_value(same_value(x, y) == (n.op == "=="));
    }
    case K::kIn: {
      CondValue x = evaluate_shape(n.kids[0], in, policy);
      if (x.state == CondValue::State::kUnknown) return {};
      bool unknown = false;
      for (size_t i = 1; i < n.kids.size(); ++i) {
        CondValue y = evaluate_shape(n.kids[i], in, policy);
        if (y.state == CondValue::State::kUnknown) unknown = true;
        else if (same_value(x, y)) return bool_value(true);
      }
      return unknown ? CondValue{} : bool_value(false);
    }
  }
  return {};
}

bool is_constant(const CondNode& n) {
  if (n.kind == K::kName || n.kind == K::kExists) return false;
  for (const CondNode& k : n.kids)
    if (!is_constant(k)) return false;
  return true;
}

namespace {

CondValue constant_value(const CondNode& n, const Policy& policy) {
  EvalInput none{nullptr, nullptr, nullptr, 0.0};
  return evaluate_shape(n, none, policy);
}

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

std::optional<SimpleAtom> simple_atom(const CondNode& n, const Policy& policy) {
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
    case K::kCmp: {
      const CondNode& l = n.kids[0];
      const CondNode& r = n.kids[1];
      if (l.kind == K::kName && is_constant(r)) {
        a.name = &l;
        a.op = n.op;
        a.values.push_back(constant_value(r, policy));
        return a;
      }
      if (r.kind == K::kName && is_constant(l)) {
        a.name = &r;
        a.op = flipped(n.op);
        a.values.push_back(constant_value(l, policy));
        return a;
      }
      return std::nullopt;
    }
    case K::kIn: {
      if (n.kids[0].kind != K::kName) return std::nullopt;
      for (size_t i = 1; i < n.kids.size(); ++i) {
        if (!is_constant(n.kids[i])) return std::nullopt;
        a.values.push_back(constant_value(n.kids[i], policy));
      }
      a.name = &n.kids[0];
      a.op = "in";
      return a;
    }
    default: return std::nullopt;
  }
}

}  // namespace

void collect_name_uses(const CondNode& n, const Policy& policy, NameUses* out) {
  switch (n.kind) {
    case K::kAnd:
    case K::kOr:
    case K::kNot:
      for (const CondNode& k : n.kids) collect_name_uses(k, policy, out);
      return;
    default: break;
  }
  if (is_constant(n)) return;
  if (std::optional<SimpleAtom> a = simple_atom(n, policy)) {
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

std::string now_text(const NameRef& ref, const EvalInput& in, const Policy& policy) {
  CondValue v = name_value(ref, in, policy);
  if (v.state == CondValue::State::kUnknown) return "now not given";
  if (ref.kind == NameInfo::Kind::kFact && type_of(in.facts[ref.index]) == Type::kAbsent)
    return "now " + v.describe() + ", by default";
  return "now " + v.describe();
}

Changes atom_changes(const CondNode& n, Goal goal, const EvalInput& in, const Policy& policy) {
  std::optional<SimpleAtom> a = simple_atom(n, policy);
  if (!a) {
    // Not a plain name against constants: say which comparison must turn.
    std::string want = goal == Goal::kTrue ? "true" : goal == Goal::kFalse ? "false"
                       : goal == Goal::kNotTrue ? "false or unknown" : "true or unknown";
    std::string now = evaluate_shape(n, in, policy).describe();
    return {{"`" + n.text + "` were " + want + " (now " + now + ")"}};
  }
  const NameRef& ref = a->name->ref;
  const std::string name = name_text(ref, policy);
  const std::string now = now_text(ref, in, policy);
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
  Tri now = evaluate_shape(n, in, policy).tri();
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
