// libFuzzer target: YAML rules text -> read_rules_text -> Policy::compile
// against the built-in plugins -> static checks -> one decision.
// RulesError and PluginError are expected; crashes, UB, leaks, hangs are not.
#include "fuzz_main.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace insource::fuzz;
  return report(run_rules_loader(env(), data, size));
}
