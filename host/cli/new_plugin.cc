// insource new-plugin NAME --criterion C [--dir DIR]: scaffolds an
// out-of-tree criterion plugin project that builds against the installed SDK
// (find_package(InsourceSDK)) and passes its test as generated:
//
//   DIR/CMakeLists.txt         find_package(InsourceSDK), insource_add_plugin(NAME), the test
//   DIR/src/<name>.cc          the plugin: one example fact, one parameter
//   DIR/tests/<name>_test.cc   a GoogleTest test that dlopens the plugin through the C ABI
//   DIR/rules.yaml, case.yaml  a policy and a case to try it with `insource decide`
//   DIR/README.md              build, test and load commands for this installation
//   DIR/.gitignore
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "common.h"
#include "plugin_host/plugin_loader.h"

#ifndef INSOURCE_VERSION
#define INSOURCE_VERSION "0.0.0"
#endif

namespace insource::cli {

namespace {

namespace fs = std::filesystem;

struct NewPluginOptions {
  std::string name;
  std::string criterion;
  std::string dir;
  bool force = false;
};

// ---- the templates; @KEY@ is replaced by its value ----

constexpr const char* kCMakeLists = R"TPL(# @NAME@: the "@CRITERION@" criterion for insource, built out of tree
# against the insource plugin SDK. Scaffolded by `insource new-plugin`.
cmake_minimum_required(VERSION 3.25)
project(@NAME@ VERSION 0.1.0 LANGUAGES CXX)

set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

# The SDK of insource @SDK_VERSION@ or a later version with the same major
# (-DCMAKE_PREFIX_PATH=<insource prefix>).
find_package(InsourceSDK @SDK_MAJOR_MINOR@ CONFIG REQUIRED)

# @NAME@.so: a MODULE library with hidden visibility, no undefined symbols,
# installed to <prefix>/lib/insource/plugins, where insource looks.
insource_add_plugin(@NAME@ SOURCES src/@IDENT@.cc)
target_compile_options(@NAME@ PRIVATE -Wall -Wextra)

option(@UPPER@_BUILD_TESTS "Build the tests (when GoogleTest is found)" ON)
if(@UPPER@_BUILD_TESTS)
  find_package(GTest)
  if(GTest_FOUND)
    enable_testing()
    include(GoogleTest)
    add_executable(@IDENT@_test tests/@IDENT@_test.cc)
    # The SDK's headers only: the test drives the plugin through its C ABI.
    target_link_libraries(@IDENT@_test PRIVATE InsourceSDK::sdk GTest::gtest GTest::gtest_main ${CMAKE_DL_LIBS})
    target_compile_definitions(@IDENT@_test PRIVATE PLUGIN_FILE="$<TARGET_FILE:@NAME@>")
    add_dependencies(@IDENT@_test @NAME@)
    gtest_discover_tests(@IDENT@_test)
  else()
    message(STATUS "GoogleTest not found (apt install libgtest-dev): the tests are not built")
  endif()
endif()
)TPL";

constexpr const char* kSource = R"TPL(// @NAME@: the "@CRITERION@" criterion for insource. Scaffolded by
// `insource new-plugin`: replace the example fact and formula with your own.
//
// The contract (score range, abstaining, required and defaulted facts,
// parameters, threads, errors, lifetimes) is in the insource plugin guide
// (docs/plugin-guide.md) and in the header comment of <insource/plugin.h>.
//
//   score = clamp(2 x @PREFIX@.fit - 1 + bias, -1, 1)
//
//   @PREFIX@.fit  how well the work fits the team, from 0 to 1 (the host
//                 refuses a case with a value outside these bounds)
//   bias          a parameter from the rules file, in [-1, 1] (default 0)
//
// A case without @PREFIX@.fit abstains: this criterion then takes no part in
// the verdict.
#include <insource/plugin.hpp>

#include <algorithm>
#include <iterator>

namespace {

enum Fact { kFit, kFactCount };

const insource_fact_decl kFacts[] = {
    insource::number_fact("@PREFIX@.fit", 0, "share", "How well the work fits the team, from 0 (not at all) to 1 (perfectly)",
                          insource::absent_value(), 0.0, 1.0),
};
static_assert(std::size(kFacts) == kFactCount);

const insource_param_decl kParams[] = {
    insource::number_param("bias", 0.0, "Added to the score before clamping, in [-1, 1]"),
};

class @CLASS@ : public insource::Plugin {
 public:
  // Parameters are checked once, when the rules are loaded: a bad one is an
  // error there, naming the rules file, not a failure on the first case.
  explicit @CLASS@(const insource::Params& p) : bias_(p.number("bias")) {
    if (!(bias_ >= -1.0 && bias_ <= 1.0))  // also refuses NaN
      throw insource::InvalidValue(insource::format("bias must be in [-1, 1], got %g", bias_));
  }

  // One instance is never called from two threads at once.
  insource::Vote evaluate(const insource::Case& c) override {
    if (!c.has(kFit)) return insource::Vote::abstain(c.wants_rationale() ? "no @PREFIX@ facts given" : "");
    const double fit = c.number(kFit);
    const double score = std::clamp(2 * fit - 1 + bias_, -1.0, 1.0);
    if (!c.wants_rationale()) return insource::Vote::of(score);
    return insource::Vote::of(score, insource::format("fit %g: 2 x %g - 1 + bias %g -> score %g", fit, fit, bias_, score));
  }

 private:
  double bias_;
};

}  // namespace

INSOURCE_EXPORT_PLUGIN(@CLASS@, (insource::PluginInfo{"@NAME@", "0.1.0", "@CRITERION@",
                                                     "How well the work fits the team (scaffolded example)",
                                                     kFacts, kFactCount, kParams, std::size(kParams), -1.0, 1.0}))
)TPL";

constexpr const char* kTest = R"TPL(// Tests for @NAME@, through its C ABI, the way the insource host drives a
// plugin: dlopen the built file, call the entry symbol, create an instance,
// evaluate cases. <insource/plugin.h> and <dlfcn.h> only: no host, no Boost.
#include <insource/plugin.h>

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

class @CLASS@Test : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = dlopen(PLUGIN_FILE, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(lib_, nullptr) << dlerror();
    auto entry = reinterpret_cast<insource_plugin_entry_fn>(dlsym(lib_, INSOURCE_ENTRY_SYMBOL));
    ASSERT_NE(entry, nullptr) << PLUGIN_FILE " exports no " INSOURCE_ENTRY_SYMBOL;
    d_ = entry();
    ASSERT_NE(d_, nullptr);
  }
  void TearDown() override {
    if (instance_) d_->destroy(instance_);
    if (lib_) dlclose(lib_);
  }

  // Makes the instance, with every parameter at its default but `bias`.
  int32_t create(double bias, std::string* error = nullptr) {
    std::vector<insource_value> params;
    for (uint32_t i = 0; i < d_->param_count; ++i) {
      params.push_back(d_->params[i].fallback);
      if (std::string(d_->params[i].name) == "bias") params.back().number = bias;
    }
    insource_host host{sizeof(insource_host), INSOURCE_ABI_MAJOR, INSOURCE_ABI_MINOR, 0, nullptr, nullptr};
    char err[256] = "";
    int32_t status = d_->create(&host, params.data(), params.size(), &instance_, err, sizeof err);
    if (error) *error = err;
    return status;
  }

  // Votes on a case that gives @PREFIX@.fit (or nothing, when fit < 0).
  int32_t vote(double fit, insource_vote* out) {
    std::vector<insource_value> facts(d_->fact_count, insource_value{INSOURCE_ABSENT, 0, 0.0, nullptr, 0});
    if (fit >= 0) facts[0] = insource_value{INSOURCE_NUMBER, 0, fit, nullptr, 0};
    *out = insource_vote{};  // the host zeroes the vote before each call
    return d_->evaluate(instance_, facts.data(), facts.size(), INSOURCE_EVAL_RATIONALE, out);
  }

  void* lib_ = nullptr;
  const insource_plugin_descriptor* d_ = nullptr;
  void* instance_ = nullptr;
};

TEST_F(@CLASS@Test, DescribesItself) {
  EXPECT_EQ(d_->abi_major, static_cast<uint32_t>(INSOURCE_ABI_MAJOR));
  EXPECT_GE(d_->struct_size, INSOURCE_DESCRIPTOR_MIN_SIZE_1_0);
  EXPECT_STREQ(d_->name, "@NAME@");
  EXPECT_STREQ(d_->criterion, "@CRITERION@");
  ASSERT_EQ(d_->fact_count, 1u);
  EXPECT_STREQ(d_->facts[0].name, "@PREFIX@.fit");
  ASSERT_EQ(d_->param_count, 1u);
  EXPECT_STREQ(d_->params[0].name, "bias");
}

TEST_F(@CLASS@Test, VotesFromTheFit) {
  ASSERT_EQ(create(0.0), INSOURCE_OK);
  insource_vote v;
  ASSERT_EQ(vote(0.75, &v), INSOURCE_OK) << (v.message ? v.message : "");
  EXPECT_FALSE(v.abstain);
  EXPECT_DOUBLE_EQ(v.score, 0.5);  // 2 x 0.75 - 1
  ASSERT_NE(v.rationale, nullptr);
  EXPECT_STREQ(v.rationale, "fit 0.75: 2 x 0.75 - 1 + bias 0 -> score 0.5");
}

TEST_F(@CLASS@Test, TheBiasIsAParameter) {
  ASSERT_EQ(create(0.25), INSOURCE_OK);
  insource_vote v;
  ASSERT_EQ(vote(0.5, &v), INSOURCE_OK);
  EXPECT_DOUBLE_EQ(v.score, 0.25);  // 2 x 0.5 - 1 + 0.25
  ASSERT_EQ(vote(1.0, &v), INSOURCE_OK);
  EXPECT_DOUBLE_EQ(v.score, 1.0);  // 2 x 1 - 1 + 0.25, clamped
}

TEST_F(@CLASS@Test, AbstainsWithoutItsFact) {
  ASSERT_EQ(create(0.0), INSOURCE_OK);
  insource_vote v;
  ASSERT_EQ(vote(-1, &v), INSOURCE_OK);
  EXPECT_TRUE(v.abstain);
}

TEST_F(@CLASS@Test, RefusesABiasOutOfRange) {
  std::string error;
  EXPECT_EQ(create(2.0, &error), INSOURCE_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error, "bias must be in [-1, 1], got 2");
  EXPECT_EQ(instance_, nullptr);
}

}  // namespace
)TPL";

constexpr const char* kRules = R"TPL(# A policy to try @NAME@ with: this criterion alone.
#   insource decide --plugins build --rules rules.yaml case.yaml
# To add it to the default policy instead, extend that:
#   extends: @DEFAULT_RULES@
# and keep only the `criteria` entry below, with the weight it deserves next
# to cost (0.30), control (0.25), security (0.20), legal (0.15), training (0.10).
insource: 1
name: @NAME@ alone
criteria:
  @CRITERION@: {weight: 1.0, params: {bias: 0.0}}
)TPL";

constexpr const char* kCase = R"TPL(# With rules.yaml: fit 0.75 -> score 2 x 0.75 - 1 = 0.5 -> verdict insource.
id: example
title: An example case for @NAME@
facts:
  @PREFIX@: {fit: 0.75}
)TPL";

constexpr const char* kReadme = R"TPL(# @NAME@

The `@CRITERION@` criterion for insource (the sourcing-decision engine), as
an out-of-tree plugin built against the insource plugin SDK. Scaffolded by
`insource new-plugin`; `src/@IDENT@.cc` holds an example fact
(`@PREFIX@.fit`, a number in [0, 1]) and an example parameter (`bias`):

    score = clamp(2 x @PREFIX@.fit - 1 + bias, -1, 1)

Replace them with your own. The plugin guide (`docs/plugin-guide.md` in the
insource sources) explains the contract.

## Build and test

```sh
cmake -S . -B build @SDK_HINT@
cmake --build build
ctest --test-dir build --output-on-failure
```

The test (`tests/@IDENT@_test.cc`) loads `build/@NAME@.so` with `dlopen` and
votes through the C ABI, as the host does. It needs GoogleTest
(`apt install libgtest-dev`); without it only the plugin is built.

## Load it

```sh
@INSOURCE@ plugins --plugins build
@INSOURCE@ decide --plugins build --rules rules.yaml case.yaml
```

The second prints verdict `insource`: fit 0.75 gives the score 0.5. To load
it without `--plugins`, install it where insource looks:

```sh
cmake --install build --prefix @PREFIX_DIR@
```

or put its folder on `INSOURCE_PLUGIN_PATH` (colon-separated).
)TPL";

constexpr const char* kGitignore = "build/\n";

std::string fill(std::string text, const std::vector<std::pair<std::string, std::string>>& vars) {
  for (const auto& [key, value] : vars) {
    const std::string token = "@" + key + "@";
    for (size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + value.size()))
      text.replace(at, token.size(), value);
  }
  return text;
}

// A plugin name becomes a CMake target and the file NAME.so.
bool valid_plugin_name(const std::string& s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  for (const char* reserved : {"all", "clean", "help", "install", "test", "package", "edit_cache", "rebuild_cache"})
    if (s == reserved) return false;
  return true;
}

// What the host accepts as a criterion name (letters, digits, '_' and '-').
bool valid_criterion(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

std::string identifier(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (c == '-') c = '_';
  return out;
}

// "team-fit" -> "TeamFit"; a leading digit gets a prefix.
std::string class_name(const std::string& s) {
  std::string out;
  bool upper = true;
  for (char c : s) {
    if (c == '-' || c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "Criterion" + out;
  return out;
}

std::string upper(const std::string& s) {
  std::string out = identifier(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Where the SDK's CMake package is, for the README: an installed prefix
// (<prefix>/lib*/cmake/InsourceSDK) or the build tree (<build>/sdk).
std::string sdk_hint(const fs::path& prefix) {
  std::error_code ec;
  std::vector<fs::path> candidates;
  for (const auto& entry : fs::directory_iterator(prefix, ec)) {
    std::string n = entry.path().filename().string();
    if (n.rfind("lib", 0) != 0 || !entry.is_directory(ec)) continue;
    candidates.push_back(entry.path() / "cmake" / "InsourceSDK");
    for (const auto& sub : fs::directory_iterator(entry.path(), ec))
      if (sub.is_directory(ec)) candidates.push_back(sub.path() / "cmake" / "InsourceSDK");
  }
  for (const fs::path& c : candidates)
    if (fs::exists(c / "InsourceSDKConfig.cmake", ec)) return "-DCMAKE_PREFIX_PATH=" + prefix.string();
  if (fs::exists(prefix / "sdk" / "InsourceSDKConfig.cmake", ec)) return "-DInsourceSDK_DIR=" + (prefix / "sdk").string();
  return "-DCMAKE_PREFIX_PATH=/path/to/insource/prefix";
}

bool write_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "insource new-plugin: cannot write " << path.string() << "\n";
    return false;
  }
  return true;
}

int run_new_plugin(const NewPluginOptions& o) {
  if (!valid_plugin_name(o.name)) {
    std::cerr << "insource new-plugin: '" << o.name
              << "' is not a usable plugin name: a letter, then letters, digits, '_' and '-' "
                 "(it names the CMake target and the file NAME.so)\n";
    return kExitUsage;
  }
  if (!valid_criterion(o.criterion)) {
    std::cerr << "insource new-plugin: '" << o.criterion
              << "' is not a valid criterion name: letters, digits, '_' and '-'\n";
    return kExitUsage;
  }
  const fs::path dir = o.dir.empty() ? fs::path(o.name) : fs::path(o.dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    std::cerr << "insource new-plugin: " << dir.string() << " exists and is not a folder\n";
    return kExitUsage;
  }
  if (fs::is_directory(dir, ec) && !fs::is_empty(dir, ec) && !o.force) {
    std::cerr << "insource new-plugin: " << dir.string()
              << " exists and is not empty; choose another --dir, or --force to overwrite the scaffold's files\n";
    return kExitUsage;
  }

  // This installation: <prefix>/bin/insource, <prefix>/share/insource/rules/default.yaml.
  fs::path plugin_dir = default_plugin_dir();
  fs::path prefix = plugin_dir.empty() ? fs::path("/path/to/insource/prefix")
                                       : plugin_dir.parent_path().parent_path().parent_path();
  fs::path exe = prefix / "bin" / "insource";
  fs::path default_rules = prefix / "share" / "insource" / "rules" / "default.yaml";
  std::string version = INSOURCE_VERSION;
  std::string major_minor = version.substr(0, version.find('.', version.find('.') + 1));

  const std::vector<std::pair<std::string, std::string>> vars = {
      {"NAME", o.name},
      {"CRITERION", o.criterion},
      {"IDENT", identifier(o.name)},
      {"UPPER", upper(o.name)},
      {"CLASS", class_name(o.criterion)},
      {"PREFIX", identifier(o.criterion)},
      {"SDK_VERSION", version},
      {"SDK_MAJOR_MINOR", major_minor},
      {"SDK_HINT", sdk_hint(prefix)},
      {"INSOURCE", fs::exists(exe, ec) ? exe.string() : std::string("insource")},
      {"PREFIX_DIR", prefix.string()},
      {"DEFAULT_RULES", fs::exists(default_rules, ec) ? default_rules.string()
                                                      : std::string("<insource prefix>/share/insource/rules/default.yaml")},
  };
  const std::string ident = identifier(o.name);
  const std::vector<std::pair<fs::path, const char*>> files = {
      {"CMakeLists.txt", kCMakeLists},
      {fs::path("src") / (ident + ".cc"), kSource},
      {fs::path("tests") / (ident + "_test.cc"), kTest},
      {"rules.yaml", kRules},
      {"case.yaml", kCase},
      {"README.md", kReadme},
      {".gitignore", kGitignore},
  };
  for (const auto& [rel, text] : files) {
    if (!write_file(dir / rel, fill(text, vars))) return kExitFailed;
    std::cout << "created " << (dir / rel).string() << "\n";
  }
  std::cout << "\nnext:\n"
            << "  cd " << dir.string() << "\n"
            << "  cmake -S . -B build " << fill("@SDK_HINT@", vars) << " && cmake --build build && ctest --test-dir build\n"
            << "  " << fill("@INSOURCE@", vars) << " decide --plugins build --rules rules.yaml case.yaml\n";
  return kExitOk;
}

}  // namespace

void register_new_plugin(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<NewPluginOptions>();
  CLI::App* cmd = app.add_subcommand(
      "new-plugin", "Scaffold an out-of-tree criterion plugin project: CMake, source, test, README");
  cmd->add_option("name", o->name, "The plugin's name: the CMake target and the file NAME.so")
      ->required()
      ->type_name("NAME");
  cmd->add_option("--criterion", o->criterion, "The criterion it votes on, as named in rules files")
      ->required()
      ->type_name("C");
  cmd->add_option("--dir", o->dir, "Where to create the project (default: ./NAME)")->type_name("DIR");
  cmd->add_flag("--force", o->force, "Write into a folder that is not empty, overwriting the scaffold's files");
  cmd->callback([o, exit_code]() { *exit_code = run_new_plugin(*o); });
}

}  // namespace insource::cli
