// `insource serve` as a client sees it: the real binary on a free loopback
// port, every endpoint, bad requests, limits, authentication, the decision
// log and replay, and a graceful shutdown with a request in flight.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "policy/rules.h"
#include "server_process.h"
#include "plugin_host/sha256.h"

namespace insource {
namespace {

using json = nlohmann::json;
using test::ServerProcess;
using test::TempDir;

const char kCandy[] =
    R"({"id":"candy-launch","title":"Social-media launch of the new candy bar","facts":{)"
    R"("cost":{"hours":1200,"internal_rate":85,"external_rate":60,"opportunity_rate":30,"transition":5000},)"
    R"("capacity":{"utilization":1.0},)"
    R"("control":{"institutional_knowledge":"high","core_competence":false,"customer_facing":true,"change_frequency":"high"},)"
    R"("security":{"system_access":"front_office","data_sensitivity":"internal","vendor_certified":true},)"
    R"("legal":{"vendor_jurisdiction":"domestic","regulated":false,"ip_sensitive":true},)"
    R"("training":{"complexity":"medium","expertise_in_house":false,"internal_ramp_weeks":1,"external_ramp_weeks":4}}})";
const char kCatering[] =
    R"({"id":"office-catering","facts":{"cost.hours":2000,"cost.internal_rate":40,"cost.external_rate":25,)"
    R"("control.institutional_knowledge":"low","control.core_competence":false}})";
const char kBadHours[] = R"({"id":"a","facts":{"cost":{"hours":-10,"internal_rate":1,"external_rate":2}}})";

// Runs the insource binary; stdout is returned, stderr kept in *err.
std::string cli(const std::string& args, int* status, std::string* err = nullptr) {
  static int serial = 0;
  std::string err_file = (std::filesystem::temp_directory_path() /
                          ("insource-serve-cli-" + std::to_string(::getpid()) + "-" + std::to_string(++serial) + ".err"))
                             .string();
  std::string cmd = std::string(INSOURCE_BINARY) + " " + args + " 2>" + err_file;
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (err) *err = test::slurp(err_file);
  std::filesystem::remove(err_file);
  return out;
}

std::string default_revision() { return sha256_hex(std::string(embedded_default_rules()) + "\n"); }

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// A JSON Lines batch: generated cases (tools/gen_cases.py), then lines that
// must become error records.
std::string batch_input(int n) {
  std::string cmd = "/usr/bin/python3 " + std::string(INSOURCE_SOURCE_DIR) + "/tools/gen_cases.py " + std::to_string(n);
  FILE* p = popen(cmd.c_str(), "r");
  std::string text;
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, k);
  pclose(p);
  text += "\n";                                                    // a blank line: no record
  text += R"({"id":"bad","facts":{"cost.hours":-1}})" "\n";        // a bad fact
  text += "not json\n";                                             // not JSON
  text += R"({"id":"crlf","facts":{"cost.hours":3,"cost.internal_rate":1,"cost.external_rate":1}})" "\r\n";
  text += R"({"id":"last-without-newline","facts":{}})";
  return text;
}

int metric(const std::string& text, const std::string& series) { return static_cast<int>(test::metric_value(text, series)); }

// ---- a raw socket, for what an HTTP client library will not send -----------

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Reads until the peer closes or `ms` pass without data.
std::string read_until_close(int fd, int ms) {
  std::string out;
  char buf[65536];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Reads the first response, with its Content-Length body (or until close, or `ms` idle).
std::string read_response(int fd, int ms) {
  std::string out;
  char buf[65536];
  while (true) {
    size_t head = out.find("\r\n\r\n");
    if (head != std::string::npos) {
      std::string lower_head = out.substr(0, head);
      for (char& ch : lower_head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      size_t cl = lower_head.find("content-length:");
      if (cl != std::string::npos) {
        size_t end = head + 4 + std::stoul(lower_head.substr(cl + 15));
        if (out.size() >= end) return out.substr(0, end);  // this response only, not one that follows
      }
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// ---- tests -----------------------------------------------------------------

TEST(Serve, DecideGivesTheCliRecordWithDecisionIdAndRevision) {
  TempDir d;
  std::string file = d.write("candy.json", kCandy);
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  auto r = c->Post("/v1/decide", kCandy, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->get_header_value("X-Insource-Rules-Revision"), default_revision());
  json j = json::parse(r->body);
  EXPECT_EQ(j["verdict"], "outsource-then-insource");
  EXPECT_EQ(j["rule"], "fully-booked-team");
  EXPECT_EQ(j["rules_revision"], default_revision());
  ASSERT_TRUE(j["decision_id"].is_string());
  std::string id = j["decision_id"];
  j.erase("decision_id");
  j.erase("rules_revision");

  int status;
  json expected = json::parse(cli("decide --format json " + file, &status));
  EXPECT_EQ(status, 0);
  EXPECT_EQ(j, expected);

  // Every decision has its own id.
  auto r2 = c->Post("/v1/decide", kCandy, "application/json");
  ASSERT_TRUE(r2);
  EXPECT_NE(json::parse(r2->body)["decision_id"], id);
  EXPECT_EQ(s.stop(), 0) << s.stderr_text();
}

TEST(Serve, AnArrayOfCasesGetsAnArrayInOrder) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running());
  auto c = s.client();
  std::string body = std::string("[") + kCandy + "," + kCatering + "," + R"({"id":"empty","facts":{}})" + "]";
  auto r = c->Post("/v1/decide", body, "application/json; charset=utf-8");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["id"], "candy-launch");
  EXPECT_EQ(j[1]["id"], "office-catering");
  EXPECT_EQ(j[1]["verdict"], "outsource");
  EXPECT_EQ(j[2]["verdict"], "review");
  std::set<std::string> ids;
  for (const auto& e : j) {
    EXPECT_EQ(e["rules_revision"], default_revision());
    ids.insert(e["decision_id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 3u);
  auto empty = c->Post("/v1/decide", "[]", "application/json");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(empty->body, "[]");
}

TEST(Serve, ABadCaseIs400WithTheMessageTheCliGives) {
  TempDir d;
  std::string file = d.write("bad.json", kBadHours);
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running());
  auto c = s.client();
  auto r = c->Post("/v1/decide", kBadHours, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 400);
  json j = json::parse(r->body);
  EXPECT_EQ(j["error"]["kind"], "case");
  std::string message = j["error"]["message"];
  ASSERT_EQ(message.rfind("request:", 0), 0u) << message;

  int status;
  std::string err;
  json cli_j = json::parse(cli("decide --format json " + file, &status, &err));
  EXPECT_EQ(status, 1);
  std::string cli_message = cli_j["error"]["message"];
  ASSERT_EQ(cli_message.rfind(file + ":", 0), 0u) << cli_message;
  // The same words after the name of the input.
  EXPECT_EQ(message.substr(std::string("request").size()), cli_message.substr(file.size()));
  EXPECT_NE(message.find("fact cost.hours must be > 0, not -10"), std::string::npos) << message;

  // In an array every bad case is named, by index; nothing is decided.
  std::string two = std::string("[") + kCandy + ",\n" + kBadHours + ",\n" + R"({"id":"t","facts":{"cost.horus":1}})" + "]";
  r = c->Post("/v1/decide", two, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 400);
  j = json::parse(r->body);
  ASSERT_EQ(j["error"]["errors"].size(), 2u) << r->body;
  EXPECT_EQ(j["error"]["errors"][0]["index"], 1);
  EXPECT_EQ(j["error"]["errors"][1]["index"], 2);
  EXPECT_NE(j["error"]["errors"][1]["message"].get<std::string>().find("did you mean 'cost.hours'"), std::string::npos);
}

TEST(Serve, BadRequestsGetJsonErrorsWithFittingStatusesAndNeverACrash) {
  TempDir d;
  ServerProcess s(d, {"--max-body-bytes", "4096", "--max-header-bytes", "2048"});
  ASSERT_TRUE(s.running());
  auto c = s.client();
  auto expect_error = [](const httplib::Result& r, int status, const std::string& kind) {
    ASSERT_TRUE(r) << "no response where " << status << " " << kind << " was expected: " << httplib::to_string(r.error());
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << r->body;
    json j = json::parse(r->body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r->body;
    EXPECT_EQ(j["error"]["kind"], kind) << r->body;
    EXPECT_TRUE(j["error"]["message"].is_string()) << r->body;
  };
  expect_error(c->Post("/v1/decide", kCandy, "text/csv"), 415, "content_type");
  expect_error(c->Post("/v1/batch", kCandy, "application/yaml"), 415, "content_type");
  {
    // What `curl -d` sends by default: the answer names the header to send instead.
    auto r = c->Post("/v1/decide", kCandy, "application/x-www-form-urlencoded");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 415);
    EXPECT_NE(r->body.find("send the header 'Content-Type: application/json'"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("(with curl: -H 'Content-Type: application/json')"),
              std::string::npos)
        << r->body;
  }
  expect_error(c->Post("/v1/decide", std::string(5000, ' '), "application/json"), 413, "body_limit");
  // A chunked body has no length up front: it is cut off at the limit. (A raw
  // socket: a client library that is still sending when the 413 comes may
  // report a failed write instead of the answer.)
  {
    int fd = connect_to(s.port());
    ASSERT_GE(fd, 0);
    std::string req = "POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20; ++i) req += "3e8\r\n" + std::string(1000, ' ') + "\r\n";
    req += "0\r\n\r\n";
    send_all(fd, req);
    std::string answer = read_response(fd, 5000);
    ::close(fd);
    ASSERT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
    json j = json::parse(answer.substr(answer.find("\r\n\r\n") + 4), nullptr, false);
    EXPECT_EQ(j["error"]["kind"], "body_limit") << answer;
  }
  expect_error(c->Get("/nope"), 404, "not_found");
  expect_error(c->Get("/v1/decide"), 405, "method");
  auto r405 = c->Post("/v1/rules", "", "application/json");
  expect_error(r405, 405, "method");
  if (r405) {
    EXPECT_EQ(r405->get_header_value("Allow"), "GET, HEAD");
  }
  expect_error(c->Delete("/v1/batch"), 405, "method");
  expect_error(c->Post("/v1/decide?explian=full", kCandy, "application/json"), 400, "bad_request");
  expect_error(c->Post("/v1/decide?margins=maybe", kCandy, "application/json"), 400, "bad_request");
  expect_error(c->Post("/v1/batch?detail=perhaps", "", "application/x-ndjson"), 400, "bad_request");
  expect_error(c->Get("/v1/rules?verbose=1"), 400, "bad_request");
  expect_error(c->Post("/v1/decide", "", "application/json"), 400, "parse");
  expect_error(c->Post("/v1/decide", "{\"id\": \"x\", ", "application/json"), 400, "parse");
  expect_error(c->Post("/v1/decide", "42", "application/json"), 400, "case");
  expect_error(c->Post("/v1/decide", "id: yaml\nfacts: {}\n", "application/json"), 400, "parse");
  // Deep but well-formed JSON: an array whose item is no case object.
  expect_error(c->Post("/v1/decide", std::string(2000, '[') + std::string(2000, ']'), "application/json"), 400,
               "case");
  httplib::Headers big_header{{"X-Padding", std::string(3000, 'x')}};
  expect_error(c->Get("/v1/rules", big_header), 431, "header_limit");

  // Not HTTP at all.
  int fd = connect_to(s.port());
  ASSERT_GE(fd, 0);
  send_all(fd, "THIS IS NOT HTTP\r\n\r\n");
  std::string answer = read_response(fd, 2000);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;

  // Still serving, and each refusal was counted.
  auto ok = c->Post("/v1/decide", kCandy, "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  std::string mt = test::settled_metrics(*c, {{"insource_http_requests_total{endpoint=\"/v1/decide\",code=\"413\"}", 2}});
  const auto* m = &mt;
  EXPECT_EQ(metric(*m, "insource_errors_total{kind=\"content_type\"}"), 3);  // csv, yaml, form
  EXPECT_EQ(metric(*m, "insource_errors_total{kind=\"body_limit\"}"), 2);
  EXPECT_EQ(metric(*m, "insource_errors_total{kind=\"not_found\"}"), 1);
  EXPECT_EQ(metric(*m, "insource_errors_total{kind=\"method\"}"), 3);
  EXPECT_EQ(metric(*m, "insource_errors_total{kind=\"header_limit\"}"), 1);
  EXPECT_EQ(metric(*m, "insource_http_requests_total{endpoint=\"/v1/decide\",code=\"413\"}"), 2);
  EXPECT_EQ(s.stop(), 0) << s.stderr_text();
}

TEST(Serve, BatchAnswersWithTheRecordsOfInsourceBatch) {
  TempDir d;
  std::string input = batch_input(300);
  std::string file = d.write("cases.jsonl", input);
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running());
  auto c = s.client();
  int status;
  for (bool detail : {false, true}) {
    auto r = c->Post(detail ? "/v1/batch?detail=true" : "/v1/batch", input, "application/x-ndjson");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-ndjson");
    EXPECT_EQ(r->get_header_value("X-Insource-Rules-Revision"), default_revision());
    EXPECT_FALSE(r->get_header_value("X-Insource-Decision-Ids").empty());
    std::string expected = cli(std::string("batch --quiet ") + (detail ? "--detail " : "") + file, &status);
    EXPECT_EQ(status, 1);  // the error lines
    EXPECT_EQ(r->body, expected);
    EXPECT_EQ(lines_of(r->body).size(), 304u);
  }
  auto empty = c->Post("/v1/batch", "", "application/x-ndjson");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(empty->body, "");
  auto m = c->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(metric(m->body, "insource_errors_total{kind=\"parse\"}"), 2);  // "not json", twice
  EXPECT_EQ(metric(m->body, "insource_errors_total{kind=\"case\"}"), 2);   // a bad fact, twice
}

TEST(Serve, PluginsAndRulesDescribeWhatIsLoaded) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running());
  auto c = s.client();
  auto r = c->Get("/v1/plugins");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  json p = json::parse(r->body);
  ASSERT_EQ(p["plugins"].size(), 5u);
  std::set<std::string> criteria;
  for (const auto& e : p["plugins"]) {
    criteria.insert(e["criterion"].get<std::string>());
    EXPECT_EQ(e["sha256"], sha256_file_hex(e["file"].get<std::string>())) << e["file"];
    EXPECT_EQ(e["abi"], "1.0");
    EXPECT_TRUE(e["votes"].get<bool>());
    EXPECT_FALSE(e["facts"].empty());
  }
  EXPECT_EQ(criteria, (std::set<std::string>{"cost", "control", "security", "legal", "training"}));

  r = c->Get("/v1/rules?text=true");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  json j = json::parse(r->body);
  EXPECT_EQ(j["rules_revision"], default_revision());
  EXPECT_EQ(j["rules_revision"], sha256_hex(j["text"].get<std::string>()));
  EXPECT_EQ(j["generation"], 1);
  EXPECT_EQ(j["name"], "Default sourcing policy");
  EXPECT_EQ(j["criteria"].size(), 5u);
  EXPECT_EQ(j["criteria"][0]["name"], "cost");
  EXPECT_EQ(j["criteria"][0]["params"]["vendor_overhead"], 0.1);
  EXPECT_EQ(j["overrides"].size(), 3u);
  EXPECT_EQ(j["overrides"][2]["id"], "fully-booked-team");
  EXPECT_EQ(j["thresholds"]["insource"], 0.2);
  EXPECT_EQ(j["reloads"]["failed"], 0);
  EXPECT_TRUE(j["reloads"]["last_error"].is_null());
  EXPECT_EQ(j["loaded_at"].get<std::string>().size(), 24u);  // 2026-11-28T05:30:17.123Z
  EXPECT_FALSE(json::parse(c->Get("/v1/rules")->body).contains("text"));
}

TEST(Serve, HealthReadinessAndMetrics) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running());
  auto c = s.client();
  auto h = c->Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(json::parse(h->body)["status"], "ok");
  auto ready = c->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(json::parse(ready->body)["rules_revision"], default_revision());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c->Post("/v1/decide", kCandy, "application/json"));
  ASSERT_TRUE(c->Post("/v1/decide", kCatering, "application/json"));
  auto m = c->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string t = test::settled_metrics(*c, {{"insource_request_duration_seconds_count{endpoint=\"/v1/decide\"}", 4},
                                                    {"insource_http_requests_total{endpoint=\"/healthz\",code=\"200\"}", 1}});
  EXPECT_EQ(metric(t, "insource_decisions_total{verdict=\"outsource-then-insource\"}"), 3);
  EXPECT_EQ(metric(t, "insource_decisions_total{verdict=\"outsource\"}"), 1);
  EXPECT_EQ(metric(t, "insource_http_requests_total{endpoint=\"/v1/decide\",code=\"200\"}"), 4);
  EXPECT_EQ(metric(t, "insource_request_duration_seconds_count{endpoint=\"/v1/decide\"}"), 4);
  EXPECT_EQ(metric(t, "insource_request_duration_seconds_bucket{endpoint=\"/v1/decide\",le=\"+Inf\"}"), 4);
  EXPECT_EQ(metric(t, "insource_http_requests_total{endpoint=\"/healthz\",code=\"200\"}"), 1);
  EXPECT_EQ(metric(t, "insource_reloads_total{result=\"success\"}"), 0);
  EXPECT_EQ(metric(t, "insource_reloads_total{result=\"failure\"}"), 0);
  EXPECT_EQ(metric(t, "insource_rules_generation"), 1);
  EXPECT_NE(t.find("insource_rules_info{revision=\"" + default_revision() + "\""), std::string::npos);
  EXPECT_NE(t.find("# TYPE insource_request_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(t.find("# TYPE insource_plugin_faults_total counter"), std::string::npos);
}

TEST(Serve, BearerTokensAreRequiredWhenATokenFileIsGiven) {
  TempDir d;
  std::string tokens = d.write("tokens", "# who may ask\n\ntoken-one\n  token-two  \n");
  ServerProcess s(d, {"--token-file", tokens});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  auto r = c->Post("/v1/decide", kCandy, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"insource\"");
  EXPECT_EQ(json::parse(r->body)["error"]["kind"], "auth");
  auto with = [&](const std::string& auth) { return httplib::Headers{{"Authorization", auth}}; };
  EXPECT_EQ(c->Post("/v1/decide", with("Bearer token-on"), kCandy, "application/json")->status, 401);
  EXPECT_EQ(c->Post("/v1/decide", with("Bearer token-one-more"), kCandy, "application/json")->status, 401);
  EXPECT_EQ(c->Post("/v1/decide", with("Basic dG9rZW4tb25l"), kCandy, "application/json")->status, 401);
  EXPECT_EQ(c->Post("/v1/decide", with("Bearer token-one"), kCandy, "application/json")->status, 200);
  EXPECT_EQ(c->Post("/v1/decide", with("bearer token-two"), kCandy, "application/json")->status, 200);
  EXPECT_EQ(c->Get("/v1/rules")->status, 401);
  EXPECT_EQ(c->Get("/metrics")->status, 401);
  EXPECT_EQ(c->Get("/nope")->status, 401);  // nothing is told about paths without a token
  EXPECT_EQ(c->Get("/healthz")->status, 200);
  EXPECT_EQ(c->Get("/readyz")->status, 200);
  // The token file is read again on reload.
  d.write("tokens", "token-three\n");
  auto rr = c->Post("/v1/reload", with("Bearer token-one"), "", "application/json");
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->status, 200) << rr->body;
  EXPECT_EQ(c->Get("/v1/rules", with("Bearer token-one"))->status, 401);
  EXPECT_EQ(c->Get("/v1/rules", with("Bearer token-three"))->status, 200);
  auto m = c->Get("/metrics", with("Bearer token-three"));
  EXPECT_EQ(metric(m->body, "insource_errors_total{kind=\"auth\"}"), 8);
}

TEST(Serve, ExplainAndMargins) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running());
  auto c = s.client();
  json brief = json::parse(c->Post("/v1/decide?explain=brief", kCandy, "application/json")->body);
  EXPECT_TRUE(brief["summary"].is_string());
  EXPECT_FALSE(brief.contains("criteria"));
  EXPECT_EQ(brief["rules_revision"], default_revision());
  json full = json::parse(c->Post("/v1/decide?explain=full", kCandy, "application/json")->body);
  EXPECT_TRUE(full.contains("margins"));
  EXPECT_TRUE(full["criteria"]["cost"].contains("facts"));
  json trace = json::parse(c->Post("/v1/decide?explain=trace", kCandy, "application/json")->body);
  EXPECT_TRUE(trace.contains("overrides"));
  json margins = json::parse(c->Post("/v1/decide?margins=true", kCandy, "application/json")->body);
  EXPECT_TRUE(margins.contains("margins"));
  EXPECT_TRUE(margins.contains("criteria"));
  EXPECT_TRUE(margins["decision_id"].is_string());
  json plain = json::parse(c->Post("/v1/decide?margins=false", kCandy, "application/json")->body);
  EXPECT_FALSE(plain.contains("margins"));
}

TEST(Serve, APluginFaultIsAnErrorForThatCaseOnly) {
  TempDir d;
  std::string rules = d.write("faulty.yaml", "insource: 1\ncriteria: {cost: {weight: 1}, faulty: {weight: 1}}\n");
  ServerProcess s(d, {"--rules", rules, "--plugins", std::string(INSOURCE_FIXTURE_PLUGIN_DIR) + "/faulty"});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  auto r = c->Post("/v1/decide", R"({"id":"boom","facts":{"faulty":{"mode":"throw"}}})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  json j = json::parse(r->body);
  EXPECT_EQ(j["id"], "boom");
  EXPECT_EQ(j["error"]["kind"], "plugin");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("fixture-faulty"), std::string::npos);
  EXPECT_TRUE(j["decision_id"].is_string());
  r = c->Post("/v1/decide", R"([{"id":"ok","facts":{"faulty.mode":"ok"}},{"id":"nan","facts":{"faulty.mode":"nan"}}])",
              "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  j = json::parse(r->body);
  EXPECT_EQ(j[0]["verdict"], "insource");
  EXPECT_EQ(j[1]["error"]["kind"], "plugin");
  r = c->Post("/v1/batch", "{\"id\":\"x\",\"facts\":{\"faulty.mode\":\"three\"}}\n", "application/x-ndjson");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["error"]["kind"], "plugin");
  auto m = c->Get("/metrics");
  EXPECT_EQ(metric(m->body, "insource_plugin_faults_total{criterion=\"faulty\"}"), 3);
  EXPECT_EQ(metric(m->body, "insource_errors_total{kind=\"plugin\"}"), 3);
  EXPECT_EQ(c->Get("/healthz")->status, 200);
}

// --isolate: a plugin that segfaults or hangs costs its case a fault; the
// server, the other criteria and the next request carry on.
TEST(Serve, IsolatedPluginsThatCrashOrHangDoNotTakeTheServerDown) {
  TempDir d;
  std::string rules = d.write("crashy.yaml",
                              "insource: 1\ncriteria: {cost: {weight: 1}, crashy: {weight: 1, on_error: abstain}}\n");
  ServerProcess s(d, {"--rules", rules, "--plugins", std::string(INSOURCE_FIXTURE_PLUGIN_DIR) + "/crashy", "--isolate",
                      "--plugin-timeout", "200"});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  for (const char* mode : {"segv", "hang", "abort"}) {
    SCOPED_TRACE(mode);
    auto r = c->Post("/v1/decide", std::string(R"({"id":"x","facts":{"crashy":{"mode":")") + mode + R"("}}})",
                     "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    json j = json::parse(r->body);
    EXPECT_TRUE(j["criteria"]["crashy"]["abstained"]) << r->body;
    EXPECT_NE(j.dump().find("fixture-crashy"), std::string::npos) << r->body;
    r = c->Post("/v1/decide", R"({"id":"y","facts":{"crashy":{"mode":"ok"}}})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(json::parse(r->body)["verdict"], "insource") << r->body;
  }
  auto m = c->Get("/metrics");
  EXPECT_EQ(metric(m->body, "insource_plugin_faults_total{criterion=\"crashy\"}"), 3);
  EXPECT_EQ(c->Get("/healthz")->status, 200);
}

TEST(Serve, ARequestThatRunsOutOfItsTimeBudget) {
  TempDir d;
  ServerProcess s(d, {"--request-budget-ms", "1", "--max-body-bytes", "4000000"});
  ASSERT_TRUE(s.running());
  auto c = s.client();
  std::string many = "[";
  // Far more than 1 ms of work, yet read quickly even under a sanitizer.
  for (int i = 0; i < 4000; ++i) many += std::string(i ? "," : "") + R"({"id":"e","facts":{}})";
  many += "]";
  auto r = c->Post("/v1/decide", many, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json::parse(r->body)["error"]["kind"], "timeout");

  std::string lines;
  for (int i = 0; i < 40000; ++i) lines += R"({"id":"e","facts":{"cost.hours":1,"cost.internal_rate":1,"cost.external_rate":1}})" "\n";
  r = c->Post("/v1/batch", lines, "application/x-ndjson");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto out = lines_of(r->body);
  ASSERT_EQ(out.size(), 40000u);  // still one record per line
  size_t timeouts = 0;
  for (const auto& l : out) {
    json j = json::parse(l);
    if (j.contains("error") && j["error"]["kind"] == "timeout") ++timeouts;
  }
  EXPECT_GT(timeouts, 0u);
}

TEST(Serve, TheDecisionLogCanBeReplayed) {
  TempDir d;
  std::string rules_a = d.write("a.yaml", "insource: 1\ncriteria: {cost: {weight: 1}}\nthresholds: {insource: 0.2, outsource: -0.2}\n");
  std::string rules_b = d.write("b.yaml", "insource: 1\ncriteria: {cost: {weight: 1}}\nthresholds: {insource: 0.9, outsource: -0.9}\n");
  std::string log = d.file("decisions.jsonl");
  ServerProcess s(d, {"--rules", rules_a, "--decision-log", log});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto c = s.client();
  const char* cheap = R"({"id":"cheap","facts":{"cost":{"hours":10,"internal_rate":50,"external_rate":20}}})";
  const char* even = R"({"id":"even","facts":{"cost":{"hours":10,"internal_rate":11,"external_rate":10}}})";
  std::vector<std::string> ids;
  for (const char* body : {cheap, even}) {
    auto r = c->Post("/v1/decide", body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    ids.push_back(json::parse(r->body)["decision_id"]);
  }
  auto b = c->Post("/v1/batch", std::string(cheap) + "\nbroken\n" + even + "\n", "application/x-ndjson");
  ASSERT_TRUE(b);
  std::string range = b->get_header_value("X-Insource-Decision-Ids");
  ASSERT_NE(range.find(".."), std::string::npos);
  std::string revision = json::parse(c->Get("/v1/rules")->body)["rules_revision"];
  EXPECT_EQ(s.stop(), 0);

  auto lines = lines_of(test::slurp(log));
  ASSERT_EQ(lines.size(), 4u);  // two decides, two batch records (the broken line is no decision)
  json first = json::parse(lines[0]);
  EXPECT_EQ(first["decision_id"], ids[0]);
  EXPECT_EQ(first["rules_revision"], revision);
  EXPECT_EQ(first["source"], "decide");
  EXPECT_EQ(first["case"], json::parse(cheap));
  EXPECT_EQ(first["record"]["verdict"], "outsource");
  EXPECT_EQ(first["plugins"]["cost"]["sha256"], sha256_file_hex(first["plugins"]["cost"]["file"].get<std::string>()));
  json batch_last = json::parse(lines[3]);
  EXPECT_EQ(batch_last["source"], "batch");
  EXPECT_EQ(batch_last["case"], json::parse(even));
  EXPECT_EQ(batch_last["decision_id"], range.substr(range.find("..") + 2));  // the third line of the batch
  EXPECT_EQ(batch_last["record"]["id"], "even");

  int status;
  std::string err;
  std::string out = cli("replay --rules " + rules_a + " " + log, &status, &err);
  EXPECT_EQ(status, 0) << out << err;
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("4 decisions replayed"), std::string::npos) << err;
  out = cli("replay --rules " + rules_b + " " + log, &status, &err);
  EXPECT_EQ(status, 1) << out << err;
  auto diffs = lines_of(out);
  ASSERT_EQ(diffs.size(), 2u) << out;  // "cheap" flips from outsource to hybrid; "even" stays hybrid
  EXPECT_NE(diffs[0].find(ids[0]), std::string::npos) << diffs[0];
  EXPECT_NE(diffs[0].find("verdict outsource -> hybrid"), std::string::npos) << diffs[0];
  EXPECT_NE(err.find("2 differ, 2 the same"), std::string::npos) << err;
  out = cli("replay --format json --rules " + rules_b + " " + log, &status);
  EXPECT_EQ(json::parse(lines_of(out)[0])["now"]["verdict"], "hybrid");
}

TEST(Serve, TheDecisionLogCanGoToStandardOutput) {
  TempDir d;
  ServerProcess s(d, {"--decision-log", "-"});
  ASSERT_TRUE(s.running());
  auto r = s.client()->Post("/v1/decide", kCandy, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(s.stop(), 0);
  auto lines = lines_of(s.stdout_text());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json::parse(lines[0])["decision_id"], json::parse(r->body)["decision_id"]);
}

TEST(Serve, SigtermFinishesTheRequestInFlight) {
  TempDir d;
  ServerProcess s(d, {});
  ASSERT_TRUE(s.running());
  std::string body = "[";
  for (int i = 0; i < 50; ++i) body += std::string(i ? "," : "") + kCatering;
  body += "]";
  int fd = connect_to(s.port());
  ASSERT_GE(fd, 0);
  // Half the request, then SIGTERM while the server waits for the rest.
  send_all(fd, "POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, body.size() / 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  s.signal(SIGTERM);
  // New connections are refused from now on (the listening socket is closed).
  int other = -1;
  for (int i = 0; i < 300; ++i) {
    other = connect_to(s.port());
    if (other < 0) break;
    ::close(other);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LT(other, 0) << "still accepting connections after SIGTERM";
  send_all(fd, body.substr(body.size() / 2));
  std::string answer = read_until_close(fd, 5000);
  ::close(fd);
  ASSERT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 200);
  json j = json::parse(answer.substr(answer.find("\r\n\r\n") + 4));
  EXPECT_EQ(j.size(), 50u);
  EXPECT_EQ(s.wait(std::chrono::seconds(10)), 0) << s.stderr_text();
  EXPECT_NE(s.stderr_text().find("finishing the requests in flight"), std::string::npos);
}

TEST(Serve, UnusableStartupExitsWith2) {
  TempDir d;
  std::string broken = d.write("broken.yaml", "insource: 1\ncriteria:\n  cost: {wieght: 1}\n");
  ServerProcess bad_rules(d, {"--rules", broken});
  EXPECT_FALSE(bad_rules.running());
  EXPECT_EQ(bad_rules.wait(std::chrono::seconds(5)), 2);
  EXPECT_NE(bad_rules.stderr_text().find("broken.yaml:3:"), std::string::npos) << bad_rules.stderr_text();

  ServerProcess bad_tokens(d, {"--token-file", d.file("no-such-file")});
  EXPECT_FALSE(bad_tokens.running());
  EXPECT_EQ(bad_tokens.wait(std::chrono::seconds(5)), 2);

  int status;
  std::string err;
  cli("serve --listen nowhere", &status, &err);
  EXPECT_EQ(status, 2);
  EXPECT_NE(err.find("expected HOST:PORT"), std::string::npos) << err;

  // A port already taken (unless both ask to share it).
  ServerProcess first(d, {"--reuse-port"});
  ASSERT_TRUE(first.running());
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  ServerProcess second(d, {"--listen", taken});
  EXPECT_FALSE(second.running());
  EXPECT_EQ(second.wait(std::chrono::seconds(5)), 2);
  EXPECT_NE(second.stderr_text().find("cannot listen on " + taken), std::string::npos) << second.stderr_text();
  ServerProcess sharing(d, {"--listen", taken, "--reuse-port"});
  EXPECT_TRUE(sharing.running()) << sharing.stderr_text();
}

}  // namespace
}  // namespace insource
