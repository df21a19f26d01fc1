#include "core/verdict.h"

namespace insource {

namespace {
constexpr std::string_view kNames[kVerdictCount] = {
    "insource", "outsource", "hybrid", "outsource-then-insource", "insource-then-outsource", "review"};
}

std::string_view verdict_name(Verdict v) { return kNames[static_cast<int>(v)]; }

std::optional<Verdict> parse_verdict(std::string_view s) {
  for (int i = 0; i < kVerdictCount; ++i)
    if (kNames[i] == s) return static_cast<Verdict>(i);
  return std::nullopt;
}

}  // namespace insource
