// `decide --simulate`, `explain --simulate`, batch's refusal and
// `/v1/decide?simulate=N` through the real binary and a real server: the
// front ends give the same simulation for the same case and seed.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "server_process.h"

namespace insource {
namespace {

using json = nlohmann::json;
using test::ServerProcess;
using test::TempDir;

std::string run(const std::string& args, int* status, std::string* err = nullptr) {
  static int serial = 0;
  const std::string err_file = (std::filesystem::temp_directory_path() /
                                ("insource-sim-cli-" + std::to_string(::getpid()) + "-" + std::to_string(++serial)))
                                   .string();
  const std::string cmd = std::string(INSOURCE_BINARY) + " " + args + " 2>" + err_file;
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (err) *err = test::slurp(err_file);
  std::filesystem::remove(err_file);
  return out;
}

const std::string kExample = std::string(INSOURCE_SOURCE_DIR) + "/examples/uncertain/candy-launch.yaml";

const char kUncertainJson[] =
    R"({"id": "u", "facts": {"cost": {"hours": {"low": 800, "likely": 1200, "high": 2000}, "internal_rate": 85,)"
    R"( "external_rate": {"uniform": [50, 75]}}, "capacity.utilization": {"uniform": [0.7, 1.0]},)"
    R"( "control": {"institutional_knowledge": {"high": 0.6, "medium": 0.4}}}})";

TEST(SimulateCli, DecideJsonAddsTheSimulationToTheRecord) {
  int status;
  std::string err;
  const std::string out = run("decide --simulate 4000 --seed 5 --format json " + kExample, &status, &err);
  ASSERT_EQ(status, 0) << err;
  json j = json::parse(out);
  EXPECT_EQ(j["id"], "candy-launch-uncertain");
  EXPECT_TRUE(j.contains("verdict"));  // the verdict at the most likely values
  const json& s = j["simulation"];
  EXPECT_EQ(s["draws"], 4000);
  EXPECT_EQ(s["seed"], 5);
  for (const char* k : {"probabilities", "intervals", "total", "drivers"}) EXPECT_TRUE(s.contains(k)) << k;
  for (const char* k : {"p5", "p50", "p95", "mean"}) EXPECT_TRUE(s["total"].contains(k)) << k;
  EXPECT_EQ(s["drivers"].size(), 6u);
  EXPECT_TRUE(s["drivers"][0].contains("fact"));
  EXPECT_TRUE(s["drivers"][0].contains("effect"));
  // --jobs does not change a thing.
  EXPECT_EQ(run("decide --simulate 4000 --seed 5 --jobs 2 --format json " + kExample, &status), out);
}

TEST(SimulateCli, DecideTextShowsProbabilitiesQuantilesAndDrivers) {
  int status;
  std::string err;
  const std::string out = run("decide --simulate 2000 " + kExample, &status, &err);
  ASSERT_EQ(status, 0) << err;
  EXPECT_NE(out.find("simulation: 2000 draws, seed 1, 6 uncertain inputs (the verdict above is at their most likely values)"), std::string::npos) << out;
  EXPECT_NE(out.find("95% interval"), std::string::npos);
  EXPECT_NE(out.find("total: p5 "), std::string::npos);
  EXPECT_NE(out.find("drivers: change in P("), std::string::npos);
  EXPECT_NE(out.find("  verdict: hybrid"), std::string::npos);  // at the most likely values
}

TEST(SimulateCli, ExplainOffersTheSame) {
  int status;
  std::string err;
  json j = json::parse(run("explain --simulate 1000 --format json " + kExample, &status, &err));
  ASSERT_EQ(status, 0) << err;
  EXPECT_EQ(j["simulation"]["draws"], 1000);
  const std::string text = run("explain --simulate 1000 " + kExample, &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(text.find("simulation: 1000 draws"), std::string::npos) << text;
}

TEST(SimulateCli, WithoutSimulateAndInBatchADistributionIsAClearError) {
  int status;
  std::string err;
  run("decide " + kExample, &status, &err);
  EXPECT_EQ(status, 1);
  EXPECT_NE(err.find("candy-launch.yaml:8:12: case candy-launch-uncertain: fact cost.hours is given as a distribution; "
                     "decide it with --simulate N"),
            std::string::npos)
      << err;
  TempDir d;
  const std::string jsonl = d.write("u.jsonl", std::string(kUncertainJson) + "\n");
  const std::string out = run("batch " + jsonl, &status, &err);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("batch decides sure values only: use `insource decide --simulate N`"), std::string::npos) << out;
  const std::string out_yaml = run("batch " + kExample, &status, &err);
  EXPECT_NE(out_yaml.find("batch decides sure values only"), std::string::npos) << out_yaml;
}

TEST(SimulateServe, DecideWithSimulateGivesTheCliSimulation) {
  TempDir d;
  const std::string file = d.write("u.json", kUncertainJson);
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  auto r = c->Post("/v1/decide?simulate=3000&seed=8", kUncertainJson, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  int status;
  json cli = json::parse(run("decide --simulate 3000 --seed 8 --format json " + file, &status));
  EXPECT_EQ(status, 0);
  EXPECT_EQ(j["simulation"], cli["simulation"]);
  EXPECT_EQ(j["verdict"], cli["verdict"]);

  // Without simulate: a clear 400, at the fact.
  auto plain = c->Post("/v1/decide", kUncertainJson, "application/json");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 400);
  EXPECT_NE(plain->body.find("given as a distribution; decide it with ?simulate=N"), std::string::npos) << plain->body;
  auto bad = c->Post("/v1/decide?simulate=lots", kUncertainJson, "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(s.stop(), 0) << s.stderr_text();
}

}  // namespace
}  // namespace insource
