// The built-in "control" criterion (docs/criteria.md section 5).
//
// Keeping work in house gives control over decisions and the speed to change
// course, above all where institutional knowledge matters, where the work is
// a core competence, where customers see it, and where it changes often.
//
//   score = 2 x mean(institutional_knowledge, core_competence, customer_facing,
//                    change_frequency) - 1, the mean over the components given
#include <insource/plugin.hpp>

#include "components.h"

#include <iterator>
#include <string>
#include <string_view>

namespace {

using insource::bool_fact;
using insource::string_fact;

enum Fact { kKnowledge, kCore, kCustomer, kChange, kFactCount };

const char* const kLevels[] = {"low", "medium", "high", nullptr};

const insource_fact_decl kFacts[] = {
    string_fact("control.institutional_knowledge", 0, kLevels,
                "How much the work depends on knowledge only the company's own staff have"),
    bool_fact("control.core_competence", 0, "Whether the work is one of the company's core competences"),
    bool_fact("control.customer_facing", 0, "Whether customers see the work directly"),
    string_fact("control.change_frequency", 0, kLevels, "How often the work has to change course"),
};
static_assert(std::size(kFacts) == kFactCount);

using insource_builtin::Components;

class Control : public insource::Plugin {
 public:
  explicit Control(const insource::Params&) {}

  insource::Vote evaluate(const insource::Case& c) override {
    Components m(c.wants_rationale());
    m.add_level(c, kKnowledge, "institutional knowledge", {"low", "medium", "high"});
    m.add_bool(c, kCore, "core competence");
    m.add_bool(c, kCustomer, "customer facing");
    m.add_level(c, kChange, "change frequency", {"low", "medium", "high"});
    if (m.count() == 0) return insource::Vote::abstain(c.wants_rationale() ? "no control facts given" : "");

    // Each component is in [0, 1], so the score is in [-1, 1] without clamping.
    const double mean = m.mean();
    const double score = 2 * mean - 1;
    if (!c.wants_rationale()) return insource::Vote::of(score);
    return insource::Vote::of(score, insource::format("%s; mean %.3g -> score %.3g", m.text().c_str(), mean, score));
  }
};

}  // namespace

INSOURCE_EXPORT_PLUGIN(Control, (insource::PluginInfo{
                                    "builtin-control", "1.0.0", "control",
                                    "Institutional knowledge and core, customer-facing, fast-changing work "
                                    "give control and speed when kept in house",
                                    kFacts, kFactCount, nullptr, 0, -1.0, 1.0}))
