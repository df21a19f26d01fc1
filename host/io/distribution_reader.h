// Reading a fact given as a distribution (issue 13), the same way for YAML
// and JSON: each reader turns the map it met into a DistNode and this checks
// it against the fact's declaration (type, bounds, levels).
//
//   number: {low: 800, likely: 1200, high: 2000}   Beta-PERT
//           {uniform: [a, b]}
//           {normal: {mean: m, sd: s}}              truncated to the declared bounds
//   level:  {high: 0.6, medium: 0.4}                probabilities summing to 1
//   bool:   {p_true: 0.7}
#ifndef INSOURCE_IO_DISTRIBUTION_READER_H_
#define INSOURCE_IO_DISTRIBUTION_READER_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/case.h"
#include "core/fact_schema.h"
#include "core/uncertainty.h"

namespace insource {

struct CaseInput;

// A value inside a distribution map, as much as the checks need.
struct DistNode {
  enum class Kind : uint8_t { kNumber, kList, kMap, kOther };
  Kind kind = Kind::kOther;
  double number = 0;
  std::string what;                // kOther: the value for messages ("the string \"x\"")
  std::vector<std::string> keys;   // kMap: keys[i] names items[i]
  std::vector<DistNode> items;     // kList, kMap
};

// The distribution `node` (a map) gives for fact `info`, or the problem,
// worded to follow "fact NAME " ("is given as a distribution with low 2000
// above high 800"). Level names are kept in `c` (the distribution's views
// point there).
std::optional<std::string> read_distribution(const FactInfo& info, const DistNode& node, CaseFacts* c,
                                             Distribution* out);

// The distribution in the form a case gives it, which read_distribution
// reads back to the same distribution: {"low","likely","high"}, {"uniform":
// [a, b]}, {"normal": {"mean", "sd"}} (the truncation bounds are the fact's
// declared ones, not part of the form), {level: p, ...}, {"p_true": p}. The
// explorer's form shows a pasted case's distributions from it (/v1/cases).
nlohmann::ordered_json distribution_json(const Distribution& d);

// What refuse_uncertain() tells: batch, and every front end without --simulate.
inline constexpr const char* kBatchSureOnly = "batch decides sure values only: use `insource decide --simulate N`";
inline constexpr const char* kSimulateToDecide = "decide it with --simulate N (or give a plain value)";

// When a front end cannot decide uncertain facts (batch, decide without
// --simulate, test, diff, replay): turns each case of `inputs` that has them
// into a case error at the first one's position, saying what to use instead.
void refuse_uncertain(std::vector<CaseInput>* inputs, const FactSchema& schema, const char* instead);

}  // namespace insource

#endif  // INSOURCE_IO_DISTRIBUTION_READER_H_
