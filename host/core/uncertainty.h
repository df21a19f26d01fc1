// Uncertain inputs (issue 13): a fact a case gives as a distribution instead
// of a value, and a criterion weight a rules file gives as a range. The model
// and the sampling only; reading them is io/distribution_reader, simulating a
// case is tools/simulate.
//
// Sampling is deterministic per (seed, draw index): each draw seeds its own
// generator from both (DrawRng), so a draw's values do not depend on which
// thread takes it or in what order, and a simulation gives the same result on
// any number of threads.
#ifndef INSOURCE_CORE_UNCERTAINTY_H_
#define INSOURCE_CORE_UNCERTAINTY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/value.h"

namespace insource {

// SplitMix64 (Steele, Lea, Flood 2014): a counter-based generator that
// passes BigCrush. Each draw gets its own stream, seeded by mixing the run's
// seed with the draw index, so draws are independent of one another and of
// how they are split among threads.
class DrawRng {
 public:
  DrawRng(uint64_t seed, uint64_t draw) : state_(mix(seed ^ mix(draw + 0x632be59bd9b4e019ULL))) {}
  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix(state_);
  }
  // Uniform in the open interval (0, 1): 53 random bits, never 0 or 1.
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  // Standard normal by inversion (one uniform per normal).
  double normal();

 private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

// The standard normal's cumulative distribution and its inverse (Acklam's
// rational approximation refined by one Halley step: error below 1e-12).
double normal_cdf(double x);
double normal_quantile(double p);

// One uncertain input's distribution.
struct Distribution {
  enum class Kind : uint8_t {
    kPert,       // Beta-PERT (lambda 4) on [low, high] with mode `likely`
    kUniform,    // uniform on [low, high]
    kNormal,     // normal(mean, sd) truncated to [low, high] (the fact's declared bounds)
    kLevels,     // one of `levels` with probability `probs`
    kBernoulli,  // true with probability p_true
  };
  Kind kind = Kind::kUniform;
  double low = 0, likely = 0, high = 0;  // kPert, kUniform; kNormal: the truncation bounds
  double mean = 0, sd = 0;               // kNormal
  double p_true = 0.5;                   // kBernoulli
  std::vector<std::string_view> levels;  // kLevels: views kept alive by the case (CaseFacts::keep)
  std::vector<double> probs;             // kLevels: same order as levels, summing to 1

  // Derived by prepare(): PERT's Beta shapes, the normal's CDF at its bounds,
  // the levels' cumulative probabilities.
  double alpha = 1, beta = 1, cdf_low = 0, cdf_high = 1;
  std::vector<double> cumulative;
  void prepare();

  // A value drawn with `rng` (numbers: clamped into [low, high] against rounding).
  insource_value draw(DrawRng& rng) const;
  // The most likely value: PERT's likely, the uniform's midpoint, the normal's
  // mean clipped to its bounds, the most probable level, true when p_true >= 0.5.
  insource_value most_likely() const;
  // The central value an input is fixed at to measure its effect: the median
  // for numbers (PERT's from the Beta median approximation), the level where
  // the cumulative probability reaches 1/2 (levels in their given order), and
  // true when p_true >= 0.5.
  insource_value median() const;
  // "PERT(800, 1200, 2000)", "uniform(0, 1)", "normal(5, 2)", "{high: 0.6, medium: 0.4}", "p_true 0.7".
  std::string describe() const;
};

// A fact a case gives as a distribution: its slot in the case, the
// distribution, and where it was written (for messages).
struct UncertainFact {
  uint32_t slot = 0;
  Distribution dist;
  int line = 0, column = 0;
  size_t offset = 0;  // JSON: where its key starts in the case's text (the reader turns it into `line`)
};

// A weight given as a range: drawn uniformly from [low, high].
inline double draw_weight(double low, double high, DrawRng& rng) {
  return low == high ? low : low + (high - low) * rng.uniform();
}

}  // namespace insource

#endif  // INSOURCE_CORE_UNCERTAINTY_H_
