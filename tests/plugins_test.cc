// The five built-in criterion plugins, driven through their C ABI alone
// (plugin_harness.h), against values worked out by hand from docs/criteria.md
// sections 1-3. Each expectation carries its arithmetic.
#include "plugin_harness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

using insource_test::Instance;
using insource_test::Named;
using insource_test::PluginFile;
using insource_test::Result;

constexpr double kTol = 1e-12;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string plugin_path(const std::string& criterion) { return INSOURCE_PLUGIN_DIR "/" + criterion + ".so"; }

// Loads one plugin and makes an instance with default parameters.
class PluginTest : public ::testing::Test {
 protected:
  explicit PluginTest(const std::string& criterion) : file(plugin_path(criterion)), inst(file.create()) {}

  // A vote that must succeed; the test stops with the plugin's message otherwise.
  Result vote(const std::vector<Named>& facts) {
    Result r = inst.evaluate(facts);
    EXPECT_EQ(r.status, INSOURCE_OK) << r.message;
    EXPECT_FALSE(r.abstain);
    return r;
  }
  double score(const std::vector<Named>& facts) { return vote(facts).score; }

  PluginFile file;
  Instance inst;
};

void expect_strings(const char* const* allowed, const std::vector<std::string>& expected) {
  ASSERT_NE(allowed, nullptr);
  std::vector<std::string> got;
  for (; *allowed; ++allowed) got.emplace_back(*allowed);
  EXPECT_EQ(got, expected);
}

void expect_no_fallback(const insource_fact_decl& f) { EXPECT_EQ(f.fallback.type, INSOURCE_ABSENT) << f.name; }

// ---------------------------------------------------------------- all five

// The seed article's candy-launch case (docs/criteria.md section 1), one criterion's share of it.
struct Seed {
  std::string criterion;
  std::vector<Named> facts;
  double score;
  double score_min;
  double score_max;
};

std::vector<Seed> seeds() {
  return {
      // internal = 1200 x (85 + 30) = 138000; external = 1200 x 60 x 1.10 + 5000 = 84200;
      // rel(84200, 138000) = (84200 - 138000) / 138000 = -53800 / 138000
      {"cost",
       {{"cost.hours", 1200},
        {"cost.internal_rate", 85},
        {"cost.external_rate", 60},
        {"cost.opportunity_rate", 30},
        {"cost.transition", 5000}},
       -53800.0 / 138000.0, -1, 1},
      // high 1, core no 0, customer-facing yes 1, change high 1: mean 3/4; 2 x 0.75 - 1 = 0.5
      {"control",
       {{"control.institutional_knowledge", "high"},
        {"control.core_competence", false},
        {"control.customer_facing", true},
        {"control.change_frequency", "high"}},
       0.5, -1, 1},
      // front_office 0.5, internal 1/3: mean 5/12; certified: 5/12 x (1 - 0.5) = 5/24
      {"security",
       {{"security.system_access", "front_office"},
        {"security.data_sensitivity", "internal"},
        {"security.vendor_certified", true}},
       5.0 / 24.0, 0, 1},
      // domestic 0, regulated no 0, IP-sensitive yes 1: mean 1/3
      {"legal",
       {{"legal.vendor_jurisdiction", "domestic"}, {"legal.regulated", false}, {"legal.ip_sensitive", true}},
       1.0 / 3.0, 0, 1},
      // ramp = rel(4, 1) = 3/4; expertise no = -1; mean (0.75 - 1) / 2 = -0.125;
      // medium 0.5: x (0.5 + 0.25) = -0.09375
      {"training",
       {{"training.complexity", "medium"},
        {"training.expertise_in_house", false},
        {"training.internal_ramp_weeks", 1},
        {"training.external_ramp_weeks", 4}},
       -0.09375, -1, 1},
  };
}

class BuiltinPlugins : public ::testing::TestWithParam<Seed> {};

INSTANTIATE_TEST_SUITE_P(All, BuiltinPlugins, ::testing::ValuesIn(seeds()),
                         [](const auto& info) { return info.param.criterion; });

TEST_P(BuiltinPlugins, DescriptorMeetsTheAbi) {
  const Seed& s = GetParam();
  PluginFile file(plugin_path(s.criterion));
  const insource_plugin_descriptor& d = file.descriptor();
  EXPECT_EQ(d.abi_major, 1u);
  EXPECT_EQ(d.abi_minor, 0u);
  EXPECT_EQ(d.struct_size, sizeof(insource_plugin_descriptor));
  EXPECT_GE(d.struct_size, INSOURCE_DESCRIPTOR_MIN_SIZE_1_0);
  EXPECT_EQ(std::string(d.name), "builtin-" + s.criterion);
  EXPECT_STREQ(d.version, "1.0.0");
  EXPECT_EQ(std::string(d.criterion), s.criterion);
  ASSERT_NE(d.description, nullptr);
  EXPECT_GT(std::string(d.description).size(), 20u);
  EXPECT_EQ(d.score_min, s.score_min);
  EXPECT_EQ(d.score_max, s.score_max);
  EXPECT_NE(d.create, nullptr);
  EXPECT_NE(d.evaluate, nullptr);
  EXPECT_NE(d.destroy, nullptr);
  ASSERT_GT(d.fact_count, 0u);
  for (uint32_t i = 0; i < d.fact_count; ++i) {
    const insource_fact_decl& f = d.facts[i];
    EXPECT_EQ(std::string(f.name).rfind(s.criterion + ".", 0), 0u) << f.name;
    EXPECT_NE(f.description, nullptr) << f.name;
    if (f.type == INSOURCE_STRING) {
      EXPECT_NE(f.allowed, nullptr) << f.name;
    }
    if (f.type == INSOURCE_NUMBER) {
      EXPECT_NE(f.unit, nullptr) << f.name;
      EXPECT_EQ(f.min, 0.0) << f.name;  // every number fact of docs/criteria.md is >= 0 (or > 0)
      EXPECT_EQ(f.max, HUGE_VAL) << f.name;
    }
  }
  for (uint32_t i = 0; i < d.param_count; ++i) EXPECT_EQ(d.params[i].fallback.type, d.params[i].type);
}

TEST_P(BuiltinPlugins, SeedCase) {
  const Seed& s = GetParam();
  PluginFile file(plugin_path(s.criterion));
  Instance inst = file.create();
  Result r = inst.evaluate(s.facts);
  ASSERT_EQ(r.status, INSOURCE_OK) << r.message;
  EXPECT_FALSE(r.abstain);
  EXPECT_NEAR(r.score, s.score, kTol);
  EXPECT_GE(r.score, s.score_min);
  EXPECT_LE(r.score, s.score_max);
}

TEST_P(BuiltinPlugins, RationaleOnlyWhenAsked) {
  const Seed& s = GetParam();
  PluginFile file(plugin_path(s.criterion));
  Instance inst = file.create();
  Result with = inst.evaluate(s.facts, INSOURCE_EVAL_RATIONALE);
  Result without = inst.evaluate(s.facts, 0);
  ASSERT_EQ(with.status, INSOURCE_OK) << with.message;
  ASSERT_EQ(without.status, INSOURCE_OK) << without.message;
  EXPECT_FALSE(with.rationale.empty());
  EXPECT_TRUE(without.rationale.empty());
  EXPECT_EQ(with.score, without.score);  // formatting must not change the arithmetic
}

TEST_P(BuiltinPlugins, AbstainsOnAnEmptyCase) {
  const Seed& s = GetParam();
  PluginFile file(plugin_path(s.criterion));
  Instance inst = file.create();
  Result r = inst.evaluate({});
  ASSERT_EQ(r.status, INSOURCE_OK) << r.message;
  EXPECT_TRUE(r.abstain);
  EXPECT_EQ(r.score, 0.0);
  EXPECT_FALSE(r.rationale.empty());
  EXPECT_TRUE(inst.evaluate({}, 0).rationale.empty());
}

// ---------------------------------------------------------------- cost

class BuiltinCost : public PluginTest {
 protected:
  BuiltinCost() : PluginTest("cost") {}
};

TEST_F(BuiltinCost, Descriptor) {
  const insource_plugin_descriptor& d = file.descriptor();
  ASSERT_EQ(d.fact_count, 5u);
  const char* names[] = {"cost.hours", "cost.internal_rate", "cost.external_rate", "cost.opportunity_rate",
                         "cost.transition"};
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_STREQ(d.facts[i].name, names[i]);
    EXPECT_EQ(d.facts[i].type, INSOURCE_NUMBER);
    EXPECT_EQ(d.facts[i].min, 0.0);
  }
  EXPECT_EQ(d.facts[0].flags, INSOURCE_FACT_REQUIRED | INSOURCE_FACT_MIN_EXCLUSIVE);
  EXPECT_EQ(d.facts[1].flags, INSOURCE_FACT_REQUIRED);
  EXPECT_EQ(d.facts[2].flags, INSOURCE_FACT_REQUIRED);
  EXPECT_EQ(d.facts[3].flags, 0u);
  EXPECT_EQ(d.facts[4].flags, 0u);
  EXPECT_STREQ(d.facts[0].unit, "hours");
  EXPECT_STREQ(d.facts[1].unit, "money/hour");
  EXPECT_STREQ(d.facts[2].unit, "money/hour");
  EXPECT_STREQ(d.facts[3].unit, "money/hour");
  EXPECT_STREQ(d.facts[4].unit, "money");
  for (int i = 0; i < 3; ++i) expect_no_fallback(d.facts[i]);
  EXPECT_EQ(d.facts[3].fallback.type, INSOURCE_NUMBER);
  EXPECT_EQ(d.facts[3].fallback.number, 0.0);
  EXPECT_EQ(d.facts[4].fallback.type, INSOURCE_NUMBER);
  EXPECT_EQ(d.facts[4].fallback.number, 0.0);

  ASSERT_EQ(d.param_count, 1u);
  EXPECT_STREQ(d.params[0].name, "vendor_overhead");
  EXPECT_EQ(d.params[0].type, INSOURCE_NUMBER);
  EXPECT_EQ(d.params[0].fallback.number, 0.10);
}

TEST_F(BuiltinCost, InHouseCheaper) {
  // internal = 100 x (50 + 0) = 5000; external = 100 x 80 x 1.1 + 0 = 8800;
  // rel(8800, 5000) = 3800 / 8800
  EXPECT_NEAR(score({{"cost.hours", 100}, {"cost.internal_rate", 50}, {"cost.external_rate", 80}}),
              3800.0 / 8800.0, kTol);
}

TEST_F(BuiltinCost, OpportunityRateAndTransitionDefaultToZero) {
  // internal = 10 x 100 = 1000; external = 10 x 100 x 1.1 = 1100; rel = 100 / 1100 = 1/11
  double absent = score({{"cost.hours", 10}, {"cost.internal_rate", 100}, {"cost.external_rate", 100}});
  double zero = score({{"cost.hours", 10},
                       {"cost.internal_rate", 100},
                       {"cost.external_rate", 100},
                       {"cost.opportunity_rate", 0},
                       {"cost.transition", 0}});
  EXPECT_NEAR(absent, 1.0 / 11.0, kTol);
  EXPECT_EQ(absent, zero);
}

TEST_F(BuiltinCost, OpportunityCostCountsInHouse) {
  // internal = 10 x (50 + 50) = 1000; external = 10 x 100 x 1.1 = 1100; rel = 100 / 1100
  EXPECT_NEAR(score({{"cost.hours", 10},
                     {"cost.internal_rate", 50},
                     {"cost.external_rate", 100},
                     {"cost.opportunity_rate", 50}}),
              1.0 / 11.0, kTol);
  // without it: internal = 10 x 50 = 500; rel(1100, 500) = 600 / 1100
  EXPECT_NEAR(score({{"cost.hours", 10}, {"cost.internal_rate", 50}, {"cost.external_rate", 100}}), 6.0 / 11.0,
              kTol);
}

TEST_F(BuiltinCost, TransitionCountsForTheVendor) {
  // internal = 1000; external = 10 x 100 x 1.1 + 900 = 2000; rel = (2000 - 1000) / 2000 = 0.5
  EXPECT_NEAR(score({{"cost.hours", 10},
                     {"cost.internal_rate", 100},
                     {"cost.external_rate", 100},
                     {"cost.transition", 900}}),
              0.5, kTol);
}

TEST_F(BuiltinCost, VendorOverheadParameter) {
  Instance quarter = file.create({{"vendor_overhead", 0.25}});
  Instance none = file.create({{"vendor_overhead", 0.0}});
  std::vector<Named> facts = {{"cost.hours", 10}, {"cost.internal_rate", 100}, {"cost.external_rate", 80}};
  // internal = 1000; external = 10 x 80 x 1.25 = 1000; rel = 0
  EXPECT_NEAR(quarter.evaluate(facts).score, 0.0, kTol);
  // external = 10 x 80 x 1 = 800; rel(800, 1000) = -200 / 1000
  EXPECT_NEAR(none.evaluate(facts).score, -0.2, kTol);
  // default 0.10: external = 880; rel(880, 1000) = -120 / 1000 (instances do not share parameters)
  EXPECT_NEAR(inst.evaluate(facts).score, -0.12, kTol);
}

TEST_F(BuiltinCost, BadVendorOverheadIsRefused) {
  for (double bad : {-0.1, kNaN, kInf}) {
    std::string error;
    EXPECT_EQ(file.try_create({{"vendor_overhead", bad}}, nullptr, &error), INSOURCE_ERR_INVALID_ARGUMENT) << bad;
    EXPECT_NE(error.find("vendor_overhead"), std::string::npos) << error;
  }
  std::string error;
  EXPECT_EQ(file.try_create({{"vendor_overhead", "ten percent"}}, nullptr, &error), INSOURCE_ERR_INVALID_ARGUMENT);
  EXPECT_NE(error.find("vendor_overhead"), std::string::npos) << error;
}

TEST_F(BuiltinCost, AbstainsWithNoCostFacts) {
  Result r = inst.evaluate({});
  EXPECT_EQ(r.status, INSOURCE_OK);
  EXPECT_TRUE(r.abstain);
  EXPECT_EQ(r.rationale, "no cost facts given");
}

TEST_F(BuiltinCost, RequiredFactsOnceAnyIsGiven) {
  // A default-only fact given is still "a cost fact given".
  Result r = inst.evaluate({{"cost.transition", 5000}});
  EXPECT_EQ(r.status, INSOURCE_ERR_MISSING_FACT);
  EXPECT_EQ(r.message, "cost.hours is required when any cost fact is given");

  r = inst.evaluate({{"cost.hours", 10}, {"cost.external_rate", 60}});
  EXPECT_EQ(r.status, INSOURCE_ERR_MISSING_FACT);
  EXPECT_NE(r.message.find("cost.internal_rate"), std::string::npos) << r.message;

  r = inst.evaluate({{"cost.hours", 10}, {"cost.internal_rate", 85}, {"cost.opportunity_rate", 30}});
  EXPECT_EQ(r.status, INSOURCE_ERR_MISSING_FACT);
  EXPECT_NE(r.message.find("cost.external_rate"), std::string::npos) << r.message;
}

TEST_F(BuiltinCost, ScoreReachesTheBoundsAndRelOfZeros) {
  // a free vendor: external = 10 x 0 x 1.1 + 0 = 0; rel(0, 1000) = -1000 / 1000 = -1
  EXPECT_EQ(score({{"cost.hours", 10}, {"cost.internal_rate", 100}, {"cost.external_rate", 0}}), -1.0);
  // free staff: internal = 0; external = 1100; rel(1100, 0) = 1100 / 1100 = +1
  EXPECT_EQ(score({{"cost.hours", 10}, {"cost.internal_rate", 0}, {"cost.external_rate", 100}}), 1.0);
  // both free: rel(0, 0) = 0, not NaN
  EXPECT_EQ(score({{"cost.hours", 10}, {"cost.internal_rate", 0}, {"cost.external_rate", 0}}), 0.0);
  // only the handover costs: external = 0 + 500; rel(500, 1000) = -0.5
  EXPECT_NEAR(score({{"cost.hours", 10},
                     {"cost.internal_rate", 100},
                     {"cost.external_rate", 0},
                     {"cost.transition", 500}}),
              -0.5, kTol);
}

TEST_F(BuiltinCost, BadNumbersAreInvalid) {
  const std::vector<std::vector<Named>> bad = {
      {{"cost.hours", 0}, {"cost.internal_rate", 100}, {"cost.external_rate", 80}},  // hours must be > 0
      {{"cost.hours", -1}, {"cost.internal_rate", 100}, {"cost.external_rate", 80}},
      {{"cost.hours", kNaN}, {"cost.internal_rate", 100}, {"cost.external_rate", 80}},
      {{"cost.hours", 10}, {"cost.internal_rate", -5}, {"cost.external_rate", 80}},
      {{"cost.hours", 10}, {"cost.internal_rate", 100}, {"cost.external_rate", kInf}},
      {{"cost.hours", 10}, {"cost.internal_rate", 100}, {"cost.external_rate", 80}, {"cost.transition", -1}},
      {{"cost.hours", 10}, {"cost.internal_rate", 100}, {"cost.external_rate", "sixty"}},  // wrong type
  };
  for (const auto& facts : bad) {
    Result r = inst.evaluate(facts);
    EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT) << r.message;
    EXPECT_NE(r.message.find("cost."), std::string::npos) << r.message;
  }
  Result r = inst.evaluate(bad[0]);
  EXPECT_NE(r.message.find("cost.hours"), std::string::npos) << r.message;
}

TEST_F(BuiltinCost, Rationale) {
  EXPECT_EQ(vote(seeds()[0].facts).rationale,
            "in house 1200 h x (85 + 30)/h = 138000; vendor 1200 h x 60/h x 1.1 + 5000 = 84200; "
            "the vendor is 39.0% cheaper -> score -0.39");
  // 3800 / 8800 = 43.18%
  EXPECT_EQ(vote({{"cost.hours", 100}, {"cost.internal_rate", 50}, {"cost.external_rate", 80}}).rationale,
            "in house 100 h x (50 + 0)/h = 5000; vendor 100 h x 80/h x 1.1 + 0 = 8800; "
            "in house is 43.2% cheaper -> score 0.432");
  Instance quarter = file.create({{"vendor_overhead", 0.25}});
  EXPECT_EQ(quarter.evaluate({{"cost.hours", 7.5}, {"cost.internal_rate", 100}, {"cost.external_rate", 80}}).rationale,
            "in house 7.5 h x (100 + 0)/h = 750; vendor 7.5 h x 80/h x 1.25 + 0 = 750; both cost the same -> score 0");
}

// ---------------------------------------------------------------- control

class BuiltinControl : public PluginTest {
 protected:
  BuiltinControl() : PluginTest("control") {}
};

TEST_F(BuiltinControl, Descriptor) {
  const insource_plugin_descriptor& d = file.descriptor();
  ASSERT_EQ(d.fact_count, 4u);
  EXPECT_STREQ(d.facts[0].name, "control.institutional_knowledge");
  EXPECT_EQ(d.facts[0].type, INSOURCE_STRING);
  expect_strings(d.facts[0].allowed, {"low", "medium", "high"});
  EXPECT_STREQ(d.facts[1].name, "control.core_competence");
  EXPECT_EQ(d.facts[1].type, INSOURCE_BOOL);
  EXPECT_STREQ(d.facts[2].name, "control.customer_facing");
  EXPECT_EQ(d.facts[2].type, INSOURCE_BOOL);
  EXPECT_STREQ(d.facts[3].name, "control.change_frequency");
  EXPECT_EQ(d.facts[3].type, INSOURCE_STRING);
  expect_strings(d.facts[3].allowed, {"low", "medium", "high"});
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(d.facts[i].flags, 0u);
    expect_no_fallback(d.facts[i]);
  }
  EXPECT_EQ(d.param_count, 0u);
}

TEST_F(BuiltinControl, Levels) {
  // 2 x 0 - 1, 2 x 0.5 - 1, 2 x 1 - 1
  EXPECT_EQ(score({{"control.institutional_knowledge", "low"}}), -1.0);
  EXPECT_EQ(score({{"control.institutional_knowledge", "medium"}}), 0.0);
  EXPECT_EQ(score({{"control.institutional_knowledge", "high"}}), 1.0);
  EXPECT_EQ(score({{"control.change_frequency", "medium"}}), 0.0);
  // bools: 2 x 1 - 1, 2 x 0 - 1
  EXPECT_EQ(score({{"control.core_competence", true}}), 1.0);
  EXPECT_EQ(score({{"control.customer_facing", false}}), -1.0);
}

TEST_F(BuiltinControl, MeanOverThePresentComponents) {
  // medium 0.5, customer-facing 1: mean 0.75; 2 x 0.75 - 1 = 0.5
  EXPECT_NEAR(score({{"control.institutional_knowledge", "medium"}, {"control.customer_facing", true}}), 0.5, kTol);
  // medium 0.5, core 1, change low 0: mean 1.5 / 3 = 0.5; score 0
  EXPECT_NEAR(score({{"control.institutional_knowledge", "medium"},
                     {"control.core_competence", true},
                     {"control.change_frequency", "low"}}),
              0.0, kTol);
  // core 0, change low 0: mean 0; score -1
  EXPECT_EQ(score({{"control.core_competence", false}, {"control.change_frequency", "low"}}), -1.0);
  // all four at 1: score +1
  EXPECT_EQ(score({{"control.institutional_knowledge", "high"},
                   {"control.core_competence", true},
                   {"control.customer_facing", true},
                   {"control.change_frequency", "high"}}),
            1.0);
}

TEST_F(BuiltinControl, AbstainsWithNoControlFacts) {
  Result r = inst.evaluate({});
  EXPECT_EQ(r.status, INSOURCE_OK);
  EXPECT_TRUE(r.abstain);
  EXPECT_EQ(r.rationale, "no control facts given");
}

TEST_F(BuiltinControl, BadValues) {
  Result r = inst.evaluate({{"control.institutional_knowledge", "very high"}});
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("control.institutional_knowledge"), std::string::npos) << r.message;
  r = inst.evaluate({{"control.change_frequency", "High"}});  // levels are case-sensitive
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
  r = inst.evaluate({{"control.core_competence", "yes"}});  // a string for a bool
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("control.core_competence"), std::string::npos) << r.message;
}

TEST_F(BuiltinControl, Rationale) {
  EXPECT_EQ(vote(seeds()[1].facts).rationale,
            "institutional knowledge high (1), core competence no (0), customer facing yes (1), "
            "change frequency high (1); mean 0.75 -> score 0.5");
  EXPECT_EQ(vote({{"control.change_frequency", "medium"}}).rationale, "change frequency medium (0.5); mean 0.5 -> score 0");
}

// ---------------------------------------------------------------- security

class BuiltinSecurity : public PluginTest {
 protected:
  BuiltinSecurity() : PluginTest("security") {}
};

TEST_F(BuiltinSecurity, Descriptor) {
  const insource_plugin_descriptor& d = file.descriptor();
  ASSERT_EQ(d.fact_count, 3u);
  EXPECT_STREQ(d.facts[0].name, "security.system_access");
  EXPECT_EQ(d.facts[0].type, INSOURCE_STRING);
  expect_strings(d.facts[0].allowed, {"none", "front_office", "back_office"});
  expect_no_fallback(d.facts[0]);
  EXPECT_STREQ(d.facts[1].name, "security.data_sensitivity");
  EXPECT_EQ(d.facts[1].type, INSOURCE_STRING);
  expect_strings(d.facts[1].allowed, {"public", "internal", "confidential", "restricted"});
  expect_no_fallback(d.facts[1]);
  EXPECT_STREQ(d.facts[2].name, "security.vendor_certified");
  EXPECT_EQ(d.facts[2].type, INSOURCE_BOOL);
  EXPECT_EQ(d.facts[2].fallback.type, INSOURCE_BOOL);
  EXPECT_EQ(d.facts[2].fallback.boolean, 0u);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(d.facts[i].flags, 0u);

  ASSERT_EQ(d.param_count, 1u);
  EXPECT_STREQ(d.params[0].name, "certified_discount");
  EXPECT_EQ(d.params[0].type, INSOURCE_NUMBER);
  EXPECT_EQ(d.params[0].fallback.number, 0.5);
}

TEST_F(BuiltinSecurity, Levels) {
  // none/front_office/back_office = 0, 0.5, 1 (not certified: risk as is)
  EXPECT_EQ(score({{"security.system_access", "none"}}), 0.0);
  EXPECT_EQ(score({{"security.system_access", "front_office"}}), 0.5);
  EXPECT_EQ(score({{"security.system_access", "back_office"}}), 1.0);
  // public/internal/confidential/restricted = 0, 1/3, 2/3, 1
  EXPECT_EQ(score({{"security.data_sensitivity", "public"}}), 0.0);
  EXPECT_NEAR(score({{"security.data_sensitivity", "internal"}}), 1.0 / 3.0, kTol);
  EXPECT_NEAR(score({{"security.data_sensitivity", "confidential"}}), 2.0 / 3.0, kTol);
  EXPECT_EQ(score({{"security.data_sensitivity", "restricted"}}), 1.0);
}

TEST_F(BuiltinSecurity, MeanAndCertification) {
  // back_office 1, confidential 2/3: mean 5/6; not certified (absent = false): 5/6
  EXPECT_NEAR(score({{"security.system_access", "back_office"}, {"security.data_sensitivity", "confidential"}}),
              5.0 / 6.0, kTol);
  // explicitly not certified: the same 5/6
  EXPECT_NEAR(score({{"security.system_access", "back_office"},
                     {"security.data_sensitivity", "confidential"},
                     {"security.vendor_certified", false}}),
              5.0 / 6.0, kTol);
  // certified: 5/6 x (1 - 0.5) = 5/12
  EXPECT_NEAR(score({{"security.system_access", "back_office"},
                     {"security.data_sensitivity", "confidential"},
                     {"security.vendor_certified", true}}),
              5.0 / 12.0, kTol);
  // one component: back_office 1, certified: 1 x 0.5
  EXPECT_EQ(score({{"security.system_access", "back_office"}, {"security.vendor_certified", true}}), 0.5);
}

TEST_F(BuiltinSecurity, CertifiedDiscountParameter) {
  std::vector<Named> certified = {{"security.system_access", "back_office"}, {"security.vendor_certified", true}};
  std::vector<Named> uncertified = {{"security.system_access", "back_office"}};
  Instance fifth = file.create({{"certified_discount", 0.2}});
  EXPECT_NEAR(fifth.evaluate(certified).score, 0.8, kTol);  // 1 x (1 - 0.2)
  EXPECT_EQ(fifth.evaluate(uncertified).score, 1.0);        // the discount needs a certified vendor
  Instance full = file.create({{"certified_discount", 1.0}});
  EXPECT_EQ(full.evaluate(certified).score, 0.0);  // 1 x (1 - 1)
  Instance zero = file.create({{"certified_discount", 0.0}});
  EXPECT_EQ(zero.evaluate(certified).score, 1.0);  // 1 x (1 - 0)
}

TEST_F(BuiltinSecurity, BadCertifiedDiscountIsRefused) {
  for (double bad : {-0.1, 1.5, kNaN, kInf}) {
    std::string error;
    EXPECT_EQ(file.try_create({{"certified_discount", bad}}, nullptr, &error), INSOURCE_ERR_INVALID_ARGUMENT) << bad;
    EXPECT_NE(error.find("certified_discount"), std::string::npos) << error;
  }
}

TEST_F(BuiltinSecurity, AbstainsWithoutAccessOrSensitivity) {
  Result r = inst.evaluate({});
  EXPECT_EQ(r.status, INSOURCE_OK);
  EXPECT_TRUE(r.abstain);
  // vendor_certified alone only scales a risk that is not there
  r = inst.evaluate({{"security.vendor_certified", true}});
  EXPECT_EQ(r.status, INSOURCE_OK);
  EXPECT_TRUE(r.abstain);
  EXPECT_EQ(r.rationale, "neither system access nor data sensitivity given");
}

TEST_F(BuiltinSecurity, BadValues) {
  Result r = inst.evaluate({{"security.system_access", "root"}});
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("security.system_access"), std::string::npos) << r.message;
  r = inst.evaluate({{"security.data_sensitivity", "secret"}});
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("security.data_sensitivity"), std::string::npos) << r.message;
  r = inst.evaluate({{"security.system_access", "none"}, {"security.vendor_certified", 1}});  // a number for a bool
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
}

TEST_F(BuiltinSecurity, Rationale) {
  EXPECT_EQ(vote(seeds()[2].facts).rationale,
            "system access front_office (0.5), data sensitivity internal (0.333); mean 0.417; "
            "vendor certified, x (1 - 0.5) -> score 0.208");
  EXPECT_EQ(vote({{"security.system_access", "back_office"}}).rationale,
            "system access back_office (1); mean 1; vendor certification not given (taken as no) -> score 1");
  EXPECT_EQ(vote({{"security.data_sensitivity", "public"}, {"security.vendor_certified", false}}).rationale,
            "data sensitivity public (0); mean 0; vendor not certified -> score 0");
}

// ---------------------------------------------------------------- legal

class BuiltinLegal : public PluginTest {
 protected:
  BuiltinLegal() : PluginTest("legal") {}
};

TEST_F(BuiltinLegal, Descriptor) {
  const insource_plugin_descriptor& d = file.descriptor();
  ASSERT_EQ(d.fact_count, 3u);
  EXPECT_STREQ(d.facts[0].name, "legal.vendor_jurisdiction");
  EXPECT_EQ(d.facts[0].type, INSOURCE_STRING);
  expect_strings(d.facts[0].allowed, {"domestic", "treaty", "foreign"});
  EXPECT_STREQ(d.facts[1].name, "legal.regulated");
  EXPECT_EQ(d.facts[1].type, INSOURCE_BOOL);
  EXPECT_STREQ(d.facts[2].name, "legal.ip_sensitive");
  EXPECT_EQ(d.facts[2].type, INSOURCE_BOOL);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(d.facts[i].flags, 0u);
    expect_no_fallback(d.facts[i]);
  }
  EXPECT_EQ(d.param_count, 0u);
}

TEST_F(BuiltinLegal, LevelsAndMean) {
  // domestic/treaty/foreign = 0, 0.5, 1
  EXPECT_EQ(score({{"legal.vendor_jurisdiction", "domestic"}}), 0.0);
  EXPECT_EQ(score({{"legal.vendor_jurisdiction", "treaty"}}), 0.5);
  EXPECT_EQ(score({{"legal.vendor_jurisdiction", "foreign"}}), 1.0);
  // treaty 0.5, regulated 1: mean 0.75
  EXPECT_NEAR(score({{"legal.vendor_jurisdiction", "treaty"}, {"legal.regulated", true}}), 0.75, kTol);
  // regulated 0, IP 0: mean 0
  EXPECT_EQ(score({{"legal.regulated", false}, {"legal.ip_sensitive", false}}), 0.0);
  // foreign 1, regulated 1, IP 1: mean 1
  EXPECT_EQ(score({{"legal.vendor_jurisdiction", "foreign"}, {"legal.regulated", true}, {"legal.ip_sensitive", true}}),
            1.0);
  // treaty 0.5, IP 1, regulated 0: mean 1.5 / 3 = 0.5
  EXPECT_NEAR(score({{"legal.vendor_jurisdiction", "treaty"}, {"legal.regulated", false}, {"legal.ip_sensitive", true}}),
              0.5, kTol);
}

TEST_F(BuiltinLegal, AbstainsWithNoLegalFacts) {
  Result r = inst.evaluate({});
  EXPECT_EQ(r.status, INSOURCE_OK);
  EXPECT_TRUE(r.abstain);
  EXPECT_EQ(r.rationale, "no legal facts given");
}

TEST_F(BuiltinLegal, BadValues) {
  Result r = inst.evaluate({{"legal.vendor_jurisdiction", "offshore"}});
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("legal.vendor_jurisdiction"), std::string::npos) << r.message;
  r = inst.evaluate({{"legal.regulated", "no"}});
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
}

TEST_F(BuiltinLegal, Rationale) {
  EXPECT_EQ(vote(seeds()[3].facts).rationale,
            "vendor jurisdiction domestic (0), regulated no (0), IP sensitive yes (1); mean -> score 0.333");
}

// ---------------------------------------------------------------- training

class BuiltinTraining : public PluginTest {
 protected:
  BuiltinTraining() : PluginTest("training") {}
};

TEST_F(BuiltinTraining, Descriptor) {
  const insource_plugin_descriptor& d = file.descriptor();
  ASSERT_EQ(d.fact_count, 4u);
  EXPECT_STREQ(d.facts[0].name, "training.complexity");
  EXPECT_EQ(d.facts[0].type, INSOURCE_STRING);
  expect_strings(d.facts[0].allowed, {"low", "medium", "high"});
  EXPECT_STREQ(d.facts[1].name, "training.expertise_in_house");
  EXPECT_EQ(d.facts[1].type, INSOURCE_BOOL);
  for (uint32_t i : {2u, 3u}) {
    EXPECT_EQ(d.facts[i].type, INSOURCE_NUMBER);
    EXPECT_EQ(d.facts[i].min, 0.0);
    EXPECT_STREQ(d.facts[i].unit, "weeks");
  }
  EXPECT_STREQ(d.facts[2].name, "training.internal_ramp_weeks");
  EXPECT_STREQ(d.facts[3].name, "training.external_ramp_weeks");
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(d.facts[i].flags, 0u);
    expect_no_fallback(d.facts[i]);
  }
  EXPECT_EQ(d.param_count, 0u);
}

TEST_F(BuiltinTraining, Expertise) {
  EXPECT_EQ(score({{"training.expertise_in_house", true}}), 1.0);    // mean(+1)
  EXPECT_EQ(score({{"training.expertise_in_house", false}}), -1.0);  // mean(-1)
}

TEST_F(BuiltinTraining, ComplexityScales) {
  // +1 x (0.5 + 0.5 x 0) = 0.5; x (0.5 + 0.25) = 0.75; x (0.5 + 0.5) = 1
  EXPECT_EQ(score({{"training.expertise_in_house", true}, {"training.complexity", "low"}}), 0.5);
  EXPECT_EQ(score({{"training.expertise_in_house", true}, {"training.complexity", "medium"}}), 0.75);
  EXPECT_EQ(score({{"training.expertise_in_house", true}, {"training.complexity", "high"}}), 1.0);
  // -1 x 0.5
  EXPECT_EQ(score({{"training.expertise_in_house", false}, {"training.complexity", "low"}}), -0.5);
}

TEST_F(BuiltinTraining, Ramp) {
  // rel(2, 4) = (2 - 4) / 4 = -0.5: the vendor is up to speed sooner
  EXPECT_NEAR(score({{"training.internal_ramp_weeks", 4}, {"training.external_ramp_weeks", 2}}), -0.5, kTol);
  // rel(8, 2) = 6 / 8 = 0.75
  EXPECT_NEAR(score({{"training.internal_ramp_weeks", 2}, {"training.external_ramp_weeks", 8}}), 0.75, kTol);
  // rel(0, 5) = -5 / 5 = -1, the lower bound
  EXPECT_EQ(score({{"training.internal_ramp_weeks", 5}, {"training.external_ramp_weeks", 0}}), -1.0);
  // rel(0, 0) = 0: a vote, not an abstention
  EXPECT_EQ(score({{"training.internal_ramp_weeks", 0}, {"training.external_ramp_weeks", 0}}), 0.0);
  // mean(rel(0, 0) = 0, +1) = 0.5
  EXPECT_EQ(score({{"training.internal_ramp_weeks", 0},
                   {"training.external_ramp_weeks", 0},
                   {"training.expertise_in_house", true}}),
            0.5);
  // mean(rel(3, 1.5) = 1.5 / 3 = 0.5, +1) = 0.75; x (0.5 + 0.5 x 1) = 0.75
  EXPECT_NEAR(score({{"training.internal_ramp_weeks", 1.5},
                     {"training.external_ramp_weeks", 3},
                     {"training.expertise_in_house", true},
                     {"training.complexity", "high"}}),
              0.75, kTol);
}

TEST_F(BuiltinTraining, RampNeedsBothTimes) {
  // one ramp time is no component: expertise alone, +1
  EXPECT_EQ(score({{"training.internal_ramp_weeks", 3}, {"training.expertise_in_house", true}}), 1.0);
  Result r = inst.evaluate({{"training.external_ramp_weeks", 3}});
  EXPECT_EQ(r.status, INSOURCE_OK);
  EXPECT_TRUE(r.abstain);
}

TEST_F(BuiltinTraining, AbstainsWithNeitherComponent) {
  Result r = inst.evaluate({});
  EXPECT_EQ(r.status, INSOURCE_OK);
  EXPECT_TRUE(r.abstain);
  // complexity only scales a vote; alone it is none
  r = inst.evaluate({{"training.complexity", "high"}});
  EXPECT_EQ(r.status, INSOURCE_OK);
  EXPECT_TRUE(r.abstain);
  EXPECT_EQ(r.rationale, "neither both ramp-up times nor in-house expertise given");
}

TEST_F(BuiltinTraining, BadValues) {
  Result r = inst.evaluate({{"training.internal_ramp_weeks", -1}, {"training.external_ramp_weeks", 2}});
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("training.internal_ramp_weeks"), std::string::npos) << r.message;
  r = inst.evaluate({{"training.internal_ramp_weeks", 1}, {"training.external_ramp_weeks", kNaN}});
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
  r = inst.evaluate({{"training.expertise_in_house", true}, {"training.complexity", "extreme"}});
  EXPECT_EQ(r.status, INSOURCE_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("training.complexity"), std::string::npos) << r.message;
}

TEST_F(BuiltinTraining, Rationale) {
  EXPECT_EQ(vote(seeds()[4].facts).rationale,
            "ramp-up vendor 4 wk vs in house 1 wk (rel 0.75), expertise in house no (-1); mean -0.125; "
            "complexity medium x 0.75 -> score -0.0938");
  EXPECT_EQ(vote({{"training.internal_ramp_weeks", 3}, {"training.expertise_in_house", true}}).rationale,
            "ramp-up skipped (needs both times), expertise in house yes (1); mean 1 -> score 1");
}

}  // namespace
