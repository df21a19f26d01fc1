// The built-in "cost" criterion (docs/criteria.md section 5).
//
// In house, an hour of work costs the employee's fully loaded rate plus what
// that hour would have earned on the staff's best other project (the
// opportunity cost). With a vendor it costs the vendor's price, plus the
// overhead of managing the vendor, plus a one-off handover. Whichever is
// cheaper wins, by how much cheaper it is.
//
//   internal = hours x (internal_rate + opportunity_rate)
//   external = hours x external_rate x (1 + vendor_overhead) + transition
//   score    = clamp(rel(external, internal))
#include <insource/plugin.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>

namespace {

using insource::absent_value;
using insource::number_fact;
using insource::number_value;

enum Fact { kHours, kInternalRate, kExternalRate, kOpportunityRate, kTransition, kFactCount };

const insource_fact_decl kFacts[] = {
    number_fact("cost.hours", insource::kRequired | INSOURCE_FACT_MIN_EXCLUSIVE, "hours",
                "Hours of work the task takes", absent_value(), 0.0),
    number_fact("cost.internal_rate", insource::kRequired, "money/hour",
                "Fully loaded cost of an hour of the company's own staff", absent_value(), 0.0),
    number_fact("cost.external_rate", insource::kRequired, "money/hour", "The vendor's price per hour",
                absent_value(), 0.0),
    number_fact("cost.opportunity_rate", 0, "money/hour",
                "Value of an hour of the staff's best other use (the opportunity cost)", number_value(0.0), 0.0),
    number_fact("cost.transition", 0, "money", "One-off cost to hand the work over to the vendor",
                number_value(0.0), 0.0),
};
static_assert(std::size(kFacts) == kFactCount);

const insource_param_decl kParams[] = {
    insource::number_param("vendor_overhead", 0.10,
                           "Share added to the vendor's price for managing the vendor (0.10 = 10%)"),
};

// rel(a, b) = (a - b) / max(a, b), 0 when both are 0. Both are >= 0 here.
double rel(double a, double b) {
  double m = std::max(a, b);
  return m == 0.0 ? 0.0 : (a - b) / m;
}

// A figure for the rationale: at most two decimals, no trailing zeros (1200, 85.5, 0.33).
// Not %g, which turns money above a million into 1.2e+06.
std::string fig(double v) {
  std::string s = insource::format("%.2f", v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

class Cost : public insource::Plugin {
 public:
  explicit Cost(const insource::Params& p) : overhead_(p.number("vendor_overhead")) {
    if (!std::isfinite(overhead_) || overhead_ < 0)
      throw insource::InvalidValue(
          insource::format("vendor_overhead must be a finite number >= 0, got %g", overhead_));
  }

  insource::Vote evaluate(const insource::Case& c) override {
    if (!c.any()) return insource::Vote::abstain(c.wants_rationale() ? "no cost facts given" : "");
    // A partial cost picture would give a confident but meaningless score: all three
    // core figures or nothing.
    for (Fact f : {kHours, kInternalRate, kExternalRate})
      if (!c.has(f))
        throw insource::MissingFact(insource::format("%s is required when any cost fact is given", c.name(f)));

    const double hours = number(c, kHours, true);
    const double internal_rate = number(c, kInternalRate);
    const double external_rate = number(c, kExternalRate);
    const double opportunity_rate = number(c, kOpportunityRate);
    const double transition = number(c, kTransition);

    const double internal = hours * (internal_rate + opportunity_rate);
    const double external = hours * external_rate * (1 + overhead_) + transition;
    const double score = std::clamp(rel(external, internal), -1.0, 1.0);
    if (!c.wants_rationale()) return insource::Vote::of(score);

    std::string verdict;
    if (external < internal)
      verdict = insource::format("the vendor is %.1f%% cheaper", (internal - external) / internal * 100);
    else if (internal < external)
      verdict = insource::format("in house is %.1f%% cheaper", (external - internal) / external * 100);
    else
      verdict = "both cost the same";
    return insource::Vote::of(
        score, insource::format("in house %s h x (%s + %s)/h = %s; vendor %s h x %s/h x %g + %s = %s; %s -> score %.3g",
                                fig(hours).c_str(), fig(internal_rate).c_str(), fig(opportunity_rate).c_str(),
                                fig(internal).c_str(), fig(hours).c_str(), fig(external_rate).c_str(), 1 + overhead_,
                                fig(transition).c_str(), fig(external).c_str(), verdict.c_str(), score));
  }

 private:
  // The host checks facts against their declared bounds; checking again keeps a
  // value it let through (or another host) from turning into a NaN score.
  static double number(const insource::Case& c, Fact f, bool positive = false) {
    double v = c.number(f);
    if (!std::isfinite(v) || v < 0 || (positive && v == 0))
      throw insource::InvalidValue(
          insource::format("%s must be a finite number %s 0, got %g", c.name(f), positive ? ">" : ">=", v));
    return v;
  }

  double overhead_;
};

}  // namespace

INSOURCE_EXPORT_PLUGIN(Cost, (insource::PluginInfo{
                                 "builtin-cost", "1.0.0", "cost",
                                 "Employee cost plus opportunity cost in house against the vendor's price, "
                                 "its management overhead and the handover",
                                 kFacts, kFactCount, kParams, std::size(kParams), -1.0, 1.0}))
