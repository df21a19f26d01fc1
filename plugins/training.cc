// The built-in "training" criterion (docs/criteria.md section 5).
//
// Employees already know the company's products, services and culture, so
// for complex work insourcing can take less time and money to train for; a
// vendor that brings expertise the company lacks argues the other way.
//
//   ramp      = rel(external_ramp_weeks, internal_ramp_weeks), only when both are given
//   expertise = +1 if expertise_in_house else -1
//   s         = mean(ramp, expertise), over the ones given
//   score     = s x (0.5 + 0.5 x complexity) when complexity is given, else s
#include <insource/plugin.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>
#include <string_view>

namespace {

using insource::bool_fact;
using insource::number_fact;
using insource::string_fact;

enum Fact { kComplexity, kExpertise, kInternalRamp, kExternalRamp, kFactCount };

const char* const kLevels[] = {"low", "medium", "high", nullptr};

const insource_fact_decl kFacts[] = {
    string_fact("training.complexity", 0, kLevels, "How complex the work is to learn; it scales the vote"),
    bool_fact("training.expertise_in_house", 0, "Whether the company's own staff already have the expertise"),
    number_fact("training.internal_ramp_weeks", 0, "weeks", "Weeks the company's own staff need to get up to speed",
                insource::absent_value(), 0.0),
    number_fact("training.external_ramp_weeks", 0, "weeks", "Weeks a vendor needs to get up to speed",
                insource::absent_value(), 0.0),
};
static_assert(std::size(kFacts) == kFactCount);

// rel(a, b) = (a - b) / max(a, b), 0 when both are 0. Both are >= 0 here.
double rel(double a, double b) {
  double m = std::max(a, b);
  return m == 0.0 ? 0.0 : (a - b) / m;
}

class Training : public insource::Plugin {
 public:
  explicit Training(const insource::Params&) {}

  insource::Vote evaluate(const insource::Case& c) override {
    const bool has_ramp = c.has(kInternalRamp) && c.has(kExternalRamp);
    const bool has_expertise = c.has(kExpertise);
    // Complexity alone, or one ramp figure alone, gives nothing to scale or compare.
    if (!has_ramp && !has_expertise)
      return insource::Vote::abstain(
          c.wants_rationale() ? "neither both ramp-up times nor in-house expertise given" : "");

    double sum = 0.0;
    int count = 0;
    double internal = 0.0, external = 0.0, ramp = 0.0;
    if (has_ramp) {
      internal = weeks(c, kInternalRamp);
      external = weeks(c, kExternalRamp);
      ramp = rel(external, internal);
      sum += ramp;
      ++count;
    }
    const bool expert = has_expertise && c.boolean(kExpertise);
    if (has_expertise) {
      sum += expert ? 1.0 : -1.0;
      ++count;
    }
    const double mean = sum / count;
    double factor = 1.0;
    if (c.has(kComplexity)) factor = 0.5 + 0.5 * c.level(kComplexity, {"low", "medium", "high"});
    const double score = mean * factor;
    if (!c.wants_rationale()) return insource::Vote::of(score);

    std::string text;
    if (has_ramp)
      text = insource::format("ramp-up vendor %g wk vs in house %g wk (rel %.3g)", external, internal, ramp);
    else if (c.any({kInternalRamp, kExternalRamp}))
      text = "ramp-up skipped (needs both times)";
    if (has_expertise)
      text += insource::format("%sexpertise in house %s (%d)", text.empty() ? "" : ", ", expert ? "yes" : "no",
                               expert ? 1 : -1);
    text += insource::format("; mean %.3g", mean);
    if (c.has(kComplexity)) {
      std::string_view cx = c.string(kComplexity);
      text += insource::format("; complexity %.*s x %g", static_cast<int>(cx.size()), cx.data(), factor);
    }
    text += insource::format(" -> score %.3g", score);
    return insource::Vote::of(score, std::move(text));
  }

 private:
  // The host checks facts against their declared bounds; checking again keeps a
  // value it let through (or another host) from turning into a NaN score.
  static double weeks(const insource::Case& c, Fact f) {
    double v = c.number(f);
    if (!std::isfinite(v) || v < 0)
      throw insource::InvalidValue(insource::format("%s must be a finite number >= 0, got %g", c.name(f), v));
    return v;
  }
};

}  // namespace

INSOURCE_EXPORT_PLUGIN(Training, (insource::PluginInfo{
                                     "builtin-training", "1.0.0", "training",
                                     "In-house staff who know the products and culture need less training "
                                     "than a vendor for complex work",
                                     kFacts, kFactCount, nullptr, 0, -1.0, 1.0}))
