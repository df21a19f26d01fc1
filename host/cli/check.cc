// insource check: load and validate a rules file against the loaded plugins.
#include <iostream>

#include "common.h"

namespace insource::cli {

void register_check(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<EngineOptions>();
  CLI::App* cmd = app.add_subcommand("check", "Check a rules file: every problem with file:line:column");
  add_engine_options(cmd, o.get());
  cmd->callback([o, exit_code]() {
    auto policy = load_engine(*o);
    if (!policy) {
      *exit_code = kExitFailed;
      return;
    }
    std::cout << policy->rules().file << ": ok (" << policy->criteria().size() << " criteria, "
              << policy->overrides().size() << " overrides)\n";
    *exit_code = kExitOk;
  });
}

}  // namespace insource::cli
