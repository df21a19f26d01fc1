// Reading past cases for calibration: a YAML or JSON list of cases (or one), each
// with the verdict that was taken (`decided:`). The `decided` key is taken
// off here and the rest is handed to the ordinary case reader, so facts are
// checked exactly as `decide` checks them.
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "analysis/calibrate.h"
#include "io/case_reader.h"
#include "policy/input_limits.h"
#include "policy/yaml_scalar.h"

namespace insource {
namespace {

// The node at a dotted fact name under `facts` (`cost.hours` as cost: {hours:
// ...} or as a key "cost.hours"), or an invalid node.
YAML::Node fact_node(const YAML::Node& map, const std::vector<std::string>& parts, size_t from) {
  if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  std::string key;
  for (size_t to = from; to < parts.size(); ++to) {
    key += (to == from ? "" : ".") + parts[to];
    for (const auto& kv : map) {
      if (!kv.first.IsScalar() || kv.first.Scalar() != key) continue;
      if (to + 1 == parts.size()) return kv.second;
      if (YAML::Node deeper = fact_node(kv.second, parts, to + 1); deeper.IsDefined()) return deeper;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// The case reader reads a copy of the case without `decided`, so its
// positions are the copy's. Its message names the fact at fault: the
// position is that fact's in the file, else the case's.
SourcePos fact_pos(const YAML::Node& item, const std::string& message, const std::string& label, SourcePos fallback) {
  const YAML::Node facts = item["facts"];
  if (!facts || !facts.IsMap()) return fallback;
  std::string word;
  auto try_word = [&]() -> std::optional<SourcePos> {
    while (!word.empty() && std::string("'\"`,:;.").find(word.back()) != std::string::npos) word.pop_back();
    while (!word.empty() && std::string("'\"`").find(word.front()) != std::string::npos) word.erase(0, 1);
    if (word.empty()) return std::nullopt;
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t dot; (dot = word.find('.', start)) != std::string::npos; start = dot + 1) parts.push_back(word.substr(start, dot - start));
    parts.push_back(word.substr(start));
    if (YAML::Node n = fact_node(facts, parts, 0); n.IsDefined()) return pos_of(n, label);
    return std::nullopt;
  };
  for (char ch : message + " ") {
    if (ch == ' ' || ch == '\n') {
      if (auto p = try_word()) return *p;
      word.clear();
    } else {
      word += ch;
    }
  }
  return fallback;
}

// Writes a node for the case reader as it was written: a quoted scalar
// ("500") stays quoted, a string, as `decide` reads it; yaml-cpp's emitter
// alone would write it plain, a number.
void emit(const YAML::Node& n, YAML::Emitter* e) {
  if (n.IsMap()) {
    *e << YAML::BeginMap;
    for (const auto& kv : n) {
      *e << YAML::Key;
      emit(kv.first, e);
      *e << YAML::Value;
      emit(kv.second, e);
    }
    *e << YAML::EndMap;
  } else if (n.IsSequence()) {
    *e << YAML::BeginSeq;
    for (const auto& item : n) emit(item, e);
    *e << YAML::EndSeq;
  } else if (n.IsScalar()) {
    if (n.Tag() == "!") *e << YAML::DoubleQuoted;
    *e << n.Scalar();
  } else {
    *e << YAML::Null;
  }
}

}  // namespace

std::vector<PastCase> read_past_cases(const std::string& text, const std::string& label, const FactSchema& schema,
                                      const InputLimits& limits) {
  std::vector<Diagnostic> diags;
  auto error = [&](SourcePos p, std::string msg) {
    diags.push_back(Diagnostic{Diagnostic::Severity::kError, std::move(p), std::move(msg)});
  };
  std::vector<YAML::Node> docs;
  try {
    // One document (a list of cases, or one case). Not YAML::LoadAll: it
    // loops forever on some malformed streams (see io/case_reader.cc).
    docs.push_back(YAML::Load(text));
  } catch (const YAML::ParserException& e) {
    SourcePos p{label, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
    throw RulesError({Diagnostic{Diagnostic::Severity::kError, p, yaml_parse_message(e)}});
  } catch (const YAML::Exception& e) {
    throw RulesError({Diagnostic{Diagnostic::Severity::kError, SourcePos{label}, std::string("invalid YAML: ") + e.what()}});
  }
  std::vector<YAML::Node> items;
  for (const YAML::Node& d : docs) {
    int line = 0, column = 0;
    if (std::string too_big = check_yaml_limits(d, limits, &line, &column); !too_big.empty())
      throw RulesError({Diagnostic{Diagnostic::Severity::kError, SourcePos{label, line, column}, too_big}});
    if (d.IsSequence()) {
      for (const auto& item : d) items.push_back(item);
    } else if (!d.IsNull()) {
      items.push_back(d);
    }
  }
  std::vector<PastCase> out;
  int number = 0;
  for (const YAML::Node& item : items) {
    ++number;
    SourcePos at = pos_of(item, label);
    std::string name = "case " + std::to_string(number);
    if (!item.IsMap()) {
      error(at, name + ": a past case is a map (id, facts, decided), not " + describe_node(item));
      continue;
    }
    if (auto id = item["id"]; id && id.IsScalar()) name = "case " + id.Scalar();
    YAML::Node decided = item["decided"];
    if (!decided) {
      error(at, name + ": no `decided`: give the verdict that was taken (insource, outsource, hybrid, ...)");
      continue;
    }
    std::optional<Verdict> v = decided.IsScalar() ? parse_verdict(decided.Scalar()) : std::nullopt;
    if (!v) {
      error(pos_of(decided, label), name + ": `decided: " + (decided.IsScalar() ? decided.Scalar() : describe_node(decided)) +
                                        "` is not a verdict (insource, outsource, hybrid, outsource-then-insource, "
                                        "insource-then-outsource, review)");
      continue;
    }
    YAML::Node copy;
    for (const auto& kv : item)
      if (kv.first.Scalar() != "decided") copy[kv.first] = kv.second;
    YAML::Emitter e;
    emit(copy, &e);
    std::vector<CaseInput> read = read_cases(e.c_str(), label, schema, at.line, CaseFormat::kYaml, limits);
    if (read.size() != 1 || !read[0].value) {
      error(read.empty() ? at : fact_pos(item, read[0].message, label, at),
            name + ": " + (read.empty() ? std::string("no case") : read[0].message));
      continue;
    }
    PastCase pc;
    pc.c = std::move(*read[0].value);
    if (pc.c.id.empty() || !item["id"]) pc.c.id = label + "#" + std::to_string(number);
    pc.decided = *v;
    pc.pos = at;
    out.push_back(std::move(pc));
  }
  if (!diags.empty()) throw RulesError(diags);
  if (out.empty()) throw RulesError({Diagnostic{Diagnostic::Severity::kError, SourcePos{label}, "no past cases"}});
  return out;
}

}  // namespace insource
