#include "tools/explain.h"

#include <algorithm>

#include "tools/condition_shape.h"
#include "tools/margins.h"
#include "io/report.h"

namespace insource {

namespace {

using State = CriterionOutcome::State;

std::string join(const std::vector<std::string>& parts, const std::string& sep, const std::string& last_sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += i + 1 == parts.size() ? last_sep : sep;
    out += parts[i];
  }
  return out;
}

// The criteria that weighed most, for the brief reason.
std::string drivers(const Policy& p, const Decision& d) {
  std::vector<std::pair<double, std::string>> pos, neg;
  for (size_t i = 0; i < p.criteria().size(); ++i) {
    if (d.criteria[i].state != State::kVoted) continue;
    double c = d.criteria[i].contribution;
    std::string item = p.criteria()[i].name + " (" + signed_fixed(c) + ")";
    if (c > 0) pos.emplace_back(c, item);
    if (c < 0) neg.emplace_back(c, item);
  }
  std::sort(pos.begin(), pos.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::sort(neg.begin(), neg.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  auto top = [](const std::vector<std::pair<double, std::string>>& v) {
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size() && i < 2; ++i) out.push_back(v[i].second);
    return join(out, ", ", " and ");
  };
  switch (d.verdict) {
    case Verdict::kInsource: return pos.empty() ? "" : ", driven by " + top(pos);
    case Verdict::kOutsource: return neg.empty() ? "" : ", driven by " + top(neg);
    default: break;
  }
  std::vector<std::string> parts;
  if (!pos.empty()) parts.push_back(pos[0].second + " pulls toward insourcing");
  if (!neg.empty()) parts.push_back(neg[0].second + (pos.empty() ? " pulls" : "") + " toward outsourcing");
  return parts.empty() ? "" : "; " + join(parts, ", ", ", ");
}

std::string value_text(const insource_value& v, const FactInfo& f) {
  if (type_of(v) != Type::kAbsent) return describe(v);
  if (type_of(f.fallback) == f.decl.type) return "not given, default " + describe(f.fallback);
  return "not given";
}

nlohmann::ordered_json value_json(const insource_value& v) {
  switch (type_of(v)) {
    case Type::kNumber: return v.number;
    case Type::kBool: return v.boolean != 0;
    case Type::kString: return std::string(string_of(v));
    case Type::kAbsent: break;
  }
  return nullptr;
}

using NodeKind = ConditionNodeView::Kind;

// The names a condition reads, each once, in the order they first appear:
// its compiled nodes in pre-order, the order of the trace's steps.
std::vector<NameRef> names_read(const Condition& condition) {
  std::vector<NameRef> out;
  for (size_t i = 0; i < condition.node_count(); ++i) {
    const ConditionNodeView n = condition.node(i);
    if (n.kind() != NodeKind::kName && n.kind() != NodeKind::kExists) continue;
    const NameRef r{n.name_kind(), n.name_index()};
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  return out;
}

// One override as the trace shows it.
struct OverrideTrace {
  size_t index = 0;
  bool reached = false;  // no earlier override decided
  Tri outcome = Tri::kUnknown;
  std::vector<TraceStep> steps;  // step i is the condition's node i
  std::vector<std::pair<std::string, std::string>> reads;  // name, value as text
  std::vector<std::pair<std::string, nlohmann::ordered_json>> reads_json;
};

struct Inputs {
  std::vector<double> scores;
  std::vector<uint8_t> voted;
  EvalInput in;
};

Inputs inputs_of(const Policy& p, const CaseFacts& c, const Decision& d) {
  Inputs x;
  for (size_t i = 0; i < p.criteria().size(); ++i) {
    bool v = d.criteria[i].state == State::kVoted;
    x.voted.push_back(v ? 1 : 0);
    x.scores.push_back(v ? d.criteria[i].score : 0.0);
  }
  x.in = EvalInput{c.facts.data(), x.scores.data(), x.voted.data(), d.total};
  return x;
}

std::vector<OverrideTrace> trace_overrides(const Policy& p, const CaseFacts& c, const Decision& d, const EvalInput& in) {
  std::vector<OverrideTrace> out;
  out.reserve(p.overrides().size());
  for (size_t i = 0; i < p.overrides().size(); ++i) {
    const CompiledOverride& o = p.overrides()[i];
    OverrideTrace& t = out.emplace_back();
    t.index = i;
    t.reached = d.rule < 0 || static_cast<int>(i) <= d.rule;
    t.outcome = o.condition.trace(in, &t.steps);
    for (const NameRef& r : names_read(o.condition)) {
      std::string name = name_text(r, p);
      std::string text;
      nlohmann::ordered_json j;
      if (r.kind == NameInfo::Kind::kFact) {
        text = value_text(c.facts[r.index], p.schema().at(r.index));
        j = value_json(c.facts[r.index]);
      } else if (r.kind == NameInfo::Kind::kScore) {
        if (in.voted[r.index]) {
          text = format_number(in.scores[r.index]);
          j = in.scores[r.index];
        } else {
          text = "none (" + p.criteria()[r.index].name + " did not vote)";
          j = nullptr;
        }
      } else {
        text = format_number(in.total);
        j = in.total;
      }
      t.reads.emplace_back(name, text);
      t.reads_json.emplace_back(name, j);
    }
  }
  return out;
}

std::string step_outcome(const TraceStep& s) {
  if (s.outcome != "unknown") return s.outcome;
  if (s.missing.empty()) return "unknown";
  if (s.missing == "division by zero") return "unknown (division by zero)";
  if (s.missing.compare(0, 6, "score.") == 0) return "unknown (" + s.missing + " is missing: that criterion did not vote)";
  return "unknown (" + s.missing + " is not given)";
}

bool is_literal(const ConditionNodeView& n) {
  return n.kind() == NodeKind::kNumber || n.kind() == NodeKind::kString || n.kind() == NodeKind::kBool;
}

std::string trace_text(const Policy& p, const Decision& d, const std::vector<OverrideTrace>& traces) {
  std::string out = "\n  overrides, in order:\n";
  if (traces.empty()) out += "    (none)\n";
  for (const OverrideTrace& t : traces) {
    const CompiledOverride& o = p.overrides()[t.index];
    std::string status;
    if (static_cast<int>(t.index) == d.rule) {
      status = "matched: decides " + std::string(verdict_name(o.verdict));
    } else if (!t.reached) {
      status = "not reached (override " + p.overrides()[static_cast<size_t>(d.rule)].id + " decided first); it is " +
               tri_name(t.outcome);
    } else if (t.outcome == Tri::kUnknown) {
      std::string why = t.steps.empty() ? "" : step_outcome(t.steps[0]);
      status = "did not match: " + why;
    } else {
      status = "did not match: false";
    }
    out += "    " + std::to_string(t.index + 1) + ". " + o.id + " -> " + std::string(verdict_name(o.verdict)) + ": " + status +
           "\n";
    out += "       when: " + o.condition.text() + "\n";
    if (!t.reads.empty()) {
      std::vector<std::string> reads;
      for (const auto& [name, value] : t.reads) reads.push_back(name + " = " + value);
      out += "       reads: " + join(reads, ", ", ", ") + "\n";
    }
    for (size_t i = 0; i < t.steps.size(); ++i) {
      if (is_literal(o.condition.node(i))) continue;  // a literal only repeats itself
      const TraceStep& s = t.steps[i];
      out += "       " + std::string(static_cast<size_t>(2 * s.depth), ' ') + s.text + "  ->  " + step_outcome(s) + "\n";
    }
  }
  return out;
}

nlohmann::ordered_json trace_json(const Policy& p, const Decision& d, const std::vector<OverrideTrace>& traces) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const OverrideTrace& t : traces) {
    const CompiledOverride& o = p.overrides()[t.index];
    nlohmann::ordered_json j;
    j["id"] = o.id;
    j["verdict"] = verdict_name(o.verdict);
    j["when"] = o.condition.text();
    j["reached"] = t.reached;
    j["outcome"] = tri_name(t.outcome);
    j["decided"] = static_cast<int>(t.index) == d.rule;
    nlohmann::ordered_json reads = nlohmann::ordered_json::object();
    for (const auto& [name, value] : t.reads_json) reads[name] = value;
    j["reads"] = std::move(reads);
    nlohmann::ordered_json steps = nlohmann::ordered_json::array();
    for (const TraceStep& s : t.steps) {
      nlohmann::ordered_json e{{"text", s.text}, {"depth", s.depth}, {"outcome", s.outcome}};
      if (!s.missing.empty()) e["missing"] = s.missing;
      steps.push_back(std::move(e));
    }
    j["steps"] = std::move(steps);
    arr.push_back(std::move(j));
  }
  return arr;
}

std::string facts_text(const Policy& p, const CaseFacts& c) {
  std::string out = "\n  facts each criterion read:\n";
  for (const CriterionBinding& b : p.criteria()) {
    std::vector<std::string> parts;
    for (size_t k = 0; k < b.slots.size(); ++k) {
      const FactInfo& f = p.schema().at(b.slots[k]);
      parts.push_back(f.decl.name + " = " + value_text(c.facts[b.slots[k]], f));
    }
    out += "    " + b.name + ": " + (parts.empty() ? "(none declared)" : join(parts, ", ", ", ")) + "\n";
  }
  return out;
}

}  // namespace

std::optional<ExplainLevel> parse_explain_level(std::string_view s) {
  if (s == "brief") return ExplainLevel::kBrief;
  if (s == "full") return ExplainLevel::kFull;
  if (s == "trace") return ExplainLevel::kTrace;
  return std::nullopt;
}

std::string explain_brief(const Policy& p, const CaseFacts& c, const Decision& d) {
  std::string head = c.id + ": ";
  if (d.failed) return head + "no verdict: " + d.error;
  head += std::string(verdict_name(d.verdict));
  const Thresholds& t = p.thresholds();
  if (d.rule >= 0) {
    const CompiledOverride& o = p.overrides()[static_cast<size_t>(d.rule)];
    std::string alone = d.weight_sum > 0 ? std::string(verdict_name(threshold_verdict(t, d.total))) + " at total " +
                                               signed_fixed(d.total)
                                         : "review: no criterion voted";
    return head + ", because override " + o.id + " holds" + (o.reason.empty() ? "" : ": " + o.reason) +
           " (the weighted vote alone would say " + alone + ")";
  }
  switch (d.verdict) {
    case Verdict::kInsource:
      return head + ": the weighted total " + signed_fixed(d.total) + " is at or above the insource threshold " +
             signed_fixed(t.insource) + drivers(p, d);
    case Verdict::kOutsource:
      return head + ": the weighted total " + signed_fixed(d.total) + " is at or below the outsource threshold " +
             signed_fixed(t.outsource) + drivers(p, d);
    case Verdict::kHybrid:
      return head + ": the weighted total " + signed_fixed(d.total) + " lies between the outsource threshold " +
             signed_fixed(t.outsource) + " and the insource threshold " + signed_fixed(t.insource) + drivers(p, d);
    default: break;
  }
  return head + ": no criterion voted (the case gives none of the facts they read), so a person must decide";
}

std::string explain_text(const Policy& p, const CaseFacts& c, const Decision& d, ExplainLevel level) {
  if (level == ExplainLevel::kBrief) return explain_brief(p, c, d) + "\n";
  std::string out = decision_text(p, c, d);
  if (d.failed) return out;
  out += "\n  in brief: " + explain_brief(p, c, d) + "\n";
  out += facts_text(p, c);
  Inputs x = inputs_of(p, c, d);
  if (level == ExplainLevel::kTrace) out += trace_text(p, d, trace_overrides(p, c, d, x.in));
  out += "\n" + margins_text(p, compute_margins(p, c, d), "  ");
  return out;
}

nlohmann::ordered_json explain_json(const Policy& p, const CaseFacts& c, const Decision& d, ExplainLevel level) {
  nlohmann::ordered_json j = decision_json(p, c, d);
  if (d.failed) return j;
  j["summary"] = explain_brief(p, c, d);
  if (level == ExplainLevel::kBrief) {
    j.erase("criteria");
    return j;
  }
  for (const CriterionBinding& b : p.criteria()) {
    nlohmann::ordered_json facts = nlohmann::ordered_json::object();
    for (uint32_t slot : b.slots) facts[p.schema().at(slot).decl.name] = value_json(c.facts[slot]);
    j["criteria"][b.name]["facts"] = std::move(facts);
  }
  if (level == ExplainLevel::kTrace) {
    Inputs x = inputs_of(p, c, d);
    j["overrides"] = trace_json(p, d, trace_overrides(p, c, d, x.in));
  }
  j["margins"] = margins_json(p, compute_margins(p, c, d));
  return j;
}

}  // namespace insource
