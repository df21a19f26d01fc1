#include "http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include "analysis/ahp.h"
#include "analysis/calibrate.h"
#include "io/case_reader.h"
#include "service/decision_log.h"
#include "policy/evaluator.h"
#include "tools/explain.h"
#include "io/json_case_parser.h"
#include "io/json_text.h"
#include "tools/margins.h"
#include "http/metrics.h"
#include "io/record_format.h"
#include "io/report.h"
#include "plugin_host/sha256.h"

namespace insource::server {

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

// cpp-httplib's server with a listen backlog that suits a service (the
// library's own is 5: a burst of new connections would wait for SYN retries).
class HttpServer : public httplib::Server {
 public:
  void raise_backlog(int n) {
    socket_t s = svr_sock_.load();
    if (s != INVALID_SOCKET) ::listen(s, n);
  }
};

// The request being handled on this worker thread, from the pre-routing
// handler to the logger (one thread handles a request from end to end).
struct RequestContext {
  Clock::time_point start{};
  bool open = false;
};
thread_local RequestContext t_request;

// What a worker thread needs to decide with one policy: built when the
// thread first meets a policy generation, kept until it meets another.
struct ThreadEngine {
  std::shared_ptr<const PolicySnapshot> snap;
  std::unique_ptr<Evaluator> evaluator;
  std::unique_ptr<JsonCaseParser> json;
  std::unique_ptr<CompactFormatter> compact;
  simdjson::dom::parser dom;
  Case kase;
  Decision decision;
  std::string message;
};

ThreadEngine& engine_for(const std::shared_ptr<const PolicySnapshot>& snap) {
  thread_local ThreadEngine te;
  if (te.snap != snap) {
    // Drop the old generation's instances first (their plugins may go with them).
    te.compact.reset();
    te.json.reset();
    te.evaluator.reset();
    te.snap.reset();
    auto evaluator = std::make_unique<Evaluator>(snap->policy);
    auto parser = std::make_unique<JsonCaseParser>(snap->policy->schema());
    auto compact = std::make_unique<CompactFormatter>(*snap->policy);
    te.evaluator = std::move(evaluator);
    te.json = std::move(parser);
    te.compact = std::move(compact);
    te.snap = snap;
  }
  return te;
}

struct TokenSet {
  std::vector<Sha256::Digest> digests;
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) return {};
  size_t b = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(a, b - a + 1));
}

// The media type of a request, lower case, without parameters; empty when none is given.
std::string media_type(const httplib::Request& req) {
  std::string v = req.get_header_value("Content-Type");
  size_t semi = v.find(';');
  return lower(trim(std::string_view(v).substr(0, semi)));
}

bool parse_bool(const std::string& v, bool* out) {
  if (v == "true" || v == "1" || v == "yes" || v.empty()) *out = true;
  else if (v == "false" || v == "0" || v == "no") *out = false;
  else return false;
  return true;
}

// {"id":...,"facts":{"a.b":value,...}}: a case as the engine holds it (used
// in the log when the text as received is not at hand).
std::string canonical_case_json(const Case& c, const FactSchema& schema) {
  std::string out = "{\"id\":";
  append_json_string(&out, c.id);
  out += ",\"facts\":{";
  bool first = true;
  for (size_t slot = 0; slot < c.facts.size() && slot < schema.size(); ++slot) {
    const insource_value& v = c.facts[slot];
    if (v.type == INSOURCE_ABSENT) continue;
    if (!first) out.push_back(',');
    first = false;
    append_json_string(&out, schema.at(static_cast<uint32_t>(slot)).decl.name);
    out.push_back(':');
    switch (type_of(v)) {
      case Type::kNumber: append_number(&out, v.number); break;
      case Type::kBool: out += v.boolean ? "true" : "false"; break;
      case Type::kString: append_json_string(&out, string_of(v)); break;
      case Type::kAbsent: out += "null"; break;
    }
  }
  out += "}}";
  return out;
}

// A compact JSON text of a case read from JSON, checked by a full parse; empty when it is not valid JSON.
std::string minified_case(simdjson::dom::parser& dom, const char* data, size_t len, size_t capacity) {
  if (capacity < len + simdjson::SIMDJSON_PADDING) return {};
  simdjson::dom::element el;
  if (dom.parse(data, len, false).get(el)) return {};
  return simdjson::minify(el);
}

}  // namespace

std::vector<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("token file '" + path + "' cannot be read: " + std::strerror(errno));
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    tokens.push_back(std::move(t));
  }
  if (in.bad()) throw std::runtime_error("token file '" + path + "' cannot be read");
  if (tokens.empty()) throw std::runtime_error("token file '" + path + "' holds no token");
  return tokens;
}

struct Server::Impl {
  PolicyStore& store;
  ServerOptions o;
  HttpServer http;
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

  Impl(PolicyStore& s, ServerOptions opts) : store(s), o(std::move(opts)) {
    // Decision ids: 64 random bits for this process, then a counter, so that
    // the logs of many instances and restarts can be merged.
    std::random_device rd;
    char buf[24];
    std::snprintf(buf, sizeof buf, "%08x%08x", static_cast<unsigned>(rd()), static_cast<unsigned>(rd()));
    id_prefix = buf;
    if (!o.token_file.empty()) load_tokens();
    if (!o.decision_log.empty()) log = std::make_unique<DecisionLog>(o.decision_log);
    setup();
  }

  void load_tokens() {
    auto set = std::make_shared<TokenSet>();
    for (const std::string& t : read_token_file(o.token_file)) set->digests.push_back(sha256(t));
    tokens.store(std::move(set));
  }

  std::string decision_id(uint64_t n) const { return id_prefix + "-" + std::to_string(n); }

  // ---- responses ------------------------------------------------------------

  void send_error(httplib::Response& res, int status, ErrorKind kind, const std::string& message,
                  const json& extra = json()) {
    metrics.error(kind);
    json e;
    e["kind"] = error_kind_label(kind);
    e["message"] = message;
    if (extra.is_object())
      for (auto it = extra.begin(); it != extra.end(); ++it) e[it.key()] = it.value();
    json j;
    j["error"] = std::move(e);
    res.status = status;
    res.set_content(json_text(j), "application/json");
  }

  void send_json(httplib::Response& res, int status, const json& j) {
    res.status = status;
    res.set_content(json_text(j), "application/json");
  }

  static void revision_headers(httplib::Response& res, const PolicySnapshot& snap) {
    res.set_header("X-Insource-Rules-Revision", snap.revision);
    res.set_header("X-Insource-Generation", std::to_string(snap.generation));
  }

  // ---- request plumbing -----------------------------------------------------

  bool authorized(const httplib::Request& req) const {
    auto set = tokens.load();
    if (!set) return true;
    std::string h = req.get_header_value("Authorization");
    if (h.size() < 7 || lower(h.substr(0, 7)) != "bearer ") return false;
    Sha256::Digest given = sha256(trim(std::string_view(h).substr(7)));
    // Every token is compared, in full, whatever matched: the time taken says nothing about them.
    bool ok = false;
    for (const auto& d : set->digests) ok = digests_equal(given, d) | ok;
    return ok;
  }

  // The methods a path answers to, or null for an unknown path.
  static const char* allowed_methods(const std::string& path) {
    Endpoint e = endpoint_of(path);
    switch (e) {
      case Endpoint::kDecide:
      case Endpoint::kBatch:
      case Endpoint::kReload: return "POST";
      case Endpoint::kOther: return nullptr;
      default: return "GET, HEAD";
    }
  }

  httplib::Server::HandlerResponse pre_routing(const httplib::Request& req, httplib::Response& res) {
    t_request.start = Clock::now();
    t_request.open = true;
    size_t header_bytes = req.method.size() + req.target.size() + req.version.size() + 4;
    for (const auto& [k, v] : req.headers) header_bytes += k.size() + v.size() + 4;
    if (header_bytes > o.max_header_bytes) {
      send_error(res, 431, ErrorKind::kHeaderLimit,
                 "the request line and headers take " + std::to_string(header_bytes) + " bytes; the limit is " +
                     std::to_string(o.max_header_bytes) + " (--max-header-bytes)");
      return httplib::Server::HandlerResponse::Handled;
    }
    Endpoint e = endpoint_of(req.path);
    if (e != Endpoint::kHealthz && e != Endpoint::kReadyz && !authorized(req)) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"insource\"");
      send_error(res, 401, ErrorKind::kAuth,
                 req.has_header("Authorization") ? "the bearer token is not valid"
                                                 : "this server needs a bearer token (Authorization: Bearer TOKEN)");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (const char* allowed = allowed_methods(req.path)) {
      std::string a = allowed;
      bool ok = (a == "POST") ? req.method == "POST" : (req.method == "GET" || req.method == "HEAD");
      if (!ok) {
        res.set_header("Allow", a);
        send_error(res, 405, ErrorKind::kMethod, req.method + " is not allowed on " + req.path + "; use " + a);
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  // Checks the media type against the accepted ones (none given is accepted).
  bool check_type(const httplib::Request& req, httplib::Response& res, std::initializer_list<const char*> accepted) {
    std::string t = media_type(req);
    if (t.empty()) return true;
    for (const char* a : accepted)
      if (t == a) return true;
    if (t.size() > 5 && t.compare(t.size() - 5, 5, "+json") == 0 && *accepted.begin() == std::string("application/json"))
      return true;
    std::string list;
    for (const char* a : accepted) list += (list.empty() ? "" : ", ") + std::string(a);
    send_error(res, 415, ErrorKind::kContentType,
               "Content-Type " + req.get_header_value("Content-Type") + " is not accepted here; send " + list);
    return false;
  }

  // Reads the body within `limit`; answers the request and returns false when it cannot.
  bool read_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                 size_t limit, std::string* body) {
    const bool chunked = lower(req.get_header_value("Transfer-Encoding")).find("chunked") != std::string::npos;
    if (req.has_header("Content-Length")) {
      std::string v = req.get_header_value("Content-Length");
      char* end = nullptr;
      unsigned long long len = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0') {
        send_error(res, 400, ErrorKind::kBadRequest, "Content-Length '" + v + "' is not a number");
        return false;
      }
      if (len > limit) {
        send_error(res, 413, ErrorKind::kBodyLimit,
                   "the body has " + std::to_string(len) + " bytes; the limit here is " + std::to_string(limit));
        return false;
      }
      if (len == 0 && !chunked) return true;
      body->reserve(static_cast<size_t>(len) + kJsonPadding);
    } else if (!chunked) {
      return true;  // no body
    }
    bool over = false;
    bool ok = reader([&](const char* data, size_t n) {
      if (body->size() + n > limit) {
        over = true;
        return false;
      }
      body->append(data, n);
      return true;
    });
    if (over) {
      send_error(res, 413, ErrorKind::kBodyLimit, "the body is longer than the limit here, " + std::to_string(limit) +
                                                      " bytes");
      return false;
    }
    if (!ok) {
      send_error(res, 400, ErrorKind::kBadRequest, "the request body could not be read");
      return false;
    }
    return true;
  }

  std::optional<Clock::time_point> deadline() const {
    if (o.request_budget_ms <= 0) return std::nullopt;
    return (t_request.open ? t_request.start : Clock::now()) + std::chrono::milliseconds(o.request_budget_ms);
  }

  // ---- POST /v1/decide ------------------------------------------------------

  struct Answer {
    std::string id;
    std::string response;  // the object as answered
    std::string log_case, log_record;
    bool failed = false;
    Verdict verdict = Verdict::kReview;
    std::vector<std::string> faulty;  // criteria whose plugin failed
  };

  void count_answer(const Answer& a) {
    // Every fault counts, also one that on_error absorbed into a verdict.
    for (const std::string& c : a.faulty) metrics.plugin_fault(c);
    if (!a.failed) {
      metrics.decisions(a.verdict);
      return;
    }
    metrics.error(ErrorKind::kPlugin);
  }

  void decide_one(ThreadEngine& te, const PolicySnapshot& snap, const Case& c, const std::optional<ExplainLevel>& explain,
                  bool margins, std::string case_text, std::vector<Answer>* answers) {
    const Policy& p = *snap.policy;
    Decision& d = te.decision;
    te.evaluator->decide(c, &d, true);
    Answer a;
    a.id = decision_id(next_id.fetch_add(1, std::memory_order_relaxed));
    a.failed = d.failed;
    a.verdict = d.verdict;
    for (size_t i = 0; i < d.criteria.size() && i < p.criteria().size(); ++i)
      if (d.criteria[i].fault) a.faulty.push_back(p.criteria()[i].name);
    json rec = decision_json(p, c, d);
    a.log_record = json_text(rec);
    if (!explain && !margins) {
      // The record with the two fields spliced in before its closing brace
      // (the id and the revision are plain hex and digits).
      a.response = a.log_record;
      a.response.pop_back();
      a.response += ",\"decision_id\":\"" + a.id + "\",\"rules_revision\":\"" + snap.revision + "\"}";
    } else {
      json j = explain ? explain_json(p, c, d, *explain) : std::move(rec);
      // full and trace explanations carry the margins already.
      if (margins && !d.failed && (!explain || *explain == ExplainLevel::kBrief))
        j["margins"] = margins_json(p, compute_margins(p, c, d));
      j["decision_id"] = a.id;
      j["rules_revision"] = snap.revision;
      a.response = json_text(j);
    }
    if (log) a.log_case = std::move(case_text);
    else a.log_record.clear();
    answers->push_back(std::move(a));
  }

  void timeout(httplib::Response& res, size_t done, size_t total) {
    send_error(res, 503, ErrorKind::kTimeout,
               "the request's time budget of " + std::to_string(o.request_budget_ms) + " ms ran out after " +
                   std::to_string(done) + " of " + std::to_string(total) + " cases (--request-budget-ms)");
  }

  void decide(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (!check_type(req, res, {"application/json", "text/json"})) return;
    std::optional<ExplainLevel> explain;
    bool margins = false;
    for (const auto& [k, v] : req.params) {
      if (k == "explain") {
        explain = parse_explain_level(v);
        if (!explain)
          return send_error(res, 400, ErrorKind::kBadRequest, "explain must be brief, full or trace, not '" + v + "'");
      } else if (k == "margins") {
        if (!parse_bool(v, &margins))
          return send_error(res, 400, ErrorKind::kBadRequest, "margins must be true or false, not '" + v + "'");
      } else {
        return send_error(res, 400, ErrorKind::kBadRequest,
                          "unknown query parameter '" + k + "' (/v1/decide takes explain and margins)");
      }
    }
    std::string body;
    if (!read_body(req, res, reader, o.max_body_bytes, &body)) return;
    const size_t n = body.size();
    if (trim(body).empty())
      return send_error(res, 400, ErrorKind::kParse,
                        "the request body is empty: send a case as a JSON object, or a JSON array of cases");
    body.append(kJsonPadding, '\0');

    auto snap = store.current();
    ThreadEngine& te = engine_for(snap);
    const Policy& policy = *snap->policy;
    const auto until = deadline();
    auto out_of_time = [&] { return until && Clock::now() > *until; };

    // The fast path: a full parse (simdjson DOM), then each case through the
    // batch parser. Whatever it does not take goes to the reader that
    // `insource decide` uses, so that an error reads exactly as the CLI words it.
    simdjson::dom::element root;
    const simdjson::error_code dom_error = te.dom.parse(body.data(), n, false).get(root);
    if (dom_error == simdjson::DEPTH_ERROR)  // and never hand such a text to a recursive parser
      return send_error(res, 400, ErrorKind::kParse, "request: invalid JSON: the document nests too deeply");
    bool is_array = false, is_object = false;
    std::vector<std::string> texts;  // each case, minified
    if (!dom_error) {
      is_array = root.is_array();
      is_object = root.is_object();
      simdjson::dom::array items;
      if (is_array && !root.get_array().get(items))
        for (simdjson::dom::element el : items) texts.push_back(simdjson::minify(el));
      else
        texts.push_back(simdjson::minify(root));
    }

    std::vector<Answer> answers;
    bool fast = !dom_error && (is_array || is_object);
    if (fast) {
      std::string padded;
      for (const std::string& t : texts) {
        padded.assign(t);
        padded.append(kJsonPadding, '\0');
        auto r = te.json->parse(padded.data(), t.size(), padded.size(), &te.kase, &te.message);
        if (r != JsonCaseParser::Result::kOk || te.kase.id.empty()) {
          fast = false;
          break;
        }
        if (out_of_time()) return timeout(res, answers.size(), texts.size());
        decide_one(te, *snap, te.kase, explain, margins, t, &answers);
      }
    }
    if (!fast) {
      answers.clear();
      std::vector<CaseInput> inputs;
      try {
        inputs = read_cases(std::string(body.data(), n), "request", policy.schema());
      } catch (const std::exception& e) {
        return send_error(res, 400, ErrorKind::kParse, std::string("request: ") + e.what());
      }
      json errors = json::array();
      std::string first;
      bool any_parse = false;
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].value) continue;
        json e;
        if (is_array) e["index"] = i;
        e["id"] = inputs[i].id;
        e["message"] = inputs[i].error;
        errors.push_back(std::move(e));
        if (first.empty()) first = inputs[i].error;
        any_parse = any_parse || inputs[i].error.find("invalid YAML") != std::string::npos;
      }
      if (errors.empty() && dom_error)
        return send_error(res, 400, ErrorKind::kParse,
                          std::string("request: invalid JSON: ") + simdjson::error_message(dom_error));
      if (!errors.empty()) {
        json extra;
        if (errors.size() > 1) extra["errors"] = errors;
        return send_error(res, 400, any_parse ? ErrorKind::kParse : ErrorKind::kCase, first, extra);
      }
      if (!is_array && !is_object)
        return send_error(res, 400, ErrorKind::kCase,
                          "request: send a case as a JSON object with \"id\" and \"facts\", or a JSON array of cases");
      for (size_t i = 0; i < inputs.size(); ++i) {
        Case& c = *inputs[i].value;
        if (out_of_time()) return timeout(res, answers.size(), inputs.size());
        decide_one(te, *snap, c, explain, margins,
                   texts.size() == inputs.size() ? texts[i] : canonical_case_json(c, policy.schema()), &answers);
      }
    }

    // Answer, then log what was answered.
    std::string out;
    if (is_array) {
      size_t total = 2;
      for (const Answer& a : answers) total += a.response.size() + 1;
      out.reserve(total);
      out.push_back('[');
      for (size_t i = 0; i < answers.size(); ++i) {
        if (i) out.push_back(',');
        out += answers[i].response;
      }
      out.push_back(']');
    } else {
      out = std::move(answers[0].response);
    }
    for (const Answer& a : answers) count_answer(a);
    revision_headers(res, *snap);
    res.status = (!is_array && answers[0].failed) ? 500 : 200;
    res.set_content(std::move(out), "application/json");
    if (log && !answers.empty()) {
      std::string lines;
      const std::string now = rfc3339(std::chrono::system_clock::now());
      const std::string plugins = plugin_hashes_json(*snap);
      for (const Answer& a : answers)
        append_log_line(&lines, a.id, now, *snap, plugins, "decide", a.log_case, a.log_record);
      log->append(lines);
    }
  }

  // ---- POST /v1/batch -------------------------------------------------------

  // A batch being answered: the body and where the answer has got to. The
  // records are made as the response is written, a slice at a time, so the
  // output never has to be held whole.
  struct BatchJob {
    std::shared_ptr<const PolicySnapshot> snap;
    std::string body;  // then kJsonPadding spare bytes
    size_t size = 0;
    size_t pos = 0;
    uint64_t line = 1;
    uint64_t first_id = 0;
    bool detail = false;
    std::optional<Clock::time_point> until;
  };

  static constexpr size_t kBatchSlice = 128 * 1024;

  // Makes the records of the next slice of `job` into `out`; false at the end.
  bool batch_slice(BatchJob& job, std::string* out, std::string* log_lines) {
    ThreadEngine& te = engine_for(job.snap);
    const Policy& policy = *job.snap->policy;
    const char* base = job.body.data();
    const size_t stop_at = std::min(job.size, job.pos + kBatchSlice);
    std::string now, plugins;
    if (log) {
      now = rfc3339(std::chrono::system_clock::now());
      plugins = plugin_hashes_json(*job.snap);
    }
    uint64_t decided[kVerdictCount] = {};
    uint64_t errors[kErrorKindCount] = {};
    auto error = [&](std::string_view id, ErrorKind kind, std::string_view message) {
      ++errors[static_cast<size_t>(kind)];
      append_error_record(out, id, job.line, error_kind_label(kind), message);
    };
    while (job.pos < job.size && (job.pos < stop_at || out->empty())) {
      const void* nl = std::memchr(base + job.pos, '\n', job.size - job.pos);
      const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - base) : job.size;
      size_t len = end - job.pos;
      if (len > 0 && base[job.pos + len - 1] == '\r') --len;
      std::string_view text(base + job.pos, len);
      const uint64_t id_number = job.first_id + job.line - 1;
      if (len > o.max_record_bytes) {
        error({}, ErrorKind::kParse,
              "the record is longer than " + std::to_string(o.max_record_bytes) + " bytes (--max-record-bytes)");
      } else if (text.find_first_not_of(" \t") == std::string_view::npos) {
        error({}, ErrorKind::kParse, "empty line");
      } else if (job.until && Clock::now() > *job.until) {
        error({}, ErrorKind::kTimeout,
              "the request's time budget of " + std::to_string(o.request_budget_ms) +
                  " ms ran out before this record was decided (--request-budget-ms)");
      } else {
        auto r = te.json->parse(base + job.pos, len, job.body.size() - job.pos, &te.kase, &te.message);
        if (r != JsonCaseParser::Result::kOk) {
          error(te.kase.id, r == JsonCaseParser::Result::kParseError ? ErrorKind::kParse : ErrorKind::kCase, te.message);
        } else {
          Decision& d = te.decision;
          te.evaluator->decide(te.kase, &d, job.detail);
          const size_t record_at = out->size();
          for (size_t i = 0; i < d.criteria.size() && i < policy.criteria().size(); ++i)
            if (d.criteria[i].fault) metrics.plugin_fault(policy.criteria()[i].name);
          if (d.failed) {
            error(te.kase.id, ErrorKind::kPlugin, d.error);
          } else {
            ++decided[static_cast<size_t>(d.verdict)];
            if (job.detail) {
              *out += json_text(decision_json(policy, te.kase, d));
              out->push_back('\n');
            } else {
              te.compact->append(out, te.kase, d);
            }
          }
          if (log) {
            std::string case_text = minified_case(te.dom, base + job.pos, len, job.body.size() - job.pos);
            if (case_text.empty()) case_text = canonical_case_json(te.kase, policy.schema());
            append_log_line(log_lines, decision_id(id_number), now, *job.snap, plugins, "batch", case_text,
                            std::string_view(*out).substr(record_at));
          }
        }
      }
      job.pos = end + 1;
      ++job.line;
    }
    for (int v = 0; v < kVerdictCount; ++v)
      if (decided[v]) metrics.decisions(static_cast<Verdict>(v), decided[v]);
    for (size_t k = 0; k < kErrorKindCount; ++k)
      if (errors[k]) metrics.error(static_cast<ErrorKind>(k), errors[k]);
    return job.pos < job.size;
  }

  void batch(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (!check_type(req, res,
                    {"application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/json-lines",
                     "application/json", "text/plain"}))
      return;
    bool detail = false;
    for (const auto& [k, v] : req.params) {
      if (k == "detail") {
        if (!parse_bool(v, &detail))
          return send_error(res, 400, ErrorKind::kBadRequest, "detail must be true or false, not '" + v + "'");
      } else {
        return send_error(res, 400, ErrorKind::kBadRequest, "unknown query parameter '" + k + "' (/v1/batch takes detail)");
      }
    }
    auto job = std::make_shared<BatchJob>();
    if (!read_body(req, res, reader, o.max_batch_bytes, &job->body)) return;
    job->size = job->body.size();
    job->body.append(kJsonPadding, '\0');
    job->snap = store.current();
    job->detail = detail;
    job->until = deadline();
    uint64_t lines = static_cast<uint64_t>(std::count(job->body.begin(), job->body.begin() + static_cast<ptrdiff_t>(job->size), '\n'));
    if (job->size > 0 && job->body[job->size - 1] != '\n') ++lines;
    job->first_id = next_id.fetch_add(std::max<uint64_t>(lines, 1), std::memory_order_relaxed);
    revision_headers(res, *job->snap);
    if (lines > 0)
      res.set_header("X-Insource-Decision-Ids",
                     decision_id(job->first_id) + ".." + decision_id(job->first_id + lines - 1));
    res.status = 200;
    if (job->size == 0) {
      res.set_content("", "application/x-ndjson");
      return;
    }
    res.set_chunked_content_provider("application/x-ndjson", [this, job](size_t, httplib::DataSink& sink) {
      // Nothing may escape from here: it runs while the response is written.
      try {
        std::string out, log_lines;
        bool more = batch_slice(*job, &out, &log_lines);
        if (log && !log_lines.empty()) log->append(log_lines);
        if (!out.empty() && !sink.write(out.data(), out.size())) return false;
        if (!more) sink.done();
        return true;
      } catch (const std::exception& e) {
        spdlog::error("serve: batch: {}", e.what());
        metrics.error(ErrorKind::kInternal);
        return false;
      } catch (...) {
        metrics.error(ErrorKind::kInternal);
        return false;
      }
    });
  }

  // ---- POST /v1/reload ------------------------------------------------------

  // ---- decision analysis (docs/policy-authors.md) ----------------------------

  static std::string diagnostics_text(const RulesError& e) {
    std::string m;
    for (const auto& d : e.diagnostics()) m += (m.empty() ? "" : "\n") + d.str();
    return m;
  }

  // The judgement file (YAML or JSON) in, the weights and consistency out;
  // 422 with the same document when the judgements are inconsistent.
  void ahp_endpoint(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    std::string body;
    if (!read_body(req, res, reader, o.max_body_bytes, &body)) return;
    try {
      AhpResult r = run_ahp(body, "request");
      res.status = r.consistent ? 200 : 422;
      res.set_content(ahp_json(r), "application/json");
    } catch (const RulesError& e) {
      send_error(res, 400, ErrorKind::kParse, diagnostics_text(e));
    }
  }

  // Past cases (YAML or JSON, each with `decided`) in, the calibration of the
  // policy in force out. ?thresholds=true fits the thresholds too,
  // ?leave_one_out=false skips the per-case refits.
  void calibrate_endpoint(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    CalibrationOptions co;
    for (const auto& [k, v] : req.params) {
      if (k != "thresholds" && k != "leave_one_out")
        return send_error(res, 400, ErrorKind::kBadRequest,
                          "unknown query parameter '" + k + "' (/v1/calibrate takes thresholds, leave_one_out)");
      if (v != "true" && v != "false")
        return send_error(res, 400, ErrorKind::kBadRequest, k + " must be true or false, not '" + v + "'");
      (k == "thresholds" ? co.thresholds : co.leave_one_out) = v == "true";
    }
    std::string body;
    if (!read_body(req, res, reader, o.max_batch_bytes, &body)) return;
    auto snap = store.current();
    try {
      std::vector<PastCase> past = read_past_cases(body, "request", snap->policy->schema());
      Calibration c = calibrate(snap->policy, past, co);
      revision_headers(res, *snap);
      res.status = 200;
      res.set_content(calibration_json(c), "application/json");
    } catch (const RulesError& e) {
      send_error(res, 400, ErrorKind::kCase, diagnostics_text(e));
    }
  }

  void reload_endpoint(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    std::string body;
    if (!read_body(req, res, reader, o.max_body_bytes, &body)) return;
    ReloadOutcome r = reload("POST /v1/reload");
    json j;
    if (r.ok) {
      j["reloaded"] = true;
      j["changed"] = r.changed;
    } else {
      json e;
      e["kind"] = "reload";
      e["message"] = r.error;
      j["error"] = std::move(e);
      j["reloaded"] = false;
    }
    j["rules_revision"] = r.current->revision;
    j["generation"] = r.current->generation;
    j["loaded_at"] = rfc3339(r.current->loaded_at);
    revision_headers(res, *r.current);
    send_json(res, r.ok ? 200 : 422, j);
  }

  ReloadOutcome reload(const std::string& trigger) {
    ReloadOutcome r = store.reload(trigger);
    if (r.ok) {
      // Said whatever the log level: an operator wants to see every policy change.
      std::fprintf(stderr, "insource serve: reloaded (%s): rules revision %.12s, generation %llu%s\n", trigger.c_str(),
                   r.current->revision.c_str(), static_cast<unsigned long long>(r.current->generation),
                   r.changed ? "" : " (unchanged)");
    } else {
      metrics.error(ErrorKind::kReload);
      spdlog::error("serve: reload ({}) refused, still on revision {} (generation {}):\n{}", trigger,
                    r.current ? r.current->revision.substr(0, 12) : "none", r.current ? r.current->generation : 0,
                    r.error);
    }
    if (!o.token_file.empty()) {
      try {
        load_tokens();
      } catch (const std::exception& e) {
        spdlog::error("serve: {}; the tokens read before stay in force", e.what());
      }
    }
    return r;
  }

  // ---- GET endpoints --------------------------------------------------------

  static json param_json(const ParamValue& v) {
    switch (v.type) {
      case Type::kNumber: return v.number;
      case Type::kBool: return v.boolean;
      case Type::kString: return v.string;
      case Type::kAbsent: break;
    }
    return nullptr;
  }

  static json fact_json(const FactDecl& f) {
    json j;
    j["name"] = f.name;
    j["type"] = type_name(f.type);
    j["required"] = f.required;
    if (f.has_fallback) {
      if (f.type == Type::kNumber) j["default"] = f.fallback_number;
      else if (f.type == Type::kBool) j["default"] = f.fallback_bool;
      else j["default"] = f.fallback_string;
    }
    if (!f.allowed.empty()) j["allowed"] = f.allowed;
    if (f.min != -HUGE_VAL) j[f.min_exclusive ? "greater_than" : "min"] = f.min;
    if (f.max != HUGE_VAL) j["max"] = f.max;
    if (!f.unit.empty()) j["unit"] = f.unit;
    if (!f.description.empty()) j["description"] = f.description;
    return j;
  }

  void plugins_endpoint(const httplib::Request&, httplib::Response& res) {
    auto snap = store.current();
    json list = json::array();
    const auto& loaded = snap->policy->plugins().plugins;
    for (size_t i = 0; i < loaded.size(); ++i) {
      const Plugin& p = *loaded[i];
      json j;
      j["criterion"] = p.criterion();
      j["name"] = p.name();
      j["version"] = p.version();
      j["abi"] = std::to_string(p.abi_major()) + "." + std::to_string(p.abi_minor());
      j["description"] = p.description();
      if (i < snap->plugins.size()) {
        j["file"] = snap->plugins[i].file;
        j["sha256"] = snap->plugins[i].sha256;
      }
      j["score_range"] = {p.score_min(), p.score_max()};
      j["votes"] = snap->policy->criterion_index(p.criterion()) >= 0;
      json facts = json::array();
      for (const FactDecl& f : p.facts()) facts.push_back(fact_json(f));
      j["facts"] = std::move(facts);
      json params = json::array();
      for (const ParamDecl& d : p.params()) {
        json pj;
        pj["name"] = d.name;
        pj["type"] = type_name(d.type);
        pj["default"] = param_json(ParamValue::fallback_of(d));
        if (!d.description.empty()) pj["description"] = d.description;
        params.push_back(std::move(pj));
      }
      j["params"] = std::move(params);
      list.push_back(std::move(j));
    }
    json out;
    out["rules_revision"] = snap->revision;
    out["generation"] = snap->generation;
    out["plugins"] = std::move(list);
    revision_headers(res, *snap);
    send_json(res, 200, out);
  }

  void rules_endpoint(const httplib::Request& req, httplib::Response& res) {
    bool text = false;
    for (const auto& [k, v] : req.params) {
      if (k != "text" || !parse_bool(v, &text))
        return send_error(res, 400, ErrorKind::kBadRequest, "/v1/rules takes only text=true|false");
    }
    auto snap = store.current();
    const Policy& p = *snap->policy;
    const RulesDoc& doc = p.rules();
    json j;
    j["rules_revision"] = snap->revision;
    j["generation"] = snap->generation;
    j["loaded_at"] = rfc3339(snap->loaded_at);
    j["file"] = doc.file;
    j["files"] = doc.files;
    j["name"] = doc.name;
    j["description"] = doc.description;
    json criteria = json::array();
    for (const CriterionBinding& b : p.criteria()) {
      json c;
      c["name"] = b.name;
      c["weight"] = b.weight;
      c["plugin"] = b.plugin->name();
      json params = json::object();
      for (size_t i = 0; i < b.params.size() && i < b.plugin->params().size(); ++i)
        params[b.plugin->params()[i].name] = param_json(b.params[i]);
      c["params"] = std::move(params);
      criteria.push_back(std::move(c));
    }
    j["criteria"] = std::move(criteria);
    j["thresholds"] = {{"insource", p.thresholds().insource}, {"outsource", p.thresholds().outsource}};
    json overrides = json::array();
    for (size_t i = 0; i < p.overrides().size(); ++i) {
      const CompiledOverride& co = p.overrides()[i];
      json oj;
      oj["id"] = co.id;
      if (i < doc.overrides.size()) oj["when"] = doc.overrides[i].when;
      oj["verdict"] = verdict_name(co.verdict);
      oj["reason"] = co.reason;
      overrides.push_back(std::move(oj));
    }
    j["overrides"] = std::move(overrides);
    json facts = json::array();
    for (const RuleFact& f : doc.facts) facts.push_back({{"name", f.name}, {"type", type_name(f.type)}});
    j["facts"] = std::move(facts);
    ReloadStatus st = store.status();
    json r;
    r["succeeded"] = st.succeeded;
    r["failed"] = st.failed;
    if (st.last_attempt.time_since_epoch().count() != 0) {
      r["last_attempt"] = rfc3339(st.last_attempt);
      r["last_trigger"] = st.last_trigger;
      r["last_ok"] = st.last_ok;
    }
    if (!st.last_error.empty()) {
      r["last_error"] = st.last_error;
      r["last_error_at"] = rfc3339(st.last_error_at);
    } else {
      r["last_error"] = nullptr;
    }
    j["reloads"] = std::move(r);
    if (text) j["text"] = doc.resolved_text;
    revision_headers(res, *snap);
    send_json(res, 200, j);
  }

  void metrics_endpoint(const httplib::Request&, httplib::Response& res) {
    std::string out = metrics.render();
    auto snap = store.current();
    ReloadStatus st = store.status();
    out += "# HELP insource_reloads_total Policy reloads, by result (a failed one leaves the policy in force).\n";
    out += "# TYPE insource_reloads_total counter\n";
    out += "insource_reloads_total{result=\"success\"} " + std::to_string(st.succeeded) + "\n";
    out += "insource_reloads_total{result=\"failure\"} " + std::to_string(st.failed) + "\n";
    out += "# HELP insource_last_reload_ok Whether the latest reload attempt succeeded (1 when none was made).\n";
    out += "# TYPE insource_last_reload_ok gauge\n";
    out += std::string("insource_last_reload_ok ") + (st.last_ok ? "1" : "0") + "\n";
    out += "# HELP insource_rules_generation The generation of the policy in force.\n";
    out += "# TYPE insource_rules_generation gauge\n";
    out += "insource_rules_generation " + std::to_string(snap->generation) + "\n";
    out += "# HELP insource_rules_info The policy in force (its revision).\n";
    out += "# TYPE insource_rules_info gauge\n";
    out += "insource_rules_info{revision=\"" + snap->revision + "\",file=\"" + prometheus_label(snap->policy->rules().file) +
           "\"} 1\n";
    out += "# HELP insource_rules_loaded_timestamp_seconds When the policy in force was loaded.\n";
    out += "# TYPE insource_rules_loaded_timestamp_seconds gauge\n";
    out += "insource_rules_loaded_timestamp_seconds " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(snap->loaded_at.time_since_epoch()).count()) +
           "\n";
    if (log) {
      out += "# HELP insource_decision_log_lines_total Lines written to the decision log.\n";
      out += "# TYPE insource_decision_log_lines_total counter\n";
      out += "insource_decision_log_lines_total " + std::to_string(log->lines()) + "\n";
      out += "# HELP insource_decision_log_errors_total Failed writes to the decision log.\n";
      out += "# TYPE insource_decision_log_errors_total counter\n";
      out += "insource_decision_log_errors_total " + std::to_string(log->errors()) + "\n";
    }
    out += "# HELP insource_draining Whether the server is shutting down (readyz answers 503).\n";
    out += "# TYPE insource_draining gauge\n";
    out += std::string("insource_draining ") + (draining.load() ? "1" : "0") + "\n";
    out += "# HELP insource_start_time_seconds When the server started.\n";
    out += "# TYPE insource_start_time_seconds gauge\n";
    out += "insource_start_time_seconds " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count()) + "\n";
    res.status = 200;
    res.set_content(out, "text/plain; version=0.0.4; charset=utf-8");
  }

  // ---- wiring ---------------------------------------------------------------

  static ErrorKind kind_of_status(int status) {
    switch (status) {
      case 401: return ErrorKind::kAuth;
      case 404: return ErrorKind::kNotFound;
      case 405: return ErrorKind::kMethod;
      case 413: return ErrorKind::kBodyLimit;
      case 415: return ErrorKind::kContentType;
      case 431: return ErrorKind::kHeaderLimit;
      default: return status >= 500 ? ErrorKind::kInternal : ErrorKind::kBadRequest;
    }
  }

  void setup() {
    const size_t threads = static_cast<size_t>(std::max(1, o.threads));
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_payload_max_length(std::max(o.max_body_bytes, o.max_batch_bytes));
    http.set_read_timeout(o.read_timeout_s, 0);
    http.set_write_timeout(o.write_timeout_s, 0);
    http.set_keep_alive_timeout(o.keep_alive_timeout_s);
    http.set_keep_alive_max_count(static_cast<size_t>(std::max(1, o.keep_alive_max)));
    http.set_tcp_nodelay(true);
    // cpp-httplib sets SO_REUSEPORT by default, so that a second server on a
    // port in use would silently take half its connections. Only on request.
    const bool reuse_port = o.reuse_port;
    http.set_socket_options([reuse_port](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      if (reuse_port) ::setsockopt(sock, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes);
    });
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) { return pre_routing(req, res); });
    http.Post("/v1/decide", [this](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) { decide(req, res, reader); });
    http.Post("/v1/batch", [this](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) { batch(req, res, reader); });
    http.Post("/v1/reload", [this](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) { reload_endpoint(req, res, reader); });
    http.Post("/v1/weights/ahp", [this](const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) { ahp_endpoint(req, res, reader); });
    http.Post("/v1/calibrate", [this](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) { calibrate_endpoint(req, res, reader); });
    http.Get("/v1/plugins", [this](const httplib::Request& req, httplib::Response& res) { plugins_endpoint(req, res); });
    http.Get("/v1/rules", [this](const httplib::Request& req, httplib::Response& res) { rules_endpoint(req, res); });
    http.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) { metrics_endpoint(req, res); });
    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, {{"status", "ok"}});
    });
    http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      auto snap = store.current();
      if (draining.load()) return send_json(res, 503, {{"status", "draining"}});
      send_json(res, 200, {{"status", "ready"}, {"rules_revision", snap->revision}, {"generation", snap->generation}});
    });
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;  // answered already, and counted
      std::string message;
      switch (res.status) {
        case 404: message = "no such endpoint: " + req.path; break;
        case 413: message = "the body is longer than the limit here"; break;
        case 414: message = "the request target is too long"; break;
        case 400: message = "the request is malformed"; break;
        default: message = "HTTP status " + std::to_string(res.status); break;
      }
      int status = res.status;
      send_error(res, status, kind_of_status(status), message);
    });
    http.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "internal error";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      spdlog::error("serve: {}", what);
      send_error(res, 500, ErrorKind::kInternal, what);
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      double secs = 0;
      if (t_request.open) {
        secs = std::chrono::duration<double>(Clock::now() - t_request.start).count();
        t_request.open = false;
      }
      metrics.request(endpoint_of(req.path), res.status, secs);
      if (spdlog::should_log(spdlog::level::debug))
        spdlog::debug("serve: {} {} {} {:.3f} ms", req.method, req.target, res.status, secs * 1e3);
    });
  }

  void watch_loop() {
    std::unique_lock<std::mutex> lock(watch_mutex);
    while (!stopping) {
      watch_cv.wait_for(lock, std::chrono::milliseconds(std::max(10, o.watch_interval_ms)));
      if (stopping) break;
      lock.unlock();
      // Compared with the files as they were when the policy (or the latest
      // attempt) was read, whoever triggered that load.
      if (store.watched_files() != store.watch_baseline()) reload("watch");
      lock.lock();
    }
  }
};

Server::Server(PolicyStore& store, ServerOptions options) : impl_(std::make_unique<Impl>(store, std::move(options))) {}

Server::~Server() {
  stop();
  if (impl_->watcher.joinable()) impl_->watcher.join();
}

int Server::bind() {
  Impl& m = *impl_;
  int port = m.o.port;
  if (port == 0) {
    port = m.http.bind_to_any_port(m.o.host);
    if (port < 0) throw std::runtime_error("cannot listen on " + m.o.host + ": no free port");
  } else if (!m.http.bind_to_port(m.o.host, port)) {
    throw std::runtime_error("cannot listen on " + m.o.host + ":" + std::to_string(port) + ": " + std::strerror(errno));
  }
  m.http.raise_backlog(1024);
  return port;
}

void Server::run() {
  Impl& m = *impl_;
  m.run_active = true;
  if (m.stop_requested) {  // stop() came first
    m.run_active = false;
    return;
  }
  if (m.o.watch && !m.watcher.joinable()) m.watcher = std::thread([&m] { m.watch_loop(); });
  m.http.listen_after_bind();
  m.run_active = false;
  {
    std::lock_guard<std::mutex> lock(m.watch_mutex);
    m.stopping = true;
  }
  m.watch_cv.notify_all();
  if (m.watcher.joinable()) m.watcher.join();
}

void Server::stop() {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.watch_mutex);
    m.stopping = true;
  }
  m.watch_cv.notify_all();
  // cpp-httplib's stop() does nothing before its accept loop runs: a stop
  // right after start (SIGTERM at once) waits for the loop to be there.
  m.stop_requested = true;
  while (m.run_active && !m.http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  m.http.stop();
}

void Server::set_draining() { impl_->draining.store(true); }

ReloadOutcome Server::reload(const std::string& trigger) { return impl_->reload(trigger); }

void Server::reopen_log() {
  if (impl_->log && !impl_->log->reopen()) spdlog::error("serve: the decision log could not be reopened");
}

}  // namespace insource::server
