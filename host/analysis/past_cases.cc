// Reading past cases for calibration: a YAML or JSON list of cases (or one), each
// with the verdict that was taken (`decided:`). The `decided` key is taken
// off here and the rest is handed to the ordinary case reader, so facts are
// checked exactly as `decide` checks them.
#include <yaml-cpp/yaml.h>

#include "analysis/calibrate.h"
#include "io/case_reader.h"
#include "policy/input_limits.h"
#include "policy/yaml_scalar.h"

namespace insource {

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
    throw RulesError({Diagnostic{Diagnostic::Severity::kError, p, "invalid YAML: " + e.msg}});
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
    e << copy;
    std::vector<CaseInput> read = read_cases(e.c_str(), label, schema, at.line, CaseFormat::kYaml, limits);
    if (read.size() != 1 || !read[0].value) {
      error(at, name + ": " + (read.empty() ? std::string("no case") : read[0].error));
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
