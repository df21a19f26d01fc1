// The insource command as a user runs it: exit statuses, text and JSON
// output, a bad case beside good ones, check, plugins, --version.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int status = -1;
  std::string out;  // stdout and stderr, in order as written when merged
};

// Runs the insource binary with `args` from a scratch directory (so nothing
// can come from the current folder by accident); stderr is kept apart.
CliRun run(const std::string& args, std::string* err = nullptr) {
  fs::path scratch = test::scratch_dir() / "cli";
  fs::create_directories(scratch);
  std::string err_file = (scratch / "stderr.txt").string();
  std::string cmd = "cd " + scratch.string() + " && " + INSOURCE_BINARY + " " + args + " 2>" + err_file;
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (err) {
    std::ifstream in(err_file);
    err->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return r;
}

std::string example(const std::string& name) {
  return (fs::path(INSOURCE_SOURCE_DIR) / "examples" / "cases" / name).string();
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(Cli, DecideCandyLaunchWithTheBuiltInRules) {
  CliRun r = run("decide " + example("candy-launch.yaml"));
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "verdict: outsource-then-insource")) << r.out;
  EXPECT_TRUE(contains(r.out, "decided by override fully-booked-team")) << r.out;
  for (const char* c : {"cost", "control", "security", "legal", "training"}) EXPECT_TRUE(contains(r.out, c)) << c;
}

TEST(Cli, TheThreeExamplesGetTheirVerdicts) {
  CliRun r = run("decide --format json " + example("candy-launch.yaml") + " " + example("back-office-accounting.yaml") +
              " " + example("office-catering.yaml"));
  ASSERT_EQ(r.status, 0) << r.out;
  std::vector<nlohmann::json> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["verdict"], "outsource-then-insource");
  EXPECT_EQ(lines[0]["rule"], "fully-booked-team");
  EXPECT_EQ(lines[1]["verdict"], "insource");
  EXPECT_EQ(lines[1]["rule"], "back-office-stays-in-house");
  EXPECT_EQ(lines[2]["verdict"], "outsource");
  EXPECT_TRUE(lines[2]["rule"].is_null());
  // The JSON record's shape (docs/criteria.md): weight, score, contribution, rationale.
  const auto& cost = lines[2]["criteria"]["cost"];
  EXPECT_DOUBLE_EQ(cost["weight"].get<double>(), 0.30);
  EXPECT_NEAR(cost["score"].get<double>(), -0.56, 1e-12);
  EXPECT_NEAR(cost["contribution"].get<double>(), 0.30 * -0.56, 1e-12);
  EXPECT_FALSE(cost["rationale"].get<std::string>().empty());
  EXPECT_TRUE(contains(lines[2]["reason"].get<std::string>(), "<= outsource threshold")) << lines[2]["reason"];
}

TEST(Cli, AbstainedCriterionIsMarkedInJson) {
  fs::path f = test::scratch_dir() / "abstain.yaml";
  std::ofstream(f) << "id: only-cost\nfacts: {cost: {hours: 10, internal_rate: 10, external_rate: 10}}\n";
  CliRun r = run("decide --format json " + f.string());
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["criteria"]["legal"]["abstained"], true);
  EXPECT_FALSE(j["criteria"]["legal"].contains("score"));
}

TEST(Cli, ABadCaseFailsAloneAndTheExitStatusSaysSo) {
  fs::path bad = test::scratch_dir() / "bad-case.yaml";
  std::ofstream(bad) << "id: broken\nfacts: {cost: {hours: lots}}\n";
  std::string err;
  CliRun r = run("decide --format json " + bad.string() + " " + example("office-catering.yaml"), &err);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(err, "case broken: fact cost.hours must be a number")) << err;
  EXPECT_TRUE(contains(r.out, "\"id\":\"office-catering\",\"verdict\":\"outsource\"")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"id\":\"broken\",\"error\"")) << r.out;
}

TEST(Cli, DecideReadsStandardInput) {
  CliRun r = run("decide --format json - < " + example("office-catering.yaml"));
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "\"verdict\":\"outsource\"")) << r.out;
}

TEST(Cli, CheckPassesTheDefaultAndFailsABadFileWithPositions) {
  CliRun ok = run("check --rules " + (fs::path(INSOURCE_SOURCE_DIR) / "rules" / "default.yaml").string());
  EXPECT_EQ(ok.status, 0) << ok.out;
  std::string err;
  fs::path bad = fs::path(INSOURCE_TEST_DIR) / "fixtures" / "rules" / "bad" / "undeclared_fact.yaml";
  CliRun r = run("check --rules " + bad.string(), &err);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(err, bad.string() + ":8:11: error:")) << err;
}

TEST(Cli, UnusableRulesGiveExitTwoForDecide) {
  fs::path bad = fs::path(INSOURCE_TEST_DIR) / "fixtures" / "rules" / "bad" / "no_plugin.yaml";
  CliRun r = run("decide --rules " + bad.string() + " " + example("candy-launch.yaml"));
  EXPECT_EQ(r.status, 2);
}

TEST(Cli, PluginsListsEachPluginWithFactsAndParams) {
  CliRun r = run("plugins");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "cost: builtin-cost 1.0.0 (ABI 1.0)")) << r.out;
  EXPECT_TRUE(contains(r.out, "cost.hours: number >0, required")) << r.out;
  EXPECT_TRUE(contains(r.out, "security.vendor_certified: bool, default false")) << r.out;
  EXPECT_TRUE(contains(r.out, "vendor_overhead: number, default 0.1")) << r.out;
  EXPECT_TRUE(contains(r.out, "control.institutional_knowledge: string {low|medium|high}")) << r.out;
}

TEST(Cli, ExtraPluginFolderAddsACriterion) {
  fs::path rules = test::scratch_dir() / "speed-rules.yaml";
  std::ofstream(rules) << "insource: 1\ncriteria: {speed: {weight: 1}}\n";
  fs::path c = test::scratch_dir() / "speed-case.yaml";
  std::ofstream(c) << "id: s\nfacts: {speed: {team_start_weeks: 1, vendor_start_weeks: 5}}\n";
  CliRun r = run("decide --format json --plugins " + test::fixture_plugin_dir("c_speed") + " --rules " + rules.string() +
              " " + c.string());
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["total"].get<double>(), 0.8, 1e-12);
  EXPECT_EQ(j["verdict"], "insource");
}

TEST(Cli, VersionAndHelp) {
  CliRun v = run("--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_TRUE(contains(v.out, "insource ")) << v.out;
  EXPECT_TRUE(contains(v.out, "plugin ABI 1.0")) << v.out;
  for (const char* cmd : {"decide", "check", "plugins"}) {
    CliRun h = run(std::string(cmd) + " --help");
    EXPECT_EQ(h.status, 0) << cmd;
    EXPECT_TRUE(contains(h.out, "--plugins")) << cmd;
  }
}

TEST(Cli, UnknownOptionIsAUsageError) {
  CliRun r = run("decide --frmat json x.yaml");
  EXPECT_EQ(r.status, 2);
}

}  // namespace
}  // namespace insource
