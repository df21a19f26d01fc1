#include "record_format.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "json_case_parser.h"

namespace insource {

void append_number(std::string* out, double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out->append(buf, r.ptr);
}

namespace {

// "00" .. "99", to write two digits per division.
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

}  // namespace

void append_fixed12(std::string* out, double d) {
  // Beyond +-9e6 the scaled value would not fit an int64: use the general form.
  if (!(d > -9e6 && d < 9e6)) return append_number(out, d);
  // Round half away from zero, as llround does, without the libm call.
  const double x = d * 1e12;
  const long long scaled = static_cast<long long>(x >= 0 ? x + 0.5 : x - 0.5);
  unsigned long long u = scaled < 0 ? 0ULL - static_cast<unsigned long long>(scaled) : static_cast<unsigned long long>(scaled);
  unsigned long long whole = u / 1000000000000ULL, frac = u % 1000000000000ULL;
  char buf[40];
  char* const end = buf + sizeof buf;
  char* p = end;
  if (frac != 0) {
    // All twelve decimals, two at a time, as two independent halves of six
    // (shorter chains of dependent divisions), then the trailing zeros dropped.
    uint32_t hi = static_cast<uint32_t>(frac / 1000000), lo = static_cast<uint32_t>(frac % 1000000);
    p -= 12;
    for (int i = 2; i >= 0; --i) {
      std::memcpy(p + 2 * i, kDigitPairs + 2 * (hi % 100), 2);
      std::memcpy(p + 6 + 2 * i, kDigitPairs + 2 * (lo % 100), 2);
      hi /= 100;
      lo /= 100;
    }
    *--p = '.';
  }
  char* stop = end;
  if (p != end)
    while (stop[-1] == '0') --stop;
  do {
    *--p = static_cast<char>('0' + whole % 10);
    whole /= 10;
  } while (whole != 0);
  if (scaled < 0) *--p = '-';
  out->append(p, stop);
}

CompactFormatter::CompactFormatter(const Policy& p) {
  for (int v = 0; v < kVerdictCount; ++v) {
    std::string s = ",\"verdict\":";
    append_json_string(&s, verdict_name(static_cast<Verdict>(v)));
    verdicts_.push_back(s + ",\"total\":");
  }
  for (const CompiledOverride& o : p.overrides()) {
    std::string s = ",\"rule\":";
    append_json_string(&s, o.id);
    rules_.push_back(std::move(s));
  }
  for (size_t i = 0; i < p.criteria().size(); ++i) {
    std::string s = i == 0 ? ",\"scores\":{" : ",";
    append_json_string(&s, p.criteria()[i].name);
    criteria_.push_back(s + ":");
    std::string f;
    append_json_string(&f, p.criteria()[i].name);
    f += ":{\"plugin\":";
    append_json_string(&f, p.criteria()[i].plugin->name());
    f += ",\"on_error\":";
    append_json_string(&f, fault_policy_name(p.criteria()[i].on_error));
    f += ",\"message\":";
    faults_.push_back(std::move(f));
  }
}

void CompactFormatter::append(std::string* out, const Case& c, const Decision& d) const {
  out->append("{\"id\":");
  append_json_string(out, c.id);
  out->append(verdicts_[static_cast<size_t>(d.verdict)]);
  append_fixed12(out, d.total);
  if (d.rule >= 0) out->append(rules_[static_cast<size_t>(d.rule)]);
  else out->append(",\"rule\":null");
  for (size_t i = 0; i < criteria_.size(); ++i) {
    out->append(criteria_[i]);
    if (d.criteria[i].state == CriterionOutcome::State::kVoted) append_fixed12(out, d.criteria[i].score);
    else out->append("null");
  }
  if (d.faults == 0) {
    out->append(criteria_.empty() ? ",\"scores\":{}}\n" : "}}\n");
    return;
  }
  // Faults that did not fail the case (on_error abstain or a verdict): each named.
  out->append(criteria_.empty() ? ",\"scores\":{}" : "}");
  out->append(",\"faults\":{");
  bool first = true;
  for (size_t i = 0; i < faults_.size(); ++i) {
    if (!d.criteria[i].fault) continue;
    if (!first) out->push_back(',');
    first = false;
    out->append(faults_[i]);
    append_json_string(out, d.criteria[i].error);
    out->push_back('}');
  }
  out->append("}}\n");
}

void append_error_record(std::string* out, std::string_view id, uint64_t line, std::string_view kind,
                         std::string_view message) {
  out->push_back('{');
  if (!id.empty()) {
    out->append("\"id\":");
    append_json_string(out, id);
    out->push_back(',');
  }
  out->append("\"line\":");
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, line);
  out->append(buf, r.ptr);
  out->append(",\"error\":{\"kind\":");
  append_json_string(out, kind);
  out->append(",\"message\":");
  append_json_string(out, message);
  out->append("}}\n");
}

}  // namespace insource
