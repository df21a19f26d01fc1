// insource test: run rule test files, with coverage, JSON and JUnit reports.
#include <fstream>
#include <iostream>

#include "common.h"
#include "io/json_text.h"
#include "io/report.h"
#include "tools/rule_tests.h"

namespace insource::cli {

namespace {

struct TestOptions {
  std::vector<std::string> files;
  EngineOptions engine;  // plugins only: each test file names its rules
  std::string format = "text";
  std::string junit;
  bool coverage = false;
  double min_coverage = -1.0;  // < 0: not asked
};

int run_test(const TestOptions& o) {
  TestRunOptions ro = policy_source_of(o.engine);
  std::vector<FileRun> runs;
  for (const std::string& f : o.files) runs.push_back(run_test_file(f, ro));
  const bool want_coverage = o.coverage || o.min_coverage >= 0;
  std::vector<Coverage> coverage;
  if (want_coverage) coverage = merged_coverage(runs);

  bool unusable = false, failed = false, low = false;
  for (const FileRun& r : runs) {
    unusable = unusable || !r.errors.empty();
    failed = failed || r.failed() > 0;
  }
  std::vector<std::string> below;
  if (o.min_coverage >= 0) {
    for (const Coverage& c : coverage) {
      if (c.percent() + 1e-9 < o.min_coverage) {
        low = true;
        char buf[200];
        std::snprintf(buf, sizeof buf, "coverage of %s is %.1f%%, below --min-coverage %g%%", c.rules().c_str(),
                      c.percent(), o.min_coverage);
        below.push_back(buf);
      }
    }
  }

  if (o.format == "json") {
    nlohmann::ordered_json j = test_report_json(runs, want_coverage ? &coverage : nullptr);
    if (o.min_coverage >= 0) {
      j["min_coverage"] = o.min_coverage;
      j["coverage_ok"] = !low;
    }
    std::cout << json_text(j, 2) << "\n";
  } else {
    std::cout << test_report_text(runs);
    if (o.coverage)
      for (const Coverage& c : coverage) std::cout << "\n" << c.text();
    for (const auto& b : below) std::cout << "\n" << b << "\n";
  }
  if (!o.junit.empty()) {
    std::ofstream out(o.junit, std::ios::binary);
    out << test_report_junit(runs);
    if (!out) {
      std::cerr << "insource: cannot write the JUnit report to " << o.junit << "\n";
      return kExitUsage;
    }
  }
  std::cout.flush();
  if (unusable) return kExitUsage;
  return failed || low ? kExitFailed : kExitOk;
}

}  // namespace

void register_test(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<TestOptions>();
  CLI::App* cmd = app.add_subcommand("test", "Run rule test files: each test's case against its expected verdict, with coverage");
  add_plugin_options(cmd, &o->engine);  // --plugins come after the test file's own `plugins`
  cmd->add_option("--format", o->format, "text (a line per test) or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--junit", o->junit, "Also write a JUnit XML report to FILE (for CI systems)")->type_name("FILE");
  cmd->add_flag("--coverage", o->coverage,
                "Show coverage per rules file: overrides matched and passed, verdict bands reached, criteria voted and abstained");
  cmd->add_option("--min-coverage", o->min_coverage, "Fail when the coverage of a rules file is below P percent")
      ->type_name("P")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("files", o->files, "Rule test files (YAML)")->required()->type_name("FILE");
  cmd->callback([o, exit_code]() { *exit_code = run_test(*o); });
}

}  // namespace insource::cli
