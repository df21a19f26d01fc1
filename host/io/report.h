// Turning decisions into what people and programs read: the JSON record of
// `decide --format json`, the text report, and the reason of a verdict.
#ifndef INSOURCE_HOST_REPORT_H_
#define INSOURCE_HOST_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "core/case.h"
#include "policy/evaluator.h"
#include "policy/policy.h"

namespace insource {

// The reason of a verdict: the override's reason, or how the total compares
// with the thresholds ("total +0.34 >= insource threshold +0.20").
std::string verdict_reason(const Policy& p, const Decision& d);

// {"id","verdict","total","rule","reason","criteria":{...}}; a failed case is
// {"id","error":{"kind":"plugin","message":...}}.
nlohmann::ordered_json decision_json(const Policy& p, const CaseFacts& c, const Decision& d);

// A readable report: verdict, deciding rule or total against the thresholds,
// and a table of the criteria.
std::string decision_text(const Policy& p, const CaseFacts& c, const Decision& d);

// Fixed-point with a sign, e.g. +0.125 (for tables and reasons).
std::string signed_fixed(double v, int decimals = 3);

}  // namespace insource

#endif  // INSOURCE_HOST_REPORT_H_
