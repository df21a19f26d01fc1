// "No lost records" (docs/reliability.md section 5): a batch over thousands of
// lines mixing good cases, malformed lines, bad cases and cases that make a
// plugin fault yields exactly one record per line, in order, and a summary
// that adds up, at --jobs 1 and 4, whatever the fault policy.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "service/batch.h"
#include "test_util.h"

namespace insource {
namespace {

// "c<n>", a generated case's id (appended: `"c" + std::to_string(n)` trips
// GCC 12's false -Wrestrict, bug 105329).
std::string case_id(size_t n) {
  std::string id = "c";
  id += std::to_string(n);
  return id;
}

namespace fs = std::filesystem;

enum class Kind { kGood, kMalformed, kEmpty, kBadCase, kFault, kFaultOk };

struct Input {
  std::string text;
  std::vector<Kind> kinds;  // one per line
};

Input mixed(int lines) {
  static const char* const kModes[] = {"throw", "nan", "three", "error"};
  Input in;
  for (int i = 0; i < lines; ++i) {
    std::string id = "\"c" + std::to_string(i) + "\"";
    std::string cost = "\"cost.hours\":" + std::to_string(1 + i % 50) + ",\"cost.internal_rate\":" +
                       std::to_string(10 + i % 90) + ",\"cost.external_rate\":" + std::to_string(20 + i % 70);
    switch (i % 9) {
      case 0:
      case 1:
        in.text += "{\"id\":" + id + ",\"facts\":{" + cost + "}}";
        in.kinds.push_back(Kind::kGood);
        break;
      case 2:
        in.text += "{\"id\":" + id + ",\"facts\":{";  // cut short
        in.kinds.push_back(Kind::kMalformed);
        break;
      case 3:
        in.kinds.push_back(Kind::kEmpty);
        break;
      case 4:
        in.text += "{\"id\":" + id + ",\"facts\":{\"cost.hours\":\"many\"}}";
        in.kinds.push_back(Kind::kBadCase);
        break;
      case 5:
      case 6:
      case 7:
        in.text += "{\"id\":" + id + ",\"facts\":{" + cost + ",\"faulty.mode\":\"" + kModes[(i / 9 + i) % 4] + "\"}}";
        in.kinds.push_back(Kind::kFault);
        break;
      default:
        in.text += "{\"id\":" + id + ",\"facts\":{" + cost + ",\"faulty.mode\":\"ok\"}}";
        in.kinds.push_back(Kind::kFaultOk);
        break;
    }
    in.text += i % 11 == 0 ? "\r\n" : "\n";
  }
  return in;
}

std::string run(const std::shared_ptr<const Policy>& p, const std::string& input, int jobs, BatchStats* stats) {
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(jobs);
  fs::path in = fs::temp_directory_path() / ("insource-nolost-in-" + tag);
  fs::path out = fs::temp_directory_path() / ("insource-nolost-out-" + tag);
  std::ofstream(in, std::ios::binary) << input;
  int in_fd = ::open(in.c_str(), O_RDONLY);
  int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  BatchOptions o;
  o.jobs = jobs;
  o.chunk_bytes = 2048;  // many chunks, finishing out of order at 4 jobs
  *stats = run_batch(p, in_fd, out_fd, o);
  ::close(in_fd);
  ::close(out_fd);
  std::ifstream f(out, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  fs::remove(in);
  fs::remove(out);
  return text;
}

void check(const std::string& on_error) {
  auto p = test::policy_from("insource: 1\ncriteria:\n  cost: {weight: 1}\n  faulty: {weight: 1, on_error: " +
                                 on_error + "}\n",
                             {"faulty"});
  const int kLines = 6000;
  Input in = mixed(kLines);
  std::string first;
  for (int jobs : {1, 4}) {
    BatchStats s;
    std::string out = run(p, in.text, jobs, &s);
    if (jobs == 1) first = out;
    else EXPECT_EQ(out, first) << "jobs 4 differs from jobs 1";
    std::istringstream lines(out);
    std::string line;
    size_t n = 0;
    uint64_t good = 0, parse = 0, cases = 0, plugin = 0, faulted = 0;
    // A blank line is no case and no error: one record for each other line.
    std::vector<size_t> at_line;
    for (size_t i = 0; i < in.kinds.size(); ++i)
      if (in.kinds[i] != Kind::kEmpty) at_line.push_back(i);
    while (std::getline(lines, line)) {
      ASSERT_LT(n, at_line.size()) << "more records than lines";
      auto r = nlohmann::json::parse(line);
      const Kind k = in.kinds[at_line[n]];
      const std::string id = case_id(at_line[n]);
      if (r.contains("error")) {
        EXPECT_EQ(r["line"], at_line[n] + 1) << line;
        const std::string kind = r["error"]["kind"];
        if (kind == "parse") ++parse;
        else if (kind == "case") ++cases;
        else if (kind == "plugin") ++plugin;
        switch (k) {
          case Kind::kMalformed: EXPECT_EQ(kind, "parse") << line; break;
          case Kind::kBadCase: EXPECT_EQ(kind, "case") << line; break;
          case Kind::kFault:
            EXPECT_EQ(kind, "plugin") << line;
            EXPECT_EQ(r["id"], id) << line;
            EXPECT_NE(r["error"]["message"].get<std::string>().find("fixture-faulty"), std::string::npos) << line;
            break;
          default: ADD_FAILURE() << "line " << n + 1 << " should have decided: " << line;
        }
      } else {
        ++good;
        EXPECT_EQ(r["id"], id) << line;
        if (k == Kind::kFault) {
          ++faulted;
          EXPECT_EQ(r["faults"]["faulty"]["plugin"], "fixture-faulty") << line;
          if (on_error == "review") {
            EXPECT_EQ(r["verdict"], "review") << line;
          }
        } else {
          EXPECT_TRUE(k == Kind::kGood || k == Kind::kFaultOk) << line;
          EXPECT_FALSE(r.contains("faults")) << line;
        }
      }
      ++n;
    }
    EXPECT_EQ(n, at_line.size()) << "one record per line that is not blank";
    EXPECT_EQ(s.records, static_cast<uint64_t>(at_line.size()));
    EXPECT_EQ(s.errors, parse + cases + plugin);
    EXPECT_EQ(s.parse_errors, parse);
    EXPECT_EQ(s.case_errors, cases);
    EXPECT_EQ(s.plugin_errors, plugin);
    EXPECT_EQ(s.faulted, faulted);
    uint64_t verdicts = 0;
    for (uint64_t v : s.verdicts) verdicts += v;
    EXPECT_EQ(verdicts + s.errors, s.records);
    EXPECT_EQ(verdicts, good);
    const auto count = [&](Kind k) { return static_cast<uint64_t>(std::count(in.kinds.begin(), in.kinds.end(), k)); };
    EXPECT_EQ(parse, count(Kind::kMalformed));
    EXPECT_EQ(cases, count(Kind::kBadCase));
    if (on_error == "fail") {
      EXPECT_EQ(plugin, count(Kind::kFault));
      EXPECT_EQ(faulted, 0u);
    } else {
      EXPECT_EQ(plugin, 0u);
      EXPECT_EQ(faulted, count(Kind::kFault));
    }
  }
}

// Isolated (docs/reliability.md section 2): lines whose plugin segfaults,
// aborts, exits or hangs in its worker process, among good and bad lines.
TEST(BatchNoLostRecords, IsolatedPluginsThatCrashOrHang) {
  PluginTrust trust;
  trust.allow_writable = true;
  trust.isolate = {"crashy"};
  auto p = Policy::compile(
      read_rules_text("insource: 1\ncriteria:\n  cost: {weight: 1}\n  crashy: {weight: 1, timeout_ms: 100}\n",
                      "test.yaml", "."),
      load_plugins({INSOURCE_PLUGIN_DIR, test::fixture_plugin_dir("crashy")}, trust));
  static const char* const kDeaths[] = {"segv", "abort", "exit"};
  const int kLines = 2000;
  std::string text;
  std::vector<std::string> want;  // per line: "ok", "parse" or the death
  for (int i = 0; i < kLines; ++i) {
    std::string head = "{\"id\":\"c" + std::to_string(i) + "\",\"facts\":{\"cost.hours\":" + std::to_string(1 + i % 40) +
                       ",\"cost.internal_rate\":50,\"cost.external_rate\":70";
    if (i % 400 == 17) {
      text += head + ",\"crashy.mode\":\"hang\"}}\n";
      want.push_back("hang");
    } else if (i % 10 == 3) {
      const char* death = kDeaths[(i / 10) % 3];
      text += head + ",\"crashy.mode\":\"" + death + "\"}}\n";
      want.push_back(death);
    } else if (i % 10 == 6) {
      text += head + ",\"crashy.mode\":\n";  // malformed
      want.push_back("parse");
    } else {
      text += head + ",\"crashy.mode\":\"ok\"}}\n";
      want.push_back("ok");
    }
  }
  std::string first;
  for (int jobs : {1, 2}) {
    SCOPED_TRACE(jobs);
    BatchStats s;
    std::string out = run(p, text, jobs, &s);
    if (jobs == 1) first = out;
    else EXPECT_EQ(out, first) << "jobs 2 differs from jobs 1";
    std::istringstream lines(out);
    std::string line;
    size_t n = 0;
    uint64_t ok = 0, plugin = 0, parse = 0;
    while (std::getline(lines, line)) {
      ASSERT_LT(n, want.size()) << "more records than lines";
      auto r = nlohmann::json::parse(line);
      const std::string& w = want[n];
      if (w == "ok") {
        ++ok;
        EXPECT_EQ(r["id"], case_id(n)) << line;
        EXPECT_EQ(r["scores"]["crashy"], 0.5) << line;
      } else if (w == "parse") {
        ++parse;
        EXPECT_EQ(r["error"]["kind"], "parse") << line;
      } else {
        ++plugin;
        EXPECT_EQ(r["id"], case_id(n)) << line;
        EXPECT_EQ(r["error"]["kind"], "plugin") << line;
        const std::string m = r["error"]["message"];
        const char* expect = w == "segv"    ? "signal 11"
                             : w == "abort" ? "signal 6"
                             : w == "exit"  ? "exited with status 7"
                                            : "did not answer within 100 ms";
        EXPECT_NE(m.find(expect), std::string::npos) << line;
      }
      ++n;
    }
    EXPECT_EQ(n, want.size()) << "one record per line";
    EXPECT_EQ(s.records, static_cast<uint64_t>(kLines));
    EXPECT_EQ(s.plugin_errors, plugin);
    EXPECT_EQ(s.parse_errors, parse);
    EXPECT_EQ(s.errors, plugin + parse);
    EXPECT_EQ(ok + plugin + parse, static_cast<uint64_t>(kLines));
  }
}

TEST(BatchNoLostRecords, FaultsFailTheirCases) { check("fail"); }
TEST(BatchNoLostRecords, FaultsAbstain) { check("abstain"); }
TEST(BatchNoLostRecords, FaultsForceReview) { check("review"); }

}  // namespace
}  // namespace insource
