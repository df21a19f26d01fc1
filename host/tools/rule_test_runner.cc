// `insource test`: running a test file's cases against its rules, loaded with
// load_policy() as decide loads them, and comparing the decisions with the
// expectations (rule_tests.h).
#include <filesystem>
#include <map>

#include "io/case_reader.h"
#include "io/distribution_reader.h"
#include "io/report.h"
#include "tools/rule_tests.h"

namespace insource {

namespace fs = std::filesystem;

int FileRun::passed() const {
  return static_cast<int>(std::count_if(results.begin(), results.end(), [](const TestResult& r) { return r.passed; }));
}
int FileRun::failed() const { return static_cast<int>(results.size()) - passed(); }

namespace {

std::string number_text(double v) { return format_number(v); }

void check_expectations(const Policy& p, const TestExpect& x, const Decision& d, TestResult* r) {
  auto miss = [&](std::string field, std::string expected, std::string actual) {
    r->mismatches.push_back(Mismatch{std::move(field), std::move(expected), std::move(actual)});
  };
  if (x.verdict && *x.verdict != d.verdict)
    miss("verdict", std::string(verdict_name(*x.verdict)), std::string(verdict_name(d.verdict)));
  if (x.has_rule) {
    std::string actual = d.rule >= 0 ? p.overrides()[static_cast<size_t>(d.rule)].id : "null (the thresholds decided)";
    std::string expected = x.rule ? *x.rule : "null (the thresholds decided)";
    if (x.rule) {
      bool known = std::any_of(p.overrides().begin(), p.overrides().end(), [&](const CompiledOverride& o) { return o.id == *x.rule; });
      if (!known) expected += " (no override has this id)";
    }
    if ((d.rule >= 0) != x.rule.has_value() || (x.rule && actual != *x.rule)) miss("rule", expected, actual);
  }
  if (x.total && !x.total->matches(d.total)) miss("total", x.total->text(), number_text(d.total));
  if (x.reason) {
    std::string reason = verdict_reason(p, d);
    if (reason.find(*x.reason) == std::string::npos) miss("reason", "containing \"" + *x.reason + "\"", "\"" + reason + "\"");
  }
  for (const CriterionExpect& ce : x.criteria) {
    int k = p.criterion_index(ce.name);
    if (k < 0) {
      std::vector<std::string_view> names;
      for (const auto& b : p.criteria()) names.push_back(b.name);
      std::string near = closest_name(ce.name, names);
      miss("criteria." + ce.name, "a criterion of the rules" + (near.empty() ? "" : " (did you mean '" + near + "'?)"),
           "no criterion '" + ce.name + "' votes in these rules");
      continue;
    }
    const CriterionOutcome& o = d.criteria[static_cast<size_t>(k)];
    const bool voted = o.state == CriterionOutcome::State::kVoted;
    if (ce.abstained && *ce.abstained != (o.state == CriterionOutcome::State::kAbstained))
      miss("criteria." + ce.name + ".abstained", *ce.abstained ? "true" : "false", voted ? "false (it voted)" : "true");
    if (ce.score) {
      if (!voted) miss("criteria." + ce.name + ".score", ce.score->text(), "none (it abstained)");
      else if (!ce.score->matches(o.score)) miss("criteria." + ce.name + ".score", ce.score->text(), number_text(o.score));
    }
    if (ce.contribution) {
      if (!voted) miss("criteria." + ce.name + ".contribution", ce.contribution->text(), "none (it abstained)");
      else if (!ce.contribution->matches(o.contribution))
        miss("criteria." + ce.name + ".contribution", ce.contribution->text(), number_text(o.contribution));
    }
  }
}

}  // namespace

FileRun run_test_file(const std::string& path, const TestRunOptions& options) {
  FileRun run;
  run.file = path;
  TestFile tf;
  try {
    tf = read_test_file(path);
  } catch (const RulesError& e) {
    run.errors = e.diagnostics();
    return run;
  }
  run.rules_label = tf.rules.empty() ? std::string(kEmbeddedRulesLabel) : tf.rules;
  std::vector<std::string> dirs = tf.plugin_dirs;
  dirs.insert(dirs.end(), options.plugin_dirs.begin(), options.plugin_dirs.end());
  std::shared_ptr<const Policy> policy;
  std::unique_ptr<Evaluator> evaluator;
  try {
    PolicySource source = options;  // the rules first, their pins and isolation: load_policy()
    source.rules = tf.rules;
    source.plugin_dirs = dirs;
    source.stage_plugins = false;  // the files in place, as decide loads them
    policy = load_policy(source).policy;
    evaluator = std::make_unique<Evaluator>(policy);
  } catch (const RulesError& e) {
    run.errors = e.diagnostics();
    return run;
  } catch (const PluginError& e) {
    run.errors.push_back(Diagnostic{Diagnostic::Severity::kError, tf.rules_pos.file.empty() ? SourcePos{path} : tf.rules_pos, e.what()});
    return run;
  }
  std::error_code ec;
  run.rules_key = tf.rules.empty() ? std::string("(built in)") : fs::weakly_canonical(tf.rules, ec).string();
  for (const auto& d : dirs) {
    run.rules_key += '|';
    run.rules_key += fs::weakly_canonical(d, ec).string();
  }
  run.coverage = Coverage::of(*policy, run.rules_label);

  std::map<std::string, std::vector<CaseInput>> files;  // case files read once
  Decision d;
  for (const RuleTest& t : tf.tests) {
    TestResult r;
    r.name = t.name;
    r.pos = t.pos;
    // The case.
    const CaseInput* in = nullptr;
    std::vector<CaseInput> inline_cases;
    std::string problem;
    if (!t.case_file.empty()) {
      auto it = files.find(t.case_file);
      if (it == files.end()) {
        it = files.emplace(t.case_file, read_case_file(t.case_file, policy->schema(), options.limits)).first;
        refuse_uncertain(&it->second, policy->schema(), "a rule test decides sure values only");
      }
      std::vector<CaseInput>& cases = it->second;
      if (cases.empty()) {
        problem = t.case_pos.str() + ": " + t.case_file + " holds no case";
      } else if (t.case_id) {
        for (const CaseInput& c : cases)
          if ((c.value ? c.value->id : c.id) == *t.case_id) in = &c;
        if (!in) problem = t.case_pos.str() + ": " + t.case_file + " holds no case with id '" + *t.case_id + "'";
      } else if (cases.size() > 1) {
        problem = t.case_pos.str() + ": " + t.case_file + " holds " + std::to_string(cases.size()) +
                  " cases: name one with case_id";
      } else {
        in = &cases[0];
      }
    } else {
      inline_cases = read_cases(t.case_text, path, policy->schema(), 1, CaseFormat::kAuto, options.limits);
      refuse_uncertain(&inline_cases, policy->schema(), "a rule test decides sure values only");
      if (inline_cases.size() != 1) {
        problem = t.case_pos.str() + ": case must be exactly one case";
      } else {
        // A case without an id is named after its test (the reader gave it the default id).
        if (!t.has_id) {
          CaseInput& ci = inline_cases[0];
          if (ci.value) ci.value->id = t.name;
          ci.id = t.name;
          if (ci.kind != InputErrorKind::kNone) ci.error = ci.format_error();
        }
        in = &inline_cases[0];
      }
    }
    if (in) r.case_id = in->value ? in->value->id : in->id;
    if (!problem.empty()) {
      r.error = problem;
    } else if (!in->value) {
      r.error = in->error;
    } else {
      evaluator->decide(*in->value, &d, true);
      run.coverage->add(d);
      if (d.failed) {
        r.error = "case " + in->value->id + ": " + d.error;
      } else {
        r.decided = true;
        r.verdict = d.verdict;
        r.rule = d.rule >= 0 ? policy->overrides()[static_cast<size_t>(d.rule)].id : "";
        r.total = d.total;
      }
    }
    const TestExpect& x = t.expect;
    if (x.error) {
      if (r.decided)
        r.mismatches.push_back(Mismatch{"error", "an error containing \"" + *x.error + "\"",
                                        "verdict " + std::string(verdict_name(r.verdict)) + " (no error)"});
      else if (r.error.find(*x.error) == std::string::npos)
        r.mismatches.push_back(Mismatch{"error", "containing \"" + *x.error + "\"", "\"" + r.error + "\""});
    } else if (!r.decided) {
      r.mismatches.push_back(Mismatch{"verdict", x.verdict ? std::string(verdict_name(*x.verdict)) : "a verdict",
                                      "an error: " + r.error});
    } else {
      check_expectations(*policy, x, d, &r);
    }
    r.passed = r.mismatches.empty();
    run.results.push_back(std::move(r));
  }
  return run;
}

}  // namespace insource
