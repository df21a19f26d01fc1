// What an in-process plugin does to the whole process (docs/reliability.md,
// "In process"): an exit() it makes is a failure with a message naming it,
// its prints never reach the host's output, and its background thread may
// log until the very end of the process.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/plugin_text.h"
#include "policy_tools_util.h"
#include "test_util.h"

namespace insource {
namespace {

using tools_test::contains;
using tools_test::run_cli;
using tools_test::write_scratch;

const char* const kRules = "insource: 1\ncriteria:\n  cost: {weight: 1}\n  rude: {weight: 1}\n";

std::string rude_json(const std::string& id, const std::string& mode) {
  return "{\"id\":\"" + id + "\",\"facts\":{\"cost\":{\"hours\":10,\"internal_rate\":50,\"external_rate\":100}," +
         "\"rude\":{\"mode\":\"" + mode + "\"}}}\n";
}

std::string rude_yaml(const std::string& mode) {
  return "id: " + mode + "\nfacts:\n  cost.hours: 10\n  cost.internal_rate: 50\n  cost.external_rate: 100\n  rude.mode: " +
         mode + "\n";
}

std::string base() {
  return " --plugins " + test::fixture_plugin_dir("rude") + " --rules " + write_scratch("rude.yaml", kRules) + " ";
}

TEST(PluginProcess, AnExitInsideAPluginIsAFailureNamingIt) {
  for (const char* mode : {"exit0", "exit3"}) {
    SCOPED_TRACE(mode);
    std::string lines;
    for (int i = 0; i < 50; ++i) lines += rude_json("ok-" + std::to_string(i), "ok");
    lines += rude_json("bye", mode);
    auto r = run_cli("batch --quiet --jobs 1" + base() + write_scratch(std::string("rude-") + mode + ".jsonl", lines));
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "plugin fixture-rude (criterion rude) ended the process (exit) during evaluate")) << r.err;
    auto d = run_cli("decide" + base() + write_scratch(std::string("rude-") + mode + ".yaml", rude_yaml(mode)));
    EXPECT_EQ(d.status, 2) << d.err;
    EXPECT_TRUE(contains(d.err, "fixture-rude")) << d.err;
  }
}

TEST(PluginProcess, APluginsStdoutNeverReachesTheHostsOutput) {
  std::string lines;
  for (int i = 0; i < 200; ++i) lines += rude_json("p-" + std::to_string(i), i % 2 ? "print" : "ok");
  auto r = run_cli("batch --quiet" + base() + write_scratch("rude-print.jsonl", lines));
  EXPECT_EQ(r.status, 0) << r.err;
  std::istringstream in(r.out);
  int n = 0;
  for (std::string line; std::getline(in, line); ++n) EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  EXPECT_EQ(n, 200);
  // The banner of its static constructor and its prints went to stderr.
  EXPECT_TRUE(contains(r.err, "rude plugin banner")) << r.err.substr(0, 500);
  EXPECT_TRUE(contains(r.err, "rude plugin prints in evaluate"));
  auto d = run_cli("decide --format json" + base() + write_scratch("rude-print.yaml", rude_yaml("print")));
  EXPECT_EQ(d.status, 0) << d.err;
  EXPECT_TRUE(nlohmann::json::accept(d.out)) << d.out;
  EXPECT_FALSE(contains(d.out, "rude plugin"));
}

// The plugin's detached thread logs every millisecond, through the whole
// run, the exit and the static destructors: each run ends cleanly.
TEST(PluginProcess, APluginThreadMayLogUntilTheProcessEnds) {
  std::string lines;
  for (int i = 0; i < 3000; ++i) lines += rude_json("t-" + std::to_string(i), "ok");
  const std::string file = write_scratch("rude-thread.jsonl", lines);
  for (int run = 0; run < 8; ++run) {
    SCOPED_TRACE(run);
    auto r = run_cli(std::string("--log-level ") + (run % 2 ? "info" : "warn") + " batch --quiet --jobs 2" + base() + file);
    ASSERT_EQ(r.status, 0) << r.err.substr(0, 2000);
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3000);
    if (run % 2) {
      EXPECT_TRUE(contains(r.err, "background thread logging"));
    }
  }
}

}  // namespace
}  // namespace insource
