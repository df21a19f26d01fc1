// `insource serve`: the policy authors' analysis endpoints, thin layers over
// host/analysis as `insource weights ahp` and `insource calibrate` are:
// POST /v1/weights/ahp and POST /v1/calibrate. Both take YAML or JSON
// bodies (JSON is YAML to the readers) and answer with the CLI's JSON.
#include <stdexcept>

#include "analysis/ahp.h"
#include "analysis/calibrate.h"
#include "http/server_impl.h"

namespace insource::server {

namespace {

// Every diagnostic, one a line, each with its position in the body ("request:LINE:COL").
std::string diagnostics_text(const RulesError& e) {
  std::string m;
  for (const auto& d : e.diagnostics()) {
    if (!m.empty()) m += '\n';
    m += d.str();
  }
  return m;
}

constexpr std::initializer_list<const char*> kAnalysisTypes = {"application/yaml", "application/json", "text/yaml",
                                                               "application/x-yaml"};

}  // namespace

// The judgement file in, the weights and consistency out; 422 with the same
// document (suggestions filled) when the judgements are inconsistent, as the
// CLI exits 1.
void Server::Impl::ahp_endpoint(const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& reader) {
  if (!req.params.empty())
    return send_error(res, 400, ErrorKind::kBadRequest, "/v1/weights/ahp takes no query parameters");
  if (!check_type(req, res, kAnalysisTypes)) return;
  std::string body;
  if (!read_body(req, res, reader, o.max_body_bytes, &body)) return;
  try {
    AhpResult r = run_ahp(body, "request", store.source().limits);
    res.status = r.consistent ? 200 : 422;
    res.set_content(ahp_json(r), "application/json");
  } catch (const RulesError& e) {
    send_error(res, 400, ErrorKind::kParse, diagnostics_text(e));
  }
}

// Past cases (each with `decided`) in, the calibration of the policy in
// force out. ?thresholds=true fits the thresholds too; ?leave_one_out=false
// skips the per-case refits. Nothing is written: the answer holds the
// fitted weights, for a rules file the author commits.
void Server::Impl::calibrate_endpoint(const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) {
  CalibrationOptions co;
  for (const auto& [k, v] : req.params) {
    if (k != "thresholds" && k != "leave_one_out")
      return send_error(res, 400, ErrorKind::kBadRequest,
                        "unknown query parameter '" + k + "' (/v1/calibrate takes thresholds, leave_one_out)");
    bool value = false;
    if (!parse_bool(v, &value))
      return send_error(res, 400, ErrorKind::kBadRequest, k + " must be true or false, not '" + v + "'");
    (k == "thresholds" ? co.thresholds : co.leave_one_out) = value;
  }
  if (!check_type(req, res, kAnalysisTypes)) return;
  std::string body;
  // Past cases are a batch of cases: the batch limit.
  if (!read_body(req, res, reader, o.max_batch_bytes, &body)) return;
  co.until = deadline();  // --request-budget-ms, as for /v1/decide
  auto snap = store.current();
  std::vector<PastCase> past;
  try {
    past = read_past_cases(body, "request", snap->policy->schema(), store.source().limits);
  } catch (const RulesError& e) {
    return send_error(res, 400, ErrorKind::kCase, diagnostics_text(e));
  }
  try {
    Calibration c = calibrate(snap->policy, past, co);
    revision_headers(res, *snap);
    res.status = 200;
    res.set_content(calibration_json(c), "application/json");
  } catch (const CalibrationOutOfTime&) {
    send_error(res, 503, ErrorKind::kTimeout,
               "the request's time budget of " + std::to_string(o.request_budget_ms) + " ms ran out during the calibration of " +
                   std::to_string(past.size()) + " past cases (--request-budget-ms; ?leave_one_out=false fits once)");
  } catch (const std::runtime_error& e) {  // GLPK could not solve the program
    send_error(res, 500, ErrorKind::kInternal, e.what());
  }
}

}  // namespace insource::server
