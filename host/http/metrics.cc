#include "http/metrics.h"

#include <cstdio>

namespace insource::server {

namespace {

constexpr const char* kEndpointLabels[kEndpointCount] = {"/v1/decide",  "/v1/batch",  "/v1/plugins",
                                                         "/v1/rules",   "/v1/reload", "/healthz",
                                                         "/readyz",     "/metrics",   "/v1/what-if/rules",
                                                         "/v1/report", "/v1/cases", "/",         "/v1/weights/ahp",
                                                         "/v1/calibrate", "other"};

constexpr const char* kErrorLabels[kErrorKindCount] = {
    "parse",        "case",      "plugin", "timeout",     "auth",   "body_limit", "header_limit",
    "content_type", "not_found", "method", "bad_request", "reload", "internal"};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

Endpoint endpoint_of(std::string_view path) {
  // The explorer's page and its assets (explorer_assets.h) count as one.
  if (path == "/" || path == "/index.html" || path == "/explorer.js" || path == "/explorer.css" || path == "/report.css" ||
      path.substr(0, 10) == "/examples/")
    return Endpoint::kExplorer;
  for (size_t i = 0; i + 1 < kEndpointCount; ++i)
    if (path == kEndpointLabels[i]) return static_cast<Endpoint>(i);
  return Endpoint::kOther;
}

const char* endpoint_label(Endpoint e) { return kEndpointLabels[static_cast<size_t>(e)]; }
const char* error_kind_label(ErrorKind k) { return kErrorLabels[static_cast<size_t>(k)]; }

size_t Metrics::code_index(int status) {
  for (size_t i = 0; i + 1 < kCodes.size(); ++i)
    if (kCodes[i] == status) return i;
  return kCodes.size() - 1;
}

void Metrics::request(Endpoint e, int status, double seconds) {
  PerEndpoint& p = endpoints_[static_cast<size_t>(e)];
  p.by_code[code_index(status)].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  p.buckets[b].fetch_add(1, std::memory_order_relaxed);
  p.count.fetch_add(1, std::memory_order_relaxed);
  p.sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void Metrics::plugin_fault(const std::string& criterion) {
  std::lock_guard<std::mutex> lock(faults_mutex_);
  ++plugin_faults_[criterion];
}

std::string prometheus_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string Metrics::render() const {
  std::string out;
  out += "# HELP insource_http_requests_total HTTP requests answered, by endpoint and status code.\n";
  out += "# TYPE insource_http_requests_total counter\n";
  for (size_t e = 0; e < kEndpointCount; ++e) {
    for (size_t c = 0; c < kCodes.size(); ++c) {
      uint64_t n = endpoints_[e].by_code[c].load(std::memory_order_relaxed);
      if (n == 0 && !(c == 0 && e == 0)) continue;
      std::string code = kCodes[c] ? std::to_string(kCodes[c]) : "other";
      out += "insource_http_requests_total{endpoint=\"" + std::string(kEndpointLabels[e]) + "\",code=\"" + code +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP insource_decisions_total Decisions made, by verdict.\n";
  out += "# TYPE insource_decisions_total counter\n";
  for (int v = 0; v < kVerdictCount; ++v)
    out += "insource_decisions_total{verdict=\"" + std::string(verdict_name(static_cast<Verdict>(v))) + "\"} " +
           std::to_string(verdicts_[static_cast<size_t>(v)].load(std::memory_order_relaxed)) + "\n";
  out += "# HELP insource_errors_total Errors, by kind (requests refused, and records that got an error).\n";
  out += "# TYPE insource_errors_total counter\n";
  for (size_t k = 0; k < kErrorKindCount; ++k)
    out += "insource_errors_total{kind=\"" + std::string(kErrorLabels[k]) + "\"} " +
           std::to_string(errors_[k].load(std::memory_order_relaxed)) + "\n";
  out += "# HELP insource_plugin_faults_total Plugin faults while deciding, by criterion.\n";
  out += "# TYPE insource_plugin_faults_total counter\n";
  {
    std::lock_guard<std::mutex> lock(faults_mutex_);
    for (const auto& [criterion, n] : plugin_faults_)
      out += "insource_plugin_faults_total{criterion=\"" + prometheus_label(criterion) + "\"} " + std::to_string(n) +
             "\n";
  }
  out += "# HELP insource_request_duration_seconds Time from the request's headers to the end of its response.\n";
  out += "# TYPE insource_request_duration_seconds histogram\n";
  for (size_t e = 0; e < kEndpointCount; ++e) {
    const PerEndpoint& p = endpoints_[e];
    uint64_t count = p.count.load(std::memory_order_relaxed);
    if (count == 0 && e != 0) continue;
    std::string ep = std::string("endpoint=\"") + kEndpointLabels[e] + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += p.buckets[b].load(std::memory_order_relaxed);
      std::string le = b < kBuckets.size() ? number(kBuckets[b]) : "+Inf";
      out += "insource_request_duration_seconds_bucket{" + ep + ",le=\"" + le + "\"} " + std::to_string(cumulative) +
             "\n";
    }
    out += "insource_request_duration_seconds_sum{" + ep + "} " +
           number(static_cast<double>(p.sum_ns.load(std::memory_order_relaxed)) / 1e9) + "\n";
    out += "insource_request_duration_seconds_count{" + ep + "} " + std::to_string(cumulative) + "\n";
  }
  return out;
}

}  // namespace insource::server
