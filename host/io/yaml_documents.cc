#include "io/yaml_documents.h"

namespace insource {

bool yaml_marker_at(std::string_view text, size_t at, char c) {
  if (text.size() - at < 3 || text[at] != c || text[at + 1] != c || text[at + 2] != c) return false;
  return at + 3 == text.size() || text[at + 3] == '\n' || text[at + 3] == '\r' || text[at + 3] == ' ' ||
         text[at + 3] == '\t';
}

bool yaml_has_content(std::string_view piece) {
  size_t pos = 0;
  while (pos < piece.size()) {
    size_t nl = piece.find('\n', pos);
    std::string_view line = piece.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#' && line[0] != '%') return true;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return false;
}

std::vector<YamlPiece> split_yaml_documents(std::string_view text) {
  std::vector<YamlPiece> out;
  size_t start = 0, pos = 0;
  int start_line = 0, line = 0;
  while (pos < text.size()) {
    if (yaml_marker_at(text, pos, '-') && pos > start && yaml_has_content(text.substr(start, pos - start))) {
      out.push_back({text.substr(start, pos - start), start_line});
      start = pos;
      start_line = line;
    }
    size_t nl = text.find('\n', pos);
    size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    if (yaml_marker_at(text, pos, '.')) {
      out.push_back({text.substr(start, next - start), start_line});
      start = next;
      start_line = line + 1;
    }
    pos = next;
    ++line;
  }
  if (start < text.size()) out.push_back({text.substr(start), start_line});
  return out;
}

size_t last_yaml_document_start(std::string_view text) {
  size_t pos = text.size();
  while (pos > 0) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string_view::npos) return std::string_view::npos;
    if (yaml_marker_at(text, nl + 1, '-')) return nl + 1;
    pos = nl;
  }
  return std::string_view::npos;
}

size_t next_yaml_document_start(std::string_view text, size_t from) {
  size_t pos = from;
  if (pos > 0 && text[pos - 1] != '\n') {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return std::string_view::npos;
    pos = nl + 1;
  }
  while (pos < text.size()) {
    if (yaml_marker_at(text, pos, '-')) return pos;
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return std::string_view::npos;
    pos = nl + 1;
  }
  return std::string_view::npos;
}

}  // namespace insource
