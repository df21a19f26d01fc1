// What-if (what_if.h): the served policy with weights, parameters and
// thresholds moved decides exactly as the rules file what_if_rules_text()
// writes, which extends the policy's own file.
#include <gtest/gtest.h>

#include <fstream>

#include "io/case_reader.h"
#include "io/record_format.h"
#include "tools/report_html.h"
#include "tools/simulate.h"
#include "tools/simulate_report.h"
#include "test_util.h"
#include "tools/what_if.h"

namespace insource::test {
namespace {

constexpr const char* kCandy = R"(
id: candy
facts:
  cost:     {hours: 1200, internal_rate: 85, external_rate: 60, opportunity_rate: 30, transition: 5000}
  capacity: {utilization: 0.5}
  control:  {institutional_knowledge: high, core_competence: false, customer_facing: true, change_frequency: high}
  security: {system_access: front_office, data_sensitivity: internal, vendor_certified: true}
)";

TEST(WhatIf, MovedWeightsDecideAsTheRulesFileThatExtendsThePolicy) {
  auto base = default_policy();
  WhatIf w = parse_what_if_text(
      R"({"weights":{"control":0.6,"legal":0},"params":{"cost":{"vendor_overhead":0.3}},"thresholds":{"insource":0.1}})");
  auto moved = apply_what_if(*base, w);
  EXPECT_DOUBLE_EQ(moved->criteria()[crit(*moved, "control")].weight, 0.6);
  EXPECT_LT(moved->criterion_index("legal"), 0) << "a weight of 0 removes the criterion";
  EXPECT_DOUBLE_EQ(moved->thresholds().insource, 0.1);
  EXPECT_DOUBLE_EQ(moved->thresholds().outsource, -0.2);

  // The same change as a file extending a copy of the default rules.
  auto dir = scratch_dir() / "what-if";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(INSOURCE_SOURCE_DIR) + "/rules/default.yaml", dir / "default.yaml",
                             std::filesystem::copy_options::overwrite_existing);
  const std::string text = what_if_rules_text(w, "default.yaml", "abc");
  EXPECT_NE(text.find("extends: \"default.yaml\""), std::string::npos) << text;
  auto from_file = Policy::compile(read_rules_text(text, "what-if.yaml", dir), plugins_with());

  Decision a = decide(moved, kCandy), b = decide(from_file, kCandy), c = decide(base, kCandy);
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.total, b.total);  // the same arithmetic, to the last bit
  EXPECT_NE(a.total, c.total);  // and the what-if did move it
  for (size_t i = 0; i < a.criteria.size(); ++i) EXPECT_EQ(a.criteria[i].score, b.criteria[i].score);
}

TEST(WhatIf, MistakesAreNamed) {
  auto base = default_policy();
  auto error = [&](const std::string& text) -> std::string {
    try {
      apply_what_if(*base, parse_what_if_text(text));
    } catch (const std::exception& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(error(R"({"weights":{"costs":0.3}})").find("no criterion or plugin named 'costs'"), std::string::npos);
  EXPECT_NE(error(R"({"weights":{"cost":-1}})").find("must not be negative"), std::string::npos);
  EXPECT_NE(error(R"({"wieghts":{}})").find("unknown key what_if.wieghts"), std::string::npos);
  EXPECT_NE(error(R"({"thresholds":{"insource":-0.5}})").find("must be below the insource threshold"), std::string::npos);
  EXPECT_NE(error(R"({"params":{"cost":{"vendor_overhead":"high"}}})").find("vendor_overhead"), std::string::npos);
  EXPECT_NE(error("{").find("not valid JSON"), std::string::npos);
}

TEST(ReportHtml, CaseSectionCarriesTheRecordsNumbers) {
  auto p = default_policy();
  Evaluator e(p);
  CaseFacts c = case_from(*p, kCandy);
  Decision d;
  e.decide(c, &d, true);
  auto rec = case_report_record(*p, c, d);
  std::string html = case_section_html(rec, report_policy_of(*p, "rev"));
  std::string total;
  append_number(&total, d.total);
  EXPECT_NE(html.find("data-total=\"" + total + "\""), std::string::npos);
  for (size_t i = 0; i < d.criteria.size(); ++i) {
    if (d.criteria[i].state != CriterionOutcome::State::kVoted) continue;
    std::string v;
    append_number(&v, d.criteria[i].contribution);
    EXPECT_NE(html.find("data-criterion=\"" + p->criteria()[i].name + "\" data-contribution=\"" + v + "\""),
              std::string::npos)
        << p->criteria()[i].name;
  }
  EXPECT_NE(html.find("data-threshold=\"insource\""), std::string::npos);
  EXPECT_NE(html.find("<table class=\"trace\">"), std::string::npos);
}

// A case with uncertain facts: its section draws the simulation's numbers,
// each as simulation_json wrote it.
TEST(ReportHtml, CaseSectionDrawsTheSimulation) {
  auto p = default_policy();
  std::vector<CaseInput> in =
      read_case_file(std::string(INSOURCE_SOURCE_DIR) + "/examples/uncertain/candy-launch.yaml", p->schema());
  ASSERT_EQ(in.size(), 1u);
  ASSERT_TRUE(in[0].value) << in[0].error;
  SimulationOptions o;
  o.draws = 2000;
  const Simulation sim = simulate(p, *in[0].value, o);
  auto rec = case_report_record(*p, *in[0].value, sim.likely);
  rec["simulation"] = simulation_json(sim);
  const std::string html = case_section_html(rec, report_policy_of(*p, "rev"));
  auto number = [](double d) {
    std::string s;
    append_number(&s, d);
    return s;
  };
  ASSERT_FALSE(rec["simulation"]["probabilities"].empty());
  for (const auto& [v, prob] : rec["simulation"]["probabilities"].items()) {
    const auto& iv = rec["simulation"]["intervals"][v];
    EXPECT_NE(html.find("data-verdict=\"" + v + "\" data-probability=\"" + number(prob.get<double>()) +
                        "\" data-interval-low=\"" + number(iv[0].get<double>()) + "\" data-interval-high=\"" +
                        number(iv[1].get<double>()) + "\""),
              std::string::npos)
        << v;
  }
  EXPECT_NE(html.find("data-p50=\"" + number(sim.p50) + "\""), std::string::npos);
  EXPECT_NE(html.find("data-mean=\"" + number(sim.mean) + "\""), std::string::npos);
  EXPECT_NE(html.find("svg class=\"chart histogram\""), std::string::npos);
  // The insource threshold (0.2) lies inside the simulated range; the
  // outsource threshold (-0.2) does not, and is not drawn.
  ASSERT_LT(sim.histogram_edges.front(), 0.2);
  ASSERT_GT(sim.histogram_edges.back(), 0.2);
  const std::string histogram = html.substr(html.find("svg class=\"chart histogram\""));
  EXPECT_NE(histogram.find("data-threshold=\"insource\" data-value=\"0.2\"/>"), std::string::npos);
  EXPECT_EQ(histogram.find("data-threshold=\"outsource\""), std::string::npos);
  for (size_t i = 0; i < sim.histogram_counts.size(); ++i)
    EXPECT_NE(html.find("data-count=\"" + number(static_cast<double>(sim.histogram_counts[i])) + "\" data-from=\"" +
                        number(sim.histogram_edges[i]) + "\""),
              std::string::npos)
        << "bin " << i;
  ASSERT_FALSE(sim.drivers.empty());
  for (const SimulationDriver& d : sim.drivers)
    EXPECT_NE(html.find("data-fact=\"" + d.input + "\" data-effect=\"" + number(d.effect) + "\""), std::string::npos)
        << d.input;
}

TEST(ReportHtml, TextIsEscapedAndTheEmbeddedJsonCannotCloseItsScript) {
  ReportPolicy pol;
  nlohmann::json rec = {{"id", "<b>x</b>"}, {"error", {{"kind", "plugin"}, {"message", "</script><script>alert(1)"}}}};
  std::string doc = report_document("t", pol, case_section_html(rec, pol), nlohmann::json::array({rec}).dump());
  EXPECT_EQ(doc.find("<b>x</b>"), std::string::npos);
  EXPECT_EQ(doc.find("</script><script>"), std::string::npos);
  EXPECT_NE(doc.find("&lt;b&gt;x&lt;/b&gt;"), std::string::npos);
}

}  // namespace
}  // namespace insource::test
