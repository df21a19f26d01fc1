// What-if (what_if.h): the served policy with weights, parameters and
// thresholds moved decides exactly as the rules file what_if_rules_text()
// writes, which extends the policy's own file.
#include <gtest/gtest.h>

#include <fstream>

#include "io/record_format.h"
#include "tools/report_html.h"
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
  // A simulation object, when a caller adds one, is drawn.
  rec["simulation"] = {{"runs", 100}, {"verdicts", {{"insource", 0.25}, {"hybrid", 0.75}}}, {"totals", {0.1, 0.2, 0.3}}};
  html = case_section_html(rec, report_policy_of(*p, "rev"));
  EXPECT_NE(html.find("data-probability=\"0.75\""), std::string::npos);
  EXPECT_NE(html.find("svg class=\"chart histogram\""), std::string::npos);
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
