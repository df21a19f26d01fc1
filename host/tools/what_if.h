// What-if: the served policy with some weights, parameters or thresholds
// moved, without editing YAML (the explorer's sliders). The change is applied
// to the policy's rules in memory exactly as a child rules file that `extends`
// the policy would apply it (rules.md: a weight of 0 removes a criterion,
// params add to and replace the parent's, thresholds replace), and the result
// is bound to the same plugins. what_if_rules_text() writes that child file.
#ifndef INSOURCE_HOST_WHAT_IF_H_
#define INSOURCE_HOST_WHAT_IF_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "policy/policy.h"

namespace insource {

struct WhatIf {
  struct Weight {
    std::string criterion;
    double weight = 0.0;
  };
  struct Param {
    std::string criterion, name;
    nlohmann::json value;  // a number, a boolean or a string
  };
  std::vector<Weight> weights;
  std::vector<Param> params;
  std::optional<double> insource, outsource;

  bool empty() const { return weights.empty() && params.empty() && !insource && !outsource; }
};

// A what-if the caller got wrong (an unknown criterion, a negative weight).
class WhatIfError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// {"weights":{"cost":0.4},"params":{"cost":{"vendor_overhead":0.2}},
//  "thresholds":{"insource":0.25}}: every key optional. Throws WhatIfError
// naming the key at fault.
WhatIf parse_what_if(const nlohmann::json& j);
WhatIf parse_what_if_text(const std::string& text);

// The policy with the what-if applied, bound to the same plugins. Throws
// WhatIfError (a criterion the policy does not list and no plugin votes for)
// or RulesError (a parameter of the wrong type, every criterion removed).
std::shared_ptr<const Policy> apply_what_if(const Policy& base, const WhatIf& w);

// A rules file that extends `extends_path` with the what-if's changes, which
// decides as apply_what_if() does when `extends_path` holds the base rules.
// `revision` is noted in a comment.
std::string what_if_rules_text(const WhatIf& w, const std::string& extends_path, const std::string& revision);

}  // namespace insource

#endif  // INSOURCE_HOST_WHAT_IF_H_
