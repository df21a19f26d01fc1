// Declarations as JSON, for tools that read them rather than people:
// `insource plugins --format json` and `insource facts --format json`.
// Bounds are written as "min" (or "greater_than" when exclusive) and "max",
// only when declared; a default only when there is one.
#ifndef INSOURCE_HOST_DECL_JSON_H_
#define INSOURCE_HOST_DECL_JSON_H_

#include <nlohmann/json.hpp>

#include "tools/condition_names.h"
#include "plugin_host/plugin_loader.h"

namespace insource {

nlohmann::ordered_json fact_decl_json(const FactDecl& f);
nlohmann::ordered_json param_decl_json(const ParamDecl& d);
// Criterion, name, version, ABI, file, sha256, isolation, description, score range, facts, params.
nlohmann::ordered_json plugin_json(const LoadedPlugin& p);
// A fact_decl_json with its kind and declarers first.
nlohmann::ordered_json condition_name_json(const ConditionName& n);

}  // namespace insource

#endif  // INSOURCE_HOST_DECL_JSON_H_
