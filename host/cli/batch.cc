// insource batch: decide a stream of cases, one JSON record per case, in order.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <fstream>
#include <optional>
#include <thread>

#include "service/batch.h"
#include "common.h"
#include "io/host_output.h"
#include "tools/report_html.h"
#include "plugin_host/sha256.h"

namespace insource::cli {

namespace {

struct BatchCliOptions {
  EngineOptions engine;
  int jobs = 0;  // 0: all cores
  bool detail = false;
  bool quiet = false;
  std::string input = "-";
  std::string output = "-";
  std::string input_format;
  std::string report;  // an HTML summary of the run, from the records written
  size_t max_record_bytes = 1 << 20;
};

// A one-line progress display on a terminal: cases done, rate, and the ETA
// when the input's size is known.
class ProgressBar {
 public:
  explicit ProgressBar(uint64_t input_bytes) : total_bytes_(input_bytes), start_(Clock::now()) {}

  void update(uint64_t records, uint64_t bytes) {
    auto now = Clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(200)) return;  // the first at once, then 5 a second
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? static_cast<double>(records) / secs : 0;
    char line[160];
    int n = std::snprintf(line, sizeof line, "\r  %llu cases, %.0f cases/s", static_cast<unsigned long long>(records), rate);
    if (total_bytes_ > 0 && bytes > 0) {
      double done = static_cast<double>(bytes) / static_cast<double>(total_bytes_);
      double eta = done > 0 ? secs / done - secs : 0;
      n += std::snprintf(line + n, sizeof line - static_cast<size_t>(n), ", %3.0f%%, ETA %.0f s", done * 100, eta);
    }
    std::fprintf(stderr, "%s   ", line);
    shown_ = true;
  }

  void finish() {
    if (shown_) std::fprintf(stderr, "\r%80s\r", "");
  }

 private:
  using Clock = std::chrono::steady_clock;
  uint64_t total_bytes_;
  Clock::time_point start_, last_{};
  bool shown_ = false;
};

// 1234567 -> "1,234,567". Built front to back (an insert in place drew a
// false -Wrestrict from GCC 12).
std::string with_commas(uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  s.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s.push_back(',');
    s.push_back(digits[i]);
  }
  return s;
}

// Writes all of `data` to `fd` (the host's output, not fd 1: that is
// stderr once plugins may print, io/host_output.h).
bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Reads the records back from `fd` (from its start) into a batch summary and
// writes the HTML report; with `echo`, copies them to standard output too.
bool write_report(const Policy& policy, const BatchCliOptions& o, int fd, bool echo) {
  BatchSummary summary(report_policy_of(policy, sha256_hex(policy.rules().resolved_text)));
  std::string buf, line;
  uint64_t n = 0;
  char chunk[1 << 16];
  ssize_t got;
  off_t at = 0;
  auto take_line = [&](std::string_view l) {
    ++n;
    nlohmann::json r = nlohmann::json::parse(l, nullptr, false);
    if (!r.is_discarded()) summary.add(r, n);
  };
  while ((got = ::pread(fd, chunk, sizeof chunk, at)) > 0) {
    at += got;
    if (echo && !write_all(host_output_fd(), chunk, static_cast<size_t>(got))) return false;
    buf.append(chunk, static_cast<size_t>(got));
    size_t start = 0, nl;
    while ((nl = buf.find('\n', start)) != std::string::npos) {
      take_line(std::string_view(buf).substr(start, nl - start));
      start = nl + 1;
    }
    buf.erase(0, start);
  }
  if (!buf.empty()) take_line(buf);
  std::ofstream out(o.report, std::ios::binary | std::ios::trunc);
  out << report_document("insource batch report: " + o.input, report_policy_of(policy, sha256_hex(policy.rules().resolved_text)),
                         summary.html(), summary.numbers().dump());
  out.close();
  if (!out) {
    std::cerr << "insource: " << o.report << ": cannot write the report\n";
    return false;
  }
  return true;
}

int run(const BatchCliOptions& o) {
  auto policy = load_engine(o.engine);
  if (!policy) return kExitUsage;

  BatchOptions bo;
  bo.jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bo.detail = o.detail;
  bo.max_record_bytes = o.max_record_bytes;
  bo.limits = o.engine.limits;
  bo.label = o.input == "-" ? "<stdin>" : o.input;
  bo.format = input_format_for(o.input);
  if (!o.input_format.empty()) parse_input_format(o.input_format, &bo.format);

  int in_fd = 0, out_fd = host_output_fd();
  if (o.input != "-") {
    in_fd = ::open(o.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (in_fd < 0) {
      std::cerr << "insource: " << o.input << ": cannot open: " << std::strerror(errno) << "\n";
      return kExitUsage;
    }
  }
  // The report is made from the records as written: to standard output they
  // go through a temporary file first.
  FILE* spool = nullptr;
  if (o.output == "-" && !o.report.empty()) {
    spool = std::tmpfile();
    if (!spool) {
      std::cerr << "insource: --report: cannot make a temporary file: " << std::strerror(errno) << "\n";
      return kExitUsage;
    }
    out_fd = ::fileno(spool);
  }
  if (o.output != "-") {
    out_fd = ::open(o.output.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      std::cerr << "insource: " << o.output << ": cannot open for writing: " << std::strerror(errno) << "\n";
      return kExitUsage;
    }
  }
  struct stat st {};
  uint64_t input_bytes = (::fstat(in_fd, &st) == 0 && S_ISREG(st.st_mode)) ? static_cast<uint64_t>(st.st_size) : 0;

  // The progress bar is for a person at a terminal, never for a pipe or a file.
  std::optional<ProgressBar> bar;
  if (!o.quiet && ::isatty(2)) bar.emplace(input_bytes);
  BatchProgress progress;
  if (bar) progress = [&](uint64_t records, uint64_t bytes) { bar->update(records, bytes); };

  BatchStats s;
  try {
    s = run_batch(policy, in_fd, out_fd, bo, progress);
  } catch (const BatchError& e) {
    if (bar) bar->finish();
    std::cerr << "insource: " << e.what() << "\n";
    return kExitUsage;
  }
  if (bar) bar->finish();
  if (!o.report.empty() && !write_report(*policy, o, out_fd, spool != nullptr)) return kExitUsage;
  if (spool) {
    std::fclose(spool);
  } else if (out_fd != host_output_fd() && ::close(out_fd) != 0) {
    std::cerr << "insource: " << o.output << ": " << std::strerror(errno) << "\n";
    return kExitUsage;
  }

  std::string verdicts;
  for (int v = 0; v < kVerdictCount; ++v) {
    if (!s.verdicts[v]) continue;
    if (!verdicts.empty()) verdicts += ", ";
    verdicts += verdict_name(static_cast<Verdict>(v));
    verdicts += ' ';
    verdicts += with_commas(s.verdicts[v]);
  }
  double rate = s.seconds > 0 ? static_cast<double>(s.records) / s.seconds : 0;
  // "1 case", "2 cases": a count with its noun in the right number.
  auto count = [](uint64_t n, const char* one, const char* many) { return with_commas(n) + " " + (n == 1 ? one : many); };
  std::string kinds = "parse " + with_commas(s.parse_errors) + ", case " + with_commas(s.case_errors) + ", plugin " +
                      with_commas(s.plugin_errors);
  if (s.limit_errors) kinds += ", limit " + with_commas(s.limit_errors);
  if (s.timeout_errors) kinds += ", timeout " + with_commas(s.timeout_errors);
  std::fprintf(stderr, "insource batch: %s (%s); %s (%s); %.2f s, %s cases/s, %s\n",
               count(s.records, "case", "cases").c_str(), verdicts.empty() ? "no verdicts" : verdicts.c_str(),
               count(s.errors, "error", "errors").c_str(), kinds.c_str(), s.seconds,
               with_commas(static_cast<uint64_t>(rate)).c_str(), count(static_cast<uint64_t>(bo.jobs), "job", "jobs").c_str());
  if (s.faulted)
    std::fprintf(stderr, "insource batch: %s cases decided despite a plugin fault (on_error; see \"faults\" in their records)\n",
                 with_commas(s.faulted).c_str());
  return s.errors ? kExitFailed : kExitOk;
}

}  // namespace

void register_batch(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<BatchCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "batch", "Decide a stream of cases (JSON Lines, YAML documents or CSV): one JSON record per case, in input order");
  add_engine_options(cmd, &o->engine);
  cmd->add_option("--jobs,-j", o->jobs, "Worker threads (default: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_flag("--detail", o->detail, "Full records, as `decide --format json`, instead of compact ones");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress bar (it is never shown on a pipe anyway)");
  cmd->add_option("--input-format", o->input_format, "jsonl, yaml or csv (default: from the file name; jsonl for stdin)")
      ->check(CLI::IsMember({"jsonl", "json", "yaml", "csv"}));
  cmd->add_option("--max-record-bytes", o->max_record_bytes, "A longer line or document becomes an error record")
      ->check(CLI::Range(size_t{64}, size_t{1} << 30));
  cmd->add_option("input", o->input, "Cases to decide (- for standard input)")->type_name("INPUT");
  cmd->add_option("-o,--output", o->output, "Where the records go (- for standard output)")->type_name("OUTPUT");
  cmd->add_option("--report", o->report,
                  "Also write an HTML summary of the run: verdicts, score distributions, overrides, the cases "
                  "closest to a threshold, every error record")
      ->type_name("FILE");
  cmd->callback([o, exit_code]() { *exit_code = run(*o); });
}

}  // namespace insource::cli
