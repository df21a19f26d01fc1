#include "tools/what_if.h"

#include <algorithm>
#include <cmath>

namespace insource {
namespace {

using nlohmann::json;

double finite_number(const json& v, const std::string& what) {
  if (!v.is_number()) throw WhatIfError(what + " must be a number, not " + v.dump());
  const double d = v.get<double>();
  if (!std::isfinite(d)) throw WhatIfError(what + " must be a finite number");
  return d;
}

// A YAML scalar for a parameter value: numbers in their shortest exact form,
// strings quoted as JSON (which YAML reads the same way).
std::string yaml_scalar(const json& v) { return v.dump(); }

RuleParam rule_param(const WhatIf::Param& p) {
  RuleParam r;
  r.name = p.name;
  r.text = p.value.is_string() ? p.value.get<std::string>() : p.value.dump();
  if (p.value.is_boolean()) r.kind = RuleParam::Kind::kBool, r.boolean = p.value.get<bool>();
  else if (p.value.is_number()) r.kind = RuleParam::Kind::kNumber, r.number = p.value.get<double>();
  else if (p.value.is_string()) r.kind = RuleParam::Kind::kString;
  else r.kind = RuleParam::Kind::kOther;
  return r;
}

}  // namespace

WhatIf parse_what_if(const json& j) {
  if (!j.is_object()) throw WhatIfError("what_if must be a JSON object with weights, params and thresholds");
  WhatIf w;
  for (const auto& [key, v] : j.items()) {
    if (key == "weights") {
      if (!v.is_object()) throw WhatIfError("what_if.weights must be an object of criterion to weight");
      for (const auto& [c, x] : v.items()) {
        const double d = finite_number(x, "what_if.weights." + c);
        if (d < 0) throw WhatIfError("what_if.weights." + c + " must not be negative");
        w.weights.push_back({c, d});
      }
    } else if (key == "params") {
      if (!v.is_object()) throw WhatIfError("what_if.params must be an object of criterion to {param: value}");
      for (const auto& [c, ps] : v.items()) {
        if (!ps.is_object()) throw WhatIfError("what_if.params." + c + " must be an object of parameter to value");
        for (const auto& [name, x] : ps.items()) {
          if (!(x.is_number() || x.is_boolean() || x.is_string()))
            throw WhatIfError("what_if.params." + c + "." + name + " must be a number, a boolean or a string");
          if (x.is_number()) finite_number(x, "what_if.params." + c + "." + name);
          w.params.push_back({c, name, x});
        }
      }
    } else if (key == "thresholds") {
      if (!v.is_object()) throw WhatIfError("what_if.thresholds must be an object {insource, outsource}");
      for (const auto& [t, x] : v.items()) {
        if (t == "insource") w.insource = finite_number(x, "what_if.thresholds.insource");
        else if (t == "outsource") w.outsource = finite_number(x, "what_if.thresholds.outsource");
        else throw WhatIfError("unknown key what_if.thresholds." + t + " (insource or outsource)");
      }
    } else {
      throw WhatIfError("unknown key what_if." + key + " (weights, params or thresholds)");
    }
  }
  return w;
}

WhatIf parse_what_if_text(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw WhatIfError("what_if is not valid JSON");
  return parse_what_if(j);
}

std::shared_ptr<const Policy> apply_what_if(const Policy& base, const WhatIf& w) {
  RulesDoc doc = base.rules();
  auto find = [&](const std::string& name) {
    return std::find_if(doc.criteria.begin(), doc.criteria.end(), [&](const RuleCriterion& c) { return c.name == name; });
  };
  auto has_plugin = [&](const std::string& name) {
    for (const auto& p : base.plugins().plugins)
      if (p->criterion() == name) return true;
    return false;
  };
  for (const WhatIf::Weight& x : w.weights) {
    auto it = find(x.criterion);
    if (it == doc.criteria.end() && !has_plugin(x.criterion))
      throw WhatIfError("what_if.weights: no criterion or plugin named '" + x.criterion + "'");
    if (x.weight == 0.0) {
      if (it != doc.criteria.end()) doc.criteria.erase(it);
      continue;
    }
    if (it == doc.criteria.end()) {
      RuleCriterion c;
      c.name = x.criterion;
      c.pos = doc.thresholds_pos;
      doc.criteria.push_back(std::move(c));
      it = doc.criteria.end() - 1;
    }
    it->weight = x.weight;
  }
  for (const WhatIf::Param& p : w.params) {
    auto it = find(p.criterion);
    if (it == doc.criteria.end())
      throw WhatIfError("what_if.params: criterion '" + p.criterion + "' does not vote under this policy");
    RuleParam r = rule_param(p);
    r.pos = r.key_pos = it->pos;
    auto same = std::find_if(it->params.begin(), it->params.end(), [&](const RuleParam& q) { return q.name == p.name; });
    if (same == it->params.end()) it->params.push_back(std::move(r));
    else *same = std::move(r);
  }
  if (w.insource) doc.thresholds.insource = *w.insource;
  if (w.outsource) doc.thresholds.outsource = *w.outsource;
  if (doc.criteria.empty()) throw WhatIfError("what_if: no criterion votes once every weight is 0");
  if (!(doc.thresholds.insource > doc.thresholds.outsource))
    throw WhatIfError("what_if: the outsource threshold must be below the insource threshold");
  return Policy::compile(std::move(doc), base.plugins());
}

std::string what_if_rules_text(const WhatIf& w, const std::string& extends_path, const std::string& revision) {
  std::string out;
  out += "# What-if weights and parameters from the insource explorer, over the policy of\n";
  out += "# revision " + revision + ".\n";
  out += "insource: 1\n";
  out += "extends: " + json(extends_path).dump() + "\n";
  // One entry per criterion named, in the order first named.
  std::vector<std::string> order;
  auto note = [&](const std::string& c) {
    if (std::find(order.begin(), order.end(), c) == order.end()) order.push_back(c);
  };
  for (const auto& x : w.weights) note(x.criterion);
  for (const auto& p : w.params) note(p.criterion);
  if (!order.empty()) out += "criteria:\n";
  for (const std::string& c : order) {
    std::string fields;
    for (const auto& x : w.weights)
      if (x.criterion == c) fields = "weight: " + json(x.weight).dump();
    std::string params;
    for (const auto& p : w.params)
      if (p.criterion == c) params += (params.empty() ? "" : ", ") + p.name + ": " + yaml_scalar(p.value);
    if (!params.empty()) fields += (fields.empty() ? "" : ", ") + std::string("params: {") + params + "}";
    out += "  " + c + ": {" + fields + "}\n";
  }
  if (w.insource || w.outsource) {
    out += "thresholds: {";
    if (w.insource) out += "insource: " + json(*w.insource).dump();
    if (w.outsource) out += std::string(w.insource ? ", " : "") + "outsource: " + json(*w.outsource).dump();
    out += "}\n";
  }
  return out;
}

}  // namespace insource
