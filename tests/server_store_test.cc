// The engine pieces under `insource serve`, in-process: the policy store and
// its validation gate, private plugin copies, the watch list, the decision
// log and replay.
#include <algorithm>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "service/decision_log.h"
#include "service/policy_store.h"
#include "io/report.h"
#include "plugin_host/sha256.h"
#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;

const char kRulesA[] =
    "insource: 1\nname: A\ncriteria:\n  cost: {weight: 1}\nthresholds: {insource: 0.2, outsource: -0.2}\n";
const char kRulesB[] =
    "insource: 1\nname: B\ncriteria:\n  cost: {weight: 1}\nthresholds: {insource: 0.9, outsource: -0.9}\n";
const char kBroken[] = "insource: 1\ncriteria:\n  cost: {wieght: 1}\n";

// A scratch folder, removed afterwards.
struct Scratch {
  fs::path dir;
  Scratch() {
    dir = fs::temp_directory_path() /
          ("insource-store-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = dir / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

PolicySource source_for(const std::string& rules, bool stage = true) {
  PolicySource s;
  s.rules = rules;
  s.plugin_dirs = {INSOURCE_PLUGIN_DIR};
  s.no_default_plugins = true;
  s.stage_plugins = stage;
  return s;
}

TEST(PolicyStore, FirstLoadHasGenerationOneAndTheRevisionOfTheResolvedText) {
  Scratch s;
  std::string rules = s.write("a.yaml", kRulesA);
  PolicyStore store(source_for(rules));
  store.load();
  auto snap = store.current();
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->generation, 1u);
  EXPECT_EQ(snap->revision, sha256_hex(snap->policy->rules().resolved_text));
  EXPECT_EQ(snap->revision.size(), 64u);
  ASSERT_EQ(snap->plugins.size(), 5u);
  for (const auto& p : snap->plugins) {
    EXPECT_EQ(fs::path(p.file).parent_path(), fs::canonical(INSOURCE_PLUGIN_DIR)) << p.file;
    EXPECT_EQ(p.sha256, sha256_file_hex(p.file)) << p.file;
  }
}

TEST(PolicyStore, TheBuiltInDefaultPolicy) {
  PolicySource src = source_for("");
  PolicyStore store(src);
  store.load();
  auto snap = store.current();
  EXPECT_EQ(snap->revision, sha256_hex(std::string(embedded_default_rules()) + "\n"));
  EXPECT_EQ(snap->policy->rules().file, kEmbeddedRulesLabel);
}

TEST(PolicyStore, AFailedReloadKeepsTheGoodPolicy) {
  Scratch s;
  std::string rules = s.write("rules.yaml", kRulesA);
  PolicyStore store(source_for(rules));
  store.load();
  auto a = store.current();

  s.write("rules.yaml", kBroken);
  ReloadOutcome r = store.reload("test");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("rules.yaml:3:"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("wieght"), std::string::npos) << r.error;
  EXPECT_EQ(store.current(), a);  // the very same snapshot
  EXPECT_EQ(r.current, a);
  ReloadStatus st = store.status();
  EXPECT_EQ(st.failed, 1u);
  EXPECT_EQ(st.succeeded, 0u);
  EXPECT_FALSE(st.last_ok);
  EXPECT_EQ(st.last_trigger, "test");
  EXPECT_EQ(st.last_error, r.error);

  s.write("rules.yaml", kRulesB);
  r = store.reload("test");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.changed);
  auto b = store.current();
  EXPECT_NE(b->revision, a->revision);
  EXPECT_EQ(b->generation, a->generation + 1);
  EXPECT_EQ(b->policy->rules().name, "B");
  st = store.status();
  EXPECT_EQ(st.succeeded, 1u);
  EXPECT_TRUE(st.last_ok);
  EXPECT_FALSE(st.last_error.empty());  // the last error is kept for the record

  // The old snapshot still decides, on its own policy.
  Evaluator ea(a->policy), eb(b->policy);
  CaseFacts c = test::case_from(*a->policy, "id: x\nfacts: {cost: {hours: 10, internal_rate: 50, external_rate: 20}}\n");
  Decision da, db;
  ea.decide(c, &da, false);
  eb.decide(c, &db, false);
  EXPECT_EQ(da.verdict, Verdict::kOutsource);
  EXPECT_EQ(db.verdict, Verdict::kHybrid);
}

TEST(PolicyStore, AReloadOfTheSameFilesIsUnchanged) {
  Scratch s;
  PolicyStore store(source_for(s.write("r.yaml", kRulesA)));
  store.load();
  ReloadOutcome r = store.reload("again");
  ASSERT_TRUE(r.ok);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.current->generation, 2u);
}

TEST(PolicyStore, APluginProblemIsRefusedWithTheOriginalFileNamed) {
  Scratch s;
  PolicySource src = source_for(s.write("r.yaml", kRulesA));
  PolicyStore store(src);
  store.load();
  // A second plugin for "cost" appears on the path: the reload is refused.
  fs::create_directories(s.dir / "more");
  fs::copy_file(test::fixture_plugin_dir("cost_again") + "/cost_again.so", s.dir / "more" / "cost_again.so");
  PolicySource with_more = src;
  with_more.plugin_dirs.push_back((s.dir / "more").string());
  PolicyStore other(with_more);
  try {
    other.load();
    FAIL() << "loaded two plugins for one criterion";
  } catch (const PolicyLoadError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find((fs::canonical(s.dir / "more") / "cost_again.so").string()), std::string::npos) << m;
    EXPECT_EQ(m.find("insource-plugins-"), std::string::npos) << "the private copy is named: " << m;
  }
}

TEST(PolicyStore, APluginReplacedOnDiskIsLoadedAnew) {
  // The plugin folder holds one file, cost.so; it is replaced by another
  // plugin for the same criterion. With private copies the reload loads the
  // new code even though the old library is still loaded under that name.
  Scratch s;
  fs::create_directories(s.dir / "plugins");
  fs::path file = s.dir / "plugins" / "cost.so";
  fs::copy_file(fs::path(INSOURCE_PLUGIN_DIR) / "cost.so", file);
  PolicySource src;
  src.rules = s.write("r.yaml", kRulesA);
  src.plugin_dirs = {(s.dir / "plugins").string()};
  src.no_default_plugins = true;
  PolicyStore store(src);
  store.load();
  auto first = store.current();
  EXPECT_EQ(first->plugins[0].name, "builtin-cost");
  EXPECT_EQ(first->plugins[0].file, fs::canonical(file).string());

  fs::path tmp = s.dir / "plugins" / ".new";
  fs::copy_file(test::fixture_plugin_dir("cost_again") + "/cost_again.so", tmp);
  fs::rename(tmp, file);
  ReloadOutcome r = store.reload("test");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.current->plugins[0].name, "fixture-cost-again");
  EXPECT_EQ(r.current->plugins[0].sha256, sha256_file_hex(file));
  EXPECT_NE(r.current->plugins[0].sha256, first->plugins[0].sha256);
  EXPECT_EQ(r.current->revision, first->revision);  // the rules did not change
}

TEST(PolicyStore, PrivateCopiesAreRemovedOnceLoaded) {
  Scratch s;
  fs::create_directories(s.dir / "tmp");
  std::string old_tmp = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
  ::setenv("TMPDIR", (s.dir / "tmp").c_str(), 1);
  PolicyStore store(source_for(s.write("r.yaml", kRulesA)));
  store.load();
  ReloadOutcome r = store.reload("test");
  if (old_tmp.empty()) ::unsetenv("TMPDIR");
  else ::setenv("TMPDIR", old_tmp.c_str(), 1);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(fs::is_empty(s.dir / "tmp"));
  // And the copies decide like the originals.
  Evaluator e(r.current->policy);
  CaseFacts c = test::case_from(*r.current->policy, "id: x\nfacts: {cost: {hours: 10, internal_rate: 50, external_rate: 20}}\n");
  Decision d;
  e.decide(c, &d, false);
  EXPECT_EQ(d.verdict, Verdict::kOutsource);
}

TEST(PolicyStore, PinsAndPermissionsApplyToThePrivateCopiesAsToTheFiles) {
  Scratch s;
  fs::create_directories(s.dir / "plugins");
  for (const char* name : {"cost.so", "control.so"})
    fs::copy_file(fs::path(INSOURCE_PLUGIN_DIR) / name, s.dir / "plugins" / name);
  const std::string cost_sha = sha256_file_hex(s.dir / "plugins" / "cost.so");
  PolicySource src;
  src.plugin_dirs = {(s.dir / "plugins").string()};
  src.no_default_plugins = true;
  // Pinned: only the file with the pinned hash is loaded.
  src.rules = s.write("pinned.yaml", "insource: 1\ncriteria: {cost: {weight: 1, sha256: " + cost_sha + "}}\n");
  PolicyStore pinned(src);
  pinned.load();
  ASSERT_EQ(pinned.current()->plugins.size(), 1u);
  EXPECT_EQ(pinned.current()->plugins[0].sha256, cost_sha);
  // A pin that no file has: refused, naming the criterion.
  src.rules = s.write("wrong.yaml", "insource: 1\ncriteria: {cost: {weight: 1, sha256: " + std::string(64, 'a') + "}}\n");
  EXPECT_THROW(PolicyStore(src).load(), PolicyLoadError);
  // A folder others may write to is refused unless allowed.
  src.rules = s.write("plain.yaml", kRulesA);
  fs::permissions(s.dir / "plugins", fs::perms::group_write, fs::perm_options::add);
  try {
    PolicyStore(src).load();
    ADD_FAILURE() << "loaded from a group-writable folder";
  } catch (const PolicyLoadError& e) {
    EXPECT_NE(std::string(e.what()).find("writable by group or others"), std::string::npos) << e.what();
  }
  src.allow_writable_plugins = true;
  EXPECT_NO_THROW(PolicyStore(src).load());
}

TEST(PolicyStore, WatchedFilesChangeWhenARulesFileDoes) {
  Scratch s;
  std::string base = s.write("base.yaml", kRulesA);
  std::string child = s.write("child.yaml", "insource: 1\nextends: base.yaml\nname: child\n");
  PolicyStore store(source_for(child));
  store.load();
  auto before = store.watched_files();
  std::vector<std::string> paths;
  for (const auto& w : before) paths.push_back(w.path);
  EXPECT_NE(std::find(paths.begin(), paths.end(), child), paths.end());
  bool has_base = false, has_plugin = false;
  for (const auto& p : paths) {
    has_base = has_base || fs::path(p).filename() == "base.yaml";
    has_plugin = has_plugin || fs::path(p).extension() == ".so";
  }
  EXPECT_TRUE(has_base);
  EXPECT_TRUE(has_plugin);
  EXPECT_EQ(store.watched_files(), before);
  EXPECT_EQ(store.watch_baseline(), before);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  s.write("base.yaml", kRulesB);
  EXPECT_NE(store.watched_files(), before);
  EXPECT_EQ(store.watch_baseline(), before);  // what the policy in force was read from
  ASSERT_TRUE(store.reload("watch").ok);
  EXPECT_EQ(store.watch_baseline(), store.watched_files());
}

TEST(PolicyStore, Rfc3339) {
  using namespace std::chrono;
  system_clock::time_point t{milliseconds(1795843817123)};
  EXPECT_EQ(rfc3339(t), "2026-11-28T05:30:17.123Z");
}

// ---- the decision log -------------------------------------------------------

TEST(DecisionLog, LinesFromManyThreadsStayWhole) {
  Scratch s;
  std::string path = (s.dir / "log.jsonl").string();
  {
    DecisionLog log(path);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 200; ++i) {
          std::string lines;
          for (int k = 0; k < 3; ++k)
            lines += "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + ",\"pad\":\"" +
                     std::string(static_cast<size_t>(100 + (i * 37) % 900), 'x') + "\"}\n";
          log.append(lines);
        }
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(log.lines(), 2400u);
    EXPECT_EQ(log.errors(), 0u);
  }
  std::ifstream in(path);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    EXPECT_TRUE(nlohmann::json::accept(line)) << line.substr(0, 80);
  }
  EXPECT_EQ(n, 2400u);
}

TEST(DecisionLog, ReopenFollowsARotatedFile) {
  Scratch s;
  std::string path = (s.dir / "log.jsonl").string();
  DecisionLog log(path);
  log.append("{\"a\":1}\n");
  fs::rename(path, path + ".1");
  log.append("{\"a\":2}\n");  // still the old file
  ASSERT_TRUE(log.reopen());
  log.append("{\"a\":3}\n");
  std::ifstream old(path + ".1"), now(path);
  std::stringstream a, b;
  a << old.rdbuf();
  b << now.rdbuf();
  // Each line is chained to the one before it in its file (service/log_chain.h).
  const std::string rotated = a.str(), fresh = b.str();
  EXPECT_EQ(std::count(rotated.begin(), rotated.end(), '\n'), 2) << rotated;
  EXPECT_NE(rotated.find("\"a\":1}\n"), std::string::npos) << rotated;
  EXPECT_NE(rotated.find("\"a\":2}\n"), std::string::npos) << rotated;
  EXPECT_EQ(std::count(fresh.begin(), fresh.end(), '\n'), 1) << fresh;
  EXPECT_NE(fresh.find("\"a\":3}\n"), std::string::npos) << fresh;
  EXPECT_THROW(DecisionLog((s.dir / "no" / "such" / "dir.log").string()), std::runtime_error);
}

// Logs one decision of `yaml` under `snap` the way the server does.
std::string log_line(const PolicySnapshot& snap, const std::string& case_json, const std::string& id) {
  auto inputs = read_cases(case_json, "case.json", snap.policy->schema());
  EXPECT_TRUE(inputs.size() == 1 && inputs[0].value) << (inputs.empty() ? "" : inputs[0].error);
  Evaluator e(snap.policy);
  Decision d;
  e.decide(*inputs[0].value, &d, true);
  std::string out;
  append_log_line(&out, id, "2026-11-28T05:30:17.123Z", snap, plugin_hashes_json(snap), "decide", case_json,
                  decision_json(*snap.policy, *inputs[0].value, d).dump());
  return out;
}

TEST(DecisionLog, ALineCarriesEverythingReplayNeeds) {
  Scratch s;
  PolicyStore store(source_for(s.write("a.yaml", kRulesA)));
  store.load();
  auto snap = store.current();
  std::string line = log_line(*snap, R"({"id":"x","facts":{"cost":{"hours":10,"internal_rate":50,"external_rate":20}}})", "d-1");
  ASSERT_EQ(line.back(), '\n');
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["decision_id"], "d-1");
  EXPECT_EQ(j["rules_revision"], snap->revision);
  EXPECT_EQ(j["generation"], 1);
  EXPECT_EQ(j["case"]["id"], "x");
  EXPECT_EQ(j["record"]["verdict"], "outsource");
  EXPECT_EQ(j["plugins"]["cost"]["sha256"], sha256_file_hex(fs::path(INSOURCE_PLUGIN_DIR) / "cost.so"));
  EXPECT_EQ(j["plugins"].size(), 5u);
}

TEST(Replay, TheSamePolicyGivesNoDifference) {
  Scratch s;
  PolicyStore store(source_for(s.write("a.yaml", kRulesA)));
  store.load();
  auto snap = store.current();
  std::string log = log_line(*snap, R"({"id":"x","facts":{"cost":{"hours":10,"internal_rate":50,"external_rate":20}}})", "d-1") +
                    "\n" +
                    log_line(*snap, R"({"id":"y","facts":{"cost.hours":10,"cost.internal_rate":40,"cost.external_rate":50}})", "d-2");
  std::istringstream in(log);
  int calls = 0;
  ReplayOptions strict;
  strict.strict = true;
  ReplaySummary sum = replay_decision_log(in, snap->policy, snap->plugins, strict, [&](const ReplayDifference&) { ++calls; });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(sum.replayed, 2u);
  EXPECT_EQ(sum.same, 2u);
  EXPECT_EQ(sum.differing, 0u);
  EXPECT_EQ(sum.unreadable, 0u);
  EXPECT_EQ(sum.revisions, std::vector<std::string>{snap->revision});
  EXPECT_TRUE(sum.plugin_changes.empty());
}

TEST(Replay, AnotherPolicyListsTheDecisionsThatWouldFlip) {
  Scratch s;
  PolicyStore a(source_for(s.write("a.yaml", kRulesA)));
  a.load();
  PolicyStore b(source_for(s.write("b.yaml", kRulesB)));
  b.load();
  std::string log =
      log_line(*a.current(), R"({"id":"x","facts":{"cost":{"hours":10,"internal_rate":50,"external_rate":20}}})", "d-1") +
      log_line(*a.current(), R"({"id":"same","facts":{}})", "d-2") + "this is not JSON\n" + "{\"a\":1}\n";
  std::istringstream in(log);
  std::vector<ReplayDifference> diffs;
  ReplaySummary sum = replay_decision_log(in, b.current()->policy, b.current()->plugins, ReplayOptions{},
                                          [&](const ReplayDifference& d) { diffs.push_back(d); });
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].decision_id, "d-1");
  EXPECT_EQ(diffs[0].case_id, "x");
  EXPECT_EQ(diffs[0].line, 1u);
  EXPECT_EQ(diffs[0].logged_revision, a.current()->revision);
  ASSERT_EQ(diffs[0].changes.size(), 1u);
  EXPECT_EQ(diffs[0].changes[0], "verdict outsource -> hybrid");
  EXPECT_EQ(diffs[0].now["verdict"], "hybrid");
  EXPECT_EQ(sum.replayed, 2u);
  EXPECT_EQ(sum.differing, 1u);
  EXPECT_EQ(sum.same, 1u);
  EXPECT_EQ(sum.unreadable, 2u);
  ASSERT_EQ(sum.problems.size(), 2u);
  EXPECT_EQ(sum.problems[0].rfind("line 3: not JSON", 0), 0u) << sum.problems[0];
}

TEST(Replay, ACaseThatNoLongerReadsIsADifference) {
  Scratch s;
  // The logged policy declares a fact that today's does not.
  PolicyStore a(source_for(s.write("a.yaml", std::string(kRulesA) + "facts:\n  team.size: number\n")));
  a.load();
  PolicyStore b(source_for(s.write("b.yaml", kRulesA)));
  b.load();
  std::string log = log_line(*a.current(), R"({"id":"t","facts":{"team.size":3}})", "d-9");
  std::istringstream in(log);
  std::vector<ReplayDifference> diffs;
  replay_decision_log(in, b.current()->policy, b.current()->plugins, ReplayOptions{},
                      [&](const ReplayDifference& d) { diffs.push_back(d); });
  ASSERT_EQ(diffs.size(), 1u);
  ASSERT_EQ(diffs[0].changes.size(), 1u);
  EXPECT_NE(diffs[0].changes[0].find("the case cannot be read now"), std::string::npos) << diffs[0].changes[0];
  EXPECT_NE(diffs[0].changes[0].find("team.size"), std::string::npos) << diffs[0].changes[0];
}

TEST(Replay, StrictAlsoComparesTotalsAndScores) {
  Scratch s;
  PolicyStore a(source_for(s.write("a.yaml", kRulesA)));
  a.load();
  // Another overhead changes the cost score but not the verdict.
  PolicyStore b(source_for(s.write("b.yaml", std::string(kRulesA) + "")));
  b.load();
  std::string rules_c =
      "insource: 1\nname: A\ncriteria:\n  cost: {weight: 1, params: {vendor_overhead: 0.2}}\nthresholds: {insource: 0.2, outsource: -0.2}\n";
  PolicyStore c(source_for(s.write("c.yaml", rules_c)));
  c.load();
  std::string log =
      log_line(*a.current(), R"({"id":"x","facts":{"cost":{"hours":10,"internal_rate":50,"external_rate":30}}})", "d-1");
  for (bool strict : {false, true}) {
    std::istringstream in(log);
    std::vector<ReplayDifference> diffs;
    ReplayOptions o;
    o.strict = strict;
    replay_decision_log(in, c.current()->policy, c.current()->plugins, o,
                        [&](const ReplayDifference& d) { diffs.push_back(d); });
    if (!strict) {
      EXPECT_TRUE(diffs.empty());
    } else {
      ASSERT_EQ(diffs.size(), 1u);
      ASSERT_EQ(diffs[0].changes.size(), 2u);
      EXPECT_EQ(diffs[0].changes[0].rfind("total ", 0), 0u) << diffs[0].changes[0];
      EXPECT_EQ(diffs[0].changes[1].rfind("score.cost ", 0), 0u) << diffs[0].changes[1];
    }
  }
}

}  // namespace
}  // namespace insource
