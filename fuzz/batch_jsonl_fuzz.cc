// libFuzzer target: the bytes as a JSON Lines input stream through run_batch
// (1 job; 2 jobs with 64-byte chunks, same output; 1 job with detail records
// and a 96-byte record limit). Aborts unless every run writes exactly one
// record per input line and its stats add up.
#include "fuzz_main.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace insource::fuzz;
  return report(run_batch_jsonl(env(), data, size));
}
