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
#include "policy/evaluator.h"
#include "io/json_case_parser.h"
#include "io/json_text.h"
#include "io/record_format.h"
#include "io/report.h"

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

namespace {

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
  ChunkReader(int fd, const BatchOptions& o) : fd_(fd), o_(o) {}

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
    ssize_t n;
    do {
      n = ::read(fd_, carry_.data() + old, want);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw BatchError(o_.label + ": read error: " + std::strerror(errno));
    carry_.resize(old + static_cast<size_t>(n));
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
        // A document ends where a line starting with "---" begins; the last one
        // may continue in the next read, so cut before the last separator.
        size_t sep = last_separator();
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

  // The first line at or after `from` that starts with "---" (`from` itself
  // counts when it is 0 or follows a newline), or npos.
  size_t first_separator(size_t from) const {
    size_t pos = from;
    if (pos > 0 && carry_[pos - 1] != '\n') {
      size_t nl = carry_.find('\n', pos);
      if (nl == std::string::npos) return std::string::npos;
      pos = nl + 1;
    }
    while (pos < carry_.size()) {
      if (carry_.compare(pos, 3, "---") == 0) return pos;
      size_t nl = carry_.find('\n', pos);
      if (nl == std::string::npos) return std::string::npos;
      pos = nl + 1;
    }
    return std::string::npos;
  }

  size_t last_separator() const {
    size_t pos = carry_.size();
    while (pos > 0) {
      size_t nl = carry_.rfind('\n', pos - 1);
      if (nl == std::string::npos) return std::string::npos;
      if (carry_.compare(nl + 1, 3, "---") == 0) return nl + 1;
      pos = nl;
    }
    return std::string::npos;
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
      size_t end = o_.format == InputFormat::kYaml ? first_separator(cleared ? 0 : 1) : carry_.find('\n');
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

  int fd_;
  const BatchOptions& o_;
  std::string carry_;
  bool eof_ = false;
  bool bom_checked_ = false;
  bool defer_lines_ = false;
  uint64_t line_ = 1;
  uint64_t bytes_ = 0;
};

// What one thread needs to turn chunks into records.
class Worker {
 public:
  Worker(const std::shared_ptr<const Policy>& policy, const CompactFormatter& compact, const BatchOptions& o,
         const std::optional<CsvCases>& csv)
      : policy_(policy), evaluator_(policy), json_(policy->schema()), compact_(compact), o_(o), csv_(csv) {}

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
    error(c, line, {}, "parse",
          "the record is longer than " + std::to_string(o_.max_record_bytes) + " bytes (--max-record-bytes)");
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
      if (text.find_first_not_of(" \t") == std::string_view::npos) {
        error(c, line, {}, "parse", "empty line");
      } else if (len > o_.max_record_bytes) {
        too_long(c, line);
      } else {
        auto r = json_.parse(base + pos, len, c->data.size() - pos, &case_, &message_);
        if (r == JsonCaseParser::Result::kOk) decide(c, line);
        else error(c, line, case_.id, r == JsonCaseParser::Result::kParseError ? "parse" : "case", message_);
      }
      pos = end + 1;
      ++line;
    }
    c->lines = line - c->first_line;  // one a '\n' (a last line without one ends the input)
  }

  void yaml_documents(Chunk* c) {
    std::string_view all(c->data.data(), c->size);
    size_t pos = 0;
    uint64_t line = c->first_line;
    while (pos < all.size()) {
      // A document runs to the next line that starts with "---".
      size_t end = pos;
      uint64_t lines = 0;
      do {
        size_t nl = all.find('\n', end);
        end = nl == std::string_view::npos ? all.size() : nl + 1;
        ++lines;
      } while (end < all.size() && all.compare(end, 3, "---") != 0);
      std::string doc(all.substr(pos, end - pos));
      if (doc.size() > o_.max_record_bytes) {
        too_long(c, line);
      } else if (has_content(doc)) {
        for (CaseInput& in : read_cases(doc, o_.label, policy_->schema(), static_cast<int>(line))) {
          if (in.value) {
            case_ = std::move(*in.value);
            decide(c, line);
          } else {
            const bool unreadable = in.error.find("invalid YAML") != std::string::npos ||
                                    in.error.find("invalid UTF-8") != std::string::npos;
            error(c, line, in.id, unreadable ? "parse" : "case", in.error);
          }
        }
      }
      pos = end;
      line += lines;
    }
  }

  // Whether a YAML document holds more than a separator, blank lines and comments.
  static bool has_content(std::string_view doc) {
    size_t pos = 0;
    while (pos < doc.size()) {
      size_t nl = doc.find('\n', pos);
      std::string_view l = doc.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      if (l.compare(0, 3, "---") == 0) l.remove_prefix(3);
      size_t first = l.find_first_not_of(" \t\r");
      if (first != std::string_view::npos && l[first] != '#' && l.substr(first) != "...") return true;
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    return false;
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
      if (row.empty()) error(c, line, {}, "parse", "empty line");
      else if (row.size() > o_.max_record_bytes) too_long(c, line);
      else if (!simdjson::validate_utf8(row.data(), row.size()))  // the records are JSON: UTF-8 only
        error(c, line, {}, "parse", "invalid UTF-8 (CSV input is UTF-8 text)");
      else if (csv_->read_row(row, &case_, &message_)) decide(c, line);
      else error(c, line, case_.id, "case", message_);
      pos = end;
      line += std::max<uint64_t>(lines, 1);
    }
  }

  void decide(Chunk* c, uint64_t line) {
    evaluator_.decide(case_, &decision_, o_.detail);
    if (decision_.failed) {
      error(c, line, case_.id, "plugin", decision_.error);
      return;
    }
    ++c->stats.records;
    ++c->stats.verdicts[static_cast<size_t>(decision_.verdict)];
    if (decision_.faults) ++c->stats.faulted;
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
  }

  void error(Chunk* c, uint64_t line, std::string_view id, std::string_view kind, const std::string& message) {
    ++c->stats.records;
    ++c->stats.errors;
    if (kind == "parse") ++c->stats.parse_errors;
    else if (kind == "case") ++c->stats.case_errors;
    else ++c->stats.plugin_errors;
    scratch_.clear();
    append_error_record(&scratch_, id, line, kind, message);
    c->append(scratch_);
  }

  std::shared_ptr<const Policy> policy_;
  Evaluator evaluator_;
  JsonCaseParser json_;
  const CompactFormatter& compact_;
  const BatchOptions& o_;
  std::optional<CsvCases> csv_;  // a copy per worker: it keeps the row's cells
  Case case_;
  Decision decision_;
  std::string message_;
  std::string scratch_;  // a record built by appending, before it goes to the chunk
};

void write_all(int fd, std::string_view s) {
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw BatchError(std::string("write error: ") + std::strerror(errno));
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void add(BatchStats* total, const BatchStats& s) {
  total->records += s.records;
  total->errors += s.errors;
  total->parse_errors += s.parse_errors;
  total->case_errors += s.case_errors;
  total->plugin_errors += s.plugin_errors;
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
  auto started = std::chrono::steady_clock::now();
  ChunkReader reader(in_fd, o);
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
      write_all(out_fd, chunk.output());
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
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < o.jobs; ++i) workers.push_back(std::make_unique<Worker>(policy, compact, o, csv));

    std::mutex error_mutex;
    std::string first_error;
    auto record_error = [&](const std::string& e) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (first_error.empty()) first_error = e;
    };

    std::vector<std::thread> threads;
    for (int i = 0; i < o.jobs; ++i) {
      threads.emplace_back([&, i] {
        while (Chunk* c = work.pop()) {
          try {
            workers[static_cast<size_t>(i)]->process(c);
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
              write_all(out_fd, ready->output());
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
