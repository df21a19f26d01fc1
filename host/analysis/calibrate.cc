#include "analysis/calibrate.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "analysis/calibrate_milp.h"
#include "analysis/rules_writer.h"
#include "io/json_text.h"

namespace insource {
namespace {

bool vote_can_give(Verdict v) { return v == Verdict::kInsource || v == Verdict::kOutsource || v == Verdict::kHybrid; }

// Weights, then (with --thresholds) thresholds, alternately, until the
// number of agreeing cases stops rising: each step is optimal for the other
// held fixed (the weights by MILP, the thresholds by trying every cut).
struct Fit {
  std::vector<double> w;
  Thresholds t;
  bool optimal = true;
  int rounds = 0;
};

int agreement(const std::vector<FitCase>& cases, const std::vector<double>& w, const Thresholds& t) {
  int agree = 0;
  double total;
  for (const FitCase& c : cases) agree += vote_verdict(c, w, t, &total) == c.decided ? 1 : 0;
  return agree;
}

// The time one program may take: the per-program limit, or what is left
// before options.until when that is less.
double program_time(const CalibrationOptions& o) {
  if (!o.until) return o.time_limit_s;
  double left = std::chrono::duration<double>(*o.until - std::chrono::steady_clock::now()).count();
  if (left <= 0) throw CalibrationOutOfTime("the calibration ran out of time");
  return std::min(o.time_limit_s, left);
}

Fit fit(const std::vector<FitCase>& cases, const std::vector<double>& start, const Thresholds& t0,
        const CalibrationOptions& o) {
  Fit f{start, t0, true, 0};
  FitResult r = fit_weights(cases, start, t0, o.min_weight, program_time(o));
  f.w = r.weights;
  f.optimal = r.optimal;
  f.rounds = 1;
  if (!o.thresholds) return f;
  int best = agreement(cases, f.w, f.t);
  for (int round = 0; round < 20 && best < static_cast<int>(cases.size()); ++round) {
    std::vector<double> totals;
    std::vector<Verdict> decided;
    for (const FitCase& c : cases) {
      double total;
      vote_verdict(c, f.w, f.t, &total);
      totals.push_back(total);
      decided.push_back(c.decided);
    }
    Thresholds t = fit_thresholds(totals, decided, f.t);
    FitResult again = fit_weights(cases, f.w, t, o.min_weight, program_time(o));
    int now = agreement(cases, again.weights, t);
    ++f.rounds;
    if (now <= best) {
      // The thresholds alone may still have helped.
      if (agreement(cases, f.w, t) > best) f.t = t;
      break;
    }
    best = now;
    f.w = again.weights;
    f.t = t;
    f.optimal = f.optimal && again.optimal;
  }
  return f;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

Calibration calibrate(const std::shared_ptr<const Policy>& policy, const std::vector<PastCase>& past,
                      const CalibrationOptions& o) {
  Calibration cal;
  const auto& criteria = policy->criteria();
  double sum = 0.0;
  for (const auto& c : criteria) sum += c.weight;
  for (const auto& c : criteria) {
    cal.criteria.push_back(c.name);
    cal.weights_before.push_back(c.weight / sum);
  }
  cal.thresholds_before = policy->thresholds();
  Evaluator ev(policy);
  std::vector<FitCase> fit_cases;
  std::vector<size_t> fit_index;  // fit case -> cal.cases
  std::vector<Decision> decisions(past.size());
  for (size_t k = 0; k < past.size(); ++k) {
    const PastCase& p = past[k];
    Decision& d = decisions[k];
    ev.decide(p.c, &d, false);
    CalibratedCase cc;
    cc.id = p.c.id;
    cc.decided = p.decided;
    cc.before = cc.after = d.verdict;
    cc.total_before = cc.total_after = d.total;
    if (d.failed) {
      cc.left_out = "failed: " + d.error;
    } else if (d.rule >= 0) {
      cc.left_out = "decided by override " + policy->overrides()[static_cast<size_t>(d.rule)].id;
    } else if (d.forced_by >= 0) {
      cc.left_out = "verdict forced by the on_error of " + criteria[static_cast<size_t>(d.forced_by)].name;
    } else {
      FitCase f;
      for (const auto& out : d.criteria) {
        f.scores.push_back(out.score);
        f.voted.push_back(out.state == CriterionOutcome::State::kVoted ? 1 : 0);
      }
      f.decided = p.decided;
      fit_cases.push_back(std::move(f));
      fit_index.push_back(cal.cases.size());
    }
    cal.cases.push_back(std::move(cc));
  }
  cal.fitted = static_cast<int>(fit_cases.size());
  cal.agree_before = agreement(fit_cases, cal.weights_before, cal.thresholds_before);
  cal.weights_after = cal.weights_before;
  cal.thresholds_after = cal.thresholds_before;
  if (fit_cases.empty()) return cal;
  Fit f = fit(fit_cases, cal.weights_before, cal.thresholds_before, o);
  // The weights as they will be written: the fewest decimals (4 or more)
  // that still sum to exactly 1 and agree with as many cases as the exact
  // fit, since the fit sits on the edge of its constraints and a rounding
  // can tip a case over. The report shows these very weights.
  int exact = agreement(fit_cases, f.w, f.t);
  for (int d = 4; d <= 9; ++d) {
    cal.weights_text = round_weights_to_one(f.w, d);
    std::vector<double> rounded;
    for (const std::string& s : cal.weights_text) rounded.push_back(std::stod(s));
    if (agreement(fit_cases, rounded, f.t) >= exact || d == 9) {
      f.w = rounded;
      break;
    }
  }
  cal.weights_after = f.w;
  cal.thresholds_after = f.t;
  cal.optimal = f.optimal;
  cal.rounds = f.rounds;
  // The verdicts after, by the engine's own recombination (overrides that
  // read `total` or scores included), and why a case still disagrees.
  for (size_t k = 0; k < fit_cases.size(); ++k) {
    size_t at = fit_index[k];
    CalibratedCase& cc = cal.cases[at];
    Decision& d = decisions[at];
    recombine(*policy, past[at].c, cal.weights_after, &d);
    if (d.rule < 0 && d.weight_sum > 0) d.verdict = threshold_verdict(cal.thresholds_after, d.total);
    cc.after = d.verdict;
    cc.total_after = d.total;
    if (cc.after == cc.decided) {
      ++cal.agree_after;
      continue;
    }
    if (d.weight_sum <= 0) {
      cc.reason = "no criterion voted, so a person decides (review) whatever the weights";
    } else if (d.rule >= 0) {
      cc.reason = "with the fitted weights override " + policy->overrides()[static_cast<size_t>(d.rule)].id + " decides";
    } else if (!vote_can_give(cc.decided)) {
      cc.reason = "the weighted vote gives only insource, hybrid or outsource; " + std::string(verdict_name(cc.decided)) +
                  " needs an override";
    } else {
      const Thresholds& t = cal.thresholds_after;
      std::string where = cc.total_after >= t.insource - kThresholdEpsilon ? "at or above the insource threshold " + fmt("%+.3f", t.insource)
                          : cc.total_after <= t.outsource + kThresholdEpsilon
                              ? "at or below the outsource threshold " + fmt("%+.3f", t.outsource)
                              : "between the thresholds";
      cc.reason = "total " + fmt("%+.3f", cc.total_after) + " is " + where +
                  "; no weights reproduce it together with the cases that agree";
    }
  }
  cal.reproducible = cal.agree_after == cal.fitted;
  if (o.leave_one_out && fit_cases.size() >= 2) {
    cal.loo_agree = 0;
    for (size_t k = 0; k < fit_cases.size(); ++k) {
      std::vector<FitCase> rest;
      for (size_t j = 0; j < fit_cases.size(); ++j)
        if (j != k) rest.push_back(fit_cases[j]);
      Fit g = fit(rest, cal.weights_before, cal.thresholds_before, o);
      size_t at = fit_index[k];
      Decision d = decisions[at];
      recombine(*policy, past[at].c, g.w, &d);
      if (d.rule < 0 && d.weight_sum > 0) d.verdict = threshold_verdict(g.t, d.total);
      cal.cases[at].loo_agrees = d.verdict == fit_cases[k].decided;
      cal.loo_agree += cal.cases[at].loo_agrees ? 1 : 0;
    }
  }
  return cal;
}

std::string calibration_text(const Calibration& c) {
  std::string t;
  auto pct = [](int a, int b) { return b > 0 ? fmt("%.1f%%", 100.0 * a / b) : std::string("-"); };
  int left_out = static_cast<int>(c.cases.size()) - c.fitted;
  t += std::to_string(c.cases.size()) + " past cases, " + std::to_string(c.fitted) + " fitted";
  t += left_out > 0 ? ", " + std::to_string(left_out) + " left out:\n" : "\n";
  for (const auto& cc : c.cases)
    if (!cc.left_out.empty())
      t += "  " + cc.id + " (decided " + std::string(verdict_name(cc.decided)) + "): " + cc.left_out + "\n";
  t += "agreement before: " + std::to_string(c.agree_before) + " of " + std::to_string(c.fitted) + " (" +
       pct(c.agree_before, c.fitted) + ")\n";
  t += "agreement after:  " + std::to_string(c.agree_after) + " of " + std::to_string(c.fitted) + " (" +
       pct(c.agree_after, c.fitted) + ")" + (c.optimal ? "" : " (time limit: best found, not proven optimal)") + "\n";
  if (c.loo_agree >= 0)
    t += "leave-one-out:    " + std::to_string(c.loo_agree) + " of " + std::to_string(c.fitted) + " (" +
         pct(c.loo_agree, c.fitted) + "), each case predicted by weights fitted without it\n";
  if (c.loo_agree >= 0 && c.loo_agree < c.fitted) {
    std::string missed;
    for (const auto& cc : c.cases)
      if (cc.left_out.empty() && !cc.loo_agrees) {
        if (!missed.empty()) missed += ", ";
        missed += cc.id;
      }
    t += "  missed when left out: " + missed + "\n";
  }
  if (!c.reproducible) t += "no weights" + std::string(c.rounds > 1 ? " and thresholds" : "") + " reproduce every fitted verdict\n";
  t += "weights (normalised to sum 1; after: as written, the fewest decimals that keep the fit):\n";
  size_t width = 0;
  for (const auto& n : c.criteria) width = std::max(width, n.size());
  for (size_t i = 0; i < c.criteria.size(); ++i)
    t += "  " + c.criteria[i] + std::string(width - c.criteria[i].size() + 2, ' ') + fmt("%.4f", c.weights_before[i]) +
         " -> " + (c.weights_text.empty() ? fmt("%.4f", c.weights_after[i]) : c.weights_text[i]) + "\n";
  if (c.thresholds_after.insource != c.thresholds_before.insource ||
      c.thresholds_after.outsource != c.thresholds_before.outsource)
    t += "thresholds: insource " + fmt("%+.4f", c.thresholds_before.insource) + " -> " + fmt("%+.4f", c.thresholds_after.insource) +
         ", outsource " + fmt("%+.4f", c.thresholds_before.outsource) + " -> " + fmt("%+.4f", c.thresholds_after.outsource) + "\n";
  bool any = false;
  for (const auto& cc : c.cases) {
    if (!cc.left_out.empty() || cc.after == cc.decided) continue;
    if (!any) t += "still disagreeing:\n";
    any = true;
    t += "  " + cc.id + ": decided " + std::string(verdict_name(cc.decided)) + ", fitted weights give " +
         std::string(verdict_name(cc.after)) + ": " + cc.reason + "\n";
  }
  return t;
}

std::string calibration_json(const Calibration& c) {
  nlohmann::ordered_json j;
  j["cases"] = c.cases.size();
  j["fitted"] = c.fitted;
  j["agreement_before"] = c.agree_before;
  j["agreement_after"] = c.agree_after;
  j["leave_one_out"] = c.loo_agree >= 0 ? nlohmann::ordered_json(c.loo_agree) : nlohmann::ordered_json(nullptr);
  nlohmann::ordered_json loo_missed = nlohmann::ordered_json::array();
  if (c.loo_agree >= 0)
    for (const auto& cc : c.cases)
      if (cc.left_out.empty() && !cc.loo_agrees) loo_missed.push_back(cc.id);
  j["leave_one_out_missed"] = loo_missed;
  j["reproducible"] = c.reproducible;
  j["optimal"] = c.optimal;
  nlohmann::ordered_json before = nlohmann::ordered_json::object(), after = nlohmann::ordered_json::object();
  for (size_t i = 0; i < c.criteria.size(); ++i) {
    before[c.criteria[i]] = c.weights_before[i];
    after[c.criteria[i]] = c.weights_after[i];
  }
  j["weights_before"] = before;
  j["weights_after"] = after;
  j["thresholds_before"] = {{"insource", c.thresholds_before.insource}, {"outsource", c.thresholds_before.outsource}};
  j["thresholds_after"] = {{"insource", c.thresholds_after.insource}, {"outsource", c.thresholds_after.outsource}};
  nlohmann::ordered_json left = nlohmann::ordered_json::array(), dis = nlohmann::ordered_json::array();
  for (const auto& cc : c.cases) {
    if (!cc.left_out.empty()) {
      left.push_back({{"id", cc.id}, {"decided", verdict_name(cc.decided)}, {"reason", cc.left_out}});
    } else if (cc.after != cc.decided) {
      dis.push_back({{"id", cc.id},
                     {"decided", verdict_name(cc.decided)},
                     {"before", verdict_name(cc.before)},
                     {"after", verdict_name(cc.after)},
                     {"total", cc.total_after},
                     {"reason", cc.reason}});
    }
  }
  j["left_out"] = left;
  j["disagreeing"] = dis;
  return json_text(j, 2) + "\n";
}

}  // namespace insource
