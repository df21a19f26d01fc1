#include "core/value.h"

#include <charconv>
#include <cstdio>

namespace insource {

const char* type_name(Type t) {
  switch (t) {
    case Type::kNumber: return "number";
    case Type::kString: return "string";
    case Type::kBool: return "bool";
    case Type::kAbsent: break;
  }
  return "absent";
}

bool parse_type_name(std::string_view s, Type* out) {
  if (s == "number") *out = Type::kNumber;
  else if (s == "string") *out = Type::kString;
  else if (s == "bool" || s == "boolean") *out = Type::kBool;
  else return false;
  return true;
}

std::string format_number(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

std::string format_fixed(double d, int decimals) {
  char buf[352];  // room for DBL_MAX's 309 digits and a few decimals
  std::snprintf(buf, sizeof buf, "%.*f", decimals, d);
  return buf;
}

std::string pad_right(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string describe(const insource_value& v) {
  switch (type_of(v)) {
    case Type::kNumber: return format_number(v.number);
    case Type::kString: {
      // Appended, not `"\"" + std::string(...)`: GCC 12 warns falsely on that (-Wrestrict, bug 105329).
      std::string quoted(1, '"');
      quoted.append(string_of(v));
      quoted += '"';
      return quoted;
    }
    case Type::kBool: return v.boolean ? "true" : "false";
    case Type::kAbsent: break;
  }
  return "(absent)";
}

}  // namespace insource
