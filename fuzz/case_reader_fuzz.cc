// libFuzzer target: the bytes as a YAML/JSON case file and a JSON Lines file
// (read_cases) and as one JSON case (JsonCaseParser), against the default
// policy; accepted cases must satisfy the schema and are decided.
#include "fuzz_main.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace insource::fuzz;
  static CaseReaderState state(env());
  return report(run_case_reader(env(), &state, data, size));
}
