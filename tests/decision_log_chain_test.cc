// The decision log's hash chain (docs/reliability.md, "A decision log an
// auditor can trust"): each line carries the SHA-256 of the line before it,
// and `insource replay --verify` names the first line where a line was
// removed, inserted or edited.
#include <algorithm>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "plugin_host/sha256.h"
#include "policy_tools_util.h"
#include "server_process.h"
#include "service/log_chain.h"

namespace insource {
namespace {

using tools_test::contains;
using tools_test::run_cli;

const char kCase[] = R"({"id":"c%d","facts":{"cost":{"hours":10,"internal_rate":%d,"external_rate":20}}})";

std::string a_case(int n) {
  char buf[200];
  std::snprintf(buf, sizeof buf, kCase, n, 10 + n);
  return buf;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// A log of `n` decides and a three-line batch, written by a real server;
// then `more` decides by a second server appending to the same file.
std::string serve_log(const test::TempDir& d, int n, int more) {
  const std::string log = d.file("decisions.jsonl");
  int k = 0;
  for (int round : {n, more}) {
    if (round == 0) continue;
    test::ServerProcess s(d, {"--decision-log", log});
    EXPECT_TRUE(s.running()) << s.stderr_text();
    auto c = s.client();
    for (int i = 0; i < round; ++i) EXPECT_EQ(c->Post("/v1/decide", a_case(++k), "application/json")->status, 200);
    if (round == n) {
      std::string body;
      for (int j = 0; j < 3; ++j) body += a_case(++k) + "\n";
      auto b = c->Post("/v1/batch", body, "application/x-ndjson");
      EXPECT_TRUE(b);
    }
    EXPECT_EQ(s.stop(), 0);
  }
  return log;
}

struct Verify {
  int status;
  std::string out, err;
};

Verify verify(const std::string& file) {
  auto r = run_cli("replay --verify " + file);
  return {r.status, r.out, r.err};
}

TEST(DecisionLogChain, EveryLineCarriesTheHashOfTheOneBefore) {
  test::TempDir d;
  const std::string log = serve_log(d, 3, 2);  // a restart in the middle: the chain goes on
  auto lines = lines_of(test::slurp(log));
  ASSERT_EQ(lines.size(), 8u);
  std::string prev = sha256_hex("insource decision log");
  for (const std::string& line : lines) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["prev_sha256"], prev);
    EXPECT_TRUE(j.contains("decision_id"));
    prev = sha256_hex(line);
  }
  Verify v = verify(log);
  EXPECT_EQ(v.status, 0) << v.out << v.err;
  EXPECT_TRUE(contains(v.err, "8 lines, the hash chain is intact (last line hash " + prev + ")")) << v.err;
  // The chain field does not disturb a replay.
  auto r = run_cli("replay " + log);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "8 decisions replayed")) << r.err;
}

TEST(DecisionLogChain, VerifyNamesTheFirstBadLineForEachTampering) {
  test::TempDir d;
  const std::string log = serve_log(d, 5, 0);
  const auto lines = lines_of(test::slurp(log));
  ASSERT_EQ(lines.size(), 8u);
  struct Tamper {
    const char* what;
    std::vector<std::string> lines;
    int bad_line;
  };
  std::vector<Tamper> cases;
  {  // line 4 removed: the line now at 4 does not follow line 3
    auto t = lines;
    t.erase(t.begin() + 3);
    cases.push_back({"removed", t, 4});
  }
  {  // a copy of line 2 inserted before line 4: it does not follow line 3
    auto t = lines;
    t.insert(t.begin() + 3, lines[1]);
    cases.push_back({"inserted copy", t, 4});
  }
  {  // a forged line inserted with a correct prev_sha256: the next line breaks
    auto t = lines;
    auto forged = nlohmann::ordered_json::parse(lines[3]);
    forged["record"]["verdict"] = "insource";
    t.insert(t.begin() + 3, forged.dump());
    cases.push_back({"inserted forgery", t, 5});
  }
  {  // line 4 edited (its verdict): line 5 no longer follows it
    auto t = lines;
    auto edited = nlohmann::ordered_json::parse(lines[3]);
    edited["record"]["verdict"] = edited["record"]["verdict"] == "insource" ? "outsource" : "insource";
    t[3] = edited.dump();
    cases.push_back({"edited", t, 5});
  }
  {  // one byte of line 6 changed
    auto t = lines;
    t[5][t[5].size() - 3] ^= 1;
    cases.push_back({"one byte", t, 7});
  }
  {  // the first line removed: line 2 is now first, and is not the seed's
    auto t = lines;
    t.erase(t.begin());
    cases.push_back({"first removed", t, 1});
  }
  {  // two lines swapped
    auto t = lines;
    std::swap(t[2], t[3]);
    cases.push_back({"swapped", t, 3});
  }
  for (const Tamper& t : cases) {
    SCOPED_TRACE(t.what);
    std::string name = std::string("tampered-") + t.what + ".jsonl";
    std::replace(name.begin(), name.end(), ' ', '-');  // the path goes through a shell
    const std::string file = d.write(name, joined(t.lines));
    Verify v = verify(file);
    EXPECT_EQ(v.status, 1) << v.out << v.err;
    EXPECT_TRUE(contains(v.out, file + ":" + std::to_string(t.bad_line) + ": the chain breaks here")) << v.out;
    EXPECT_TRUE(contains(v.err, "breaks at line " + std::to_string(t.bad_line))) << v.err;
  }
  Verify v = verify(log);
  EXPECT_EQ(v.status, 0) << v.out << v.err;
}

TEST(DecisionLogChain, ChainLinesContinuesFromTheGivenHash) {
  std::string prev = log_chain_seed_hash();
  std::string out = chain_lines("{\"a\":1}\n{\"b\":2}\n", &prev);
  auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "{\"prev_sha256\":\"" + log_chain_seed_hash() + "\",\"a\":1}");
  EXPECT_EQ(lines[1], "{\"prev_sha256\":\"" + sha256_hex(lines[0]) + "\",\"b\":2}");
  EXPECT_EQ(prev, sha256_hex(lines[1]));
  std::istringstream in(out);
  EXPECT_EQ(verify_log_chain(in).bad_line, 0u);
}

}  // namespace
}  // namespace insource
