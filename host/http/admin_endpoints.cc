// `insource serve`: the operator's endpoints: POST /v1/reload, GET
// /v1/plugins, /v1/rules and /metrics.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "http/server_impl.h"
#include "io/json_text.h"
#include "tools/decl_json.h"

namespace insource::server {

void Server::Impl::reload_endpoint(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
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

ReloadOutcome Server::Impl::reload(const std::string& trigger) {
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

json Server::Impl::param_json(const ParamValue& v) {
  switch (v.type) {
    case Type::kNumber: return v.number;
    case Type::kBool: return v.boolean;
    case Type::kString: return v.string;
    case Type::kAbsent: break;
  }
  return nullptr;
}

void Server::Impl::plugins_endpoint(const httplib::Request&, httplib::Response& res) {
  auto snap = store.current();
  json list = json::array();
  const auto& loaded = snap->policy->plugins().plugins;
  for (size_t i = 0; i < loaded.size(); ++i) {
    // The declarations as `insource plugins --format json` gives them; the
    // file and its SHA-256 are the ones the rules named (the plugin runs from
    // a private copy), and "votes" says whether the policy weighs it.
    json j = plugin_json(*loaded[i]);
    if (i < snap->plugins.size()) {
      j["file"] = snap->plugins[i].file;
      j["sha256"] = snap->plugins[i].sha256;
    }
    j["votes"] = snap->policy->criterion_index(loaded[i]->criterion()) >= 0;
    list.push_back(std::move(j));
  }
  json out;
  out["rules_revision"] = snap->revision;
  out["generation"] = snap->generation;
  out["plugins"] = std::move(list);
  revision_headers(res, *snap);
  send_json(res, 200, out);
}

void Server::Impl::rules_endpoint(const httplib::Request& req, httplib::Response& res) {
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
  for (const RuleFact& f : doc.facts) {
    json fj{{"name", f.name}, {"type", type_name(f.type)}};
    if (!f.description.empty()) fj["description"] = f.description;
    if (!f.allowed.empty()) fj["allowed"] = f.allowed;
    facts.push_back(std::move(fj));
  }
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

void Server::Impl::metrics_endpoint(const httplib::Request&, httplib::Response& res) {
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

}  // namespace insource::server
