// What the subcommands share: the options that choose plugins and rules, and
// loading them with errors reported the same way everywhere.
#ifndef INSOURCE_CLI_COMMON_H_
#define INSOURCE_CLI_COMMON_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/case.h"
#include "policy/evaluator.h"
#include "policy/input_limits.h"
#include "policy/load_policy.h"
#include "policy/policy.h"
#include "service/policy_store.h"
#include "tools/simulate.h"

namespace insource::cli {

// Exit statuses.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // a case failed, a check found problems, a test failed
inline constexpr int kExitUsage = 2;   // the rules, the plugins or the command line are unusable

struct EngineOptions {
  std::string rules;                 // empty: the built-in default policy
  std::vector<std::string> plugin_dirs;
  bool no_default_plugins = false;
  bool allow_writable_plugins = false;  // load plugin files or folders writable by group or others
  bool isolate = false;                 // every plugin in worker processes (docs/reliability.md section 2)
  IsolationConfig isolation;            // --plugin-timeout, --isolate-memory, --sandbox
  InputLimits limits;                   // --max-file-bytes, --max-yaml-depth, --max-yaml-nodes
};

// Adds --plugins (repeatable), --no-default-plugins, --allow-writable-plugins
// and the isolation options (--isolate, --plugin-timeout, --isolate-memory).
void add_plugin_options(CLI::App* cmd, EngineOptions* o);
// Adds --rules too.
void add_engine_options(CLI::App* cmd, EngineOptions* o);

// Loads the policy with load_policy(); prints every problem to stderr and
// returns null when it cannot be used.
std::shared_ptr<const Policy> load_engine(const EngineOptions& o);
// As load_engine, but throws RulesError or PluginError.
std::shared_ptr<const Policy> build_policy(const EngineOptions& o);
// The plugins alone, without rules (`insource plugins`).
bool load_plugin_set(const EngineOptions& o, PluginSet* out);
// The options as a PolicySource: plugin files loaded in place (serve asks for
// private copies), the limits of the command line.
PolicySource policy_source_of(const EngineOptions& o);

// Reads every case of `files` ("-" is stdin) and decides it with rationales.
// A case that cannot be read, or whose plugins fail, is reported on stderr
// (and, with `json`, as a {"id","error"} line) and the others go on; `emit`
// gets each case decided (including failed decisions, for JSON records).
// Returns true when some case failed.
// The files are read under `limits`.
//
// With `simulate` (decide/explain --simulate N), each case is simulated
// (tools/simulate.h): `emit` gets the decision at the most likely values and
// the simulation. Without it, a case with uncertain facts is refused, at the
// first one's position.
using DecisionSink = std::function<void(const CaseFacts&, const Decision&, const Simulation*)>;
bool decide_case_files(const std::shared_ptr<const Policy>& policy, const std::vector<std::string>& files,
                       const InputLimits& limits, bool json, const SimulationOptions* simulate,
                       const DecisionSink& emit);

// --simulate N, --seed S and --jobs N, for decide and explain.
struct SimulateFlags {
  uint64_t draws = 0;  // 0: no simulation
  uint64_t seed = 1;
  unsigned jobs = 1;
  // The options, or none when --simulate was not given.
  std::optional<SimulationOptions> options() const;
};
void add_simulate_options(CLI::App* cmd, SimulateFlags* f);

// Reads a whole input file ("-" is standard input) within limits.max_file_bytes
// into *text; prints why not (naming the file) and returns false when it cannot.
// For the inputs that are not cases: AHP judgements, past decisions.
bool read_input_file(const std::string& file, const InputLimits& limits, std::string* text);

void register_decide(CLI::App& app, int* exit_code);
void register_check(CLI::App& app, int* exit_code);
void register_plugins(CLI::App& app, int* exit_code);
void register_facts(CLI::App& app, int* exit_code);
void register_test(CLI::App& app, int* exit_code);
void register_explain(CLI::App& app, int* exit_code);
void register_diff(CLI::App& app, int* exit_code);
void register_batch(CLI::App& app, int* exit_code);
void register_new_plugin(CLI::App& app, int* exit_code);
void register_serve(CLI::App& app, int* exit_code);
void register_replay(CLI::App& app, int* exit_code);
void register_report(CLI::App& app, int* exit_code);
void register_weights(CLI::App& app, int* exit_code);
void register_calibrate(CLI::App& app, int* exit_code);

}  // namespace insource::cli

#endif  // INSOURCE_CLI_COMMON_H_
