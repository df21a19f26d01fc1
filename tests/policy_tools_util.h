// Helpers shared by the policy tools' tests (rule tests, explain, margins,
// static checks, schema, diff): paths, files, and running the CLI.
#ifndef INSOURCE_TESTS_POLICY_TOOLS_UTIL_H_
#define INSOURCE_TESTS_POLICY_TOOLS_UTIL_H_

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.h"

namespace insource::tools_test {

namespace fs = std::filesystem;

inline std::string source_path(const std::string& relative) {
  return (fs::path(INSOURCE_SOURCE_DIR) / relative).lexically_normal().string();
}
inline std::string fixture(const std::string& relative) {
  return source_path("tests/fixtures/policy_tools/" + relative);
}
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A scratch folder of its own per test binary run.
inline fs::path scratch() {
  fs::path p = fs::temp_directory_path() / ("insource-policy-tools-" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p;
}
inline std::string write_scratch(const std::string& name, const std::string& text) {
  fs::path p = scratch() / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs the insource binary from the source folder (so relative paths in the
// output are as a user in a checkout sees them).
inline CliRun run_cli(const std::string& args) {
  std::string err_file = (scratch() / "stderr.txt").string();
  std::string cmd = "cd " + std::string(INSOURCE_SOURCE_DIR) + " && " + INSOURCE_BINARY + " " + args + " 2>" + err_file;
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = read_file(err_file);
  return r;
}

// The default rules with one criterion's weight replaced (written so that it
// reads back as the very same double).
inline std::string rules_with_weight(std::string text, const std::string& criterion, double weight) {
  size_t at = text.find("\n  " + criterion + ":");
  EXPECT_NE(at, std::string::npos) << criterion;
  if (at == std::string::npos) return text;
  size_t w = text.find("weight: ", at);
  size_t end = text.find_first_not_of("0123456789.e-+", w + 8);
  return text.replace(w + 8, end - (w + 8), format_number(weight));
}
inline std::string default_rules_with_weight(const std::string& criterion, double weight) {
  return rules_with_weight(std::string(embedded_default_rules()), criterion, weight);
}

}  // namespace insource::tools_test

#endif  // INSOURCE_TESTS_POLICY_TOOLS_UTIL_H_
