// The inside of `insource serve` (http/server.h), shared by the files that
// make it up, one concern each:
//   server.cc            routing, limits, error answers and the server's life (bind, run, stop, --watch)
//   auth.cc              bearer tokens
//   decide_endpoint.cc   POST /v1/decide
//   batch_endpoint.cc    POST /v1/batch, through the batch pipeline (service/batch.h)
//   admin_endpoints.cc   POST /v1/reload, GET /v1/plugins, /v1/rules, /metrics
//   explorer_endpoints.cc  the explorer at / (its embedded assets), POST /v1/what-if/rules,
//                        /v1/report, /v1/cases, and the what-if snapshot /v1/decide and /v1/batch take
//   analysis_endpoints.cc POST /v1/weights/ahp, /v1/calibrate (analysis/)
// Not installed, and included by nothing outside host/http.
#ifndef INSOURCE_HTTP_SERVER_IMPL_H_
#define INSOURCE_HTTP_SERVER_IMPL_H_

#include <httplib.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/metrics.h"
#include "http/server.h"
#include "io/json_case_parser.h"
#include "io/record_format.h"
#include "plugin_host/sha256.h"
#include "policy/evaluator.h"
#include "service/batch.h"
#include "service/decision_log.h"
#include "tools/explain.h"
#include "tools/simulate.h"

namespace insource::server {

using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

// Plain HTTP, or HTTPS when the options name a certificate and key (and
// mutual TLS when they name a client CA: a client without a certificate
// that CA signed is refused during the handshake). Throws std::runtime_error
// when the files do not load.
std::unique_ptr<httplib::Server> make_http_server(const ServerOptions& o);

// The request being handled on this worker thread, from the pre-routing
// handler to the logger (one thread handles a request from end to end).
struct RequestContext {
  Clock::time_point start{};
  bool open = false;
};
extern thread_local RequestContext t_request;

// What a worker thread needs to decide with one policy: built when the
// thread first meets a policy generation, kept until it meets another.
struct ThreadEngine {
  std::shared_ptr<const PolicySnapshot> snap;
  std::unique_ptr<Evaluator> evaluator;
  std::unique_ptr<JsonCaseParser> json;
  std::unique_ptr<CompactFormatter> compact;
  simdjson::dom::parser dom;
  CaseFacts kase;
  Decision decision;
  std::string message;
};

// The engine of this thread for `snap`.
ThreadEngine& engine_for(const std::shared_ptr<const PolicySnapshot>& snap);

struct TokenSet {
  std::vector<Sha256::Digest> digests;
};

std::string lower(std::string s);
std::string trim(std::string_view s);
// The media type of a request, lower case, without parameters; empty when none is given.
std::string media_type(const httplib::Request& req);
bool parse_bool(const std::string& v, bool* out);
// {"id":...,"facts":{"a.b":value,...}}: a case as the engine holds it (used
// in the log when the text as received is not at hand).
std::string canonical_case_json(const CaseFacts& c, const FactSchema& schema);
// A compact JSON text of a case read from JSON, checked by a full parse; empty when it is not valid JSON.
std::string minified_case(simdjson::dom::parser& dom, const char* data, size_t len, size_t capacity);

struct Server::Impl {
  PolicyStore& store;
  ServerOptions o;
  std::unique_ptr<httplib::Server> http_server = make_http_server(o);
  httplib::Server& http = *http_server;
  Metrics metrics;
  std::unique_ptr<DecisionLog> log;
  std::atomic<std::shared_ptr<const TokenSet>> tokens;
  std::atomic<bool> draining{false};
  std::atomic<bool> run_active{false}, stop_requested{false};
  std::string id_prefix;
  std::atomic<uint64_t> next_id{1};
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();

  // --watch
  std::thread watcher;
  std::mutex watch_mutex;
  std::condition_variable watch_cv;
  bool stopping = false;

  // Reads the token file, opens the decision log, and routes the endpoints.
  Impl(PolicyStore& s, ServerOptions opts);
  void load_tokens();
  std::string decision_id(uint64_t n) const { return id_prefix + "-" + std::to_string(n); }

  // ---- responses (server.cc) ------------------------------------------------

  void send_error(httplib::Response& res, int status, ErrorKind kind, const std::string& message,
                  const json& extra = json());
  void send_json(httplib::Response& res, int status, const json& j);
  static void revision_headers(httplib::Response& res, const PolicySnapshot& snap);

  // ---- request plumbing (server.cc; authorized: auth.cc) ------------------

  bool authorized(const httplib::Request& req) const;
  // The methods a path answers to, or null for an unknown path.
  static const char* allowed_methods(const std::string& path);
  httplib::Server::HandlerResponse pre_routing(const httplib::Request& req, httplib::Response& res);
  // Checks the media type against the accepted ones (none given is accepted).
  bool check_type(const httplib::Request& req, httplib::Response& res, std::initializer_list<const char*> accepted);
  // Reads the body within `limit`; answers the request and returns false when it cannot.
  bool read_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                 size_t limit, std::string* body);
  std::optional<Clock::time_point> deadline() const;

  // ---- POST /v1/decide (decide_endpoint.cc) ---------------------------------

  struct Answer {
    std::string id;
    std::string response;  // the object as answered
    std::string log_case, log_record;
    bool failed = false;
    Verdict verdict = Verdict::kReview;
    std::vector<std::string> faulty;  // criteria whose plugin failed
  };
  // What a /v1/decide request asks beyond the record.
  struct DecideAsk {
    std::optional<ExplainLevel> explain;
    bool margins = false;
    bool html = false;  // the case's section of the HTML report (tools/report_html.h) in "html"
    json what_if;       // null, or the what-if the policy was moved by (echoed back)
    std::optional<SimulationOptions> simulate;  // ?simulate=N: decided by simulation
  };
  void count_answer(const Answer& a);
  void decide_one(ThreadEngine& te, const PolicySnapshot& snap, const CaseFacts& c, const DecideAsk& ask,
                  std::string case_text, std::vector<Answer>* answers);
  void timeout(httplib::Response& res, size_t done, size_t total);
  void decide(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);

  // ---- POST /v1/batch (batch_endpoint.cc) -----------------------------------

  // A batch being answered: the body, run through the batch pipeline (the
  // one `insource batch` uses) while the response is written.
  struct BatchJob {
    std::shared_ptr<const PolicySnapshot> snap;
    std::string body;
    uint64_t first_id = 0;
    bool detail = false;
    bool what_if = false;  // decided under a what-if: not the policy's, so not logged
    InputFormat format = InputFormat::kJsonLines;  // or kCsv, for a text/csv body
    std::optional<Clock::time_point> until;
  };
  class ResponseSink;   // the pipeline's sink: the response
  class BatchRecorder;  // the pipeline's observer: metrics and the decision log
  static constexpr size_t kBatchSlice = 128 * 1024;
  void batch(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);

  // ---- POST /v1/reload, GET endpoints (admin_endpoints.cc) ------------------

  void reload_endpoint(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  ReloadOutcome reload(const std::string& trigger);
  static json param_json(const ParamValue& v);
  void plugins_endpoint(const httplib::Request&, httplib::Response& res);
  void rules_endpoint(const httplib::Request& req, httplib::Response& res);
  void metrics_endpoint(const httplib::Request&, httplib::Response& res);

  // ---- the explorer and its endpoints (explorer_endpoints.cc) --------------

  // The snapshot with the what-if (JSON text, tools/what_if.h) applied: the
  // same revision, generation and plugins, another policy. Null with `why`
  // when the what-if is wrong; `echo` gets it parsed.
  static std::shared_ptr<const PolicySnapshot> what_if_snapshot(const std::shared_ptr<const PolicySnapshot>& base,
                                                                const std::string& text, std::string* why, json* echo);
  void what_if_rules_endpoint(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void report_endpoint(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void cases_endpoint(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  static void asset(httplib::Response& res, std::string_view body, const char* type);
  // Routes the page, its assets and the three endpoints above.
  void route_explorer();

  // ---- POST /v1/weights/ahp, /v1/calibrate (analysis_endpoints.cc) ----------
  void ahp_endpoint(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void calibrate_endpoint(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);

  // ---- wiring (server.cc) ---------------------------------------------------

  static ErrorKind kind_of_status(int status);
  void setup();
  void watch_loop();
};

}  // namespace insource::server

#endif  // INSOURCE_HTTP_SERVER_IMPL_H_
