// `insource serve`: POST /v1/batch. The body goes through the batch pipeline
// `insource batch` uses (service/batch.h), with the response as its sink and
// the metrics and decision log as its observer: there is no second batch loop.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "http/server_impl.h"
#include "io/json_text.h"
#include "service/batch.h"

namespace insource::server {

// The records, a chunk at a time, into the response.
class Server::Impl::ResponseSink : public BatchSink {
 public:
  explicit ResponseSink(httplib::DataSink& sink) : sink_(sink) {}
  void write(std::string_view records) override {
    if (!records.empty() && !sink_.write(records.data(), records.size()))
      throw BatchError("the client stopped reading the response");
  }

 private:
  httplib::DataSink& sink_;
};

// Counts each record in the metrics and logs it, as /v1/decide does.
class Server::Impl::BatchRecorder : public BatchObserver {
 public:
  BatchRecorder(Impl& impl, const BatchJob& job, ThreadEngine& te) : impl_(impl), job_(job), te_(te) {
    if (logging()) {
      now_ = rfc3339(std::chrono::system_clock::now());
      plugins_ = plugin_hashes_json(*job_.snap);
    }
  }
  ~BatchRecorder() override { flush(); }

  void decided(uint64_t line, std::string_view case_text, const CaseFacts& c, const Decision& d,
               std::string_view record) override {
    ++verdicts_[static_cast<size_t>(d.verdict)];
    faults(d);
    log(line, case_text, c, record);
  }
  void failed(uint64_t line, BatchErrorKind kind, const CaseFacts* c, const Decision* d, std::string_view record) override {
    ++errors_[static_cast<size_t>(error_kind_of(kind))];
    if (d != nullptr) faults(*d);
    if (c != nullptr) log(line, {}, *c, record);
  }

  void flush() {
    for (int v = 0; v < kVerdictCount; ++v)
      if (verdicts_[v]) impl_.metrics.decisions(static_cast<Verdict>(v), verdicts_[v]);
    for (size_t k = 0; k < kErrorKindCount; ++k)
      if (errors_[k]) impl_.metrics.error(static_cast<ErrorKind>(k), errors_[k]);
    std::fill(std::begin(verdicts_), std::end(verdicts_), 0);
    std::fill(std::begin(errors_), std::end(errors_), 0);
    if (logging() && !lines_.empty()) impl_.log->append(lines_);
    lines_.clear();
  }

 private:
  static ErrorKind error_kind_of(BatchErrorKind k) {
    switch (k) {
      case BatchErrorKind::kParse: return ErrorKind::kParse;
      case BatchErrorKind::kCase: return ErrorKind::kCase;
      case BatchErrorKind::kLimit: return ErrorKind::kParse;
      case BatchErrorKind::kPlugin: return ErrorKind::kPlugin;
      case BatchErrorKind::kTimeout: return ErrorKind::kTimeout;
    }
    return ErrorKind::kInternal;
  }
  void faults(const Decision& d) {
    const Policy& policy = *job_.snap->policy;
    for (size_t i = 0; i < d.criteria.size() && i < policy.criteria().size(); ++i)
      if (d.criteria[i].fault) impl_.metrics.plugin_fault(policy.criteria()[i].name);
  }
  // What-if decisions are not the policy's: they are counted, not logged.
  bool logging() const { return impl_.log && !job_.what_if; }
  void log(uint64_t line, std::string_view case_text, const CaseFacts& c, std::string_view record) {
    if (!logging()) return;
    // The case as received (JSON Lines text has padding readable after it).
    std::string text = case_text.empty() ? std::string()
                                         : minified_case(te_.dom, case_text.data(), case_text.size(),
                                                         case_text.size() + kJsonPadding);
    if (text.empty()) text = canonical_case_json(c, job_.snap->policy->schema());
    append_log_line(&lines_, impl_.decision_id(job_.first_id + line - 1), now_, *job_.snap, plugins_, "batch", text,
                    record);
    if (lines_.size() > kBatchSlice) flush();
  }

  Impl& impl_;
  const BatchJob& job_;
  ThreadEngine& te_;
  std::string now_, plugins_, lines_;
  uint64_t verdicts_[kVerdictCount] = {};
  uint64_t errors_[kErrorKindCount] = {};
};

void Server::Impl::batch(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
  if (!check_type(req, res,
                  {"application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/json-lines",
                   "application/json", "text/plain", "text/csv"}))
    return;
  bool detail = false;
  std::string what_if_text;
  for (const auto& [k, v] : req.params) {
    if (k == "detail") {
      if (!parse_bool(v, &detail))
        return send_error(res, 400, ErrorKind::kBadRequest, "detail must be true or false, not '" + v + "'");
    } else if (k == "what_if") {
      what_if_text = v;
    } else {
      return send_error(res, 400, ErrorKind::kBadRequest,
                        "unknown query parameter '" + k + "' (/v1/batch takes detail and what_if)");
    }
  }
  // A what-if is another snapshot given to the same pipeline below.
  std::shared_ptr<const PolicySnapshot> moved;
  if (!what_if_text.empty()) {
    std::string why;
    json echo;
    moved = what_if_snapshot(store.current(), what_if_text, &why, &echo);
    if (!moved) return send_error(res, 400, ErrorKind::kBadRequest, why);
  }
  auto job = std::make_shared<BatchJob>();
  if (!read_body(req, res, reader, o.max_batch_bytes, &job->body)) return;
  const size_t size = job->body.size();
  job->snap = moved ? moved : store.current();
  job->what_if = moved != nullptr;
  job->detail = detail;
  // CSV (a header of id and dotted fact names) is read by the batch
  // pipeline's own CSV reader, as `insource batch cases.csv` reads it.
  job->format = media_type(req) == "text/csv" ? InputFormat::kCsv : InputFormat::kJsonLines;
  job->until = deadline();
  uint64_t lines = static_cast<uint64_t>(std::count(job->body.begin(), job->body.end(), '\n'));
  if (size > 0 && job->body[size - 1] != '\n') ++lines;
  job->first_id = next_id.fetch_add(std::max<uint64_t>(lines, 1), std::memory_order_relaxed);
  revision_headers(res, *job->snap);
  if (lines > 0)
    res.set_header("X-Insource-Decision-Ids",
                   decision_id(job->first_id) + ".." + decision_id(job->first_id + lines - 1));
  res.status = 200;
  if (size == 0) {
    res.set_content("", "application/x-ndjson");
    return;
  }
  res.set_chunked_content_provider("application/x-ndjson", [this, job](size_t, httplib::DataSink& sink) {
    // Nothing may escape from here: it runs while the response is written.
    try {
      ThreadEngine& te = engine_for(job->snap);
      BatchOptions bo;
      bo.jobs = 1;
      bo.detail = job->detail;
      bo.format = job->format;
      bo.label = "request";
      bo.chunk_bytes = kBatchSlice;
      bo.max_record_bytes = o.max_record_bytes;
      if (job->until) bo.deadline = *job->until;
      bo.timeout_message = "the request's time budget of " + std::to_string(o.request_budget_ms) +
                           " ms ran out before this record was decided (--request-budget-ms)";
      bo.evaluator = te.evaluator.get();
      BatchRecorder recorder(*this, *job, te);
      bo.observer = &recorder;
      StringSource source(job->body);
      ResponseSink out(sink);
      run_batch(job->snap->policy, source, out, bo);
      recorder.flush();
      sink.done();
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
