// Replays the saved fuzz inputs (tests/fixtures/fuzz_regressions/<target>/*)
// through the same engine calls as the libFuzzer targets of fuzz/ (the bodies
// are shared: fuzz/fuzz_targets.h), here without sanitizers: every input
// must give a clean result or one of the documented errors, with every
// invariant the fuzzer checks holding (one batch record per input line, ...),
// within 20 s. Each input runs in a child process, so one that crashes or
// hangs fails its own check and the others still run. A finding of .ci/fuzz
// is saved here (minimised) with its fix.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_util.h"

// The test binary has the whole engine (the fuzz build may leave out
// static_checks.cc, see fuzz/CMakeLists.txt).
#ifndef INSOURCE_FUZZ_HAS_STATIC_CHECKS
#define INSOURCE_FUZZ_HAS_STATIC_CHECKS 1
#endif
#include "../fuzz/fuzz_targets.h"

namespace insource {
namespace {

namespace fs = std::filesystem;

const fuzz::Env& env() {
  static const std::unique_ptr<fuzz::Env> e = fuzz::make_env(INSOURCE_PLUGIN_DIR, INSOURCE_SOURCE_DIR);
  return *e;
}

// Every file saved for a target, sorted (none is an error: each target keeps at least one).
std::vector<fs::path> inputs_of(const std::string& target) {
  fs::path dir = fs::path(INSOURCE_TEST_DIR) / "fixtures" / "fuzz_regressions" / target;
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  EXPECT_FALSE(out.empty()) << "no saved input in " << dir;
  return out;
}

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs `fn` on one input in a child process, so that a crash, an abort, a
// hang or a runaway allocation fails this input's check instead of killing
// the whole test binary: the child has 20 s (and, without ASan, 4 GiB of
// address space). Returns "" when it gave a clean result or a documented
// error, else what went wrong.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif
constexpr unsigned kChildSeconds = 20;

template <typename Fn>
std::string run_isolated(Fn fn, const std::string& data) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(fds[0]);
    if (!kAsan) {
      rlimit rl{4ull << 30, 4ull << 30};
      ::setrlimit(RLIMIT_AS, &rl);
    }
    ::alarm(kChildSeconds);
    std::string problem;
    try {
      problem = fn(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    } catch (const std::exception& e) {
      problem = std::string("unexpected exception: ") + e.what();
    } catch (...) {
      problem = "unexpected exception of an unknown type";
    }
    (void)!::write(fds[1], problem.data(), problem.size());
    ::_exit(problem.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  std::string problem;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) problem.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return std::string("the engine died of signal ") + std::to_string(sig) + " (" + strsignal(sig) + ")" +
           (sig == SIGALRM ? ": still running after " + std::to_string(kChildSeconds) + " s" : "");
  }
  if (!WIFEXITED(status)) return "the child ended abnormally";
  if (WEXITSTATUS(status) != 0)
    return problem.empty() ? "exit status " + std::to_string(WEXITSTATUS(status)) + " (a sanitizer report? see stderr)"
                           : problem;
  return {};
}

// Every saved input of `target` through `fn`, each in its own child process.
template <typename Fn>
void replay(const std::string& target, Fn fn) {
  (void)env();  // load the plugins once, before forking
  for (const fs::path& p : inputs_of(target)) {
    SCOPED_TRACE(p.string());
    EXPECT_EQ(run_isolated(fn, bytes_of(p)), "");
  }
}

TEST(FuzzRegression, RulesLoader) {
  replay("rules_loader_fuzz", [](const uint8_t* d, size_t n) { return fuzz::run_rules_loader(env(), d, n); });
}

TEST(FuzzRegression, Condition) {
  replay("condition_fuzz", [](const uint8_t* d, size_t n) { return fuzz::run_condition(env(), d, n); });
}

TEST(FuzzRegression, CaseReader) {
  fuzz::CaseReaderState state(env());
  replay("case_reader_fuzz", [&](const uint8_t* d, size_t n) { return fuzz::run_case_reader(env(), &state, d, n); });
}

TEST(FuzzRegression, BatchJsonLines) {
  replay("batch_jsonl_fuzz", [](const uint8_t* d, size_t n) { return fuzz::run_batch_jsonl(env(), d, n); });
}

// Every folder under fuzz_regressions/ is one of the targets above (a file
// saved under a misspelt target would never be replayed).
TEST(FuzzRegression, EveryFolderIsATarget) {
  const std::vector<std::string> known{"rules_loader_fuzz", "condition_fuzz", "case_reader_fuzz", "batch_jsonl_fuzz"};
  fs::path root = fs::path(INSOURCE_TEST_DIR) / "fixtures" / "fuzz_regressions";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  for (const auto& e : fs::directory_iterator(root)) {
    if (!e.is_directory()) continue;
    EXPECT_NE(std::find(known.begin(), known.end(), e.path().filename().string()), known.end())
        << "unknown fuzz target folder " << e.path();
  }
}

}  // namespace
}  // namespace insource
