#include "analysis/ahp.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>

namespace insource {

double ahp_random_index(int n) {
  // Saaty's random indices (mean consistency index of random reciprocal
  // matrices on the 1-9 scale), n = 1..15, as tabulated in Saaty (1980/2012).
  static const double kRi[kAhpMaxCriteria + 1] = {0,    0,    0,    0.58, 0.90, 1.12, 1.24, 1.32,
                                                  1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59};
  if (n < 0 || n > kAhpMaxCriteria) throw std::invalid_argument("no random index for " + std::to_string(n) + " criteria");
  return kRi[n];
}

AhpEigen ahp_solve(const AhpMatrix& m) {
  const int n = m.n;
  AhpEigen e;
  e.weights.assign(static_cast<size_t>(n), 1.0 / n);
  if (n == 0) return e;
  std::vector<double> next(static_cast<size_t>(n));
  // A positive matrix has a simple dominant eigenvalue (Perron), so power
  // iteration from the uniform vector converges; reciprocal matrices of
  // Saaty's scale converge in a few dozen steps.
  for (int it = 1; it <= 100000; ++it) {
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
      double s = 0.0;
      for (int j = 0; j < n; ++j) s += m.at(i, j) * e.weights[static_cast<size_t>(j)];
      next[static_cast<size_t>(i)] = s;
      sum += s;
    }
    double change = 0.0;
    for (int i = 0; i < n; ++i) {
      next[static_cast<size_t>(i)] /= sum;
      change = std::max(change, std::fabs(next[static_cast<size_t>(i)] - e.weights[static_cast<size_t>(i)]));
    }
    e.weights.swap(next);
    e.iterations = it;
    if (change <= 1e-12) break;
  }
  // lambda max: the mean of (A w)_i / w_i (equal for every i at convergence).
  double lambda = 0.0;
  for (int i = 0; i < n; ++i) {
    double s = 0.0;
    for (int j = 0; j < n; ++j) s += m.at(i, j) * e.weights[static_cast<size_t>(j)];
    lambda += s / e.weights[static_cast<size_t>(i)];
  }
  e.lambda_max = lambda / n;
  if (n > 2) {
    e.ci = std::max(0.0, (e.lambda_max - n) / (n - 1));
    e.cr = e.ci / ahp_random_index(n);
  }
  return e;
}

const std::vector<double>& ahp_scale() {
  static const std::vector<double> kScale = [] {
    std::vector<double> s;
    for (int k = 9; k >= 2; --k) s.push_back(1.0 / k);
    for (int k = 1; k <= 9; ++k) s.push_back(k);
    return s;
  }();
  return kScale;
}

std::string ahp_value_text(double v) {
  for (int k = 1; k <= 9; ++k) {
    if (std::fabs(v - k) < 1e-9) return std::to_string(k);
    if (std::fabs(v - 1.0 / k) < 1e-9) return "1/" + std::to_string(k);
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::vector<AhpSuggestion> ahp_suggestions(const AhpMatrix& m, size_t limit) {
  std::vector<AhpSuggestion> out;
  AhpMatrix trial = m;
  for (int i = 0; i < m.n; ++i) {
    for (int j = i + 1; j < m.n; ++j) {
      AhpSuggestion best{i, j, m.at(i, j), m.at(i, j), ahp_solve(m).cr};
      for (double v : ahp_scale()) {
        trial.at(i, j) = v;
        trial.at(j, i) = 1.0 / v;
        double cr = ahp_solve(trial).cr;
        if (cr < best.cr_after - 1e-12) {
          best.suggested = v;
          best.cr_after = cr;
        }
      }
      trial.at(i, j) = m.at(i, j);
      trial.at(j, i) = m.at(j, i);
      if (best.suggested != best.current) out.push_back(best);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const AhpSuggestion& a, const AhpSuggestion& b) { return a.cr_after < b.cr_after; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<AhpSuggestion> ahp_repair(const AhpMatrix& m) {
  std::vector<AhpSuggestion> steps;
  AhpMatrix now = m;
  std::vector<bool> changed(static_cast<size_t>(m.n * m.n), false);
  double cr = ahp_solve(now).cr;
  while (cr > kAhpMaxConsistencyRatio) {
    std::optional<AhpSuggestion> best;
    for (const AhpSuggestion& s : ahp_suggestions(now, static_cast<size_t>(m.n * m.n))) {
      if (changed[static_cast<size_t>(s.i * m.n + s.j)]) continue;  // one change per pair
      best = s;
      break;
    }
    if (!best) break;
    now.at(best->i, best->j) = best->suggested;
    now.at(best->j, best->i) = 1.0 / best->suggested;
    changed[static_cast<size_t>(best->i * m.n + best->j)] = true;
    best->current = m.at(best->i, best->j);
    cr = best->cr_after;
    steps.push_back(*best);
  }
  return steps;
}

AhpMatrix ahp_aggregate(const std::vector<AhpMatrix>& judges) {
  AhpMatrix out;
  if (judges.empty()) return out;
  out.n = judges[0].n;
  out.a.assign(judges[0].a.size(), 0.0);
  for (const AhpMatrix& m : judges)
    for (size_t k = 0; k < m.a.size(); ++k) out.a[k] += std::log(m.a[k]);
  for (double& v : out.a) v = std::exp(v / static_cast<double>(judges.size()));
  return out;
}

}  // namespace insource
