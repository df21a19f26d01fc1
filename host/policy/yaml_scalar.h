// Reading YAML scalars by the YAML 1.2 core schema: a plain `12` is a number,
// a quoted "12" a string, `true` a bool, `~` or `null` a null. yaml-cpp hands
// out every scalar as text, so this is where types are decided, once, for
// rules and cases alike.
#ifndef INSOURCE_HOST_YAML_SCALAR_H_
#define INSOURCE_HOST_YAML_SCALAR_H_

#include <yaml-cpp/yaml.h>

#include <string>

#include "core/source_pos.h"

namespace insource {

struct YamlScalar {
  enum class Kind { kNull, kBool, kNumber, kString };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0.0;  // may be NaN or +-Inf for .nan / .inf: callers reject those
  std::string text;     // the scalar as written (unquoted)
};

// Classifies a scalar node (the caller has checked IsScalar() or IsNull()).
YamlScalar read_scalar(const YAML::Node& node);

// "a number", "the string \"x\"", "a list", "a map", "null" for messages.
std::string describe_node(const YAML::Node& node);

// A string or a finite number where a file (rules, rule tests) expects one.
// On a mismatch `problem` gets the tail of the message, "must be a number,
// not a list" or "must be a finite number, not .nan", for the caller to put
// after the value's name at the node's position.
bool read_yaml_string(const YAML::Node& node, std::string* out, std::string* problem);
bool read_yaml_finite_number(const YAML::Node& node, double* out, std::string* problem);

// yaml-cpp's parse error ("illegal map value", "end of map not found") with,
// when it has a usual cause, a plain-words hint: "invalid YAML: <msg> (hint)".
std::string yaml_parse_message(const YAML::ParserException& e, const char* what = "invalid YAML");

// The position of a node (yaml-cpp marks count from 0).
SourcePos pos_of(const YAML::Node& node, const std::string& file);

}  // namespace insource

#endif  // INSOURCE_HOST_YAML_SCALAR_H_
