// The condition language of override rules: lexer, recursive-descent parser,
// static type checking, and a flat pre-order node array that is evaluated
// with three-valued logic. See condition.h and docs/rules.md.
//
// Layout of a compiled condition: `nodes` holds one Node per sub-expression
// in pre-order; a node's children follow it, and Node::end is the index just
// past its subtree, so the first child of node i is i + 1 and the next
// sibling of child c is nodes[c].end. String literals (and string defaults)
// live in one pool and are referred to by offset and length, so a Condition
// copies with a plain member-wise copy and no pointer fix-ups.
//
// Evaluation is a recursive switch over the nodes, reading facts by slot.
// A few common shapes (`fact <op> number`, `fact == "string"` for facts
// without a default) have fused opcodes so that they cost one node visit;
// the trace path ignores the fusion (it runs the generic opcode stored next
// to the fused one), so that every sub-expression gets its own step. Both
// paths are the same template, instantiated with and without recording.
#include "core/condition.h"

#include "core/fact_schema.h"  // closest_name

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <utility>

namespace insource {

const char* tri_name(Tri t) {
  switch (t) {
    case Tri::kFalse: return "false";
    case Tri::kTrue: return "true";
    case Tri::kUnknown: break;
  }
  return "unknown";
}

namespace {

// How deep conditions may nest (parentheses, `not`, unary minus, calls, and
// the height of the resulting tree). Keeps parsing and evaluation recursion
// bounded; real conditions nest a handful of levels.
constexpr int kMaxDepth = 100;

// The static type of an expression.
enum class VT : uint8_t { kNumber, kString, kBool };

const char* vt_name(VT t) {
  switch (t) {
    case VT::kNumber: return "number";
    case VT::kString: return "string";
    case VT::kBool: return "bool";
  }
  return "?";
}

enum class Cmp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

// `lit < fact` is `fact > lit`.
Cmp flip(Cmp c) {
  switch (c) {
    case Cmp::kLt: return Cmp::kGt;
    case Cmp::kLe: return Cmp::kGe;
    case Cmp::kGt: return Cmp::kLt;
    case Cmp::kGe: return Cmp::kLe;
    default: return c;
  }
}

enum Op : uint8_t {
  // literals
  kBoolLit,  // a: 0/1
  kNumLit,   // num
  kStrLit,   // str
  // names
  kFactNum,   // a: slot; kHasFallback: num is the default
  kFactStr,   // a: slot; kHasFallback: str is the default
  kFactBool,  // a: slot; kHasFallback: kFallbackTrue says the default
  kScore,     // a: criterion index
  kTotal,
  // exists(name): leaves, never unknown
  kExistsFact,   // a: slot
  kExistsScore,  // a: criterion index
  kExistsTotal,
  // arithmetic (children are numbers)
  kNeg,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMin,
  kMax,
  kAbs,
  // logic (children are bools)
  kAnd,
  kOr,
  kNot,
  // comparisons: cmp says which; children are of the named type
  kCmpNum,
  kCmpStr,
  kCmpBool,
  // `in`: first child the left side, then the list elements
  kInNum,
  kInStr,
  kInBool,
  // fused forms (evaluate() only; the trace runs `gop`)
  kFactNumCmpLit,  // a: slot of a fact without default; num: the literal; cmp
  kFactStrCmpLit,  // a: slot of a fact without default; str: the literal; cmp (== or !=)
};

constexpr uint8_t kHasFallback = 1;
constexpr uint8_t kFallbackTrue = 2;

struct StrRef {
  uint32_t off;
  uint32_t len;
};

struct Node {
  Op op;          // what evaluate() runs
  Op gop;         // the generic opcode, what trace() runs
  Cmp cmp;        // for comparisons (the generic form, operands as written)
  uint8_t flags;  // kHasFallback, kFallbackTrue
  uint32_t end;   // index just past this node's subtree
  uint32_t a;     // slot, criterion index, bool literal
  Cmp fcmp;       // the fused comparison (`lit < fact` runs as `fact > lit`)
  uint8_t unused[3];
  union {
    double num;
    StrRef str;
  };
};
static_assert(sizeof(Node) == 24, "keep Node compact");

// Per node, for the trace and the read-only view (never read by evaluate()):
// where it is in the text, its type, and for a name or exists(name) where the
// name is.
struct Span {
  uint32_t begin;
  uint32_t len;
  uint16_t depth;
  VT type;
  uint32_t name_begin;
  uint32_t name_len;
};

Tri to_tri(bool b) { return b ? Tri::kTrue : Tri::kFalse; }
constexpr Tri kNotTable[3] = {Tri::kTrue, Tri::kFalse, Tri::kUnknown};

// ---------------------------------------------------------------- lexer

enum class Tk : uint8_t {
  kEnd,
  kNumber,
  kString,
  kName,  // a dotted name, a keyword or a function name
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
};

struct Token {
  Tk kind = Tk::kEnd;
  uint32_t off = 0;
  uint32_t len = 0;
  double num = 0.0;
  std::string str;  // unescaped string literal
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_word(char c) { return is_alpha(c) || is_digit(c); }

[[noreturn]] void fail(std::string message, size_t offset) { throw ConditionError(std::move(message), offset); }

// A character for an "unexpected character" message: the whole UTF-8
// sequence when it is one, a hex code for control bytes.
std::string describe_char(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x20 || c == 0x7f) {
    static const char* hex = "0123456789ABCDEF";
    return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
  }
  size_t n = 1;
  if (c >= 0xF0) n = 4;
  else if (c >= 0xE0) n = 3;
  else if (c >= 0xC0) n = 2;
  n = std::min(n, s.size() - i);
  std::string seq(s.substr(i, n));
  std::string out = "character '" + seq + "'";
  if (seq == "\xE2\x80\x9C" || seq == "\xE2\x80\x9D" || seq == "\xE2\x80\x98" || seq == "\xE2\x80\x99")
    out += " (use a straight quote \" or ')";
  return out;
}

// The token that starts at or after s[i]; advances i past it.
Token lex_one(std::string_view s, size_t& i) {
  Token out;
  const size_t n = s.size();
  auto push = [&](Tk k, size_t start, size_t len) {
    out.kind = k;
    out.off = static_cast<uint32_t>(start);
    out.len = static_cast<uint32_t>(len);
  };
  {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    if (i >= n) {
      push(Tk::kEnd, n, 0);
      return out;
    }
    const size_t start = i;
    const char c = s[i];
    if (is_digit(c)) {
      size_t j = i;
      while (j < n && is_digit(s[j])) ++j;
      if (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
        j += 1;
        while (j < n && is_digit(s[j])) ++j;
      }
      if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < n && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < n && is_digit(s[k])) {
          while (k < n && is_digit(s[k])) ++k;
          j = k;
        }
      }
      if (j < n && (is_word(s[j]) || s[j] == '.')) {
        size_t k = j;
        while (k < n && (is_word(s[k]) || s[k] == '.')) ++k;
        fail("invalid number '" + std::string(s.substr(start, k - start)) + "'", start);
      }
      double d = 0.0;
      auto r = std::from_chars(s.data() + start, s.data() + j, d);
      if (r.ec != std::errc() || r.ptr != s.data() + j || !std::isfinite(d))
        fail("number out of range '" + std::string(s.substr(start, j - start)) + "'", start);
      push(Tk::kNumber, start, j - start);
      out.num = d;
      i = j;
    } else if (is_alpha(c)) {
      size_t j = i;
      while (j < n && is_word(s[j])) ++j;
      while (j < n && s[j] == '.') {
        if (j + 1 < n && is_word(s[j + 1])) {
          j += 1;
          while (j < n && is_word(s[j])) ++j;
        } else {
          fail("expected a name after '.' in '" + std::string(s.substr(start, j + 1 - start)) + "'", j);
        }
      }
      push(Tk::kName, start, j - start);
      i = j;
    } else if (c == '"' || c == '\'') {
      std::string value;
      size_t j = i + 1;
      for (;;) {
        if (j >= n) fail("unterminated string", start);
        char d = s[j];
        if (d == c) {
          ++j;
          break;
        }
        if (d == '\\') {
          if (j + 1 >= n) fail("unterminated string", start);
          char e = s[j + 1];
          switch (e) {
            case '"': value += '"'; break;
            case '\'': value += '\''; break;
            case '\\': value += '\\'; break;
            case 'n': value += '\n'; break;
            case 't': value += '\t'; break;
            default:
              fail("unknown escape '\\" + std::string(1, e) + "' in string (known: \\\" \\' \\\\ \\n \\t)", j);
          }
          j += 2;
        } else {
          value += d;
          ++j;
        }
      }
      push(Tk::kString, start, j - start);
      out.str = std::move(value);
      i = j;
    } else {
      const char next = i + 1 < n ? s[i + 1] : '\0';
      Tk k;
      size_t len = 1;
      switch (c) {
        case '(': k = Tk::kLParen; break;
        case ')': k = Tk::kRParen; break;
        case '[': k = Tk::kLBracket; break;
        case ']': k = Tk::kRBracket; break;
        case ',': k = Tk::kComma; break;
        case '+': k = Tk::kPlus; break;
        case '-': k = Tk::kMinus; break;
        case '*': k = Tk::kStar; break;
        case '/': k = Tk::kSlash; break;
        case '=':
          if (next != '=') fail("unexpected '=' (did you mean '=='?)", start);
          k = Tk::kEq;
          len = 2;
          break;
        case '!':
          if (next != '=') fail("unexpected '!' (use 'not' to negate, '!=' for inequality)", start);
          k = Tk::kNe;
          len = 2;
          break;
        case '<':
          k = next == '=' ? Tk::kLe : Tk::kLt;
          len = next == '=' ? 2 : 1;
          break;
        case '>':
          k = next == '=' ? Tk::kGe : Tk::kGt;
          len = next == '=' ? 2 : 1;
          break;
        case '&':
          fail(std::string("unexpected '") + (next == '&' ? "&&" : "&") + "' (use 'and')", start);
        case '|':
          fail(std::string("unexpected '") + (next == '|' ? "||" : "|") + "' (use 'or')", start);
        default:
          fail("unexpected " + describe_char(s, i), start);
      }
      push(k, start, len);
      i += len;
    }
  }
  return out;
}

// ---------------------------------------------------------------- AST

struct Ast {
  Op op = kBoolLit;  // the generic opcode
  VT type = VT::kBool;
  Cmp cmp = Cmp::kEq;
  uint32_t begin = 0, end = 0;    // source span, the node's own text
  uint32_t obegin = 0, oend = 0;  // the same with any parentheses around it
  int height = 1;
  double num = 0.0;    // kNumLit
  bool bval = false;   // kBoolLit
  std::string str;     // kStrLit: the value; names and exists: the name
  bool is_name = false;
  bool is_literal = false;
  NameInfo info;  // names and exists
  uint32_t name_begin = 0, name_end = 0;  // names and exists: where the name is
  std::vector<std::unique_ptr<Ast>> kids;
};
using AstP = std::unique_ptr<Ast>;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

constexpr const char* kFunctions[] = {"exists", "min", "max", "abs"};
constexpr const char* kKeywords[] = {"and", "or", "not", "in", "true", "false"};

bool is_keyword(std::string_view s) {
  for (const char* k : kKeywords)
    if (s == k) return true;
  return false;
}

class Parser {
 public:
  Parser(std::string_view src, const NameResolver& resolve) : src_(src), resolve_(resolve) {}

  AstP parse() {
    if (peek().kind == Tk::kEnd) fail("empty condition", 0);
    AstP root = parse_or();
    const Token& t = peek();
    if (t.kind == Tk::kRParen) fail("unexpected ')' (no matching '(')", t.off);
    if (t.kind != Tk::kEnd) fail("unexpected " + quoted(t) + " after the end of the expression", t.off);
    if (root->type != VT::kBool)
      fail("the condition must be true or false, but " + subject(*root) + " is a " + vt_name(root->type) +
               " (is a comparison missing?)",
           root->begin);
    return root;
  }

 private:
  struct Nest {
    Nest(Parser& p, size_t off) : p_(p) {
      if (++p_.nest_ > kMaxDepth) fail("condition nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)", off);
    }
    ~Nest() { --p_.nest_; }
    Parser& p_;
  };

  // Tokens are lexed on demand, so that problems are reported in the order
  // they appear in the text. A deque keeps references to them stable.
  const Token& at(size_t k) {
    while (toks_.size() <= pos_ + k) {
      if (!toks_.empty() && toks_.back().kind == Tk::kEnd) return toks_.back();
      toks_.push_back(lex_one(src_, lexed_));
    }
    return toks_[pos_ + k];
  }
  const Token& peek() { return at(0); }
  const Token& take() {
    const Token& t = at(0);
    ++pos_;
    return t;
  }
  std::string_view text(const Token& t) const { return src_.substr(t.off, t.len); }
  bool is_kw(const Token& t, std::string_view kw) const { return t.kind == Tk::kName && text(t) == kw; }
  std::string quoted(const Token& t) const {
    if (t.kind == Tk::kEnd) return "end of condition";
    return "'" + std::string(text(t)) + "'";
  }

  // How an operand is named in a message: a name as is, a literal as
  // written, anything else quoted (shortened when long).
  std::string subject(const Ast& a) const {
    if (a.is_name) return a.str;
    std::string t(src_.substr(a.begin, a.end - a.begin));
    if (a.is_literal) return t;
    if (t.size() > 40) t = t.substr(0, 37) + "...";
    return "'" + t + "'";
  }
  // For "cannot compare X with Y": `string fact control.x`, `a number`.
  static std::string what(const Ast& a) {
    if (a.is_name) {
      if (a.info.kind == NameInfo::Kind::kFact) return std::string(vt_name(a.type)) + " fact " + a.str;
      return a.str + " (a number)";
    }
    return std::string("a ") + vt_name(a.type);
  }

  AstP make(Op op, VT type, uint32_t begin, uint32_t end, std::vector<AstP> kids = {}) {
    auto a = std::make_unique<Ast>();
    a->op = op;
    a->type = type;
    a->begin = a->obegin = begin;
    a->end = a->oend = end;
    int h = 0;
    for (const auto& k : kids) h = std::max(h, k->height);
    a->height = h + 1;
    if (a->height > kMaxDepth)
      fail("condition nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)", begin);
    a->kids = std::move(kids);
    return a;
  }

  void need_bool(const Ast& a, const char* op) const {
    if (a.type != VT::kBool)
      fail(std::string("'") + op + "' needs true/false on both sides, but " + subject(a) + " is a " + vt_name(a.type),
           a.begin);
  }
  void need_num(const Ast& a, const std::string& op, const char* what_needed) const {
    if (a.type != VT::kNumber) {
      std::string m = "'" + op + "' needs " + what_needed + ", but " + subject(a) + " is a " + vt_name(a.type);
      if (a.type == VT::kString && (op == "<" || op == "<=" || op == ">" || op == ">="))
        m += " (strings can only be compared with == and !=)";
      fail(m, a.begin);
    }
  }
  void need_same(const Ast& l, const Ast& r, size_t offset) const {
    if (l.type != r.type) fail("cannot compare " + what(l) + " with " + what(r), offset);
  }
  // `fact == "x"` where the fact can never be "x".
  void check_allowed(const Ast& fact, const Ast& lit) const {
    if (!fact.is_name || fact.info.kind != NameInfo::Kind::kFact || fact.type != VT::kString) return;
    if (lit.op != kStrLit || fact.info.allowed.empty()) return;
    const auto& al = fact.info.allowed;
    if (std::find(al.begin(), al.end(), lit.str) != al.end()) return;
    std::string list;
    for (size_t i = 0; i < al.size(); ++i) list += (i ? ", " : "") + al[i];
    std::vector<std::string_view> levels(al.begin(), al.end());
    std::string near = closest_name(lit.str, levels);
    fail(fact.str + " is never \"" + lit.str + "\" (" + (near.empty() ? "" : "did you mean \"" + near + "\"? ") +
             "allowed: " + list + ")",
         lit.begin);
  }

  [[noreturn]] void expected_expression() {
    const Token& t = peek();
    std::string m = "expected an expression";
    if (pos_ > 0) m += " after " + quoted(toks_[pos_ - 1]);
    if (t.kind != Tk::kEnd) m += ", found " + quoted(t);
    fail(m, t.off);
  }

  AstP parse_or() {
    Nest nest(*this, peek().off);
    AstP first = parse_and();
    if (!is_kw(peek(), "or")) return first;
    need_bool(*first, "or");
    std::vector<AstP> kids;
    kids.push_back(std::move(first));
    while (is_kw(peek(), "or")) {
      take();
      AstP k = parse_and();
      need_bool(*k, "or");
      kids.push_back(std::move(k));
    }
    uint32_t b = kids.front()->obegin, e = kids.back()->oend;
    return make(kOr, VT::kBool, b, e, std::move(kids));
  }

  AstP parse_and() {
    AstP first = parse_not();
    if (!is_kw(peek(), "and")) return first;
    need_bool(*first, "and");
    std::vector<AstP> kids;
    kids.push_back(std::move(first));
    while (is_kw(peek(), "and")) {
      take();
      AstP k = parse_not();
      need_bool(*k, "and");
      kids.push_back(std::move(k));
    }
    uint32_t b = kids.front()->obegin, e = kids.back()->oend;
    return make(kAnd, VT::kBool, b, e, std::move(kids));
  }

  AstP parse_not() {
    if (!is_kw(peek(), "not")) return parse_cmp();
    const Token& t = take();
    Nest nest(*this, t.off);
    AstP k = parse_not();
    if (k->type != VT::kBool)
      fail("'not' needs true/false, but " + subject(*k) + " is a " + vt_name(k->type), k->begin);
    uint32_t e = k->oend;
    std::vector<AstP> kids;
    kids.push_back(std::move(k));
    return make(kNot, VT::kBool, t.off, e, std::move(kids));
  }

  static bool cmp_of(Tk k, Cmp* c) {
    switch (k) {
      case Tk::kEq: *c = Cmp::kEq; return true;
      case Tk::kNe: *c = Cmp::kNe; return true;
      case Tk::kLt: *c = Cmp::kLt; return true;
      case Tk::kLe: *c = Cmp::kLe; return true;
      case Tk::kGt: *c = Cmp::kGt; return true;
      case Tk::kGe: *c = Cmp::kGe; return true;
      default: return false;
    }
  }

  AstP parse_cmp() {
    AstP left = parse_sum();
    Cmp c;
    AstP out;
    if (cmp_of(peek().kind, &c)) {
      const std::string op(text(take()));
      const bool equality = c == Cmp::kEq || c == Cmp::kNe;
      if (!equality) need_num(*left, op, "numbers on both sides");
      AstP right = parse_sum();
      if (equality) {
        need_same(*left, *right, right->begin);
        check_allowed(*left, *right);
        check_allowed(*right, *left);
      } else {
        need_num(*right, op, "numbers on both sides");
      }
      Op o = left->type == VT::kNumber ? kCmpNum : left->type == VT::kString ? kCmpStr : kCmpBool;
      uint32_t b = left->obegin, e = right->oend;
      std::vector<AstP> kids;
      kids.push_back(std::move(left));
      kids.push_back(std::move(right));
      out = make(o, VT::kBool, b, e, std::move(kids));
      out->cmp = c;
    } else if (is_kw(peek(), "in")) {
      take();
      const Token& lb = peek();
      if (lb.kind != Tk::kLBracket) {
        std::string m = "expected a list [...] after 'in'";
        if (lb.kind != Tk::kEnd) m += ", found " + quoted(lb);
        fail(m, lb.off);
      }
      take();
      Nest nest(*this, lb.off);
      std::vector<AstP> kids;
      kids.push_back(std::move(left));
      if (peek().kind != Tk::kRBracket) {
        for (;;) {
          AstP el = parse_or();
          need_same(*kids.front(), *el, el->begin);
          check_allowed(*kids.front(), *el);
          check_allowed(*el, *kids.front());
          kids.push_back(std::move(el));
          const Token& t = peek();
          if (t.kind == Tk::kComma) {
            take();
            continue;
          }
          if (t.kind == Tk::kRBracket) break;
          std::string m = "expected ',' or ']' in the list";
          if (t.kind != Tk::kEnd) m += ", found " + quoted(t);
          fail(m, t.off);
        }
      }
      const Token& rb = take();
      VT lt = kids.front()->type;
      Op o = lt == VT::kNumber ? kInNum : lt == VT::kString ? kInStr : kInBool;
      uint32_t b = kids.front()->obegin;
      out = make(o, VT::kBool, b, rb.off + rb.len, std::move(kids));
    } else {
      return left;
    }
    if (cmp_of(peek().kind, &c) || is_kw(peek(), "in"))
      fail("comparisons cannot be chained: use 'and', e.g. a < b and b < c", peek().off);
    return out;
  }

  AstP parse_sum() {
    AstP left = parse_prod();
    while (peek().kind == Tk::kPlus || peek().kind == Tk::kMinus) {
      const Token& op = take();
      std::string ot(text(op));
      need_num(*left, ot, "numbers");
      AstP right = parse_prod();
      need_num(*right, ot, "numbers");
      uint32_t b = left->obegin, e = right->oend;
      std::vector<AstP> kids;
      kids.push_back(std::move(left));
      kids.push_back(std::move(right));
      left = make(op.kind == Tk::kPlus ? kAdd : kSub, VT::kNumber, b, e, std::move(kids));
    }
    return left;
  }

  AstP parse_prod() {
    AstP left = parse_unary();
    while (peek().kind == Tk::kStar || peek().kind == Tk::kSlash) {
      const Token& op = take();
      std::string ot(text(op));
      need_num(*left, ot, "numbers");
      AstP right = parse_unary();
      need_num(*right, ot, "numbers");
      uint32_t b = left->obegin, e = right->oend;
      std::vector<AstP> kids;
      kids.push_back(std::move(left));
      kids.push_back(std::move(right));
      left = make(op.kind == Tk::kStar ? kMul : kDiv, VT::kNumber, b, e, std::move(kids));
    }
    return left;
  }

  AstP parse_unary() {
    if (peek().kind != Tk::kMinus) return parse_atom();
    const Token& t = take();
    Nest nest(*this, t.off);
    AstP k = parse_unary();
    need_num(*k, "-", "a number");
    if (k->op == kNumLit) {  // fold `-1` into a literal
      k->num = -k->num;
      k->begin = k->obegin = t.off;
      k->end = k->oend;
      return k;
    }
    uint32_t e = k->oend;
    std::vector<AstP> kids;
    kids.push_back(std::move(k));
    return make(kNeg, VT::kNumber, t.off, e, std::move(kids));
  }

  AstP parse_atom() {
    const Token& t = peek();
    switch (t.kind) {
      case Tk::kNumber: {
        take();
        AstP a = make(kNumLit, VT::kNumber, t.off, t.off + t.len);
        a->num = t.num;
        a->is_literal = true;
        return a;
      }
      case Tk::kString: {
        take();
        AstP a = make(kStrLit, VT::kString, t.off, t.off + t.len);
        a->str = t.str;
        a->is_literal = true;
        return a;
      }
      case Tk::kLParen: {
        take();
        AstP e = parse_or();
        const Token& r = peek();
        if (r.kind != Tk::kRParen) {
          std::string m = "expected ')' to close '('";
          if (r.kind != Tk::kEnd) m += ", found " + quoted(r);
          fail(m, r.off);
        }
        take();
        e->obegin = t.off;
        e->oend = r.off + 1;
        return e;
      }
      case Tk::kLBracket:
        fail("a list [...] can only follow 'in'", t.off);
      case Tk::kName: {
        std::string_view w = text(t);
        if (w == "true" || w == "false") {
          take();
          AstP a = make(kBoolLit, VT::kBool, t.off, t.off + t.len);
          a->bval = w == "true";
          a->is_literal = true;
          return a;
        }
        if (is_keyword(w)) expected_expression();
        if (at(1).kind == Tk::kLParen) return parse_call();
        take();
        return resolve_name(t);
      }
      default:
        if (pos_ == 0 && t.kind == Tk::kRParen) fail("unexpected ')' (no matching '(')", t.off);
        expected_expression();
    }
  }

  AstP resolve_name(const Token& t) {
    std::string name(text(t));
    std::string suggestion;
    std::optional<NameInfo> info = resolve_(name, &suggestion);
    if (!info) {
      std::string m = "unknown name '" + name + "'";
      std::string lo = lower(name);
      if (!suggestion.empty()) m += " (did you mean '" + suggestion + "'?)";
      else if (lo != name && is_keyword(lo)) m += " (keywords are lowercase: '" + lo + "')";
      else
        for (const char* f : kFunctions)
          if (name == f) m += std::string(" (") + f + " is a function: " + f + "(...))";
      fail(m, t.off);
    }
    AstP a = make(kTotal, VT::kNumber, t.off, t.off + t.len);
    a->is_name = true;
    a->str = name;
    a->name_begin = t.off;
    a->name_end = t.off + t.len;
    switch (info->kind) {
      case NameInfo::Kind::kTotal: a->op = kTotal; break;
      case NameInfo::Kind::kScore: a->op = kScore; break;
      case NameInfo::Kind::kFact:
        switch (info->type) {
          case Type::kNumber: a->op = kFactNum; a->type = VT::kNumber; break;
          case Type::kString: a->op = kFactStr; a->type = VT::kString; break;
          case Type::kBool: a->op = kFactBool; a->type = VT::kBool; break;
          case Type::kAbsent: fail("fact '" + name + "' has no type", t.off);
        }
        // A default of another type than the fact is no default.
        if (type_of(info->fallback) != info->type) info->fallback = make_absent();
        break;
    }
    a->info = std::move(*info);
    return a;
  }

  AstP parse_call() {
    const Token& name = take();
    std::string f(text(name));
    bool known = false;
    for (const char* k : kFunctions) known = known || f == k;
    if (!known) {
      std::string m = "unknown function '" + f + "'";
      std::string best = closest_name(lower(f), {std::begin(kFunctions), std::end(kFunctions)});
      if (!best.empty()) m += " (did you mean '" + best + "'?)";
      else m += " (functions: exists, min, max, abs)";
      fail(m, name.off);
    }
    const Token& lp = take();  // '('
    Nest nest(*this, lp.off);
    std::vector<AstP> args;
    if (peek().kind != Tk::kRParen) {
      for (;;) {
        args.push_back(parse_or());
        const Token& t = peek();
        if (t.kind == Tk::kComma) {
          take();
          continue;
        }
        if (t.kind == Tk::kRParen) break;
        std::string m = "expected ',' or ')' in the arguments of '" + f + "'";
        if (t.kind != Tk::kEnd) m += ", found " + quoted(t);
        fail(m, t.off);
      }
    }
    const Token& rp = take();
    const uint32_t b = name.off, e = rp.off + rp.len;
    if (f == "exists") {
      if (args.empty()) fail("'exists' takes one name, e.g. exists(cost.hours)", rp.off);
      if (!args[0]->is_name) fail("'exists' takes a name, e.g. exists(cost.hours)", args[0]->begin);
      if (args.size() > 1) fail("'exists' takes exactly one name", args[1]->begin);
      Ast& n = *args[0];
      Op o = n.info.kind == NameInfo::Kind::kFact ? kExistsFact
             : n.info.kind == NameInfo::Kind::kScore ? kExistsScore
                                                      : kExistsTotal;
      AstP a = make(o, VT::kBool, b, e);
      a->info = std::move(n.info);
      a->str = std::move(n.str);
      a->name_begin = n.name_begin;
      a->name_end = n.name_end;
      return a;
    }
    if (args.empty()) fail("'" + f + "' needs at least one argument", rp.off);
    if (f == "abs" && args.size() > 1) fail("'abs' takes exactly one argument", args[1]->begin);
    for (const auto& a : args) need_num(*a, f, f == "abs" ? "a number" : "numbers");
    Op o = f == "min" ? kMin : f == "max" ? kMax : kAbs;
    return make(o, VT::kNumber, b, e, std::move(args));
  }

  std::string_view src_;
  const NameResolver& resolve_;
  std::deque<Token> toks_;
  size_t lexed_ = 0;  // where the lexer stands in src_
  size_t pos_ = 0;
  int nest_ = 0;
};

// A trace record per node: 0 not evaluated, 1 unknown, 2 a value.
struct Rec {
  uint8_t state = 0;
  Tri tri = Tri::kUnknown;
  double num = 0.0;
  std::string_view str;
};

}  // namespace

// ---------------------------------------------------------------- Impl

struct Condition::Impl {
  std::string text;
  std::vector<Node> nodes;  // pre-order; empty for a default-constructed condition
  std::vector<Span> spans;  // parallel to nodes
  std::string pool;         // string literals and string defaults
  std::vector<uint32_t> facts_read;
  std::optional<EqualityKey> key;

  StrRef intern(std::string_view s) {
    StrRef r{static_cast<uint32_t>(pool.size()), static_cast<uint32_t>(s.size())};
    pool.append(s);
    return r;
  }

  void emit(const Ast& a, int depth);
  static const Ast* find_key(const Ast& a);
};

void Condition::Impl::emit(const Ast& a, int depth) {
  const uint32_t idx = static_cast<uint32_t>(nodes.size());
  Node nd{};
  nd.op = nd.gop = a.op;
  nd.cmp = nd.fcmp = a.cmp;
  nd.num = 0.0;
  nodes.push_back(nd);
  spans.push_back(Span{a.begin, a.end - a.begin, static_cast<uint16_t>(depth), a.type, a.name_begin,
                       a.name_end - a.name_begin});

  auto fact_without_default = [](const Ast& k, Op op) {
    return k.op == op && type_of(k.info.fallback) == Type::kAbsent;
  };
  switch (a.op) {
    case kBoolLit: nd.a = a.bval ? 1 : 0; break;
    case kNumLit: nd.num = a.num; break;
    case kStrLit: nd.str = intern(a.str); break;
    case kFactNum:
    case kFactStr:
    case kFactBool: {
      nd.a = a.info.index;
      facts_read.push_back(a.info.index);
      const insource_value& fb = a.info.fallback;
      if (type_of(fb) != Type::kAbsent) {
        nd.flags |= kHasFallback;
        if (a.op == kFactNum) nd.num = fb.number;
        if (a.op == kFactBool && fb.boolean) nd.flags |= kFallbackTrue;
        if (a.op == kFactStr) nd.str = intern(string_of(fb));
      }
      break;
    }
    case kExistsFact:
      nd.a = a.info.index;
      facts_read.push_back(a.info.index);
      break;
    case kScore:
    case kExistsScore: nd.a = a.info.index; break;
    case kCmpNum: {
      const Ast& l = *a.kids[0];
      const Ast& r = *a.kids[1];
      if (fact_without_default(l, kFactNum) && r.op == kNumLit) {
        nd.op = kFactNumCmpLit;
        nd.a = l.info.index;
        nd.num = r.num;
      } else if (fact_without_default(r, kFactNum) && l.op == kNumLit) {
        nd.op = kFactNumCmpLit;
        nd.a = r.info.index;
        nd.num = l.num;
        nd.fcmp = flip(a.cmp);
      }
      break;
    }
    case kCmpStr: {
      const Ast& l = *a.kids[0];
      const Ast& r = *a.kids[1];
      const Ast* f = fact_without_default(l, kFactStr) && r.op == kStrLit   ? &l
                     : fact_without_default(r, kFactStr) && l.op == kStrLit ? &r
                                                                              : nullptr;
      if (f) {
        nd.op = kFactStrCmpLit;
        nd.a = f->info.index;
        nd.str = intern(f == &l ? r.str : l.str);
      }
      break;
    }
    default: break;
  }
  for (const auto& k : a.kids) emit(*k, depth + 1);
  nd.end = static_cast<uint32_t>(nodes.size());
  nodes[idx] = nd;
}

// The first `string fact == "literal"` term of a top-level conjunction.
const Ast* Condition::Impl::find_key(const Ast& a) {
  if (a.op == kAnd) {
    for (const auto& k : a.kids)
      if (const Ast* t = find_key(*k)) return t;
    return nullptr;
  }
  if (a.op != kCmpStr || a.cmp != Cmp::kEq) return nullptr;
  const Ast& l = *a.kids[0];
  const Ast& r = *a.kids[1];
  const Ast* f = l.op == kFactStr && r.op == kStrLit ? &l : r.op == kFactStr && l.op == kStrLit ? &r : nullptr;
  if (!f) return nullptr;
  const std::string& lit = f == &l ? r.str : l.str;
  // A case without the fact that has the literal as its default would match
  // without having the value itself: no key then.
  if (type_of(f->info.fallback) == Type::kString && string_of(f->info.fallback) == lit) return nullptr;
  return &a;
}

// ---------------------------------------------------------------- evaluation

namespace {

template <bool kTrace>
class Eval {
 public:
  Eval(const Node* nodes, const char* pool, const EvalInput& in, Rec* rec)
      : n_(nodes), pool_(pool), in_(in), rec_(rec) {}

  Tri b(uint32_t i) {
    Tri r = b_(i);
    if constexpr (kTrace) {
      rec_[i].state = r == Tri::kUnknown ? 1 : 2;
      rec_[i].tri = r;
    }
    return r;
  }
  bool num(uint32_t i, double& out) {
    if constexpr (!kTrace) {  // literals without the call
      if (n_[i].op == kNumLit) {
        out = n_[i].num;
        return true;
      }
    }
    bool ok = num_(i, out);
    if constexpr (kTrace) {
      rec_[i].state = ok ? 2 : 1;
      if (ok) rec_[i].num = out;
    }
    return ok;
  }
  bool str(uint32_t i, std::string_view& out) {
    if constexpr (!kTrace) {
      if (n_[i].op == kStrLit) {
        out = pooled(n_[i].str);
        return true;
      }
    }
    bool ok = str_(i, out);
    if constexpr (kTrace) {
      rec_[i].state = ok ? 2 : 1;
      if (ok) rec_[i].str = out;
    }
    return ok;
  }

 private:
  static Op op(const Node& nd) {
    if constexpr (kTrace) return nd.gop;
    else return nd.op;
  }
  std::string_view pooled(StrRef r) const { return std::string_view(pool_ + r.off, r.len); }

  static bool compare(Cmp c, double x, double y) {
    switch (c) {
      case Cmp::kEq: return x == y;
      case Cmp::kNe: return x != y;
      case Cmp::kLt: return x < y;
      case Cmp::kLe: return x <= y;
      case Cmp::kGt: return x > y;
      case Cmp::kGe: return x >= y;
    }
    return false;
  }

  Tri fact_bool(const Node& nd) const {
    const insource_value& v = in_.facts[nd.a];
    if (v.type == INSOURCE_BOOL) return to_tri(v.boolean != 0);
    if (nd.flags & kHasFallback) return to_tri(nd.flags & kFallbackTrue);
    return Tri::kUnknown;
  }
  Tri fact_num_cmp(const Node& nd) const {
    const insource_value& v = in_.facts[nd.a];
    if (v.type != INSOURCE_NUMBER) return Tri::kUnknown;
    return to_tri(compare(nd.fcmp, v.number, nd.num));
  }
  Tri fact_str_cmp(const Node& nd) const {
    const insource_value& v = in_.facts[nd.a];
    if (v.type != INSOURCE_STRING) return Tri::kUnknown;
    return to_tri((std::string_view(v.string, v.length) == pooled(nd.str)) == (nd.fcmp == Cmp::kEq));
  }

  // An operand of and / or / not: the common leaves inline, without the
  // recursive call (evaluate() only: the trace records every node).
  Tri operand(uint32_t c) {
    if constexpr (!kTrace) {
      const Node& nd = n_[c];
      switch (nd.op) {
        case kFactStrCmpLit: return fact_str_cmp(nd);
        case kFactNumCmpLit: return fact_num_cmp(nd);
        case kFactBool: return fact_bool(nd);
        case kNot:
          if (n_[c + 1].op == kFactBool) return kNotTable[static_cast<int>(fact_bool(n_[c + 1]))];
          break;
        default: break;
      }
    }
    return b(c);
  }

  Tri b_(uint32_t i) {
    const Node& nd = n_[i];
    switch (op(nd)) {
      case kBoolLit: return static_cast<Tri>(nd.a);
      case kFactBool: return fact_bool(nd);
      case kExistsFact: return to_tri(in_.facts[nd.a].type != INSOURCE_ABSENT);
      case kExistsScore: return to_tri(in_.voted[nd.a] != 0);
      case kExistsTotal: return Tri::kTrue;
      case kAnd: {
        Tri r = Tri::kTrue;
        for (uint32_t c = i + 1; c < nd.end; c = n_[c].end) {
          Tri t = operand(c);
          if (t == Tri::kFalse) return Tri::kFalse;
          if (t == Tri::kUnknown) r = Tri::kUnknown;
        }
        return r;
      }
      case kOr: {
        Tri r = Tri::kFalse;
        for (uint32_t c = i + 1; c < nd.end; c = n_[c].end) {
          Tri t = operand(c);
          if (t == Tri::kTrue) return Tri::kTrue;
          if (t == Tri::kUnknown) r = Tri::kUnknown;
        }
        return r;
      }
      case kNot: return kNotTable[static_cast<int>(operand(i + 1))];
      case kCmpNum: {
        double x, y;
        if (!num(i + 1, x) || !num(n_[i + 1].end, y)) return Tri::kUnknown;
        return to_tri(compare(nd.cmp, x, y));
      }
      case kCmpStr: {
        std::string_view x, y;
        if (!str(i + 1, x) || !str(n_[i + 1].end, y)) return Tri::kUnknown;
        return to_tri((x == y) == (nd.cmp == Cmp::kEq));
      }
      case kCmpBool: {
        Tri x = b(i + 1);
        if (x == Tri::kUnknown) return Tri::kUnknown;
        Tri y = b(n_[i + 1].end);
        if (y == Tri::kUnknown) return Tri::kUnknown;
        return to_tri((x == y) == (nd.cmp == Cmp::kEq));
      }
      case kInNum: {
        double x, y;
        if (!num(i + 1, x)) return Tri::kUnknown;
        bool unknown = false;
        for (uint32_t c = n_[i + 1].end; c < nd.end; c = n_[c].end) {
          if (!num(c, y)) unknown = true;
          else if (x == y) return Tri::kTrue;
        }
        return unknown ? Tri::kUnknown : Tri::kFalse;
      }
      case kInStr: {
        std::string_view x, y;
        if (!str(i + 1, x)) return Tri::kUnknown;
        bool unknown = false;
        for (uint32_t c = n_[i + 1].end; c < nd.end; c = n_[c].end) {
          if (!str(c, y)) unknown = true;
          else if (x == y) return Tri::kTrue;
        }
        return unknown ? Tri::kUnknown : Tri::kFalse;
      }
      case kInBool: {
        Tri x = b(i + 1);
        if (x == Tri::kUnknown) return Tri::kUnknown;
        bool unknown = false;
        for (uint32_t c = n_[i + 1].end; c < nd.end; c = n_[c].end) {
          Tri y = b(c);
          if (y == Tri::kUnknown) unknown = true;
          else if (x == y) return Tri::kTrue;
        }
        return unknown ? Tri::kUnknown : Tri::kFalse;
      }
      case kFactNumCmpLit: return fact_num_cmp(nd);
      case kFactStrCmpLit: return fact_str_cmp(nd);
      default: return Tri::kUnknown;  // not a bool node: excluded by the type check
    }
  }

  bool num_(uint32_t i, double& out) {
    const Node& nd = n_[i];
    double x, y;
    switch (op(nd)) {
      case kNumLit: out = nd.num; return true;
      case kFactNum: {
        const insource_value& v = in_.facts[nd.a];
        if (v.type == INSOURCE_NUMBER) {
          out = v.number;
          return true;
        }
        out = nd.num;
        return nd.flags & kHasFallback;
      }
      case kScore:
        if (!in_.voted[nd.a]) return false;
        out = in_.scores[nd.a];
        return true;
      case kTotal: out = in_.total; return true;
      case kNeg:
        if (!num(i + 1, x)) return false;
        out = -x;
        return true;
      case kAdd:
      case kSub:
      case kMul:
      case kDiv:
        if (!num(i + 1, x) || !num(n_[i + 1].end, y)) return false;
        switch (op(nd)) {
          case kAdd: out = x + y; return true;
          case kSub: out = x - y; return true;
          case kMul: out = x * y; return true;
          default:
            if (y == 0.0) return false;  // division by zero is unknown
            out = x / y;
            return true;
        }
      case kMin:
      case kMax: {
        if (!num(i + 1, x)) return false;
        const bool is_min = op(nd) == kMin;
        for (uint32_t c = n_[i + 1].end; c < nd.end; c = n_[c].end) {
          if (!num(c, y)) return false;
          x = is_min ? (y < x ? y : x) : (y > x ? y : x);
        }
        out = x;
        return true;
      }
      case kAbs:
        if (!num(i + 1, x)) return false;
        out = std::fabs(x);
        return true;
      default: return false;
    }
  }

  bool str_(uint32_t i, std::string_view& out) {
    const Node& nd = n_[i];
    switch (op(nd)) {
      case kStrLit: out = pooled(nd.str); return true;
      case kFactStr: {
        const insource_value& v = in_.facts[nd.a];
        if (v.type == INSOURCE_STRING) {
          out = std::string_view(v.string, v.length);
          return true;
        }
        if (!(nd.flags & kHasFallback)) return false;
        out = pooled(nd.str);
        return true;
      }
      default: return false;
    }
  }

  const Node* n_;
  const char* pool_;
  const EvalInput& in_;
  Rec* rec_;
};

}  // namespace

// ---------------------------------------------------------------- Condition

Condition Condition::compile(std::string_view text, const NameResolver& resolve) {
  if (text.size() > std::numeric_limits<uint32_t>::max() / 2) fail("condition too long", 0);
  Parser parser(text, resolve);
  AstP root = parser.parse();

  Condition c;
  Impl& im = *c.impl_;
  im.text = std::string(text);
  im.emit(*root, 0);
  std::sort(im.facts_read.begin(), im.facts_read.end());
  im.facts_read.erase(std::unique(im.facts_read.begin(), im.facts_read.end()), im.facts_read.end());
  if (const Ast* t = Impl::find_key(*root)) {
    const Ast& l = *t->kids[0];
    const Ast& r = *t->kids[1];
    const Ast& fact = l.op == kFactStr ? l : r;
    const Ast& lit = l.op == kFactStr ? r : l;
    im.key = EqualityKey{fact.info.index, lit.str};
  }
  return c;
}

Condition::Condition() : impl_(std::make_unique<Impl>()) {}
Condition::~Condition() = default;
Condition::Condition(Condition&&) noexcept = default;
Condition& Condition::operator=(Condition&&) noexcept = default;
Condition::Condition(const Condition& o) : impl_(o.impl_ ? std::make_unique<Impl>(*o.impl_) : nullptr) {}
Condition& Condition::operator=(const Condition& o) {
  if (this != &o) impl_ = o.impl_ ? std::make_unique<Impl>(*o.impl_) : nullptr;
  return *this;
}

Tri Condition::evaluate(const EvalInput& in) const {
  // A default-constructed (or moved-from) condition holds nothing: it never matches.
  if (!impl_ || impl_->nodes.empty()) return Tri::kUnknown;
  return Eval<false>(impl_->nodes.data(), impl_->pool.data(), in, nullptr).b(0);
}

Tri Condition::trace(const EvalInput& in, std::vector<TraceStep>* steps) const {
  if (steps) steps->clear();
  if (!impl_ || impl_->nodes.empty()) return Tri::kUnknown;
  const Impl& im = *impl_;
  const size_t n = im.nodes.size();
  std::vector<Rec> rec(n);
  const Tri result = Eval<true>(im.nodes.data(), im.pool.data(), in, rec.data()).b(0);
  if (!steps) return result;

  auto span_text = [&](size_t i) {
    return std::string_view(im.text).substr(im.spans[i].begin, im.spans[i].len);
  };
  // Why each unknown node is unknown: a missing name, or the first unknown
  // child (children come after their parent, so walk backwards).
  std::vector<std::string_view> missing(n);
  for (size_t i = n; i-- > 0;) {
    if (rec[i].state != 1) continue;
    const Node& nd = im.nodes[i];
    switch (nd.gop) {
      case kFactNum:
      case kFactStr:
      case kFactBool:
      case kScore: missing[i] = span_text(i); break;
      default:
        for (uint32_t c = static_cast<uint32_t>(i) + 1; c < nd.end; c = im.nodes[c].end)
          if (rec[c].state == 1) {
            missing[i] = missing[c];
            break;
          }
        if (missing[i].empty() && nd.gop == kDiv) missing[i] = "division by zero";
    }
  }
  steps->reserve(n);
  for (size_t i = 0; i < n; ++i) {
    TraceStep s;
    s.text = std::string(span_text(i));
    s.offset = im.spans[i].begin;
    s.depth = im.spans[i].depth;
    switch (rec[i].state) {
      case 0: s.outcome = "not evaluated"; break;
      case 1:
        s.outcome = "unknown";
        s.missing = std::string(missing[i]);
        break;
      default:
        switch (im.spans[i].type) {
          case VT::kBool: s.outcome = tri_name(rec[i].tri); break;
          case VT::kNumber: s.outcome = format_number(rec[i].num); break;
          case VT::kString: s.outcome = describe(make_string(rec[i].str)); break;
        }
    }
    steps->push_back(std::move(s));
  }
  return result;
}

const std::string& Condition::text() const {
  static const std::string kEmpty;
  return impl_ ? impl_->text : kEmpty;
}

const std::vector<uint32_t>& Condition::facts_read() const {
  static const std::vector<uint32_t> kNone;
  return impl_ ? impl_->facts_read : kNone;
}

std::optional<Condition::EqualityKey> Condition::equality_key() const {
  if (!impl_) return std::nullopt;
  return impl_->key;
}

// ---------------------------------------------------------------- the read-only view
//
// Everything here reads what compile() stored: the generic opcode (`gop`,
// never a fused one), the operands, the spans and the string pool. Nothing
// here is on the path of evaluate().

std::optional<ConditionNodeView> Condition::root() const {
  if (!impl_ || impl_->nodes.empty()) return std::nullopt;
  return ConditionNodeView(impl_.get(), 0);
}

size_t Condition::node_count() const { return impl_ ? impl_->nodes.size() : 0; }

ConditionNodeView Condition::node(size_t index) const {
  if (index >= node_count()) throw std::out_of_range("Condition::node: no node " + std::to_string(index));
  return ConditionNodeView(impl_.get(), static_cast<uint32_t>(index));
}

ConditionNodeView::Kind ConditionNodeView::kind() const {
  switch (impl_->nodes[index_].gop) {
    case kAnd: return Kind::kAnd;
    case kOr: return Kind::kOr;
    case kNot: return Kind::kNot;
    case kCmpNum:
    case kCmpStr:
    case kCmpBool: return Kind::kCompare;
    case kInNum:
    case kInStr:
    case kInBool: return Kind::kIn;
    case kAdd:
    case kSub:
    case kMul:
    case kDiv: return Kind::kArith;
    case kNeg: return Kind::kNeg;
    case kMin:
    case kMax:
    case kAbs: return Kind::kCall;
    case kExistsFact:
    case kExistsScore:
    case kExistsTotal: return Kind::kExists;
    case kNumLit: return Kind::kNumber;
    case kStrLit: return Kind::kString;
    case kBoolLit: return Kind::kBool;
    case kFactNum:
    case kFactStr:
    case kFactBool:
    case kScore:
    case kTotal: return Kind::kName;
    case kFactNumCmpLit:
    case kFactStrCmpLit: break;  // fused opcodes are never stored as `gop`
  }
  return Kind::kBool;
}

std::string_view ConditionNodeView::op() const {
  const Node& nd = impl_->nodes[index_];
  switch (nd.gop) {
    case kCmpNum:
    case kCmpStr:
    case kCmpBool:
      switch (nd.cmp) {
        case Cmp::kEq: return "==";
        case Cmp::kNe: return "!=";
        case Cmp::kLt: return "<";
        case Cmp::kLe: return "<=";
        case Cmp::kGt: return ">";
        case Cmp::kGe: return ">=";
      }
      break;
    case kAdd: return "+";
    case kSub: return "-";
    case kMul: return "*";
    case kDiv: return "/";
    case kMin: return "min";
    case kMax: return "max";
    case kAbs: return "abs";
    default: break;
  }
  return {};
}

std::string_view ConditionNodeView::text() const {
  const Span& sp = impl_->spans[index_];
  return std::string_view(impl_->text).substr(sp.begin, sp.len);
}

size_t ConditionNodeView::offset() const { return impl_->spans[index_].begin; }

int ConditionNodeView::depth() const { return impl_->spans[index_].depth; }

Type ConditionNodeView::type() const {
  switch (impl_->spans[index_].type) {
    case VT::kNumber: return Type::kNumber;
    case VT::kString: return Type::kString;
    case VT::kBool: break;
  }
  return Type::kBool;
}

ConditionNodeView::Children ConditionNodeView::children() const {
  return Children(impl_, index_ + 1, impl_->nodes[index_].end);
}

size_t ConditionNodeView::child_count() const {
  size_t n = 0;
  for (uint32_t c = index_ + 1; c < impl_->nodes[index_].end; c = impl_->nodes[c].end) ++n;
  return n;
}

ConditionNodeView::Children::Iterator& ConditionNodeView::Children::Iterator::operator++() {
  index_ = impl_->nodes[index_].end;
  return *this;
}

NameInfo::Kind ConditionNodeView::name_kind() const {
  switch (impl_->nodes[index_].gop) {
    case kScore:
    case kExistsScore: return NameInfo::Kind::kScore;
    case kTotal:
    case kExistsTotal: return NameInfo::Kind::kTotal;
    default: break;
  }
  return NameInfo::Kind::kFact;
}

uint32_t ConditionNodeView::name_index() const {
  switch (impl_->nodes[index_].gop) {
    case kFactNum:
    case kFactStr:
    case kFactBool:
    case kScore:
    case kExistsFact:
    case kExistsScore: return impl_->nodes[index_].a;
    default: break;
  }
  return 0;
}

std::string_view ConditionNodeView::name() const {
  const Span& sp = impl_->spans[index_];
  return std::string_view(impl_->text).substr(sp.name_begin, sp.name_len);
}

double ConditionNodeView::number() const {
  const Node& nd = impl_->nodes[index_];
  return nd.gop == kNumLit ? nd.num : 0.0;
}

std::string_view ConditionNodeView::string() const {
  const Node& nd = impl_->nodes[index_];
  if (nd.gop != kStrLit) return {};
  return std::string_view(impl_->pool).substr(nd.str.off, nd.str.len);
}

bool ConditionNodeView::boolean() const {
  const Node& nd = impl_->nodes[index_];
  return nd.gop == kBoolLit && nd.a != 0;
}

NodeValue ConditionNodeView::evaluate(const EvalInput& in) const {
  NodeValue v;
  if (!impl_) return v;
  // The evaluator of evaluate(), started at this node instead of the root.
  Eval<false> ev(impl_->nodes.data(), impl_->pool.data(), in, nullptr);
  switch (impl_->spans[index_].type) {
    case VT::kBool: {
      const Tri t = ev.b(index_);
      if (t != Tri::kUnknown) {
        v.state = NodeValue::State::kBool;
        v.boolean = t == Tri::kTrue;
      }
      break;
    }
    case VT::kNumber:
      if (ev.num(index_, v.number)) v.state = NodeValue::State::kNumber;
      break;
    case VT::kString:
      if (ev.str(index_, v.string)) v.state = NodeValue::State::kString;
      break;
  }
  return v;
}

}  // namespace insource
