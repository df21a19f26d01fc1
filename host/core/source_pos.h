// Positions in source files, and the diagnostics that point at them.
#ifndef INSOURCE_HOST_SOURCE_POS_H_
#define INSOURCE_HOST_SOURCE_POS_H_

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace insource {

// A place in a file; line and column count from 1 (0 = unknown).
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:column", or less when parts are unknown.
  std::string str() const;
};

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  SourcePos pos;
  std::string message;

  // "file:line:column: error: message"
  std::string str() const;
};

// One or more problems in a rules file (or the files it extends).
class RulesError : public std::runtime_error {
 public:
  explicit RulesError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// The text of a source file, to turn byte offsets into line and column.
struct SourceText {
  std::string file;
  std::string text;

  SourcePos at(size_t byte) const;
};

}  // namespace insource

#endif  // INSOURCE_HOST_SOURCE_POS_H_
