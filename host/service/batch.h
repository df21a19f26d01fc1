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

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "policy/policy.h"
#include "core/verdict.h"

namespace insource {

enum class InputFormat { kJsonLines, kYaml, kCsv };

// "jsonl", "yaml", "csv" from a file name's extension (jsonl when unknown).
InputFormat input_format_for(const std::string& path);
bool parse_input_format(const std::string& name, InputFormat* out);

struct BatchOptions {
  int jobs = 1;                         // worker threads; 1 runs everything on the calling thread
  bool detail = false;                  // full decide records instead of compact ones
  InputFormat format = InputFormat::kJsonLines;
  std::string label = "<stdin>";        // the input's name, for messages
  size_t chunk_bytes = 256 * 1024;      // input bytes per chunk (whole records)
  size_t max_record_bytes = 1 << 20;    // a longer line or document is an error record
};

struct BatchStats {
  uint64_t records = 0;
  uint64_t errors = 0;  // records that got an error record
  uint64_t parse_errors = 0, case_errors = 0, plugin_errors = 0;
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

// Reads cases from `in_fd`, writes records to `out_fd`. Throws BatchError.
BatchStats run_batch(const std::shared_ptr<const Policy>& policy, int in_fd, int out_fd, const BatchOptions& options,
                     const BatchProgress& progress = {});

}  // namespace insource

#endif  // INSOURCE_HOST_BATCH_H_
