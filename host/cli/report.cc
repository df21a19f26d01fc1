// insource report: decisions as one self-contained HTML file to read, print
// or mail (the rendering is the engine's report_html; this only feeds it).
#include <fstream>
#include <iostream>

#include "common.h"
#include "plugin_host/sha256.h"
#include "tools/report_html.h"
#include "tools/simulate_report.h"

namespace insource::cli {

namespace {

struct ReportOptions {
  EngineOptions engine;
  std::vector<std::string> cases;
  std::string output;
  std::string title = "insource decision report";
  SimulateFlags simulate;  // --simulate N: each case's section adds its simulation
};

int run_report(const ReportOptions& o) {
  auto policy = load_engine(o.engine);
  if (!policy) return kExitUsage;
  const ReportPolicy info = report_policy_of(*policy, sha256_hex(policy->rules().resolved_text));
  std::string body;
  nlohmann::ordered_json records = nlohmann::ordered_json::array();
  const std::optional<SimulationOptions> simulate = o.simulate.options();
  auto emit = [&](const CaseFacts& c, const Decision& d, const Simulation* sim) {
    nlohmann::ordered_json r = case_report_record(*policy, c, d);
    if (sim) r["simulation"] = simulation_json(*sim);
    body += case_section_html(r, info);
    records.push_back(std::move(r));
  };
  bool failed = decide_case_files(policy, o.cases, o.engine.limits, false, simulate ? &*simulate : nullptr, emit);
  if (records.empty()) {
    std::cerr << "insource: report: no case could be decided, so no report was written\n";
    return kExitFailed;
  }
  std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
  out << report_document(o.title, info, body, records.dump());
  out.close();
  if (!out) {
    std::cerr << "insource: " << o.output << ": cannot write the report\n";
    return kExitUsage;
  }
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

void register_report(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write the decisions on cases as one self-contained HTML file (charts, tables, margins, override trace)");
  add_engine_options(cmd, &o->engine);
  cmd->add_option("-o,--output", o->output, "The HTML file to write")->required()->type_name("FILE");
  cmd->add_option("--title", o->title, "The report's title");
  add_simulate_options(cmd, &o->simulate);
  cmd->add_option("cases", o->cases, "Case files (YAML or JSON; - for standard input)")->required()->type_name("CASE");
  cmd->callback([o, exit_code]() { *exit_code = run_report(*o); });
}

}  // namespace insource::cli
