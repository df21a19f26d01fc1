#include "core/uncertainty.h"

#include <algorithm>
#include <cmath>

namespace insource {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double p) {
  // Acklam's algorithm: a rational approximation (relative error 1.15e-9) in
  // a central region and two tails, then one Halley step on erfc.
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  if (p <= 0) return -HUGE_VAL;
  if (p >= 1) return HUGE_VAL;
  const double low = 0.02425;
  double x;
  if (p < low) {
    double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - low) {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = normal_cdf(x) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double DrawRng::normal() { return normal_quantile(uniform()); }

namespace {

// Gamma(shape, 1) for shape >= 1: Marsaglia and Tsang (2000), the method
// std::gamma_distribution implementations use; exact, with a rejection rate
// of a few percent.
double gamma_draw(double shape, DrawRng& rng) {
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

}  // namespace

void Distribution::prepare() {
  switch (kind) {
    case Kind::kPert: {
      const double range = high - low;
      alpha = range > 0 ? 1 + 4 * (likely - low) / range : 1;
      beta = range > 0 ? 1 + 4 * (high - likely) / range : 1;
      break;
    }
    case Kind::kNormal:
      cdf_low = std::isfinite(low) ? normal_cdf((low - mean) / sd) : 0.0;
      cdf_high = std::isfinite(high) ? normal_cdf((high - mean) / sd) : 1.0;
      break;
    case Kind::kLevels: {
      cumulative.clear();
      double sum = 0;
      for (double p : probs) cumulative.push_back(sum += p);
      if (!cumulative.empty()) cumulative.back() = 1.0;  // rounding never leaves a gap at the top
      break;
    }
    case Kind::kUniform:
    case Kind::kBernoulli: break;
  }
}

insource_value Distribution::draw(DrawRng& rng) const {
  switch (kind) {
    case Kind::kPert: {
      if (!(high > low)) return make_number(low);
      const double x = gamma_draw(alpha, rng), y = gamma_draw(beta, rng);
      return make_number(std::clamp(low + (high - low) * (x / (x + y)), low, high));
    }
    case Kind::kUniform: return make_number(std::clamp(low + (high - low) * rng.uniform(), low, high));
    case Kind::kNormal: {
      // Inversion within [cdf_low, cdf_high]: one uniform a draw, however far
      // out the bounds cut (rejection could loop for long).
      const double p = cdf_low + (cdf_high - cdf_low) * rng.uniform();
      double x = mean + sd * normal_quantile(p);
      if (!std::isfinite(x)) x = p < 0.5 ? low : high;
      return make_number(std::clamp(x, low, high));
    }
    case Kind::kLevels: {
      const double u = rng.uniform();
      size_t i = 0;
      while (i + 1 < cumulative.size() && u >= cumulative[i]) ++i;
      return make_string(levels[i]);
    }
    case Kind::kBernoulli: return make_bool(rng.uniform() < p_true);
  }
  return make_absent();
}

insource_value Distribution::most_likely() const {
  switch (kind) {
    case Kind::kPert: return make_number(likely);
    case Kind::kUniform: return make_number((low + high) / 2);
    case Kind::kNormal: return make_number(std::clamp(mean, low, high));
    case Kind::kLevels: {
      size_t best = 0;
      for (size_t i = 1; i < probs.size(); ++i)
        if (probs[i] > probs[best]) best = i;
      return make_string(levels[best]);
    }
    case Kind::kBernoulli: return make_bool(p_true >= 0.5);
  }
  return make_absent();
}

insource_value Distribution::median() const {
  switch (kind) {
    case Kind::kPert:
      // The Beta median's approximation (a - 1/3) / (a + b - 2/3) (Kerman
      // 2011), within 1% for shapes >= 1, which PERT's always are.
      return make_number(low + (high - low) * (alpha - 1.0 / 3.0) / (alpha + beta - 2.0 / 3.0));
    case Kind::kUniform: return make_number((low + high) / 2);
    case Kind::kNormal: {
      const double x = mean + sd * normal_quantile((cdf_low + cdf_high) / 2);
      return make_number(std::isfinite(x) ? std::clamp(x, low, high) : std::clamp(mean, low, high));
    }
    case Kind::kLevels: {
      size_t i = 0;
      while (i + 1 < cumulative.size() && cumulative[i] < 0.5) ++i;
      return make_string(levels[i]);
    }
    case Kind::kBernoulli: return make_bool(p_true >= 0.5);
  }
  return make_absent();
}

std::string Distribution::describe() const {
  switch (kind) {
    case Kind::kPert:
      return "PERT(" + format_number(low) + ", " + format_number(likely) + ", " + format_number(high) + ")";
    case Kind::kUniform: return "uniform(" + format_number(low) + ", " + format_number(high) + ")";
    case Kind::kNormal: return "normal(" + format_number(mean) + ", " + format_number(sd) + ")";
    case Kind::kLevels: {
      std::string out = "{";
      for (size_t i = 0; i < levels.size(); ++i)
        out += (i ? ", " : "") + std::string(levels[i]) + ": " + format_number(probs[i]);
      return out + "}";
    }
    case Kind::kBernoulli: return "p_true " + format_number(p_true);
  }
  return "";
}

}  // namespace insource
