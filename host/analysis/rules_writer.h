// Writing a rules file that extends another with new weights (and, from
// calibration, thresholds): what `weights ahp --write` and `calibrate
// --write` produce. The child names only what changed, so the policy's
// plugins, parameters and overrides stay in the parent.
#ifndef INSOURCE_ANALYSIS_RULES_WRITER_H_
#define INSOURCE_ANALYSIS_RULES_WRITER_H_

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "policy/rules.h"

namespace insource {

// Weights rounded to `decimals` places (more when one would round to 0,
// which would remove its criterion) so that the printed figures add up to
// exactly 1: the largest-remainder method on the normalised weights.
std::vector<std::string> round_weights_to_one(const std::vector<double>& weights, int decimals = 3);

// The shortest decimal text that reads back as exactly `v`.
std::string round_trip_number(double v);

struct ExtendingRules {
  std::vector<std::string> comments;  // each becomes a "# " line at the top
  std::string name;                   // the new policy's name
  std::vector<std::pair<std::string, std::string>> weights;  // criterion -> weight as printed
  std::optional<Thresholds> thresholds;
};

// The text of a rules file at `out` extending `parent` (the path in
// `extends` is made relative to out's folder). Throws std::runtime_error
// when `out` is `parent` itself.
std::string extending_rules_text(const ExtendingRules& r, const std::filesystem::path& parent,
                                 const std::filesystem::path& out);

// Writes it; throws std::runtime_error naming the file when it cannot.
void write_text_file(const std::filesystem::path& out, const std::string& text);

}  // namespace insource

#endif  // INSOURCE_ANALYSIS_RULES_WRITER_H_
