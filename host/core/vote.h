// The weighted vote, in one place: how the criteria's scores become a total
// and the total a band. The evaluator decides with it and the policy tools
// (flip margins, explanations, static checks, rule-test coverage) recombine
// with it, so a what-if can never drift from what `decide` does.
//
// The rule: each criterion that voted adds weight * score; one that
// abstained (or faulted under on_error abstain/verdict) adds nothing, and
// the remaining weights renormalise: total = sum(w s) / sum(w) over the
// voters. With no voter there is no total and the vote says review.
// The thresholds are inclusive, with an allowance of kThresholdEpsilon for
// the rounding of the sum: total >= insource - eps is insource,
// total <= outsource + eps is outsource, anything between is hybrid
// (docs/criteria.md section 6).
#ifndef INSOURCE_CORE_VOTE_H_
#define INSOURCE_CORE_VOTE_H_

#include <array>

#include "core/verdict.h"

namespace insource {

struct Thresholds {
  double insource = 0.20;
  double outsource = -0.20;
};

// The allowance of the threshold comparisons (docs/criteria.md section 6).
inline constexpr double kThresholdEpsilon = 1e-9;

// The totals at which the band changes: {insource - eps, outsource + eps}.
inline std::array<double, 2> threshold_cuts(const Thresholds& t) {
  return {t.insource - kThresholdEpsilon, t.outsource + kThresholdEpsilon};
}

// The band of a total (with at least one voter).
inline Verdict threshold_verdict(const Thresholds& t, double total) {
  if (total >= t.insource - kThresholdEpsilon) return Verdict::kInsource;
  if (total <= t.outsource + kThresholdEpsilon) return Verdict::kOutsource;
  return Verdict::kHybrid;
}

// Accumulates the voters one by one (no allocation: the evaluator's hot path).
class WeightedVote {
 public:
  void add(double weight, double score) {
    weighted_ += weight * score;
    weight_sum_ += weight;
  }
  bool any() const { return weight_sum_ > 0.0; }
  double weight_sum() const { return weight_sum_; }
  double weighted_sum() const { return weighted_; }
  // The renormalised total; 0 when nobody voted.
  double total() const { return any() ? weighted_ / weight_sum_ : 0.0; }
  // A voter's share of the total.
  double contribution(double weight, double score) const { return any() ? weight * score / weight_sum_ : 0.0; }
  // The band the vote alone gives: review when nobody voted.
  Verdict band(const Thresholds& t) const { return any() ? threshold_verdict(t, total()) : Verdict::kReview; }

 private:
  double weighted_ = 0.0, weight_sum_ = 0.0;
};

}  // namespace insource

#endif  // INSOURCE_CORE_VOTE_H_
