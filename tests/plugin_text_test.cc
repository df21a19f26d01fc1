// Plugin text (docs/reliability.md, "Plugin text"): whatever bytes a plugin
// sends as its name, version, messages, rationales or log lines, every
// output of the host is valid UTF-8 (JSON that parses), and a rationale is
// cut to the same documented size in process and isolated.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/plugin_text.h"
#include "policy_tools_util.h"
#include "server_process.h"
#include "test_util.h"

namespace insource {
namespace {

using tools_test::run_cli;
using tools_test::write_scratch;
const std::string kReplacement = "\xEF\xBF\xBD";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// Every line parses as JSON (and so is UTF-8).
void expect_json_lines(const std::string& what, const std::string& text) {
  SCOPED_TRACE(what);
  EXPECT_TRUE(is_valid_utf8(text));
  auto lines = lines_of(text);
  EXPECT_FALSE(lines.empty());
  for (const std::string& line : lines) EXPECT_TRUE(nlohmann::json::accept(line)) << line;
}

TEST(PluginText, ValidUtf8ReplacesEachBadByte) {
  EXPECT_EQ(valid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(valid_utf8("caf\xE9"), "caf" + kReplacement);
  EXPECT_EQ(valid_utf8("\xC0\xAF"), kReplacement + kReplacement);   // overlong
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // a surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80").size(), 12u);              // above U+10FFFF
  EXPECT_EQ(valid_utf8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");     // U+1F600
  EXPECT_EQ(valid_utf8("\xE2\x82"), kReplacement + kReplacement);     // cut short
  EXPECT_TRUE(is_valid_utf8(valid_utf8("\xFF\xFE\x80 abc \xE9")));
}

TEST(PluginText, ACutNeverSplitsACharacter) {
  size_t original = 0;
  std::string s = std::string(9, 'a') + "\xE2\x82\xAC" + "bbb";  // the euro sign at bytes 10 to 12
  EXPECT_EQ(plugin_text(s, 10, &original), std::string(9, 'a'));
  EXPECT_EQ(original, s.size());
  EXPECT_EQ(plugin_text(s, 12, &original), std::string(9, 'a') + "\xE2\x82\xAC");
  EXPECT_EQ(plugin_text(s, 100, &original), s);
  EXPECT_EQ(original, 0u);
}

const char* const kFailRules = "insource: 1\ncriteria:\n  cost: {weight: 1}\n  latin1: {weight: 1}\n";
const char* const kAbstainRules = "insource: 1\ncriteria:\n  cost: {weight: 1}\n  latin1: {weight: 1, on_error: abstain}\n";

std::string latin1_case(const std::string& id, const std::string& mode) {
  return "{\"id\":\"" + id + "\",\"facts\":{\"cost\":{\"hours\":10,\"internal_rate\":50,\"external_rate\":100}," +
         "\"latin1\":{\"mode\":\"" + mode + "\"}}}";
}

std::string latin1_yaml(const std::string& mode) {
  return "id: " + mode + "\nfacts:\n  cost.hours: 10\n  cost.internal_rate: 50\n  cost.external_rate: 100\n  latin1.mode: " +
         mode + "\n";
}

// decide (JSON and text), batch (compact and --detail), under on_error fail
// and abstain, in process and isolated, and the log lines on stderr.
TEST(PluginText, EveryCliOutputIsValidUtf8WhateverThePluginSends) {
  const std::string plugins = " --plugins " + test::fixture_plugin_dir("latin1") + " --log-level warn ";
  const std::string fail = write_scratch("latin1-fail.yaml", kFailRules);
  const std::string abstain = write_scratch("latin1-abstain.yaml", kAbstainRules);
  std::string jsonl;
  for (const char* mode : {"error", "rationale", "error", "long"}) jsonl += latin1_case(mode, mode) + "\n";
  const std::string batch_in = write_scratch("latin1.jsonl", jsonl);
  const std::string error_case = write_scratch("latin1-error.yaml", latin1_yaml("error"));
  const std::string rationale_case = write_scratch("latin1-rationale.yaml", latin1_yaml("rationale"));
  for (const std::string isolate : {"", " --isolate"}) {
    SCOPED_TRACE(isolate.empty() ? "in process" : "isolated");
    for (const std::string& rules : {fail, abstain}) {
      const std::string base = plugins + isolate + " --rules " + rules + " ";
      auto r = run_cli("decide --format json" + base + error_case + " " + rationale_case);
      expect_json_lines("decide --format json", r.out);
      EXPECT_TRUE(is_valid_utf8(r.err)) << r.err;
      EXPECT_TRUE(tools_test::contains(r.out, "fixture-latin1-" + kReplacement + "t" + kReplacement)) << r.out;
      EXPECT_TRUE(tools_test::contains(r.out, "r" + kReplacement + "sum" + kReplacement)) << r.out;
      r = run_cli("decide" + base + error_case + " " + rationale_case);
      EXPECT_TRUE(is_valid_utf8(r.out)) << r.out;
      EXPECT_TRUE(tools_test::contains(r.out, "na" + kReplacement + "ve")) << r.out;
      // The plugin's log line went to stderr, made valid too.
      EXPECT_TRUE(tools_test::contains(r.err, "journal " + kReplacement + "t" + kReplacement)) << r.err;
      EXPECT_TRUE(is_valid_utf8(r.err));
      for (const std::string detail : {"", " --detail"}) {
        r = run_cli("batch --quiet" + detail + base + batch_in);
        expect_json_lines("batch" + detail, r.out);
        EXPECT_EQ(lines_of(r.out).size(), 4u);
        EXPECT_TRUE(is_valid_utf8(r.err));
      }
    }
  }
  auto r = run_cli("plugins --plugins " + test::fixture_plugin_dir("latin1"));
  EXPECT_TRUE(is_valid_utf8(r.out)) << r.out;
  EXPECT_TRUE(tools_test::contains(r.out, "fixture-latin1-" + kReplacement)) << r.out;
}

// serve: the responses and the decision log.
TEST(PluginText, ServeResponsesAndTheDecisionLogAreValidUtf8) {
  test::TempDir d;
  const std::string rules = d.write("rules.yaml", kAbstainRules);
  const std::string log = d.file("decisions.jsonl");
  test::ServerProcess s(d, {"--rules", rules, "--plugins", test::fixture_plugin_dir("latin1"), "--decision-log", log});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  for (const char* mode : {"error", "rationale"}) {
    auto r = c->Post("/v1/decide", latin1_case(mode, mode), "application/json");
    ASSERT_TRUE(r);
    expect_json_lines(std::string("/v1/decide ") + mode, r->body);
    r = c->Post("/v1/decide?explain=full", latin1_case(mode, mode), "application/json");
    ASSERT_TRUE(r);
    expect_json_lines(std::string("/v1/decide?explain=full ") + mode, r->body);
    r = c->Post("/v1/batch?detail=true", latin1_case(mode, mode) + "\n", "application/x-ndjson");
    ASSERT_TRUE(r);
    expect_json_lines(std::string("/v1/batch ") + mode, r->body);
  }
  auto p = c->Get("/v1/plugins");
  ASSERT_TRUE(p);
  expect_json_lines("/v1/plugins", p->body);
  EXPECT_EQ(s.stop(), 0);
  expect_json_lines("decision log", test::slurp(log));
  EXPECT_EQ(lines_of(test::slurp(log)).size(), 6u);
  EXPECT_TRUE(is_valid_utf8(s.stderr_text()));
}

// A rationale over kMaxPluginTextBytes is cut there, in both modes alike,
// and the record says so; one over the worker's 64 MiB frame limit too.
TEST(PluginText, LongRationalesAreCutTheSameInProcessAndIsolated) {
  const std::string rules = write_scratch("latin1-long.yaml", kAbstainRules);
  const std::string long_case = write_scratch("latin1-long-case.yaml", latin1_yaml("long"));
  const std::string huge_case = write_scratch("latin1-huge-case.yaml", latin1_yaml("huge"));
  const std::string base = "decide --format json --plugins " + test::fixture_plugin_dir("latin1") + " --rules " + rules;
  for (const std::string& file : {long_case, huge_case}) {
    auto in_process = run_cli(base + " " + file);
    // A generous call limit: making the huge rationale takes the plugin a
    // while on a loaded machine, and the cut, not the time, is under test.
    auto isolated = run_cli(base + " --isolate --plugin-timeout 30000 " + file);
    EXPECT_EQ(in_process.status, 0) << in_process.err;
    EXPECT_EQ(isolated.status, 0) << isolated.err;
    EXPECT_EQ(in_process.out, isolated.out);  // isolation changes nothing
    auto j = nlohmann::json::parse(in_process.out);
    const auto& latin1 = j["criteria"]["latin1"];
    EXPECT_EQ(latin1["score"], 0.25);
    const std::string rationale = latin1["rationale"];
    EXPECT_LE(rationale.size(), kMaxPluginTextBytes);
    EXPECT_GE(latin1["rationale_truncated"]["bytes"].get<size_t>(), 100000u);
    EXPECT_EQ(latin1["rationale_truncated"]["kept"], rationale.size());
  }
  // The euro sign that the cut would have split is dropped whole.
  auto j = nlohmann::json::parse(run_cli(base + " " + long_case).out);
  EXPECT_EQ(j["criteria"]["latin1"]["rationale"], std::string(65535, 'a'));
  EXPECT_EQ(j["criteria"]["latin1"]["rationale_truncated"]["bytes"], 100000);
  // The text report says so too.
  auto text = run_cli("decide --plugins " + test::fixture_plugin_dir("latin1") + " --rules " + rules + " " + long_case);
  EXPECT_TRUE(tools_test::contains(text.out, "[rationale truncated: the plugin wrote 100000 bytes, the first 65536 are kept]"))
      << text.out.substr(0, 300);
}

}  // namespace
}  // namespace insource
