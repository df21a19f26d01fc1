// Loading plugins with Boost.DLL: the built-ins, a plain-C plugin, and every
// way a plugin file can be unusable (each a clear error naming the file).
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>

#include "plugin_host/plugin_loader.h"
#include "plugin_host/sha256.h"
#include "test_util.h"

namespace insource {
namespace {

using test::fixture_plugin_dir;

std::string load_error(const std::vector<std::filesystem::path>& dirs) {
  try {
    load_plugins(dirs);
  } catch (const PluginError& e) {
    return e.what();
  }
  ADD_FAILURE() << "the plugins loaded, but an error was expected";
  return {};
}

TEST(PluginLoader, LoadsTheFiveBuiltinCriteria) {
  PluginSet set = load_plugins({INSOURCE_PLUGIN_DIR});
  ASSERT_EQ(set.plugins.size(), 5u);
  for (const char* c : {"cost", "control", "security", "legal", "training"}) {
    auto p = set.find(c);
    ASSERT_TRUE(p) << c;
    EXPECT_EQ(p->abi_major(), 1u);
    EXPECT_FALSE(p->facts().empty());
  }
  auto cost = set.find("cost");
  ASSERT_EQ(cost->params().size(), 1u);
  EXPECT_EQ(cost->params()[0].name, "vendor_overhead");
  EXPECT_DOUBLE_EQ(cost->params()[0].fallback_number, 0.10);
}

TEST(PluginLoader, RefusesANewerAbiMajorNamingBothVersions) {
  std::string e = load_error({fixture_plugin_dir("wrong_abi_major")});
  EXPECT_NE(e.find("wrong_abi_major.so"), std::string::npos) << e;
  EXPECT_NE(e.find("ABI 2.0"), std::string::npos) << e;
  EXPECT_NE(e.find("ABI 1.0"), std::string::npos) << e;
}

TEST(PluginLoader, RefusesALibraryWithoutTheEntrySymbol) {
  std::string e = load_error({fixture_plugin_dir("no_entry")});
  EXPECT_NE(e.find("no_entry.so"), std::string::npos) << e;
  EXPECT_NE(e.find("insource_plugin_entry"), std::string::npos) << e;
}

TEST(PluginLoader, RefusesADescriptorSmallerThanAbi10) {
  std::string e = load_error({fixture_plugin_dir("small_struct")});
  EXPECT_NE(e.find("small_struct.so"), std::string::npos) << e;
  EXPECT_NE(e.find("struct_size 16"), std::string::npos) << e;
}

TEST(PluginLoader, RefusesTwoPluginsForOneCriterionNamingBothFiles) {
  std::string e = load_error({INSOURCE_PLUGIN_DIR, fixture_plugin_dir("cost_again")});
  EXPECT_NE(e.find("cost_again.so"), std::string::npos) << e;
  EXPECT_NE(e.find("cost.so"), std::string::npos) << e;
  EXPECT_NE(e.find("criterion 'cost'"), std::string::npos) << e;
}

TEST(PluginLoader, RefusesAFileThatIsNotASharedLibrary) {
  auto dir = test::scratch_dir() / "notalib";
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "garbage.so") << "this is not an ELF file"; }
  std::string e = load_error({dir});
  EXPECT_NE(e.find("garbage.so"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot be loaded"), std::string::npos) << e;
  std::filesystem::remove_all(dir);
}

TEST(PluginLoader, SkipsMissingFoldersAndReadsAFolderOnce) {
  PluginSet set = load_plugins({"/nonexistent/insource", INSOURCE_PLUGIN_DIR, INSOURCE_PLUGIN_DIR});
  EXPECT_EQ(set.plugins.size(), 5u);
}

TEST(PluginLoader, LoadsAPlainCPlugin) {
  PluginSet set = load_plugins({fixture_plugin_dir("c_speed")});
  ASSERT_EQ(set.plugins.size(), 1u);
  const LoadedPlugin& p = *set.plugins[0];
  EXPECT_EQ(p.criterion(), "speed");
  EXPECT_EQ(p.name(), "fixture-c-speed");
  ASSERT_EQ(p.facts().size(), 2u);
  EXPECT_TRUE(p.facts()[0].required);
  EXPECT_EQ(p.facts()[0].unit, "weeks");
}

TEST(PluginLoader, LibraryStaysLoadedWhileAnInstanceLives) {
  std::unique_ptr<PluginInstance> inst;
  {
    PluginSet set = load_plugins({fixture_plugin_dir("c_speed")});
    inst = set.plugins[0]->instantiate({ParamValue{Type::kNumber, 1.0, false, {}}});
  }  // the set, and with it every other reference to the plugin, is gone
  insource_value facts[2] = {make_number(2), make_number(6)};
  insource_vote vote;
  ASSERT_EQ(inst->evaluate(facts, 2, INSOURCE_EVAL_RATIONALE, &vote), INSOURCE_OK);
  EXPECT_DOUBLE_EQ(vote.score, (6.0 - 2.0) / 6.0);
  EXPECT_STREQ(vote.rationale, "team starts in 2 weeks, vendor in 6 -> 0.666667");
}

TEST(PluginLoader, PluginRefusingItsParametersIsAnErrorWithItsMessage) {
  PluginSet set = load_plugins({fixture_plugin_dir("c_speed")});
  try {
    set.plugins[0]->instantiate({ParamValue{Type::kNumber, -1.0, false, {}}});
    FAIL() << "expected a PluginError";
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("scale must be a number >= 0"), std::string::npos) << e.what();
  }
}

// docs/reliability.md section 3: every plugin loaded is logged with its path
// and SHA-256 (and whether it is isolated).
TEST(PluginLoader, EveryLoadedPluginIsLoggedWithPathAndHash) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(32);
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  logger->set_level(spdlog::level::info);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  PluginTrust isolated;
  isolated.allow_writable = true;
  isolated.isolate = {"faulty"};
  PluginSet set = load_plugins({INSOURCE_PLUGIN_DIR, fixture_plugin_dir("faulty")}, isolated);
  spdlog::set_default_logger(previous);
  std::string all;
  for (const auto& l : sink->last_formatted()) all += l;
  ASSERT_EQ(set.plugins.size(), 6u);
  for (const auto& p : set.plugins) {
    SCOPED_TRACE(p->name());
    EXPECT_EQ(p->sha256(), sha256_file_hex(p->path()));
    std::string line = "loaded plugin " + p->name() + " " + p->version() + " (" + p->criterion() + ") from " +
                       p->path().string() + " sha256 " + p->sha256() + (p->isolated() ? " (isolated)" : "");
    EXPECT_NE(all.find(line), std::string::npos) << all;
  }
  EXPECT_TRUE(set.find("faulty")->isolated());
  EXPECT_FALSE(set.find("cost")->isolated());
}

TEST(PluginLoader, PluginLogsReachTheHostLogger) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  logger->set_level(spdlog::level::debug);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  {
    PluginSet set = load_plugins({fixture_plugin_dir("logs")});
    auto inst = set.plugins[0]->instantiate({});
    insource_vote vote;
    ASSERT_EQ(inst->evaluate(nullptr, 0, 0, &vote), INSOURCE_OK);
  }
  spdlog::set_default_logger(previous);
  std::vector<std::string> lines = sink->last_formatted();
  std::string all;
  for (const auto& l : lines) all += l;
  EXPECT_NE(all.find("[plugin fixture-logs] created"), std::string::npos) << all;
  EXPECT_NE(all.find("[plugin fixture-logs] voting 0.25"), std::string::npos) << all;
}

TEST(PluginSearchPath, ExtraFoldersThenEnvironmentThenBesideTheBinaryNeverTheCurrentFolder) {
  setenv("INSOURCE_PLUGIN_PATH", "/opt/a::/opt/b", 1);
  auto dirs = plugin_search_path({"/x"}, true);
  unsetenv("INSOURCE_PLUGIN_PATH");
  ASSERT_EQ(dirs.size(), 4u);
  EXPECT_EQ(dirs[0], "/x");
  EXPECT_EQ(dirs[1], "/opt/a");
  EXPECT_EQ(dirs[2], "/opt/b");  // the empty entry between them is not "."
  EXPECT_EQ(dirs[3], default_plugin_dir());
  EXPECT_TRUE(dirs[3].is_absolute());
  EXPECT_EQ(dirs[3].filename(), "plugins");
  for (const auto& d : dirs) EXPECT_NE(d, std::filesystem::path("."));
}

}  // namespace
}  // namespace insource
