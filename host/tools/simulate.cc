#include "tools/simulate.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace insource {

std::array<double, 2> wilson_interval(uint64_t k, uint64_t n) {
  if (n == 0) return {0.0, 1.0};
  const double z = 1.959963984540054, z2 = z * z;
  const double nn = static_cast<double>(n), p = static_cast<double>(k) / nn;
  const double denom = 1 + z2 / nn;
  const double centre = (p + z2 / (2 * nn)) / denom;
  const double half = z / denom * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

double Simulation::probability(Verdict v) const {
  return draws ? static_cast<double>(counts[static_cast<size_t>(v)]) / static_cast<double>(draws) : 0.0;
}

std::array<double, 2> Simulation::interval(Verdict v) const {
  return wilson_interval(counts[static_cast<size_t>(v)], draws);
}

namespace {

// The inputs a draw varies: the case's uncertain facts (in slot order), then
// the criteria whose weight is a range (in policy order).
struct Inputs {
  std::vector<const UncertainFact*> facts;
  std::vector<size_t> weights;  // criterion indexes
  size_t size() const { return facts.size() + weights.size(); }
};

// What one thread counts over its draws.
struct Tally {
  std::array<uint64_t, kVerdictCount> counts{};
  uint64_t failed = 0;
  // Per input, the verdict counts with that input fixed at its median.
  std::vector<std::array<uint64_t, kVerdictCount>> fixed;
};

class Runner {
 public:
  Runner(const std::shared_ptr<const Policy>& policy, const CaseFacts& c, const Inputs& in, const SimulationOptions& o,
         std::vector<double>* totals)
      : policy_(policy), base_(c), in_(in), o_(o), totals_(totals) {
    const auto& criteria = policy->criteria();
    for (const CriterionBinding& b : criteria) mid_weights_.push_back(b.weight);
    for (const UncertainFact* u : in.facts) fact_medians_.push_back(u->dist.median());
  }

  // Decides draws [from, to) into *t, on the calling thread.
  void run(uint64_t from, uint64_t to, Tally* t) {
    Evaluator ev(policy_);
    run(ev, from, to, t);
  }

  void run(Evaluator& ev, uint64_t from, uint64_t to, Tally* t) {
    CaseFacts work;
    work.id = base_.id;
    work.source = base_.source;
    work.facts = base_.facts;
    std::vector<double> weights = mid_weights_;
    std::vector<insource_value> drawn(in_.facts.size());
    Decision d;
    t->fixed.assign(o_.drivers ? in_.size() : 0, {});
    const auto& criteria = policy_->criteria();
    for (uint64_t i = from; i < to; ++i) {
      DrawRng rng(o_.seed, i);
      for (size_t k = 0; k < in_.facts.size(); ++k) {
        drawn[k] = in_.facts[k]->dist.draw(rng);
        work.facts[in_.facts[k]->slot] = drawn[k];
      }
      for (size_t w : in_.weights) weights[w] = draw_weight(criteria[w].weight_low, criteria[w].weight_high, rng);
      const int base = decide(ev, work, weights, &d);
      if (base < 0) ++t->failed;
      else ++t->counts[static_cast<size_t>(base)];
      (*totals_)[i] = base < 0 ? NAN : d.total;
      if (!o_.drivers) continue;
      // The same draw with one input fixed at its median.
      for (size_t k = 0; k < in_.facts.size(); ++k) {
        const uint32_t slot = in_.facts[k]->slot;
        int v = base;
        if (!same(drawn[k], fact_medians_[k])) {
          work.facts[slot] = fact_medians_[k];
          v = decide(ev, work, weights, &d);
          work.facts[slot] = drawn[k];
        }
        if (v >= 0) ++t->fixed[k][static_cast<size_t>(v)];
      }
      for (size_t j = 0; j < in_.weights.size(); ++j) {
        const size_t w = in_.weights[j];
        const double was = weights[w];
        weights[w] = mid_weights_[w];
        const int v = decide(ev, work, weights, &d);
        weights[w] = was;
        if (v >= 0) ++t->fixed[in_.facts.size() + j][static_cast<size_t>(v)];
      }
    }
  }

 private:
  static bool same(const insource_value& a, const insource_value& b) {
    if (a.type != b.type) return false;
    switch (a.type) {
      case INSOURCE_NUMBER: return a.number == b.number;
      case INSOURCE_BOOL: return a.boolean == b.boolean;
      case INSOURCE_STRING: return string_of(a) == string_of(b);
      default: return true;
    }
  }

  // The verdict's index, or -1 when a plugin fault left the draw without one.
  int decide(Evaluator& ev, const CaseFacts& c, const std::vector<double>& weights, Decision* d) {
    ev.decide(c, d, false);
    if (d->failed) return -1;
    if (!in_.weights.empty()) recombine(*policy_, c, weights, d);
    return static_cast<int>(d->verdict);
  }

  const std::shared_ptr<const Policy>& policy_;
  const CaseFacts& base_;
  const Inputs& in_;
  const SimulationOptions& o_;
  std::vector<double>* totals_;
  std::vector<double> mid_weights_;
  std::vector<insource_value> fact_medians_;
};

// The q-quantile of sorted values, interpolated between neighbours (R's type 7).
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double at = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(at));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - static_cast<double>(lo));
}

}  // namespace

Simulation simulate(const std::shared_ptr<const Policy>& policy, const CaseFacts& c, const SimulationOptions& o,
                    Evaluator* evaluator) {
  Simulation s;
  s.draws = std::max<uint64_t>(o.draws, 1);
  s.seed = o.seed;
  SimulationOptions opts = o;
  opts.draws = s.draws;

  Inputs in;
  for (const UncertainFact& u : c.uncertain) in.facts.push_back(&u);
  const auto& criteria = policy->criteria();
  for (size_t i = 0; i < criteria.size(); ++i)
    if (criteria[i].weight_low < criteria[i].weight_high) in.weights.push_back(i);
  s.inputs = in.size();

  // The verdict at the most likely values: the case's slots hold them, and
  // the policy's weights are the ranges' midpoints.
  if (evaluator) {
    evaluator->decide(c, &s.likely, true);
  } else {
    Evaluator ev(policy);
    ev.decide(c, &s.likely, true);
  }

  std::vector<double> totals(s.draws);
  Runner runner(policy, c, in, opts, &totals);
  const unsigned jobs = evaluator ? 1u : std::max(1u, std::min<unsigned>(opts.jobs, static_cast<unsigned>(std::min<uint64_t>(s.draws, 256))));
  std::vector<Tally> tallies(jobs);
  if (evaluator) {
    runner.run(*evaluator, 0, s.draws, &tallies[0]);
  } else if (jobs == 1) {
    runner.run(0, s.draws, &tallies[0]);
  } else {
    std::vector<std::thread> threads;
    for (unsigned j = 0; j < jobs; ++j) {
      const uint64_t from = s.draws * j / jobs, to = s.draws * (j + 1) / jobs;
      threads.emplace_back([&runner, &tallies, from, to, j] { runner.run(from, to, &tallies[j]); });
    }
    for (std::thread& t : threads) t.join();
  }

  std::vector<std::array<uint64_t, kVerdictCount>> fixed(opts.drivers ? in.size() : 0);
  for (const Tally& t : tallies) {
    s.failed += t.failed;
    for (int v = 0; v < kVerdictCount; ++v) s.counts[v] += t.counts[v];
    for (size_t k = 0; k < fixed.size(); ++k)
      for (int v = 0; v < kVerdictCount; ++v) fixed[k][v] += t.fixed[k][v];
  }
  size_t lead = 0;
  for (size_t v = 1; v < kVerdictCount; ++v)
    if (s.counts[v] > s.counts[lead]) lead = v;
  s.leading = static_cast<Verdict>(lead);

  // Totals in draw order, whatever thread decided them: the same sum on any number of threads.
  std::vector<double> decided;
  decided.reserve(totals.size());
  double sum = 0;
  for (double t : totals)
    if (!std::isnan(t)) decided.push_back(t), sum += t;
  if (!decided.empty()) s.mean = sum / static_cast<double>(decided.size());
  std::sort(decided.begin(), decided.end());
  s.p5 = quantile(decided, 0.05);
  s.p50 = quantile(decided, 0.50);
  s.p95 = quantile(decided, 0.95);
  if (!decided.empty()) {
    const double lo = decided.front(), hi = decided.back();
    const size_t bins = hi > lo ? Simulation::kHistogramBins : 1;
    for (size_t b = 0; b <= bins; ++b)
      s.histogram_edges.push_back(b == bins ? hi : lo + (hi - lo) * static_cast<double>(b) / static_cast<double>(bins));
    s.histogram_counts.assign(bins, 0);
    for (double t : decided) {
      size_t b = hi > lo ? static_cast<size_t>((t - lo) / (hi - lo) * static_cast<double>(bins)) : 0;
      ++s.histogram_counts[std::min(b, bins - 1)];  // the highest total falls in the last bin
    }
  }

  const double base = s.probability(s.leading);
  for (size_t k = 0; k < fixed.size(); ++k) {
    SimulationDriver dr;
    dr.input = k < in.facts.size() ? policy->schema().at(in.facts[k]->slot).decl.name
                                   : "weight." + criteria[in.weights[k - in.facts.size()]].name;
    dr.effect = static_cast<double>(fixed[k][lead]) / static_cast<double>(s.draws) - base;
    s.drivers.push_back(std::move(dr));
  }
  // Largest effect first; ties in input order (stable), so the ranking is reproducible.
  std::stable_sort(s.drivers.begin(), s.drivers.end(),
                   [](const SimulationDriver& a, const SimulationDriver& b) { return std::fabs(a.effect) > std::fabs(b.effect); });
  return s;
}

}  // namespace insource
