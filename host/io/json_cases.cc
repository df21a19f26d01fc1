// JSON and JSON Lines into cases, through the one strict reader
// (JsonCaseParser, simdjson On-Demand): the same bytes give the same case or
// the same error as in batch and in the server.
#include <simdjson.h>

#include <algorithm>

#include "io/case_reader.h"
#include "io/json_case_parser.h"

namespace insource {

namespace {

int count_newlines(std::string_view text, size_t upto) {
  return static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(upto), '\n'));
}

// One case object, text[offset, offset + len), through the parser.
CaseInput read_one(JsonCaseParser& parser, std::string* buffer, std::string_view text, size_t offset, size_t len,
                   const std::string& label, int line) {
  buffer->assign(text.data() + offset, len);
  buffer->append(kJsonPadding, '\0');
  CaseInput in;
  in.label = label;
  in.line = line;
  in.offset = offset;
  in.length = len;
  CaseFacts c;
  std::string message;
  JsonCaseParser::Result r = parser.parse(buffer->data(), len, buffer->size(), &c, &message);
  in.id = c.id.empty() ? default_case_id(static_cast<uint64_t>(line)) : c.id;
  if (r != JsonCaseParser::Result::kOk) {
    in.kind = r == JsonCaseParser::Result::kParseError ? InputErrorKind::kParse : InputErrorKind::kCase;
    in.message = std::move(message);
    if (r == JsonCaseParser::Result::kCaseError) {
      // Each problem on the line of its key (a case spread over lines).
      in.line = line + count_newlines(text.substr(offset), parser.first_problem_offset());
      for (const JsonCaseParser::Problem& p : parser.more_problems())
        append_case_problem(&in.message, {label, line + count_newlines(text.substr(offset), p.offset), 0}, in.id,
                            p.message);
    }
    return in;
  }
  // The string facts point into the parser: the case keeps its own copies.
  for (insource_value& v : c.facts)
    if (v.type == INSOURCE_STRING) {
      std::string_view kept = c.keep(std::string_view(v.string, v.length));
      v.string = kept.data();
    }
  // Each uncertain fact on the line of its key, for a refusal's position.
  for (UncertainFact& u : c.uncertain) u.line = line + count_newlines(text.substr(offset), u.offset);
  c.id = in.id;
  c.source = label + ":" + std::to_string(line);
  in.value = std::move(c);
  return in;
}

CaseInput parse_problem(const std::string& label, int line, std::string message) {
  CaseInput bad;
  bad.label = label;
  bad.line = line;
  bad.kind = InputErrorKind::kParse;
  bad.id = default_case_id(static_cast<uint64_t>(std::max(line, 1)));
  bad.message = std::move(message);
  return bad;
}

}  // namespace

void read_json_lines(std::string_view text, const std::string& label, const FactSchema& schema, int first_line,
                     std::vector<CaseInput>* out) {
  const size_t from = out->size();
  JsonCaseParser parser(schema);
  parser.accept_distributions(true);
  std::string buffer;
  size_t start = 0;
  int line = first_line;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    size_t len = end - start;
    if (len > 0 && text[start + len - 1] == '\r') --len;
    if (!is_blank_line(text.substr(start, len))) out->push_back(read_one(parser, &buffer, text, start, len, label, line));
    start = end + 1;
    ++line;
  }
  format_errors(out, from);
}

namespace {

void read_json_value(std::string_view text, const std::string& label, const FactSchema& schema, int first_line,
                     std::vector<CaseInput>* out) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return;
  const int line0 = first_line + count_newlines(text, first);
  JsonCaseParser parser(schema);
  parser.accept_distributions(true);
  std::string buffer;
  if (text[first] != '[') {
    // One case: read as a JSON Lines record is, whatever lines it spans.
    size_t last = text.find_last_not_of(" \t\r\n");
    out->push_back(read_one(parser, &buffer, text, first, last + 1 - first, label, line0));
    return;
  }
  // An array of cases: each element's text goes through the parser on its own.
  namespace od = simdjson::ondemand;
  simdjson::padded_string padded(text);
  od::parser outer;
  od::document doc;
  od::array items;
  auto fail = [&](simdjson::error_code e) {
    out->push_back(parse_problem(label, line0, std::string("invalid JSON: ") + simdjson::error_message(e)));
  };
  if (auto e = outer.iterate(padded).get(doc)) return fail(e);
  if (auto e = doc.get_array().get(items)) return fail(e);
  std::vector<CaseInput> cases;
  for (auto item : items) {
    od::value v;
    if (auto e = item.get(v)) return fail(e);
    od::json_type t;
    if (auto e = v.type().get(t)) return fail(e);
    const char* at = v.raw_json_token().data();
    const size_t offset = static_cast<size_t>(at - padded.data());
    const int line = first_line + count_newlines(text, offset);
    if (t != od::json_type::object) {
      CaseInput bad;
      bad.label = label;
      bad.line = line;
      bad.kind = InputErrorKind::kCase;
      bad.id = default_case_id(static_cast<uint64_t>(line));
      bad.message = "a case must be a JSON object with \"id\" and \"facts\"";
      cases.push_back(std::move(bad));
      continue;
    }
    od::object obj;
    std::string_view raw;
    if (auto e = v.get_object().get(obj)) return fail(e);
    if (auto e = obj.raw_json().get(raw)) return fail(e);
    cases.push_back(read_one(parser, &buffer, text, offset, raw.size(), label, line));
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return out->push_back(parse_problem(label, line0, "invalid JSON: more than one value"));
  for (CaseInput& c : cases) out->push_back(std::move(c));
}

}  // namespace

void read_json_text(std::string_view text, const std::string& label, const FactSchema& schema, int first_line,
                    std::vector<CaseInput>* out) {
  const size_t from = out->size();
  read_json_value(text, label, schema, first_line, out);
  format_errors(out, from);
}

}  // namespace insource
