#include "service/batch.h"

#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "io/case_reader.h"
#include "io/csv_cases.h"
#include "io/distribution_reader.h"
#include "io/json_case_parser.h"
#include "io/json_text.h"
#include "io/record_format.h"
#include "io/report.h"
#include "io/yaml_documents.h"
#include "policy/evaluator.h"

namespace insource {

InputFormat input_format_for(const std::string& path) {
  auto ends = [&](std::string_view s) {
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  if (ends(".yaml") || ends(".yml")) return InputFormat::kYaml;
  if (ends(".csv")) return InputFormat::kCsv;
  return InputFormat::kJsonLines;
}

bool parse_input_format(const std::string& name, InputFormat* out) {
  if (name == "jsonl" || name == "json") *out = InputFormat::kJsonLines;
  else if (name == "yaml") *out = InputFormat::kYaml;
  else if (name == "csv") *out = InputFormat::kCsv;
  else return false;
  return true;
}

const char* batch_error_label(BatchErrorKind k) {
  switch (k) {
    case BatchErrorKind::kParse: return "parse";
    case BatchErrorKind::kCase: return "case";
    case BatchErrorKind::kLimit: return "limit";
    case BatchErrorKind::kPlugin: return "plugin";
    case BatchErrorKind::kTimeout: return "timeout";
  }
  return "";
}

size_t FdSource::read(char* buf, size_t n) {
  ssize_t got;
  do {
    got = ::read(fd_, buf, n);
  } while (got < 0 && errno == EINTR);
  if (got < 0) throw BatchError(label_ + ": read error: " + std::strerror(errno));
  return static_cast<size_t>(got);
}

void FdSink::write(std::string_view s) {
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw BatchError(std::string("write error: ") + std::strerror(errno));
    p += n;
    left -= static_cast<size_t>(n);
  }
}

size_t StringSource::read(char* buf, size_t n) {
  const size_t take = std::min(n, text_.size() - pos_);
  std::memcpy(buf, text_.data() + pos_, take);
  pos_ += take;
  return take;
}

namespace {

BatchErrorKind batch_kind_of(InputErrorKind k) {
  switch (k) {
    case InputErrorKind::kParse: return BatchErrorKind::kParse;
    case InputErrorKind::kLimit: return BatchErrorKind::kLimit;
    default: return BatchErrorKind::kCase;
  }
}

// A run of whole input records, and the output they produced.
struct Chunk {
  uint64_t seq = 0;
  std::string data;         // the records' bytes, then kJsonPadding spare bytes
  size_t size = 0;          // bytes of records in `data`
  uint64_t first_line = 1;  // line number of data[0] in the input
  bool oversized = false;   // a single record over the limit: report it, do not parse it
  bool lines_deferred = false;  // the reader left counting this chunk's lines to the worker (`lines`)
  uint64_t lines = 0;           // JSON Lines: lines the worker read
  // The records written: out[0, out_size). `out` is grown, never shrunk, and
  // written in place (no zero-filling per record); its size is its capacity.
  std::string out;
  size_t out_size = 0;
  BatchStats stats;

  std::string_view output() const { return std::string_view(out.data(), out_size); }
  // Room for `n` more bytes at out.data() + out_size.
  char* reserve(size_t n) {
    if (out_size + n > out.size()) out.resize(std::max(out.size() * 2, out_size + n + 64 * 1024));
    return out.data() + out_size;
  }
  void append(std::string_view s) {
    std::memcpy(reserve(s.size()), s.data(), s.size());
    out_size += s.size();
  }
};

// Cuts the input into chunks that end on a record boundary.
class ChunkReader {
 public:
  ChunkReader(BatchSource& source, const BatchOptions& o) : source_(source), o_(o), line_(o.first_line) {}

  // JSON Lines only: leave counting a chunk's lines to whoever reads them,
  // who reports them with add_lines() before the next chunk (one pass over
  // the bytes instead of two). For a single thread, which reads each chunk
  // before cutting the next.
  void defer_line_count() { defer_lines_ = o_.format == InputFormat::kJsonLines; }
  void add_lines(uint64_t n) { line_ += n; }

  // The first row of a CSV input (consumed here so that chunks hold rows only).
  std::string read_csv_header() {
    while (true) {
      size_t end = csv_row_end(carry_, 0);
      if ((end > 0 && carry_[end - 1] == '\n') || eof_) {
        std::string header = carry_.substr(0, end);
        carry_.erase(0, end);
        line_ += static_cast<uint64_t>(std::count(header.begin(), header.end(), '\n'));
        bytes_ += end;
        while (!header.empty() && (header.back() == '\n' || header.back() == '\r')) header.pop_back();
        if (header.empty()) throw BatchError(o_.label + ": the CSV input has no header row");
        return header;
      }
      if (carry_.size() > o_.max_record_bytes) throw BatchError(o_.label + ": the CSV header row is too long");
      fill(o_.chunk_bytes);
    }
  }

  // Fills `c` with the next chunk; false at the end of the input.
  bool next(Chunk* c) {
    c->oversized = false;
    while (true) {
      size_t cut = boundary();
      if (cut > 0) return emit(c, cut);
      if (eof_) {
        if (carry_.empty()) return false;
        return emit(c, carry_.size());
      }
      if (carry_.size() > o_.max_record_bytes) return skip_oversized(c);
      fill(std::max(o_.chunk_bytes, carry_.size()));
    }
  }

  uint64_t bytes() const { return bytes_; }

 private:
  // Reads up to `want` more bytes into carry_.
  void fill(size_t want) {
    size_t old = carry_.size();
    carry_.resize(old + want);
    const size_t n = source_.read(carry_.data() + old, want);
    carry_.resize(old + n);
    if (n == 0) eof_ = true;
    // A UTF-8 byte order mark at the start of the input is not part of the first record.
    if (!bom_checked_ && (carry_.size() >= 3 || eof_)) {
      bom_checked_ = true;
      if (carry_.compare(0, 3, "\xEF\xBB\xBF") == 0) {
        carry_.erase(0, 3);
        bytes_ += 3;
      }
    }
  }

  // Where the last whole record in carry_ ends (0 = no whole record yet).
  // Reads more first when carry_ holds less than a chunk and more may come.
  size_t boundary() {
    if (!eof_ && carry_.size() < o_.chunk_bytes) fill(o_.chunk_bytes - carry_.size());
    switch (o_.format) {
      case InputFormat::kJsonLines: {
        size_t nl = carry_.rfind('\n');
        return nl == std::string::npos ? 0 : nl + 1;
      }
      case InputFormat::kYaml: {
        // A document ends where a `---` line begins; the last one may
        // continue in the next read, so cut before the last separator.
        size_t sep = last_yaml_document_start(carry_);
        return sep == std::string::npos ? 0 : sep;
      }
      case InputFormat::kCsv: {
        size_t pos = 0, last = 0;
        while (pos < carry_.size()) {
          size_t end = csv_row_end(carry_, pos);
          if (end == carry_.size() && carry_.back() != '\n') break;
          last = end;
          pos = end;
        }
        return last;
      }
    }
    return 0;
  }

  bool emit(Chunk* c, size_t cut) {
    // The chunk takes over the read buffer; only the partial record after the
    // cut is copied back, so the bulk of the input is copied once, by read().
    c->data.swap(carry_);
    carry_.assign(c->data, cut, std::string::npos);
    c->data.resize(cut);
    c->size = cut;
    c->data.append(kJsonPadding, '\0');
    c->first_line = line_;
    c->lines_deferred = defer_lines_;
    if (!defer_lines_)
      line_ += static_cast<uint64_t>(std::count(c->data.begin(), c->data.begin() + static_cast<ptrdiff_t>(cut), '\n'));
    bytes_ += cut;
    return true;
  }

  // One record longer than the limit: report it as a one-line chunk and drop
  // its bytes up to the end of its line (JSON Lines, CSV) or document (YAML).
  bool skip_oversized(Chunk* c) {
    c->oversized = true;
    c->lines_deferred = false;
    c->first_line = line_;
    c->data.clear();
    c->size = 0;
    uint64_t dropped = 0;
    bool cleared = false;  // carry_ no longer starts where the record does
    while (true) {
      // YAML: the oversized document ends at the first separator after its
      // own (a separator at 0 is its own, unless its start was dropped); the
      // documents after it are read as usual.
      size_t end = o_.format == InputFormat::kYaml ? next_yaml_document_start(carry_, cleared ? 0 : 1) : carry_.find('\n');
      // At 0 the record's own first line (or separator) only while carry_
      // still starts with the record: once the bytes before were dropped, a
      // newline read at the very start of carry_ ends the record (the
      // records after it were lost with it before).
      if (end != std::string::npos && (end > 0 || cleared)) {
        size_t cut = o_.format == InputFormat::kYaml ? end : end + 1;
        line_ += static_cast<uint64_t>(std::count(carry_.begin(), carry_.begin() + static_cast<ptrdiff_t>(cut), '\n'));
        carry_.erase(0, cut);
        bytes_ += cut + dropped;
        return true;
      }
      line_ += static_cast<uint64_t>(std::count(carry_.begin(), carry_.end(), '\n'));
      dropped += carry_.size();
      carry_.clear();
      cleared = true;
      if (eof_) {
        bytes_ += dropped;
        return true;
      }
      fill(o_.chunk_bytes);
    }
  }

  BatchSource& source_;
  const BatchOptions& o_;
  std::string carry_;
  bool eof_ = false;
  bool bom_checked_ = false;
  bool defer_lines_ = false;
  uint64_t line_;
  uint64_t bytes_ = 0;
};

// What one thread needs to turn chunks into records.
class Worker {
 public:
  Worker(const std::shared_ptr<const Policy>& policy, const CompactFormatter& compact, const BatchOptions& o,
         const std::optional<CsvCases>& csv)
      : policy_(policy), json_(policy->schema()), compact_(compact), o_(o), csv_(csv) {
    if (o.evaluator != nullptr && o.jobs <= 1) {
      evaluator_ = o.evaluator;
    } else {
      own_evaluator_.emplace(policy);
      evaluator_ = &*own_evaluator_;
    }
  }

  void process(Chunk* c) {
    c->out_size = 0;
    c->lines = 0;
    c->stats = BatchStats{};
    if (c->oversized) {
      too_long(c, c->first_line);
      return;
    }
    switch (o_.format) {
      case InputFormat::kJsonLines: json_lines(c); break;
      case InputFormat::kYaml: yaml_documents(c); break;
      case InputFormat::kCsv: csv_rows(c); break;
    }
  }

 private:
  // The reader cuts off a record longer than the limit when it finds no end
  // to it; one that fits in a chunk is caught here (the limit holds whatever
  // the chunk size).
  void too_long(Chunk* c, uint64_t line) {
    error(c, line, {}, BatchErrorKind::kParse,
          "the record is longer than " + std::to_string(o_.max_record_bytes) + " bytes (--max-record-bytes)");
  }

  // Whether the caller's time budget ran out (then the record is a timeout error).
  bool out_of_time(Chunk* c, uint64_t line) {
    if (!o_.deadline || std::chrono::steady_clock::now() <= *o_.deadline) return false;
    error(c, line, {}, BatchErrorKind::kTimeout, o_.timeout_message);
    return true;
  }

  void json_lines(Chunk* c) {
    const char* base = c->data.data();
    size_t pos = 0;
    uint64_t line = c->first_line;
    while (pos < c->size) {
      const void* nl = std::memchr(base + pos, '\n', c->size - pos);
      size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - base) : c->size;
      size_t len = end - pos;
      if (len > 0 && base[pos + len - 1] == '\r') --len;
      std::string_view text(base + pos, len);
      if (len > o_.max_record_bytes) {
        too_long(c, line);  // first, as the chunk reader does for a line it cannot hold
      } else if (is_blank_line(text)) {
        // No case and no error (a trailing blank line above all).
      } else if (!out_of_time(c, line)) {
        auto r = json_.parse(base + pos, len, c->data.size() - pos, &case_, &message_);
        if (r == JsonCaseParser::Result::kOk) {
          decide(c, line, text);
        } else if (r == JsonCaseParser::Result::kParseError) {
          error(c, line, case_.id, BatchErrorKind::kParse, message_);
        } else {
          // Every bad fact, each on its line as the other readers list them.
          if (!json_.more_problems().empty()) {
            const std::string id = case_.id.empty() ? default_case_id(line) : case_.id;
            for (const JsonCaseParser::Problem& p : json_.more_problems())
              append_case_problem(&message_, {o_.label, static_cast<int>(line), 0}, id, p.message);
          }
          error(c, line, case_.id, BatchErrorKind::kCase, message_);
        }
      }
      pos = end + 1;
      ++line;
    }
    c->lines = line - c->first_line;  // one a '\n' (a last line without one ends the input)
  }

  // The documents cut by the one YAML splitter, each read by the case reader.
  void yaml_documents(Chunk* c) {
    std::string_view all(c->data.data(), c->size);
    for (const YamlPiece& piece : split_yaml_documents(all)) {
      const uint64_t line = c->first_line + static_cast<uint64_t>(piece.line);
      if (piece.text.size() > o_.max_record_bytes) {
        too_long(c, line);
        continue;
      }
      inputs_.clear();
      read_yaml_document(piece.text, o_.label, policy_->schema(), static_cast<int>(line), o_.limits, &inputs_);
      refuse_uncertain(&inputs_, policy_->schema(), kBatchSureOnly);
      for (CaseInput& in : inputs_) {
        const uint64_t at = in.line > 0 ? static_cast<uint64_t>(in.line) : line;
        if (out_of_time(c, at)) continue;
        if (in.value) {
          case_ = std::move(*in.value);
          decide(c, at, {});
        } else {
          error(c, at, in.id, batch_kind_of(in.kind), in.message, in.column);
        }
      }
    }
  }

  void csv_rows(Chunk* c) {
    std::string_view all(c->data.data(), c->size);
    size_t pos = 0;
    uint64_t line = c->first_line;
    while (pos < all.size()) {
      size_t end = csv_row_end(all, pos);
      std::string_view row = all.substr(pos, end - pos);
      uint64_t lines = static_cast<uint64_t>(std::count(row.begin(), row.end(), '\n'));
      while (!row.empty() && (row.back() == '\n' || row.back() == '\r')) row.remove_suffix(1);
      if (is_blank_line(row)) {
        // No case and no error, as in JSON Lines.
      } else if (row.size() > o_.max_record_bytes) {
        too_long(c, line);
      } else if (!simdjson::validate_utf8(row.data(), row.size())) {  // the records are JSON: UTF-8 only
        error(c, line, {}, BatchErrorKind::kParse, "invalid UTF-8 (CSV input is UTF-8 text)");
      } else if (!out_of_time(c, line)) {
        if (csv_->read_row(row, &case_, &message_)) decide(c, line, {});
        else error(c, line, case_.id, BatchErrorKind::kCase, message_);
      }
      pos = end;
      line += std::max<uint64_t>(lines, 1);
    }
  }

  void decide(Chunk* c, uint64_t line, std::string_view text) {
    if (case_.id.empty()) case_.id = default_case_id(line);
    evaluator_->decide(case_, &decision_, o_.detail);
    if (decision_.failed) {
      error(c, line, case_.id, BatchErrorKind::kPlugin, decision_.error);
      return;
    }
    ++c->stats.records;
    ++c->stats.verdicts[static_cast<size_t>(decision_.verdict)];
    if (decision_.faults) ++c->stats.faulted;
    const size_t record_at = c->out_size;
    if (o_.detail) {
      std::string record = json_text(decision_json(*policy_, case_, decision_));
      record.push_back('\n');
      c->append(record);
    } else if (decision_.faults == 0) {
      char* end = compact_.write(c->reserve(compact_.bound(case_)), case_, decision_);
      c->out_size = static_cast<size_t>(end - c->out.data());
    } else {
      scratch_.clear();
      compact_.append(&scratch_, case_, decision_);
      c->append(scratch_);
    }
    if (o_.observer)
      o_.observer->decided(line, text, case_, decision_, std::string_view(c->out.data() + record_at, c->out_size - record_at));
  }

  void error(Chunk* c, uint64_t line, std::string_view id, BatchErrorKind kind, const std::string& message,
             int column = 0) {
    ++c->stats.records;
    ++c->stats.errors;
    switch (kind) {
      case BatchErrorKind::kParse: ++c->stats.parse_errors; break;
      case BatchErrorKind::kCase: ++c->stats.case_errors; break;
      case BatchErrorKind::kPlugin: ++c->stats.plugin_errors; break;
      case BatchErrorKind::kLimit: ++c->stats.limit_errors; break;
      case BatchErrorKind::kTimeout: ++c->stats.timeout_errors; break;
    }
    scratch_.clear();
    if (id.empty()) {
      default_id_ = default_case_id(line);
      id = default_id_;
    }
    append_error_record(&scratch_, id, line, batch_error_label(kind), message, column);
    c->append(scratch_);
    if (o_.observer)
      o_.observer->failed(line, kind, kind == BatchErrorKind::kPlugin ? &case_ : nullptr,
                          kind == BatchErrorKind::kPlugin ? &decision_ : nullptr, scratch_);
  }

  std::shared_ptr<const Policy> policy_;
  std::optional<Evaluator> own_evaluator_;
  Evaluator* evaluator_ = nullptr;
  JsonCaseParser json_;
  const CompactFormatter& compact_;
  const BatchOptions& o_;
  std::optional<CsvCases> csv_;  // a copy per worker: it keeps the row's cells
  CaseFacts case_;
  Decision decision_;
  std::string message_;
  std::string scratch_;  // a record built by appending, before it goes to the chunk
  std::string default_id_;
  std::vector<CaseInput> inputs_;
};

void add(BatchStats* total, const BatchStats& s) {
  total->records += s.records;
  total->errors += s.errors;
  total->parse_errors += s.parse_errors;
  total->case_errors += s.case_errors;
  total->plugin_errors += s.plugin_errors;
  total->limit_errors += s.limit_errors;
  total->timeout_errors += s.timeout_errors;
  total->faulted += s.faulted;
  for (int v = 0; v < kVerdictCount; ++v) total->verdicts[v] += s.verdicts[v];
}

// A blocking queue of chunk pointers.
class ChunkQueue {
 public:
  void push(Chunk* c) {
    {
      std::lock_guard<std::mutex> lock(m_);
      q_.push_back(c);
    }
    cv_.notify_one();
  }
  // Null once closed and drained.
  Chunk* pop() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return nullptr;
    Chunk* c = q_.front();
    q_.pop_front();
    return c;
  }
  void close() {
    {
      std::lock_guard<std::mutex> lock(m_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Chunk*> q_;
  bool closed_ = false;
};

}  // namespace

BatchStats run_batch(const std::shared_ptr<const Policy>& policy, int in_fd, int out_fd, const BatchOptions& o,
                     const BatchProgress& progress) {
  FdSource source(in_fd, o.label);
  FdSink sink(out_fd);
  return run_batch(policy, source, sink, o, progress);
}

BatchStats run_batch(const std::shared_ptr<const Policy>& policy, BatchSource& source, BatchSink& sink,
                     const BatchOptions& o, const BatchProgress& progress) {
  auto started = std::chrono::steady_clock::now();
  ChunkReader reader(source, o);
  std::optional<CsvCases> csv;
  if (o.format == InputFormat::kCsv) {
    std::string header = reader.read_csv_header();
    try {
      csv.emplace(policy->schema(), header);
    } catch (const std::invalid_argument& e) {
      throw BatchError(o.label + ":1: " + e.what());
    }
  }
  CompactFormatter compact(*policy);
  BatchStats total;

  if (o.jobs <= 1) {
    // One thread: read, decide and write in turn, with no hand-over at all.
    Worker worker(policy, compact, o, csv);
    Chunk chunk;
    reader.defer_line_count();
    while (reader.next(&chunk)) {
      worker.process(&chunk);
      if (chunk.lines_deferred) reader.add_lines(chunk.lines);
      sink.write(chunk.output());
      add(&total, chunk.stats);
      if (progress) progress(total.records, reader.bytes());
    }
  } else {
    // Reader (this thread) -> workers -> writer. A fixed pool of chunks bounds
    // memory: the reader waits for a free chunk when the pool is used up.
    const size_t pool_size = static_cast<size_t>(o.jobs) * 3;
    std::vector<std::unique_ptr<Chunk>> pool;
    ChunkQueue free_chunks, work, done;
    for (size_t i = 0; i < pool_size; ++i) {
      pool.push_back(std::make_unique<Chunk>());
      free_chunks.push(pool.back().get());
    }
    std::mutex error_mutex;
    std::string first_error;
    auto record_error = [&](const std::string& e) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (first_error.empty()) first_error = e;
    };

    std::vector<std::thread> threads;
    for (int i = 0; i < o.jobs; ++i) {
      threads.emplace_back([&] {
        // Each thread makes, uses and destroys its own Worker (so its plugin
        // instances): an instance never changes threads (plugin.h).
        std::unique_ptr<Worker> worker;
        try {
          worker = std::make_unique<Worker>(policy, compact, o, csv);
        } catch (const std::exception& e) {
          record_error(e.what());
        }
        while (Chunk* c = work.pop()) {
          try {
            if (!worker) throw BatchError("no worker");  // already recorded; drain the queue
            worker->process(c);
          } catch (const std::exception& e) {
            record_error(e.what());
            c->out_size = 0;
          }
          done.push(c);
        }
      });
    }
    std::atomic<uint64_t> bytes_done{0};
    std::thread writer([&] {
      std::map<uint64_t, Chunk*> waiting;  // finished early, waiting for their turn
      uint64_t next = 0;
      bool failed = false;
      while (Chunk* c = done.pop()) {
        waiting.emplace(c->seq, c);
        for (auto it = waiting.begin(); it != waiting.end() && it->first == next; it = waiting.begin()) {
          Chunk* ready = it->second;
          waiting.erase(it);
          if (!failed) {
            try {
              sink.write(ready->output());
            } catch (const std::exception& e) {
              record_error(e.what());
              failed = true;
            }
          }
          add(&total, ready->stats);
          ++next;
          free_chunks.push(ready);
          if (progress) progress(total.records, bytes_done.load());
        }
      }
    });

    uint64_t seq = 0;
    try {
      while (true) {
        Chunk* c = free_chunks.pop();
        if (!reader.next(c)) {
          free_chunks.push(c);
          break;
        }
        c->seq = seq++;
        bytes_done.store(reader.bytes());
        work.push(c);
      }
    } catch (const std::exception& e) {
      record_error(e.what());
    }
    work.close();
    for (auto& t : threads) t.join();
    done.close();
    writer.join();
    if (!first_error.empty()) throw BatchError(first_error);
  }
  total.bytes = reader.bytes();
  total.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return total;
}

}  // namespace insource
