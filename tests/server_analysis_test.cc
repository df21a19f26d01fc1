// The decision-analysis endpoints of `insource serve`: POST /v1/weights/ahp
// and POST /v1/calibrate, on a real server over loopback.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server_process.h"

namespace insource {
namespace {

using json = nlohmann::json;
using test::ServerProcess;
using test::TempDir;

std::string source_file(const std::string& rel) { return test::slurp(std::string(INSOURCE_SOURCE_DIR) + "/" + rel); }

TEST(ServerAnalysis, AhpAnswersWeightsAndRefusesInconsistentOrBadJudgements) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  auto ok = c->Post("/v1/weights/ahp", source_file("tests/fixtures/analysis/wealth-of-nations.yaml"), "application/yaml");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  json j = json::parse(ok->body);
  EXPECT_NEAR(j["weights"]["us"].get<double>(), 0.427, 0.0005);
  EXPECT_NEAR(j["cr"].get<double>(), 0.0767, 0.0001);
  auto bad = c->Post("/v1/weights/ahp", source_file("tests/fixtures/analysis/inconsistent.yaml"), "application/yaml");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  EXPECT_FALSE(json::parse(bad->body)["suggestions"].empty());
  auto broken = c->Post("/v1/weights/ahp", "judgements: {a: {b: 11}}", "application/yaml");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 400);
  EXPECT_NE(broken->body.find("request:1:21: error: judgement '11' is not on Saaty's scale"), std::string::npos) << broken->body;
}

TEST(ServerAnalysis, CalibrateFitsThePolicyInForce) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  auto r = c->Post("/v1/calibrate", source_file("tests/fixtures/analysis/past-decisions.yaml"), "application/yaml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["fitted"], 5);
  EXPECT_EQ(j["agreement_before"], 4);
  EXPECT_EQ(j["agreement_after"], 5);
  EXPECT_EQ(j["leave_one_out"], 4);
  EXPECT_EQ(j["left_out"][0]["id"], "launch-2025");
  auto q = c->Post("/v1/calibrate?thresholds=maybe", "[]", "application/yaml");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->status, 400);
  auto no_verdict = c->Post("/v1/calibrate", "- id: x\n  facts: {}\n", "application/yaml");
  ASSERT_TRUE(no_verdict);
  EXPECT_EQ(no_verdict->status, 400);
  EXPECT_NE(no_verdict->body.find("no `decided`"), std::string::npos) << no_verdict->body;
}

}  // namespace
}  // namespace insource
