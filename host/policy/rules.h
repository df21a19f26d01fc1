// The rules file (docs/rules.md) as read from YAML, with `extends`
// resolved, before it is bound to plugins. Every element keeps its position
// so that later checks can point at file:line:column.
#ifndef INSOURCE_HOST_RULES_H_
#define INSOURCE_HOST_RULES_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/source_pos.h"
#include "core/value.h"
#include "core/verdict.h"
#include "core/vote.h"
#include "policy/input_limits.h"

namespace insource {

// A parameter value as written; its type is checked against the plugin later.
struct RuleParam {
  std::string name;
  SourcePos key_pos;  // the name
  SourcePos pos;      // the value
  enum class Kind { kNull, kBool, kNumber, kString, kOther } kind = Kind::kNull;
  bool boolean = false;
  double number = 0.0;
  std::string text;  // the scalar as written, or "a list" / "a map" for kOther
};

// What a fault of a criterion's plugin on a case does (`on_error`,
// docs/reliability.md): fail the case (the default), abstain, or force a verdict.
struct FaultPolicy {
  enum class Kind : uint8_t { kFail, kAbstain, kVerdict };
  Kind kind = Kind::kFail;
  Verdict verdict = Verdict::kReview;  // kVerdict only
  SourcePos pos;                       // the on_error value, when written
  bool written = false;
};

// "fail", "abstain" or the verdict's name.
std::string fault_policy_name(const FaultPolicy& f);

struct RuleCriterion {
  std::string name;
  SourcePos pos;
  double weight = 0.0;  // a range's midpoint: the weight whenever no simulation draws it
  SourcePos weight_pos;
  // `weight: {low: 0.2, high: 0.4}` (issue 13): `decide --simulate` draws the
  // weight uniformly from [low, high]; everything else uses the midpoint.
  bool weight_range = false;
  double weight_low = 0.0, weight_high = 0.0;
  std::vector<RuleParam> params;
  FaultPolicy on_error;
  std::string sha256;  // a pin: the plugin file's SHA-256 (64 lower-case hex digits), or empty
  SourcePos sha256_pos;
  // Plugin isolation (docs/reliability.md section 2): run the plugin in a
  // worker process; its per-call timeout (0: the host's default).
  bool isolate = false;
  bool isolate_written = false;
  uint32_t timeout_ms = 0;
  SourcePos timeout_pos;
};

// A fact declared under `facts:` (one that no plugin declares but rules read).
struct RuleFact {
  std::string name;
  Type type = Type::kNumber;
  SourcePos pos;
  std::string description;
  std::vector<std::string> allowed;
};

struct RuleOverride {
  std::string id;
  SourcePos pos;  // the list item
  std::string when;
  Verdict verdict = Verdict::kReview;
  std::string reason;
  // Where the condition text starts, to turn an offset in it into a position.
  std::shared_ptr<const SourceText> source;
  size_t when_byte = 0;
  bool when_exact = false;  // false: only the node's position is known (e.g. a folded scalar)
  SourcePos when_pos;

  SourcePos position_of(size_t offset) const;
};

// A criterion given `weight: 0`: it does not vote (and, under `extends`, it
// removes the parent's entry). Kept so that `insource check` can warn.
struct RuleZeroWeight {
  std::string name;
  SourcePos pos;                   // the weight
  bool removes_inherited = false;  // it removed a criterion an extended file listed
};

struct RulesDoc {
  std::string file;  // the file named by the user (or the built-in label)
  std::string name;
  std::string description;
  std::vector<RuleFact> facts;
  std::vector<RuleCriterion> criteria;  // in file order; weight 0 entries removed by `extends`
  Thresholds thresholds;
  SourcePos thresholds_pos;
  std::vector<RuleOverride> overrides;  // in the order they are checked
  std::vector<std::string> files;       // every file read, the root first
  std::string resolved_text;            // the texts of all files, for the policy's revision
  std::vector<RuleZeroWeight> zero_weights;  // criteria given weight 0, in the order read
};

// Reads a rules file and the files it extends. Throws RulesError with every
// problem found (file:line:column each). Every file read is held to `limits`
// (the caller's --max-* flags).
RulesDoc read_rules_file(const std::filesystem::path& file, const InputLimits& limits = InputLimits{});

// Reads rules from text; `label` names it in messages, `base_dir` resolves `extends`.
RulesDoc read_rules_text(const std::string& text, const std::string& label, const std::filesystem::path& base_dir,
                         const InputLimits& limits = InputLimits{});

// The default policy compiled into the binary (rules/default.yaml).
std::string_view embedded_default_rules();
inline constexpr const char* kEmbeddedRulesLabel = "default.yaml (built in)";

}  // namespace insource

#endif  // INSOURCE_HOST_RULES_H_
