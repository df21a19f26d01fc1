// `insource facts` and `insource plugins --format json` through the real
// binary, and the engine's list of condition names (condition_names.h)
// against what the condition compiler accepts.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tools/condition_names.h"
#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;

struct CliResult {
  int status = -1;
  std::string out;
};

// The binary with `args`, from a scratch folder; stderr is dropped.
CliResult run(const std::string& args) {
  fs::path scratch = test::scratch_dir() / "facts-cli";
  fs::create_directories(scratch);
  std::string cmd = "cd " + scratch.string() + " && " + INSOURCE_BINARY + " " + args + " 2>/dev/null";
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

fs::path write_rules(const std::string& name, const std::string& text) {
  fs::path f = test::scratch_dir() / name;
  std::ofstream(f) << text;
  return f;
}

const nlohmann::json* find(const nlohmann::json& list, const std::string& name) {
  for (const auto& n : list)
    if (n["name"] == name) return &n;
  return nullptr;
}

TEST(FactsCli, ListsRulesFactsScoresAndTotalBesideThePluginFacts) {
  CliResult r = run("facts --format json");
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json list = nlohmann::json::parse(r.out);

  // The fact no plugin declares, found with the rules that declare it.
  const nlohmann::json* u = find(list, "capacity.utilization");
  ASSERT_TRUE(u) << r.out;
  EXPECT_EQ((*u)["kind"], "fact");
  EXPECT_EQ((*u)["type"], "number");
  EXPECT_EQ((*u)["declared_by"], nlohmann::json::array({"rules default.yaml (built in):8:3"}));

  const nlohmann::json* hours = find(list, "cost.hours");
  ASSERT_TRUE(hours);
  EXPECT_EQ((*hours)["declared_by"], nlohmann::json::array({"plugin builtin-cost"}));
  EXPECT_EQ((*hours)["greater_than"], 0.0);
  EXPECT_EQ((*hours)["required"], true);
  const nlohmann::json* certified = find(list, "security.vendor_certified");
  ASSERT_TRUE(certified);
  EXPECT_EQ((*certified)["default"], false);

  for (const char* c : {"cost", "control", "security", "legal", "training"}) {
    const nlohmann::json* s = find(list, std::string("score.") + c);
    ASSERT_TRUE(s) << c;
    EXPECT_EQ((*s)["kind"], "score");
  }
  EXPECT_EQ((*find(list, "score.security"))["min"], 0.0);  // security never argues for outsourcing
  const nlohmann::json* total = find(list, "total");
  ASSERT_TRUE(total);
  EXPECT_EQ((*total)["kind"], "total");
  EXPECT_EQ(list.back()["name"], "total");
  EXPECT_EQ(list.size(), 20u + 5u + 1u);  // 19 plugin facts and capacity.utilization, 5 scores, total
}

TEST(FactsCli, FollowsTheRulesGiven) {
  fs::path f = write_rules("facts-rules.yaml", R"(insource: 1
facts:
  project.priority: {type: string, allowed: [low, urgent]}
criteria:
  cost: {weight: 1}
)");
  CliResult r = run("facts --rules " + f.string());
  ASSERT_EQ(r.status, 0) << r.out;
  // Text: a header, then one aligned line per name.
  EXPECT_EQ(r.out.rfind("name ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("project.priority"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("{low|urgent}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rules " + f.string() + ":3:3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("score.cost"), std::string::npos) << r.out;
  // Only the criteria this policy lists have a score, and it has no capacity.utilization.
  EXPECT_EQ(r.out.find("score.control"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("capacity.utilization"), std::string::npos) << r.out;
}

TEST(FactsCli, UnusableRulesExitTwo) {
  fs::path f = write_rules("facts-bad.yaml", "insource: 1\ncriteria: {cozt: {weight: 1}}\n");
  EXPECT_EQ(run("facts --rules " + f.string()).status, 2);
  EXPECT_EQ(run("facts --format yaml").status, 2);
}

TEST(FactsCli, PluginsAsJsonCarryEveryDeclaration) {
  CliResult r = run("plugins --format json");
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json list = nlohmann::json::parse(r.out);
  ASSERT_EQ(list.size(), 5u);
  const nlohmann::json* cost = nullptr;
  for (const auto& p : list)
    if (p["criterion"] == "cost") cost = &p;
  ASSERT_TRUE(cost);
  EXPECT_EQ((*cost)["name"], "builtin-cost");
  EXPECT_EQ((*cost)["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ((*cost)["facts"].size(), 5u);
  EXPECT_EQ((*cost)["facts"][3]["name"], "cost.opportunity_rate");
  EXPECT_EQ((*cost)["facts"][3]["default"], 0.0);
  EXPECT_EQ((*cost)["facts"][3]["unit"], "money/hour");
  EXPECT_EQ((*cost)["params"][0]["name"], "vendor_overhead");
  EXPECT_EQ((*cost)["params"][0]["default"], 0.1);
}

// Every name listed compiles in a condition, and the list is complete: a
// name it does not hold does not compile.
TEST(ConditionNames, EveryListedNameCompilesAndNoOther) {
  auto policy = test::default_policy();
  std::vector<ConditionName> names = condition_names(*policy);
  std::string yaml = "insource: 1\nextends: " + (fs::path(INSOURCE_SOURCE_DIR) / "rules" / "default.yaml").string() +
                     "\noverrides:\n";
  int i = 0;
  for (const ConditionName& n : names)
    yaml += "  - {id: o" + std::to_string(i++) + ", when: 'exists(" + n.decl.name + ")', verdict: review}\n";
  EXPECT_NO_THROW(test::policy_from(yaml));
  EXPECT_NE(test::rules_error(yaml + "  - {id: x, when: 'exists(score.lock_in)', verdict: review}\n"), "");
}

}  // namespace
}  // namespace insource
