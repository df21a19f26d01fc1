// What a plugin declares about its facts and parameters, as the host keeps
// it once copied out of the descriptor. Part of the core so that the fact
// schema, the rules and the conditions can use declarations without knowing
// how plugins are loaded.
#ifndef INSOURCE_CORE_FACT_DECL_H_
#define INSOURCE_CORE_FACT_DECL_H_

#include <cmath>
#include <string>
#include <vector>

#include "core/value.h"

namespace insource {

// A fact as a plugin declares it (copied out of the descriptor).
struct FactDecl {
  std::string name;
  Type type = Type::kNumber;
  bool required = false;
  bool has_fallback = false;
  bool fallback_bool = false;
  double fallback_number = 0.0;
  std::string fallback_string;
  std::vector<std::string> allowed;  // strings; empty = any
  double min = -HUGE_VAL;
  double max = HUGE_VAL;
  bool min_exclusive = false;
  std::string unit;
  std::string description;
};

// A parameter as a plugin declares it.
struct ParamDecl {
  std::string name;
  Type type = Type::kNumber;
  bool fallback_bool = false;
  double fallback_number = 0.0;
  std::string fallback_string;
  std::string description;
};

// The value of a parameter (owns its string).
struct ParamValue {
  Type type = Type::kNumber;
  double number = 0.0;
  bool boolean = false;
  std::string string;

  insource_value view() const;
  std::string describe() const;
  static ParamValue fallback_of(const ParamDecl& d);
};

}  // namespace insource

#endif  // INSOURCE_CORE_FACT_DECL_H_
