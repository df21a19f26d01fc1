#include "io/case_reader.h"

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>

#include "policy/input_limits.h"
#include "policy/yaml_scalar.h"

namespace insource {

namespace {

// Thrown inside the reader for one case; caught per case so the others still count.
struct CaseProblem {
  SourcePos pos;
  std::string message;
};

class CaseBuilder {
 public:
  // line_offset: lines before the text (a JSON Lines record is parsed on its own).
  CaseBuilder(const FactSchema& schema, std::string label, int line_offset = 0)
      : schema_(schema), label_(std::move(label)), line_offset_(line_offset) {}

  CaseInput build(const YAML::Node& node, const std::string& fallback_id) {
    CaseInput in;
    in.id = fallback_id;
    try {
      if (!node.IsMap()) fail(node, "a case must be a map with `id` and `facts`, not " + describe_node(node));
      Case c;
      c.facts.assign(schema_.size(), make_absent());
      c.source = label_;
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
      in.value = std::move(c);
    } catch (const CaseProblem& p) {
      in.error = p.pos.str() + ": case " + (id_.empty() ? in.id : id_) + ": " + p.message;
    }
    id_.clear();
    return in;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& n, std::string msg) {
    SourcePos p = pos_of(n, label_);
    if (p.line > 0) p.line += line_offset_;
    throw CaseProblem{p, std::move(msg)};
  }

  void flatten(const YAML::Node& map, const std::string& prefix, int depth, Case* c) {
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
      if (v.IsMap()) {
        flatten(v, name + ".", depth + 1, c);
      } else {
        set_fact(it->first, name, v, c);
      }
    }
  }

  void set_fact(const YAML::Node& key, const std::string& name, const YAML::Node& v, Case* c) {
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

  const FactSchema& schema_;
  std::string label_;
  int line_offset_;
  std::string id_;
  size_t visited_ = 0;
};

std::string stem_of(const std::string& label) {
  std::string stem = std::filesystem::path(label).stem().string();
  return stem.empty() ? "case" : stem;
}

}  // namespace

namespace {

// JSON Lines: each non-empty line is one case; an error names its line.
std::vector<CaseInput> read_json_lines(const std::string& text, const std::string& label, const FactSchema& schema,
                                       const InputLimits& limits) {
  std::vector<CaseInput> out;
  size_t line_no = 0, start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::string where = label + ":" + std::to_string(line_no);
    std::string fallback = "line " + std::to_string(line_no);
    if (!simdjson::validate_utf8(line.data(), line.size())) {
      CaseInput bad;
      bad.id = fallback;
      bad.error = where + ": invalid UTF-8 (JSON is UTF-8 text)";
      out.push_back(std::move(bad));
      continue;
    }
    try {
      YAML::Node doc = YAML::Load(line);
      int l = 0, col = 0;
      if (std::string too_big = check_yaml_limits(doc, limits, &l, &col); !too_big.empty()) {
        CaseInput bad;
        bad.id = fallback;
        bad.error = where + ":" + std::to_string(col) + ": " + too_big;
        out.push_back(std::move(bad));
        continue;
      }
      CaseBuilder line_builder(schema, label, static_cast<int>(line_no) - 1);
      out.push_back(line_builder.build(doc, fallback));
    } catch (const YAML::Exception& e) {
      CaseInput bad;
      bad.id = fallback;
      bad.error = where + ": invalid JSON: " + e.msg;
      out.push_back(std::move(bad));
    }
  }
  return out;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

namespace {

// One document of a YAML stream and the line (0-based) it starts on.
struct YamlPiece {
  std::string_view text;
  int line = 0;
};

// Whether the line at `at` is the marker `ccc` (`---` or `...`) at column 0,
// followed by the end, a space or a line break (YAML 1.2).
bool marker_at(std::string_view text, size_t at, char c) {
  if (text.size() - at < 3 || text[at] != c || text[at + 1] != c || text[at + 2] != c) return false;
  return at + 3 == text.size() || text[at + 3] == '\n' || text[at + 3] == '\r' || text[at + 3] == ' ' ||
         text[at + 3] == '\t';
}

// Whether a piece holds anything but blank lines, comments and directives.
bool has_content(std::string_view piece) {
  size_t pos = 0;
  while (pos < piece.size()) {
    size_t nl = piece.find('\n', pos);
    std::string_view line = piece.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#' && line[0] != '%') return true;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return false;
}

// A YAML stream cut into its documents at the `---` and `...` markers, each
// loaded on its own with YAML::Load. Not YAML::LoadAll: yaml-cpp 0.7's loops
// forever, allocating, on some malformed streams (a lone "," does it;
// jbeder/yaml-cpp#1040, found by case_reader_fuzz). A piece with nothing but
// comments or directives before a `---` stays with the document it heads.
std::vector<YamlPiece> split_yaml_documents(std::string_view text) {
  std::vector<YamlPiece> out;
  size_t start = 0, pos = 0;
  int start_line = 0, line = 0;
  while (pos < text.size()) {
    if (marker_at(text, pos, '-') && pos > start && has_content(text.substr(start, pos - start))) {
      out.push_back({text.substr(start, pos - start), start_line});
      start = pos;
      start_line = line;
    }
    size_t nl = text.find('\n', pos);
    size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    if (marker_at(text, pos, '.')) {
      out.push_back({text.substr(start, next - start), start_line});
      start = next;
      start_line = line + 1;
    }
    pos = next;
    ++line;
  }
  if (start < text.size()) out.push_back({text.substr(start), start_line});
  return out;
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

}  // namespace

std::vector<CaseInput> read_cases(const std::string& text, const std::string& label, const FactSchema& schema,
                                  int first_line, const InputLimits& limits) {
  if (ends_with(label, ".jsonl") || ends_with(label, ".ndjson")) return read_json_lines(text, label, schema, limits);
  std::vector<CaseInput> out;
  const std::string stem = stem_of(label);
  auto next_id = [&]() { return out.empty() ? stem : stem + "#" + std::to_string(out.size() + 1); };
  auto refuse = [&](SourcePos p, const std::string& why) {
    CaseInput bad;
    bad.id = next_id();
    bad.error = p.str() + ": " + why;
    out.push_back(std::move(bad));
  };
  // Each document on its own: a bad one is an error record in its place and the others are read.
  for (const YamlPiece& piece : split_yaml_documents(text)) {
    const int base = first_line + piece.line;  // 1-based line of the piece's first line
    if (int bad = invalid_utf8_line(piece.text); bad >= 0) {
      refuse(SourcePos{label, base + bad, 0}, "invalid UTF-8 (cases are UTF-8 text)");
      continue;
    }
    YAML::Node doc;
    try {
      doc = YAML::Load(std::string(piece.text));
    } catch (const YAML::ParserException& e) {
      refuse(SourcePos{label, e.mark.is_null() ? 0 : e.mark.line + base, e.mark.is_null() ? 0 : e.mark.column + 1},
             "invalid YAML/JSON: " + e.msg);
      continue;
    }
    int l = 0, col = 0;
    if (std::string too_big = check_yaml_limits(doc, limits, &l, &col); !too_big.empty()) {
      refuse(SourcePos{label, l ? l + base - 1 : 0, col}, too_big);
      continue;
    }
    if (doc.IsNull()) continue;  // an empty document, e.g. after a trailing `---`
    CaseBuilder builder(schema, label, base - 1);
    if (doc.IsSequence()) {
      for (const YAML::Node& item : doc) out.push_back(builder.build(item, next_id()));
    } else {
      out.push_back(builder.build(doc, next_id()));
    }
  }
  if (out.empty()) {
    CaseInput empty;
    empty.id = stem;
    empty.error = label + ": no case in the input (it is empty)";
    out.push_back(std::move(empty));
  }
  return out;
}

std::vector<CaseInput> read_case_file(const std::string& path, const FactSchema& schema, const InputLimits& limits) {
  std::string text;
  auto refused = [&](const std::string& why) {
    CaseInput bad;
    bad.id = stem_of(path);
    bad.error = (path == "-" ? std::string("<stdin>") : path) + ": " + why;
    std::vector<CaseInput> out;
    out.push_back(std::move(bad));
    return out;
  };
  if (path == "-") {
    if (std::string why = read_bounded(std::cin, limits, &text); !why.empty()) return refused(why);
    return read_cases(text, "<stdin>", schema, 1, limits);
  }
  if (std::string big = check_file_size(path, limits); !big.empty()) {
    CaseInput bad;
    bad.id = stem_of(path);
    bad.error = path + ": " + big;
    std::vector<CaseInput> out;
    out.push_back(std::move(bad));
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    CaseInput bad;
    bad.id = stem_of(path);
    bad.error = path + ": cannot read the case file";
    std::vector<CaseInput> out;
    out.push_back(std::move(bad));
    return out;
  }
  if (std::string why = read_bounded(in, limits, &text); !why.empty()) return refused(why);
  return read_cases(text, path, schema, 1, limits);
}

}  // namespace insource
