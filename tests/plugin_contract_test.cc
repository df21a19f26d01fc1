// The plugin contract of plugin.h, entry point by entry point, through the
// real binary where a user would meet it: an instance stays on the thread
// that made it (decide, batch --jobs 4, serve); a create() that fails after
// the policy loaded, throws, or returns no instance is contained and named,
// in process and isolated; two plugins that declare one fact differently do
// not load.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/fact_schema.h"
#include "server_process.h"
#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;

struct CliResult {
  int status = -1;  // the exit status, or 128 + the signal
  std::string out, err;
};

// Runs `insource ARGS` with the environment assignments `env` ("A=b ..."),
// stdin from `input` (a file) when given.
CliResult insource(const std::string& args, const std::string& env = {}, const std::string& input = {}) {
  fs::path scratch = test::scratch_dir() / "contract";
  fs::create_directories(scratch);
  std::string err_file = (scratch / "stderr.txt").string();
  std::string cmd = "cd " + scratch.string() + " && " + env + " " + INSOURCE_BINARY + " " + args + " 2>" + err_file +
                    (input.empty() ? "" : " <" + input);
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  std::ifstream in(err_file);
  r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return r;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string write(const std::string& name, const std::string& text) {
  fs::path p = test::scratch_dir() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// ---- an instance lives on one thread ----

struct Calls {
  std::map<std::string, long> created_on;  // instance -> thread
  std::map<std::string, long> destroyed_on;
  size_t evaluations = 0;
};

// Reads the fixture's log and fails the test for any call on an instance
// from another thread than the one that created it.
Calls check_one_thread_per_instance(const std::string& log) {
  Calls c;
  std::ifstream in(log);
  std::string call, instance;
  long tid;
  std::vector<std::pair<std::string, long>> later;
  while (in >> call >> instance >> tid) {
    if (call == "create") {
      EXPECT_TRUE(c.created_on.emplace(instance, tid).second) << "instance " << instance << " created twice";
    } else {
      later.emplace_back(instance, tid);
      if (call == "destroy") c.destroyed_on[instance] = tid;
      else ++c.evaluations;
    }
  }
  for (const auto& [inst, t] : later) {
    auto it = c.created_on.find(inst);
    if (it == c.created_on.end()) {
      ADD_FAILURE() << "instance " << inst << " used but never created";
      continue;
    }
    EXPECT_EQ(t, it->second) << "instance " << inst << " was created on thread " << it->second
                             << " and called on thread " << t;
  }
  return c;
}

const char* const kThreadRules = "insource: 1\ncriteria: {cost: {weight: 1}, thread_ids: {weight: 1}}\n";

std::string thread_cases(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "{\"id\":\"c" + std::to_string(i) + "\",\"facts\":{\"cost\":{\"hours\":10,\"internal_rate\":50," +
         "\"external_rate\":100},\"thread_ids\":{\"x\":" + std::to_string(i) + "}}}\n";
  return s;
}

TEST(PluginContract, DecideKeepsEachInstanceOnOneThread) {
  std::string log = (test::scratch_dir() / "threads-decide.log").string();
  fs::remove(log);
  std::string rules = write("threads.yaml", kThreadRules);
  std::string cases = write("threads-decide.jsonl", thread_cases(5));
  CliResult r = insource("decide --format json --plugins " + test::fixture_plugin_dir("thread_ids") + " --rules " + rules +
                       " " + cases,
                   "INSOURCE_TEST_THREAD_LOG=" + log);
  ASSERT_EQ(r.status, 0) << r.err;
  Calls c = check_one_thread_per_instance(log);
  EXPECT_EQ(c.evaluations, 5u);
  EXPECT_EQ(c.destroyed_on.size(), c.created_on.size()) << "every instance is destroyed";
}

TEST(PluginContract, BatchWithFourJobsKeepsEachInstanceOnOneThread) {
  for (bool isolate : {false, true}) {
    SCOPED_TRACE(isolate ? "isolated" : "in process");
    std::string log = (test::scratch_dir() / "threads-batch.log").string();
    fs::remove(log);
    std::string rules = write("threads.yaml", kThreadRules);
    std::string cases = write("threads-batch.jsonl", thread_cases(20000));
    CliResult r = insource("batch --jobs 4 " + std::string(isolate ? "--isolate " : "") + "--plugins " +
                         test::fixture_plugin_dir("thread_ids") + " --rules " + rules + " " + cases,
                     "INSOURCE_TEST_THREAD_LOG=" + log);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(json_lines(r.out).size(), 20000u);
    Calls c = check_one_thread_per_instance(log);
    EXPECT_EQ(c.evaluations, 20000u);
    // The policy's trial instance and one per job (isolated: one per worker process).
    EXPECT_GE(c.created_on.size(), 5u);
    // In process every instance is destroyed; a worker process is ended with
    // the run, and the instances in it end with it, undestroyed.
    if (!isolate) {
      EXPECT_EQ(c.destroyed_on.size(), c.created_on.size()) << "every instance is destroyed";
    }
    if (!isolate) {
      std::set<long> threads;
      for (const auto& [inst, t] : c.created_on) threads.insert(t);
      EXPECT_GE(threads.size(), 5u) << "the jobs made their own instances on their own threads";
    }
  }
}

TEST(PluginContract, ServeKeepsEachInstanceOnOneThread) {
  test::TempDir d;
  std::string log = d.file("threads-serve.log");
  std::string rules = d.write("threads.yaml", kThreadRules);
  ::setenv("INSOURCE_TEST_THREAD_LOG", log.c_str(), 1);
  {
    test::ServerProcess s(d, {"--rules", rules, "--plugins", test::fixture_plugin_dir("thread_ids")});
    ::unsetenv("INSOURCE_TEST_THREAD_LOG");
    ASSERT_TRUE(s.running()) << s.stderr_text();
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        auto c = s.client();
        for (int i = 0; i < 25; ++i) {
          auto r = c->Post("/v1/decide",
                           "{\"id\":\"s" + std::to_string(t * 100 + i) +
                               "\",\"facts\":{\"cost\":{\"hours\":10,\"internal_rate\":50,\"external_rate\":100}," +
                               "\"thread_ids\":{\"x\":1}}}",
                           "application/json");
          ASSERT_TRUE(r);
          EXPECT_EQ(r->status, 200) << r->body;
        }
      });
    }
    for (auto& t : clients) t.join();
    auto r = s.client()->Post("/v1/batch", thread_cases(50), "application/x-ndjson");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(s.stop(), 0) << s.stderr_text();
  }
  ::unsetenv("INSOURCE_TEST_THREAD_LOG");
  Calls c = check_one_thread_per_instance(log);
  EXPECT_EQ(c.evaluations, 150u);
  for (const auto& [inst, t] : c.destroyed_on) EXPECT_EQ(t, c.created_on[inst]) << inst;
}

// ---- create() after the policy loaded ----

const char* const kOnceRules =
    "insource: 1\ncriteria: {cost: {weight: 1}, create_once: {weight: 1, on_error: abstain}}\n";
const char* const kOnceCase =
    "{\"id\":\"o\",\"facts\":{\"cost\":{\"hours\":10,\"internal_rate\":50,\"external_rate\":100},"
    "\"create_once\":{\"x\":1}}}\n";

TEST(PluginContract, ACreateThatFailsAfterTheTrialInstanceIsAFaultUnderOnError) {
  auto p = test::policy_from(kOnceRules, {"create_once"});
  Decision d = test::decide(p, "id: o\nfacts: {cost: {hours: 10, internal_rate: 50, external_rate: 100}, "
                               "create_once: {x: 1}}\n");
  const CriterionOutcome& o = d.criteria[test::crit(*p, "create_once")];
  EXPECT_TRUE(o.fault);
  EXPECT_EQ(o.state, CriterionOutcome::State::kAbstained);
  EXPECT_TRUE(contains(o.error, "fixture-create-once")) << o.error;
  EXPECT_TRUE(contains(o.error, "licence is already held")) << o.error;
  EXPECT_FALSE(d.failed);
  EXPECT_EQ(d.verdict, Verdict::kInsource);  // cost alone

  auto strict = test::policy_from("insource: 1\ncriteria: {cost: {weight: 1}, create_once: {weight: 1}}\n",
                                  {"create_once"});
  Decision f = test::decide(strict, "id: o\nfacts: {create_once: {x: 1}}\n");
  EXPECT_TRUE(f.failed);
  EXPECT_TRUE(contains(f.error, "fixture-create-once")) << f.error;
}

TEST(PluginContract, ACreateThatFailsAfterLoadNeverAbortsDecideOrBatch) {
  std::string rules = write("once.yaml", kOnceRules);
  std::string strict = write("once-strict.yaml", "insource: 1\ncriteria: {cost: {weight: 1}, create_once: {weight: 1}}\n");
  std::string cases = write("once.jsonl", std::string(kOnceCase) + kOnceCase + kOnceCase);
  std::string dir = test::fixture_plugin_dir("create_once");
  for (const std::string isolate : {"", "--isolate "}) {
    SCOPED_TRACE(isolate.empty() ? "in process" : "isolated");
    // Counted in a file, so that a second worker process is refused too.
    std::string count = (test::scratch_dir() / "once.count").string();
    auto env = [&] {
      fs::remove(count);
      return "INSOURCE_TEST_CREATE_COUNT=" + count;
    };
    CliResult r = insource("decide --format json " + isolate + "--plugins " + dir + " --rules " + rules + " " + cases, env());
    EXPECT_EQ(r.status, 0) << r.err;
    auto records = json_lines(r.out);
    ASSERT_EQ(records.size(), 3u) << r.out << r.err;
    for (const auto& j : records) {
      EXPECT_EQ(j["verdict"], "insource") << j.dump();
      EXPECT_TRUE(contains(j.dump(), "fixture-create-once")) << j.dump();
    }
    for (const char* jobs : {"1", "4"}) {
      r = insource("batch --jobs " + std::string(jobs) + " " + isolate + "--plugins " + dir + " --rules " + rules + " " +
                       cases,
                   env());
      EXPECT_EQ(r.status, 0) << r.err;
      records = json_lines(r.out);
      ASSERT_EQ(records.size(), 3u) << r.out << r.err;
      for (const auto& j : records) {
        EXPECT_EQ(j["verdict"], "insource") << j.dump();
        EXPECT_TRUE(contains(j.dump(), "fixture-create-once")) << j.dump();
      }
      // Under on_error fail each case is a plugin error naming it; the run ends normally.
      r = insource("batch --jobs " + std::string(jobs) + " " + isolate + "--plugins " + dir + " --rules " + strict +
                       " " + cases,
                   env());
      EXPECT_LT(r.status, 128) << r.err;
      EXPECT_NE(r.status, 0);
      records = json_lines(r.out);
      ASSERT_EQ(records.size(), 3u) << r.out << r.err;
      for (const auto& j : records) EXPECT_TRUE(contains(j.dump(), "fixture-create-once")) << j.dump();
    }
  }
}

// ---- create() that throws, or returns no instance ----

TEST(PluginContract, AnExceptionOutOfCreateIsNamedNotAnAbort) {
  std::string rules = write("throws.yaml", "insource: 1\ncriteria: {cost: {weight: 1}, create_throws: {weight: 1}}\n");
  std::string cases = write("throws.jsonl", kOnceCase);
  for (const std::string isolate : {"", "--isolate "}) {
    SCOPED_TRACE(isolate.empty() ? "in process" : "isolated");
    for (const char* cmd : {"decide", "batch"}) {
      CliResult r = insource(std::string(cmd) + " " + isolate + "--plugins " + test::fixture_plugin_dir("create_throws") +
                       " --rules " + rules + " " + cases);
      EXPECT_EQ(r.status, 2) << cmd << ": " << r.err;
      EXPECT_TRUE(contains(r.err, "fixture-create-throws")) << r.err;
      EXPECT_TRUE(contains(r.err, "create() threw an exception: cannot reach the licence server")) << r.err;
    }
  }
}

TEST(PluginContract, ACreateThatReturnsOkWithoutAnInstanceIsSaidSo) {
  std::string rules = write("null.yaml", "insource: 1\ncriteria: {cost: {weight: 1}, create_null: {weight: 1}}\n");
  std::string cases = write("null.jsonl", kOnceCase);
  for (const std::string isolate : {"", "--isolate "}) {
    SCOPED_TRACE(isolate.empty() ? "in process" : "isolated");
    CliResult r = insource("decide " + isolate + "--plugins " + test::fixture_plugin_dir("create_null") + " --rules " + rules +
                     " " + cases);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "fixture-create-null")) << r.err;
    EXPECT_TRUE(contains(r.err, "returned OK but no instance")) << r.err;
    EXPECT_FALSE(contains(r.err, "status 0")) << r.err;
  }
}

// ---- two declarations of one fact ----

TEST(PluginContract, TwoPluginsThatDeclareOneFactWithDifferentDefaultsDoNotLoad) {
  std::string cases = write("jurisdiction.jsonl",
                            "{\"id\":\"j\",\"facts\":{\"security\":{\"data_classification\":\"restricted\"}}}\n");
  for (const std::string isolate : {"", "--isolate "}) {
    SCOPED_TRACE(isolate.empty() ? "in process" : "isolated");
    CliResult r = insource("decide " + isolate + "--plugins " + test::fixture_plugin_dir("jurisdiction_default") + " " + cases);
    EXPECT_EQ(r.status, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "legal.vendor_jurisdiction")) << r.err;
    EXPECT_TRUE(contains(r.err, "builtin-legal")) << r.err;
    EXPECT_TRUE(contains(r.err, "fixture-jurisdiction-default")) << r.err;
    EXPECT_TRUE(contains(r.err, "the default \"foreign\"")) << r.err;
    EXPECT_TRUE(contains(r.err, "no default")) << r.err;
  }
}

TEST(PluginContract, FactDeclarationsMustAgreeOnEveryPoint) {
  FactDecl base;
  base.name = "x.level";
  base.type = Type::kString;
  base.allowed = {"low", "high"};
  auto clash_with = [&](const FactDecl& other) {
    FactSchema s;
    EXPECT_FALSE(s.add(base, "plugin a"));
    auto e = s.add(other, "plugin b");
    return e ? *e : std::string();
  };
  FactDecl same = base;
  same.allowed = {"high", "low"};  // order does not matter
  same.unit = "other";             // nor do unit and description
  EXPECT_EQ(clash_with(same), "");

  FactDecl typed = base;
  typed.type = Type::kNumber;
  typed.allowed.clear();
  std::string e = clash_with(typed);
  EXPECT_TRUE(contains(e, "plugin a") && contains(e, "plugin b")) << e;

  FactDecl levels = base;
  levels.allowed = {"low", "medium", "high"};
  e = clash_with(levels);
  EXPECT_TRUE(contains(e, "allowed values") && contains(e, "plugin a") && contains(e, "plugin b")) << e;

  FactDecl defaulted = base;
  defaulted.has_fallback = true;
  defaulted.fallback_string = "high";
  e = clash_with(defaulted);
  EXPECT_TRUE(contains(e, "another default") && contains(e, "the default \"high\"") && contains(e, "no default")) << e;

  FactDecl number = base;
  number.type = Type::kNumber;
  number.allowed.clear();
  number.min = 0;
  FactSchema s;
  EXPECT_FALSE(s.add(number, "plugin a"));
  FactDecl wider = number;
  wider.min = -1;
  auto r = s.add(wider, "plugin b");
  ASSERT_TRUE(r);
  EXPECT_TRUE(contains(*r, "another range")) << *r;
  FactDecl exclusive = number;
  exclusive.min_exclusive = true;
  EXPECT_TRUE(s.add(exclusive, "plugin c"));
  // A rules file declares neither bounds nor a default: only type and listed values count.
  FactDecl from_rules;
  from_rules.name = number.name;
  from_rules.type = Type::kNumber;
  EXPECT_FALSE(s.add(from_rules, "rules r.yaml:3:5", /*complete=*/false));
}

}  // namespace
}  // namespace insource
