// Fault policy per criterion (`criteria.<name>.on_error`, docs/reliability.md):
// every plugin fault (error status, NaN, out-of-range score, exception) is
// recorded with the plugin, the case and the message, and on_error decides
// whether it fails the case (the default), abstains, or forces a verdict; in
// the decision, in decide's JSON and text, and in batch records.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "service/batch.h"
#include "io/report.h"
#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;
using test::crit;
using test::decide;
using test::policy_from;

const char* const kFaultModes[] = {"throw", "nan", "three", "error"};

std::string rules_with(const std::string& on_error) {
  return "insource: 1\ncriteria:\n  cost: {weight: 1}\n  faulty: {weight: 1" +
         (on_error.empty() ? std::string() : ", on_error: " + on_error) + "}\n";
}

std::string case_with(const std::string& mode) {
  // cost votes clearly for insourcing: 100 h in house at 10/h against 100 h at 100/h.
  return "id: c-" + mode + "\nfacts:\n  faulty: {mode: " + mode +
         "}\n  cost: {hours: 100, internal_rate: 10, external_rate: 100}\n";
}

TEST(FaultPolicy, DefaultIsFailForEveryFault) {
  auto p = policy_from(rules_with(""), {"faulty"});
  EXPECT_EQ(p->criteria()[crit(*p, "faulty")].on_error.kind, FaultPolicy::Kind::kFail);
  for (const char* mode : kFaultModes) {
    Decision d = decide(p, case_with(mode));
    EXPECT_TRUE(d.failed) << mode;
    EXPECT_EQ(d.faults, 1) << mode;
    const CriterionOutcome& o = d.criteria[crit(*p, "faulty")];
    EXPECT_TRUE(o.fault) << mode;
    EXPECT_EQ(o.state, CriterionOutcome::State::kFailed) << mode;
    EXPECT_NE(d.error.find("fixture-faulty"), std::string::npos) << d.error;
  }
}

TEST(FaultPolicy, ExplicitFailIsTheDefault) {
  auto p = policy_from(rules_with("fail"), {"faulty"});
  Decision d = decide(p, case_with("nan"));
  EXPECT_TRUE(d.failed);
}

TEST(FaultPolicy, AbstainDecidesOnTheOthersAndRecordsTheFault) {
  auto p = policy_from(rules_with("abstain"), {"faulty"});
  for (const char* mode : kFaultModes) {
    Decision d = decide(p, case_with(mode));
    EXPECT_FALSE(d.failed) << mode;
    EXPECT_EQ(d.faults, 1) << mode;
    EXPECT_EQ(d.forced_by, -1) << mode;
    const CriterionOutcome& o = d.criteria[crit(*p, "faulty")];
    EXPECT_TRUE(o.fault) << mode;
    EXPECT_EQ(o.state, CriterionOutcome::State::kAbstained) << mode;
    EXPECT_NE(o.error.find("fixture-faulty"), std::string::npos) << o.error;
    EXPECT_TRUE(o.rationale.empty()) << mode;
    // Only cost voted: the total is its score, and the thresholds decide.
    EXPECT_DOUBLE_EQ(d.total, d.criteria[crit(*p, "cost")].score) << mode;
    EXPECT_EQ(d.verdict, Verdict::kInsource) << mode;
  }
}

TEST(FaultPolicy, TheMessageSaysWhatWentWrong) {
  auto p = policy_from(rules_with("abstain"), {"faulty"});
  auto msg = [&](const char* mode) { return decide(p, case_with(mode)).criteria[crit(*p, "faulty")].error; };
  EXPECT_NE(msg("throw").find("deliberate failure"), std::string::npos) << msg("throw");
  EXPECT_NE(msg("nan").find("outside [-1, 1]"), std::string::npos) << msg("nan");
  EXPECT_NE(msg("three").find("returned score 3"), std::string::npos) << msg("three");
  EXPECT_NE(msg("error").find("asked for an error"), std::string::npos) << msg("error");
}

TEST(FaultPolicy, AVerdictIsForcedPastOverridesAndThresholds) {
  // An override that would match every case must not apply: the fault decides.
  auto p = policy_from(rules_with("review") +
                           "overrides:\n  - {id: always, when: 'cost.hours > 0', verdict: outsource, reason: r}\n",
                       {"faulty"});
  for (const char* mode : kFaultModes) {
    Decision d = decide(p, case_with(mode));
    EXPECT_FALSE(d.failed) << mode;
    EXPECT_EQ(d.verdict, Verdict::kReview) << mode;
    EXPECT_EQ(d.rule, -1) << mode;
    EXPECT_EQ(d.forced_by, static_cast<int>(crit(*p, "faulty"))) << mode;
    EXPECT_NE(verdict_reason(*p, d).find("forces review"), std::string::npos) << verdict_reason(*p, d);
  }
  // Without a fault the override applies as usual.
  Decision ok = decide(p, case_with("ok"));
  EXPECT_EQ(ok.faults, 0);
  EXPECT_EQ(ok.verdict, Verdict::kOutsource);
  EXPECT_EQ(ok.rule, 0);
}

TEST(FaultPolicy, AnyVerdictNameIsAccepted) {
  auto p = policy_from(rules_with("outsource-then-insource"), {"faulty"});
  EXPECT_EQ(decide(p, case_with("nan")).verdict, Verdict::kOutsourceThenInsource);
}

TEST(FaultPolicy, AnUnknownValueIsAnErrorWithAPosition) {
  std::string e = test::rules_error(rules_with("abstian"), {"faulty"});
  EXPECT_NE(e.find("test.yaml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("on_error of faulty must be fail, abstain or a verdict, not 'abstian'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'abstain'"), std::string::npos) << e;
  e = test::rules_error(rules_with("[review]"), {"faulty"});
  EXPECT_NE(e.find("on_error of faulty must be a string"), std::string::npos) << e;
}

TEST(FaultPolicy, AChildFileReplacesTheParentsOnError) {
  fs::path dir = fs::temp_directory_path() / ("insource-fault-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "base.yaml") << rules_with("abstain");
  std::ofstream(dir / "child.yaml") << "insource: 1\nextends: base.yaml\ncriteria: {faulty: {on_error: hybrid}}\n";
  std::ofstream(dir / "keep.yaml") << "insource: 1\nextends: base.yaml\ncriteria: {faulty: {weight: 2}}\n";
  auto child = Policy::compile(read_rules_file(dir / "child.yaml"), test::plugins_with({"faulty"}));
  auto keep = Policy::compile(read_rules_file(dir / "keep.yaml"), test::plugins_with({"faulty"}));
  fs::remove_all(dir);
  EXPECT_EQ(decide(child, case_with("throw")).verdict, Verdict::kHybrid);
  Decision d = decide(keep, case_with("throw"));
  EXPECT_FALSE(d.failed);
  EXPECT_EQ(d.forced_by, -1);
}

TEST(FaultPolicy, AFailedCaseListsEveryFaultInItsJson) {
  auto p = policy_from(rules_with("fail"), {"faulty"});
  Decision d = decide(p, case_with("three"));
  EXPECT_TRUE(d.failed);
  nlohmann::ordered_json j = decision_json(*p, test::case_from(*p, case_with("three")), d);
  ASSERT_TRUE(j.contains("error")) << j.dump();
  EXPECT_EQ(j["error"]["kind"], "plugin");
  ASSERT_EQ(j["error"]["faults"].size(), 1u) << j.dump();
  EXPECT_EQ(j["error"]["faults"][0]["plugin"], "fixture-faulty");
  EXPECT_EQ(j["error"]["faults"][0]["case"], "c-three");
  EXPECT_EQ(j["error"]["faults"][0]["criterion"], "faulty");
  EXPECT_EQ(j["error"]["faults"][0]["on_error"], "fail");
}

TEST(FaultPolicy, DecideJsonAndTextShowTheFault) {
  auto p = policy_from(rules_with("abstain"), {"faulty"});
  CaseFacts c = test::case_from(*p, case_with("nan"));
  Evaluator e(p);
  Decision d;
  e.decide(c, &d, true);
  nlohmann::ordered_json j = decision_json(*p, c, d);
  const auto& f = j["criteria"]["faulty"];
  EXPECT_EQ(f["abstained"], true) << j.dump();
  ASSERT_TRUE(f.contains("fault")) << j.dump();
  EXPECT_EQ(f["fault"]["plugin"], "fixture-faulty");
  EXPECT_EQ(f["fault"]["case"], "c-nan");
  EXPECT_EQ(f["fault"]["on_error"], "abstain");
  EXPECT_NE(f["fault"]["message"].get<std::string>().find("outside [-1, 1]"), std::string::npos);
  EXPECT_FALSE(j["criteria"]["cost"].contains("fault"));
  std::string text = decision_text(*p, c, d);
  EXPECT_NE(text.find("fault (on_error abstain): plugin fixture-faulty"), std::string::npos) << text;
}

TEST(FaultPolicy, BatchRecordsCarryTheFaultsAndTheStatsCountThem) {
  auto p = policy_from(rules_with("abstain"), {"faulty"});
  std::string input =
      "{\"id\":\"a\",\"facts\":{\"faulty.mode\":\"throw\",\"cost.hours\":1,\"cost.internal_rate\":1,\"cost.external_rate\":9}}\n"
      "{\"id\":\"b\",\"facts\":{\"faulty.mode\":\"ok\"}}\n";
  fs::path in = fs::temp_directory_path() / ("insource-fault-in-" + std::to_string(::getpid()));
  fs::path out = fs::temp_directory_path() / ("insource-fault-out-" + std::to_string(::getpid()));
  std::ofstream(in, std::ios::binary) << input;
  for (bool detail : {false, true}) {
    int in_fd = ::open(in.c_str(), O_RDONLY);
    int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    BatchOptions o;
    o.detail = detail;
    BatchStats s = run_batch(p, in_fd, out_fd, o);
    ::close(in_fd);
    ::close(out_fd);
    std::ifstream f(out);
    std::string l1, l2;
    std::getline(f, l1);
    std::getline(f, l2);
    auto a = nlohmann::json::parse(l1), b = nlohmann::json::parse(l2);
    EXPECT_EQ(a["verdict"], "insource") << l1;
    if (detail) {
      EXPECT_EQ(a["criteria"]["faulty"]["fault"]["plugin"], "fixture-faulty") << l1;
      EXPECT_EQ(a["criteria"]["faulty"]["fault"]["case"], "a") << l1;
    } else {
      EXPECT_EQ(a["faults"]["faulty"]["plugin"], "fixture-faulty") << l1;
      EXPECT_EQ(a["faults"]["faulty"]["on_error"], "abstain") << l1;
      EXPECT_NE(a["faults"]["faulty"]["message"].get<std::string>().find("deliberate failure"), std::string::npos) << l1;
      EXPECT_TRUE(a["scores"]["faulty"].is_null()) << l1;
    }
    EXPECT_FALSE(b.contains("faults")) << l2;
    EXPECT_EQ(s.records, 2u);
    EXPECT_EQ(s.errors, 0u);
    EXPECT_EQ(s.faulted, 1u);
  }
  fs::remove(in);
  fs::remove(out);
}

}  // namespace
}  // namespace insource

namespace insource {
namespace {

// A plugin that lets a C++ exception escape through the C ABI (no SDK wrapper):
// the host catches it at the boundary; it is a fault like any other.
TEST(FaultPolicy, AnExceptionEscapingTheCAbiIsCaughtAsAFault) {
  auto p = test::policy_from("insource: 1\ncriteria: {cost: {weight: 1}, raw_throw: {weight: 1, on_error: abstain}}\n",
                             {"raw_throw"});
  for (const char* mode : {"std", "int"}) {
    Decision d = test::decide(p, std::string("id: r\nfacts: {raw_throw: {mode: ") + mode + "}}\n");
    const CriterionOutcome& o = d.criteria[test::crit(*p, "raw_throw")];
    EXPECT_FALSE(d.failed) << mode;
    EXPECT_TRUE(o.fault) << mode;
    EXPECT_NE(o.error.find("fixture-raw-throw"), std::string::npos) << o.error;
    EXPECT_NE(o.error.find("threw an exception"), std::string::npos) << o.error;
  }
  EXPECT_NE(test::decide(p, "id: r\nfacts: {raw_throw: {mode: std}}\n")
                .criteria[test::crit(*p, "raw_throw")]
                .error.find("raw exception escaping the C ABI"),
            std::string::npos);
  auto strict = test::policy_from("insource: 1\ncriteria: {raw_throw: {weight: 1}}\n", {"raw_throw"});
  Decision d = test::decide(strict, "id: r\nfacts: {raw_throw: {mode: int}}\n");
  EXPECT_TRUE(d.failed);
  EXPECT_NE(d.error.find("exception of unknown type"), std::string::npos) << d.error;
  EXPECT_EQ(test::decide(strict, "id: r\nfacts: {raw_throw: {mode: ok}}\n").verdict, Verdict::kInsource);
}

}  // namespace
}  // namespace insource
