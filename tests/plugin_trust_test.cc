// Plugin trust (docs/reliability.md section 3): sha256 pins in the rules
// (checked on the file before it is ever opened), refusal of plugin files and
// folders writable by group or others, and --allow-writable-plugins.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plugin_host/plugin_file.h"
#include "plugin_host/sha256.h"
#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;

// A private folder (0755) holding a copy of the faulty fixture plugin (0755).
struct PluginCopy {
  fs::path dir, file;
  explicit PluginCopy(const std::string& tag) {
    dir = fs::temp_directory_path() / ("insource-trust-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    ::chmod(dir.c_str(), 0755);
    // A name of its own: mapped() looks for it in /proc/self/maps, where the
    // faulty.so that other tests in this process loaded stays mapped.
    file = dir / ("faulty-" + tag + ".so");
    fs::copy_file(test::fixture_plugin_dir("faulty") + "/faulty.so", file);
    ::chmod(file.c_str(), 0755);
  }
  ~PluginCopy() { fs::remove_all(dir); }
  std::string hash() const { return sha256_file_hex(file); }
};

std::string load_error(const std::vector<fs::path>& dirs, const PluginTrust& trust) {
  try {
    load_plugins(dirs, trust);
  } catch (const PluginError& e) {
    return e.what();
  }
  ADD_FAILURE() << "the plugins loaded, but an error was expected";
  return {};
}

// Whether any library mapped into this process comes from `path`: from the
// file itself, or from the in-memory copy the loader makes of it
// (plugin_file.h names it "memfd:insource:<file name>").
bool mapped(const fs::path& path) {
  std::ifstream maps("/proc/self/maps");
  std::string all((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  return all.find(path.string()) != std::string::npos ||
         all.find("memfd:insource:" + path.filename().string()) != std::string::npos;
}

// The file the load hook replaces, and what it writes there.
fs::path g_replace_file;
std::string g_replacement;
int g_replaced = 0;

void replace_in_window(const fs::path& file) {
  if (file != g_replace_file) return;
  // In place (same inode, as `cp` does) and then by rename: neither may reach the loader.
  std::ofstream(file, std::ios::binary | std::ios::trunc) << g_replacement;
  fs::path tmp = file.parent_path() / ".swap.tmp";
  std::ofstream(tmp, std::ios::binary) << g_replacement;
  fs::rename(tmp, file);
  ++g_replaced;
}

TEST(PluginTrust, APinnedPluginWithItsHashLoads) {
  PluginCopy copy("ok");
  PluginTrust trust;
  trust.pins["faulty"] = copy.hash();
  PluginSet set = load_plugins({copy.dir}, trust);
  ASSERT_EQ(set.plugins.size(), 1u);
  EXPECT_EQ(set.plugins[0]->criterion(), "faulty");
}

TEST(PluginTrust, ATamperedPinnedPluginIsRefusedBeforeItIsOpened) {
  PluginCopy copy("tampered");
  const std::string good = copy.hash();
  std::ofstream(copy.file, std::ios::binary | std::ios::app) << '\0';  // still a loadable ELF file
  PluginTrust trust;
  trust.pins["faulty"] = good;
  std::string e = load_error({copy.dir}, trust);
  EXPECT_NE(e.find("criterion 'faulty' is pinned to sha256 " + good), std::string::npos) << e;
  EXPECT_NE(e.find("refused without loading: " + copy.file.string() + " (sha256 " + copy.hash() + ")"),
            std::string::npos)
      << e;
  EXPECT_FALSE(mapped(copy.file)) << "the refused file was opened";
}

TEST(PluginTrust, AFileReplacedBetweenTheHashAndTheLoadIsNeverLoaded) {
  PluginCopy copy("window");
  const std::string pin = copy.hash();
  g_replace_file = copy.file;
  g_replacement = read_plugin_file(test::fixture_plugin_dir("crashy") + "/crashy.so").bytes;
  g_replaced = 0;
  set_plugin_load_hook(&replace_in_window);
  PluginTrust trust;
  trust.pins["faulty"] = pin;
  PluginSet set = load_plugins({copy.dir}, trust);
  ASSERT_EQ(g_replaced, 1) << "the hook ran inside the window";
  EXPECT_EQ(copy.hash(), sha256_hex(g_replacement)) << "the file on disk is the replacement";
  ASSERT_EQ(set.plugins.size(), 1u);
  EXPECT_EQ(set.plugins[0]->criterion(), "faulty") << "the bytes that were hashed are the ones loaded";
  EXPECT_EQ(set.plugins[0]->sha256(), pin);
  EXPECT_TRUE(mapped(copy.file));
  std::ifstream maps("/proc/self/maps");
  std::string all((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all.find("crashy"), std::string::npos) << "the replacement was loaded";

  // Isolated, the worker reads the file again: it finds another hash and refuses it.
  PluginCopy again("window-isolated");
  g_replace_file = again.file;
  g_replaced = 0;
  trust.pins["faulty"] = again.hash();
  trust.isolate_all = true;
  std::string e = load_error({again.dir}, trust);
  set_plugin_load_hook(nullptr);
  EXPECT_EQ(g_replaced, 1);
  EXPECT_NE(e.find("its sha256 changed to " + sha256_hex(g_replacement)), std::string::npos) << e;
  EXPECT_NE(e.find("not loaded"), std::string::npos) << e;
}

TEST(PluginTrust, AFileWithTheHashOfAnotherCriterionsPinIsRefused) {
  PluginCopy copy("swap");
  PluginTrust trust;
  trust.pins["cost"] = copy.hash();
  std::string e = load_error({copy.dir}, trust);
  EXPECT_NE(e.find("is the pin of criterion 'cost', but it votes on 'faulty'"), std::string::npos) << e;
}

TEST(PluginTrust, WritableFilesAndFoldersAreRefusedUnlessAllowed) {
  PluginCopy copy("writable");
  ::chmod(copy.file.c_str(), 0775);
  PluginTrust strict;
  std::string e = load_error({copy.dir}, strict);
  EXPECT_NE(e.find("writable by group or others"), std::string::npos) << e;
  EXPECT_NE(e.find(copy.file.string()), std::string::npos) << e;
  EXPECT_FALSE(mapped(copy.file));
  PluginTrust lax;
  lax.allow_writable = true;
  EXPECT_EQ(load_plugins({copy.dir}, lax).plugins.size(), 1u);

  ::chmod(copy.file.c_str(), 0755);
  ::chmod(copy.dir.c_str(), 0777);
  e = load_error({copy.dir}, strict);
  EXPECT_NE(e.find("plugin folder '" + copy.dir.string() + "' is writable by group or others"), std::string::npos) << e;
  ::chmod(copy.dir.c_str(), 0755);
  EXPECT_EQ(load_plugins({copy.dir}, strict).plugins.size(), 1u);
}

TEST(PluginTrust, PinsAreReadFromTheRulesAndAllOrNone) {
  const std::string h(64, 'a');
  RulesDoc doc = read_rules_text("insource: 1\ncriteria:\n  cost: {weight: 1, sha256: " + std::string(64, 'A') +
                                     "}\n  faulty: {weight: 1, sha256: " + h + "}\n",
                                 "t.yaml", ".");
  PluginTrust t = plugin_trust_of(doc, false);
  EXPECT_EQ(t.pins.size(), 2u);
  EXPECT_EQ(t.pins["cost"], h);  // lower-cased

  doc = read_rules_text("insource: 1\ncriteria:\n  cost: {weight: 1, sha256: " + h + "}\n  faulty: {weight: 1}\n",
                        "t.yaml", ".");
  try {
    plugin_trust_of(doc, false);
    ADD_FAILURE() << "partial pinning accepted";
  } catch (const RulesError& e) {
    EXPECT_NE(std::string(e.what()).find("criterion faulty has no sha256 pin, but others do"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(plugin_trust_of(read_rules_text("insource: 1\ncriteria: {cost: {weight: 1}}\n", "t.yaml", "."), false)
                  .pins.empty());
}

TEST(PluginTrust, ABadPinIsARulesError) {
  std::string e = test::rules_error("insource: 1\ncriteria: {cost: {weight: 1, sha256: abc}}\n");
  EXPECT_NE(e.find("test.yaml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("sha256 of cost must be 64 hex digits"), std::string::npos) << e;
}

// The command line: pins in the rules file keep a tampered plugin out of decide.
TEST(PluginTrust, DecideRefusesATamperedPinnedPlugin) {
  PluginCopy copy("cli");
  fs::path rules = copy.dir / "rules.yaml", kase = copy.dir / "case.yaml";
  std::ofstream(rules) << "insource: 1\ncriteria: {faulty: {weight: 1, sha256: " << copy.hash() << "}}\n";
  std::ofstream(kase) << "id: x\nfacts: {faulty: {mode: ok}}\n";
  auto run = [&](const std::string& extra) {
    std::string cmd = std::string(INSOURCE_BINARY) + " decide --no-default-plugins --plugins " + copy.dir.string() +
                      " --rules " + rules.string() + " " + extra + " " + kase.string() + " >/dev/null 2>" +
                      (copy.dir / "err").string();
    int status = std::system(cmd.c_str());
    std::ifstream in(copy.dir / "err");
    std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::make_pair(WEXITSTATUS(status), err);
  };
  EXPECT_EQ(run("").first, 0) << run("").second;
  std::ofstream(copy.file, std::ios::binary | std::ios::app) << '\0';
  auto [code, err] = run("");
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find("refused without loading"), std::string::npos) << err;
  // A writable plugin file: refused, unless allowed (the pin is updated so only the mode matters).
  std::ofstream(rules) << "insource: 1\ncriteria: {faulty: {weight: 1, sha256: " << copy.hash() << "}}\n";
  ::chmod(copy.file.c_str(), 0777);
  auto [code2, err2] = run("");
  EXPECT_EQ(code2, 2) << err2;
  EXPECT_NE(err2.find("writable by group or others"), std::string::npos) << err2;
  EXPECT_EQ(run("--allow-writable-plugins").first, 0) << run("--allow-writable-plugins").second;
}

// check and diff load a policy as decide does: with its pins (they used to
// load every plugin file on the path and never look at the pins).
TEST(PluginTrust, CheckAndDiffRefuseATamperedPinnedPlugin) {
  PluginCopy copy("check");
  fs::path rules = copy.dir / "rules.yaml", kase = copy.dir / "case.yaml";
  std::ofstream(rules) << "insource: 1\ncriteria: {faulty: {weight: 1, sha256: " << copy.hash() << "}}\n";
  std::ofstream(kase) << "id: x\nfacts: {faulty: {mode: ok}}\n";
  auto run = [&](const std::string& args) {
    std::string cmd = std::string(INSOURCE_BINARY) + " " + args + " >/dev/null 2>" + (copy.dir / "err").string();
    int status = std::system(cmd.c_str());
    std::ifstream in(copy.dir / "err");
    std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::make_pair(WEXITSTATUS(status), err);
  };
  const std::string plugins = "--no-default-plugins --plugins " + copy.dir.string();
  const std::string check = "check " + plugins + " --rules " + rules.string();
  const std::string diff = "diff " + plugins + " " + rules.string() + " " + rules.string() + " " + kase.string();
  EXPECT_EQ(run(check).first, 0) << run(check).second;
  EXPECT_EQ(run(diff).first, 0) << run(diff).second;
  std::ofstream(copy.file, std::ios::binary | std::ios::app) << '\0';
  auto [code, err] = run(check);
  EXPECT_NE(code, 0);
  EXPECT_NE(err.find("refused without loading"), std::string::npos) << err;
  auto [code2, err2] = run(diff);
  EXPECT_EQ(code2, 2);
  EXPECT_NE(err2.find("refused without loading"), std::string::npos) << err2;
}

}  // namespace
}  // namespace insource
