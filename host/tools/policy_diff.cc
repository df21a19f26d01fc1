#include "tools/policy_diff.h"

#include <algorithm>
#include <cmath>

#include "io/case_reader.h"
#include "io/distribution_reader.h"
#include "io/report.h"

namespace insource {

namespace {

std::string weight_text(double w) { return format_number(w); }

// 1st, 2nd, 3rd, 4th, 11th ...
std::string ordinal(size_t n) {
  const char* suffix = "th";
  if (n % 100 < 11 || n % 100 > 13) {
    if (n % 10 == 1) suffix = "st";
    else if (n % 10 == 2) suffix = "nd";
    else if (n % 10 == 3) suffix = "rd";
  }
  return std::to_string(n) + suffix;
}

std::string params_text(const CriterionBinding& b) {
  std::string out;
  for (size_t i = 0; i < b.params.size() && i < b.plugin->params().size(); ++i)
    out += (out.empty() ? "" : ", ") + b.plugin->params()[i].name + " = " + b.params[i].describe();
  return out;
}

DiffSide side_of(const Policy& p, Evaluator& e, const CaseInput& in, Decision* d) {
  DiffSide s;
  if (!in.value) {
    s.error = in.error;
    return s;
  }
  e.decide(*in.value, d, false);
  if (d->failed) {
    s.error = in.value->source + ": case " + in.value->id + ": " + d->error;
    return s;
  }
  s.ok = true;
  s.verdict = d->verdict;
  s.rule = d->rule >= 0 ? p.overrides()[static_cast<size_t>(d->rule)].id : "";
  s.total = d->total;
  s.reason = d->rule >= 0 ? "override " + s.rule + ": " + verdict_reason(p, *d) : verdict_reason(p, *d);
  return s;
}

std::string side_label(const DiffSide& s) { return s.ok ? std::string(verdict_name(s.verdict)) : "error"; }

nlohmann::ordered_json side_json(const DiffSide& s) {
  nlohmann::ordered_json j;
  if (!s.ok) {
    j["error"] = s.error;
    return j;
  }
  j["verdict"] = verdict_name(s.verdict);
  j["rule"] = s.rule.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.rule);
  j["total"] = s.total;
  j["reason"] = s.reason;
  return j;
}

}  // namespace

std::vector<std::string> policy_changes(const Policy& a, const Policy& b) {
  std::vector<std::string> out;
  if (a.rules().name != b.rules().name) out.push_back("name: \"" + a.rules().name + "\" -> \"" + b.rules().name + "\"");
  for (const CriterionBinding& ca : a.criteria()) {
    int k = b.criterion_index(ca.name);
    if (k < 0) {
      out.push_back("criterion " + ca.name + " removed (weight was " + weight_text(ca.weight) + ")");
      continue;
    }
    const CriterionBinding& cb = b.criteria()[static_cast<size_t>(k)];
    // A range shows as [low, high] (midpoint): its midpoint decides here, the
    // range only in a simulation, and a change to either is a change.
    auto range_text = [](const CriterionBinding& c) {
      if (c.weight_low == c.weight_high) return weight_text(c.weight);
      // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on the chain of operator+.
      std::string out = "[";
      out += weight_text(c.weight_low);
      out += ", ";
      out += weight_text(c.weight_high);
      out += "] (midpoint ";
      out += weight_text(c.weight);
      out += ")";
      return out;
    };
    if (ca.weight != cb.weight || ca.weight_low != cb.weight_low || ca.weight_high != cb.weight_high)
      out.push_back("weight of " + ca.name + ": " + range_text(ca) + " -> " + range_text(cb));
    if (params_text(ca) != params_text(cb))
      out.push_back("params of " + ca.name + ": " + params_text(ca) + " -> " + params_text(cb));
    if (ca.plugin->name() != cb.plugin->name() || ca.plugin->version() != cb.plugin->version())
      out.push_back("plugin of " + ca.name + ": " + ca.plugin->name() + " " + ca.plugin->version() + " -> " +
                    cb.plugin->name() + " " + cb.plugin->version());
  }
  for (const CriterionBinding& cb : b.criteria())
    if (a.criterion_index(cb.name) < 0) out.push_back("criterion " + cb.name + " added (weight " + weight_text(cb.weight) + ")");
  if (a.thresholds().insource != b.thresholds().insource)
    out.push_back("insource threshold: " + signed_fixed(a.thresholds().insource) + " -> " + signed_fixed(b.thresholds().insource));
  if (a.thresholds().outsource != b.thresholds().outsource)
    out.push_back("outsource threshold: " + signed_fixed(a.thresholds().outsource) + " -> " +
                  signed_fixed(b.thresholds().outsource));
  for (const RuleFact& f : a.rules().facts)
    if (std::none_of(b.rules().facts.begin(), b.rules().facts.end(), [&](const RuleFact& g) { return g.name == f.name; }))
      out.push_back("fact " + f.name + " no longer declared");
  for (const RuleFact& f : b.rules().facts)
    if (std::none_of(a.rules().facts.begin(), a.rules().facts.end(), [&](const RuleFact& g) { return g.name == f.name; }))
      out.push_back("fact " + f.name + " declared (" + type_name(f.type) + ")");
  auto find = [](const Policy& p, const std::string& id) -> int {
    for (size_t i = 0; i < p.overrides().size(); ++i)
      if (p.overrides()[i].id == id) return static_cast<int>(i);
    return -1;
  };
  for (size_t i = 0; i < a.overrides().size(); ++i) {
    const CompiledOverride& oa = a.overrides()[i];
    int k = find(b, oa.id);
    if (k < 0) {
      out.push_back("override " + oa.id + " removed");
      continue;
    }
    const CompiledOverride& ob = b.overrides()[static_cast<size_t>(k)];
    if (static_cast<size_t>(k) != i)
      out.push_back("override " + oa.id + " moved: checked " + ordinal(i + 1) + " -> " + ordinal(static_cast<size_t>(k) + 1));
    if (oa.condition.text() != ob.condition.text())
      out.push_back("override " + oa.id + ": when `" + oa.condition.text() + "` -> `" + ob.condition.text() + "`");
    if (oa.verdict != ob.verdict)
      out.push_back("override " + oa.id + ": verdict " + std::string(verdict_name(oa.verdict)) + " -> " +
                    std::string(verdict_name(ob.verdict)));
    if (oa.reason != ob.reason) out.push_back("override " + oa.id + ": reason changed");
  }
  for (size_t i = 0; i < b.overrides().size(); ++i)
    if (find(a, b.overrides()[i].id) < 0)
      out.push_back("override " + b.overrides()[i].id + " added (checked " + ordinal(i + 1) + "): when `" + b.overrides()[i].condition.text() + "` -> " +
                    std::string(verdict_name(b.overrides()[i].verdict)));
  return out;
}

PolicyDiff diff_policies(const std::shared_ptr<const Policy>& before, const std::shared_ptr<const Policy>& after,
                         const std::vector<std::string>& case_files) {
  PolicyDiff out;
  out.old_label = before->rules().file;
  out.new_label = after->rules().file;
  out.rule_changes = policy_changes(*before, *after);
  Evaluator eb(before), ea(after);
  Decision db, da;
  for (const std::string& file : case_files) {
    // Each policy reads the cases against its own facts.
    std::vector<CaseInput> cb = read_case_file(file, before->schema());
    std::vector<CaseInput> ca = read_case_file(file, after->schema());
    refuse_uncertain(&cb, before->schema(), "diff compares sure values only");
    refuse_uncertain(&ca, after->schema(), "diff compares sure values only");
    const size_t n = std::max(cb.size(), ca.size());
    for (size_t i = 0; i < n; ++i) {
      ++out.cases;
      if (i >= cb.size() || i >= ca.size()) {
        out.errors.push_back(file + ": case #" + std::to_string(i + 1) + " reads under only one of the policies");
        continue;
      }
      CaseDiff c;
      c.id = cb[i].value ? cb[i].value->id : ca[i].value ? ca[i].value->id : cb[i].id;
      c.source = cb[i].value ? cb[i].value->source : file;
      c.before = side_of(*before, eb, cb[i], &db);
      c.after = side_of(*after, ea, ca[i], &da);
      if (!c.before.ok && !c.after.ok) {
        out.errors.push_back(c.before.error);
        ++out.unchanged;
        continue;
      }
      if (c.before.ok && c.after.ok && c.before.verdict == c.after.verdict) {
        ++out.unchanged;
        continue;
      }
      if (c.before.ok && c.after.ok) {
        // The criteria whose contribution moved most.
        for (const CriterionBinding& b : before->criteria()) {
          CaseDiff::Move m;
          m.criterion = b.name;
          int kb = before->criterion_index(b.name), ka = after->criterion_index(b.name);
          if (kb >= 0 && db.criteria[static_cast<size_t>(kb)].state == CriterionOutcome::State::kVoted)
            m.before = db.criteria[static_cast<size_t>(kb)].contribution, m.voted_before = true;
          if (ka >= 0 && da.criteria[static_cast<size_t>(ka)].state == CriterionOutcome::State::kVoted)
            m.after = da.criteria[static_cast<size_t>(ka)].contribution, m.voted_after = true;
          if (std::fabs(m.after - m.before) > 5e-4 || m.voted_before != m.voted_after) c.moves.push_back(m);
        }
        for (const CriterionBinding& b : after->criteria()) {
          if (before->criterion_index(b.name) >= 0) continue;
          int ka = after->criterion_index(b.name);
          CaseDiff::Move m;
          m.criterion = b.name;
          if (da.criteria[static_cast<size_t>(ka)].state == CriterionOutcome::State::kVoted)
            m.after = da.criteria[static_cast<size_t>(ka)].contribution, m.voted_after = true;
          c.moves.push_back(m);
        }
        std::stable_sort(c.moves.begin(), c.moves.end(), [](const CaseDiff::Move& x, const CaseDiff::Move& y) {
          return std::fabs(x.after - x.before) > std::fabs(y.after - y.before);
        });
        if (c.moves.size() > 3) c.moves.resize(3);
      }
      std::string pair = side_label(c.before) + " -> " + side_label(c.after);
      auto it = std::find_if(out.pairs.begin(), out.pairs.end(), [&](const auto& e) { return e.first == pair; });
      if (it == out.pairs.end()) out.pairs.emplace_back(pair, 1);
      else ++it->second;
      out.changed.push_back(std::move(c));
    }
  }
  return out;
}

std::string policy_diff_text(const PolicyDiff& d) {
  std::string out = "policy changes (" + d.old_label + " -> " + d.new_label + "):\n";
  if (d.rule_changes.empty()) out += "  none\n";
  for (const auto& c : d.rule_changes) out += "  " + c + "\n";
  out += "\n" + std::to_string(d.cases) + (d.cases == 1 ? " case, " : " cases, ") + std::to_string(d.changed.size()) +
         (d.changed.size() == 1 ? " verdict changes" : " verdicts change") + ":\n";
  if (d.changed.empty() && d.cases > 0) {
    out += "  No verdict changes: the new policy decides ";
    out += d.cases == 1 ? "this case" : "every one of these cases";
    out += " as the old one does.\n";
  }
  for (const CaseDiff& c : d.changed) {
    out += "  " + c.id + ": " + side_label(c.before) + " -> " + side_label(c.after) + "\n";
    auto line = [](const DiffSide& s) {
      if (!s.ok) return s.error;
      return s.rule.empty() ? s.reason : s.reason + " (total " + signed_fixed(s.total) + ")";
    };
    out += "    before: " + line(c.before) + "\n";
    out += "    after:  " + line(c.after) + "\n";
    if (!c.moves.empty()) {
      std::string moves;
      for (const auto& m : c.moves) {
        std::string b = m.voted_before ? signed_fixed(m.before) : "none";
        std::string a = m.voted_after ? signed_fixed(m.after) : "none";
        moves += (moves.empty() ? "" : ", ") + m.criterion + " " + b + " -> " + a;
      }
      out += "    contributions: " + moves + "\n";
    }
  }
  out += "\nsummary:\n";
  for (const auto& [pair, n] : d.pairs) out += "  " + pair + ": " + std::to_string(n) + "\n";
  out += "  unchanged: " + std::to_string(d.unchanged) + "\n";
  if (!d.errors.empty()) {
    out += "  failed under both policies or unreadable: " + std::to_string(d.errors.size()) + "\n";
    for (const auto& e : d.errors) out += "    " + e + "\n";
  }
  return out;
}

nlohmann::ordered_json policy_diff_json(const PolicyDiff& d) {
  nlohmann::ordered_json j;
  j["old"] = d.old_label;
  j["new"] = d.new_label;
  j["rule_changes"] = d.rule_changes;
  j["cases"] = d.cases;
  j["unchanged"] = d.unchanged;
  nlohmann::ordered_json changed = nlohmann::ordered_json::array();
  for (const CaseDiff& c : d.changed) {
    nlohmann::ordered_json e;
    e["id"] = c.id;
    e["before"] = side_json(c.before);
    e["after"] = side_json(c.after);
    nlohmann::ordered_json moves = nlohmann::ordered_json::array();
    for (const auto& m : c.moves)
      moves.push_back({{"criterion", m.criterion},
                       {"before", m.voted_before ? nlohmann::ordered_json(m.before) : nlohmann::ordered_json(nullptr)},
                       {"after", m.voted_after ? nlohmann::ordered_json(m.after) : nlohmann::ordered_json(nullptr)}});
    e["contributions"] = std::move(moves);
    changed.push_back(std::move(e));
  }
  j["changed"] = std::move(changed);
  nlohmann::ordered_json pairs = nlohmann::ordered_json::object();
  for (const auto& [pair, n] : d.pairs) pairs[pair] = n;
  j["summary"] = std::move(pairs);
  j["errors"] = d.errors;
  return j;
}

}  // namespace insource
