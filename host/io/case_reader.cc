#include "io/case_reader.h"

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "io/distribution_reader.h"
#include "io/json_case_parser.h"
#include "io/yaml_documents.h"
#include "policy/input_limits.h"
#include "policy/yaml_scalar.h"

namespace insource {

const char* input_error_label(InputErrorKind k) {
  switch (k) {
    case InputErrorKind::kNone: return "";
    case InputErrorKind::kParse: return "parse";
    case InputErrorKind::kCase: return "case";
    case InputErrorKind::kLimit: return "limit";
  }
  return "";
}

void format_errors(std::vector<CaseInput>* inputs, size_t from) {
  for (size_t i = from; i < inputs->size(); ++i)
    if ((*inputs)[i].kind != InputErrorKind::kNone) (*inputs)[i].error = (*inputs)[i].format_error();
}

std::string CaseInput::format_error() const {
  std::string out = SourcePos{label, line, column}.str();
  if (kind == InputErrorKind::kCase && !id.empty()) out += ": case " + id;
  return out + ": " + message;
}

void append_case_problem(std::string* message, const SourcePos& pos, std::string_view id, std::string_view problem) {
  *message += '\n';
  *message += pos.str();
  *message += ": case ";
  *message += id;
  *message += ": ";
  *message += problem;
}

std::string default_case_id(uint64_t line) { return "line-" + std::to_string(line); }

namespace {

// Thrown inside the reader for one case; caught per case so the others still count.
struct CaseProblem {
  SourcePos pos;
  std::string message;
};

// A YAML case into a CaseFacts, checked against the schema.
class CaseBuilder {
 public:
  // line_offset: lines before the text (a JSON Lines record is parsed on its own).
  CaseBuilder(const FactSchema& schema, std::string label, int line_offset = 0)
      : schema_(schema), label_(std::move(label)), line_offset_(line_offset) {}

  CaseInput build(const YAML::Node& node) {
    CaseInput in;
    in.label = label_;
    SourcePos at = pos_of(node, label_);
    in.line = at.line > 0 ? at.line + line_offset_ : 0;
    in.id = default_case_id(static_cast<uint64_t>(std::max(in.line, 1)));
    const std::string fallback_id = in.id;
    try {
      if (!node.IsMap()) fail(node, "a case must be a map with `id` and `facts`, not " + describe_node(node));
      CaseFacts c;
      c.facts.assign(schema_.size(), make_absent());
      c.source = label_ + ":" + std::to_string(std::max(in.line, 1));
      std::set<std::string> seen;
      for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
        if (!seen.insert(key).second) fail(it->first, "key '" + key + "' is given twice");
        if (key == "id" || key == "title" || key == "description") {
          if (!it->second.IsScalar()) fail(it->second, "`" + key + "` must be a string, not " + describe_node(it->second));
          if (key == "id") in.id = c.id = it->second.Scalar();
          if (key == "title") c.title = it->second.Scalar();
        } else if (key != "facts") {
          std::string near = closest_name(key, {"id", "title", "description", "facts"});
          fail(it->first, "unknown key '" + key + "' in a case" + (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                              "; facts go under `facts:`");
        }
      }
      if (c.id.empty()) c.id = fallback_id;
      id_ = c.id;
      YAML::Node facts = node["facts"];
      if (!facts) fail(node, "the case has no `facts`");
      if (facts.IsNull()) facts = YAML::Node(YAML::NodeType::Map);
      if (!facts.IsMap()) fail(facts, "`facts` must be a map, not " + describe_node(facts));
      visited_ = 0;
      flatten(facts, "", 0, &c);
      if (!fact_problems_.empty()) throw CaseProblem{};  // said below, each on its line
      in.value = std::move(c);
    } catch (const CaseProblem& p) {
      in.kind = InputErrorKind::kCase;
      if (!p.message.empty()) fact_problems_.push_back(p);
      // The first problem is the record's; any others follow it, each on
      // its own line with its position, so one run shows them all.
      const CaseProblem& first = fact_problems_.front();
      in.message = first.message;
      if (!id_.empty()) in.id = id_;
      in.line = first.pos.line;
      in.column = first.pos.column;
      for (size_t i = 1; i < fact_problems_.size(); ++i)
        append_case_problem(&in.message, fact_problems_[i].pos, in.id, fact_problems_[i].message);
    }
    fact_problems_.clear();
    id_.clear();
    return in;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& n, std::string msg) {
    SourcePos p = pos_of(n, label_);
    if (p.line > 0) p.line += line_offset_;
    throw CaseProblem{p, std::move(msg)};
  }

  void flatten(const YAML::Node& map, const std::string& prefix, int depth, CaseFacts* c) {
    if (depth > kMaxFactDepth) fail(map, "facts nest deeper than " + std::to_string(kMaxFactDepth) + " levels");
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Aliases can make a small document visit the same nodes exponentially often.
      if (++visited_ > kMaxFactsPerCase) fail(it->first, "more than " + std::to_string(kMaxFactsPerCase) + " facts in one case");
      if (!it->first.IsScalar()) fail(it->first, "a fact name must be a string, not " + describe_node(it->first));
      const std::string& key = it->first.Scalar();
      if (!seen.insert(key).second) fail(it->first, "fact '" + prefix + key + "' is given twice");
      std::string name = prefix + key;
      const YAML::Node v = it->second;  // a copy: the iterator's pair is a temporary
      if (v.IsMap() && schema_.find(name)) {
        // A map where a fact is expected: the fact given as a distribution.
        try {
          set_distribution(it->first, name, v, c);
        } catch (CaseProblem& p) {
          fact_problems_.push_back(std::move(p));
        }
      } else if (v.IsMap()) {
        flatten(v, name + ".", depth + 1, c);
      } else {
        // Every bad fact of the case is reported, not only the first: a
        // problem with one value leaves the others readable.
        try {
          set_fact(it->first, name, v, c);
        } catch (CaseProblem& p) {
          fact_problems_.push_back(std::move(p));
        }
      }
    }
  }

  void set_fact(const YAML::Node& key, const std::string& name, const YAML::Node& v, CaseFacts* c) {
    auto slot = schema_.find(name);
    if (!slot) {
      std::string near = schema_.suggest(name);
      fail(key, "unknown fact '" + name + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
    if (c->facts[*slot].type != INSOURCE_ABSENT) fail(key, "fact " + name + " is given twice");
    const FactInfo& info = schema_.at(*slot);
    if (v.IsSequence()) fail(v, "fact " + name + " must be a " + type_name(info.decl.type) + ", not a list");
    YamlScalar s = read_scalar(v);
    insource_value value = make_absent();
    switch (s.kind) {
      case YamlScalar::Kind::kNull:
        fail(v, "fact " + name + " is null; leave it out if it is unknown");
      case YamlScalar::Kind::kBool: value = make_bool(s.boolean); break;
      case YamlScalar::Kind::kNumber:
        if (!std::isfinite(s.number)) fail(v, "fact " + name + " must be a finite number, not " + s.text);
        value = make_number(s.number);
        break;
      case YamlScalar::Kind::kString: value = make_string(c->keep(s.text)); break;
    }
    if (auto problem = schema_.check(*slot, value)) fail(v, "fact " + name + " " + *problem);
    c->facts[*slot] = value;
  }

  void set_distribution(const YAML::Node& key, const std::string& name, const YAML::Node& v, CaseFacts* c) {
    const uint32_t slot = *schema_.find(name);
    if (c->facts[slot].type != INSOURCE_ABSENT) fail(key, "fact " + name + " is given twice");
    UncertainFact u;
    u.slot = slot;
    SourcePos at = pos_of(v, label_);
    u.line = at.line > 0 ? at.line + line_offset_ : 0;
    u.column = at.column;
    if (auto problem = read_distribution(schema_.at(slot), dist_node(v, 0), c, &u.dist)) fail(v, "fact " + name + " " + *problem);
    c->facts[slot] = u.dist.most_likely();
    // In slot order, whatever order the file gives them in: a draw's values
    // then do not depend on how the case was written.
    auto where = std::find_if(c->uncertain.begin(), c->uncertain.end(), [&](const UncertainFact& f) { return f.slot > slot; });
    c->uncertain.insert(where, std::move(u));
  }

  DistNode dist_node(const YAML::Node& n, int depth) {
    DistNode out;
    if (depth > 4) {
      out.what = "a value nested too deep";
      return out;
    }
    if (n.IsMap()) {
      out.kind = DistNode::Kind::kMap;
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->first.IsScalar()) fail(it->first, "a key in a distribution must be a string");
        const std::string k = it->first.Scalar();
        for (const std::string& seen : out.keys)
          if (seen == k) fail(it->first, "key '" + k + "' is given twice");
        out.keys.push_back(k);
        out.items.push_back(dist_node(it->second, depth + 1));
      }
    } else if (n.IsSequence()) {
      out.kind = DistNode::Kind::kList;
      for (const YAML::Node& item : n) out.items.push_back(dist_node(item, depth + 1));
    } else {
      YamlScalar s = read_scalar(n);
      if (s.kind == YamlScalar::Kind::kNumber) {
        out.kind = DistNode::Kind::kNumber;
        out.number = s.number;
      } else {
        out.what = s.kind == YamlScalar::Kind::kNull ? "null" : "\"" + s.text + "\"";
      }
    }
    return out;
  }

  const FactSchema& schema_;
  std::string label_;
  int line_offset_;
  std::string id_;
  size_t visited_ = 0;
  std::vector<CaseProblem> fact_problems_;  // of the case being built
};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

CaseInput refused(const std::string& label, int line, int column, InputErrorKind kind, std::string message) {
  CaseInput bad;
  bad.label = label;
  bad.line = line;
  bad.column = column;
  bad.kind = kind;
  bad.id = default_case_id(static_cast<uint64_t>(std::max(line, 1)));
  bad.message = std::move(message);
  return bad;
}

// The first line (0-based, within `piece`) that is not valid UTF-8, or -1.
int invalid_utf8_line(std::string_view piece) {
  if (simdjson::validate_utf8(piece.data(), piece.size())) return -1;
  int line = 0;
  size_t pos = 0;
  while (pos <= piece.size()) {
    size_t nl = piece.find('\n', pos);
    size_t end = nl == std::string_view::npos ? piece.size() : nl;
    if (!simdjson::validate_utf8(piece.data() + pos, end - pos)) return line;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
    ++line;
  }
  return 0;
}

void read_yaml_piece(std::string_view piece, const std::string& label, const FactSchema& schema, int first_line,
                     const InputLimits& limits, std::vector<CaseInput>* out) {
  if (int bad = invalid_utf8_line(piece); bad >= 0) {
    out->push_back(refused(label, first_line + bad, 0, InputErrorKind::kParse, "invalid UTF-8 (cases are UTF-8 text)"));
    return;
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(piece));
  } catch (const YAML::ParserException& e) {
    out->push_back(refused(label, e.mark.is_null() ? first_line : e.mark.line + first_line,
                           e.mark.is_null() ? 0 : e.mark.column + 1, InputErrorKind::kParse,
                           yaml_parse_message(e, "invalid YAML")));
    return;
  }
  int l = 0, col = 0;
  if (std::string too_big = check_yaml_limits(doc, limits, &l, &col); !too_big.empty()) {
    out->push_back(refused(label, l ? l + first_line - 1 : first_line, col, InputErrorKind::kLimit, too_big));
    return;
  }
  if (doc.IsNull()) return;  // an empty document, e.g. after a trailing `---`
  CaseBuilder builder(schema, label, first_line - 1);
  if (doc.IsSequence()) {
    for (const YAML::Node& item : doc) out->push_back(builder.build(item));
  } else {
    out->push_back(builder.build(doc));
  }
}

}  // namespace

void read_yaml_document(std::string_view piece, const std::string& label, const FactSchema& schema, int first_line,
                        const InputLimits& limits, std::vector<CaseInput>* out) {
  const size_t from = out->size();
  read_yaml_piece(piece, label, schema, first_line, limits, out);
  format_errors(out, from);
}

namespace {

void read_yaml(std::string_view text, const std::string& label, const FactSchema& schema, int first_line,
               const InputLimits& limits, std::vector<CaseInput>* out) {
  // Each document on its own: a bad one is an error in its place and the others are read.
  for (const YamlPiece& piece : split_yaml_documents(text))
    read_yaml_document(piece.text, label, schema, first_line + piece.line, limits, out);
}

}  // namespace

CaseFormat case_format_for(const std::string& label, std::string_view text) {
  if (ends_with(label, ".jsonl") || ends_with(label, ".ndjson")) return CaseFormat::kJsonLines;
  if (ends_with(label, ".json")) return CaseFormat::kJson;
  if (ends_with(label, ".yaml") || ends_with(label, ".yml")) return CaseFormat::kYaml;
  // Standard input, a request, any other name: JSON when it starts like JSON
  // (a YAML case written as a flow map, `{id: x, ...}`, is refused as JSON:
  // give such a file a .yaml name).
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || (text[first] != '{' && text[first] != '[')) return CaseFormat::kYaml;
  if (text[first] == '[') return CaseFormat::kJson;
  // One object, perhaps over several lines, or JSON Lines: lines after the
  // first line's object that start another object make it JSON Lines.
  size_t nl = text.find('\n', first);
  while (nl != std::string_view::npos) {
    size_t next = text.find_first_not_of(" \t\r\n", nl);
    if (next == std::string_view::npos) break;
    // The first line ends with '}' and the next starts with '{': lines of objects.
    size_t last = text.find_last_not_of(" \t\r", nl == 0 ? 0 : nl - 1);
    if (last != std::string_view::npos && last >= first && text[last] == '}' && text[next] == '{')
      return CaseFormat::kJsonLines;
    break;
  }
  return CaseFormat::kJson;
}

std::vector<CaseInput> read_cases(std::string_view text, const std::string& label, const FactSchema& schema,
                                  int first_line, CaseFormat format, const InputLimits& limits) {
  text = skip_bom(text);
  if (format == CaseFormat::kAuto) format = case_format_for(label, text);
  std::vector<CaseInput> out;
  switch (format) {
    case CaseFormat::kJsonLines: read_json_lines(text, label, schema, first_line, &out); break;
    case CaseFormat::kJson: read_json_text(text, label, schema, first_line, &out); break;
    case CaseFormat::kYaml:
    case CaseFormat::kAuto: read_yaml(text, label, schema, first_line, limits, &out); break;
  }
  if (out.empty()) {
    out.push_back(refused(label, 0, 0, InputErrorKind::kParse, "no case in the input (it is empty)"));
    format_errors(&out);
  }
  return out;
}

std::vector<CaseInput> read_case_file(const std::string& path, const FactSchema& schema, const InputLimits& limits) {
  const std::string label = path == "-" ? std::string("<stdin>") : path;
  auto refuse = [&](InputErrorKind kind, const std::string& why) {
    std::vector<CaseInput> out;
    out.push_back(refused(label, 0, 0, kind, why));
    format_errors(&out);
    return out;
  };
  std::string text;
  if (path == "-") {
    if (std::string why = read_bounded(std::cin, limits, &text); !why.empty())
      return refuse(InputErrorKind::kLimit, why);
    return read_cases(text, label, schema, 1, CaseFormat::kAuto, limits);
  }
  if (std::string big = check_file_size(path, limits); !big.empty()) return refuse(InputErrorKind::kLimit, big);
  std::ifstream in(path, std::ios::binary);
  if (std::string no = why_unreadable(path); !no.empty() || !in)
    return refuse(InputErrorKind::kParse, "cannot read the case file" + (no.empty() ? std::string() : ": " + no));
  if (std::string why = read_bounded(in, limits, &text); !why.empty()) return refuse(InputErrorKind::kLimit, why);
  return read_cases(text, label, schema, 1, CaseFormat::kAuto, limits);
}

}  // namespace insource
