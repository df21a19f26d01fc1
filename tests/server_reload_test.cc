// Hot reload of a running `insource serve`: the validation gate (POST
// /v1/reload, SIGHUP, --watch), and 100 reloads while requests run, every
// answer well-formed and made by one of the two policies, as it says.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "server_process.h"
#include "plugin_host/sha256.h"

namespace insource {
namespace {

using json = nlohmann::json;
using test::ServerProcess;
using test::TempDir;

// Cost alone decides; A and B differ only in the insource threshold, so the
// case below is hybrid under A and insource under B.
const char kRulesA[] = "insource: 1\nname: A\ncriteria: {cost: {weight: 1}}\nthresholds: {insource: 0.2, outsource: -0.2}\n";
const char kRulesB[] = "insource: 1\nname: B\ncriteria: {cost: {weight: 1}}\nthresholds: {insource: 0.1, outsource: -0.2}\n";
const char kBroken[] = "insource: 1\nname: broken\ncriteria: {cost: {wieght: 1}}\n";
// in house 10 x 80 = 800, vendor 10 x 90 x 1.1 = 990: score (990 - 800) / 990 = 0.19
const char kCase[] = R"({"id":"c","facts":{"cost":{"hours":10,"internal_rate":80,"external_rate":90}}})";

std::string revision_of(const std::string& rules_text) { return sha256_hex(rules_text + "\n"); }

json get_json(httplib::Client& c, const std::string& path) {
  auto r = c.Get(path.c_str());
  if (!r) return json();
  return json::parse(r->body, nullptr, false);
}

// Polls /v1/rules until `pred` holds (5 s at most).
bool wait_for(httplib::Client& c, const std::function<bool(const json&)>& pred) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    json j = get_json(c, "/v1/rules");
    if (j.is_object() && pred(j)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int metric(const std::string& text, const std::string& series) { return static_cast<int>(test::metric_value(text, series)); }

TEST(ServeReload, AFailedReloadNeverReplacesTheGoodPolicy) {
  TempDir d;
  std::string rules = d.write("rules.yaml", kRulesA);
  ServerProcess s(d, {"--rules", rules});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  const std::string rev_a = revision_of(kRulesA), rev_b = revision_of(kRulesB);
  EXPECT_EQ(get_json(*c, "/v1/rules")["rules_revision"], rev_a);

  d.write("rules.yaml", kBroken);
  auto r = c->Post("/v1/reload", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  json j = json::parse(r->body);
  EXPECT_EQ(j["reloaded"], false);
  EXPECT_EQ(j["error"]["kind"], "reload");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("rules.yaml:3:"), std::string::npos) << r->body;
  EXPECT_EQ(j["rules_revision"], rev_a);
  EXPECT_EQ(j["generation"], 1);
  // Still deciding with A.
  json dec = json::parse(c->Post("/v1/decide", kCase, "application/json")->body);
  EXPECT_EQ(dec["verdict"], "hybrid");
  EXPECT_EQ(dec["rules_revision"], rev_a);
  json rules_j = get_json(*c, "/v1/rules");
  EXPECT_EQ(rules_j["rules_revision"], rev_a);
  EXPECT_EQ(rules_j["name"], "A");
  EXPECT_EQ(rules_j["reloads"]["failed"], 1);
  EXPECT_EQ(rules_j["reloads"]["last_ok"], false);
  EXPECT_EQ(rules_j["reloads"]["last_trigger"], "POST /v1/reload");
  EXPECT_NE(rules_j["reloads"]["last_error"].get<std::string>().find("wieght"), std::string::npos);
  std::string m = c->Get("/metrics")->body;
  EXPECT_EQ(metric(m, "insource_reloads_total{result=\"failure\"}"), 1);
  EXPECT_EQ(metric(m, "insource_last_reload_ok"), 0);
  EXPECT_EQ(metric(m, "insource_errors_total{kind=\"reload\"}"), 1);
  EXPECT_NE(s.stderr_text().find("refused"), std::string::npos) << s.stderr_text();

  d.write("rules.yaml", kRulesB);
  r = c->Post("/v1/reload", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  j = json::parse(r->body);
  EXPECT_EQ(j["reloaded"], true);
  EXPECT_EQ(j["changed"], true);
  EXPECT_EQ(j["rules_revision"], rev_b);
  EXPECT_EQ(j["generation"], 2);
  dec = json::parse(c->Post("/v1/decide", kCase, "application/json")->body);
  EXPECT_EQ(dec["verdict"], "insource");
  EXPECT_EQ(dec["rules_revision"], rev_b);
  auto ready = c->Get("/readyz");
  EXPECT_EQ(json::parse(ready->body)["generation"], 2);

  // SIGHUP does the same.
  d.write("rules.yaml", kRulesA);
  s.signal(SIGHUP);
  EXPECT_TRUE(wait_for(*c, [&](const json& rj) { return rj["rules_revision"] == rev_a; }));
  EXPECT_EQ(get_json(*c, "/v1/rules")["reloads"]["last_trigger"], "SIGHUP");
  d.write("rules.yaml", kBroken);
  s.signal(SIGHUP);
  EXPECT_TRUE(wait_for(*c, [&](const json& rj) { return rj["reloads"]["failed"] == 2; }));
  EXPECT_EQ(get_json(*c, "/v1/rules")["rules_revision"], rev_a);
  m = c->Get("/metrics")->body;
  EXPECT_EQ(metric(m, "insource_reloads_total{result=\"success\"}"), 2);
  EXPECT_EQ(metric(m, "insource_reloads_total{result=\"failure\"}"), 2);
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeReload, WatchReloadsWhenARulesOrPluginFileChanges) {
  TempDir d;
  std::string rules = d.write("rules.yaml", kRulesA);
  std::filesystem::create_directories(d.path() / "more-plugins");
  ServerProcess s(d, {"--rules", rules, "--watch", "--watch-interval-ms", "50", "--plugins",
                      (d.path() / "more-plugins").string()});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  const std::string rev_a = revision_of(kRulesA), rev_b = revision_of(kRulesB);
  d.write("rules.yaml", kRulesB);
  EXPECT_TRUE(wait_for(*c, [&](const json& j) { return j["rules_revision"] == rev_b; }));
  d.write("rules.yaml", kBroken);
  EXPECT_TRUE(wait_for(*c, [&](const json& j) { return j["reloads"]["failed"] == 1; }));
  EXPECT_EQ(get_json(*c, "/v1/rules")["rules_revision"], rev_b);
  EXPECT_EQ(get_json(*c, "/v1/rules")["reloads"]["last_trigger"], "watch");
  d.write("rules.yaml", kRulesA);
  EXPECT_TRUE(wait_for(*c, [&](const json& j) { return j["rules_revision"] == rev_a; }));
  // A plugin file appears on the path.
  EXPECT_EQ(get_json(*c, "/v1/plugins")["plugins"].size(), 5u);
  std::filesystem::copy_file(std::string(INSOURCE_FIXTURE_PLUGIN_DIR) + "/faulty/faulty.so",
                             d.path() / "more-plugins" / ".faulty.so.tmp");
  std::filesystem::rename(d.path() / "more-plugins" / ".faulty.so.tmp", d.path() / "more-plugins" / "faulty.so");
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (get_json(*c, "/v1/plugins")["plugins"].size() != 6u && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(get_json(*c, "/v1/plugins")["plugins"].size(), 6u);
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeReload, AHundredReloadsWhileRequestsRun) {
  TempDir d;
  std::string rules = d.write("rules.yaml", kRulesA);
  ServerProcess s(d, {"--rules", rules, "--threads", "8"});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  const std::string rev_a = revision_of(kRulesA), rev_b = revision_of(kRulesB);
  // The verdict each revision gives the case.
  auto verdict_for = [&](const std::string& rev) { return rev == rev_a ? "hybrid" : rev == rev_b ? "insource" : "?"; };
  std::string batch;
  for (int i = 0; i < 50; ++i) batch += std::string(kCase) + "\n";

  std::atomic<bool> done{false};
  std::mutex m;
  std::vector<std::string> failures;
  std::set<std::string> seen;
  std::atomic<int> answered{0};
  auto fail = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(m);
    if (failures.size() < 20) failures.push_back(what);
  };
  auto see = [&](const std::string& rev) {
    std::lock_guard<std::mutex> lock(m);
    seen.insert(rev);
  };
  auto decider = [&](bool array) {
    auto c = s.client();
    std::string body = array ? std::string("[") + kCase + "," + kCase + "]" : std::string(kCase);
    while (!done) {
      auto r = c->Post("/v1/decide", body, "application/json");
      if (!r || r->status != 200) {
        fail("decide: " + (r ? std::to_string(r->status) + " " + r->body : "no response"));
        continue;
      }
      json j = json::parse(r->body, nullptr, false);
      if (j.is_discarded()) {
        fail("decide: not JSON: " + r->body);
        continue;
      }
      std::vector<json> items = array ? std::vector<json>(j.begin(), j.end()) : std::vector<json>{j};
      if (items.size() != (array ? 2u : 1u)) fail("decide: " + std::to_string(items.size()) + " items");
      for (const json& e : items) {
        std::string rev = e.value("rules_revision", "");
        if (rev != rev_a && rev != rev_b) fail("decide: revision " + rev);
        else if (e.value("verdict", "") != verdict_for(rev)) fail("decide: " + e.dump() + " under " + rev);
        else see(rev);
        if (!e.contains("decision_id")) fail("decide: no decision_id");
      }
      ++answered;
    }
  };
  auto batcher = [&] {
    auto c = s.client();
    while (!done) {
      auto r = c->Post("/v1/batch", batch, "application/x-ndjson");
      if (!r || r->status != 200) {
        fail("batch: " + (r ? std::to_string(r->status) : "no response"));
        continue;
      }
      std::string rev = r->get_header_value("X-Insource-Rules-Revision");
      if (rev != rev_a && rev != rev_b) fail("batch: revision " + rev);
      size_t n = 0, pos = 0;
      while (pos < r->body.size()) {
        size_t nl = r->body.find('\n', pos);
        if (nl == std::string::npos) {
          fail("batch: the last record has no newline");
          break;
        }
        json j = json::parse(r->body.substr(pos, nl - pos), nullptr, false);
        // The whole batch is decided by the policy it started with.
        if (j.is_discarded() || j.value("verdict", "") != verdict_for(rev)) fail("batch: record " + r->body.substr(pos, nl - pos));
        ++n;
        pos = nl + 1;
      }
      if (n != 50) fail("batch: " + std::to_string(n) + " records");
      see(rev);
      ++answered;
    }
  };
  std::vector<std::thread> clients;
  clients.emplace_back(decider, false);
  clients.emplace_back(decider, true);
  clients.emplace_back(batcher);

  auto c = s.client();
  int ok = 0;
  for (int i = 0; i < 100; ++i) {
    d.write("rules.yaml", i % 2 == 0 ? kRulesB : kRulesA);
    auto r = c->Post("/v1/reload", "", "application/json");
    if (r && r->status == 200 && json::parse(r->body)["rules_revision"] == (i % 2 == 0 ? rev_b : rev_a)) ++ok;
    else fail("reload " + std::to_string(i) + ": " + (r ? r->body : "no response"));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // Let the clients see the last policy too.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  done = true;
  for (auto& t : clients) t.join();

  EXPECT_EQ(ok, 100);
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(seen, (std::set<std::string>{rev_a, rev_b}));
  EXPECT_GT(answered.load(), 100);
  std::string metrics = c->Get("/metrics")->body;
  EXPECT_EQ(metric(metrics, "insource_reloads_total{result=\"success\"}"), 100);
  EXPECT_EQ(metric(metrics, "insource_rules_generation"), 101);
  EXPECT_EQ(metric(metrics, "insource_errors_total{kind=\"internal\"}"), 0);
  EXPECT_EQ(get_json(*c, "/v1/rules")["rules_revision"], rev_a);  // the 100th wrote A
  EXPECT_EQ(s.stop(), 0) << s.stderr_text();
}

}  // namespace
}  // namespace insource
