#include "io/json_case_parser.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "io/case_reader.h"
#include "io/distribution_reader.h"

namespace insource {

namespace od = simdjson::ondemand;

namespace {

// A number or bool as written in the JSON text.
std::string_view raw_token(od::value& v) {
  std::string_view raw = v.raw_json_token();
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' || raw.back() == '\n'))
    raw.remove_suffix(1);
  return raw;
}

std::string describe_json(od::value& v) {
  od::json_type t;
  if (v.type().get(t)) return "an unreadable value";
  switch (t) {
    case od::json_type::array: return "a list";
    case od::json_type::object: return "a map";
    case od::json_type::null: return "null";
    case od::json_type::boolean:
    case od::json_type::number:
      return std::string(t == od::json_type::number ? "the number " : "the bool ") + std::string(raw_token(v));
    case od::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s)) return "a string";
      return "the string \"" + std::string(s) + "\"";
    }
  }
  return "a value";
}

// Whether `s` is a number as RFC 8259 spells it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?
bool json_number_grammar(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

simdjson::error_code read_key(od::field& field, std::string_view* key) { return field.unescaped_key().get(*key); }

// Whether `text` equals `name`, a name stored zero-padded to whole 8-byte
// words. Compares a word at a time, inline: these names are short, and a
// memcmp call for each of the ~30 comparisons of a case cost more than the
// comparing. `text` points into simdjson's padded buffers, so the bytes read
// past its end exist; they are masked off.
inline bool same_padded(const std::string& name, std::string_view text) {
  const size_t n = text.size();
  for (size_t i = 0; i < n; i += 8) {
    uint64_t a, b;
    std::memcpy(&a, name.data() + i, 8);
    std::memcpy(&b, text.data() + i, 8);
    if (n - i < 8) {
      const uint64_t mask = (uint64_t{1} << ((n - i) * 8)) - 1;
      a &= mask;
      b &= mask;
    }
    if (a != b) return false;
  }
  return true;
}

std::string padded(std::string_view s) {
  std::string out(s);
  out.resize((s.size() / 8 + 1) * 8, '\0');
  return out;
}

inline uint64_t load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The first word of a padded name, and the mask of its bytes that belong to
// the name (of `length` bytes).
inline uint64_t first_word(const std::string& padded_name) { return load8(padded_name.data()); }
inline uint64_t first_mask(size_t length) { return length >= 8 ? ~uint64_t{0} : (uint64_t{1} << (length * 8)) - 1; }

// Whether a name without quotes or backslashes can be matched against raw JSON text.
inline bool raw_matchable(std::string_view s) { return s.find_first_of("\\\"") == std::string_view::npos; }

// Whether the raw JSON text at `p` starts with the padded name (length bytes,
// first word and mask precomputed). `p` points into simdjson's padded input:
// the words read past the text exist, and as the name holds no quote, the
// comparison stops at the word that holds the string's closing quote at the
// latest.
inline bool raw_starts_with(const std::string& name, uint32_t length, uint64_t word0, uint64_t mask0,
                            const char* p) {
  if ((load8(p) & mask0) != word0) return false;
  for (size_t i = 8; i < length; i += 8) {
    uint64_t a = load8(name.data() + i), b = load8(p + i);
    if (length - i < 8) {
      const uint64_t mask = (uint64_t{1} << ((length - i) * 8)) - 1;
      a &= mask;
      b &= mask;
    }
    if (a != b) return false;
  }
  return true;
}

}  // namespace

void append_json_string(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
    out->append(s.data() + start, i - start);
    start = i + 1;
    switch (ch) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[ch >> 4]);
        out->push_back(kHex[ch & 15]);
    }
  }
  out->append(s.data() + start, s.size() - start);
  out->push_back('"');
}

JsonCaseParser::JsonCaseParser(const FactSchema& schema) : schema_(schema) {
  nodes_.emplace_back();  // the root
  for (uint32_t slot = 0; slot < schema.size(); ++slot) {
    std::string_view name = schema.at(slot).decl.name;
    uint32_t node = 0;
    while (true) {
      size_t dot = name.find('.');
      std::string_view seg = name.substr(0, dot);
      uint32_t next = child(node, seg);
      if (next == 0) {
        next = static_cast<uint32_t>(nodes_.size());
        std::string text = padded(seg);
        const uint64_t word0 = first_word(text), mask0 = first_mask(seg.size());
        nodes_[node].children.push_back(
            Node::Edge{std::move(text), static_cast<uint32_t>(seg.size()), next, word0, mask0, raw_matchable(seg)});
        nodes_.emplace_back();
      }
      node = next;
      if (dot == std::string_view::npos) break;
      name.remove_prefix(dot + 1);
    }
    nodes_[node].slot = static_cast<int32_t>(slot);
  }
  fact_count_ = schema.size();
  group_seen_.assign(nodes_.size(), 0);
  for (uint32_t slot = 0; slot < schema.size(); ++slot) {
    const FactDecl& d = schema.at(slot).decl;
    checks_.push_back(FastCheck{static_cast<uint32_t>(d.type), d.min_exclusive, d.min, d.max,
                                d.allowed.empty() ? nullptr : &d.allowed, static_cast<uint32_t>(allowed_.size()),
                                static_cast<uint32_t>(d.allowed.size())});
    for (const std::string& a : d.allowed) {
      std::string text = padded(a);
      const uint64_t word0 = first_word(text), mask0 = first_mask(a.size());
      allowed_.push_back(
          Padded{std::move(text), static_cast<uint32_t>(a.size()), word0, mask0, raw_matchable(a) && a.size() < 64});
    }
  }
}

bool JsonCaseParser::allowed(const std::vector<std::string>& values, std::string_view s) {
  for (const std::string& v : values)
    if (v == s) return true;
  return false;
}

// Every allowed value is tried, without an early exit: which one a case
// gives is as good as random, and a mispredicted branch per value costs more
// than comparing them all. Each first word and the closing quote after it pick
// a candidate, checked whole afterwards (two values alike in both would send
// the case the careful way, which is never wrong).
const JsonCaseParser::Padded* JsonCaseParser::allowed_raw(const FastCheck& fc, const char* raw) const {
  const uint64_t word = load8(raw);
  const Padded* const first = allowed_.data() + fc.allowed_first;
  const Padded* pick = nullptr;
  for (uint32_t i = 0; i < fc.allowed_count; ++i) {
    const Padded& a = first[i];
    // (A value of 64 bytes or more is never raw_ok; the index stays inside the padding.)
    const bool hit = ((word & a.mask0) == a.word0) & (raw[a.length & 63] == '"');
    pick = hit ? &a : pick;
  }
  if (pick == nullptr || !pick->raw_ok || !raw_starts_with(pick->text, pick->length, pick->word0, pick->mask0, raw))
    return nullptr;
  return pick;
}

// A search in turn rather than a hash: the guess from *hint is nearly always
// right, and a predicted comparison costs less than a hash's chain of
// dependent loads (key -> table -> child).
[[gnu::always_inline]] inline uint32_t JsonCaseParser::raw_child(uint32_t node, const char* p, uint32_t* hint) const {
  uint32_t at = node;
  uint32_t start = *hint;
  uint32_t* update = hint;  // only the first segment's position is remembered
  while (true) {
    const std::vector<Node::Edge>& edges = nodes_[at].children;
    const uint32_t n = static_cast<uint32_t>(edges.size());
    if (n == 0) return 0;
    uint32_t k = start < n ? start : 0;
    const uint32_t stop = k;
    const Node::Edge* found = nullptr;
    char end = 0;
    do {
      const Node::Edge& e = edges[k];
      if (e.raw_ok && raw_starts_with(e.segment, e.length, e.word0, e.mask0, p)) {
        end = p[e.length];
        if (end == '"' || end == '.') {
          found = &e;
          break;
        }
      }
      if (++k == n) k = 0;
    } while (k != stop);
    if (found == nullptr) return 0;
    if (update != nullptr) {
      *update = k + 1;
      update = nullptr;
    }
    at = found->node;
    if (end == '"') return at;
    p += found->length + 1;  // a dotted key: on to its next segment
    start = 0;
  }
}

uint32_t JsonCaseParser::child(uint32_t node, std::string_view segment) const {
  for (const Node::Edge& e : nodes_[node].children)
    if (e.length == segment.size() && same_padded(e.segment, segment)) return e.node;
  return 0;
}

std::string JsonCaseParser::path_name(std::string_view last) const {
  std::string out;
  for (std::string_view p : path_) out.append(p).push_back('.');
  return out.append(last);
}

JsonCaseParser::Result JsonCaseParser::parse(const char* data, size_t len, size_t capacity, CaseFacts* c,
                                             std::string* error) {
  if (distributions_) c->uncertain.clear();
  if (parse_fast(data, len, capacity, c)) return Result::kOk;
  // Something is off (or merely unusual, such as a numeric id or an escaped
  // key): read the record again, carefully, to accept it or say what is wrong.
  return diagnose(data, len, capacity, c, error);
}

// The fast path: a lean walk that fills the case or reports only that
// something is off. Kept free of message building so that the compiler keeps
// simdjson's iterators in registers; diagnose() words the problem.
bool JsonCaseParser::parse_fast(const char* data, size_t len, size_t capacity, CaseFacts* c) {
  c->id.clear();
  c->title.clear();
  c->facts.assign(fact_count_, make_absent());
  if (++generation_ == 0) {  // wrapped: forget every mark
    std::fill(group_seen_.begin(), group_seen_.end(), 0);
    generation_ = 1;
  }
  od::document doc;
  od::object top;
  if (parser_.iterate(data, len, capacity).get(doc) || doc.get_object().get(top)) return false;
  bool have_id = false, have_facts = false, have_title = false, have_description = false;
  for (auto field : top) {
    // Keys read raw, without unescaping: a key with an escape matches none of
    // these and goes the careful way.
    od::raw_json_string raw_key;
    if (field.key().get(raw_key)) return false;
    const char* key = raw_key.raw();
    if (std::memcmp(key, "facts\"", 6) == 0) {
      od::object facts;
      if (have_facts || field.value().get_object().get(facts) || !walk_fast(facts, 0, 0, c)) return false;
      have_facts = true;
    } else if (std::memcmp(key, "id\"", 3) == 0) {
      od::value v;
      if (have_id || field.value().get(v)) return false;
      // The id as written when it has no escapes (the token runs from its
      // opening quote to the next structural character); else unescaped.
      std::string_view tok = v.raw_json_token();
      while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t' || tok.back() == '\r' || tok.back() == '\n'))
        tok.remove_suffix(1);
      if (tok.size() >= 2 && tok.front() == '"' && tok.back() == '"' &&
          std::memchr(tok.data() + 1, '\\', tok.size() - 2) == nullptr) {
        od::raw_json_string raw;
        if (v.get_raw_json_string().get(raw)) return false;
        c->id.assign(tok.data() + 1, tok.size() - 2);
      } else {
        std::string_view id;
        if (v.get_string().get(id)) return false;
        c->id.assign(id);
      }
      have_id = true;
    } else if (std::memcmp(key, "title\"", 6) == 0) {
      std::string_view title;
      if (have_title || field.value().get_string().get(title)) return false;
      c->title.assign(title);
      have_title = true;
    } else if (std::memcmp(key, "description\"", 12) == 0) {
      std::string_view description;
      if (have_description || field.value().get_string().get(description)) return false;
      have_description = true;
    } else {
      return false;
    }
  }
  return have_facts && doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

// The object by reference: passed by value, it is copied with one wide load
// right after the narrower stores that made it, a store-forwarding stall on
// every group.
bool JsonCaseParser::walk_fast(od::object& obj, uint32_t node, int depth, CaseFacts* c) {
  if (depth > kMaxFactDepth) return false;
  uint32_t hint = 0;  // where in the node's children to look for the next key
  for (auto field : obj) {
    od::raw_json_string raw_key;
    if (field.key().get(raw_key)) return false;
    const uint32_t at = raw_child(node, raw_key.raw(), &hint);
    if (at == 0) return false;
    od::value v;
    if (field.value().get(v)) return false;
    const Node& n = nodes_[at];
    // The schema says what the value must be: ask for exactly that (a wrong
    // type fails the getter, and the careful path words it).
    if (n.slot < 0) {
      od::object inner;
      if (group_seen_[at] == generation_) return false;  // the group given twice
      group_seen_[at] = generation_;
      if (v.get_object().get(inner) || !walk_fast(inner, at, depth + 1, c)) return false;
      continue;
    }
    if (!n.children.empty()) return false;  // both a fact and a group: let the careful path decide
    insource_value& out = c->facts[static_cast<size_t>(n.slot)];
    const FastCheck& fc = checks_[static_cast<size_t>(n.slot)];
    if (out.type != INSOURCE_ABSENT) return false;  // given twice
    switch (fc.type) {
      case INSOURCE_NUMBER: {
        double d;
        if (v.get_double().get(d) || !std::isfinite(d) || !(fc.min_exclusive ? d > fc.min : d >= fc.min) ||
            !(d <= fc.max))
          return false;
        out.number = d;
        out.type = INSOURCE_NUMBER;
        break;
      }
      case INSOURCE_STRING: {
        if (fc.allowed) {
          // One of the declared values, matched raw: the fact points at the
          // parser's own copy of it (an escaped spelling goes the careful way).
          od::raw_json_string raw;
          if (v.get_raw_json_string().get(raw)) return false;
          const Padded* a = allowed_raw(fc, raw.raw());
          if (a == nullptr) return false;
          out.string = a->text.data();
          out.length = a->length;
        } else {
          std::string_view sv;
          if (v.get_string().get(sv)) return false;
          out.string = sv.data();
          out.length = sv.size();
        }
        out.type = INSOURCE_STRING;
        break;
      }
      case INSOURCE_BOOL: {
        bool b;
        if (v.get_bool().get(b)) return false;
        out.boolean = b ? 1u : 0u;
        out.type = INSOURCE_BOOL;
        break;
      }
      default: return false;
    }
  }
  return true;
}

JsonCaseParser::Result JsonCaseParser::diagnose(const char* data, size_t len, size_t capacity, CaseFacts* c,
                                                std::string* error) {
  c->id.clear();
  c->title.clear();
  c->facts.assign(fact_count_, make_absent());
  c->uncertain.clear();
  path_.clear();
  data_ = data;
  fact_failed_ = false;
  first_offset_ = 0;
  more_.clear();
  if (++generation_ == 0) {
    std::fill(group_seen_.begin(), group_seen_.end(), 0);
    generation_ = 1;
  }
  auto fail_json = [&](simdjson::error_code e) {
    *error = std::string("invalid JSON: ") + simdjson::error_message(e);
    return Result::kParseError;
  };
  od::document doc;
  if (auto e = parser_.iterate(data, len, capacity).get(doc)) return fail_json(e);
  od::object top;
  if (auto e = doc.get_object().get(top)) {
    // Another JSON value (a list, a string, a number ...) is a case error; text
    // that is not JSON at all (`id: x`, `True`, `NaN`) a parse error.
    od::json_type t;
    bool is_value = false;
    if (e == simdjson::INCORRECT_TYPE && !doc.type().get(t)) {
      switch (t) {
        case od::json_type::array:
        case od::json_type::object: is_value = true; break;
        case od::json_type::string: {
          std::string_view s;
          is_value = !doc.get_string().get(s);
          break;
        }
        case od::json_type::number: {
          std::string_view raw;
          if (doc.raw_json_token().get(raw)) break;
          while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' || raw.back() == '\n'))
            raw.remove_suffix(1);
          is_value = json_number_grammar(raw);
          break;
        }
        case od::json_type::boolean: {
          bool b;
          is_value = !doc.get_bool().get(b);
          break;
        }
        case od::json_type::null: {
          bool null = false;
          is_value = !doc.is_null().get(null) && null;
          break;
        }
      }
    }
    if (!is_value && e == simdjson::INCORRECT_TYPE) {
      *error = "invalid JSON: the text is not a JSON value";
      return Result::kParseError;
    }
    if (e == simdjson::INCORRECT_TYPE) {
      *error = "a case must be a JSON object with \"id\" and \"facts\"";
      return Result::kCaseError;
    }
    return fail_json(e);
  }
  bool have_facts = false, have_id = false, have_title = false, have_description = false;
  for (auto field_result : top) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) return fail_json(e);
    std::string_view key;
    if (auto e = read_key(field, &key)) return fail_json(e);
    od::value& v = field.value();
    if (key == "id") {
      if (have_id) {
        note_problem("key 'id' is given twice", nullptr, error);
        return Result::kCaseError;
      }
      have_id = true;
      od::json_type t;
      if (auto e = v.type().get(t)) return fail_json(e);
      std::string_view id;
      if (t == od::json_type::string) {
        if (auto e = v.get_string().get(id)) return fail_json(e);
      } else if (t == od::json_type::number) {
        id = raw_token(v);  // a numeric id, as written
      } else {
        note_problem("\"id\" must be a string, not " + describe_json(v), nullptr, error);
        return Result::kCaseError;
      }
      c->id.assign(id);
    } else if (key == "facts") {
      if (have_facts) {
        note_problem("key 'facts' is given twice", nullptr, error);
        return Result::kCaseError;
      }
      have_facts = true;
      od::object facts;
      if (auto e = v.get_object().get(facts)) {
        if (e != simdjson::INCORRECT_TYPE) return fail_json(e);
        note_problem("\"facts\" must be a map, not " + describe_json(v), nullptr, error);
        return Result::kCaseError;
      }
      Result r = walk(facts, 0, 0, c, error);
      if (r != Result::kOk) return r;  // a parse error (the bad facts noted before it are moot) or facts nested too deep
    } else if (key == "title" || key == "description") {
      bool& have = key == "title" ? have_title : have_description;
      if (have) {
        note_problem("key '" + std::string(key) + "' is given twice", nullptr, error);
        return Result::kCaseError;
      }
      have = true;
      std::string_view text;
      od::json_type t;
      if (auto e = v.type().get(t)) return fail_json(e);
      if (t != od::json_type::string) {
        note_problem("\"" + std::string(key) + "\" must be a string, not " + describe_json(v), nullptr, error);
        return Result::kCaseError;
      }
      if (auto e = v.get_string().get(text)) return fail_json(e);
      if (key == "title") c->title.assign(text);
    } else {
      std::string near = closest_name(key, {"id", "title", "description", "facts"});
      note_problem("unknown key '" + std::string(key) + "' in a case" + (near.empty() ? "" : " (did you mean '" + near + "'?)"), nullptr, error);
      return Result::kCaseError;
    }
  }
  // Anything after the object (OUT_OF_BOUNDS means the document is used up).
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    *error = "invalid JSON: more than one value on the line";
    return Result::kParseError;
  }
  if (!have_facts) {
    note_problem("the case has no \"facts\"", nullptr, error);
    return Result::kCaseError;
  }
  return fact_failed_ ? Result::kCaseError : Result::kOk;
}

void JsonCaseParser::note_problem(std::string message, const char* at, std::string* error) {
  const size_t offset = at && data_ && at >= data_ ? static_cast<size_t>(at - data_) : 0;
  if (!fact_failed_) {
    *error = std::move(message);
    fact_failed_ = true;
    first_offset_ = offset;
    return;
  }
  more_.push_back({offset, std::move(message)});
}

// Inlined into walk(): called out of line, the value is spilled and reloaded
// with one wide load, a store-forwarding stall on every fact.
[[gnu::always_inline]] inline JsonCaseParser::Result JsonCaseParser::read_value(od::value& v, od::json_type t,
                                                                               uint32_t slot, const char* at, CaseFacts* c,
                                                                               std::string* error) {
  const FactInfo& info = schema_.at(slot);
  auto fail = [&](const std::string& problem) {
    note_problem("fact " + info.decl.name + " " + problem, at, error);
    return Result::kCaseError;
  };
  if (c->facts[slot].type != INSOURCE_ABSENT) return fail("is given twice");
  // Written field by field straight into the case: building a local and
  // copying it makes GCC reload it with one wide load, which stalls.
  insource_value& value = c->facts[slot];
  switch (t) {
    case od::json_type::number: {
      double d;
      if (v.get_double().get(d) || !std::isfinite(d)) {
        // A number too large for a double is a case error; a token that is not
        // a JSON number at all (0012, -, 1.) a parse error.
        const std::string_view raw = raw_token(v);
        if (!json_number_grammar(raw)) {
          *error = "invalid JSON: " + std::string(raw) + " is not a JSON number";
          return Result::kParseError;
        }
        return fail("must be a finite number, not " + std::string(raw));
      }
      value.number = d;
      value.type = INSOURCE_NUMBER;
      break;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) {
        *error = std::string("invalid JSON: ") + simdjson::error_message(e);
        return Result::kParseError;
      }
      value.string = s.data();
      value.length = s.size();
      value.type = INSOURCE_STRING;
      break;
    }
    case od::json_type::boolean: {
      bool b;
      if (auto e = v.get_bool().get(b)) {
        *error = std::string("invalid JSON: ") + simdjson::error_message(e);
        return Result::kParseError;
      }
      value.boolean = b ? 1u : 0u;
      value.type = INSOURCE_BOOL;
      break;
    }
    case od::json_type::null: return fail("is null; leave it out if it is unknown");
    case od::json_type::object:
      if (distributions_) return read_distribution_value(v, slot, at, c, error);
      if (info.decl.type != Type::kString || !info.decl.allowed.empty())
        return fail(std::string("is given as a distribution; ") + kBatchSureOnly);
      [[fallthrough]];
    case od::json_type::array:
      return fail(std::string("must be a ") + type_name(info.decl.type) + ", not " + describe_json(v));
  }
  // The common case, a value of the right type within its bounds, is checked
  // inline; the schema words the problem otherwise.
  const FastCheck& fc = checks_[slot];
  bool fine = value.type == fc.type &&
              (fc.type != INSOURCE_NUMBER ||
               (std::isfinite(value.number) && (fc.min_exclusive ? value.number > fc.min : value.number >= fc.min) &&
                value.number <= fc.max)) &&
              (fc.type != INSOURCE_STRING || fc.allowed == nullptr || allowed(*fc.allowed, string_of(value)));
  if (!fine) {
    if (auto problem = schema_.check(slot, value)) return fail(*problem);
  }
  return Result::kOk;
}

namespace {

// A JSON value inside a distribution, as read_distribution() checks it.
simdjson::error_code dist_node(od::value v, int depth, DistNode* out) {
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  if (depth > 4) {
    out->what = "a value nested too deep";
    return simdjson::SUCCESS;
  }
  switch (t) {
    case od::json_type::number: {
      out->kind = DistNode::Kind::kNumber;
      return v.get_double().get(out->number);
    }
    case od::json_type::object: {
      out->kind = DistNode::Kind::kMap;
      od::object obj;
      if (auto e = v.get_object().get(obj)) return e;
      for (auto field_result : obj) {
        od::field field;
        if (auto e = std::move(field_result).get(field)) return e;
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        out->keys.emplace_back(key);
        out->items.emplace_back();
        if (auto e = dist_node(field.value(), depth + 1, &out->items.back())) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      out->kind = DistNode::Kind::kList;
      od::array arr;
      if (auto e = v.get_array().get(arr)) return e;
      for (auto item : arr) {
        od::value iv;
        if (auto e = item.get(iv)) return e;
        out->items.emplace_back();
        if (auto e = dist_node(iv, depth + 1, &out->items.back())) return e;
      }
      return simdjson::SUCCESS;
    }
    default: out->what = describe_json(v); return simdjson::SUCCESS;
  }
}

}  // namespace

JsonCaseParser::Result JsonCaseParser::read_distribution_value(od::value& v, uint32_t slot, const char* at,
                                                               CaseFacts* c, std::string* error) {
  const FactInfo& info = schema_.at(slot);
  DistNode node;
  if (auto e = dist_node(v, 0, &node)) {
    *error = std::string("invalid JSON: ") + simdjson::error_message(e);
    return Result::kParseError;
  }
  for (size_t i = 0; i < node.keys.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (node.keys[i] == node.keys[j]) {
        note_problem("fact " + info.decl.name + " is given as a distribution with the key '" + node.keys[i] + "' twice", at, error);
        return Result::kCaseError;
      }
  UncertainFact u;
  u.slot = slot;
  u.offset = at && data_ && at >= data_ ? static_cast<size_t>(at - data_) : 0;
  if (auto problem = read_distribution(info, node, c, &u.dist)) {
    note_problem("fact " + info.decl.name + " " + *problem, at, error);
    return Result::kCaseError;
  }
  c->facts[slot] = u.dist.most_likely();
  auto where = std::find_if(c->uncertain.begin(), c->uncertain.end(), [&](const UncertainFact& f) { return f.slot > slot; });
  c->uncertain.insert(where, std::move(u));
  return Result::kOk;
}

JsonCaseParser::Result JsonCaseParser::walk(od::object obj, uint32_t node, int depth, CaseFacts* c, std::string* error) {
  if (depth > kMaxFactDepth) {
    *error = "facts nest deeper than " + std::to_string(kMaxFactDepth) + " levels";
    return Result::kCaseError;
  }
  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) {
      *error = std::string("invalid JSON: ") + simdjson::error_message(e);
      return Result::kParseError;
    }
    const char* key_at = field.key().raw();  // before read_key(), which consumes it
    std::string_view key;
    if (auto e = read_key(field, &key)) {
      *error = std::string("invalid JSON: ") + simdjson::error_message(e);
      return Result::kParseError;
    }
    od::value& v = field.value();
    // Follow the key's dotted segments down the trie.
    uint32_t at = node;
    for (std::string_view rest = key;;) {
      size_t dot = rest.find('.');
      at = child(at, rest.substr(0, dot));
      if (at == 0 || dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    if (at == 0) {
      std::string name = path_name(key);
      std::string near = schema_.suggest(name);
      note_problem("unknown fact '" + name + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"), key_at,
                   error);
      continue;
    }
    od::json_type t;
    if (auto e = v.type().get(t)) {
      *error = std::string("invalid JSON: ") + simdjson::error_message(e);
      return Result::kParseError;
    }
    if (t == od::json_type::object && !nodes_[at].children.empty()) {
      od::object inner;
      if (group_seen_[at] == generation_) {
        note_problem("fact '" + path_name(key) + "' is given twice", key_at, error);
        continue;
      }
      group_seen_[at] = generation_;
      if (auto e = v.get_object().get(inner)) {
        *error = std::string("invalid JSON: ") + simdjson::error_message(e);
        return Result::kParseError;
      }
      path_.push_back(key);
      Result r = walk(inner, at, depth + 1, c, error);
      path_.pop_back();
      if (r == Result::kParseError) return r;
      continue;
    }
    if (nodes_[at].slot < 0) {
      note_problem("'" + path_name(key) + "' is a group of facts, not a fact: give it as a map, not " + describe_json(v),
                   key_at, error);
      continue;
    }
    Result r = read_value(v, t, static_cast<uint32_t>(nodes_[at].slot), key_at, c, error);
    if (r == Result::kParseError) return r;  // a bad fact (kCaseError) is noted: on to the next
  }
  return Result::kOk;
}

}  // namespace insource
