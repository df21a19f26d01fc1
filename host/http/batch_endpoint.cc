// `insource serve`: POST /v1/batch, JSON Lines in and records out, a slice at a time.
#include "http/server_impl.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "io/json_text.h"
#include "io/report.h"

namespace insource::server {

// Makes the records of the next slice of `job` into `out`; false at the end.
bool Server::Impl::batch_slice(BatchJob& job, std::string* out, std::string* log_lines) {
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

void Server::Impl::batch(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
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

}  // namespace insource::server
