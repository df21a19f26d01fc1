// The libFuzzer glue of every target: the plugins and the default policy are
// loaded once (from INSOURCE_FUZZ_PLUGIN_DIR in the environment, else the
// build tree's lib/insource/plugins), then each input goes to a run_*
// function of fuzz_targets.h; a broken invariant aborts with its message.
#ifndef INSOURCE_FUZZ_FUZZ_MAIN_H_
#define INSOURCE_FUZZ_FUZZ_MAIN_H_

#include <cstdio>
#include <cstdlib>
#include <exception>

#include <spdlog/spdlog.h>

#include "fuzz_targets.h"

namespace insource::fuzz {

inline const Env& env() {
  static const std::unique_ptr<Env> e = [] {
    spdlog::set_level(spdlog::level::off);  // the loader logs every plugin at info
    const char* dir = std::getenv("INSOURCE_FUZZ_PLUGIN_DIR");
    try {
      return make_env(dir && *dir ? dir : INSOURCE_FUZZ_PLUGIN_DIR, INSOURCE_FUZZ_SOURCE_DIR);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "insource fuzz: cannot set up: %s\n", ex.what());
      std::exit(2);
    }
  }();
  return *e;
}

inline int report(const std::string& problem) {
  if (!problem.empty()) {
    std::fprintf(stderr, "insource fuzz: invariant broken: %s\n", problem.c_str());
    std::fflush(stderr);
    std::abort();
  }
  return 0;
}

}  // namespace insource::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)insource::fuzz::env();
  return 0;
}

#endif  // INSOURCE_FUZZ_FUZZ_MAIN_H_
