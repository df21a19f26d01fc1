// Shared helpers for the engine tests: the built-in plugins, policies from
// inline YAML, and cases from inline YAML.
#ifndef INSOURCE_TESTS_TEST_UTIL_H_
#define INSOURCE_TESTS_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <string>
#include <vector>

#include "io/case_reader.h"
#include "policy/evaluator.h"
#include "policy/policy.h"

namespace insource::test {

// A folder of this test process's own: ctest runs tests in parallel, so no two
// may share a temporary file name.
inline std::filesystem::path scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("insource-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline std::string fixture_plugin_dir(const std::string& name) {
  return std::string(INSOURCE_FIXTURE_PLUGIN_DIR) + "/" + name;
}

// The five built-in plugins, plus the fixture plugin folders named.
inline PluginSet plugins_with(const std::vector<std::string>& fixtures = {}) {
  std::vector<std::filesystem::path> dirs{INSOURCE_PLUGIN_DIR};
  for (const auto& f : fixtures) dirs.emplace_back(fixture_plugin_dir(f));
  return load_plugins(dirs);
}

inline std::shared_ptr<const Policy> default_policy() {
  return load_policy("", plugins_with());
}

inline std::shared_ptr<const Policy> policy_from(const std::string& yaml, const std::vector<std::string>& fixtures = {}) {
  return Policy::compile(read_rules_text(yaml, "test.yaml", "."), plugins_with(fixtures));
}

// Reads exactly one case; fails the test if it does not read.
inline CaseFacts case_from(const Policy& p, const std::string& yaml) {
  auto cases = read_cases(yaml, "case.yaml", p.schema());
  EXPECT_EQ(cases.size(), 1u);
  if (cases.empty() || !cases[0].value) {
    ADD_FAILURE() << "case did not read: " << (cases.empty() ? "none" : cases[0].error);
    return CaseFacts{};
  }
  return std::move(*cases[0].value);
}

// The error of a case that must not read.
inline std::string case_error(const Policy& p, const std::string& yaml) {
  auto cases = read_cases(yaml, "case.yaml", p.schema());
  if (cases.size() != 1 || cases[0].value) {
    ADD_FAILURE() << "expected exactly one bad case";
    return {};
  }
  return cases[0].error;
}

inline Decision decide(const std::shared_ptr<const Policy>& p, const std::string& case_yaml) {
  Evaluator e(p);
  CaseFacts c = case_from(*p, case_yaml);
  Decision d;
  e.decide(c, &d, true);
  return d;
}

// The message of the RulesError that loading `yaml` must raise.
inline std::string rules_error(const std::string& yaml, const std::vector<std::string>& fixtures = {}) {
  try {
    policy_from(yaml, fixtures);
  } catch (const RulesError& e) {
    return e.what();
  }
  ADD_FAILURE() << "rules loaded, but an error was expected:\n" << yaml;
  return {};
}

// Index of a criterion in a policy (fails the test when absent).
inline size_t crit(const Policy& p, const std::string& name) {
  int i = p.criterion_index(name);
  EXPECT_GE(i, 0) << name;
  return static_cast<size_t>(i < 0 ? 0 : i);
}

}  // namespace insource::test

#endif  // INSOURCE_TESTS_TEST_UTIL_H_
