// `insource explain`: why a case got its verdict, at three levels.
//
// - brief: one line, the business reason (the override and its reason, or the
//   total against the thresholds and the criteria that weighed most);
// - full: the verdict, the per-criterion table (weight, score, contribution,
//   rationale), the facts each criterion read with their values, and the flip
//   margins (margins.h);
// - trace: all of that, and every override in order: its condition, the
//   values it read, each sub-expression's outcome (true, false, unknown with
//   the missing name that made it so, or not evaluated), and which decided.
#ifndef INSOURCE_HOST_EXPLAIN_H_
#define INSOURCE_HOST_EXPLAIN_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/case.h"
#include "policy/evaluator.h"
#include "policy/policy.h"

namespace insource {

enum class ExplainLevel { kBrief, kFull, kTrace };
std::optional<ExplainLevel> parse_explain_level(std::string_view s);

// The one-line business reason: "office-catering: outsource: the weighted total
// -0.464 is at or below the outsource threshold -0.200, driven by cost (-0.168)
// and control (-0.125)".
std::string explain_brief(const Policy& p, const CaseFacts& c, const Decision& d);

// The explanation for people (ends with a newline).
std::string explain_text(const Policy& p, const CaseFacts& c, const Decision& d, ExplainLevel level);

// The same for programs.
nlohmann::ordered_json explain_json(const Policy& p, const CaseFacts& c, const Decision& d, ExplainLevel level);

}  // namespace insource

#endif  // INSOURCE_HOST_EXPLAIN_H_
