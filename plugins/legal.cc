// The built-in "legal" criterion (docs/criteria.md section 5).
//
// Differences in international law make it harder to write a contract that
// protects the company when a vendor falls short; regulated work and work
// that touches intellectual property raise the stakes. The criterion only
// ever argues for keeping work in house: the score is in [0, 1].
//
//   score = mean(vendor_jurisdiction, regulated, ip_sensitive), over the ones given
#include <insource/plugin.hpp>

#include "components.h"

#include <iterator>
#include <string>
#include <string_view>

namespace {

using insource::bool_fact;
using insource::string_fact;

enum Fact { kJurisdiction, kRegulated, kIpSensitive, kFactCount };

const char* const kJurisdictions[] = {"domestic", "treaty", "foreign", nullptr};

const insource_fact_decl kFacts[] = {
    string_fact("legal.vendor_jurisdiction", 0, kJurisdictions,
                "Where the vendor's contract is enforced: at home, under a treaty, or abroad"),
    bool_fact("legal.regulated", 0, "Whether the work falls under industry regulation"),
    bool_fact("legal.ip_sensitive", 0, "Whether the work exposes the company's intellectual property"),
};
static_assert(std::size(kFacts) == kFactCount);

using insource_builtin::Components;

class Legal : public insource::Plugin {
 public:
  explicit Legal(const insource::Params&) {}

  insource::Vote evaluate(const insource::Case& c) override {
    Components m(c.wants_rationale());
    if (c.has(kJurisdiction))
      m.add("vendor jurisdiction", c.string(kJurisdiction), c.level(kJurisdiction, {"domestic", "treaty", "foreign"}));
    m.add_bool(c, kRegulated, "regulated");
    m.add_bool(c, kIpSensitive, "IP sensitive");
    if (m.count() == 0) return insource::Vote::abstain(c.wants_rationale() ? "no legal facts given" : "");

    const double score = m.mean();
    if (!c.wants_rationale()) return insource::Vote::of(score);
    return insource::Vote::of(score, insource::format("%s; mean -> score %.3g", m.text().c_str(), score));
  }
};

}  // namespace

INSOURCE_EXPORT_PLUGIN(Legal, (insource::PluginInfo{
                                  "builtin-legal", "1.0.0", "legal",
                                  "International law makes contracts that protect the company from a failing "
                                  "vendor harder to write and enforce",
                                  kFacts, kFactCount, nullptr, 0, 0.0, 1.0}))
