// Monte Carlo verdicts (issue 13): uncertain facts and weight ranges read
// from YAML, JSON and JSON Lines; the simulation checked against a closed
// form and against plain sampling written here; determinism across threads
// and runs; bad distributions with their positions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/uncertainty.h"
#include "io/case_reader.h"
#include "io/distribution_reader.h"
#include "test_util.h"
#include "tools/simulate.h"
#include "tools/simulate_report.h"

namespace insource {
namespace {

using test::case_error;
using test::case_from;
using test::default_policy;
using test::policy_from;

// One criterion, cost, with no vendor overhead: the total is the cost score.
const char kCostOnly[] = R"(insource: 1
criteria:
  cost: {weight: 1, params: {vendor_overhead: 0}}
thresholds: {insource: 0.2, outsource: -0.2}
)";

TEST(Simulate, ASingleUniformFactMatchesTheClosedForm) {
  // internal = 100 h x 50 = 5000; external = 100 h x r. With r ~ U[20, 80]:
  //   insource  when (e - i) / e >= 0.2, e >= 1.25 i = 6250, r >= 62.5: P = 17.5 / 60
  //   outsource when (e - i) / i <= -0.2, e <= 0.8 i = 4000, r <= 40:  P = 20 / 60
  //   hybrid in between:                                               P = 22.5 / 60
  auto p = policy_from(kCostOnly);
  CaseFacts c = case_from(*p, R"(id: u
facts: {cost: {hours: 100, internal_rate: 50, external_rate: {uniform: [20, 80]}}}
)");
  ASSERT_EQ(c.uncertain.size(), 1u);
  SimulationOptions o;
  o.draws = 40000;
  o.seed = 42;
  Simulation s = simulate(p, c, o);
  EXPECT_EQ(s.draws, 40000u);
  EXPECT_EQ(s.failed, 0u);
  // 40,000 draws: a probability's standard error is at most 0.0025; 0.01 is four of them.
  EXPECT_NEAR(s.probability(Verdict::kInsource), 17.5 / 60, 0.01);
  EXPECT_NEAR(s.probability(Verdict::kOutsource), 20.0 / 60, 0.01);
  EXPECT_NEAR(s.probability(Verdict::kHybrid), 22.5 / 60, 0.01);
  EXPECT_EQ(s.counts[0] + s.counts[1] + s.counts[2], s.draws);
  // Each interval holds its estimate and is about 2 x 1.96 standard errors wide.
  for (Verdict v : {Verdict::kInsource, Verdict::kOutsource, Verdict::kHybrid}) {
    auto iv = s.interval(v);
    EXPECT_LE(iv[0], s.probability(v));
    EXPECT_GE(iv[1], s.probability(v));
    EXPECT_NEAR(iv[1] - iv[0], 2 * 1.96 * std::sqrt(s.probability(v) * (1 - s.probability(v)) / 40000), 1e-3);
  }
  // The total's median: score at r = 50 (the median rate) is 0.
  EXPECT_NEAR(s.p50, 0.0, 0.02);
  // At the most likely value (the midpoint, 50): external = internal, score 0, hybrid.
  EXPECT_EQ(s.likely.verdict, Verdict::kHybrid);
  EXPECT_NEAR(s.likely.total, 0.0, 1e-12);
  // The one input drives the outcome: fixed at its median every draw is hybrid.
  ASSERT_EQ(s.drivers.size(), 1u);
  EXPECT_EQ(s.drivers[0].input, "cost.external_rate");
  EXPECT_NEAR(s.drivers[0].effect, 1.0 - s.probability(Verdict::kHybrid), 1e-12);
}

// The verdict of the cost-only policy for a rate, from docs/criteria.md's formula.
Verdict by_hand(double rate) {
  const double i = 5000, e = 100 * rate;
  const double score = (e - i) / std::max(e, i);
  return score >= 0.2 - 1e-9 ? Verdict::kInsource : score <= -0.2 + 1e-9 ? Verdict::kOutsource : Verdict::kHybrid;
}

TEST(Simulate, AgreesWithPlainSamplingOfTheFormula) {
  auto p = policy_from(kCostOnly);
  CaseFacts c = case_from(*p, R"(id: u
facts: {cost: {hours: 100, internal_rate: 50, external_rate: {low: 20, likely: 45, high: 90}}}
)");
  SimulationOptions o;
  o.draws = 20000;
  Simulation s = simulate(p, c, o);
  // Plain sampling: PERT(20, 45, 90) as 20 + 70 x Beta(a, b) from std::gamma_distribution.
  const double a = 1 + 4 * (45.0 - 20) / 70, b = 1 + 4 * (90 - 45.0) / 70;
  std::mt19937_64 gen(7);
  std::gamma_distribution<double> ga(a, 1.0), gb(b, 1.0);
  std::array<int, kVerdictCount> counts{};
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double x = ga(gen), y = gb(gen);
    ++counts[static_cast<size_t>(by_hand(20 + 70 * x / (x + y)))];
  }
  // Two independent estimates: their difference has a standard error of at most 0.005.
  for (Verdict v : {Verdict::kInsource, Verdict::kOutsource, Verdict::kHybrid})
    EXPECT_NEAR(s.probability(v), counts[static_cast<size_t>(v)] / double(n), 0.02) << verdict_name(v);
}

// Plain sampling of a case of the default policy: values drawn here with the
// standard library, each sure case decided by an Evaluator.
TEST(Simulate, AgreesWithPlainSamplingThroughTheEvaluator) {
  auto p = default_policy();
  const char* yaml = R"(id: mixed
facts:
  cost: {hours: 1000, internal_rate: 60, external_rate: {uniform: [40, 90]}}
  capacity: {utilization: {uniform: [0.5, 1.0]}}
  control: {institutional_knowledge: {low: 0.3, medium: 0.3, high: 0.4}, core_competence: {p_true: 0.5}}
  security: {system_access: front_office, data_sensitivity: internal}
)";
  CaseFacts c = case_from(*p, yaml);
  ASSERT_EQ(c.uncertain.size(), 4u);
  SimulationOptions o;
  o.draws = 20000;
  o.drivers = false;
  Simulation s = simulate(p, c, o);

  CaseFacts plain = case_from(*p, yaml);
  const uint32_t rate = *p->schema().find("cost.external_rate"), util = *p->schema().find("capacity.utilization"),
                 know = *p->schema().find("control.institutional_knowledge"),
                 core = *p->schema().find("control.core_competence");
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<double> u01(0, 1);
  Evaluator ev(p);
  Decision d;
  std::array<int, kVerdictCount> counts{};
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    plain.facts[rate] = make_number(40 + 50 * u01(gen));
    plain.facts[util] = make_number(0.5 + 0.5 * u01(gen));
    const double k = u01(gen);
    plain.facts[know] = make_string(k < 0.3 ? "low" : k < 0.6 ? "medium" : "high");
    plain.facts[core] = make_bool(u01(gen) < 0.5);
    ev.decide(plain, &d, false);
    ++counts[static_cast<size_t>(d.verdict)];
  }
  int seen = 0;
  for (int v = 0; v < kVerdictCount; ++v) {
    EXPECT_NEAR(s.probability(static_cast<Verdict>(v)), counts[static_cast<size_t>(v)] / double(n), 0.02)
        << verdict_name(static_cast<Verdict>(v));
    seen += counts[static_cast<size_t>(v)] > 0;
  }
  EXPECT_GE(seen, 2);  // the case is really uncertain: the override and the thresholds both decide some draws
}

TEST(Simulate, TheSameForAnySeedRunAndNumberOfThreads) {
  auto p = default_policy();
  std::vector<CaseInput> in = read_case_file(std::string(INSOURCE_SOURCE_DIR) + "/examples/uncertain/candy-launch.yaml", p->schema());
  ASSERT_EQ(in.size(), 1u);
  ASSERT_TRUE(in[0].value) << in[0].error;
  const CaseFacts& c = *in[0].value;
  EXPECT_EQ(c.uncertain.size(), 6u);
  SimulationOptions o;
  o.draws = 3001;
  o.seed = 9;
  const std::string one = simulation_json(simulate(p, c, o)).dump();
  EXPECT_EQ(simulation_json(simulate(p, c, o)).dump(), one);
  for (unsigned jobs : {2u, 3u, 4u}) {
    o.jobs = jobs;
    EXPECT_EQ(simulation_json(simulate(p, c, o)).dump(), one) << jobs << " threads";
  }
  o.seed = 10;
  EXPECT_NE(simulation_json(simulate(p, c, o)).dump(), one);
}

TEST(Simulate, ReportsTheShapeOfTheIssue) {
  auto p = default_policy();
  std::vector<CaseInput> in = read_case_file(std::string(INSOURCE_SOURCE_DIR) + "/examples/uncertain/candy-launch.yaml", p->schema());
  ASSERT_TRUE(in[0].value);
  SimulationOptions o;
  o.draws = 2000;
  Simulation s = simulate(p, *in[0].value, o);
  nlohmann::ordered_json j = simulation_json(s);
  EXPECT_EQ(j["draws"], 2000);
  EXPECT_EQ(j["seed"], 1);
  double sum = 0;
  for (auto& [k, v] : j["probabilities"].items()) {
    sum += v.get<double>();
    ASSERT_TRUE(j["intervals"].contains(k));
    EXPECT_LE(j["intervals"][k][0].get<double>(), v.get<double>());
    EXPECT_GE(j["intervals"][k][1].get<double>(), v.get<double>());
  }
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_LE(j["total"]["p5"].get<double>(), j["total"]["p50"].get<double>());
  EXPECT_LE(j["total"]["p50"].get<double>(), j["total"]["p95"].get<double>());
  ASSERT_EQ(j["drivers"].size(), 6u);
  for (size_t i = 1; i < j["drivers"].size(); ++i)
    EXPECT_GE(std::fabs(j["drivers"][i - 1]["effect"].get<double>()), std::fabs(j["drivers"][i]["effect"].get<double>()));
  // The histogram: 20 bins from the lowest to the highest total, one count per
  // draw with a verdict, each total in the bin its edges say.
  ASSERT_TRUE(j.contains("histogram"));
  const auto& edges = j["histogram"]["edges"];
  const auto& counts = j["histogram"]["counts"];
  ASSERT_EQ(counts.size(), Simulation::kHistogramBins);
  ASSERT_EQ(edges.size(), counts.size() + 1);
  uint64_t in_bins = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    in_bins += counts[i].get<uint64_t>();
    EXPECT_LT(edges[i].get<double>(), edges[i + 1].get<double>());
  }
  EXPECT_EQ(in_bins, s.draws - s.failed);
  EXPECT_LE(edges.front().get<double>(), j["total"]["p5"].get<double>());
  EXPECT_GE(edges.back().get<double>(), j["total"]["p95"].get<double>());
  // At the most likely values the case is the candy launch itself (knowledge
  // high, certified, hours 1200, utilization 0.85: below the override's 0.9).
  EXPECT_FALSE(s.likely.failed);
}

TEST(Simulate, SamplersHaveTheirMomentsAndBounds) {
  Distribution pert;
  pert.kind = Distribution::Kind::kPert;
  pert.low = 800, pert.likely = 1200, pert.high = 2000;
  pert.prepare();
  Distribution normal;
  normal.kind = Distribution::Kind::kNormal;
  normal.mean = 1, normal.sd = 2, normal.low = 0, normal.high = HUGE_VAL;
  normal.prepare();
  double sp = 0, sn = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    DrawRng rng(3, static_cast<uint64_t>(i));
    const double x = pert.draw(rng).number, y = normal.draw(rng).number;
    ASSERT_GE(x, 800);
    ASSERT_LE(x, 2000);
    ASSERT_GE(y, 0);
    sp += x, sn += y;
  }
  EXPECT_NEAR(sp / n, (800 + 4 * 1200 + 2000) / 6.0, 3);  // PERT's mean (a + 4m + b) / 6 = 1266.7
  // A normal(1, 2) truncated below at 0: mean 1 + 2 phi(-0.5) / (1 - Phi(-0.5)) = 2.0418.
  const double phi = std::exp(-0.125) / std::sqrt(2 * M_PI);
  EXPECT_NEAR(sn / n, 1 + 2 * phi / (1 - normal_cdf(-0.5)), 0.02);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-9);
}

// ---- reading --------------------------------------------------------------

TEST(SimulateInput, EveryFormReadsInYamlJsonAndJsonLines) {
  auto p = default_policy();
  const std::string json =
      R"({"id": "j", "facts": {"cost": {"hours": {"low": 800, "likely": 1200, "high": 2000}, "internal_rate": 85,)"
      R"( "external_rate": {"uniform": [50, 75]}, "opportunity_rate": {"normal": {"mean": 30, "sd": 10}}},)"
      R"( "control": {"institutional_knowledge": {"high": 0.6, "medium": 0.4}}, "security.vendor_certified": {"p_true": 0.7}}})";
  for (auto [text, label] : {std::pair{json, "c.json"}, std::pair{json + "\n" + json, "c.jsonl"}}) {
    auto cases = read_cases(text, label, p->schema());
    ASSERT_FALSE(cases.empty());
    for (const CaseInput& in : cases) {
      ASSERT_TRUE(in.value) << in.error;
      ASSERT_EQ(in.value->uncertain.size(), 5u) << label;
      // In slot order, each slot holding the most likely value.
      EXPECT_EQ(in.value->facts[*p->schema().find("cost.hours")].number, 1200);
      EXPECT_EQ(in.value->facts[*p->schema().find("cost.external_rate")].number, 62.5);
      EXPECT_EQ(string_of(in.value->facts[*p->schema().find("control.institutional_knowledge")]), "high");
      EXPECT_TRUE(in.value->facts[*p->schema().find("security.vendor_certified")].boolean);
    }
  }
  // The same case in YAML simulates exactly as the JSON one.
  CaseFacts y = case_from(*p, R"(id: j
facts:
  cost: {hours: {low: 800, likely: 1200, high: 2000}, internal_rate: 85, external_rate: {uniform: [50, 75]},
         opportunity_rate: {normal: {mean: 30, sd: 10}}}
  control: {institutional_knowledge: {high: 0.6, medium: 0.4}}
  security.vendor_certified: {p_true: 0.7}
)");
  auto j = read_cases(json, "c.json", p->schema());
  SimulationOptions o;
  o.draws = 500;
  EXPECT_EQ(simulation_json(simulate(p, y, o)).dump(), simulation_json(simulate(p, *j[0].value, o)).dump());
}

// distribution_json writes each form as a case gives it, and reading that
// back gives the same distribution (the explorer's form shows a pasted case's
// distributions this way and sends them back).
TEST(SimulateInput, DistributionJsonReadsBackToTheSameDistribution) {
  auto p = default_policy();
  CaseFacts y = case_from(*p, R"(id: j
facts:
  cost: {hours: {low: 800, likely: 1200, high: 2000}, internal_rate: 85, external_rate: {uniform: [50, 75.5]},
         opportunity_rate: {normal: {mean: 30, sd: 0.1}}}
  control: {institutional_knowledge: {high: 0.6, low: 0.1, medium: 0.3}}
  security.vendor_certified: {p_true: 0.7}
)");
  ASSERT_EQ(y.uncertain.size(), 5u);
  nlohmann::ordered_json facts = nlohmann::ordered_json::object();
  for (const UncertainFact& u : y.uncertain) facts[p->schema().at(u.slot).decl.name] = distribution_json(u.dist);
  facts["cost.internal_rate"] = 85;
  EXPECT_EQ(facts["cost.hours"].dump(), R"({"low":800.0,"likely":1200.0,"high":2000.0})");
  EXPECT_EQ(facts["cost.external_rate"].dump(), R"({"uniform":[50.0,75.5]})");
  EXPECT_EQ(facts["cost.opportunity_rate"].dump(), R"({"normal":{"mean":30.0,"sd":0.1}})");
  EXPECT_EQ(facts["control.institutional_knowledge"].dump(), R"({"high":0.6,"low":0.1,"medium":0.3})");
  EXPECT_EQ(facts["security.vendor_certified"].dump(), R"({"p_true":0.7})");
  auto back = read_cases(nlohmann::ordered_json{{"id", "j"}, {"facts", facts}}.dump(), "back.json", p->schema());
  ASSERT_EQ(back.size(), 1u);
  ASSERT_TRUE(back[0].value) << back[0].error;
  ASSERT_EQ(back[0].value->uncertain.size(), y.uncertain.size());
  for (size_t i = 0; i < y.uncertain.size(); ++i) {
    EXPECT_EQ(back[0].value->uncertain[i].slot, y.uncertain[i].slot);
    EXPECT_EQ(back[0].value->uncertain[i].dist.describe(), y.uncertain[i].dist.describe());
  }
  SimulationOptions o;
  o.draws = 500;
  EXPECT_EQ(simulation_json(simulate(p, y, o)).dump(), simulation_json(simulate(p, *back[0].value, o)).dump());
}

TEST(SimulateInput, BadDistributionsAreErrorsWithTheirPosition) {
  auto p = default_policy();
  auto yaml = [&](const std::string& fact_line) {
    return case_error(*p, "id: bad\nfacts:\n  cost: {hours: 10, internal_rate: 50, external_rate: 40}\n" + fact_line + "\n");
  };
  EXPECT_EQ(case_error(*p, "id: bad\nfacts:\n  cost:\n    hours: {low: 2000, likely: 1200, high: 800}\n    internal_rate: 50\n    external_rate: 40\n"),
            "case.yaml:4:12: case bad: fact cost.hours is given as a distribution: low 2000 is above high 800");
  EXPECT_EQ(yaml("  control: {institutional_knowledge: {high: 0.6, medium: 0.3}}"),
            "case.yaml:4:38: case bad: fact control.institutional_knowledge is given as probabilities: they add up to 0.9, not 1");
  EXPECT_EQ(yaml("  control: {institutional_knowledge: {huge: 1}}"),
            "case.yaml:4:38: case bad: fact control.institutional_knowledge is given as probabilities: 'huge' is not one of its levels (low, medium, high)");
  EXPECT_EQ(yaml("  training: {internal_ramp_weeks: {normal: {mean: 2, sd: -1}}, external_ramp_weeks: 3}"),
            "case.yaml:4:35: case bad: fact training.internal_ramp_weeks is given as a distribution: normal's sd -1 is negative");
  EXPECT_EQ(yaml("  training: {internal_ramp_weeks: {uniform: [3, 1]}, external_ramp_weeks: 3}"),
            "case.yaml:4:35: case bad: fact training.internal_ramp_weeks is given as a distribution: uniform's a 3 is above its b 1");
  EXPECT_EQ(yaml("  training: {internal_ramp_weeks: {uniform: [-1, 1]}, external_ramp_weeks: 3}"),
            "case.yaml:4:35: case bad: fact training.internal_ramp_weeks is given as a distribution: uniform's a -1 is outside the fact's range (>= 0)");
  EXPECT_EQ(yaml("  legal: {regulated: {p_true: 1.5}}"),
            "case.yaml:4:22: case bad: fact legal.regulated is given as a distribution: p_true 1.5 is not in [0, 1]");

  // JSON and JSON Lines: the line of the fact's key.
  const std::string bad_json = "{\"id\": \"bad\", \"facts\": {\n  \"cost\": {\"hours\": {\"low\": 2000, \"likely\": 1200, \"high\": 800},\n"
                               "  \"internal_rate\": 50, \"external_rate\": 40}}}";
  auto j = read_cases(bad_json, "c.json", p->schema());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].error, "c.json:2: case bad: fact cost.hours is given as a distribution: low 2000 is above high 800");
  auto l = read_cases("{\"id\": \"a\", \"facts\": {}}\n{\"id\": \"b\", \"facts\": {\"legal.regulated\": {\"p_true\": 2}}}\n",
                      "c.jsonl", p->schema());
  ASSERT_EQ(l.size(), 2u);
  EXPECT_TRUE(l[0].value);
  EXPECT_EQ(l[1].error, "c.jsonl:2: case b: fact legal.regulated is given as a distribution: p_true 2 is not in [0, 1]");
}

TEST(SimulateInput, AJsonRefusalNamesTheLineOfTheUncertainFact) {
  auto p = default_policy();
  auto cases = read_cases("{\"id\": \"x\", \"facts\": {\n  \"legal\": {\"regulated\": true},\n  \"cost.hours\": {\"uniform\": [1, 2]}}}",
                          "x.json", p->schema());
  refuse_uncertain(&cases, p->schema(), "decide it with --simulate N");
  ASSERT_FALSE(cases[0].value);
  EXPECT_EQ(cases[0].error, "x.json:3: case x: fact cost.hours is given as a distribution; decide it with --simulate N");
}

TEST(SimulateInput, FrontEndsThatDecideSureValuesRefuseDistributions) {
  auto p = default_policy();
  auto cases = read_cases("id: x\nfacts:\n  legal: {regulated: {p_true: 0.5}}\n", "x.yaml", p->schema());
  refuse_uncertain(&cases, p->schema(), "decide it with --simulate N");
  ASSERT_FALSE(cases[0].value);
  EXPECT_EQ(cases[0].error,
            "x.yaml:3:22: case x: fact legal.regulated is given as a distribution; decide it with --simulate N");
}

// ---- weight ranges --------------------------------------------------------

TEST(SimulateWeights, ARangeIsReadItsMidpointUsedAndDrawnWhenSimulating) {
  auto p = policy_from(R"(insource: 1
criteria:
  cost: {weight: {low: 0.0, high: 1.0}, params: {vendor_overhead: 0}}
  training: {weight: 0.5}
thresholds: {insource: 0.2, outsource: -0.2}
)");
  ASSERT_EQ(p->criteria().size(), 2u);
  EXPECT_EQ(p->criteria()[0].weight, 0.5);
  EXPECT_EQ(p->criteria()[0].weight_low, 0.0);
  EXPECT_EQ(p->criteria()[0].weight_high, 1.0);
  // cost score -0.5 (external 2500 vs internal 5000), training +1: total
  // (w x -0.5 + 0.5) / (w + 0.5), insource when >= 0.2: 0.4 >= 0.7 w, w <= 4 / 7;
  // else hybrid (the total stays above -0.2 for w in [0, 1]). w ~ U[0, 1].
  CaseFacts c = case_from(*p, R"(id: w
facts:
  cost: {hours: 100, internal_rate: 50, external_rate: 25}
  training: {expertise_in_house: true}
)");
  SimulationOptions o;
  o.draws = 20000;
  Simulation s = simulate(p, c, o);
  EXPECT_NEAR(s.probability(Verdict::kInsource), 4.0 / 7, 0.015);
  EXPECT_NEAR(s.probability(Verdict::kHybrid), 3.0 / 7, 0.015);
  ASSERT_EQ(s.drivers.size(), 1u);
  EXPECT_EQ(s.drivers[0].input, "weight.cost");
  // At the midpoint, 0.5: total (-0.25 + 0.5) / 1 = 0.25, insource.
  EXPECT_EQ(s.likely.verdict, Verdict::kInsource);
  EXPECT_NEAR(s.likely.total, 0.25, 1e-12);
}

TEST(SimulateWeights, BadRangesAreRulesErrorsWithPosition) {
  EXPECT_NE(test::rules_error("insource: 1\ncriteria:\n  cost: {weight: {low: 0.4, high: 0.2}}\n")
                .find("test.yaml:3:18: error: the weight range of cost: low 0.4 is above high 0.2"),
            std::string::npos);
  EXPECT_NE(test::rules_error("insource: 1\ncriteria:\n  cost: {weight: {low: 0.4}}\n")
                .find("the weight range of cost needs both low and high"),
            std::string::npos);
  EXPECT_NE(test::rules_error("insource: 1\ncriteria:\n  cost: {weight: {low: 0.1, hihg: 0.2}}\n")
                .find("test.yaml:3:29: error: unknown key 'hihg' in the weight range of cost (did you mean 'high'?)"),
            std::string::npos);
  EXPECT_NE(test::rules_error("insource: 1\ncriteria:\n  cost: {weight: {low: -1, high: 0.2}}\n")
                .find("the weight range of cost's low must not be negative"),
            std::string::npos);
}

}  // namespace
}  // namespace insource
