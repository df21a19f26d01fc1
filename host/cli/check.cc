// insource check: load a rules file against the plugins, then look for what a
// policy that loads may still get wrong (static_checks.h).
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.h"
#include "io/json_text.h"
#include "policy/rules_partial.h"
#include "tools/static_checks.h"

namespace insource::cli {

namespace {

struct CheckOptions {
  EngineOptions engine;
  bool strict = false;
  std::string format = "text";
};

nlohmann::ordered_json diagnostic_json(const Diagnostic& d) {
  return {{"severity", d.severity == Diagnostic::Severity::kError ? "error" : "warning"},
          {"file", d.pos.file},
          {"line", d.pos.line},
          {"column", d.pos.column},
          {"message", d.message}};
}

// The rules did not read: the errors of the later stages (a condition that
// names no fact, a plugin that is missing) are found on what did read, so that
// one run reports them all. Binding the partial rules may repeat an error the
// reader gave: each is kept once.
std::vector<Diagnostic> every_load_error(const CheckOptions& o, std::vector<Diagnostic> first) {
  if (o.engine.rules.empty()) return first;
  std::vector<Diagnostic> read_errors;
  RulesDoc doc = read_rules_file_partial(o.engine.rules, &read_errors, o.engine.limits);
  if (read_errors.empty() || doc.files.empty()) return first;  // not a reading problem, or nothing read at all
  std::vector<Diagnostic> all = std::move(read_errors);
  try {
    bind_policy(std::move(doc), policy_source_of(o.engine));
  } catch (const RulesError& e) {
    for (const Diagnostic& d : e.diagnostics()) {
      auto same = [&](const Diagnostic& a) { return a.str() == d.str(); };
      if (std::none_of(all.begin(), all.end(), same)) all.push_back(d);
    }
  } catch (const PluginError&) {
    // reported, if it still stands, once the rules read
  }
  std::stable_sort(all.begin(), all.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.pos.file, a.pos.line, a.pos.column) < std::tie(b.pos.file, b.pos.line, b.pos.column);
  });
  return all;
}

int run_check(const CheckOptions& o) {
  const std::string label = o.engine.rules.empty() ? kEmbeddedRulesLabel : o.engine.rules;
  std::vector<Diagnostic> diags;
  std::shared_ptr<const Policy> policy;
  try {
    policy = build_policy(o.engine);  // with the rules' pins and isolation, as decide loads them
    diags = static_checks(*policy);
  } catch (const RulesError& e) {
    diags = every_load_error(o, e.diagnostics());
  } catch (const PluginError& e) {
    diags.push_back(Diagnostic{Diagnostic::Severity::kError, SourcePos{label}, e.what()});
  }
  size_t errors = 0, warnings = 0;
  for (const Diagnostic& d : diags) (d.severity == Diagnostic::Severity::kError ? errors : warnings)++;
  const bool ok = errors == 0 && (!o.strict || warnings == 0);
  if (o.format == "json") {
    nlohmann::ordered_json j;
    j["file"] = policy ? policy->rules().file : label;
    j["ok"] = ok;
    j["errors"] = errors;
    j["warnings"] = warnings;
    j["strict"] = o.strict;
    if (policy) {
      j["criteria"] = policy->criteria().size();
      j["overrides"] = policy->overrides().size();
    }
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const Diagnostic& d : diags) list.push_back(diagnostic_json(d));
    j["diagnostics"] = std::move(list);
    std::cout << json_text(j, 2) << "\n";
    return ok ? kExitOk : kExitFailed;
  }
  for (const Diagnostic& d : diags) std::cerr << d.str() << "\n";
  std::string summary = (policy ? policy->rules().file : label) + ": ";
  auto plural = [](size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); };
  if (!policy) {
    summary += plural(errors, "error");
  } else {
    summary += warnings == 0 ? std::string("ok") : plural(warnings, "warning") + (o.strict ? " (failures under --strict)" : "");
    const size_t nc = policy->criteria().size();
    summary += " (" + std::to_string(nc) + (nc == 1 ? " criterion, " : " criteria, ") +
               plural(policy->overrides().size(), "override") + ")";
  }
  std::cout << summary << "\n";
  return ok ? kExitOk : kExitFailed;
}

}  // namespace

void register_check(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Check a rules file: load errors, then shadowed overrides, conditions that always or never hold, "
               "unreachable verdict bands, weights of 0 and unread facts; every finding with file:line:column");
  add_engine_options(cmd, &o->engine);
  cmd->add_flag("--strict", o->strict, "Warnings fail the check too");
  cmd->add_option("--format", o->format, "text (diagnostics on stderr, a summary on stdout) or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([o, exit_code]() { *exit_code = run_check(*o); });
}

}  // namespace insource::cli
