// insource serve: decisions as a service over HTTP, with hot reload.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "common.h"
#include "service/policy_store.h"
#include "http/server.h"

namespace insource::cli {

namespace {

struct ServeOptions {
  EngineOptions engine;
  std::string listen = "127.0.0.1:8181";
  server::ServerOptions server;
  int drain_seconds = 0;
  bool no_plugin_copies = false;
};

// "host:port", "[v6]:port" or ":port" (loopback).
bool parse_listen(const std::string& s, std::string* host, int* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = s.substr(0, colon), p = s.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) h = "127.0.0.1";
  if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5) return false;
  int n = std::stoi(p);
  if (n > 65535) return false;
  *host = h;
  *port = n;
  return true;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int run_serve(ServeOptions& o) {
  if (!parse_listen(o.listen, &o.server.host, &o.server.port)) {
    std::cerr << "insource: --listen " << o.listen << ": expected HOST:PORT, e.g. 127.0.0.1:8181\n";
    return kExitUsage;
  }
  // Signals are taken by sigwait() below, never by a handler: block them
  // before any thread starts, so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // A service logs at info unless told otherwise: each plugin loaded, with its
  // SHA-256, at every (re)load (docs/reliability.md).
  if (spdlog::get_level() == spdlog::level::warn) spdlog::set_level(spdlog::level::info);

  PolicySource source = policy_source_of(o.engine);
  source.stage_plugins = !o.no_plugin_copies;
  PolicyStore store(source);
  try {
    store.load();
  } catch (const PolicyLoadError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  }

  std::unique_ptr<server::Server> srv;
  int port = 0;
  try {
    srv = std::make_unique<server::Server>(store, o.server);
    port = srv->bind();
  } catch (const std::exception& e) {
    std::cerr << "insource: " << e.what() << "\n";
    return kExitUsage;
  }
  if (!is_loopback(o.server.host) && o.server.token_file.empty())
    std::fprintf(stderr, "insource serve: warning: listening on %s without --token-file: anyone who can reach it may ask\n",
                 o.server.host.c_str());
  auto snap = store.current();
  const bool v6 = o.server.host.find(':') != std::string::npos;
  std::fprintf(stderr, "insource serve: listening on http://%s%s%s:%d (rules %s, revision %.12s; %zu plugins; %d threads)\n",
               v6 ? "[" : "", o.server.host.c_str(), v6 ? "]" : "", port, snap->policy->rules().file.c_str(),
               snap->revision.c_str(), snap->plugins.size(), o.server.threads);
  std::fflush(stderr);

  std::atomic<bool> exited{false};
  std::thread http([&] {
    srv->run();
    exited = true;
    ::kill(::getpid(), SIGTERM);  // wake the signal loop if the server ended by itself
  });
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (exited) break;
    if (sig == SIGHUP) {
      srv->reload("SIGHUP");
      srv->reopen_log();
      continue;
    }
    std::fprintf(stderr, "insource serve: %s: finishing the requests in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    srv->set_draining();
    for (int i = 0; i < o.drain_seconds * 10 && !exited; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    srv->stop();
    break;
  }
  http.join();
  srv.reset();
  std::fprintf(stderr, "insource serve: stopped\n");
  return kExitOk;
}

}  // namespace

void register_serve(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Decide over HTTP: POST /v1/decide and /v1/batch, GET /v1/rules, /v1/plugins, /metrics; reload on SIGHUP");
  add_engine_options(cmd, &o->engine);
  server::ServerOptions& s = o->server;
  cmd->add_option("--listen", o->listen, "Where to listen, HOST:PORT (port 0: any free port); loopback by default")
      ->capture_default_str();
  cmd->add_option("--threads", s.threads, "Worker threads: the connections served at once")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_flag("--reuse-port", s.reuse_port,
                "Share the port with other instances started with --reuse-port (SO_REUSEPORT): start the new one, "
                "then SIGTERM the old one, and no connection is refused");
  cmd->add_flag("--watch", s.watch, "Reload when the rules file (or one it extends) or a plugin file changes");
  cmd->add_option("--watch-interval-ms", s.watch_interval_ms, "How often --watch looks")
      ->check(CLI::Range(10, 3600000))
      ->capture_default_str();
  cmd->add_option("--decision-log", s.decision_log, "Log every decision as a JSON line to FILE (- for standard output)")
      ->type_name("FILE");
  cmd->add_option("--token-file", s.token_file,
                  "Require 'Authorization: Bearer TOKEN' with one of the tokens in FILE (one a line; re-read on reload)")
      ->type_name("FILE");
  cmd->add_option("--max-body-bytes", s.max_body_bytes, "Largest body of /v1/decide (413 beyond)")
      ->check(CLI::Range(size_t{64}, size_t{1} << 32))
      ->capture_default_str();
  cmd->add_option("--max-batch-bytes", s.max_batch_bytes, "Largest body of /v1/batch (413 beyond)")
      ->check(CLI::Range(size_t{64}, size_t{1} << 36))
      ->capture_default_str();
  cmd->add_option("--max-record-bytes", s.max_record_bytes, "A longer batch line becomes an error record")
      ->check(CLI::Range(size_t{64}, size_t{1} << 30))
      ->capture_default_str();
  cmd->add_option("--max-header-bytes", s.max_header_bytes, "Largest request line and headers together (431 beyond)")
      ->check(CLI::Range(size_t{256}, size_t{1} << 24))
      ->capture_default_str();
  cmd->add_option("--request-budget-ms", s.request_budget_ms,
                  "Time a request may take to decide its cases (0: no limit); 503, or timeout records in a batch")
      ->check(CLI::Range(0, 86400000))
      ->capture_default_str();
  cmd->add_option("--read-timeout", s.read_timeout_s, "Seconds to wait for a slow client's bytes")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--keep-alive-timeout", s.keep_alive_timeout_s, "Seconds an idle connection is kept")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--keep-alive-max", s.keep_alive_max, "Requests served on one connection before it is closed")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  cmd->add_option("--drain-seconds", o->drain_seconds,
                  "On SIGTERM, answer /readyz with 503 for this long (still serving) before stopping")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  cmd->add_flag("--no-plugin-copies", o->no_plugin_copies,
                "Load plugin files where they are, not from private copies (a plugin changed on disk then needs a restart)");
  cmd->callback([o, exit_code]() { *exit_code = run_serve(*o); });
}

}  // namespace insource::cli
