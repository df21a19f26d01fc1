// The verdicts a decision can reach.
#ifndef INSOURCE_HOST_VERDICT_H_
#define INSOURCE_HOST_VERDICT_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace insource {

enum class Verdict : uint8_t {
  kInsource,
  kOutsource,
  kHybrid,
  kOutsourceThenInsource,  // hand it out now, take it back once it runs
  kInsourceThenOutsource,
  kReview,                 // no criterion voted: a person must decide
};

inline constexpr int kVerdictCount = 6;

std::string_view verdict_name(Verdict v);
std::optional<Verdict> parse_verdict(std::string_view s);

}  // namespace insource

#endif  // INSOURCE_HOST_VERDICT_H_
