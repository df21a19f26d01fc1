// What `insource serve` adds for the explorer (README, "Decisions people can
// see"): the what-if on /v1/decide and /v1/batch, the rules file of a
// what-if, /v1/cases, /v1/report, and the page's assets. The page itself is
// tested in a browser (tests/browser/).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <vector>
#include <nlohmann/json.hpp>

#include "policy/rules.h"
#include "server_process.h"

namespace insource {
namespace {

using json = nlohmann::json;
using test::ServerProcess;
using test::TempDir;

const char kCase[] =
    R"({"id":"candy","facts":{"cost":{"hours":1200,"internal_rate":85,"external_rate":60,"opportunity_rate":30},)"
    R"("capacity":{"utilization":0.5},"control":{"institutional_knowledge":"high","core_competence":false},)"
    R"("security":{"system_access":"front_office","data_sensitivity":"internal","vendor_certified":false}}})";

const char kWhatIf[] = R"({"weights":{"control":0.7,"legal":0},"params":{"cost":{"vendor_overhead":0.3}},"thresholds":{"insource":0.1}})";

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::string what_if_query() { return "what_if=" + httplib::detail::encode_query_param(kWhatIf); }

TEST(ServeExplorer, AWhatIfDecidesAsTheRulesFileItDownloadsAndIsNotLogged) {
  TempDir d;
  std::string rules = d.write("rules.yaml", std::string(embedded_default_rules()));
  ServerProcess s(d, {"--rules", rules, "--decision-log", d.file("log.jsonl")});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  auto served = c->Post("/v1/decide", kCase, "application/json");
  auto moved = c->Post("/v1/decide?" + what_if_query(), kCase, "application/json");
  ASSERT_TRUE(served && moved);
  ASSERT_EQ(moved->status, 200) << moved->body;
  json a = json::parse(served->body), b = json::parse(moved->body);
  EXPECT_NE(a["total"], b["total"]);
  EXPECT_EQ(b["what_if"], json::parse(kWhatIf));
  EXPECT_EQ(b["rules_revision"], a["rules_revision"]);
  EXPECT_FALSE(b["criteria"].contains("legal")) << "a weight of 0 removes the criterion";

  auto file = c->Post("/v1/what-if/rules", kWhatIf, "application/json");
  ASSERT_TRUE(file);
  ASSERT_EQ(file->status, 200) << file->body;
  EXPECT_NE(file->body.find("extends: \"" + std::filesystem::absolute(rules).string() + "\""), std::string::npos)
      << file->body;
  std::string what_if_rules = d.write("what-if.yaml", file->body);
  std::string case_file = d.write("case.json", kCase);
  json cli = json::parse(run(std::string(INSOURCE_BINARY) + " decide --format json --rules " + what_if_rules + " " + case_file));
  EXPECT_EQ(cli["verdict"], b["verdict"]);
  EXPECT_EQ(cli["total"], b["total"]);
  EXPECT_EQ(cli["criteria"], b["criteria"]);

  // A batch under the what-if gives the same numbers.
  auto batch = c->Post("/v1/batch?detail=true&" + what_if_query(), std::string(kCase) + "\n", "application/x-ndjson");
  ASSERT_TRUE(batch);
  json rec = json::parse(batch->body);
  EXPECT_EQ(rec["total"], b["total"]);

  // Only the served policy's decision is in the log.
  s.stop();
  std::string log = test::slurp(d.file("log.jsonl"));
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_NE(log.find(a["decision_id"].get<std::string>()), std::string::npos);
}

TEST(ServeExplorer, AWrongWhatIfIsABadRequestNamingIt) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  auto bad = [&](const std::string& w) {
    auto r = c->Post("/v1/decide?what_if=" + httplib::detail::encode_query_param(w), kCase, "application/json");
    EXPECT_EQ(r->status, 400) << w;
    return json::parse(r->body)["error"]["message"].get<std::string>();
  };
  EXPECT_NE(bad(R"({"weights":{"costs":0.3}})").find("'costs'"), std::string::npos);
  EXPECT_NE(bad(R"({"weights":{"cost":-0.3}})").find("must not be negative"), std::string::npos);
  EXPECT_NE(bad("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(bad(R"({"params":{"cost":{"vendor_overhead":"x"}}})").find("vendor_overhead"), std::string::npos);
  auto r = c->Post("/v1/batch?what_if=" + httplib::detail::encode_query_param("[]"), "", "application/x-ndjson");
  EXPECT_EQ(r->status, 400);
}

TEST(ServeExplorer, CasesAreReadFromYamlOrJsonWithTheReadersErrors) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  auto r = c->Post("/v1/cases", "id: a\nfacts:\n  cost: {hours: 10}\n  control: {core_competence: true}\n", "text/plain");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["cases"][0],
            json::parse(R"({"id":"a","facts":{"control.core_competence":true,"cost.hours":10}})"));
  r = c->Post("/v1/cases", "id: a\nfacts:\n  cost: {horus: 10}\n", "text/plain");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("request:3:10: case a: unknown fact 'cost.horus' (did you mean 'cost.hours'?)"), std::string::npos)
      << r->body;
}

// A pasted case with uncertain facts comes back with its distributions (not
// their most likely values), and deciding what came back simulates exactly as
// the case as pasted: the explorer's form loses nothing.
TEST(ServeExplorer, AnUncertainCaseComesBackWithItsDistributions) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  const std::string yaml =
      "id: u\nfacts:\n  cost: {hours: {low: 800, likely: 1200, high: 2000}, internal_rate: 85, external_rate: 60}\n"
      "  control: {institutional_knowledge: {high: 0.6, medium: 0.4}}\n";
  auto r = c->Post("/v1/cases", yaml, "text/plain");
  ASSERT_EQ(r->status, 200) << r->body;
  const json back = json::parse(r->body)["cases"][0];
  EXPECT_EQ(back["facts"]["cost.hours"], json::parse(R"({"low":800,"likely":1200,"high":2000})"));
  EXPECT_EQ(back["facts"]["control.institutional_knowledge"], json::parse(R"({"high":0.6,"medium":0.4})"));
  EXPECT_EQ(back["facts"]["cost.internal_rate"], 85);
  const std::string same_in_json =
      R"({"id":"u","facts":{"cost":{"hours":{"low":800,"likely":1200,"high":2000},"internal_rate":85,"external_rate":60},)"
      R"("control":{"institutional_knowledge":{"high":0.6,"medium":0.4}}}})";
  auto as_pasted = c->Post("/v1/decide?simulate=1500&seed=3", same_in_json, "application/json");
  auto as_returned = c->Post("/v1/decide?simulate=1500&seed=3", back.dump(), "application/json");
  ASSERT_EQ(as_pasted->status, 200) << as_pasted->body;
  ASSERT_EQ(as_returned->status, 200) << as_returned->body;
  EXPECT_EQ(json::parse(as_pasted->body)["simulation"], json::parse(as_returned->body)["simulation"]);
  // Without ?simulate it is refused, as the CLI refuses it without --simulate.
  r = c->Post("/v1/decide", back.dump(), "application/json");
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("is given as a distribution; decide it with ?simulate=N"), std::string::npos) << r->body;
}

// The explorer uploads a CSV file as it is: the batch pipeline reads it with
// its own CSV reader, records and error lines as `insource batch x.csv` gives.
TEST(ServeExplorer, ABatchOfCsvIsReadByTheBatchPipelinesCsvReader) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  const std::string csv =
      "id,cost.hours,cost.internal_rate,cost.external_rate,control.institutional_knowledge\n"
      "a,100,80,40,low\n"
      "b,ten,40,80,high\n"
      "\"c, d\",100,60,60,medium\n";
  auto r = c->Post("/v1/batch", csv, "text/csv");
  ASSERT_EQ(r->status, 200) << r->body;
  std::string file = d.write("cases.csv", csv);
  std::string cli = run(std::string(INSOURCE_BINARY) + " batch --quiet " + file + " 2>/dev/null");
  EXPECT_EQ(r->body, cli);
  std::vector<json> records;
  size_t at = 0;
  for (size_t nl; (nl = r->body.find('\n', at)) != std::string::npos; at = nl + 1)
    records.push_back(json::parse(r->body.substr(at, nl - at)));
  ASSERT_EQ(records.size(), 3u) << r->body;
  EXPECT_EQ(records[0]["id"], "a");
  EXPECT_EQ(records[1]["line"], 3);
  EXPECT_EQ(records[1]["error"]["kind"], "case");
  EXPECT_EQ(records[2]["id"], "c, d");
  // And under a what-if, through the same reader.
  r = c->Post("/v1/batch?" + what_if_query(), csv, "text/csv");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(std::count(r->body.begin(), r->body.end(), '\n'), 3) << r->body;
}

TEST(ServeExplorer, TheBatchSummaryCountsTheRecordsGiven) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  const std::string records =
      R"({"id":"a","verdict":"insource","total":0.3,"rule":null,"scores":{"cost":0.5,"legal":null}})" "\n"
      R"({"id":"b","verdict":"hybrid","total":0.19,"rule":null,"scores":{"cost":-0.95,"legal":1}})" "\n"
      R"({"id":"c","line":3,"error":{"kind":"case","message":"bad"}})" "\n";
  auto r = c->Post("/v1/report", records, "application/x-ndjson");
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["summary"]["verdicts"], json::parse(R"({"insource":1,"hybrid":1})"));
  EXPECT_EQ(j["summary"]["scores"]["cost"]["bins"], json::parse("[1,0,0,0,0,0,0,1,0,0]"));
  EXPECT_EQ(j["summary"]["scores"]["legal"]["abstained"], 1);
  EXPECT_EQ(j["summary"]["closest"][0]["id"], "b");
  EXPECT_EQ(j["summary"]["errors"][0]["line"], 3);
  EXPECT_NE(j["html"].get<std::string>().find("data-verdict=\"hybrid\" data-count=\"1\""), std::string::npos);
  EXPECT_EQ(c->Post("/v1/report", "not json\n", "application/x-ndjson")->status, 400);
}

TEST(ServeExplorer, ThePageLoadsWithoutTheTokenAndTheApiStillNeedsIt) {
  TempDir d;
  std::string tokens = d.write("tokens", "sesame\n");
  ServerProcess s(d, {"--token-file", tokens});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  for (const char* path : {"/", "/explorer.js", "/explorer.css", "/report.css", "/examples/candy-launch.yaml"}) {
    auto r = c->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos) << path;
  }
  EXPECT_NE(c->Get("/")->body.find("<script src=\"explorer.js\""), std::string::npos);
  EXPECT_EQ(c->Post("/v1/cases", "id: a", "text/plain")->status, 401);
  EXPECT_EQ(c->Post("/v1/what-if/rules", "{}", "application/json")->status, 401);
  EXPECT_EQ(c->Post("/v1/report", "", "application/x-ndjson")->status, 401);
  EXPECT_EQ(c->Get("/v1/decide?x")->status, 401);
  EXPECT_EQ(c->Get("/examples/none.yaml")->status, 404);
}

}  // namespace
}  // namespace insource
