// Deciding cases: each criterion's plugin votes, the votes are combined by
// weight, the overrides are checked in order, and the thresholds give the
// verdict (docs/criteria.md section 6).
#ifndef INSOURCE_HOST_EVALUATOR_H_
#define INSOURCE_HOST_EVALUATOR_H_

#include <memory>
#include <string>
#include <vector>

#include "core/case.h"
#include "core/vote.h"
#include "policy/policy.h"

namespace insource {

class IsolatedPlugins;

struct CriterionOutcome {
  enum class State : uint8_t { kVoted, kAbstained, kFailed };
  State state = State::kAbstained;
  double score = 0.0;
  double contribution = 0.0;
  std::string rationale;  // filled only when the rationale was asked for
  // When the plugin's rationale was longer than kMaxPluginTextBytes
  // (core/plugin_text.h): its length in bytes; `rationale` holds the start. Else 0.
  size_t rationale_bytes = 0;
  std::string error;      // kFailed, or any fault: what went wrong (plugin, criterion, message)
  // The plugin faulted on this case (error status, NaN or out-of-range score,
  // exception): state is kFailed under on_error fail, else kAbstained.
  bool fault = false;
};

struct Decision {
  Verdict verdict = Verdict::kReview;
  double total = 0.0;
  double weight_sum = 0.0;  // of the criteria that voted
  int rule = -1;            // index of the deciding override, or -1 when the thresholds decided
  bool failed = false;      // a plugin fault under on_error fail: no verdict
  std::string error;
  int faults = 0;           // criteria whose plugin faulted (each outcome says which)
  int forced_by = -1;       // the faulted criterion whose on_error forced the verdict, or -1
  std::vector<CriterionOutcome> criteria;  // as Policy::criteria()
};

// Decides cases with one policy. Holds one instance of each plugin, so it is
// not thread-safe: make one Evaluator per thread. Reuses its buffers, so a
// case decided into the same Decision allocates nothing on the way.
class Evaluator {
 public:
  // Makes one instance of each plugin; the isolated ones in one worker
  // process of this Evaluator's own. Call it on the thread that will call
  // decide() and destroy it: an instance lives on one thread (plugin.h). A
  // plugin whose create() fails here does not throw: its criterion faults
  // on every case, under its on_error.
  explicit Evaluator(std::shared_ptr<const Policy> policy);
  ~Evaluator();
  Evaluator(Evaluator&&) noexcept;
  Evaluator& operator=(Evaluator&&) noexcept;

  // Decides `c` into `d`. A plugin fault marks the decision failed (with the
  // plugin and message named); it never throws for one.
  void decide(const CaseFacts& c, Decision* d, bool with_rationale);

  const Policy& policy() const { return *policy_; }

 private:
  // The first override whose condition holds, or -1.
  int first_match(const CaseFacts& c, const EvalInput& in);

  struct Range {
    const uint32_t* first;
    const uint32_t* last;
  };

  std::shared_ptr<const Policy> policy_;
  std::vector<std::unique_ptr<PluginInstance>> instances_;  // null for an isolated or unavailable criterion
  // Why a criterion has no instance here (its plugin's create failed): the
  // fault each case gets; empty when it has one.
  std::vector<std::string> unavailable_;
  std::unique_ptr<IsolatedPlugins> isolated_;                // the isolated criteria, or null
  std::vector<uint32_t> member_;                             // criterion -> its index in isolated_
  std::vector<Range> candidates_;
  std::vector<insource_value> gathered_;
  std::vector<double> scores_;
  std::vector<uint8_t> voted_;
};

// What-if: combines the votes already in `d` (from Evaluator::decide on `c`,
// not failed; a caller may change their scores first) with other weights, one
// per criterion, exactly as decide() combines them: total, weight_sum,
// contributions, the first override that holds, and the verdict. Calls no
// plugin. Used by flip margins; the vote itself is core/vote.h's, as in decide().
void recombine(const Policy& policy, const CaseFacts& c, const std::vector<double>& weights, Decision* d);

}  // namespace insource

#endif  // INSOURCE_HOST_EVALUATOR_H_
