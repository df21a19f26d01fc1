// Bulk decisions: a stream of cases in (JSON Lines, a YAML document stream, or
// CSV with dotted column names), one JSON record per case out, in input
// order, on any number of threads, in bounded memory.
//
// The input is cut into chunks of whole records; worker threads each own an
// Evaluator (so one plugin instance per thread), a parser and an output
// buffer; a writer puts finished chunks back in order. A fixed pool of chunks
// bounds memory whatever the input size. A record that cannot be read or
// decided yields an error record in its place: exactly one output line per
// input record, never a lost or reordered one.
#ifndef INSOURCE_HOST_BATCH_H_
#define INSOURCE_HOST_BATCH_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/verdict.h"
#include "policy/evaluator.h"
#include "policy/input_limits.h"
#include "policy/policy.h"

namespace insource {

enum class InputFormat { kJsonLines, kYaml, kCsv };

// "jsonl", "yaml", "csv" from a file name's extension (jsonl when unknown).
InputFormat input_format_for(const std::string& path);
bool parse_input_format(const std::string& name, InputFormat* out);

// What a record's error is: the reader's kinds (parse, case, limit), a
// plugin that failed, or the caller's time budget that ran out.
enum class BatchErrorKind : uint8_t { kParse, kCase, kLimit, kPlugin, kTimeout };
const char* batch_error_label(BatchErrorKind k);

// Told about each record as it is made (optional; the server logs and counts
// through it). Called on the thread that made the record.
class BatchObserver {
 public:
  virtual ~BatchObserver() = default;
  // A decided case. `case_text` is the record's input text (JSON Lines: the
  // line, with kJsonPadding readable bytes after it); `record` the output.
  virtual void decided(uint64_t line, std::string_view case_text, const CaseFacts& c, const Decision& d,
                       std::string_view record) = 0;
  // An error record.
  virtual void failed(uint64_t line, BatchErrorKind kind, const CaseFacts* c, const Decision* d, std::string_view record) = 0;
};

struct BatchOptions {
  int jobs = 1;                         // worker threads; 1 runs everything on the calling thread
  bool detail = false;                  // full decide records instead of compact ones
  InputFormat format = InputFormat::kJsonLines;
  std::string label = "<stdin>";        // the input's name, for messages
  size_t chunk_bytes = 256 * 1024;      // input bytes per chunk (whole records)
  size_t max_record_bytes = 1 << 20;    // a longer line or document is an error record
  // A record not started by then becomes a "timeout" error record.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::string timeout_message = "the time budget ran out before this record was decided";
  BatchObserver* observer = nullptr;
  // jobs == 1: decide with this evaluator instead of making one (a server
  // thread keeps its plugin instances from request to request).
  Evaluator* evaluator = nullptr;
  // The line number of the input's first line, in error records: > 1 when the
  // input is a part of a larger file (the Python package's partitions on Dask).
  uint64_t first_line = 1;
  // Bounds each YAML document's nesting and expanded size (--max-yaml-depth,
  // --max-yaml-nodes); a document over them is a "limit" error record.
  InputLimits limits;
};

struct BatchStats {
  uint64_t records = 0;
  uint64_t errors = 0;  // records that got an error record
  uint64_t parse_errors = 0, case_errors = 0, plugin_errors = 0, limit_errors = 0, timeout_errors = 0;
  uint64_t faulted = 0;  // records with a verdict despite a plugin fault (on_error abstain or a verdict)
  uint64_t verdicts[kVerdictCount] = {};
  uint64_t bytes = 0;   // input bytes consumed
  double seconds = 0;
};

// The input cannot be processed at all (e.g. a CSV header naming an unknown
// fact, or an unreadable file): no records are written after it.
class BatchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Called from the writer after each chunk: records and input bytes done so far.
using BatchProgress = std::function<void(uint64_t records, uint64_t bytes)>;

// Where the input bytes come from.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Up to `n` bytes into `buf`; 0 at the end. Throws BatchError.
  virtual size_t read(char* buf, size_t n) = 0;
};

// Where the records go, a run of whole records at a time, in input order.
class BatchSink {
 public:
  virtual ~BatchSink() = default;
  // Throws BatchError (e.g. the reader went away): the batch stops.
  virtual void write(std::string_view records) = 0;
};

// A file descriptor as a source or a sink.
class FdSource : public BatchSource {
 public:
  explicit FdSource(int fd, std::string label = "<stdin>") : fd_(fd), label_(std::move(label)) {}
  size_t read(char* buf, size_t n) override;

 private:
  int fd_;
  std::string label_;
};
class FdSink : public BatchSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  void write(std::string_view records) override;

 private:
  int fd_;
};

// Bytes held in memory (a request body) as a source.
class StringSource : public BatchSource {
 public:
  explicit StringSource(std::string_view text) : text_(text) {}
  size_t read(char* buf, size_t n) override;

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// The pipeline: cases from `source`, records to `sink`. Throws BatchError.
BatchStats run_batch(const std::shared_ptr<const Policy>& policy, BatchSource& source, BatchSink& sink,
                     const BatchOptions& options, const BatchProgress& progress = {});

// Reads cases from `in_fd`, writes records to `out_fd`. Throws BatchError.
BatchStats run_batch(const std::shared_ptr<const Policy>& policy, int in_fd, int out_fd, const BatchOptions& options,
                     const BatchProgress& progress = {});

}  // namespace insource

#endif  // INSOURCE_HOST_BATCH_H_
