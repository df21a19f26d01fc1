#include "policy/yaml_scalar.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <limits>

namespace insource {

namespace {

bool is_null(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

bool parse_bool(const std::string& s, bool* out) {
  if (s == "true" || s == "True" || s == "TRUE") return *out = true, true;
  if (s == "false" || s == "False" || s == "FALSE") return *out = false, true;
  return false;
}

bool parse_special_float(const std::string& s, double* out) {
  std::string_view v(s);
  double sign = 1.0;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
    if (v[0] == '-') sign = -1.0;
    v.remove_prefix(1);
  }
  if (v == ".inf" || v == ".Inf" || v == ".INF") return *out = sign * HUGE_VAL, true;
  if (v == ".nan" || v == ".NaN" || v == ".NAN") return *out = std::numeric_limits<double>::quiet_NaN(), true;
  return false;
}

// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?, and 0x / 0o integers.
bool parse_number(const std::string& s, double* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    unsigned long long v = 0;
    auto r = std::from_chars(b + 2, e, v, s[1] == 'x' ? 16 : 8);
    if (r.ec != std::errc() || r.ptr != e) return false;
    *out = static_cast<double>(v);
    return true;
  }
  // Check the YAML core shape first: from_chars alone would accept "inf" or "nan".
  const char* p = b;
  if (*p == '+' || *p == '-') ++p;
  bool digits = false;
  while (p < e && *p >= '0' && *p <= '9') ++p, digits = true;
  if (p < e && *p == '.') {
    ++p;
    while (p < e && *p >= '0' && *p <= '9') ++p, digits = true;
  }
  if (!digits) return false;
  if (p < e && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < e && (*p == '+' || *p == '-')) ++p;
    bool exp_digits = false;
    while (p < e && *p >= '0' && *p <= '9') ++p, exp_digits = true;
    if (!exp_digits) return false;
  }
  if (p != e) return false;
  const char* start = (*b == '+') ? b + 1 : b;
  auto r = std::from_chars(start, e, *out);
  if (r.ec == std::errc::result_out_of_range) {
    // strtod rounds as JSON readers do: a literal too small for a double
    // (1e-400) is 0, one too large (1e400) infinite, which callers reject.
    *out = std::strtod(std::string(start, e).c_str(), nullptr);
    return true;
  }
  return r.ec == std::errc() && r.ptr == e;
}

}  // namespace

YamlScalar read_scalar(const YAML::Node& node) {
  YamlScalar out;
  if (node.IsNull()) return out;
  out.text = node.Scalar();
  const std::string& tag = node.Tag();
  // "!" marks a quoted scalar (or an explicit non-specific tag): always a string.
  if (tag == "!" || tag == "tag:yaml.org,2002:str") {
    out.kind = YamlScalar::Kind::kString;
    return out;
  }
  if (is_null(out.text) && tag != "tag:yaml.org,2002:float") return out;
  if (parse_bool(out.text, &out.boolean)) {
    out.kind = YamlScalar::Kind::kBool;
  } else if (parse_number(out.text, &out.number) || parse_special_float(out.text, &out.number)) {
    out.kind = YamlScalar::Kind::kNumber;
  } else {
    out.kind = YamlScalar::Kind::kString;
  }
  return out;
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return "null";
    case YAML::NodeType::Scalar: break;
  }
  YamlScalar s = read_scalar(node);
  switch (s.kind) {
    case YamlScalar::Kind::kNull: return "null";
    case YamlScalar::Kind::kBool: return "the bool " + s.text;
    case YamlScalar::Kind::kNumber: return "the number " + s.text;
    case YamlScalar::Kind::kString: return "the string \"" + s.text + "\"";
  }
  return "a value";
}

SourcePos pos_of(const YAML::Node& node, const std::string& file) {
  YAML::Mark m = node.Mark();
  if (m.is_null()) return SourcePos{file, 0, 0};
  return SourcePos{file, m.line + 1, m.column + 1};
}

bool read_yaml_string(const YAML::Node& node, std::string* out, std::string* problem) {
  if (!node.IsScalar()) {
    *problem = "must be a string, not " + describe_node(node);
    return false;
  }
  *out = node.Scalar();
  return true;
}

bool read_yaml_finite_number(const YAML::Node& node, double* out, std::string* problem) {
  YamlScalar s;
  if (node.IsScalar()) s = read_scalar(node);
  if (!node.IsScalar() || s.kind != YamlScalar::Kind::kNumber) {
    *problem = "must be a number, not " + describe_node(node);
    return false;
  }
  if (!std::isfinite(s.number)) {
    *problem = "must be a finite number, not " + s.text;
    return false;
  }
  *out = s.number;
  return true;
}

std::string yaml_parse_message(const YAML::ParserException& e, const char* what) {
  // yaml-cpp names the parser's state, not the writer's mistake; these are the
  // mistakes that put it in that state, in a new user's words.
  static const std::pair<const char*, const char*> hints[] = {
      {"illegal map value",
       "a line has a second ': ' or a key and value are not lined up: check the indentation above, and quote a value "
       "that holds ': '"},
      {"end of map not found",
       "a line is indented less or more than the keys beside it, or a ':' is missing after a key"},
      {"end of map flow not found", "a '{' is not closed by '}', or an item inside it lacks its ','"},
      {"end of sequence not found", "a '- ' item is indented differently from the items beside it"},
      {"end of sequence flow not found", "a '[' is not closed by ']', or an item inside it lacks its ','"},
      {"illegal block entry", "a '- ' item stands where a 'key: value' line was expected: check its indentation"},
      {"illegal map key", "a key stands where a value was expected: check the indentation and the ':' after each key"},
      {"tab", "indent with spaces: YAML does not allow tabs there"},
      {"illegal EOF in scalar", "a quote is opened but never closed"},
      {"end of verbatim tag", "a '!<' tag is not closed by '>'"},
  };
  std::string out = what;
  out += ": ";
  out += e.msg;
  for (const auto& [key, hint] : hints) {
    if (e.msg.find(key) != std::string::npos) {
      out += " (";
      out += hint;
      out += ')';
      break;
    }
  }
  return out;
}

}  // namespace insource
