// How sure is a verdict? (issue 13) A Monte Carlo simulation over a case's
// uncertain facts (CaseFacts::uncertain) and the policy's weight ranges:
// every draw is decided by the unchanged plugins and rules, overrides
// included, with an Evaluator of its thread's own.
//
// Deterministic for a seed on any number of threads: draw i's values come
// from DrawRng(seed, i) alone, the verdict counts are sums of integers, and
// the totals are kept by draw index and reduced in draw order.
#ifndef INSOURCE_TOOLS_SIMULATE_H_
#define INSOURCE_TOOLS_SIMULATE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/case.h"
#include "core/verdict.h"
#include "policy/evaluator.h"
#include "policy/policy.h"

namespace insource {

struct SimulationOptions {
  uint64_t draws = 10000;
  uint64_t seed = 1;
  unsigned jobs = 1;     // threads; the result is the same for any number
  bool drivers = true;   // also measure each input's effect (one more decision a draw per input)
};

// One uncertain input and how much it moves the leading verdict: the
// probability of the leading verdict with the input fixed at its median
// (levels: the median level; bools: the likelier value; weights: the
// midpoint), minus the probability with every input drawn. Measured on the
// same draws (common random numbers), so the difference is the input's own.
struct SimulationDriver {
  std::string input;  // a fact ("cost.hours"), or "weight.<criterion>"
  double effect = 0;
};

struct Simulation {
  uint64_t draws = 0;
  uint64_t seed = 0;
  uint64_t failed = 0;  // draws a plugin fault left without a verdict (on_error: fail)
  std::array<uint64_t, kVerdictCount> counts{};
  Verdict leading = Verdict::kReview;  // the most frequent verdict
  double p5 = 0, p50 = 0, p95 = 0, mean = 0;  // of the total over the draws with a verdict
  // The total's distribution: kHistogramBins equal bins from the lowest to the
  // highest total (edges has one more entry than counts); empty when no draw
  // had a verdict. For the report's chart.
  static constexpr size_t kHistogramBins = 20;
  std::vector<double> histogram_edges;
  std::vector<uint64_t> histogram_counts;
  Decision likely;  // decided at the most likely values (with rationale)
  std::vector<SimulationDriver> drivers;  // largest |effect| first
  size_t inputs = 0;                      // uncertain facts plus weight ranges

  double probability(Verdict v) const;
  // Wilson's 95% score interval for that probability.
  std::array<double, 2> interval(Verdict v) const;
};

// Simulates `c` under `policy`. With `evaluator` (of this policy, this
// thread's: the server's), one thread uses it instead of making its own, and
// o.jobs is taken as 1.
Simulation simulate(const std::shared_ptr<const Policy>& policy, const CaseFacts& c, const SimulationOptions& o,
                    Evaluator* evaluator = nullptr);

// Wilson's 95% score interval for k successes in n trials.
std::array<double, 2> wilson_interval(uint64_t k, uint64_t n);

}  // namespace insource

#endif  // INSOURCE_TOOLS_SIMULATE_H_
