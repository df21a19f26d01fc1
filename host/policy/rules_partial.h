// Reading a rules file without stopping at its first stage's errors, for
// `insource check`, which goes on to the errors of the later stages.
#ifndef INSOURCE_HOST_RULES_PARTIAL_H_
#define INSOURCE_HOST_RULES_PARTIAL_H_

#include <filesystem>
#include <vector>

#include "policy/rules.h"

namespace insource {

// read_rules_file that never throws: the errors go to *diags and what could
// be read is returned (RulesDoc::files is empty when nothing could).
RulesDoc read_rules_file_partial(const std::filesystem::path& file, std::vector<Diagnostic>* diags,
                                 const InputLimits& limits = InputLimits{});

}  // namespace insource

#endif  // INSOURCE_HOST_RULES_PARTIAL_H_
