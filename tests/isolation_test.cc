// Plugin isolation (docs/reliability.md section 2): isolated plugins run in
// insource-plugin-worker processes; a plugin that crashes, aborts, exits,
// hangs or exhausts memory costs its case a fault and its worker a restart,
// and the next case is decided as if nothing happened.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "plugin_host/plugin_isolation.h"
#include "policy_tools_util.h"
#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;

PluginSet isolated_plugins(const std::vector<std::string>& fixtures, bool all, std::set<std::string> criteria = {},
                           uint32_t timeout_ms = 1000, uint32_t memory_mib = 1024) {
  std::vector<fs::path> dirs{INSOURCE_PLUGIN_DIR};
  for (const auto& f : fixtures) dirs.emplace_back(test::fixture_plugin_dir(f));
  PluginTrust trust;
  trust.allow_writable = true;
  trust.isolate_all = all;
  trust.isolate = std::move(criteria);
  trust.isolation.timeout_ms = timeout_ms;
  trust.isolation.memory_mib = memory_mib;
  return load_plugins(dirs, trust);
}

const char* const kRules =
    "insource: 1\n"
    "criteria:\n"
    "  cost: {weight: 1}\n"
    "  crashy: {weight: 1, on_error: abstain, timeout_ms: 200}\n";

std::shared_ptr<const Policy> crashy_policy(bool all = true) {
  return Policy::compile(read_rules_text(kRules, "test.yaml", "."), isolated_plugins({"crashy"}, all, {"crashy"}));
}

std::string crashy_case(const std::string& mode) {
  return "id: " + mode + "\nfacts:\n  cost.hours: 10\n  cost.internal_rate: 50\n  cost.external_rate: 100\n" +
         "  crashy.mode: " + mode + "\n";
}

// Whether this process has `file` mapped (dlopen'ed).
bool mapped_here(const std::string& file) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(file) != std::string::npos) return true;
  return false;
}

TEST(Isolation, AnIsolatedPluginIsNeverLoadedIntoTheHost) {
  auto set = isolated_plugins({"crashy"}, true);
  auto crashy = set.find("crashy");
  ASSERT_TRUE(crashy);
  EXPECT_TRUE(crashy->isolated());
  EXPECT_EQ(crashy->name(), "fixture-crashy");
  ASSERT_EQ(crashy->facts().size(), 1u);  // the descriptor came over from the worker intact
  EXPECT_EQ(crashy->facts()[0].name, "crashy.mode");
  EXPECT_EQ(crashy->facts()[0].allowed.size(), 7u);
  EXPECT_EQ(crashy->sha256().size(), 64u);
  EXPECT_FALSE(mapped_here("crashy/crashy.so"));
  EXPECT_THROW(crashy->instantiate({}), PluginError);
  // The built-in cost plugin came over with its parameters and bounds.
  auto cost = set.find("cost");
  ASSERT_TRUE(cost);
  EXPECT_TRUE(cost->isolated());
  EXPECT_FALSE(cost->params().empty());
}

TEST(Isolation, TheRulesIsolateSingleCriteria) {
  RulesDoc doc = read_rules_text("insource: 1\ncriteria:\n  cost: {weight: 1}\n  crashy: {weight: 1, isolate: true}\n",
                                 "test.yaml", ".");
  PluginTrust trust = plugin_trust_of(doc, true);
  EXPECT_EQ(trust.isolate, std::set<std::string>{"crashy"});
  auto set = load_plugins({INSOURCE_PLUGIN_DIR, test::fixture_plugin_dir("crashy")}, trust);
  EXPECT_TRUE(set.find("crashy")->isolated());
  EXPECT_FALSE(set.find("cost")->isolated());
  auto policy = Policy::compile(std::move(doc), std::move(set));
  Decision d = test::decide(policy, crashy_case("segv"));
  EXPECT_TRUE(d.failed);  // on_error defaults to fail
  EXPECT_NE(d.error.find("signal 11"), std::string::npos) << d.error;
}

TEST(Isolation, EachWayToDieIsAFaultAndTheNextCaseIsDecided) {
  auto p = crashy_policy();
  Evaluator e(p);
  const size_t crashy = test::crit(*p, "crashy"), cost = test::crit(*p, "cost");
  struct Want {
    const char* mode;
    const char* message;
  } wants[] = {
      {"segv", "crashed: its worker process was killed by signal 11 (Segmentation fault)"},
      {"abort", "crashed: its worker process was killed by signal 6 (Aborted)"},
      {"exit", "crashed: its worker process exited with status 7"},
      {"hang", "did not answer within 200 ms; its worker process was killed"},
  };
  for (const Want& w : wants) {
    SCOPED_TRACE(w.mode);
    Decision d;
    e.decide(test::case_from(*p, crashy_case(w.mode)), &d, true);
    EXPECT_FALSE(d.failed);
    EXPECT_EQ(d.faults, 1);
    EXPECT_TRUE(d.criteria[crashy].fault);
    EXPECT_EQ(d.criteria[crashy].state, CriterionOutcome::State::kAbstained);  // on_error: abstain
    EXPECT_EQ(d.criteria[crashy].error, std::string("plugin fixture-crashy (criterion crashy) ") + w.message);
    // cost ran in the same worker before crashy and kept its vote.
    EXPECT_EQ(d.criteria[cost].state, CriterionOutcome::State::kVoted);

    Decision next;
    e.decide(test::case_from(*p, crashy_case("ok")), &next, true);
    EXPECT_EQ(next.faults, 0) << next.criteria[crashy].error;
    EXPECT_EQ(next.criteria[crashy].state, CriterionOutcome::State::kVoted);
    EXPECT_EQ(next.criteria[crashy].score, 0.5);
    EXPECT_EQ(next.criteria[crashy].rationale, "fine");
    EXPECT_EQ(next.criteria[cost].score, d.criteria[cost].score);
  }
}

// The worker answers a case in one send, so a crash loses the votes it had
// already computed: they are asked again of the new worker, and only the
// plugin that was running is blamed.
TEST(Isolation, TheOtherCriteriaOfACrashedCaseStillVote) {
  RulesDoc doc = read_rules_text(
      "insource: 1\ncriteria:\n  crashy: {weight: 1, on_error: abstain, timeout_ms: 200}\n  cost: {weight: 1}\n"
      "  faulty: {weight: 1}\n",
      "test.yaml", ".");
  auto p = Policy::compile(std::move(doc), isolated_plugins({"crashy", "faulty"}, true));
  Evaluator e(p);
  for (const char* mode : {"segv", "hang"}) {
    SCOPED_TRACE(mode);
    Decision d;
    e.decide(test::case_from(*p, crashy_case(mode) + "  faulty.mode: ok\n"), &d, true);
    EXPECT_FALSE(d.failed) << d.error;
    EXPECT_EQ(d.faults, 1);
    EXPECT_TRUE(d.criteria[test::crit(*p, "crashy")].fault);
    EXPECT_EQ(d.criteria[test::crit(*p, "cost")].state, CriterionOutcome::State::kVoted);
    EXPECT_EQ(d.criteria[test::crit(*p, "faulty")].score, 0.5);
    EXPECT_EQ(d.criteria[test::crit(*p, "faulty")].rationale, "fine");
  }
}

TEST(Isolation, IsolatedVotesEqualInProcessVotes) {
  auto isolated = Policy::compile(read_rules_text(tools_test::read_file(std::string(INSOURCE_SOURCE_DIR) + "/rules/default.yaml"),
                                                  "default.yaml", "."),
                                  isolated_plugins({}, true));
  auto local = test::default_policy();
  Evaluator ei(isolated), el(local);
  for (const char* name : {"candy-launch", "back-office-accounting", "office-catering"}) {
    SCOPED_TRACE(name);
    std::string yaml = tools_test::read_file(std::string(INSOURCE_SOURCE_DIR) + "/examples/cases/" + name + ".yaml");
    Decision di, dl;
    ei.decide(test::case_from(*isolated, yaml), &di, true);
    el.decide(test::case_from(*local, yaml), &dl, true);
    EXPECT_EQ(di.verdict, dl.verdict);
    EXPECT_EQ(di.total, dl.total);  // bit for bit: the same code computes it, only elsewhere
    EXPECT_EQ(di.rule, dl.rule);
    ASSERT_EQ(di.criteria.size(), dl.criteria.size());
    for (size_t i = 0; i < di.criteria.size(); ++i) {
      EXPECT_EQ(di.criteria[i].state, dl.criteria[i].state) << i;
      EXPECT_EQ(di.criteria[i].score, dl.criteria[i].score) << i;
      EXPECT_EQ(di.criteria[i].rationale, dl.criteria[i].rationale) << i;
    }
  }
}

TEST(Isolation, AnErrorStatusFromAnIsolatedPluginIsReportedAsInProcess) {
  RulesDoc doc = read_rules_text("insource: 1\ncriteria:\n  faulty: {weight: 1}\n", "test.yaml", ".");
  auto p = Policy::compile(std::move(doc), isolated_plugins({"faulty"}, true));
  Decision d = test::decide(p, "id: x\nfacts:\n  faulty.mode: error\n");
  EXPECT_TRUE(d.failed);
  EXPECT_NE(d.error.find("failed: faulty.mode asked for an error [invalid argument]"), std::string::npos) << d.error;
  d = test::decide(p, "id: x\nfacts:\n  faulty.mode: nan\n");
  EXPECT_NE(d.error.find("outside [-1, 1]"), std::string::npos) << d.error;
}

TEST(Isolation, AMemoryHogHitsTheWorkersLimitNotTheHosts) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // A sanitized worker runs without an address-space limit (the shadow memory needs it all).
  GTEST_SKIP() << "no memory limit under a sanitizer";
#endif
  RulesDoc doc = read_rules_text("insource: 1\ncriteria:\n  crashy: {weight: 1, timeout_ms: 30000}\n", "test.yaml", ".");
  auto p = Policy::compile(std::move(doc), isolated_plugins({"crashy"}, true, {}, 1000, 256));
  Decision d = test::decide(p, "id: x\nfacts:\n  crashy.mode: oom\n");
  EXPECT_TRUE(d.failed);
  EXPECT_NE(d.error.find("[out of memory]"), std::string::npos) << d.error;
}

TEST(Isolation, APluginThatCrashesWhileLoadingIsAnErrorNamingTheFile) {
  try {
    isolated_plugins({"crash_on_load"}, true);
    FAIL() << "loaded";
  } catch (const PluginError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("crash_on_load.so"), std::string::npos) << m;
    EXPECT_NE(m.find("crashed while loading: its worker process was killed by signal 6 (Aborted)"), std::string::npos)
        << m;
  }
}

TEST(Isolation, ParametersAreCheckedAtLoadInTheWorker) {
  RulesDoc doc = read_rules_text("insource: 1\ncriteria:\n  security: {weight: 1, params: {certified_discount: 3}}\n",
                                 "test.yaml", ".");
  try {
    Policy::compile(std::move(doc), isolated_plugins({}, true));
    FAIL() << "compiled";
  } catch (const RulesError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("certified_discount must be in [0, 1], got 3"), std::string::npos) << m;
    EXPECT_NE(m.find("test.yaml:3"), std::string::npos) << m;
  }
}

TEST(Isolation, AMissingWorkerIsAClearError) {
  IsolationConfig c;
  c.worker = "/nonexistent/insource-plugin-worker";
  std::vector<fs::path> dirs{INSOURCE_PLUGIN_DIR};
  PluginTrust trust;
  trust.allow_writable = true;
  trust.isolate_all = true;
  trust.isolation = c;
  try {
    load_plugins(dirs, trust);
    FAIL() << "loaded";
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot start the plugin worker /nonexistent/insource-plugin-worker"),
              std::string::npos)
        << e.what();
  }
}

TEST(Isolation, RulesKeysAreChecked) {
  EXPECT_NE(test::rules_error("insource: 1\ncriteria:\n  cost: {weight: 1, isolate: yes please}\n")
                .find("isolate of cost must be true or false"),
            std::string::npos);
  EXPECT_NE(test::rules_error("insource: 1\ncriteria:\n  cost: {weight: 1, timeout_ms: 0}\n")
                .find("timeout_ms of cost must be a whole number of milliseconds from 1 to 3600000"),
            std::string::npos);
  EXPECT_NE(test::rules_error("insource: 1\ncriteria:\n  cost: {weight: 1, timeout_ms: 2.5}\n").find("timeout_ms of cost"),
            std::string::npos);
}

TEST(Isolation, APluginPrintingToStdoutDoesNotCorruptTheRecords) {
  std::string rules = tools_test::write_scratch("crashy-rules.yaml", kRules);
  std::string cases = tools_test::write_scratch("crashy-cases.jsonl",
                                          "{\"id\":\"a\",\"facts\":{\"crashy.mode\":\"print\"}}\n"
                                          "{\"id\":\"b\",\"facts\":{\"crashy.mode\":\"segv\"}}\n"
                                          "{\"id\":\"c\",\"facts\":{\"crashy.mode\":\"ok\"}}\n");
  auto r = tools_test::run_cli("batch --quiet --isolate --rules " + rules + " --plugins " +
                         test::fixture_plugin_dir("crashy") + " " + cases);
  EXPECT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<std::string> ids;
  while (std::getline(lines, line)) ids.push_back(nlohmann::json::parse(line).at("id"));
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_NE(r.err.find("crashy writes to stdout"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("signal 11"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace insource
