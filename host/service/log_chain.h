// The hash chain of the decision log (docs/reliability.md, "A decision log
// an auditor can trust"). Every line starts with
//
//   {"prev_sha256":"<64 hex digits>", ...the decision...}
//
// the SHA-256 of the line before it (its bytes as written, without the
// newline); the first line of a file carries the SHA-256 of the seed
// "insource decision log". Removing, inserting or editing a line breaks
// the chain at that line or the next, which verify_log_chain() finds.
// Cutting lines off the end leaves a shorter intact chain: compare the line
// count (or the last hash, which serve logs at shutdown) with another record.
#ifndef INSOURCE_SERVICE_LOG_CHAIN_H_
#define INSOURCE_SERVICE_LOG_CHAIN_H_

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>

namespace insource {

inline constexpr std::string_view kLogChainSeed = "insource decision log";
inline constexpr std::string_view kLogChainField = "{\"prev_sha256\":\"";

// The prev_sha256 of a file's first line: SHA-256 of kLogChainSeed, in hex.
std::string log_chain_seed_hash();

// Adds the chain to `lines` (JSON objects, each ending in a newline),
// starting from `*prev` (the hash of the line before them); `*prev` ends as
// the hash of the last line.
std::string chain_lines(std::string_view lines, std::string* prev);

// The hash to continue a file from: of its last line, or the seed's when it
// is empty or missing. Reads only the file's end.
std::string log_chain_tail(const std::string& path);

struct LogChainCheck {
  uint64_t lines = 0;     // lines read
  uint64_t bad_line = 0;  // the first line where the chain breaks (1-based), 0 when intact
  std::string problem;    // what is wrong there
  std::string last_hash;  // of the last line read, when intact
};

// Checks every line of a decision log; stops at the first break.
LogChainCheck verify_log_chain(std::istream& log);

}  // namespace insource

#endif  // INSOURCE_SERVICE_LOG_CHAIN_H_
