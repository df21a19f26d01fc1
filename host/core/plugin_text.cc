#include "core/plugin_text.h"

#include <cstdint>
#include <cstring>

namespace insource {

namespace {

// The length of the well-formed sequence at s[i], or 0 (RFC 3629, table 3-7 of Unicode).
size_t sequence_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) n = 3, lo = 0xA0;
  else if (c == 0xED) n = 3, hi = 0x9F;  // no surrogates
  else if (c >= 0xE1 && c <= 0xEF) n = 3;
  else if (c == 0xF0) n = 4, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else if (c == 0xF4) n = 4, hi = 0x8F;  // nothing above U+10FFFF
  else return 0;
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  return n;
}

// The length of the ASCII run at the start of s, found 8 bytes at a time.
size_t ascii_prefix(std::string_view s) {
  size_t i = 0;
  for (uint64_t word; i + 8 <= s.size(); i += 8) {
    std::memcpy(&word, s.data() + i, 8);
    if (word & 0x8080808080808080ull) break;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (size_t i = ascii_prefix(s); i < s.size();) {
    size_t n = sequence_length(s, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

std::string valid_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = sequence_length(s, i);
    if (n) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string plugin_text(std::string_view s, size_t limit, size_t* original_bytes) {
  if (original_bytes) *original_bytes = 0;
  if (s.size() <= limit) return valid_utf8(s);
  if (original_bytes) *original_bytes = s.size();
  std::string_view kept = s.substr(0, limit);
  // Do not cut a sequence in two: drop a lead byte and its continuation
  // bytes when the cut left it short (at most three bytes back).
  size_t back = 0;
  while (back < 3 && back < kept.size() &&
         (static_cast<unsigned char>(kept[kept.size() - 1 - back]) & 0xC0) == 0x80)
    ++back;
  if (back < kept.size()) {
    const unsigned char lead = static_cast<unsigned char>(kept[kept.size() - 1 - back]);
    const size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (lead >= 0xC0 && want > back + 1) kept.remove_suffix(back + 1);
  }
  return valid_utf8(kept);
}

void assign_plugin_text(std::string* out, std::string_view s, size_t limit, size_t* original_bytes) {
  if (s.size() <= limit && is_valid_utf8(s)) {
    if (original_bytes) *original_bytes = 0;
    out->assign(s);
    return;
  }
  *out = plugin_text(s, limit, original_bytes);
}

}  // namespace insource
