// insource calibrate: the weights (and thresholds) that reproduce most past
// verdicts (analysis/calibrate.h), optionally written as a rules file.
#include <cstdio>
#include <iostream>

#include "analysis/calibrate.h"
#include "analysis/rules_writer.h"
#include "common.h"
#include "plugin_host/sha256.h"

namespace insource::cli {

namespace {

struct CalibrateOptions {
  EngineOptions engine;
  std::string past;
  bool thresholds = false;
  bool no_loo = false;
  std::string write;
  std::string format = "text";
};

int run_calibrate(const CalibrateOptions& o) {
  auto policy = load_engine(o.engine);
  if (!policy) return kExitUsage;
  if (!o.write.empty() && o.engine.rules.empty()) {
    std::cerr << "insource: --write writes a rules file that extends the current one: give --rules (for instance "
                 "rules/default.yaml)\n";
    return kExitUsage;
  }
  std::string text;
  std::vector<PastCase> past;
  try {
    if (!read_input_file(o.past, o.engine.limits, &text)) return kExitUsage;
    past = read_past_cases(text, o.past == "-" ? "<stdin>" : o.past, policy->schema(), o.engine.limits);
  } catch (const RulesError& e) {
    for (const auto& d : e.diagnostics()) std::cerr << d.str() << "\n";
    return kExitUsage;
  }
  CalibrationOptions co;
  co.thresholds = o.thresholds;
  co.leave_one_out = !o.no_loo;
  Calibration c;
  try {
    c = calibrate(policy, past, co);
  } catch (const std::exception& e) {
    std::cerr << "insource: " << e.what() << "\n";
    return kExitFailed;
  }
  std::cout << (o.format == "json" ? calibration_json(c) : calibration_text(c));
  std::cout.flush();
  if (!o.write.empty()) {
    ExtendingRules out;
    char line[160];
    std::snprintf(line, sizeof line, "agreement %d of %d before, %d of %d after, leave-one-out %d of %d.",
                  c.agree_before, c.fitted, c.agree_after, c.fitted, c.loo_agree, c.fitted);
    out.comments = {"Weights calibrated on past decisions (insource calibrate): " + std::string(line),
                    "Past cases: " + o.past + ", SHA-256 " + sha256_hex(text)};
    out.name = policy->rules().name.empty() ? "Calibrated weights" : policy->rules().name + ", calibrated";
    std::vector<std::string> rounded = c.weights_text.empty() ? round_weights_to_one(c.weights_after, 4) : c.weights_text;
    for (size_t i = 0; i < rounded.size(); ++i) out.weights.emplace_back(c.criteria[i], rounded[i]);
    if (o.thresholds) out.thresholds = c.thresholds_after;
    try {
      write_text_file(o.write, extending_rules_text(out, o.engine.rules, o.write));
    } catch (const std::exception& e) {
      std::cerr << "insource: " << e.what() << "\n";
      return kExitUsage;
    }
    std::cerr << "wrote " << o.write << " (extends " << o.engine.rules << ")\n";
  }
  return kExitOk;
}

}  // namespace

void register_calibrate(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Fit the weights (and thresholds) that reproduce most past verdicts, with the smallest change");
  add_engine_options(cmd, &o->engine);
  cmd->add_option("past", o->past, "Past cases, each with `decided: <verdict>` (YAML or JSON; - for standard input)")
      ->required()
      ->type_name("PAST.yaml");
  cmd->add_flag("--thresholds", o->thresholds, "Fit the thresholds too");
  cmd->add_flag("--no-leave-one-out", o->no_loo, "Skip the leave-one-out estimate (one fit per case)");
  cmd->add_option("--write", o->write, "Write the fitted weights as a rules file extending --rules")->type_name("OUT.yaml");
  cmd->add_option("--format", o->format, "text (for people) or json")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([o, exit_code]() { *exit_code = run_calibrate(*o); });
}

}  // namespace insource::cli
