// An organisation's own criterion, built out of tree against the SDK alone:
// a team with spare people argues for doing the work in house.
#include <insource/plugin.hpp>

namespace {

enum Fact { kSpare, kNeeded };
const insource_fact_decl kFacts[] = {
    insource::number_fact("headcount.spare", 0, "people", "People free to take the work", insource::absent_value(), 0.0),
    insource::number_fact("headcount.needed", insource::kRequired, "people", "People the work needs",
                          insource::absent_value(), 0.0, HUGE_VAL),
};
const insource_param_decl kParams[] = {insource::number_param("bias", 0.0, "Added to the score before clamping")};

class Headcount : public insource::Plugin {
 public:
  explicit Headcount(const insource::Params& p) : bias_(p.number("bias")) {}

  insource::Vote evaluate(const insource::Case& c) override {
    if (!c.any()) return insource::Vote::abstain("no headcount facts given");
    double spare = c.has(kSpare) ? c.number(kSpare) : 0.0;
    double needed = c.number(kNeeded);  // throws MissingFact when absent
    // Share of the need that spare people cover, mapped to [-1, 1].
    double cover = needed > 0 ? std::min(spare / needed, 1.0) : 1.0;
    double score = std::max(-1.0, std::min(1.0, 2.0 * cover - 1.0 + bias_));
    if (!c.wants_rationale()) return insource::Vote::of(score);
    return insource::Vote::of(score, insource::format("%g spare of %g needed -> %g", spare, needed, score));
  }

 private:
  double bias_;
};

}  // namespace

INSOURCE_EXPORT_PLUGIN(Headcount, (insource::PluginInfo{"acme-headcount", "2.1.0", "headcount",
                                                        "Spare people argue for keeping work in house", kFacts, 2,
                                                        kParams, 1}))
