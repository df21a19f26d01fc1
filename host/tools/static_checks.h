// `insource check` beyond loading: what a policy that loads may still get
// wrong. Each finding is a warning with file:line:column:
//
// - a criterion with weight 0 (it never votes; under `extends`, it removes one);
// - a fact declared under `facts` that no condition reads (and no plugin does);
// - a verdict band (insource, hybrid, outsource) that no total can reach, given
//   the score ranges the plugins declare;
// - an override condition that can never hold, or that holds for every case;
// - an override that can never decide, because earlier ones match every case it
//   matches (shadowed).
//
// The last two are decided by enumerating every combination of the values that
// matter to the conditions (each fact's declared levels, or the regions its
// comparisons cut its declared range into, plus "not given"); scores and the
// total are taken as free within the plugins' declared ranges. That space holds
// every real case, so what holds for all of it holds for every case: no false
// alarms. Conditions that do arithmetic on names or compare two names are not
// decidable this way and are left alone.
#ifndef INSOURCE_HOST_STATIC_CHECKS_H_
#define INSOURCE_HOST_STATIC_CHECKS_H_

#include <vector>

#include "policy/policy.h"
#include "core/source_pos.h"

namespace insource {

// The warnings for a policy that loaded, sorted by file, line and column.
std::vector<Diagnostic> static_checks(const Policy& policy);

// The range the total can take when every criterion can vote alone: from the
// lowest score_min to the highest score_max of the plugins that vote.
struct TotalRange {
  double min = -1.0;
  double max = 1.0;
};
TotalRange total_range(const Policy& policy);

}  // namespace insource

#endif  // INSOURCE_HOST_STATIC_CHECKS_H_
