// `insource serve`: POST /v1/decide, one case or an array of cases, read by
// the one JSON reader every command uses (io/case_reader.h).
#include <chrono>

#include "http/server_impl.h"
#include "io/case_reader.h"
#include "io/json_text.h"
#include "io/report.h"
#include "io/distribution_reader.h"
#include "tools/margins.h"
#include "tools/report_html.h"
#include "tools/simulate_report.h"

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

void Server::Impl::decide_one(ThreadEngine& te, const PolicySnapshot& snap, const CaseFacts& c, const DecideAsk& ask,
                              std::string case_text, std::vector<Answer>* answers) {
  const std::optional<ExplainLevel>& explain = ask.explain;
  const bool margins = ask.margins;
  const SimulationOptions* simulate = ask.simulate ? &*ask.simulate : nullptr;
  const Policy& p = *snap.policy;
  // ?simulate=N: the record is the decision at the most likely values, with
  // the simulation added; the draws use this thread's evaluator.
  std::optional<Simulation> sim;
  if (simulate) sim = insource::simulate(snap.policy, c, *simulate, te.evaluator.get());
  Decision& d = sim ? sim->likely : te.decision;
  if (!sim) te.evaluator->decide(c, &d, true);
  Answer a;
  a.id = decision_id(next_id.fetch_add(1, std::memory_order_relaxed));
  a.failed = d.failed;
  a.verdict = d.verdict;
  for (size_t i = 0; i < d.criteria.size() && i < p.criteria().size(); ++i)
    if (d.criteria[i].fault) a.faulty.push_back(p.criteria()[i].name);
  json rec = decision_json(p, c, d);
  if (sim) rec["simulation"] = simulation_json(*sim);
  a.log_record = json_text(rec);
  if (!explain && !margins && !ask.html && ask.what_if.is_null()) {
    // The record with the two fields spliced in before its closing brace
    // (the id and the revision are plain hex and digits).
    a.response = a.log_record;
    a.response.pop_back();
    a.response += ",\"decision_id\":\"" + a.id + "\",\"rules_revision\":\"" + snap.revision + "\"}";
  } else {
    json j = explain ? explain_json(p, c, d, *explain) : rec;
    if (sim && explain) j["simulation"] = simulation_json(*sim);
    // full and trace explanations carry the margins already.
    if (margins && !d.failed && (!explain || *explain == ExplainLevel::kBrief))
      j["margins"] = margins_json(p, compute_margins(p, c, d));
    j["decision_id"] = a.id;
    j["rules_revision"] = snap.revision;
    if (!ask.what_if.is_null()) j["what_if"] = ask.what_if;
    if (ask.html) {
      nlohmann::ordered_json r = case_report_record(p, c, d);
      if (sim) r["simulation"] = simulation_json(*sim);
      j["html"] = case_section_html(r, report_policy_of(p, snap.revision));
    }
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
  DecideAsk ask;
  std::optional<ExplainLevel>& explain = ask.explain;
  std::string what_if_text;
  SimulationOptions sim_options;
  bool simulating = false;
  auto read_count = [](const std::string& v, uint64_t max, uint64_t* out) {
    uint64_t n = 0;
    if (v.empty() || v.size() > 20) return false;
    for (char ch : v) {
      if (ch < '0' || ch > '9') return false;
      n = n * 10 + static_cast<uint64_t>(ch - '0');
      if (n > max) return false;
    }
    *out = n;
    return true;
  };
  for (const auto& [k, v] : req.params) {
    if (k == "explain") {
      explain = parse_explain_level(v);
      if (!explain)
        return send_error(res, 400, ErrorKind::kBadRequest, "explain must be brief, full or trace, not '" + v + "'");
    } else if (k == "margins") {
      if (!parse_bool(v, &ask.margins))
        return send_error(res, 400, ErrorKind::kBadRequest, "margins must be true or false, not '" + v + "'");
    } else if (k == "html") {
      if (!parse_bool(v, &ask.html))
        return send_error(res, 400, ErrorKind::kBadRequest, "html must be true or false, not '" + v + "'");
    } else if (k == "what_if") {
      what_if_text = v;
    } else if (k == "simulate") {
      // At most a million draws a case: a request must not hold a worker for
      // minutes. `?simulate` alone is the CLI's suggested 10,000.
      if (v.empty()) sim_options.draws = 10000;
      else if (!read_count(v, 1000000, &sim_options.draws) || sim_options.draws == 0)
        return send_error(res, 400, ErrorKind::kBadRequest,
                          "simulate must be a number of draws from 1 to 1000000, not '" + v + "'");
      simulating = true;
    } else if (k == "seed") {
      if (!read_count(v, UINT64_MAX / 10, &sim_options.seed))
        return send_error(res, 400, ErrorKind::kBadRequest, "seed must be a whole number, not '" + v + "'");
    } else {
      return send_error(res, 400, ErrorKind::kBadRequest,
                        "unknown query parameter '" + k +
                            "' (/v1/decide takes explain, margins, html, what_if, simulate and seed)");
    }
  }
  if (simulating) ask.simulate = sim_options;  // the seed may come after ?simulate
  std::string body;
  if (!read_body(req, res, reader, o.max_body_bytes, &body)) return;
  const size_t n = body.size();
  if (trim(body).empty())
    return send_error(res, 400, ErrorKind::kParse,
                      "the request body is empty: send a case as a JSON object, or a JSON array of cases");
  body.append(kJsonPadding, '\0');

  auto snap = store.current();
  if (!what_if_text.empty()) {
    std::string why;
    snap = what_if_snapshot(snap, what_if_text, &why, &ask.what_if);
    if (!snap) return send_error(res, 400, ErrorKind::kBadRequest, why);
  }
  ThreadEngine& te = engine_for(snap);
  const Policy& policy = *snap->policy;
  const auto until = deadline();
  auto out_of_time = [&] { return until && Clock::now() > *until; };

  // The one JSON reader every command uses, so that a case reads, and an
  // error is worded, exactly as `insource decide` gives them.
  const std::string_view text = skip_bom(std::string_view(body.data(), n));
  const size_t first = text.find_first_not_of(" \t\r\n");
  const bool is_array = first != std::string_view::npos && text[first] == '[';
  std::vector<CaseInput> inputs;
  read_json_text(text, "request", policy.schema(), 1, &inputs);
  if (!simulating) refuse_uncertain(&inputs, policy.schema(), "decide it with ?simulate=N (or give a plain value)");
  if (inputs.empty() && !is_array)
    return send_error(res, 400, ErrorKind::kParse,
                      "the request body is empty: send a case as a JSON object, or a JSON array of cases");
  const size_t skipped = n - text.size();  // the byte order mark, if any
  std::vector<Answer> answers;
  {
    json errors = json::array();
    const CaseInput* first_error = nullptr;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].value) continue;
      json e;
      if (is_array) e["index"] = i;
      e["id"] = inputs[i].id;
      e["message"] = inputs[i].error;
      errors.push_back(std::move(e));
      if (first_error == nullptr) first_error = &inputs[i];
    }
    if (first_error != nullptr) {
      json extra;
      extra["id"] = first_error->id;
      if (first_error->line > 0) extra["line"] = first_error->line;
      if (first_error->column > 0) extra["column"] = first_error->column;
      if (errors.size() > 1) extra["errors"] = errors;
      return send_error(res, 400, first_error->kind == InputErrorKind::kCase ? ErrorKind::kCase : ErrorKind::kParse,
                        first_error->error, extra);
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      CaseFacts& c = *inputs[i].value;
      if (out_of_time()) return timeout(res, answers.size(), inputs.size());
      std::string case_text;
      if (log && ask.what_if.is_null()) {
        case_text = minified_case(te.dom, body.data() + skipped + inputs[i].offset, inputs[i].length,
                                  body.size() - skipped - inputs[i].offset);
        if (case_text.empty()) case_text = canonical_case_json(c, policy.schema());
      }
      decide_one(te, *snap, c, ask, std::move(case_text), &answers);
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
  // What-if decisions are not the policy's: they are not logged.
  if (log && !answers.empty() && ask.what_if.is_null()) {
    std::string lines;
    const std::string now = rfc3339(std::chrono::system_clock::now());
    const std::string plugins = plugin_hashes_json(*snap);
    for (const Answer& a : answers)
      append_log_line(&lines, a.id, now, *snap, plugins, "decide", a.log_case, a.log_record);
    log->append(lines);
  }
}

}  // namespace insource::server
