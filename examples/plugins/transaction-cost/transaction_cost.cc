// The "transaction-cost" criterion: Oliver Williamson's transaction cost
// economics ("Transaction-cost economics: the governance of contractual
// relations", Journal of Law and Economics 22(2), 1979; "The Economic
// Institutions of Capitalism", 1985, chapter 3).
//
// Williamson asks which governance structure economises on the cost of
// transacting, and answers from three attributes of the transaction:
//   - asset specificity: how much the work needs investments (skills, tools,
//     knowledge, relationships) that are worth little outside this one
//     relationship. Specific assets lock both sides in and invite hold-up;
//   - frequency: how often the transaction recurs. Only recurrent work pays
//     back the cost of a specialised governance structure;
//   - uncertainty: how much the work will have to adapt to what nobody can
//     foresee. It matters in proportion to specificity: with non-specific
//     assets the market adapts; with specific ones every change is a renegotiation.
//
// His table, with a score per cell (+1 argues for in house, -1 for the market):
//
//   asset specificity   one_off   occasional   recurrent
//   low                  -0.8       -0.8         -0.8      market governance
//   medium               -0.5       -0.4          0.0      trilateral | bilateral (relational contract)
//   high                 -0.3       -0.2         +0.8      trilateral | unified (in house)
//
//   market governance (classical contract, any vendor will do):      -0.8
//   trilateral (a vendor under a contract with third-party safeguards,
//     e.g. arbitration): -0.4 for mixed assets, -0.2 for idiosyncratic ones,
//     whose safeguards cost more and whose hold-up risk is higher
//   bilateral (a long-term relational contract between two firms):     0.0
//   unified governance (vertical integration: keep it in house):       +0.8
//   one_off (Williamson's "occasional" taken to its limit): no repetition
//     over which to spread the cost of any specialised arrangement, so
//     0.1 further toward the market than occasional.
//
// Uncertainty then moves the score toward in house, in proportion to specificity:
//
//   score = clamp(table[specificity][frequency]
//                 + uncertainty_shift x u x s, -1, 1)
//   where s = 0, 0.5, 1 for specificity low, medium, high,
//         u = 0, 0.5, 1 for uncertainty low, medium, high,
//         uncertainty_shift is a parameter (default 0.2, in [0, 1]).
//
// So recurrent, highly specific work under high uncertainty scores
// 0.8 + 0.2 x 1 x 1 = 1.0 (in house); non-specific work scores -0.8 whatever
// its frequency and uncertainty (the market).
//
// tce.asset_specificity and tce.frequency are required whenever the criterion
// votes; tce.uncertainty defaults to "medium" (not knowing is itself some
// uncertainty). A case with no tce fact at all abstains.
#include <insource/plugin.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>

namespace {

using insource::string_fact;
using insource::string_value;

enum Fact { kSpecificity, kFrequency, kUncertainty, kFactCount };

const char* const kLevels[] = {"low", "medium", "high", nullptr};
const char* const kFrequencies[] = {"one_off", "occasional", "recurrent", nullptr};

const insource_fact_decl kFacts[] = {
    string_fact("tce.asset_specificity", insource::kRequired, kLevels,
                "How much the work needs skills, tools or knowledge worth little outside this relationship"),
    string_fact("tce.frequency", insource::kRequired, kFrequencies, "How often the transaction recurs"),
    string_fact("tce.uncertainty", 0, kLevels, "How much the work will have to adapt to what cannot be foreseen",
                string_value("medium")),
};
static_assert(std::size(kFacts) == kFactCount);

const insource_param_decl kParams[] = {
    insource::number_param("uncertainty_shift", 0.2,
                           "How far high uncertainty moves highly specific work toward in house (0 to 1)"),
};

// table[specificity][frequency]; see the header comment.
constexpr double kTable[3][3] = {
    {-0.8, -0.8, -0.8},  // low: market
    {-0.5, -0.4, 0.0},   // medium: trilateral, trilateral, bilateral
    {-0.3, -0.2, 0.8},   // high: trilateral, trilateral, unified
};
const char* const kGovernance[3][3] = {
    {"market governance", "market governance", "market governance"},
    {"trilateral governance", "trilateral governance", "bilateral governance"},
    {"trilateral governance", "trilateral governance", "unified governance"},
};

// The position of a level in its list: 0, 1 or 2. The host has already checked
// the value against the declared list; this guards against another host.
int index_of(const insource::Case& c, Fact f, const char* const* levels) {
  std::string_view v = c.string(f);
  for (int i = 0; levels[i]; ++i)
    if (v == levels[i]) return i;
  throw insource::InvalidValue(insource::format("%s: \"%.*s\" is not an allowed value", c.name(f),
                                                static_cast<int>(v.size()), v.data()));
}

class TransactionCost : public insource::Plugin {
 public:
  explicit TransactionCost(const insource::Params& p) : shift_(p.number("uncertainty_shift")) {
    if (!(shift_ >= 0.0 && shift_ <= 1.0))  // also refuses NaN
      throw insource::InvalidValue(insource::format("uncertainty_shift must be in [0, 1], got %g", shift_));
  }

  insource::Vote evaluate(const insource::Case& c) override {
    if (!c.any()) return insource::Vote::abstain(c.wants_rationale() ? "no tce facts given" : "");
    // Uncertainty alone says nothing about governance: specificity and frequency are needed.
    for (Fact f : {kSpecificity, kFrequency})
      if (!c.has(f))
        throw insource::MissingFact(insource::format("%s is required when any tce fact is given", c.name(f)));

    const int s = index_of(c, kSpecificity, kLevels);
    const int f = index_of(c, kFrequency, kFrequencies);
    const int u = index_of(c, kUncertainty, kLevels);  // "medium" when absent
    const double base = kTable[s][f];
    const double shift = shift_ * (u / 2.0) * (s / 2.0);
    const double score = std::clamp(base + shift, -1.0, 1.0);
    if (!c.wants_rationale()) return insource::Vote::of(score);
    return insource::Vote::of(
        score, insource::format("asset specificity %s, frequency %s: %s, table %+.2g; uncertainty %s%s: "
                                "%.3g x %.3g x %.3g = %+.3g -> score %.3g",
                                kLevels[s], kFrequencies[f], kGovernance[s][f], base, kLevels[u],
                                c.has(kUncertainty) ? "" : " (default)", shift_, u / 2.0, s / 2.0, shift, score));
  }

 private:
  double shift_;
};

}  // namespace

INSOURCE_EXPORT_PLUGIN(TransactionCost,
                       (insource::PluginInfo{"example-transaction-cost", "1.0.0", "transaction-cost",
                                             "Williamson's transaction cost economics: asset specificity, frequency "
                                             "and uncertainty choose between market and hierarchy",
                                             kFacts, kFactCount, kParams, std::size(kParams), -0.8, 1.0}))
