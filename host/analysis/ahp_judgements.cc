// Reading AHP judgement files (the format is described in ahp.h and in
// docs/policy-authors.md).
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <map>

#include "analysis/ahp.h"
#include "core/fact_schema.h"
#include "policy/input_limits.h"
#include "policy/yaml_scalar.h"

namespace insource {
namespace {

class Reader {
 public:
  Reader(const std::string& label, std::vector<Diagnostic>* diags) : file_(label), diags_(diags) {}

  void error(const YAML::Node& n, std::string msg) {
    diags_->push_back(Diagnostic{Diagnostic::Severity::kError, pos_of(n, file_), std::move(msg)});
  }

  // A judgement on Saaty's scale: 1..9, 1/2..1/9 (as "1/3" or 0.5).
  bool value(const YAML::Node& n, double* out) {
    if (!n.IsScalar()) {
      error(n, "a judgement must be a number on Saaty's scale (1 to 9, or 1/2 to 1/9), not " + describe_node(n));
      return false;
    }
    YamlScalar s = read_scalar(n);
    double v = 0.0;
    if (s.kind == YamlScalar::Kind::kNumber) {
      v = s.number;
    } else if (s.kind == YamlScalar::Kind::kString) {
      // "1/3": a reciprocal written as a fraction.
      size_t slash = s.text.find('/');
      char* end = nullptr;
      if (slash != std::string::npos) {
        double num = std::strtod(s.text.c_str(), &end);
        double den = (end == s.text.c_str() + slash) ? std::strtod(s.text.c_str() + slash + 1, &end) : 0.0;
        if (*end == '\0' && den != 0.0) v = num / den;
      }
    }
    if (std::isfinite(v) && v > 0) {
      for (double k : ahp_scale()) {
        if (std::fabs(v - k) <= 1e-9 * k || std::fabs(1.0 / v - 1.0 / k) <= 1e-6 / k) {
          *out = k;
          return true;
        }
      }
    }
    error(n, "judgement '" + s.text + "' is not on Saaty's scale: 1 to 9 (how many times as important), or 1/2 to 1/9 for the reverse (write 1/3, not 0.33)");
    return false;
  }

  int index_of(const std::string& name, const YAML::Node& at, AhpJudgements* j, bool fixed) {
    for (size_t k = 0; k < j->criteria.size(); ++k)
      if (j->criteria[k] == name) return static_cast<int>(k);
    if (fixed) {
      std::vector<std::string_view> names(j->criteria.begin(), j->criteria.end());
      std::string near = closest_name(name, names);
      error(at, "criterion '" + name + "' is not listed under `criteria`" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
      return -1;
    }
    j->criteria.push_back(name);
    return static_cast<int>(j->criteria.size() - 1);
  }

  struct Given {
    double value;
    YAML::Node node;
  };

  // One judge's `a: {b: v}` map into pairs (i, j) -> value.
  void judge(const YAML::Node& m, AhpJudgements* j, bool fixed, std::map<std::pair<int, int>, Given>* pairs) {
    if (!m.IsMap()) {
      error(m, "judgements must be a map: criterion: {other criterion: how many times as important}, not " + describe_node(m));
      return;
    }
    for (const auto& row : m) {
      std::string a = row.first.as<std::string>();
      int i = index_of(a, row.first, j, fixed);
      if (!row.second.IsMap()) {
        error(row.second, "the judgements of '" + a + "' must be a map {other criterion: value}, not " + describe_node(row.second));
        continue;
      }
      for (const auto& cell : row.second) {
        std::string b = cell.first.as<std::string>();
        int k = index_of(b, cell.first, j, fixed);
        double v = 0.0;
        if (!value(cell.second, &v) || i < 0 || k < 0) continue;
        if (i == k) {
          error(cell.first, "'" + a + "' is compared with itself");
          continue;
        }
        // Keep pairs as (low index, high index) with the value of low over high.
        std::pair<int, int> key = i < k ? std::make_pair(i, k) : std::make_pair(k, i);
        double oriented = i < k ? v : 1.0 / v;
        auto [it, fresh] = pairs->emplace(key, Given{oriented, cell.second});
        if (!fresh && std::fabs(std::log(it->second.value / oriented)) > 1e-9) {
          SourcePos first = pos_of(it->second.node, file_);
          error(cell.second, "'" + a + "' over '" + b + "' is judged twice, differently (first at " + first.str() + ")");
        }
      }
    }
  }

  AhpMatrix matrix(const std::map<std::pair<int, int>, Given>& pairs, int n, const std::string& judge_name,
                   const YAML::Node& at, const AhpJudgements& j) {
    AhpMatrix m;
    m.n = n;
    m.a.assign(static_cast<size_t>(n * n), 1.0);
    std::string missing;
    for (int i = 0; i < n; ++i) {
      for (int k = i + 1; k < n; ++k) {
        auto it = pairs.find({i, k});
        if (it == pairs.end()) {
          missing += (missing.empty() ? "" : ", ") + j.criteria[static_cast<size_t>(i)] + " vs " + j.criteria[static_cast<size_t>(k)];
          continue;
        }
        m.at(i, k) = it->second.value;
        m.at(k, i) = 1.0 / it->second.value;
      }
    }
    if (!missing.empty()) error(at, (judge_name.empty() ? std::string("the judgements") : "judge '" + judge_name + "'") +
                                        " leave pairs unjudged: " + missing + " (every pair needs a judgement; 1 means equally important)");
    return m;
  }

 private:
  std::string file_;
  std::vector<Diagnostic>* diags_;
};

}  // namespace

AhpJudgements read_ahp_judgements(const std::string& text, const std::string& label, const InputLimits& limits) {
  std::vector<Diagnostic> diags;
  AhpJudgements j;
  j.file = label;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    SourcePos p{label, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
    throw RulesError({Diagnostic{Diagnostic::Severity::kError, p, yaml_parse_message(e)}});
  } catch (const YAML::Exception& e) {
    throw RulesError({Diagnostic{Diagnostic::Severity::kError, SourcePos{label}, std::string("invalid YAML: ") + e.what()}});
  }
  int line = 0, column = 0;
  if (std::string too_big = check_yaml_limits(root, limits, &line, &column); !too_big.empty())
    throw RulesError({Diagnostic{Diagnostic::Severity::kError, SourcePos{label, line, column}, too_big}});
  Reader r(label, &diags);
  if (!root.IsMap()) {
    r.error(root, "a judgement file is a map with `judgements` (one judge) or `judges` (several), not " + describe_node(root));
    throw RulesError(diags);
  }
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (key != "criteria" && key != "judgements" && key != "judges") {
      std::string near = closest_name(key, {"criteria", "judgements", "judges"});
      r.error(kv.first, "unknown key '" + key + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                            "; a judgement file has `criteria`, `judgements` or `judges`");
    }
  }
  bool fixed = false;
  if (auto c = root["criteria"]) {
    if (!c.IsSequence()) {
      r.error(c, "`criteria` must be a list of criterion names, not " + describe_node(c));
    } else {
      for (const auto& item : c) {
        std::string name = item.as<std::string>();
        for (const std::string& seen : j.criteria)
          if (seen == name) r.error(item, "criterion '" + name + "' is listed twice");
        j.criteria.push_back(name);
      }
      fixed = true;
    }
  }
  std::vector<std::map<std::pair<int, int>, Reader::Given>> per_judge;
  std::vector<YAML::Node> judge_nodes;
  YAML::Node one = root["judgements"], many = root["judges"];
  if (one && many) r.error(many, "give either `judgements` (one judge) or `judges` (several), not both");
  if (one) {
    j.judges.push_back("");
    per_judge.emplace_back();
    judge_nodes.push_back(one);
    r.judge(one, &j, fixed, &per_judge.back());
  } else if (many) {
    if (!many.IsMap() || many.size() == 0) {
      r.error(many, "`judges` must be a map of judge name -> judgements, not " + describe_node(many));
    } else {
      for (const auto& kv : many) {
        j.judges.push_back(kv.first.as<std::string>());
        per_judge.emplace_back();
        judge_nodes.push_back(kv.second);
        r.judge(kv.second, &j, fixed, &per_judge.back());
      }
    }
  } else {
    r.error(root, "no judgements: give `judgements` (one judge) or `judges` (several)");
  }
  if (diags.empty()) {
    const int n = static_cast<int>(j.criteria.size());
    if (n < 2) r.error(root, "AHP needs at least two criteria, found " + std::to_string(n));
    if (n > kAhpMaxCriteria)
      r.error(root, std::to_string(n) + " criteria: the consistency ratio is defined for at most " +
                        std::to_string(kAhpMaxCriteria) + " (Saaty's random indices); group them into a hierarchy");
    if (diags.empty())
      for (size_t k = 0; k < per_judge.size(); ++k)
        j.matrices.push_back(r.matrix(per_judge[k], n, j.judges[k], judge_nodes[k], j));
  }
  if (!diags.empty()) throw RulesError(diags);
  return j;
}

}  // namespace insource
