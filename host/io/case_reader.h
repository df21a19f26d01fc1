// Reading cases from YAML or JSON (one case, a list of cases, or a YAML
// stream of documents), nested or flat dotted facts, checked against the
// policy's facts: a wrong type, NaN, a list, a null or an unknown name is an
// error that names the case and the fact, never a silent default.
#ifndef INSOURCE_HOST_CASE_READER_H_
#define INSOURCE_HOST_CASE_READER_H_

#include <optional>
#include <string>
#include <vector>

#include "core/case.h"
#include "core/fact_schema.h"
#include "policy/input_limits.h"

namespace insource {

// A case that was read, or why it could not be.
struct CaseInput {
  std::optional<Case> value;
  std::string id;     // as far as known, for the error record
  std::string error;  // set when value is empty: "file:line:col: case X: fact y: problem"
};

// Reads the cases in `text`; `label` names the source in messages and gives
// the id of a case that has none (the file name without extension, with
// "#2", "#3" ... for later cases of the same file).
// `first_line` is the line of `label` where `text` starts (for a document cut from a stream).
// `limits` bounds the nesting and size of each document (the caller's --max-* flags).
std::vector<CaseInput> read_cases(const std::string& text, const std::string& label, const FactSchema& schema,
                                  int first_line = 1, const InputLimits& limits = InputLimits{});

// Reads a file ("-" is standard input), held to `limits`.
std::vector<CaseInput> read_case_file(const std::string& path, const FactSchema& schema,
                                      const InputLimits& limits = InputLimits{});

// Limits that keep hostile input from eating memory or time.
inline constexpr size_t kMaxFactsPerCase = 4096;
inline constexpr int kMaxFactDepth = 32;

}  // namespace insource

#endif  // INSOURCE_HOST_CASE_READER_H_
