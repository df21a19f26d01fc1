#include "io/distribution_reader.h"

#include <cmath>

#include "io/case_reader.h"

namespace insource {

namespace {

std::string describe_node(const DistNode& n) {
  switch (n.kind) {
    case DistNode::Kind::kNumber: return "the number " + format_number(n.number);
    case DistNode::Kind::kList: return "a list";
    case DistNode::Kind::kMap: return "a map";
    case DistNode::Kind::kOther: return n.what;
  }
  return "a value";
}

// The declared range as words: "> 0", ">= 0 and <= 1".
std::string range_text(const FactDecl& d) {
  std::string out;
  if (std::isfinite(d.min)) out += (d.min_exclusive ? "> " : ">= ") + format_number(d.min);
  if (std::isfinite(d.max)) out += (out.empty() ? "<= " : " and <= ") + format_number(d.max);
  return out;
}

bool in_range(const FactDecl& d, double x) {
  return (d.min_exclusive ? x > d.min : x >= d.min) && x <= d.max;
}

using Problem = std::optional<std::string>;

Problem number_at(const DistNode& n, const std::string& what, double* out) {
  if (n.kind != DistNode::Kind::kNumber) return what + " must be a number, not " + describe_node(n);
  if (!std::isfinite(n.number)) return what + " must be a finite number";
  *out = n.number;
  return std::nullopt;
}

Problem within(const FactDecl& d, const std::string& what, double x) {
  if (in_range(d, x)) return std::nullopt;
  return what + " " + format_number(x) + " is outside the fact's range (" + range_text(d) + ")";
}

const DistNode* key(const DistNode& map, const char* k) {
  for (size_t i = 0; i < map.keys.size(); ++i)
    if (map.keys[i] == k) return &map.items[i];
  return nullptr;
}

Problem read_number_dist(const FactDecl& d, const DistNode& node, Distribution* out) {
  const std::string intro = "is given as a distribution: ";
  auto only = [&](std::initializer_list<const char*> allowed) -> Problem {
    for (const std::string& k : node.keys) {
      bool ok = false;
      for (const char* a : allowed) ok |= k == a;
      if (!ok)
        return intro + "unknown key '" + k +
               "' (a number is {low, likely, high}, {uniform: [a, b]} or {normal: {mean, sd}})";
    }
    return std::nullopt;
  };
  if (const DistNode* u = key(node, "uniform")) {
    if (auto p = only({"uniform"})) return p;
    if (u->kind != DistNode::Kind::kList || u->items.size() != 2)
      return intro + "uniform must be a list of two numbers [a, b], not " + describe_node(*u);
    out->kind = Distribution::Kind::kUniform;
    if (auto p = number_at(u->items[0], intro + "uniform's a", &out->low)) return p;
    if (auto p = number_at(u->items[1], intro + "uniform's b", &out->high)) return p;
    if (out->low > out->high)
      return intro + "uniform's a " + format_number(out->low) + " is above its b " + format_number(out->high);
    if (auto p = within(d, intro + "uniform's a", out->low)) return p;
    if (auto p = within(d, intro + "uniform's b", out->high)) return p;
    return std::nullopt;
  }
  if (const DistNode* n = key(node, "normal")) {
    if (auto p = only({"normal"})) return p;
    if (n->kind != DistNode::Kind::kMap) return intro + "normal must be a map {mean, sd}, not " + describe_node(*n);
    for (const std::string& k : n->keys)
      if (k != "mean" && k != "sd") return intro + "unknown key '" + k + "' in normal (it takes mean and sd)";
    const DistNode* m = key(*n, "mean");
    const DistNode* s = key(*n, "sd");
    if (!m || !s) return intro + "normal needs both mean and sd";
    out->kind = Distribution::Kind::kNormal;
    if (auto p = number_at(*m, intro + "normal's mean", &out->mean)) return p;
    if (auto p = number_at(*s, intro + "normal's sd", &out->sd)) return p;
    if (out->sd < 0) return intro + "normal's sd " + format_number(out->sd) + " is negative";
    if (out->sd == 0) return intro + "normal's sd must be above 0 (give a plain number for a sure value)";
    if (auto p = within(d, intro + "normal's mean", out->mean)) return p;
    out->low = d.min_exclusive ? std::nextafter(d.min, HUGE_VAL) : d.min;
    out->high = d.max;
    return std::nullopt;
  }
  if (key(node, "low") || key(node, "likely") || key(node, "high")) {
    if (auto p = only({"low", "likely", "high"})) return p;
    const DistNode* lo = key(node, "low");
    const DistNode* ml = key(node, "likely");
    const DistNode* hi = key(node, "high");
    if (!lo || !ml || !hi) return intro + "PERT needs low, likely and high";
    out->kind = Distribution::Kind::kPert;
    if (auto p = number_at(*lo, intro + "low", &out->low)) return p;
    if (auto p = number_at(*ml, intro + "likely", &out->likely)) return p;
    if (auto p = number_at(*hi, intro + "high", &out->high)) return p;
    if (out->low > out->high)
      return intro + "low " + format_number(out->low) + " is above high " + format_number(out->high);
    if (out->likely < out->low || out->likely > out->high)
      return intro + "likely " + format_number(out->likely) + " is not between low " + format_number(out->low) +
             " and high " + format_number(out->high);
    if (auto p = within(d, intro + "low", out->low)) return p;
    if (auto p = within(d, intro + "high", out->high)) return p;
    return std::nullopt;
  }
  if (node.keys.empty()) return intro + "the map is empty";
  return intro + "unknown key '" + node.keys.front() +
         "' (a number is {low, likely, high}, {uniform: [a, b]} or {normal: {mean, sd}})";
}

Problem read_levels_dist(const FactDecl& d, const DistNode& node, CaseFacts* c, Distribution* out) {
  const std::string intro = "is given as probabilities: ";
  if (node.keys.empty()) return intro + "the map is empty";
  out->kind = Distribution::Kind::kLevels;
  double sum = 0;
  for (size_t i = 0; i < node.keys.size(); ++i) {
    const std::string& level = node.keys[i];
    if (!d.allowed.empty()) {
      bool known = false;
      for (const std::string& a : d.allowed) known |= a == level;
      if (!known) {
        std::string list;
        for (const std::string& a : d.allowed) list += (list.empty() ? "" : ", ") + a;
        return intro + "'" + level + "' is not one of its levels (" + list + ")";
      }
    }
    double p;
    if (auto bad = number_at(node.items[i], intro + "the probability of " + level, &p)) return bad;
    if (p < 0 || p > 1) return intro + "the probability of " + level + ", " + format_number(p) + ", is not in [0, 1]";
    sum += p;
    out->levels.push_back(c->keep(level));
    out->probs.push_back(p);
  }
  if (std::fabs(sum - 1.0) > 1e-6) return intro + "they add up to " + format_number(std::round(sum * 1e6) / 1e6) + ", not 1";  // 0.9, not 0.8999999999999999
  return std::nullopt;
}

Problem read_bool_dist(const DistNode& node, Distribution* out) {
  const std::string intro = "is given as a distribution: ";
  if (node.keys.size() != 1 || node.keys[0] != "p_true")
    return intro + "a bool takes {p_true: P}" + (node.keys.empty() ? "" : ", not the key '" + node.keys[0] + "'");
  out->kind = Distribution::Kind::kBernoulli;
  if (auto p = number_at(node.items[0], intro + "p_true", &out->p_true)) return p;
  if (out->p_true < 0 || out->p_true > 1) return intro + "p_true " + format_number(out->p_true) + " is not in [0, 1]";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> read_distribution(const FactInfo& info, const DistNode& node, CaseFacts* c,
                                             Distribution* out) {
  *out = Distribution{};
  Problem p;
  switch (info.decl.type) {
    case Type::kNumber: p = read_number_dist(info.decl, node, out); break;
    case Type::kString:
      if (info.decl.allowed.empty()) return std::string("is a free string: it cannot be given as probabilities");
      p = read_levels_dist(info.decl, node, c, out);
      break;
    case Type::kBool: p = read_bool_dist(node, out); break;
    case Type::kAbsent: return std::string("cannot be given");
  }
  if (!p) out->prepare();
  return p;
}

nlohmann::ordered_json distribution_json(const Distribution& d) {
  using json = nlohmann::ordered_json;
  switch (d.kind) {
    case Distribution::Kind::kPert: return json{{"low", d.low}, {"likely", d.likely}, {"high", d.high}};
    case Distribution::Kind::kUniform: return json{{"uniform", json::array({d.low, d.high})}};
    case Distribution::Kind::kNormal: return json{{"normal", json{{"mean", d.mean}, {"sd", d.sd}}}};
    case Distribution::Kind::kLevels: {
      json out = json::object();
      for (size_t i = 0; i < d.levels.size() && i < d.probs.size(); ++i) out[std::string(d.levels[i])] = d.probs[i];
      return out;
    }
    case Distribution::Kind::kBernoulli: return json{{"p_true", d.p_true}};
  }
  return json::object();
}

void refuse_uncertain(std::vector<CaseInput>* inputs, const FactSchema& schema, const char* instead) {
  for (CaseInput& in : *inputs) {
    if (!in.value || in.value->uncertain.empty()) continue;
    // The first in the file (the list is in slot order).
    const UncertainFact* first = &in.value->uncertain.front();
    for (const UncertainFact& f : in.value->uncertain)
      if (f.line > 0 && (first->line == 0 || f.line < first->line || (f.line == first->line && f.column < first->column)))
        first = &f;
    const UncertainFact& u = *first;
    in.kind = InputErrorKind::kCase;
    in.id = in.value->id;
    in.message = "fact " + schema.at(u.slot).decl.name + " is given as a distribution; " + instead;
    if (u.line > 0) in.line = u.line, in.column = u.column;
    in.value.reset();
    in.error = in.format_error();
  }
}

}  // namespace insource
