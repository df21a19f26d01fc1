// What a new user meets in the first hour, through the real binary: a
// mistyped command, several load errors in one run, a key indented too deep,
// yaml-cpp's terse messages, near-miss levels and bools, unreadable files,
// skipped plugin files, and the server's content-type message.
#include <sys/stat.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "policy_tools_util.h"

namespace insource {
namespace {

using tools_test::contains;
using tools_test::run_cli;
using tools_test::write_scratch;

TEST(FirstHour, AMistypedCommandIsNamedWithTheNearestOne) {
  auto r = run_cli("dcide examples/cases/candy-launch.yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "`dcide` is not a command; did you mean `decide`?")) << r.err;
  auto far = run_cli("--log-level info frobnicate");
  EXPECT_EQ(far.status, 2);
  EXPECT_TRUE(contains(far.err, "`frobnicate` is not a command\n")) << far.err;
  // A real command after an option's value is still found.
  EXPECT_EQ(run_cli("--log-level warn check").status, 0);
}

// Three mistakes of three kinds (a key indented too deep, a weight written
// as a string, a typo in a condition): one run reports all three, each with
// file:line:column, and nothing about a criterion named `thresholds`.
TEST(FirstHour, CheckReportsEveryLoadErrorInOneRun) {
  std::string rules = write_scratch("three-mistakes.yaml",
                                    "insource: 1\n"
                                    "criteria:\n"
                                    "  cost: {weight: \"0.5\"}\n"
                                    "  control: {weight: 0.5}\n"
                                    "  thresholds: {insource: 0.2, outsource: -0.2}\n"
                                    "overrides:\n"
                                    "  - id: typo\n"
                                    "    when: control.core_competance\n"
                                    "    verdict: insource\n"
                                    "    reason: kept\n");
  auto r = run_cli("check --rules " + rules);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, rules + ":3:")) << r.err;
  EXPECT_TRUE(contains(r.err, "weight of cost")) << r.err;
  EXPECT_TRUE(contains(r.err, rules + ":5:3: error: `thresholds` is indented under `criteria`: did you mean the "
                                      "top-level `thresholds`?"))
      << r.err;
  EXPECT_TRUE(contains(r.err, rules + ":8:")) << r.err;
  EXPECT_TRUE(contains(r.err, "core_competance")) << r.err;
  EXPECT_FALSE(contains(r.err, "criterion thresholds")) << r.err;
  EXPECT_FALSE(contains(r.err, "unknown key 'insource'")) << r.err;
  EXPECT_TRUE(contains(r.out, ": 3 errors")) << r.out;
}

TEST(FirstHour, YamlCppMessagesGetAHintInPlainWords) {
  std::string rules = write_scratch("colon.yaml", "insource: 1\ncriteria:\n  cost: {weight: 0.5}\nname: a: b\n");
  auto r = run_cli("check --rules " + rules);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, rules + ":4:8: error: invalid YAML: illegal map value (a line has a second ': '")) << r.err;
  std::string indent = write_scratch("indent.yaml", "insource: 1\ncriteria:\n  cost:\n    weight: 0.5\n   params: {}\n");
  auto i = run_cli("check --rules " + indent);
  EXPECT_EQ(i.status, 1);
  EXPECT_TRUE(contains(i.err, "indent")) << i.err;
}

TEST(FirstHour, ANearLevelAndAYesForABoolGetHints) {
  std::string c = write_scratch("near.yaml",
                                "id: near\n"
                                "facts:\n"
                                "  security: {system_access: backoffice, vendor_certified: yes}\n"
                                "  control: {core_competence: 1}\n");
  auto r = run_cli("decide " + c);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "(did you mean 'back_office'?)")) << r.err;
  EXPECT_TRUE(contains(r.err, "(write true or false)")) << r.err;
  // All three bad facts in one run, each on its own line with its position.
  EXPECT_TRUE(contains(r.err, "near.yaml:3:29: case near: fact security.system_access")) << r.err;
  EXPECT_TRUE(contains(r.err, "near.yaml:3:59: case near: fact security.vendor_certified")) << r.err;
  EXPECT_TRUE(contains(r.err, "near.yaml:4:30: case near: fact control.core_competence")) << r.err;
  std::string upper = write_scratch("upper.yaml", "id: upper\nfacts:\n  security: {system_access: Back-Office}\n");
  EXPECT_TRUE(contains(run_cli("decide " + upper).err, "(did you mean 'back_office'?)"));
}

TEST(FirstHour, AJsonCaseWithSeveralBadFactsReportsThemAll) {
  // The same three problems as one JSON text spread over lines, as a JSON
  // Lines record, and through batch: each named, with its line.
  const std::string facts =
      "\"cost\": {\"hours\": \"many\",\n"
      "  \"internal_rate\": -5, \"external_rate\": 60},\n"
      "  \"security\": {\"system_acess\": \"vendor\"}";
  std::string json = write_scratch("several.json", "{\"id\": \"s\",\n \"facts\": {" + facts + "}}\n");
  auto r = run_cli("decide " + json);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "several.json:2: case s: fact cost.hours must be a number, not the string \"many\"")) << r.err;
  EXPECT_TRUE(contains(r.err, "several.json:3: case s: fact cost.internal_rate must be >= 0, not -5")) << r.err;
  EXPECT_TRUE(contains(r.err, "several.json:4: case s: unknown fact 'security.system_acess' (did you mean "
                              "'security.system_access'?)"))
      << r.err;

  std::string line = "{\"id\": \"s\", \"facts\": {" + facts + "}}";
  line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
  std::string jsonl = write_scratch("several.jsonl", "\n" + line + "\n");
  r = run_cli("decide " + jsonl);
  EXPECT_EQ(r.status, 1);
  for (const char* problem : {"fact cost.hours must be a number", "fact cost.internal_rate must be >= 0",
                              "unknown fact 'security.system_acess'"})
    EXPECT_TRUE(contains(r.err, std::string("several.jsonl:2: case s: ") + problem)) << r.err;

  auto b = run_cli("batch " + jsonl);
  EXPECT_EQ(b.status, 1);
  auto record = nlohmann::json::parse(b.out.substr(0, b.out.find('\n')));
  EXPECT_EQ(record["error"]["kind"], "case");
  const std::string message = record["error"]["message"];
  EXPECT_TRUE(contains(message, "fact cost.hours must be a number")) << message;
  EXPECT_TRUE(contains(message, "several.jsonl:2: case s: fact cost.internal_rate must be >= 0, not -5")) << message;
  EXPECT_TRUE(contains(message, "several.jsonl:2: case s: unknown fact 'security.system_acess'")) << message;
}

TEST(FirstHour, AFileThatCannotBeReadSaysWhy) {
  auto missing = run_cli("decide no-such-case.yaml");
  EXPECT_EQ(missing.status, 1);
  EXPECT_TRUE(contains(missing.err, "no-such-case.yaml: cannot read the case file: there is no such file")) << missing.err;
  auto folder = run_cli("decide examples");
  EXPECT_TRUE(contains(folder.err, "examples: cannot read the case file: it is a folder, not a file")) << folder.err;
  auto rules = run_cli("check --rules examples");
  EXPECT_TRUE(contains(rules.err, "examples: error: cannot read the rules file: it is a folder, not a file")) << rules.err;
  std::string child = write_scratch("child.yaml", "insource: 1\nextends: nowhere.yaml\n");
  auto ext = run_cli("check --rules " + child);
  EXPECT_TRUE(contains(ext.err, "cannot read the extended rules file '" + (tools_test::scratch() / "nowhere.yaml").string() +
                                    "': there is no such file"))
      << ext.err;
  if (::geteuid() != 0) {  // root reads whatever the mode says
    std::string locked = write_scratch("locked.yaml", "id: x\n");
    ::chmod(locked.c_str(), 0);
    EXPECT_TRUE(contains(run_cli("decide " + locked).err, "cannot read the case file: permission denied"));
  }
}

TEST(FirstHour, SkippedLibrariesInAPluginFolderAreNamed) {
  std::string dir = (tools_test::scratch() / "plugins").string();
  write_scratch("plugins/libz.so.1", "not really a library");
  write_scratch("plugins/foo.so.2", "nor this");
  write_scratch("plugins/notes.txt", "ignored without a word");
  auto r = run_cli("plugins --plugins " + dir);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "libz.so.1: skipped, not loaded as a plugin")) << r.err;
  EXPECT_TRUE(contains(r.out, "skipped (not loaded as plugins):\n")) << r.out;
  EXPECT_TRUE(contains(r.out, dir + "/foo.so.2: a versioned library name")) << r.out;
  EXPECT_FALSE(contains(r.out + r.err, "notes.txt")) << r.out;
}

}  // namespace
}  // namespace insource
