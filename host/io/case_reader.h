// Reading cases: the one input layer every command and endpoint goes through.
// JSON and JSON Lines are read by one strict RFC 8259 reader (simdjson, via
// JsonCaseParser); YAML by yaml-cpp, cut into documents by one splitter;
// CSV by its own reader (csv_cases.h). Whatever the format, a case is checked
// against the policy's facts the same way: a wrong type, NaN, a list, a null
// or an unknown name is an error that names the case and the fact, never a
// silent default. README.md "Input rules" lists the decisions shared by all.
#ifndef INSOURCE_HOST_CASE_READER_H_
#define INSOURCE_HOST_CASE_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/case.h"
#include "core/source_pos.h"
#include "core/fact_schema.h"
#include "policy/input_limits.h"

namespace insource {

// What kind of problem an input has, decided where it is found (never by
// searching a message's text).
enum class InputErrorKind : uint8_t {
  kNone,
  kParse,  // not JSON / YAML / UTF-8 at all
  kCase,   // well-formed, but not a case the policy's facts allow
  kLimit,  // over an input limit (file size, nesting, expanded nodes)
};
// "parse", "case", "limit" ("" for kNone).
const char* input_error_label(InputErrorKind k);

// A case that was read, or why it could not be.
struct CaseInput {
  std::optional<CaseFacts> value;
  std::string id;  // as far as known (the default id when the case gives none), for the error record
  InputErrorKind kind = InputErrorKind::kNone;
  std::string message;  // the problem alone: "fact cost.hours must be > 0, not -10"
  std::string label;    // the input's name
  int line = 0;         // where the case (or the problem) starts; 0 = unknown
  int column = 0;       // 0 = unknown (JSON errors give the line only)
  // JSON input: where the case's text is in the input, for the decision log.
  size_t offset = 0, length = 0;

  // "label:line[:column]: case ID: message" (a parse or limit error names no
  // case): set by the readers whenever kind is not kNone.
  std::string error;
  std::string format_error() const;
};

// Appends another problem of the same case to a CaseInput's message, on its
// own line and worded as format_error() words the first, so every reader
// lists a case's bad facts alike.
void append_case_problem(std::string* message, const SourcePos& pos, std::string_view id, std::string_view problem);

// The id of a case that gives none: "line-N", N the line where it starts.
std::string default_case_id(uint64_t line);

// How a text is read.
enum class CaseFormat {
  kAuto,       // by the label's extension, else by the first byte ('{' or '[': JSON, else YAML)
  kJson,       // one JSON text: a case object, or an array of them
  kJsonLines,  // one case object a line
  kYaml,       // a YAML stream: a case, or a list of cases, a document
};
CaseFormat case_format_for(const std::string& label, std::string_view text);

// Reads the cases in `text` (a leading UTF-8 byte order mark is skipped);
// `label` names the source in messages. `first_line` is the line of `label`
// where `text` starts (for a document cut from a stream). An input with no
// case at all gives one error. `limits` bounds each YAML document's nesting
// and expanded size (the caller's --max-* flags; the defaults otherwise).
std::vector<CaseInput> read_cases(std::string_view text, const std::string& label, const FactSchema& schema,
                                  int first_line = 1, CaseFormat format = CaseFormat::kAuto,
                                  const InputLimits& limits = InputLimits{});

// Reads a file ("-" is standard input), no larger than limits.max_file_bytes.
std::vector<CaseInput> read_case_file(const std::string& path, const FactSchema& schema,
                                      const InputLimits& limits = InputLimits{});

// The building blocks, for readers that cut their input themselves (batch):
// each appends what it read to *out. `first_line` is the line of `label`
// where `text` starts.
// One YAML document (a case or a list of cases), held to `limits`.
void read_yaml_document(std::string_view text, const std::string& label, const FactSchema& schema, int first_line,
                        const InputLimits& limits, std::vector<CaseInput>* out);
// JSON Lines: one case object a line; a blank line is no case and no error.
void read_json_lines(std::string_view text, const std::string& label, const FactSchema& schema, int first_line,
                     std::vector<CaseInput>* out);
// One JSON text: a case object, or an array of case objects.
void read_json_text(std::string_view text, const std::string& label, const FactSchema& schema, int first_line,
                    std::vector<CaseInput>* out);

// Sets `error` on each entry of `inputs` from `from` on that has a kind.
void format_errors(std::vector<CaseInput>* inputs, size_t from = 0);

// Whether a line holds nothing but spaces, tabs and a carriage return: in
// JSON Lines it is no case and no error.
inline bool is_blank_line(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// Limits that keep hostile input from eating memory or time.
inline constexpr size_t kMaxFactsPerCase = 4096;
inline constexpr int kMaxFactDepth = 32;

// A UTF-8 byte order mark, accepted and skipped at the start of any input.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
inline std::string_view skip_bom(std::string_view text) {
  return text.substr(0, 3) == kUtf8Bom ? text.substr(3) : text;
}

}  // namespace insource

#endif  // INSOURCE_HOST_CASE_READER_H_
