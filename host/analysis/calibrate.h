// Calibration: the weights (and, when asked, the thresholds) that reproduce
// most of the verdicts an organisation actually took on past cases, ties
// broken by the smallest change from the current weights.
//
// Once each case's scores are known the weighted vote is linear in the
// weights: total >= T  <=>  sum over voters of w_i (s_i - T) >= 0, which
// holds for the renormalised total too because the sum of the voters'
// weights is positive. So each past verdict is a linear constraint, relaxed
// by a binary "missed" variable (big-M), and GLPK's branch and cut finds the
// weights that miss fewest cases, then change least (L1).
#ifndef INSOURCE_ANALYSIS_CALIBRATE_H_
#define INSOURCE_ANALYSIS_CALIBRATE_H_

#include <chrono>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "core/case.h"
#include "policy/evaluator.h"
#include "policy/input_limits.h"
#include "policy/policy.h"

namespace insource {

// A past case with the verdict that was taken.
struct PastCase {
  CaseFacts c;
  Verdict decided = Verdict::kReview;
  SourcePos pos;  // where the case starts
};

// Reads past cases (one YAML or JSON document: a list of cases, or one case),
// each a case as `decide` reads it plus `decided: <verdict>`. Throws
// RulesError naming file:line:column and the case for each problem.
// The text is held to `limits`.
std::vector<PastCase> read_past_cases(const std::string& text, const std::string& label, const FactSchema& schema,
                                      const InputLimits& limits = InputLimits{});

struct CalibratedCase {
  std::string id;
  Verdict decided = Verdict::kReview;
  Verdict before = Verdict::kReview;
  Verdict after = Verdict::kReview;
  double total_before = 0.0, total_after = 0.0;
  std::string left_out;  // why it is not part of the fit (an override decided, a plugin failed), or empty
  std::string reason;    // when `after` still differs from `decided`: why
  // Leave-one-out: weights fitted without this case give its verdict (fitted cases, when run).
  bool loo_agrees = false;
};

struct CalibrationOptions {
  bool thresholds = false;   // fit the thresholds too
  bool leave_one_out = true;
  double min_weight = 0.001;  // a weight of 0 would remove its criterion
  double time_limit_s = 20.0;  // per MILP
  // When the whole calibration must be over (the server's request budget):
  // each program gets at most the time left, and none starts after it.
  std::optional<std::chrono::steady_clock::time_point> until;
};

struct Calibration {
  std::vector<std::string> criteria;
  std::vector<double> weights_before;  // normalised to sum 1
  std::vector<double> weights_after;   // as written: weights_text read back
  std::vector<std::string> weights_text;  // rounded to sum exactly 1 (empty when nothing was fitted)
  Thresholds thresholds_before, thresholds_after;
  std::vector<CalibratedCase> cases;
  int fitted = 0;            // cases in the fit
  int agree_before = 0;      // of the fitted cases
  int agree_after = 0;
  int loo_agree = -1;        // leave-one-out: fitted cases predicted right by weights fitted without them (-1: not run)
  bool reproducible = true;  // some weights reproduce every fitted verdict
  bool optimal = true;       // GLPK proved the optimum (false: time limit)
  int rounds = 0;            // alternations between weights and thresholds (--thresholds)
};

// Thrown when options.until passes before the calibration is done.
class CalibrationOutOfTime : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Decides the past cases with `policy`, fits, and re-decides with the fitted
// weights. Throws std::runtime_error when GLPK fails, CalibrationOutOfTime
// when options.until passes.
Calibration calibrate(const std::shared_ptr<const Policy>& policy, const std::vector<PastCase>& past,
                      const CalibrationOptions& options);

std::string calibration_text(const Calibration& c);
std::string calibration_json(const Calibration& c);

}  // namespace insource

#endif  // INSOURCE_ANALYSIS_CALIBRATE_H_
