// Counters and a latency histogram for `insource serve`, rendered in the
// Prometheus text format (version 0.0.4). Lock-free on the request path: every
// counter is an atomic in a fixed table, except plugin faults by criterion
// (rare) which take a mutex.
#ifndef INSOURCE_SERVER_METRICS_H_
#define INSOURCE_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/verdict.h"

namespace insource::server {

enum class Endpoint : uint8_t {
  kDecide, kBatch, kPlugins, kRules, kReload, kHealthz, kReadyz, kMetrics,
  kWhatIfRules, kReport, kCases, kExplorer,  // the explorer's: what-if rules file, batch summary, cases read, the page
  kWeightsAhp, kCalibrate,                   // decision analysis (analysis_endpoints.cc)
  kOther
};
inline constexpr size_t kEndpointCount = 15;
Endpoint endpoint_of(std::string_view path);
const char* endpoint_label(Endpoint e);

// What went wrong, for insource_errors_total{kind=...}.
enum class ErrorKind : uint8_t {
  kParse,          // a body or record that is not JSON
  kCase,           // a case that does not fit the policy's facts
  kPlugin,         // a plugin fault while deciding
  kTimeout,        // the per-request time budget ran out
  kAuth,           // no or a wrong bearer token
  kBodyLimit,      // 413
  kHeaderLimit,    // 431
  kContentType,    // 415
  kNotFound,       // 404
  kMethod,         // 405
  kBadRequest,     // other 400s: a bad query parameter, a malformed request
  kReload,         // a reload that was refused
  kInternal,       // 500
};
inline constexpr size_t kErrorKindCount = 13;
const char* error_kind_label(ErrorKind k);

class Metrics {
 public:
  // Latency buckets (seconds, upper bounds; +Inf implied).
  static constexpr std::array<double, 16> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};

  void request(Endpoint e, int status, double seconds);
  void decisions(Verdict v, uint64_t n = 1) { verdicts_[static_cast<size_t>(v)].fetch_add(n, std::memory_order_relaxed); }
  void error(ErrorKind k, uint64_t n = 1) { errors_[static_cast<size_t>(k)].fetch_add(n, std::memory_order_relaxed); }
  void plugin_fault(const std::string& criterion);

  // The counters and the histogram, in the text format.
  std::string render() const;

  uint64_t decision_count(Verdict v) const { return verdicts_[static_cast<size_t>(v)].load(std::memory_order_relaxed); }
  uint64_t error_count(ErrorKind k) const { return errors_[static_cast<size_t>(k)].load(std::memory_order_relaxed); }

 private:
  static constexpr std::array<int, 14> kCodes = {200, 204, 400, 401, 404, 405, 413, 414, 415, 422, 431, 500, 503, 0};
  static size_t code_index(int status);

  struct PerEndpoint {
    std::array<std::atomic<uint64_t>, kCodes.size()> by_code{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // the last is +Inf
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_ns{0};
  };
  std::array<PerEndpoint, kEndpointCount> endpoints_{};
  std::array<std::atomic<uint64_t>, kVerdictCount> verdicts_{};
  std::array<std::atomic<uint64_t>, kErrorKindCount> errors_{};
  mutable std::mutex faults_mutex_;
  std::map<std::string, uint64_t> plugin_faults_;
};

// Escapes a label value for the text format.
std::string prometheus_label(std::string_view v);

}  // namespace insource::server

#endif  // INSOURCE_SERVER_METRICS_H_
