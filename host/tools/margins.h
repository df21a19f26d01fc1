// Flip margins: how far a verdict is from becoming another one.
//
// For every criterion that voted: the interval of its weight (the other
// weights fixed) and of its score (within the range its plugin declares) over
// which the verdict stays the same, and the verdict just beyond each end. The
// ends are found on the engine's own arithmetic (recombine(), which combines
// votes exactly as decide() does): the analytic crossing points of the
// thresholds (and of constants that overrides compare `total` or a score
// with) locate each change, and bisection on doubles pins it down to adjacent
// doubles, so the low end is the smallest weight that keeps the verdict and
// the next double below it flips it.
//
// For a verdict that an override decided: what would have to change in the
// case for the override to stop matching (from the structure of its
// condition), and what the weighted vote alone says. For every verdict: the
// overrides with another verdict that would decide if some facts changed.
#ifndef INSOURCE_HOST_MARGINS_H_
#define INSOURCE_HOST_MARGINS_H_

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/case.h"
#include "tools/condition_shape.h"
#include "policy/evaluator.h"
#include "policy/policy.h"

namespace insource {

struct CriterionMargin {
  std::string criterion;
  CriterionOutcome::State state = CriterionOutcome::State::kAbstained;
  double weight = 0.0;                  // now
  double weight_low = 0.0;              // the smallest weight that keeps the verdict
  double weight_high = HUGE_VAL;        // the largest (HUGE_VAL: no upper end)
  std::optional<Verdict> below;         // the verdict just below weight_low (none: even 0 keeps it)
  std::optional<Verdict> above;         // the verdict just above weight_high
  double score = 0.0;                   // now
  double score_min = -1.0, score_max = 1.0;  // what its plugin declares
  double score_low = 0.0, score_high = 0.0;  // the scores that keep the verdict
  std::optional<Verdict> score_below, score_above;
};

struct TakeOver {
  int rule = -1;    // the override
  Changes changes;  // what would make it match
};

struct Margins {
  Verdict verdict = Verdict::kReview;
  int rule = -1;               // the deciding override, or -1
  double total = 0.0;
  bool voted = false;          // some criterion voted
  Verdict vote_verdict = Verdict::kReview;  // what the thresholds alone say
  Thresholds thresholds;
  std::vector<CriterionMargin> criteria;  // as Policy::criteria()
  Changes unmatch;             // override-decided: what would make the override stop matching
  std::vector<TakeOver> take_over;        // overrides with another verdict that could decide instead
  bool approximate = false;    // an override uses `total` or a score in arithmetic: ends found by sampling
};

// Margins of a decision made by decide() on `c` (not failed).
Margins compute_margins(const Policy& policy, const CaseFacts& c, const Decision& d);

// For people: what would flip the verdict, each line starting with `indent`.
std::string margins_text(const Policy& policy, const Margins& m, const std::string& indent = "  ");
nlohmann::ordered_json margins_json(const Policy& policy, const Margins& m);

// A bound for a sentence, rounded away from the side that keeps the verdict
// (`down`: rounded down), so that "fell below X" is true of every weight below X.
std::string bound_text(double x, bool down);

}  // namespace insource

#endif  // INSOURCE_HOST_MARGINS_H_
