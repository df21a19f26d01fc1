// The ABI guarantees of plugin.h, tested: the 1.0 layout is frozen, a plugin
// built against an older minor (a smaller descriptor) loads and votes, one
// built against a newer minor loads with its unknown fields ignored, and the
// host tells plugins its own version through insource_host.
//
// Not here because they are elsewhere: a newer major is refused naming both
// versions (plugin_loader_test.cc, RefusesANewerAbiMajorNamingBothVersions);
// a descriptor smaller than 1.0 is refused (RefusesADescriptorSmallerThanAbi10);
// the header compiles as C99 and C++ with -Wall -Wextra -pedantic -Werror
// (the insource_sdk_header_check target).
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <cstddef>

#include "plugin_host/plugin_loader.h"
#include "test_util.h"

namespace insource {
namespace {

using test::decide;
using test::fixture_plugin_dir;
using test::policy_from;

// The layout of ABI 1 on LP64 (x86_64, aarch64): a minor may only append to
// insource_plugin_descriptor; nothing here may ever move.
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
static_assert(offsetof(insource_value, type) == 0);
static_assert(offsetof(insource_value, boolean) == 4);
static_assert(offsetof(insource_value, number) == 8);
static_assert(offsetof(insource_value, string) == 16);
static_assert(offsetof(insource_value, length) == 24);
static_assert(sizeof(insource_value) == 32);

static_assert(offsetof(insource_fact_decl, name) == 0);
static_assert(offsetof(insource_fact_decl, type) == 8);
static_assert(offsetof(insource_fact_decl, flags) == 12);
static_assert(offsetof(insource_fact_decl, fallback) == 16);
static_assert(offsetof(insource_fact_decl, allowed) == 48);
static_assert(offsetof(insource_fact_decl, min) == 56);
static_assert(offsetof(insource_fact_decl, max) == 64);
static_assert(offsetof(insource_fact_decl, unit) == 72);
static_assert(offsetof(insource_fact_decl, description) == 80);
static_assert(sizeof(insource_fact_decl) == 88);

static_assert(offsetof(insource_param_decl, name) == 0);
static_assert(offsetof(insource_param_decl, type) == 8);
static_assert(offsetof(insource_param_decl, fallback) == 16);
static_assert(offsetof(insource_param_decl, description) == 48);
static_assert(sizeof(insource_param_decl) == 56);

static_assert(offsetof(insource_host, struct_size) == 0);
static_assert(offsetof(insource_host, abi_major) == 4);
static_assert(offsetof(insource_host, abi_minor) == 8);
static_assert(offsetof(insource_host, log_context) == 16);
static_assert(offsetof(insource_host, log) == 24);
static_assert(sizeof(insource_host) >= 32);

static_assert(offsetof(insource_vote, score) == 0);
static_assert(offsetof(insource_vote, abstain) == 8);
static_assert(offsetof(insource_vote, rationale) == 16);
static_assert(offsetof(insource_vote, message) == 24);
static_assert(sizeof(insource_vote) == 32);

static_assert(offsetof(insource_plugin_descriptor, abi_major) == 0);
static_assert(offsetof(insource_plugin_descriptor, abi_minor) == 4);
static_assert(offsetof(insource_plugin_descriptor, struct_size) == 8);
static_assert(offsetof(insource_plugin_descriptor, name) == 16);
static_assert(offsetof(insource_plugin_descriptor, version) == 24);
static_assert(offsetof(insource_plugin_descriptor, criterion) == 32);
static_assert(offsetof(insource_plugin_descriptor, description) == 40);
static_assert(offsetof(insource_plugin_descriptor, facts) == 48);
static_assert(offsetof(insource_plugin_descriptor, fact_count) == 56);
static_assert(offsetof(insource_plugin_descriptor, param_count) == 60);
static_assert(offsetof(insource_plugin_descriptor, params) == 64);
static_assert(offsetof(insource_plugin_descriptor, score_min) == 72);
static_assert(offsetof(insource_plugin_descriptor, score_max) == 80);
static_assert(offsetof(insource_plugin_descriptor, create) == 88);
static_assert(offsetof(insource_plugin_descriptor, evaluate) == 96);
static_assert(offsetof(insource_plugin_descriptor, destroy) == 104);
static_assert(INSOURCE_DESCRIPTOR_MIN_SIZE_1_0 == 112);
#endif
// Whatever the platform: 1.0 is a prefix of the current descriptor.
static_assert(INSOURCE_DESCRIPTOR_MIN_SIZE_1_0 <= sizeof(insource_plugin_descriptor));
static_assert(INSOURCE_ABI_MAJOR == 1, "a new major needs new layout pins above");

// Captures what plugins log through the host for the life of the object.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(32)), previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("abi-test", sink_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const {
    std::string all;
    for (const auto& l : sink_->last_formatted()) all += l;
    return all;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(PluginAbi, LoadsAPluginBuiltAgainstAnOlderMinor) {
  PluginSet set = load_plugins({fixture_plugin_dir("older_minor")});
  ASSERT_EQ(set.plugins.size(), 1u);
  const LoadedPlugin& p = *set.plugins[0];
  EXPECT_EQ(p.name(), "fixture-older-minor");
  EXPECT_EQ(p.criterion(), "legacy");
  EXPECT_EQ(p.abi_major(), 1u);
  EXPECT_EQ(p.abi_minor(), 0u);
  ASSERT_EQ(p.facts().size(), 1u);
  EXPECT_EQ(p.facts()[0].name, "legacy.score");
}

TEST(PluginAbi, APluginBuiltAgainstAnOlderMinorVotesInAPolicy) {
  auto policy = policy_from("insource: 1\ncriteria: {cost: {weight: 1}, legacy: {weight: 1}}\n", {"older_minor"});
  Decision d = decide(policy, "id: old\nfacts: {legacy: {score: 0.5}}\n");
  ASSERT_FALSE(d.failed) << d.error;
  size_t i = test::crit(*policy, "legacy");
  EXPECT_EQ(d.criteria[i].state, CriterionOutcome::State::kVoted);
  EXPECT_DOUBLE_EQ(d.criteria[i].score, 0.5);
  EXPECT_EQ(d.criteria[i].rationale, "built for ABI 1.0, votes 0.5");
  EXPECT_EQ(d.verdict, Verdict::kInsource);  // cost abstains: total 0.5

  d = decide(policy, "id: none\nfacts: {cost: {hours: 10, internal_rate: 50, external_rate: 50}}\n");
  ASSERT_FALSE(d.failed) << d.error;
  EXPECT_EQ(d.criteria[i].state, CriterionOutcome::State::kAbstained);
}

TEST(PluginAbi, LoadsAPluginBuiltAgainstANewerMinorIgnoringFieldsItDoesNotKnow) {
  LogCapture log;  // the plugin logs at create
  PluginSet set = load_plugins({fixture_plugin_dir("newer_minor")});
  ASSERT_EQ(set.plugins.size(), 1u);
  const LoadedPlugin& p = *set.plugins[0];
  EXPECT_EQ(p.criterion(), "newer");
  EXPECT_EQ(p.abi_major(), 1u);
  EXPECT_EQ(p.abi_minor(), static_cast<uint32_t>(INSOURCE_ABI_MINOR + 1));
  auto inst = p.instantiate({});
  insource_vote vote;
  ASSERT_EQ(inst->evaluate(nullptr, 0, INSOURCE_EVAL_RATIONALE, &vote), INSOURCE_OK);
  EXPECT_DOUBLE_EQ(vote.score, 0.25);
  EXPECT_STREQ(vote.rationale, "built for a newer minor, votes 0.25");
}

TEST(PluginAbi, TheHostTellsAPluginItsAbiVersionAndStructSize) {
  LogCapture log;
  {
    PluginSet set = load_plugins({fixture_plugin_dir("newer_minor")});
    auto inst = set.plugins[0]->instantiate({});
  }
  std::string expected = "[plugin fixture-newer-minor] host ABI " + std::to_string(INSOURCE_ABI_MAJOR) + "." +
                         std::to_string(INSOURCE_ABI_MINOR) + ", insource_host " +
                         std::to_string(sizeof(insource_host)) + " bytes";
  EXPECT_NE(log.text().find(expected), std::string::npos) << log.text();
}

// An older-minor plugin next to the built-ins, as it would be in an
// installed prefix: one policy uses both.
TEST(PluginAbi, OlderAndCurrentMinorsLoadTogether) {
  PluginSet set = test::plugins_with({"older_minor", "newer_minor"});
  EXPECT_EQ(set.plugins.size(), 7u);
  ASSERT_TRUE(set.find("legacy"));
  ASSERT_TRUE(set.find("newer"));
  ASSERT_TRUE(set.find("cost"));
  EXPECT_EQ(set.find("cost")->abi_minor(), static_cast<uint32_t>(INSOURCE_ABI_MINOR));
}

}  // namespace
}  // namespace insource
