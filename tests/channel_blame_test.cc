// Blame follows the call that broke the channel (docs/reliability.md
// section 2): a plugin that closes, replaces or shuts down its worker's
// socket is the one blamed, every time, not the plugin whose call came next;
// with on_error: abstain on it, the case is decided by the others.
#include <gtest/gtest.h>

#include <string>

#include "plugin_host/plugin_isolation.h"
#include "test_util.h"

namespace insource {
namespace {

std::shared_ptr<const Policy> breaker_policy() {
  PluginTrust trust;
  trust.allow_writable = true;
  trust.isolate_all = true;
  // breaker first: the built-in plugins' calls come after it in the same request.
  const char* rules =
      "insource: 1\n"
      "criteria:\n"
      "  breaker: {weight: 1, on_error: abstain}\n"
      "  cost: {weight: 1}\n"
      "  security: {weight: 1}\n"
      "  training: {weight: 1}\n";
  return Policy::compile(read_rules_text(rules, "test.yaml", "."),
                         load_plugins({INSOURCE_PLUGIN_DIR, test::fixture_plugin_dir("breaker")}, trust));
}

std::string breaker_case(const std::string& mode) {
  return "id: " + mode + "\nfacts:\n  cost.hours: 10\n  cost.internal_rate: 50\n  cost.external_rate: 100\n" +
         "  breaker.mode: " + mode + "\n";
}

TEST(ChannelBlame, ThePluginThatBreaksTheChannelIsBlamedEveryTime) {
  auto p = breaker_policy();
  Evaluator e(p);
  const size_t breaker = test::crit(*p, "breaker"), cost = test::crit(*p, "cost");
  Decision ok;
  e.decide(test::case_from(*p, breaker_case("ok")), &ok, true);
  ASSERT_EQ(ok.faults, 0) << ok.error;
  for (const char* mode : {"close", "dup", "shutdown"}) {
    SCOPED_TRACE(mode);
    for (int run = 0; run < 40; ++run) {  // a race would show within a few runs (4 in 5 before)
      Decision d;
      e.decide(test::case_from(*p, breaker_case(mode)), &d, true);
      ASSERT_FALSE(d.failed) << "run " << run << ": " << d.error;
      ASSERT_EQ(d.faults, 1) << "run " << run;
      ASSERT_TRUE(d.criteria[breaker].fault) << "run " << run;
      EXPECT_EQ(d.criteria[breaker].error,
                "plugin fixture-breaker (criterion breaker) broke the channel to its worker process (closed, replaced "
                "or shut down its socket); the worker stopped");
      // The innocent plugins voted as they do on a healthy case.
      for (size_t i = 0; i < d.criteria.size(); ++i) {
        if (i == breaker) continue;
        EXPECT_FALSE(d.criteria[i].fault) << p->criteria()[i].name << ": " << d.criteria[i].error;
        EXPECT_EQ(d.criteria[i].state, ok.criteria[i].state);
        EXPECT_EQ(d.criteria[i].score, ok.criteria[i].score);
      }
      EXPECT_EQ(d.criteria[cost].score, ok.criteria[cost].score);
    }
  }
}

}  // namespace
}  // namespace insource
