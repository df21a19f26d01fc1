// Running AHP on a judgement file and reporting the result (text, JSON).
#include <nlohmann/json.hpp>

#include <cstdio>

#include "analysis/ahp.h"
#include "io/json_text.h"
#include "plugin_host/sha256.h"

namespace insource {

AhpResult run_ahp(const std::string& text, const std::string& label, const InputLimits& limits) {
  AhpResult r;
  r.sha256 = sha256_hex(text);
  r.judgements = read_ahp_judgements(text, label, limits);
  r.matrix = ahp_aggregate(r.judgements.matrices);
  r.eigen = ahp_solve(r.matrix);
  r.random_index = ahp_random_index(r.matrix.n);
  r.consistent = r.eigen.cr <= kAhpMaxConsistencyRatio;
  if (!r.consistent) {
    r.suggestions = ahp_suggestions(r.matrix, 3);
    if (r.suggestions.empty() || r.suggestions[0].cr_after > kAhpMaxConsistencyRatio) r.repair = ahp_repair(r.matrix);
  }
  return r;
}

namespace {
std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
}  // namespace

std::string ahp_text(const AhpResult& r) {
  const auto& names = r.judgements.criteria;
  std::string t = "AHP weights from " + r.judgements.file;
  size_t judges = r.judgements.judges.size();
  t += judges > 1 ? " (" + std::to_string(judges) + " judges, geometric mean)\n" : "\n";
  size_t width = 9;
  for (const auto& n : names) width = std::max(width, n.size());
  for (size_t i = 0; i < names.size(); ++i)
    t += "  " + names[i] + std::string(width - names[i].size() + 2, ' ') + fmt("%.4f", r.eigen.weights[i]) + "\n";
  t += "lambda max " + fmt("%.4f", r.eigen.lambda_max) + ", CI " + fmt("%.4f", r.eigen.ci) + ", RI " +
       fmt("%.2f", r.random_index) + " (n = " + std::to_string(names.size()) + "), CR " + fmt("%.4f", r.eigen.cr);
  if (r.consistent) {
    t += ": consistent (CR <= 0.10)\n";
    return t;
  }
  t += ": INCONSISTENT (CR > 0.10)\n";
  t += "the judgements that add most to the inconsistency, each with the value that lowers CR most (the others kept):\n";
  for (const AhpSuggestion& s : r.suggestions) {
    t += "  " + names[static_cast<size_t>(s.i)] + " over " + names[static_cast<size_t>(s.j)] + ": " +
         ahp_value_text(s.current) + " -> " + ahp_value_text(s.suggested) + " gives CR " + fmt("%.4f", s.cr_after) +
         (s.cr_after <= kAhpMaxConsistencyRatio ? "" : " (still above 0.10)") + "\n";
  }
  if (!r.repair.empty()) {
    t += "no single change is enough; changed together (each step the best given the ones before):\n";
    for (const AhpSuggestion& s : r.repair)
      t += "  " + names[static_cast<size_t>(s.i)] + " over " + names[static_cast<size_t>(s.j)] + ": " +
           ahp_value_text(s.current) + " -> " + ahp_value_text(s.suggested) + ", CR then " + fmt("%.4f", s.cr_after) + "\n";
  }
  return t;
}

std::string ahp_json(const AhpResult& r) {
  nlohmann::ordered_json j;
  j["file"] = r.judgements.file;
  j["sha256"] = r.sha256;
  j["judges"] = r.judgements.judges.size();
  nlohmann::ordered_json w = nlohmann::ordered_json::object();
  for (size_t i = 0; i < r.judgements.criteria.size(); ++i) w[r.judgements.criteria[i]] = r.eigen.weights[i];
  j["weights"] = w;
  j["lambda_max"] = r.eigen.lambda_max;
  j["ci"] = r.eigen.ci;
  j["ri"] = r.random_index;
  j["cr"] = r.eigen.cr;
  j["consistent"] = r.consistent;
  auto changes = [&](const std::vector<AhpSuggestion>& list) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const AhpSuggestion& s : list) {
      out.push_back({{"criterion", r.judgements.criteria[static_cast<size_t>(s.i)]},
                     {"over", r.judgements.criteria[static_cast<size_t>(s.j)]},
                     {"current", s.current},
                     {"suggested", s.suggested},
                     {"suggested_text", ahp_value_text(s.suggested)},
                     {"cr_after", s.cr_after}});
    }
    return out;
  };
  j["suggestions"] = changes(r.suggestions);
  j["repair"] = changes(r.repair);
  return json_text(j, 2) + "\n";
}

}  // namespace insource
