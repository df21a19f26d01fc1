// Typed values as the engine holds them. A case's facts are stored as the C
// ABI's insource_value, indexed by slot, so handing them to a plugin is a
// gather of plain structs with no conversion.
#ifndef INSOURCE_HOST_VALUE_H_
#define INSOURCE_HOST_VALUE_H_

#include <insource/plugin.h>

#include <string>
#include <string_view>

namespace insource {

enum class Type : uint32_t {
  kAbsent = INSOURCE_ABSENT,
  kNumber = INSOURCE_NUMBER,
  kString = INSOURCE_STRING,
  kBool = INSOURCE_BOOL,
};

// "number", "string", "bool" (and "absent").
const char* type_name(Type t);
// Parses "number" | "string" | "bool" (also "boolean"); false when unknown.
bool parse_type_name(std::string_view s, Type* out);

inline Type type_of(const insource_value& v) { return static_cast<Type>(v.type); }
inline std::string_view string_of(const insource_value& v) { return std::string_view(v.string, v.length); }

inline insource_value make_absent() { return insource_value{INSOURCE_ABSENT, 0, 0.0, nullptr, 0}; }
inline insource_value make_number(double d) { return insource_value{INSOURCE_NUMBER, 0, d, nullptr, 0}; }
inline insource_value make_bool(bool b) { return insource_value{INSOURCE_BOOL, b ? 1u : 0u, 0.0, nullptr, 0}; }
// The value points at `s`; the caller keeps `s` alive.
inline insource_value make_string(std::string_view s) {
  return insource_value{INSOURCE_STRING, 0, 0.0, s.data(), s.size()};
}

// A value for messages: 12, "high", true.
std::string describe(const insource_value& v);

// Shortest text that reads back as the same double (to_chars), e.g. 0.1, 1e+300.
std::string format_number(double d);

// For tables people read: `d` with `decimals` digits after the point (printf
// "%.*f"), and `s` padded with spaces to `width` columns.
std::string format_fixed(double d, int decimals);
std::string pad_right(std::string s, size_t width);

}  // namespace insource

#endif  // INSOURCE_HOST_VALUE_H_
