// The mixed-integer program behind calibration (analysis/calibrate.h),
// solved with GLPK: weights that reproduce most labelled cases, then change
// least from the current ones.
#ifndef INSOURCE_ANALYSIS_CALIBRATE_MILP_H_
#define INSOURCE_ANALYSIS_CALIBRATE_MILP_H_

#include <vector>

#include <cstdint>

#include "core/verdict.h"
#include "core/vote.h"

namespace insource {

// One labelled case as the program sees it: each criterion's score and
// whether it voted, and the verdict the thresholds must give.
struct FitCase {
  std::vector<double> scores;
  std::vector<uint8_t> voted;
  Verdict decided = Verdict::kReview;  // insource, outsource or hybrid (others cannot come from the vote)
};

struct FitResult {
  std::vector<double> weights;  // summing to 1
  int missed = 0;
  bool optimal = true;
};

// Weights w >= min_weight, sum 1, minimising 10 * (cases missed) + sum |w - start|.
// Throws std::runtime_error when GLPK fails.
FitResult fit_weights(const std::vector<FitCase>& cases, const std::vector<double>& start, const Thresholds& t,
                      double min_weight, double time_limit_s);

// The thresholds (insource > outsource) that make the most of `totals` give
// `decided`, ties broken by the smallest change from `start`.
Thresholds fit_thresholds(const std::vector<double>& totals, const std::vector<Verdict>& decided, const Thresholds& start);

// The decimal with the fewest places strictly between lo and hi (clear of
// both by more than the thresholds' allowance), else the midpoint.
double short_decimal_between(double lo, double hi);

// The verdict the thresholds give a total, as the evaluator decides it.
Verdict vote_verdict(const FitCase& c, const std::vector<double>& w, const Thresholds& t, double* total);

}  // namespace insource

#endif  // INSOURCE_ANALYSIS_CALIBRATE_MILP_H_
