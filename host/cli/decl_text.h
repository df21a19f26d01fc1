// A fact declaration in a few words, as `insource plugins` and
// `insource facts` print it: " {low|medium|high}", " >0", "required",
// "default false".
#ifndef INSOURCE_CLI_DECL_TEXT_H_
#define INSOURCE_CLI_DECL_TEXT_H_

#include <string>

#include "plugin_host/plugin_loader.h"

namespace insource::cli {

// The allowed levels (" {a|b}") or the bounds (" >=0 <=1"); empty when neither is declared.
std::string fact_range_text(const FactDecl& f);
// "default X", "required" or "optional".
std::string fact_fallback_text(const FactDecl& f);

}  // namespace insource::cli

#endif  // INSOURCE_CLI_DECL_TEXT_H_
