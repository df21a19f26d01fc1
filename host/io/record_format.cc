#include "io/record_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "io/json_case_parser.h"

namespace insource {

void append_number(std::string* out, double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out->append(buf, r.ptr);
}

namespace {

// n < 10^8 as eight ASCII digits, the first in the lowest byte: two halves
// of four in 32-bit lanes, then pairs in 16-bit lanes, then digits in bytes,
// each step a multiply-shift division in every lane at once.
inline uint64_t ascii8(uint32_t n) {
  uint64_t x = (n / 10000) | (static_cast<uint64_t>(n % 10000) << 32);
  uint64_t y = ((x * 10486) >> 20) & 0x0000007F0000007FULL;  // /100 for < 10000
  x = y | ((x - y * 100) << 16);
  y = ((x * 103) >> 10) & 0x000F000F000F000FULL;  // /10 for < 100
  x = y | ((x - y * 10) << 8);
  return x | 0x3030303030303030ULL;
}

// n < 10^4 as four ASCII digits, the first in the lowest byte.
inline uint32_t ascii4(uint32_t n) {
  uint32_t x = (n / 100) | ((n % 100) << 16);
  uint32_t y = ((x * 103) >> 10) & 0x000F000FU;
  x = y | ((x - y * 10) << 8);
  return x | 0x30303030U;
}

}  // namespace

char* write_fixed12(char* p, double d) {
  // Beyond +-9e6 the scaled value would not fit an int64: use the general form.
  if (!(d > -9e6 && d < 9e6)) return std::to_chars(p, p + kFixed12Room, d).ptr;
  // Round half away from zero, as llround does, without the libm call.
  const double x = d * 1e12;
  const long long scaled = static_cast<long long>(x >= 0 ? x + 0.5 : x - 0.5);
  const unsigned long long u =
      scaled < 0 ? 0ULL - static_cast<unsigned long long>(scaled) : static_cast<unsigned long long>(scaled);
  unsigned long long whole = u / 1000000000000ULL;
  const unsigned long long frac = u % 1000000000000ULL;
  if (scaled < 0) *p++ = '-';
  if (whole < 10) {
    *p++ = static_cast<char>('0' + whole);
  } else {
    char buf[24];
    char* q = buf + sizeof buf;
    do {
      *--q = static_cast<char>('0' + whole % 10);
      whole /= 10;
    } while (whole != 0);
    const size_t n = static_cast<size_t>(buf + sizeof buf - q);
    std::memcpy(p, q, n);
    p += n;
  }
  if (frac == 0) return p;
  *p++ = '.';
  // The twelve decimals as a word of four digits and one of eight, converted
  // in registers (SWAR), stored once each; the trailing zeros are found in
  // the register (reading the digits back from memory would stall on the
  // narrower stores that wrote them).
  const uint32_t top = static_cast<uint32_t>(frac / 100000000), bottom = static_cast<uint32_t>(frac % 100000000);
  const uint32_t head = ascii4(top);
  const uint64_t tail = ascii8(bottom);
  std::memcpy(p, &head, 4);
  std::memcpy(p + 4, &tail, 8);
  constexpr uint64_t kZeros = 0x3030303030303030ULL;
  if (const uint64_t t = tail ^ kZeros; t != 0) return p + 4 + (63 - __builtin_clzll(t)) / 8 + 1;
  // frac != 0, so one of the first four is not '0'.
  return p + (31 - __builtin_clz(head ^ static_cast<uint32_t>(kZeros))) / 8 + 1;
}

void append_fixed12(std::string* out, double d) {
  char buf[kFixed12Room];
  out->append(buf, write_fixed12(buf, d));
}

namespace {

// Writes s as a JSON string at p (room for 6 * s.size() + 2 bytes).
char* write_json_string(char* p, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  *p++ = '"';
  for (char ch : s) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (u >= 0x20 && u != '"' && u != '\\') {
      *p++ = ch;
      continue;
    }
    *p++ = '\\';
    switch (u) {
      case '"': *p++ = '"'; break;
      case '\\': *p++ = '\\'; break;
      case '\n': *p++ = 'n'; break;
      case '\r': *p++ = 'r'; break;
      case '\t': *p++ = 't'; break;
      default:
        std::memcpy(p, "u00", 3);
        p[3] = kHex[u >> 4];
        p[4] = kHex[u & 15];
        p += 5;
    }
  }
  *p++ = '"';
  return p;
}

}  // namespace

CompactFormatter::Piece CompactFormatter::piece(std::string_view s) {
  Piece out;
  out.length = s.size();
  out.text.assign(s);
  out.text.resize((s.size() + 15) / 16 * 16 + 16, '\0');
  return out;
}

char* CompactFormatter::put(char* p, const Piece& piece) {
  for (size_t i = 0; i < piece.length; i += 16) std::memcpy(p + i, piece.text.data() + i, 16);
  return p + piece.length;
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
  // What write() needs besides the id: the longest of each choice, each
  // number at most kFixed12Room, and 16 bytes of spill for the block copies.
  size_t longest_verdict = 0, longest_rule = 0;
  for (const std::string& v : verdicts_) {
    verdict_pieces_.push_back(piece(v));
    longest_verdict = std::max(longest_verdict, v.size());
  }
  rule_null_ = piece(",\"rule\":null");
  longest_rule = rule_null_.length;
  for (const std::string& r : rules_) {
    rule_pieces_.push_back(piece(r));
    longest_rule = std::max(longest_rule, r.size());
  }
  fixed_bound_ = 16 + 2 + longest_verdict + kFixed12Room + longest_rule + 32;
  for (const std::string& c : criteria_) {
    criterion_pieces_.push_back(piece(c));
    fixed_bound_ += c.size() + kFixed12Room;
  }
}

char* CompactFormatter::write(char* p, const CaseFacts& c, const Decision& d) const {
  std::memcpy(p, "{\"id\":", 6);
  p = write_json_string(p + 6, c.id);
  p = put(p, verdict_pieces_[static_cast<size_t>(d.verdict)]);
  p = write_fixed12(p, d.total);
  p = put(p, d.rule >= 0 ? rule_pieces_[static_cast<size_t>(d.rule)] : rule_null_);
  for (size_t i = 0; i < criterion_pieces_.size(); ++i) {
    p = put(p, criterion_pieces_[i]);
    if (d.criteria[i].state == CriterionOutcome::State::kVoted) {
      p = write_fixed12(p, d.criteria[i].score);
    } else {
      std::memcpy(p, "null", 4);
      p += 4;
    }
  }
  if (criterion_pieces_.empty()) {
    std::memcpy(p, ",\"scores\":{}}\n", 14);
    return p + 14;
  }
  std::memcpy(p, "}}\n", 3);
  return p + 3;
}

void CompactFormatter::append(std::string* out, const CaseFacts& c, const Decision& d) const {
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
                         std::string_view message, int column) {
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
  if (column > 0) {
    out->append(",\"column\":");
    r = std::to_chars(buf, buf + sizeof buf, column);
    out->append(buf, r.ptr);
  }
  out->append(",\"error\":{\"kind\":");
  append_json_string(out, kind);
  out->append(",\"message\":");
  append_json_string(out, message);
  out->append("}}\n");
}

}  // namespace insource
