#include "decl_text.h"

#include <cmath>

namespace insource::cli {

std::string fact_fallback_text(const FactDecl& f) {
  if (!f.has_fallback) return f.required ? "required" : "optional";
  switch (f.type) {
    case Type::kNumber: return "default " + format_number(f.fallback_number);
    case Type::kBool: return std::string("default ") + (f.fallback_bool ? "true" : "false");
    case Type::kString: return "default \"" + f.fallback_string + "\"";
    case Type::kAbsent: break;
  }
  return "";
}

std::string fact_range_text(const FactDecl& f) {
  std::string out;
  if (!f.allowed.empty()) {
    for (const auto& a : f.allowed) out += (out.empty() ? "" : "|") + a;
    return " {" + out + "}";
  }
  if (f.min != -HUGE_VAL) out += std::string(f.min_exclusive ? " >" : " >=") + format_number(f.min);
  if (f.max != HUGE_VAL) out += " <=" + format_number(f.max);
  return out;
}

}  // namespace insource::cli
