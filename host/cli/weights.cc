// insource weights ahp: weights from pairwise judgements (analysis/ahp.h),
// optionally written as a rules file extending the current policy.
#include <cstdio>
#include <iostream>

#include "analysis/ahp.h"
#include "analysis/rules_writer.h"
#include "common.h"
#include "core/fact_schema.h"

namespace insource::cli {

namespace {

struct AhpOptions {
  std::string judgements;
  std::string rules;  // the policy the written file extends
  std::string write;
  std::string format = "text";
  InputLimits limits;  // the judgement file and the rules are read within the defaults
};

// Writes the weights as a rules file extending `o.rules`; every criterion of
// that policy must have been judged, and every judged one must be in it.
int write_weights(const AhpOptions& o, const AhpResult& r) {
  if (o.rules.empty()) {
    std::cerr << "insource: --write writes a rules file that extends the current one: give --rules (for instance "
                 "rules/default.yaml)\n";
    return kExitUsage;
  }
  RulesDoc doc;
  try {
    doc = read_rules_file(o.rules, o.limits);
  } catch (const RulesError& e) {
    for (const auto& d : e.diagnostics()) std::cerr << d.str() << "\n";
    return kExitUsage;
  }
  std::vector<std::string_view> known;
  for (const auto& c : doc.criteria) known.push_back(c.name);
  bool ok = true;
  for (const auto& name : r.judgements.criteria) {
    bool found = false;
    for (const auto& c : doc.criteria) found = found || c.name == name;
    if (!found) {
      std::string near = closest_name(name, known);
      std::cerr << r.judgements.file << ": criterion '" << name << "' is not a criterion of " << o.rules
                << (near.empty() ? "" : " (did you mean '" + near + "'?)") << "\n";
      ok = false;
    }
  }
  for (const auto& c : doc.criteria) {
    bool judged = false;
    for (const auto& name : r.judgements.criteria) judged = judged || c.name == name;
    if (!judged) {
      std::cerr << r.judgements.file << ": criterion '" << c.name << "' of " << o.rules
                << " has no judgements: judge it against the others, or remove it from the policy first\n";
      ok = false;
    }
  }
  if (!ok) return kExitUsage;
  std::vector<std::string> rounded = round_weights_to_one(r.eigen.weights);
  ExtendingRules out;
  char cr[64];
  std::snprintf(cr, sizeof cr, "CR %.4f (lambda max %.4f, n = %d)", r.eigen.cr, r.eigen.lambda_max, r.matrix.n);
  out.comments = {"Weights from AHP judgements (insource weights ahp), " + std::string(cr) + ".",
                  "Judgements: " + r.judgements.file + ", SHA-256 " + r.sha256};
  out.name = doc.name.empty() ? "AHP weights" : doc.name + ", AHP weights";
  for (size_t i = 0; i < rounded.size(); ++i) out.weights.emplace_back(r.judgements.criteria[i], rounded[i]);
  try {
    write_text_file(o.write, extending_rules_text(out, o.rules, o.write));
  } catch (const std::exception& e) {
    std::cerr << "insource: " << e.what() << "\n";
    return kExitUsage;
  }
  std::cerr << "wrote " << o.write << " (extends " << o.rules << ")\n";
  return kExitOk;
}

int run_ahp_command(const AhpOptions& o) {
  std::string text;
  if (!read_input_file(o.judgements, o.limits, &text)) return kExitUsage;
  AhpResult r;
  try {
    r = run_ahp(text, o.judgements == "-" ? "<stdin>" : o.judgements, o.limits);
  } catch (const RulesError& e) {
    for (const auto& d : e.diagnostics()) std::cerr << d.str() << "\n";
    return kExitUsage;
  }
  std::cout << (o.format == "json" ? ahp_json(r) : ahp_text(r));
  std::cout.flush();
  if (!r.consistent) {
    if (!o.write.empty()) std::cerr << "insource: not writing " << o.write << ": the judgements are inconsistent\n";
    return kExitFailed;
  }
  if (!o.write.empty()) return write_weights(o, r);
  return kExitOk;
}

}  // namespace

void register_weights(CLI::App& app, int* exit_code) {
  CLI::App* weights = app.add_subcommand("weights", "Derive criterion weights");
  weights->require_subcommand(1);
  auto o = std::make_shared<AhpOptions>();
  CLI::App* ahp = weights->add_subcommand(
      "ahp", "Weights from pairwise judgements on Saaty's 1-9 scale (AHP); exit 1 when they are inconsistent (CR > 0.10)");
  ahp->add_option("judgements", o->judgements, "The judgement file (YAML; - for standard input)")
      ->required()
      ->type_name("JUDGEMENTS.yaml");
  ahp->add_option("--rules", o->rules, "The rules file the written file extends")->type_name("RULES.yaml");
  ahp->add_option("--write", o->write, "Write the weights as a rules file extending --rules")->type_name("OUT.yaml");
  ahp->add_option("--format", o->format, "text (for people) or json")->check(CLI::IsMember({"text", "json"}));
  ahp->callback([o, exit_code]() { *exit_code = run_ahp_command(*o); });
}

}  // namespace insource::cli
