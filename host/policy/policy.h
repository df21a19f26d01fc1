// A policy: rules bound to the plugins that vote, with every name resolved,
// every parameter typed and every condition compiled. Immutable once built,
// so any number of threads may share one (each with its own Evaluator).
#ifndef INSOURCE_HOST_POLICY_H_
#define INSOURCE_HOST_POLICY_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/condition.h"
#include "core/fact_schema.h"
#include "plugin_host/plugin_loader.h"
#include "policy/rules.h"

namespace insource {

struct CriterionBinding {
  std::string name;
  double weight = 0.0;  // a range's midpoint
  // The range `decide --simulate` draws the weight from (both `weight` when
  // the rules give one number).
  double weight_low = 0.0, weight_high = 0.0;
  SourcePos pos;
  std::shared_ptr<const LoadedPlugin> plugin;
  std::vector<ParamValue> params;  // one per declared parameter, rules' value or default
  std::vector<uint32_t> slots;     // plugin fact i -> schema slot
  FaultPolicy on_error;            // what a fault of the plugin does (rules' on_error)
  // The plugin runs in a worker process (plugin->isolated()); per-call limit.
  uint32_t timeout_ms = 1000;
};

struct CompiledOverride {
  std::string id;
  Verdict verdict = Verdict::kReview;
  std::string reason;
  SourcePos pos;
  Condition condition;
};

// Overrides grouped by the string equality each one requires (`fact ==
// "value"` in a top-level conjunction), so that a case only tries the
// overrides whose required value it has, plus the ones with no such test.
// Used once there are enough overrides for a scan to cost more than lookups.
struct OverrideIndex {
  static constexpr size_t kMinOverrides = 16;

  struct Keyed {
    uint32_t slot;
    std::unordered_map<std::string, std::vector<uint32_t>, StringHash, std::equal_to<>> by_value;
  };
  bool enabled = false;
  std::vector<uint32_t> unkeyed;  // ascending
  std::vector<Keyed> keyed;       // lists ascending

  static OverrideIndex build(const std::vector<CompiledOverride>& overrides);
};

class Policy {
 public:
  // Binds rules to plugins. Throws RulesError listing every problem.
  static std::shared_ptr<const Policy> compile(RulesDoc doc, PluginSet plugins);

  const RulesDoc& rules() const { return doc_; }
  const PluginSet& plugins() const { return plugins_; }
  const FactSchema& schema() const { return schema_; }
  const std::vector<CriterionBinding>& criteria() const { return criteria_; }
  const std::vector<CompiledOverride>& overrides() const { return overrides_; }
  const Thresholds& thresholds() const { return doc_.thresholds; }
  const OverrideIndex& override_index() const { return index_; }

  // Index of a criterion by name, or -1.
  int criterion_index(std::string_view name) const;

 private:
  Policy() = default;

  RulesDoc doc_;
  PluginSet plugins_;
  FactSchema schema_;
  std::vector<CriterionBinding> criteria_;
  std::vector<CompiledOverride> overrides_;
  OverrideIndex index_;
};

// Binds rules (a file, or the built-in default when `rules_file` is empty)
// to plugins already loaded (tests, benchmarks). The front ends load with
// load_policy(const PolicySource&) (policy/load_policy.h), which also applies
// the rules' pins and isolation to the plugins. Throws RulesError or PluginError.
std::shared_ptr<const Policy> load_policy(const std::string& rules_file, PluginSet plugins);

// The pins of the rules (`criteria.<name>.sha256`) for load_plugins(). When
// any criterion is pinned, every criterion must be: the host then loads no
// file that matches no pin. Throws RulesError naming each unpinned criterion.
// Also the criteria the rules isolate (`criteria.<name>.isolate: true`).
PluginTrust plugin_trust_of(const RulesDoc& doc, bool allow_writable);

// The rules file, or the built-in default when `rules_file` is empty.
RulesDoc read_policy_rules(const std::string& rules_file, const InputLimits& limits = InputLimits{});

}  // namespace insource

#endif  // INSOURCE_HOST_POLICY_H_
