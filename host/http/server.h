// `insource serve`: decisions over HTTP (cpp-httplib), a thin layer over the
// engine. The endpoints:
//
//   POST /v1/decide   one case (a JSON object) or an array of cases; the
//                     `decide --format json` record of each, with decision_id
//                     and rules_revision (?explain=brief|full|trace, ?margins=true)
//   POST /v1/batch    JSON Lines in, the `insource batch` records out (?detail=true)
//   POST /v1/reload   load the policy again (the validation gate: a policy
//                     that does not load cleanly never replaces the good one)
//   GET  /v1/plugins, /v1/rules, /healthz, /readyz, /metrics
//
// Every request starts on the policy snapshot current when it arrives and
// ends on it, whatever reloads happen meanwhile. Each worker thread keeps its
// own Evaluator (one instance of each plugin), rebuilt when the policy's
// generation changes.
#ifndef INSOURCE_SERVER_SERVER_H_
#define INSOURCE_SERVER_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "service/policy_store.h"

namespace insource::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8181;                     // 0: any free port (bind() says which)
  int threads = 16;                    // worker threads = connections served at once
  size_t max_body_bytes = 1 << 20;     // /v1/decide, /v1/reload
  size_t max_batch_bytes = 64 << 20;   // /v1/batch
  size_t max_record_bytes = 1 << 20;   // one line of a batch
  size_t max_header_bytes = 16 << 10;  // request line and headers together
  int request_budget_ms = 10000;       // time to decide one request's cases; 0: none
  int read_timeout_s = 5, write_timeout_s = 5;
  int keep_alive_timeout_s = 5;
  int keep_alive_max = 1000;           // requests on one connection
  std::string token_file;              // bearer tokens, one a line; empty: no authentication
  std::string decision_log;            // a file, "-" for standard output, empty: none
  bool reuse_port = false;             // SO_REUSEPORT: share the port with another instance (hand-over)
  bool watch = false;                  // reload when a rules or plugin file changes
  int watch_interval_ms = 1000;
};

class Server {
 public:
  // Reads the token file and opens the decision log. Throws std::runtime_error.
  Server(PolicyStore& store, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; returns the port. Throws std::runtime_error.
  int bind();
  // Serves until stop(); returns once the requests in flight are answered.
  void run();
  // Stops accepting connections and lets run() return when the requests in
  // flight are done. From any thread (not from a signal handler).
  void stop();
  // /readyz answers 503 from now on (before stop(), so that a load balancer
  // drains this instance).
  void set_draining();

  // Reloads the policy (and the token file). Never throws.
  ReloadOutcome reload(const std::string& trigger);
  // Opens the decision log file again (after logrotate moved it away).
  void reopen_log();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads a token file: one token a line; blank lines and lines starting with
// '#' are skipped; surrounding blanks are trimmed. Throws std::runtime_error
// when it cannot be read or holds no token.
std::vector<std::string> read_token_file(const std::string& path);

}  // namespace insource::server

#endif  // INSOURCE_SERVER_SERVER_H_
