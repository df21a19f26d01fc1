#include "tools/decl_json.h"

#include <cmath>

namespace insource {

using nlohmann::ordered_json;

ordered_json fact_decl_json(const FactDecl& f) {
  ordered_json j;
  j["name"] = f.name;
  j["type"] = type_name(f.type);
  j["required"] = f.required;
  if (f.has_fallback) {
    switch (f.type) {
      case Type::kNumber: j["default"] = f.fallback_number; break;
      case Type::kBool: j["default"] = f.fallback_bool; break;
      case Type::kString: j["default"] = f.fallback_string; break;
      case Type::kAbsent: break;
    }
  }
  if (!f.allowed.empty()) j["allowed"] = f.allowed;
  if (f.min != -HUGE_VAL) j[f.min_exclusive ? "greater_than" : "min"] = f.min;
  if (f.max != HUGE_VAL) j["max"] = f.max;
  if (!f.unit.empty()) j["unit"] = f.unit;
  if (!f.description.empty()) j["description"] = f.description;
  return j;
}

ordered_json param_decl_json(const ParamDecl& d) {
  ordered_json j;
  j["name"] = d.name;
  j["type"] = type_name(d.type);
  const ParamValue v = ParamValue::fallback_of(d);
  switch (v.type) {
    case Type::kNumber: j["default"] = v.number; break;
    case Type::kBool: j["default"] = v.boolean; break;
    case Type::kString: j["default"] = v.string; break;
    case Type::kAbsent: j["default"] = nullptr; break;
  }
  if (!d.description.empty()) j["description"] = d.description;
  return j;
}

ordered_json plugin_json(const LoadedPlugin& p) {
  ordered_json j;
  j["criterion"] = p.criterion();
  j["name"] = p.name();
  j["version"] = p.version();
  j["abi"] = std::to_string(p.abi_major()) + "." + std::to_string(p.abi_minor());
  j["file"] = p.path().string();
  j["sha256"] = p.sha256();
  j["isolated"] = p.isolated();
  j["description"] = p.description();
  j["score_range"] = {p.score_min(), p.score_max()};
  ordered_json facts = ordered_json::array();
  for (const FactDecl& f : p.facts()) facts.push_back(fact_decl_json(f));
  j["facts"] = std::move(facts);
  ordered_json params = ordered_json::array();
  for (const ParamDecl& d : p.params()) params.push_back(param_decl_json(d));
  j["params"] = std::move(params);
  return j;
}

ordered_json condition_name_json(const ConditionName& n) {
  ordered_json j;
  j["name"] = n.decl.name;
  j["kind"] = condition_name_kind(n.kind);
  j["declared_by"] = n.declared_by;
  const ordered_json decl = fact_decl_json(n.decl);  // a local: items() only refers to it
  for (const auto& [k, v] : decl.items())
    if (k != "name") j[k] = v;
  return j;
}

}  // namespace insource
