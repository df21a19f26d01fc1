// A simulation (tools/simulate.h) as people and programs read it: the
// "simulation" object of a decision record, and a text block.
#ifndef INSOURCE_TOOLS_SIMULATE_REPORT_H_
#define INSOURCE_TOOLS_SIMULATE_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "policy/policy.h"
#include "tools/simulate.h"

namespace insource {

// {"draws","seed","probabilities":{verdict:p},"intervals":{verdict:[lo,hi]},
//  "total":{"p5","p50","p95","mean"},"drivers":[{"fact","effect"}]}, plus
// "histogram": {"edges", "counts"} of the total (20 equal bins from the lowest
// to the highest total) and "failed" when plugin faults left draws without a
// verdict. Verdicts that
// no draw got are left out.
nlohmann::ordered_json simulation_json(const Simulation& s);

// The same for people: probabilities with intervals, the total's quantiles,
// the verdict at the most likely values and the drivers.
std::string simulation_text(const Simulation& s);

}  // namespace insource

#endif  // INSOURCE_TOOLS_SIMULATE_REPORT_H_
