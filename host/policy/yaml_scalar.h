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

// The position of a node (yaml-cpp marks count from 0).
SourcePos pos_of(const YAML::Node& node, const std::string& file);

}  // namespace insource

#endif  // INSOURCE_HOST_YAML_SCALAR_H_
