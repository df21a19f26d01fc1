// `insource test`: the reports: text for people, JSON, and JUnit XML (rule_tests.h).
#include <cstdio>
#include <filesystem>

#include "io/json_text.h"
#include "io/report.h"
#include "tools/rule_tests.h"

namespace insource {

namespace fs = std::filesystem;

std::string test_report_text(const std::vector<FileRun>& runs) {
  std::string out;
  int passed = 0, failed = 0, broken = 0;
  for (const FileRun& run : runs) {
    if (!run.errors.empty()) {
      ++broken;
      out += run.file + ": cannot run\n";
      for (const Diagnostic& d : run.errors) out += "  " + d.str() + "\n";
      continue;
    }
    out += run.file + " (rules: " + run.rules_label + ")\n";
    for (const TestResult& r : run.results) {
      out += std::string(r.passed ? "  PASS  " : "  FAIL  ") + r.name + "\n";
      if (r.passed) continue;
      out += "        " + r.pos.str() + (r.case_id.empty() ? "" : ", case " + r.case_id) + " (- expected, + actual)\n";
      for (const Mismatch& m : r.mismatches) {
        out += "        - " + m.field + ": " + m.expected + "\n";
        out += "        + " + m.field + ": " + m.actual + "\n";
      }
    }
    passed += run.passed();
    failed += run.failed();
  }
  out += "\n" + std::to_string(passed) + " passed, " + std::to_string(failed) + " failed";
  if (broken) out += ", " + std::to_string(broken) + (broken == 1 ? " file" : " files") + " could not run";
  return out + "\n";
}

nlohmann::ordered_json test_report_json(const std::vector<FileRun>& runs, const std::vector<Coverage>* coverage) {
  nlohmann::ordered_json j;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  int passed = 0, failed = 0, broken = 0;
  for (const FileRun& run : runs) {
    nlohmann::ordered_json f;
    f["file"] = run.file;
    if (!run.errors.empty()) {
      ++broken;
      nlohmann::ordered_json errs = nlohmann::ordered_json::array();
      for (const Diagnostic& d : run.errors) errs.push_back(d.str());
      f["errors"] = std::move(errs);
      files.push_back(std::move(f));
      continue;
    }
    f["rules"] = run.rules_label;
    nlohmann::ordered_json tests = nlohmann::ordered_json::array();
    for (const TestResult& r : run.results) {
      nlohmann::ordered_json t;
      t["name"] = r.name;
      t["line"] = r.pos.line;
      t["case"] = r.case_id;
      t["status"] = r.passed ? "pass" : "fail";
      if (r.decided) {
        t["verdict"] = verdict_name(r.verdict);
        t["rule"] = r.rule.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.rule);
        t["total"] = r.total;
      } else {
        t["error"] = r.error;
      }
      if (!r.passed) {
        nlohmann::ordered_json ms = nlohmann::ordered_json::array();
        for (const Mismatch& m : r.mismatches) ms.push_back({{"field", m.field}, {"expected", m.expected}, {"actual", m.actual}});
        t["mismatches"] = std::move(ms);
      }
      tests.push_back(std::move(t));
    }
    f["tests"] = std::move(tests);
    passed += run.passed();
    failed += run.failed();
    files.push_back(std::move(f));
  }
  j["files"] = std::move(files);
  j["passed"] = passed;
  j["failed"] = failed;
  j["unusable_files"] = broken;
  if (coverage) {
    nlohmann::ordered_json c = nlohmann::ordered_json::array();
    for (const Coverage& cov : *coverage) c.push_back(cov.json());
    j["coverage"] = std::move(c);
  }
  return j;
}

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') out += ' ';
        else out += ch;
    }
  }
  return out;
}

}  // namespace

std::string test_report_junit(const std::vector<FileRun>& runs) {
  int tests = 0, failures = 0, errors = 0;
  std::string suites;
  for (const FileRun& run : runs) {
    const std::string suite = xml_escape(run.file);
    const std::string classname = xml_escape(fs::path(run.file).stem().string());
    if (!run.errors.empty()) {
      std::string msg;
      for (const Diagnostic& d : run.errors) msg += d.str() + "\n";
      ++tests, ++errors;
      suites += "  <testsuite name=\"" + suite + "\" tests=\"1\" failures=\"0\" errors=\"1\">\n";
      suites += "    <testcase name=\"load\" classname=\"" + classname + "\">\n";
      suites += "      <error message=\"" + xml_escape(run.errors[0].str()) + "\">" + xml_escape(msg) + "</error>\n";
      suites += "    </testcase>\n  </testsuite>\n";
      continue;
    }
    const int n = static_cast<int>(run.results.size()), f = run.failed();
    tests += n;
    failures += f;
    suites += "  <testsuite name=\"" + suite + "\" tests=\"" + std::to_string(n) + "\" failures=\"" + std::to_string(f) +
              "\" errors=\"0\">\n";
    for (const TestResult& r : run.results) {
      suites += "    <testcase name=\"" + xml_escape(r.name) + "\" classname=\"" + classname + "\" file=\"" +
                xml_escape(run.file) + "\" line=\"" + std::to_string(r.pos.line) + "\"";
      if (r.passed) {
        suites += "/>\n";
        continue;
      }
      std::string body, first;
      for (const Mismatch& m : r.mismatches) {
        if (first.empty()) first = m.field + ": expected " + m.expected + ", got " + m.actual;
        body += "- " + m.field + ": " + m.expected + "\n+ " + m.field + ": " + m.actual + "\n";
      }
      suites += ">\n      <failure message=\"" + xml_escape(first) + "\">" + xml_escape(body) + "</failure>\n    </testcase>\n";
    }
    suites += "  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"insource test\" tests=\"" + std::to_string(tests) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\">\n" + suites +
         "</testsuites>\n";
}

}  // namespace insource
