// insource replay: decide the cases of a decision log again, with the policy
// of today, and list the decisions that would now come out differently.
#include <fstream>
#include <iostream>

#include "common.h"
#include "service/decision_log.h"
#include "io/json_text.h"
#include "service/policy_store.h"

namespace insource::cli {

namespace {

struct ReplayCliOptions {
  EngineOptions engine;
  std::string log;
  std::string format = "text";
  bool strict = false;
};

int run_replay(const ReplayCliOptions& o) {
  PolicySource source = policy_source_of(o.engine);
  source.stage_plugins = false;
  std::shared_ptr<const PolicySnapshot> snap;
  try {
    snap = build_policy_snapshot(source, 1);
  } catch (const PolicyLoadError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (o.log != "-") {
    file.open(o.log, std::ios::binary);
    if (!file) {
      std::cerr << "insource: " << o.log << ": cannot read the decision log\n";
      return kExitUsage;
    }
    in = &file;
  }
  ReplayOptions ro;
  ro.strict = o.strict;
  auto on_difference = [&](const ReplayDifference& d) {
    if (o.format == "json") {
      nlohmann::ordered_json j;
      j["line"] = d.line;
      j["decision_id"] = d.decision_id;
      j["case_id"] = d.case_id;
      j["logged_revision"] = d.logged_revision;
      j["changes"] = d.changes;
      j["now"] = d.now;
      std::cout << json_text(j) << "\n";
      return;
    }
    std::cout << o.log << ":" << d.line << ": decision " << (d.decision_id.empty() ? "?" : d.decision_id) << " (case "
              << d.case_id << (d.logged_revision.empty() ? "" : ", revision " + d.logged_revision.substr(0, 12)) << "): ";
    for (size_t i = 0; i < d.changes.size(); ++i) std::cout << (i ? "; " : "") << d.changes[i];
    std::cout << "\n";
  };
  ReplaySummary s = replay_decision_log(*in, snap->policy, snap->plugins, ro, on_difference);
  std::cout.flush();
  for (const std::string& p : s.problems) std::cerr << "insource: " << o.log << ": " << p << "\n";
  for (const std::string& p : s.plugin_changes) std::cerr << "insource replay: note: " << p << "\n";
  std::string revisions;
  for (const std::string& r : s.revisions) revisions += (revisions.empty() ? "" : ", ") + r.substr(0, 12);
  std::cerr << "insource replay: " << s.replayed << " decisions replayed against revision " << snap->revision.substr(0, 12)
            << " (" << snap->policy->rules().file << "): " << s.differing << " differ, " << s.same << " the same"
            << (s.unreadable ? "; " + std::to_string(s.unreadable) + " unreadable lines" : "")
            << (revisions.empty() ? "" : "; logged under revision " + revisions) << "\n";
  if (s.differing > 0) return kExitFailed;
  if (s.unreadable > 0) return kExitUsage;
  return kExitOk;
}

}  // namespace

void register_replay(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ReplayCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "replay", "Decide the cases of a decision log (serve --decision-log) again and list those that would now differ");
  add_engine_options(cmd, &o->engine);
  cmd->add_flag("--strict", o->strict,
                "Also count a changed total or criterion score as a difference (default: verdict, rule, or failure)");
  cmd->add_option("--format", o->format, "text (a line per difference) or json (an object per difference)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("log", o->log, "The decision log (- for standard input)")->required()->type_name("LOGFILE");
  cmd->callback([o, exit_code]() { *exit_code = run_replay(*o); });
}

}  // namespace insource::cli
