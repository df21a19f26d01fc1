#include "io/report.h"

#include <algorithm>
#include <cstdio>

#include "core/plugin_text.h"

namespace insource {

std::string signed_fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.*f", decimals, v);
  return buf;
}

namespace {

// A rationale the host cut (core/plugin_text.h): how long it was and how much is kept.
nlohmann::ordered_json truncation_json(const CriterionOutcome& o) {
  nlohmann::ordered_json t;
  t["bytes"] = o.rationale_bytes;
  t["kept"] = o.rationale.size();
  return t;
}

std::string truncation_note(const CriterionOutcome& o) {
  return "[rationale truncated: the plugin wrote " + std::to_string(o.rationale_bytes) + " bytes, the first " +
         std::to_string(kMaxPluginTextBytes) + " are kept]";
}

}  // namespace

static nlohmann::ordered_json fault_json(const Policy& p, const CaseFacts& c, const Decision& d, size_t i) {
  const CriterionBinding& b = p.criteria()[i];
  return {{"plugin", b.plugin->name()},
          {"case", c.id},
          {"message", d.criteria[i].error},
          {"on_error", fault_policy_name(b.on_error)}};
}

std::string verdict_reason(const Policy& p, const Decision& d) {
  if (d.failed) return d.error;
  if (d.forced_by >= 0) {
    const auto i = static_cast<size_t>(d.forced_by);
    return d.criteria[i].error + "; on_error of " + p.criteria()[i].name + " forces " +
           std::string(verdict_name(d.verdict));
  }
  if (d.rule >= 0) return p.overrides()[static_cast<size_t>(d.rule)].reason;
  const Thresholds& t = p.thresholds();
  switch (d.verdict) {
    case Verdict::kInsource:
      return "weighted total " + signed_fixed(d.total) + " >= insource threshold " + signed_fixed(t.insource);
    case Verdict::kOutsource:
      return "weighted total " + signed_fixed(d.total) + " <= outsource threshold " + signed_fixed(t.outsource);
    case Verdict::kHybrid:
      return "weighted total " + signed_fixed(d.total) + " lies between the outsource threshold " +
             signed_fixed(t.outsource) + " and the insource threshold " + signed_fixed(t.insource);
    case Verdict::kReview: return "no criterion voted: the case lacks the facts to decide";
    default: break;
  }
  return std::string(verdict_name(d.verdict));
}

nlohmann::ordered_json decision_json(const Policy& p, const CaseFacts& c, const Decision& d) {
  nlohmann::ordered_json j;
  j["id"] = c.id;
  if (d.failed) {
    j["error"] = {{"kind", "plugin"}, {"message", d.error}};
    nlohmann::ordered_json faults = nlohmann::ordered_json::array();  // every fault, not only the first
    for (size_t i = 0; i < p.criteria().size() && i < d.criteria.size(); ++i)
      if (d.criteria[i].fault) {
        nlohmann::ordered_json f = fault_json(p, c, d, i);
        f["criterion"] = p.criteria()[i].name;
        faults.push_back(std::move(f));
      }
    j["error"]["faults"] = std::move(faults);
    return j;
  }
  j["verdict"] = verdict_name(d.verdict);
  j["total"] = d.total;
  j["rule"] = d.rule >= 0 ? nlohmann::ordered_json(p.overrides()[static_cast<size_t>(d.rule)].id) : nullptr;
  j["reason"] = verdict_reason(p, d);
  nlohmann::ordered_json crit = nlohmann::ordered_json::object();
  for (size_t i = 0; i < p.criteria().size(); ++i) {
    const CriterionOutcome& o = d.criteria[i];
    nlohmann::ordered_json e;
    e["weight"] = p.criteria()[i].weight;
    if (o.state == CriterionOutcome::State::kVoted) {
      e["score"] = o.score;
      e["contribution"] = o.contribution;
    } else {
      e["abstained"] = true;
    }
    e["rationale"] = o.rationale;
    if (o.rationale_bytes) e["rationale_truncated"] = truncation_json(o);
    if (o.fault) e["fault"] = fault_json(p, c, d, i);
    crit[p.criteria()[i].name] = std::move(e);
  }
  j["criteria"] = std::move(crit);
  return j;
}

std::string decision_text(const Policy& p, const CaseFacts& c, const Decision& d) {
  std::string out = "case " + c.id + (c.title.empty() ? "" : " (" + c.title + ")") + "\n";
  if (d.failed) {
    out += "  error: " + d.error + "\n";
    for (size_t i = 0; i < p.criteria().size() && i < d.criteria.size(); ++i)
      if (d.criteria[i].fault && d.criteria[i].error != d.error) out += "  fault: " + d.criteria[i].error + "\n";
    return out;
  }
  out += "  verdict: " + std::string(verdict_name(d.verdict)) + "\n";
  if (d.forced_by >= 0) {
    out += "  forced by a fault: " + verdict_reason(p, d) + "\n";
  } else if (d.rule >= 0) {
    const CompiledOverride& o = p.overrides()[static_cast<size_t>(d.rule)];
    out += "  decided by override " + o.id + ": " + o.reason + "\n";
    out += "  (the weighted total was " + signed_fixed(d.total) + ")\n";
  } else {
    out += "  " + verdict_reason(p, d) + "\n";
  }
  // Columns wide enough for the longest criterion name (custom plugins may have long ones).
  size_t name_width = std::string("criterion").size();
  for (const CriterionBinding& b : p.criteria()) name_width = std::max(name_width, b.name.size());
  name_width += 2;
  out += "\n  " + pad_right("criterion", name_width) + pad_right("weight", 8) + pad_right("score", 8) + pad_right("contrib", 11) + "rationale\n";
  for (size_t i = 0; i < p.criteria().size(); ++i) {
    const CriterionOutcome& o = d.criteria[i];
    const CriterionBinding& b = p.criteria()[i];
    out += "  " + pad_right(b.name, name_width) + pad_right(format_fixed(b.weight, 2), 8);
    if (o.state == CriterionOutcome::State::kVoted) {
      out += pad_right(signed_fixed(o.score, 2), 8) + pad_right(signed_fixed(o.contribution), 11);
    } else {
      out += pad_right("-", 8) + pad_right("abstained", 11);
    }
    out += o.rationale;
    if (o.rationale_bytes) {
      out += ' ';
      out += truncation_note(o);
    }
    out += '\n';
    if (o.fault) out += "  " + pad_right("", name_width) + "fault (on_error " + fault_policy_name(b.on_error) + "): " + o.error + "\n";
  }
  out += "  " + pad_right("total", name_width) + pad_right("", 16) + signed_fixed(d.total) + "\n";
  return out;
}

}  // namespace insource
