// libFuzzer target: condition text (up to the first NUL byte) compiled
// against the default policy's facts, scores and total, then evaluated and
// traced on fact assignments made from the bytes after the NUL.
#include "fuzz_main.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace insource::fuzz;
  return report(run_condition(env(), data, size));
}
