// `insource serve`: the explorer at `/` (README, "Decisions people can see")
// and the endpoints only it needs: the what-if as a rules file, the batch
// summary of the HTML report, and cases read from YAML or JSON. The what-if
// itself is a snapshot (what_if_snapshot) that /v1/decide and /v1/batch
// decide with, through their usual paths; nothing here decides a case.
#include <filesystem>

#include "http/explorer_assets.h"
#include "http/server_impl.h"
#include "io/case_reader.h"
#include "io/json_text.h"
#include "tools/report_html.h"
#include "tools/what_if.h"

namespace insource::server {

std::shared_ptr<const PolicySnapshot> Server::Impl::what_if_snapshot(const std::shared_ptr<const PolicySnapshot>& base,
                                                                     const std::string& text, std::string* why,
                                                                     json* echo) {
  try {
    WhatIf w = parse_what_if_text(text);
    auto s = std::make_shared<PolicySnapshot>(*base);
    s->policy = apply_what_if(*base->policy, w);
    *echo = json::parse(text);
    return s;
  } catch (const std::exception& e) {
    *why = e.what();
    return nullptr;
  }
}

// POST /v1/what-if/rules: the what-if as a rules file that extends the
// served one (the explorer's download), checked by applying it first.
void Server::Impl::what_if_rules_endpoint(const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& reader) {
  if (!check_type(req, res, {"application/json", "text/json"})) return;
  std::string body;
  if (!read_body(req, res, reader, o.max_body_bytes, &body)) return;
  auto snap = store.current();
  std::string why;
  json echo;
  if (!what_if_snapshot(snap, body, &why, &echo)) return send_error(res, 400, ErrorKind::kBadRequest, why);
  const RulesDoc& doc = snap->policy->rules();
  // A file extends its parent by a path relative to itself: the served file
  // by its absolute path, the built-in policy by the name of its copy
  // (rules/default.yaml in the sources, share/insource/rules/ installed).
  const bool builtin = doc.file == kEmbeddedRulesLabel || doc.files.empty();
  std::string parent = builtin ? std::string("default.yaml") : std::filesystem::absolute(doc.files.front()).string();
  std::string text = what_if_rules_text(parse_what_if_text(body), parent, snap->revision);
  if (builtin)
    text = "# The served policy is the built-in one: keep this file beside a copy of rules/default.yaml.\n" + text;
  revision_headers(res, *snap);
  res.set_header("Content-Disposition", "attachment; filename=\"what-if.yaml\"");
  res.status = 200;
  res.set_content(text, "application/yaml");
}

// POST /v1/report: `batch` records (JSON Lines, compact or detail) in, the
// batch summary of the HTML report out, as {"html", "summary"}.
void Server::Impl::report_endpoint(const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) {
  std::string body;
  if (!read_body(req, res, reader, o.max_batch_bytes, &body)) return;
  auto snap = store.current();
  BatchSummary summary(report_policy_of(*snap->policy, snap->revision));
  uint64_t line = 0;
  size_t at = 0;
  while (at < body.size()) {
    size_t nl = body.find('\n', at);
    if (nl == std::string::npos) nl = body.size();
    std::string_view l(body.data() + at, nl - at);
    at = nl + 1;
    ++line;
    if (trim(l).empty()) continue;
    json r = json::parse(l, nullptr, false);
    if (r.is_discarded() || !r.is_object())
      return send_error(res, 400, ErrorKind::kParse, "request:" + std::to_string(line) + ": not a batch record");
    summary.add(r, line);
  }
  revision_headers(res, *snap);
  send_json(res, 200, {{"html", summary.html()}, {"summary", summary.numbers()}});
}

// POST /v1/cases: cases as YAML or JSON (one, a list, a stream) in, each as
// the JSON the other endpoints take out ({"cases":[...]}), or the reader's
// error naming the line: the explorer's paste and upload.
void Server::Impl::cases_endpoint(const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
  std::string body;
  if (!read_body(req, res, reader, o.max_body_bytes, &body)) return;
  auto snap = store.current();
  std::vector<CaseInput> inputs;
  try {
    inputs = read_cases(body, "request", snap->policy->schema(), 1, CaseFormat::kAuto, store.source().limits);
  } catch (const std::exception& e) {
    return send_error(res, 400, ErrorKind::kParse, std::string("request: ") + e.what());
  }
  json cases = json::array();
  for (const CaseInput& in : inputs) {
    if (!in.value) return send_error(res, 400, ErrorKind::kCase, in.error);
    cases.push_back(json::parse(canonical_case_json(*in.value, snap->policy->schema())));
  }
  revision_headers(res, *snap);
  send_json(res, 200, {{"cases", cases}});
}

void Server::Impl::asset(httplib::Response& res, std::string_view body, const char* type) {
  res.status = 200;
  // The page may talk to this server only (no other address, no inline script).
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
                 "form-action 'none'; frame-ancestors 'none'; base-uri 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::string(body), type);
}

void Server::Impl::route_explorer() {
  http.Post("/v1/what-if/rules", [this](const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) { what_if_rules_endpoint(req, res, reader); });
  http.Post("/v1/report", [this](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader) { report_endpoint(req, res, reader); });
  http.Post("/v1/cases", [this](const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& reader) { cases_endpoint(req, res, reader); });
  // The page, its script and style sheets, and the example cases: each path
  // here is one metrics.cc counts as the explorer's (endpoint_of).
  struct Asset {
    const char* path;
    std::string_view (*body)();
    const char* type;
  };
  static constexpr Asset kAssets[] = {
      {"/", explorer_index_html, "text/html; charset=utf-8"},
      {"/index.html", explorer_index_html, "text/html; charset=utf-8"},
      {"/explorer.js", explorer_js, "text/javascript; charset=utf-8"},
      {"/explorer.css", explorer_css, "text/css; charset=utf-8"},
      {"/report.css", report_css, "text/css; charset=utf-8"},
      {"/examples/candy-launch.yaml", example_candy_launch, "application/yaml"},
      {"/examples/office-catering.yaml", example_office_catering, "application/yaml"},
      {"/examples/back-office-accounting.yaml", example_back_office_accounting, "application/yaml"},
      {"/examples/candy-launch-uncertain.yaml", example_candy_launch_uncertain, "application/yaml"},
  };
  for (const Asset& a : kAssets)
    http.Get(a.path, [a](const httplib::Request&, httplib::Response& res) { asset(res, a.body(), a.type); });
}

}  // namespace insource::server
