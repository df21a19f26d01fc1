#include "analysis/calibrate_milp.h"

#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>


namespace insource {
namespace {

// How far inside each inequality (strict or not) the program keeps the
// total, so that GLPK's feasibility tolerance (1e-7) cannot land it on the
// wrong side; the fitted verdicts are checked with the engine's own
// arithmetic afterwards.
constexpr double kStrict = 1e-6;
// A missed case costs more than any change of weights can (sum |dw| <= 2).
constexpr double kMissCost = 10.0;

struct Problem {
  glp_prob* p = glp_create_prob();
  ~Problem() { glp_delete_prob(p); }
};

}  // namespace

double short_decimal_between(double lo, double hi) {
  for (int d = 1; d <= 15; ++d) {
    double scale = std::pow(10.0, d);
    double c = std::round((lo + hi) / 2 * scale) / scale;
    // Clear of both ends by more than the engine's threshold allowance.
    if (c > lo + 2 * kThresholdEpsilon && c < hi - 2 * kThresholdEpsilon) return c;
  }
  return (lo + hi) / 2;
}

Verdict vote_verdict(const FitCase& c, const std::vector<double>& w, const Thresholds& t, double* total) {
  // The engine's own vote (core/vote.h), so the fit counts agreement as decide would.
  WeightedVote vote;
  for (size_t i = 0; i < w.size(); ++i)
    if (c.voted[i]) vote.add(w[i], c.scores[i]);
  *total = vote.total();
  return vote.band(t);
}

FitResult fit_weights(const std::vector<FitCase>& cases, const std::vector<double>& start, const Thresholds& t,
                      double min_weight, double time_limit_s) {
  const int n = static_cast<int>(start.size());
  const int m = static_cast<int>(cases.size());
  Problem prob;
  glp_prob* p = prob.p;
  glp_set_obj_dir(p, GLP_MIN);
  // Columns: w_1..w_n, d_1..d_n (|w_i - start_i|), z_1..z_m (case missed).
  glp_add_cols(p, 2 * n + m);
  for (int i = 0; i < n; ++i) {
    glp_set_col_bnds(p, 1 + i, GLP_DB, min_weight, 1.0);
    glp_set_col_bnds(p, 1 + n + i, GLP_LO, 0.0, 0.0);
    glp_set_obj_coef(p, 1 + n + i, 1.0);
  }
  for (int k = 0; k < m; ++k) {
    glp_set_col_kind(p, 1 + 2 * n + k, GLP_BV);
    glp_set_obj_coef(p, 1 + 2 * n + k, kMissCost);
  }
  std::vector<int> idx(1);
  std::vector<double> val(1);
  auto row = [&](int type, double lo, double hi) {
    int r = glp_add_rows(p, 1);
    glp_set_row_bnds(p, r, type, lo, hi);
    glp_set_mat_row(p, r, static_cast<int>(idx.size()) - 1, idx.data(), val.data());
    idx.resize(1);
    val.resize(1);
  };
  auto add = [&](int col, double v) {
    idx.push_back(col);
    val.push_back(v);
  };
  // Weights sum to 1 (the vote does not depend on their scale).
  for (int i = 0; i < n; ++i) add(1 + i, 1.0);
  row(GLP_FX, 1.0, 1.0);
  for (int i = 0; i < n; ++i) {  // d_i >= w_i - s_i and d_i >= s_i - w_i
    add(1 + n + i, 1.0);
    add(1 + i, -1.0);
    row(GLP_LO, -start[static_cast<size_t>(i)], 0.0);
    add(1 + n + i, 1.0);
    add(1 + i, 1.0);
    row(GLP_LO, start[static_cast<size_t>(i)], 0.0);
  }
  // total >= T  <=>  sum_voters w_i (s_i - T) >= 0; relaxed by M when missed.
  auto vote_row = [&](const FitCase& c, int z, double threshold, bool at_least, double margin) {
    double big = margin;
    for (int i = 0; i < n; ++i) {
      if (!c.voted[static_cast<size_t>(i)]) continue;
      double a = c.scores[static_cast<size_t>(i)] - threshold;
      add(1 + i, a);
      big = std::max(big, std::fabs(a) + margin);
    }
    big += 1.0;
    if (at_least) {  // sum + M z >= margin
      add(z, big);
      row(GLP_LO, margin, 0.0);
    } else {  // sum - M z <= -margin
      add(z, -big);
      row(GLP_UP, 0.0, -margin);
    }
  };
  for (int k = 0; k < m; ++k) {
    const FitCase& c = cases[static_cast<size_t>(k)];
    int z = 1 + 2 * n + k;
    switch (c.decided) {
      case Verdict::kInsource:
        vote_row(c, z, t.insource, true, kStrict);
        break;
      case Verdict::kOutsource:
        vote_row(c, z, t.outsource, false, kStrict);
        break;
      case Verdict::kHybrid:
        vote_row(c, z, t.insource, false, kStrict);
        vote_row(c, z, t.outsource, true, kStrict);
        break;
      default:  // the vote never gives it: always missed
        glp_set_col_bnds(p, z, GLP_FX, 1.0, 1.0);
        break;
    }
  }
  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  parm.presolve = GLP_ON;
  parm.tm_lim = static_cast<int>(time_limit_s * 1000);
  int rc = glp_intopt(p, &parm);
  int status = glp_mip_status(p);
  if ((rc != 0 && rc != GLP_ETMLIM) || (status != GLP_OPT && status != GLP_FEAS))
    throw std::runtime_error("the calibration program could not be solved (GLPK code " + std::to_string(rc) +
                             ", status " + std::to_string(status) + ")");
  FitResult r;
  r.optimal = status == GLP_OPT && rc == 0;
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    r.weights.push_back(std::max(min_weight, glp_mip_col_val(p, 1 + i)));
    sum += r.weights.back();
  }
  for (double& w : r.weights) w /= sum;
  for (int k = 0; k < m; ++k) r.missed += glp_mip_col_val(p, 1 + 2 * n + k) > 0.5 ? 1 : 0;
  return r;
}

Thresholds fit_thresholds(const std::vector<double>& totals, const std::vector<Verdict>& decided, const Thresholds& start) {
  // Candidate cut points: the current thresholds, and one point in each gap
  // between neighbouring totals and beyond the lowest and highest. A cut in
  // a gap, not on a total, keeps its verdicts when it is written to a rules
  // file and read back; and the shortest decimal in the gap reads well.
  std::vector<double> sorted = totals;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<double> cuts{start.insource, start.outsource};
  if (!sorted.empty()) {
    cuts.push_back(short_decimal_between(sorted.front() - 0.02, sorted.front()));
    cuts.push_back(short_decimal_between(sorted.back(), sorted.back() + 0.02));
  }
  for (size_t i = 0; i + 1 < sorted.size(); ++i) cuts.push_back(short_decimal_between(sorted[i], sorted[i + 1]));
  Thresholds best = start;
  int best_agree = -1;
  double best_change = 0.0;
  for (double hi : cuts) {
    for (double lo : cuts) {
      if (!(hi > lo)) continue;
      Thresholds t{hi, lo};
      int agree = 0;
      for (size_t k = 0; k < totals.size(); ++k) agree += threshold_verdict(t, totals[k]) == decided[k] ? 1 : 0;
      double change = std::fabs(hi - start.insource) + std::fabs(lo - start.outsource);
      if (agree > best_agree || (agree == best_agree && change < best_change)) {
        best = t;
        best_agree = agree;
        best_change = change;
      }
    }
  }
  return best;
}

}  // namespace insource
