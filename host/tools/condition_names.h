// Every name an override condition of a policy may use, with where it comes
// from: the facts the loaded plugins declare, the facts the rules declare
// under `facts` (such as capacity.utilization in the default policy, which no
// plugin reads), score.<criterion> for each criterion that votes, and total.
// `insource facts` prints this list; it is what the condition compiler
// resolves names against (policy.cc), so the two cannot drift apart.
#ifndef INSOURCE_HOST_CONDITION_NAMES_H_
#define INSOURCE_HOST_CONDITION_NAMES_H_

#include <string>
#include <vector>

#include "policy/policy.h"

namespace insource {

struct ConditionName {
  enum class Kind : uint8_t { kFact, kScore, kTotal };
  Kind kind = Kind::kFact;
  // The name, its type, levels or bounds, default, unit and description.
  // Scores and the total are numbers bounded by the score ranges.
  FactDecl decl;
  // Facts: "plugin builtin-cost" for each plugin that declares it, or
  // "rules FILE:LINE:COLUMN"; scores: "criterion cost (plugin builtin-cost)";
  // total: "the weighted vote".
  std::vector<std::string> declared_by;
};

const char* condition_name_kind(ConditionName::Kind k);  // "fact", "score", "total"

// In this order: facts in schema order (plugins as loaded, then the rules'),
// then one score per criterion in rules order, then total.
std::vector<ConditionName> condition_names(const Policy& policy);

}  // namespace insource

#endif  // INSOURCE_HOST_CONDITION_NAMES_H_
