#include "core/fact_decl.h"

namespace insource {

insource_value ParamValue::view() const {
  switch (type) {
    case Type::kNumber: return make_number(number);
    case Type::kBool: return make_bool(boolean);
    case Type::kString: return make_string(string);
    case Type::kAbsent: break;
  }
  return make_absent();
}

std::string ParamValue::describe() const { return insource::describe(view()); }

ParamValue ParamValue::fallback_of(const ParamDecl& d) {
  ParamValue v;
  v.type = d.type;
  v.number = d.fallback_number;
  v.boolean = d.fallback_bool;
  v.string = d.fallback_string;
  return v;
}

}  // namespace insource
