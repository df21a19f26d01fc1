// The sandbox of isolated workers (--sandbox; docs/reliability.md section 2,
// "Sandbox"): a plugin that tries the network, a new process or a write
// outside its private folder gets a fault naming what it tried; threads and
// its own folder still work.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "plugin_host/plugin_isolation.h"
#include "plugin_host/sandbox.h"
#include "policy_tools_util.h"
#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const Policy> sandboxed_policy(bool sandbox) {
  PluginTrust trust;
  trust.allow_writable = true;
  trust.isolate_all = true;
  trust.isolation.sandbox = sandbox;
  const char* rules = "insource: 1\ncriteria:\n  cost: {weight: 1}\n  sandboxed: {weight: 1, on_error: abstain}\n";
  return Policy::compile(read_rules_text(rules, "test.yaml", "."),
                         load_plugins({INSOURCE_PLUGIN_DIR, test::fixture_plugin_dir("sandboxed")}, trust));
}

std::string sandboxed_case(const std::string& mode) {
  return "id: " + mode + "\nfacts:\n  cost.hours: 10\n  cost.internal_rate: 50\n  cost.external_rate: 100\n" +
         "  sandboxed.mode: " + mode + "\n";
}

TEST(Sandbox, EachDenialIsAFaultNamingWhatWasTried) {
  if (!sandbox_support().seccomp) GTEST_SKIP() << "no seccomp here: " << sandbox_support().describe();
  const fs::path escape = test::scratch_dir() / "escaped.txt";
  ::setenv("SANDBOX_ESCAPE", escape.c_str(), 1);
  auto p = sandboxed_policy(true);
  Evaluator e(p);
  const size_t sandboxed = test::crit(*p, "sandboxed"), cost = test::crit(*p, "cost");
  struct Want {
    const char* mode;
    const char* tried;
  } wants[] = {
      {"socket", "use the network: socket, address family (2)"},
      {"fork", "start a process: clone without CLONE_THREAD"},
      {"exec", ""},  // posix_spawn blocks SIGSYS around its clone: the kernel kills the worker
      {"write", "write outside its private folder: open for writing"},
  };
  for (const Want& w : wants) {
    SCOPED_TRACE(w.mode);
    Decision d;
    e.decide(test::case_from(*p, sandboxed_case(w.mode)), &d, true);
    EXPECT_FALSE(d.failed) << d.error;
    EXPECT_TRUE(d.criteria[sandboxed].fault);
    EXPECT_NE(d.criteria[sandboxed].error.find(std::string("plugin fixture-sandboxed (criterion sandboxed) was stopped "
                                                           "by the sandbox: the plugin ") +
                                               (*w.tried ? std::string("tried to ") + w.tried : "made a system call it denies")),
              std::string::npos)
        << d.criteria[sandboxed].error;
    EXPECT_EQ(d.criteria[cost].state, CriterionOutcome::State::kVoted);
  }
  EXPECT_FALSE(fs::exists(escape));
  // What stays allowed: its private folder, threads, plain votes.
  for (const char* mode : {"tmp", "thread", "ok"}) {
    SCOPED_TRACE(mode);
    Decision d;
    e.decide(test::case_from(*p, sandboxed_case(mode)), &d, true);
    EXPECT_EQ(d.faults, 0) << d.criteria[sandboxed].error;
    EXPECT_EQ(d.criteria[sandboxed].score, 0.5) << d.criteria[sandboxed].rationale;
  }
}

TEST(Sandbox, WithoutItTheFixtureReallyDoesThoseThings) {
  const fs::path escape = test::scratch_dir() / "unsandboxed.txt";
  ::setenv("SANDBOX_ESCAPE", escape.c_str(), 1);
  auto p = sandboxed_policy(false);
  Evaluator e(p);
  const size_t sandboxed = test::crit(*p, "sandboxed");
  for (const char* mode : {"socket", "fork", "write"}) {
    SCOPED_TRACE(mode);
    Decision d;
    e.decide(test::case_from(*p, sandboxed_case(mode)), &d, true);
    EXPECT_EQ(d.faults, 0) << d.criteria[sandboxed].error;
    EXPECT_EQ(d.criteria[sandboxed].score, -1);
  }
  EXPECT_TRUE(fs::exists(escape));
}

TEST(Sandbox, TheCliFlagSandboxesEveryPluginAndPluginsReportsSupport) {
  if (!sandbox_support().seccomp) GTEST_SKIP() << "no seccomp here";
  const std::string rules = tools_test::write_scratch(
      "sandboxed.yaml", "insource: 1\ncriteria:\n  cost: {weight: 1}\n  sandboxed: {weight: 1}\n");
  const std::string c = tools_test::write_scratch("sandboxed-case.yaml", sandboxed_case("socket"));
  auto r = tools_test::run_cli("decide --sandbox --rules " + rules + " --plugins " + test::fixture_plugin_dir("sandboxed") +
                               " " + c);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(tools_test::contains(r.out + r.err, "was stopped by the sandbox: the plugin tried to use the network")) << r.out;
  auto plugins = tools_test::run_cli("plugins");
  EXPECT_TRUE(tools_test::contains(plugins.out + plugins.err, "sandbox (--sandbox): seccomp yes")) << plugins.out;
}

}  // namespace
}  // namespace insource
