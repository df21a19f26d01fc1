// `insource serve`: POST /v1/decide, one case or an array of cases.
#include "http/server_impl.h"

#include <chrono>

#include "io/case_reader.h"
#include "io/json_text.h"
#include "io/report.h"
#include "tools/margins.h"

namespace insource::server {

void Server::Impl::count_answer(const Answer& a) {
  // Every fault counts, also one that on_error absorbed into a verdict.
  for (const std::string& c : a.faulty) metrics.plugin_fault(c);
  if (!a.failed) {
    metrics.decisions(a.verdict);
    return;
  }
  metrics.error(ErrorKind::kPlugin);
}

void Server::Impl::decide_one(ThreadEngine& te, const PolicySnapshot& snap, const Case& c, const std::optional<ExplainLevel>& explain,
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

void Server::Impl::timeout(httplib::Response& res, size_t done, size_t total) {
  send_error(res, 503, ErrorKind::kTimeout,
             "the request's time budget of " + std::to_string(o.request_budget_ms) + " ms ran out after " +
                 std::to_string(done) + " of " + std::to_string(total) + " cases (--request-budget-ms)");
}

void Server::Impl::decide(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
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

}  // namespace insource::server
