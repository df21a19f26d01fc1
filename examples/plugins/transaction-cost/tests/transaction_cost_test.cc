// The transaction-cost plugin driven through its C ABI, the way the host
// drives it: dlopen the built file, call the entry symbol, create an
// instance, evaluate cases. No host code, no Boost: plugin.h and <dlfcn.h>.
#include <insource/plugin.h>

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <map>
#include <string>
#include <vector>

#ifndef TRANSACTION_COST_PLUGIN
#error "TRANSACTION_COST_PLUGIN must name the built plugin file"
#endif

namespace {

struct Vote {
  int32_t status;
  double score;
  bool abstain;
  std::string rationale;
  std::string message;
};

class Plugin {
 public:
  Plugin() {
    lib_ = dlopen(TRANSACTION_COST_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (!lib_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto entry = reinterpret_cast<insource_plugin_entry_fn>(dlsym(lib_, INSOURCE_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error("no entry symbol");
    d = entry();
  }
  ~Plugin() {
    if (instance_) d->destroy(instance_);
    dlclose(lib_);
  }

  // Makes the instance; an empty map gives every parameter its default.
  int32_t create(const std::map<std::string, double>& numbers = {}, std::string* error = nullptr) {
    std::vector<insource_value> params;
    for (uint32_t i = 0; i < d->param_count; ++i) {
      insource_value v = d->params[i].fallback;
      auto it = numbers.find(d->params[i].name);
      if (it != numbers.end()) v.number = it->second;
      params.push_back(v);
    }
    insource_host host{sizeof(insource_host), INSOURCE_ABI_MAJOR, INSOURCE_ABI_MINOR, 0, nullptr, nullptr};
    char err[256] = "";
    int32_t s = d->create(&host, params.data(), params.size(), &instance_, err, sizeof err);
    if (error) *error = err;
    return s;
  }

  // Evaluates one case given as {fact name: string value}; facts not listed are absent.
  Vote vote(const std::map<std::string, std::string>& facts) {
    if (!instance_ && create() != INSOURCE_OK) throw std::runtime_error("create failed");
    std::vector<insource_value> values(d->fact_count, insource_value{INSOURCE_ABSENT, 0, 0.0, nullptr, 0});
    for (const auto& [name, value] : facts) {
      uint32_t i = 0;
      while (i < d->fact_count && name != d->facts[i].name) ++i;
      if (i == d->fact_count) throw std::runtime_error("undeclared fact " + name);
      values[i] = insource_value{INSOURCE_STRING, 0, 0.0, value.data(), value.size()};
    }
    insource_vote v{};
    int32_t s = d->evaluate(instance_, values.data(), values.size(), INSOURCE_EVAL_RATIONALE, &v);
    return Vote{s, v.score, v.abstain != 0, v.rationale ? v.rationale : "", v.message ? v.message : ""};
  }

  double score(const std::string& specificity, const std::string& frequency, const std::string& uncertainty) {
    Vote v = vote({{"tce.asset_specificity", specificity}, {"tce.frequency", frequency}, {"tce.uncertainty", uncertainty}});
    EXPECT_EQ(v.status, INSOURCE_OK) << v.message;
    EXPECT_FALSE(v.abstain);
    return v.score;
  }

  const insource_plugin_descriptor* d = nullptr;

 private:
  void* lib_ = nullptr;
  void* instance_ = nullptr;
};

TEST(TransactionCost, DescribesItself) {
  Plugin p;
  EXPECT_EQ(p.d->abi_major, static_cast<uint32_t>(INSOURCE_ABI_MAJOR));
  EXPECT_GE(p.d->struct_size, INSOURCE_DESCRIPTOR_MIN_SIZE_1_0);
  EXPECT_STREQ(p.d->criterion, "transaction-cost");
  ASSERT_EQ(p.d->fact_count, 3u);
  EXPECT_STREQ(p.d->facts[0].name, "tce.asset_specificity");
  EXPECT_EQ(p.d->facts[0].flags & INSOURCE_FACT_REQUIRED, INSOURCE_FACT_REQUIRED);
  EXPECT_STREQ(p.d->facts[1].name, "tce.frequency");
  EXPECT_STREQ(p.d->facts[1].allowed[2], "recurrent");
  EXPECT_STREQ(p.d->facts[2].name, "tce.uncertainty");
  EXPECT_EQ(p.d->facts[2].fallback.type, static_cast<uint32_t>(INSOURCE_STRING));
  EXPECT_EQ(std::string(p.d->facts[2].fallback.string, p.d->facts[2].fallback.length), "medium");
  EXPECT_DOUBLE_EQ(p.d->score_min, -0.8);
  EXPECT_DOUBLE_EQ(p.d->score_max, 1.0);
}

// With low uncertainty the shift is 0, so the score is the table itself.
TEST(TransactionCost, LowUncertaintyGivesWilliamsonsTable) {
  Plugin p;
  const char* spec[] = {"low", "medium", "high"};
  const char* freq[] = {"one_off", "occasional", "recurrent"};
  const double table[3][3] = {{-0.8, -0.8, -0.8}, {-0.5, -0.4, 0.0}, {-0.3, -0.2, 0.8}};
  for (int s = 0; s < 3; ++s)
    for (int f = 0; f < 3; ++f) EXPECT_DOUBLE_EQ(p.score(spec[s], freq[f], "low"), table[s][f]) << spec[s] << " " << freq[f];
}

TEST(TransactionCost, UncertaintyMovesSpecificWorkTowardInHouse) {
  Plugin p;
  // 0.8 + 0.2 x 1 x 1 = 1.0: recurrent, highly specific, highly uncertain work is the firm's own.
  EXPECT_DOUBLE_EQ(p.score("high", "recurrent", "high"), 1.0);
  // 0.8 + 0.2 x 0.5 x 1 = 0.9
  EXPECT_DOUBLE_EQ(p.score("high", "recurrent", "medium"), 0.9);
  // -0.4 + 0.2 x 1 x 0.5 = -0.3
  EXPECT_DOUBLE_EQ(p.score("medium", "occasional", "high"), -0.3);
  // Non-specific work stays on the market whatever the uncertainty: -0.8 + 0.2 x 1 x 0 = -0.8.
  EXPECT_DOUBLE_EQ(p.score("low", "recurrent", "high"), -0.8);
}

TEST(TransactionCost, UncertaintyDefaultsToMedium) {
  Plugin p;
  Vote v = p.vote({{"tce.asset_specificity", "high"}, {"tce.frequency", "recurrent"}});
  ASSERT_EQ(v.status, INSOURCE_OK) << v.message;
  EXPECT_DOUBLE_EQ(v.score, 0.9);  // 0.8 + 0.2 x 0.5 x 1
  EXPECT_EQ(v.rationale,
            "asset specificity high, frequency recurrent: unified governance, table +0.8; "
            "uncertainty medium (default): 0.2 x 0.5 x 1 = +0.1 -> score 0.9");
}

TEST(TransactionCost, TheShiftIsAParameter) {
  Plugin p;
  ASSERT_EQ(p.create({{"uncertainty_shift", 0.5}}), INSOURCE_OK);
  // -0.2 + 0.5 x 1 x 1 = 0.3
  EXPECT_DOUBLE_EQ(p.score("high", "occasional", "high"), 0.3);
}

TEST(TransactionCost, RefusesAShiftOutsideZeroToOne) {
  for (double bad : {-0.1, 1.5}) {
    Plugin p;
    std::string error;
    EXPECT_EQ(p.create({{"uncertainty_shift", bad}}, &error), INSOURCE_ERR_INVALID_ARGUMENT);
    EXPECT_NE(error.find("uncertainty_shift must be in [0, 1]"), std::string::npos) << error;
  }
}

TEST(TransactionCost, AbstainsWithoutTceFacts) {
  Plugin p;
  Vote v = p.vote({});
  EXPECT_EQ(v.status, INSOURCE_OK);
  EXPECT_TRUE(v.abstain);
  EXPECT_EQ(v.rationale, "no tce facts given");
}

TEST(TransactionCost, NeedsSpecificityAndFrequencyOnceAnyTceFactIsGiven) {
  Plugin p;
  Vote v = p.vote({{"tce.uncertainty", "high"}});
  EXPECT_EQ(v.status, INSOURCE_ERR_MISSING_FACT);
  EXPECT_EQ(v.message, "tce.asset_specificity is required when any tce fact is given");
  v = p.vote({{"tce.asset_specificity", "low"}});
  EXPECT_EQ(v.status, INSOURCE_ERR_MISSING_FACT);
  EXPECT_EQ(v.message, "tce.frequency is required when any tce fact is given");
}

TEST(TransactionCost, RefusesALevelNotDeclared) {
  Plugin p;
  Vote v = p.vote({{"tce.asset_specificity", "extreme"}, {"tce.frequency", "recurrent"}});
  EXPECT_EQ(v.status, INSOURCE_ERR_INVALID_ARGUMENT);
  EXPECT_NE(v.message.find("\"extreme\" is not an allowed value"), std::string::npos) << v.message;
}

}  // namespace
