// The one place that cuts a YAML stream into documents: the case reader
// (decide, explain, test, diff) and batch's chunk reader and workers all cut
// here, so a stream splits the same way wherever it is read.
#ifndef INSOURCE_HOST_YAML_DOCUMENTS_H_
#define INSOURCE_HOST_YAML_DOCUMENTS_H_

#include <string_view>
#include <vector>

namespace insource {

// One document of a YAML stream and the line (0-based) it starts on.
struct YamlPiece {
  std::string_view text;
  int line = 0;
};

// Whether the line at `at` is the marker `ccc` (`---` or `...`) at column 0,
// followed by the end, a space or a line break (YAML 1.2).
bool yaml_marker_at(std::string_view text, size_t at, char c);

// Whether a piece holds anything but blank lines, comments and directives
// (a `---` line counts: it makes an empty document).
bool yaml_has_content(std::string_view piece);

// A YAML stream cut into its documents at the `---` and `...` markers. Each
// is loaded on its own with YAML::Load, never YAML::LoadAll: yaml-cpp 0.7's
// loops forever, allocating, on some malformed streams (a lone "," does it;
// jbeder/yaml-cpp#1040, found by case_reader_fuzz). A piece with nothing but
// comments or directives before a `---` stays with the document it heads.
std::vector<YamlPiece> split_yaml_documents(std::string_view text);

// Where the last `---` line in `text` starts (a place a stream may be cut
// without cutting a document), or npos.
size_t last_yaml_document_start(std::string_view text);

// Where the first `---` line at or after `from` starts (`from` itself counts
// when it is 0 or follows a newline), or npos.
size_t next_yaml_document_start(std::string_view text, size_t from);

}  // namespace insource

#endif  // INSOURCE_HOST_YAML_DOCUMENTS_H_
