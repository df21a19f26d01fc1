// `insource diff OLD NEW CASES`: before a changed policy goes out, every case
// whose verdict it would change, with both verdicts and why, what changed
// between the two policies, and a count per verdict pair.
#ifndef INSOURCE_HOST_POLICY_DIFF_H_
#define INSOURCE_HOST_POLICY_DIFF_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policy/evaluator.h"
#include "policy/policy.h"

namespace insource {

// One side of a case: its verdict and why, or why it has none.
struct DiffSide {
  bool ok = false;
  std::string error;
  Verdict verdict = Verdict::kReview;
  std::string rule;  // empty: the thresholds decided
  double total = 0.0;
  std::string reason;
};

struct CaseDiff {
  std::string id;
  std::string source;
  DiffSide before, after;
  // The criteria whose contribution moved most: name, before, after.
  struct Move {
    std::string criterion;
    double before = 0.0, after = 0.0;
    bool voted_before = false, voted_after = false;
  };
  std::vector<Move> moves;
};

struct PolicyDiff {
  std::string old_label, new_label;
  std::vector<std::string> rule_changes;  // what differs between the two policies, in words
  int cases = 0;
  int unchanged = 0;                      // same verdict (or the same failure) both times
  std::vector<CaseDiff> changed;          // the verdict differs (or only one side failed)
  std::vector<std::pair<std::string, int>> pairs;  // "hybrid -> insource", count; in order of first appearance
  std::vector<std::string> errors;        // cases that could not be read or decided under either policy
};

// What differs between two policies: criteria, weights, parameters,
// thresholds, declared facts, overrides (added, removed, moved, changed).
std::vector<std::string> policy_changes(const Policy& before, const Policy& after);

// Decides every case in the files under both policies.
PolicyDiff diff_policies(const std::shared_ptr<const Policy>& before, const std::shared_ptr<const Policy>& after,
                         const std::vector<std::string>& case_files);

std::string policy_diff_text(const PolicyDiff& d);
nlohmann::ordered_json policy_diff_json(const PolicyDiff& d);

}  // namespace insource

#endif  // INSOURCE_HOST_POLICY_DIFF_H_
