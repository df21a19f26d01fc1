// `insource serve`: routing, limits, error answers and the server's life
// (bind, run, stop, --watch). The endpoints are in files of their own
// (server_impl.h lists them).
#include "http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <random>

#include "http/server_impl.h"
#include "io/distribution_reader.h"
#include "io/json_text.h"

namespace insource::server {

namespace {

// cpp-httplib's server with a listen backlog that suits a service (the
// library's own is 5: a burst of new connections would wait for SYN retries).
// The same for HTTPS (--tls-cert): cpp-httplib's SSLServer is a Server, so
// one helper reaches the listening socket of either.
struct Backlog : httplib::Server {
  static void raise(httplib::Server& server, int n) {
    socket_t s = (server.*(&Backlog::svr_sock_)).load();
    if (s != INVALID_SOCKET) ::listen(s, n);
  }
};

}  // namespace

std::unique_ptr<httplib::Server> make_http_server(const ServerOptions& o) {
  if (o.tls_cert.empty() && o.tls_key.empty() && o.tls_client_ca.empty()) return std::make_unique<httplib::Server>();
  if (o.tls_cert.empty() || o.tls_key.empty())
    throw std::runtime_error("TLS needs both --tls-cert and --tls-key (--tls-client-ca adds client certificates)");
  for (const std::string* f : {&o.tls_cert, &o.tls_key, &o.tls_client_ca})
    if (!f->empty() && ::access(f->c_str(), R_OK) != 0)
      throw std::runtime_error("TLS file '" + *f + "' cannot be read: " + std::strerror(errno));
  auto server = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str(),
                                                     o.tls_client_ca.empty() ? nullptr : o.tls_client_ca.c_str());
  if (!server->is_valid() || SSL_CTX_check_private_key(server->ssl_context()) != 1)
    throw std::runtime_error("TLS: the certificate '" + o.tls_cert + "', the key '" + o.tls_key + "'" +
                             (o.tls_client_ca.empty() ? std::string() : " or the client CA '" + o.tls_client_ca + "'") +
                             " do not load (PEM files, and a key that matches the certificate)");
  // TLS 1.2 at least.
  SSL_CTX_set_min_proto_version(server->ssl_context(), TLS1_2_VERSION);
  return server;
}

thread_local RequestContext t_request;

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
// in the log when the text as received is not at hand, and by /v1/cases), an
// uncertain fact as its distribution, so the text reads back to the same case.
std::string canonical_case_json(const CaseFacts& c, const FactSchema& schema) {
  nlohmann::ordered_json facts = nlohmann::ordered_json::object();
  auto uncertain = c.uncertain.begin();  // in slot order, as the case holds them
  for (size_t slot = 0; slot < c.facts.size() && slot < schema.size(); ++slot) {
    const insource_value& v = c.facts[slot];
    const std::string& name = schema.at(static_cast<uint32_t>(slot)).decl.name;
    if (uncertain != c.uncertain.end() && uncertain->slot == slot) {
      facts[name] = distribution_json((uncertain++)->dist);  // not its most likely value, which the slot holds
      continue;
    }
    switch (type_of(v)) {
      case Type::kNumber: facts[name] = v.number; break;
      case Type::kBool: facts[name] = v.boolean != 0; break;
      case Type::kString: facts[name] = std::string(string_of(v)); break;
      case Type::kAbsent: break;
    }
  }
  return json_text(nlohmann::ordered_json{{"id", c.id}, {"facts", std::move(facts)}});
}

// A compact JSON text of a case read from JSON, checked by a full parse; empty when it is not valid JSON.
std::string minified_case(simdjson::dom::parser& dom, const char* data, size_t len, size_t capacity) {
  if (capacity < len + simdjson::SIMDJSON_PADDING) return {};
  simdjson::dom::element el;
  if (dom.parse(data, len, false).get(el)) return {};
  return simdjson::minify(el);
}

Server::Impl::Impl(PolicyStore& s, ServerOptions opts) : store(s), o(std::move(opts)) {
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

void Server::Impl::send_error(httplib::Response& res, int status, ErrorKind kind, const std::string& message,
                              const json& extra) {
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

void Server::Impl::send_json(httplib::Response& res, int status, const json& j) {
  res.status = status;
  res.set_content(json_text(j), "application/json");
}

void Server::Impl::revision_headers(httplib::Response& res, const PolicySnapshot& snap) {
  res.set_header("X-Insource-Rules-Revision", snap.revision);
  res.set_header("X-Insource-Generation", std::to_string(snap.generation));
}

// The methods a path answers to, or null for an unknown path.
const char* Server::Impl::allowed_methods(const std::string& path) {
  Endpoint e = endpoint_of(path);
  switch (e) {
    case Endpoint::kDecide:
    case Endpoint::kBatch:
    case Endpoint::kReload:
    case Endpoint::kWhatIfRules:
    case Endpoint::kReport:
    case Endpoint::kCases:
    case Endpoint::kWeightsAhp:
    case Endpoint::kCalibrate: return "POST";
    case Endpoint::kOther: return nullptr;
    default: return "GET, HEAD";
  }
}

httplib::Server::HandlerResponse Server::Impl::pre_routing(const httplib::Request& req, httplib::Response& res) {
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
  // The explorer's page holds no data: it loads without a token and asks for one.
  if (e != Endpoint::kHealthz && e != Endpoint::kReadyz && e != Endpoint::kExplorer && !authorized(req)) {
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
bool Server::Impl::check_type(const httplib::Request& req, httplib::Response& res, std::initializer_list<const char*> accepted) {
  std::string t = media_type(req);
  if (t.empty()) return true;
  for (const char* a : accepted)
    if (t == a) return true;
  if (t.size() > 5 && t.compare(t.size() - 5, 5, "+json") == 0 && *accepted.begin() == std::string("application/json"))
    return true;
  // curl -d sends application/x-www-form-urlencoded unless told otherwise:
  // the message names the header to send, as it is written.
  std::string msg = "Content-Type ";
  msg += req.get_header_value("Content-Type");
  msg += " is not accepted here; send the header 'Content-Type: ";
  msg += *accepted.begin();
  msg += "'";
  for (auto a = accepted.begin() + 1; a != accepted.end(); ++a) {
    msg += " or 'Content-Type: ";
    msg += *a;
    msg += "'";
  }
  msg += " (with curl: -H 'Content-Type: ";
  msg += *accepted.begin();
  msg += "')";
  send_error(res, 415, ErrorKind::kContentType, msg);
  return false;
}

// Reads the body within `limit`; answers the request and returns false when it cannot.
bool Server::Impl::read_body(const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& reader, size_t limit, std::string* body) {
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

std::optional<Clock::time_point> Server::Impl::deadline() const {
  if (o.request_budget_ms <= 0) return std::nullopt;
  return (t_request.open ? t_request.start : Clock::now()) + std::chrono::milliseconds(o.request_budget_ms);
}

ErrorKind Server::Impl::kind_of_status(int status) {
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

void Server::Impl::setup() {
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
  route_explorer();
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

void Server::Impl::watch_loop() {
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
  Backlog::raise(m.http, 1024);
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
