// Reading cases: nested and flat facts, YAML, JSON and JSON Lines, and every
// kind of bad fact, each an error naming the case and the fact.
#include "test_util.h"

namespace insource {
namespace {

using test::case_error;
using test::case_from;
using test::default_policy;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(CaseReader, NestedAndFlatFactsAreTheSame) {
  auto p = default_policy();
  CaseFacts nested = case_from(*p, "id: a\nfacts: {cost: {hours: 12, internal_rate: 3}, control: {core_competence: true}}\n");
  CaseFacts flat = case_from(*p, "id: a\nfacts: {cost.hours: 12, cost.internal_rate: 3, control.core_competence: true}\n");
  ASSERT_EQ(nested.facts.size(), flat.facts.size());
  for (size_t i = 0; i < nested.facts.size(); ++i) {
    EXPECT_EQ(nested.facts[i].type, flat.facts[i].type) << i;
    EXPECT_EQ(nested.facts[i].number, flat.facts[i].number) << i;
    EXPECT_EQ(nested.facts[i].boolean, flat.facts[i].boolean) << i;
  }
  auto slot = p->schema().find("cost.hours");
  ASSERT_TRUE(slot);
  EXPECT_EQ(nested.facts[*slot].number, 12.0);
}

TEST(CaseReader, JsonIsReadToo) {
  auto p = default_policy();
  CaseFacts c = case_from(*p, R"({"id": "j", "facts": {"control": {"institutional_knowledge": "high"}, "cost.hours": 1.5e3}})");
  EXPECT_EQ(c.id, "j");
  EXPECT_EQ(c.facts[*p->schema().find("cost.hours")].number, 1500.0);
  EXPECT_EQ(string_of(c.facts[*p->schema().find("control.institutional_knowledge")]), "high");
}

TEST(CaseReader, WrongTypeNamesTheCaseAndTheFact) {
  auto p = default_policy();
  std::string e = case_error(*p, "id: t1\nfacts: {cost: {hours: \"1200\"}}\n");
  EXPECT_TRUE(contains(e, "case t1")) << e;
  EXPECT_TRUE(contains(e, "fact cost.hours must be a number, not the string \"1200\"")) << e;
  EXPECT_TRUE(contains(e, "case.yaml:2:23")) << e;
  e = case_error(*p, "id: t2\nfacts: {control: {core_competence: yes}}\n");
  EXPECT_TRUE(contains(e, "fact control.core_competence must be a bool, not the string \"yes\"")) << e;
  e = case_error(*p, "id: t3\nfacts: {control: {institutional_knowledge: 3}}\n");
  EXPECT_TRUE(contains(e, "fact control.institutional_knowledge must be a string, not the number 3")) << e;
}

TEST(CaseReader, NanInfNullAndListsAreErrors) {
  auto p = default_policy();
  EXPECT_TRUE(contains(case_error(*p, "id: n\nfacts: {cost: {hours: .nan}}\n"), "fact cost.hours must be a finite number, not .nan"));
  EXPECT_TRUE(contains(case_error(*p, "id: n\nfacts: {cost: {hours: -.inf}}\n"), "finite number"));
  EXPECT_TRUE(contains(case_error(*p, "id: n\nfacts: {cost: {hours: 1e999}}\n"), "finite number"));
  EXPECT_TRUE(contains(case_error(*p, "id: n\nfacts: {cost: {hours: null}}\n"), "fact cost.hours is null"));
  EXPECT_TRUE(contains(case_error(*p, "id: n\nfacts: {cost: {hours: [1, 2]}}\n"), "fact cost.hours must be a number, not a list"));
}

TEST(CaseReader, UnknownFactSuggestsTheClosestName) {
  auto p = default_policy();
  std::string e = case_error(*p, "id: u\nfacts: {security: {sytem_access: none}}\n");
  EXPECT_TRUE(contains(e, "case u: unknown fact 'security.sytem_access' (did you mean 'security.system_access'?)")) << e;
}

TEST(CaseReader, ValuesOutsideTheDeclaredRangeAreErrors) {
  auto p = default_policy();
  EXPECT_TRUE(contains(case_error(*p, "id: r\nfacts: {cost: {hours: 0}}\n"), "fact cost.hours must be > 0, not 0"));
  EXPECT_TRUE(contains(case_error(*p, "id: r\nfacts: {cost: {internal_rate: -5}}\n"), "must be >= 0, not -5"));
  EXPECT_TRUE(contains(case_error(*p, "id: r\nfacts: {control: {change_frequency: often}}\n"),
                       "\"often\" is not one of low, medium, high"));
}

TEST(CaseReader, DuplicatesAreErrors) {
  auto p = default_policy();
  EXPECT_TRUE(contains(case_error(*p, "id: d\nfacts: {cost: {hours: 1}, cost.hours: 2}\n"), "fact cost.hours is given twice"));
  EXPECT_TRUE(contains(case_error(*p, R"({"id": "d", "facts": {"cost": {"hours": 1, "hours": 2}}})"), "given twice"));
}

TEST(CaseReader, UnknownTopLevelKeyIsAnError) {
  auto p = default_policy();
  std::string e = case_error(*p, "id: k\nfact: {}\n");
  EXPECT_TRUE(contains(e, "unknown key 'fact' in a case (did you mean 'facts'?)")) << e;
}

TEST(CaseReader, ManyCasesPerFileAndDefaultIdsFromTheLine) {
  auto p = default_policy();
  auto cases = read_cases("facts: {cost: {hours: 1}}\n---\nid: named\nfacts: {}\n---\nfacts: {cost: {hours: x}}\n",
                          "dir/portfolio.yaml", p->schema());
  ASSERT_EQ(cases.size(), 3u);
  ASSERT_TRUE(cases[0].value);
  EXPECT_EQ(cases[0].value->id, "line-1");  // no id: named after the line where the case starts
  ASSERT_TRUE(cases[1].value);
  EXPECT_EQ(cases[1].value->id, "named");
  EXPECT_FALSE(cases[2].value);  // the bad one does not take the others with it
  EXPECT_TRUE(contains(cases[2].error, "case line-6")) << cases[2].error;
  EXPECT_EQ(cases[2].kind, InputErrorKind::kCase);
  // A YAML list of cases.
  cases = read_cases("- {id: a, facts: {}}\n- {id: b, facts: {}}\n", "list.yaml", p->schema());
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[1].value->id, "b");
}

TEST(CaseReader, JsonLinesReportTheirLine) {
  auto p = default_policy();
  auto cases = read_cases("{\"id\":\"a\",\"facts\":{}}\n\n{\"id\":\"b\",\"facts\":{\"cost\":{\"hours\":\"x\"}}}\n{not json\n",
                          "in.jsonl", p->schema());
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_TRUE(cases[0].value);
  EXPECT_TRUE(contains(cases[1].error, "in.jsonl:3:")) << cases[1].error;
  EXPECT_TRUE(contains(cases[1].error, "case b")) << cases[1].error;
  EXPECT_EQ(cases[1].kind, InputErrorKind::kCase);
  EXPECT_EQ(cases[1].line, 3);
  EXPECT_TRUE(contains(cases[2].error, "in.jsonl:4")) << cases[2].error;
  EXPECT_EQ(cases[2].kind, InputErrorKind::kParse);  // not JSON at all: a parse error, not a case error
}

// The strict JSON reader wherever JSON enters: what yaml-cpp would forgive
// is refused, with the same words as batch gives.
TEST(CaseReader, JsonIsReadStrictly) {
  auto p = default_policy();
  for (const char* bad : {R"({"id":"a","facts":{},})", R"({id:"a","facts":{}})", R"({'id':'a','facts':{}})",
                          R"({"id":"a","facts":{"cost.hours":+5}})", R"({"id":"a","facts":{"cost.hours":.5}})",
                          R"({"id":"a","facts":{"cost.hours":0012}})", R"({"id":"a","facts":{"control.core_competence":True}})",
                          "{\"id\":\"a\tb\",\"facts\":{}}"}) {
    for (const char* label : {"in.json", "in.jsonl", "-"}) {
      auto cases = read_cases(bad, label, p->schema());
      ASSERT_EQ(cases.size(), 1u) << bad;
      EXPECT_FALSE(cases[0].value) << label << ": " << bad;
      EXPECT_EQ(cases[0].kind, InputErrorKind::kParse) << label << ": " << bad << ": " << cases[0].error;
      EXPECT_EQ(cases[0].line, 1);
    }
  }
  // A byte order mark is skipped; 1e-400 rounds to 0; 1e400 is refused.
  auto cases = read_cases("\xEF\xBB\xBF{\"id\":\"a\",\"facts\":{\"cost.transition\":1e-400}}\n", "in.jsonl", p->schema());
  ASSERT_TRUE(cases[0].value) << cases[0].error;
  cases = read_cases("{\"id\":\"a\",\"facts\":{\"cost.transition\":1e400}}", "in.json", p->schema());
  EXPECT_EQ(cases[0].kind, InputErrorKind::kCase);
  EXPECT_TRUE(contains(cases[0].error, "must be a finite number, not 1e400")) << cases[0].error;
  cases = read_cases("id: a\nfacts: {cost: {transition: 1e-400}}\n", "in.yaml", p->schema());
  ASSERT_TRUE(cases[0].value) << cases[0].error;  // YAML types the number alike
  // A group given twice is a duplicate key.
  cases = read_cases(R"({"id":"a","facts":{"cost":{"hours":1},"cost":{"internal_rate":2}}})", "in.json", p->schema());
  EXPECT_TRUE(contains(cases[0].error, "fact 'cost' is given twice")) << cases[0].error;
  // An array of cases, pretty-printed: each case's own line.
  cases = read_cases("[\n  {\"id\":\"a\",\"facts\":{}},\n  {\"id\":\"b\",\"facts\":{\"cost.hours\":\"x\"}}\n]\n", "in.json", p->schema());
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_TRUE(cases[0].value);
  EXPECT_EQ(cases[1].line, 3);
  EXPECT_TRUE(contains(cases[1].error, "in.json:3: case b: fact cost.hours must be a number")) << cases[1].error;
}

TEST(CaseReader, EmptyAndMalformedInputAreErrors) {
  auto p = default_policy();
  auto cases = read_cases("", "empty.yaml", p->schema());
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_TRUE(contains(cases[0].error, "no case in the input")) << cases[0].error;
  cases = read_cases("id: [unclosed\n", "bad.yaml", p->schema());
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_TRUE(contains(cases[0].error, "bad.yaml:")) << cases[0].error;
}

TEST(CaseReader, QuotedNumbersAreStringsAndPlainWordsAreStrings) {
  auto p = default_policy();
  CaseFacts c = case_from(*p, "id: '42'\nfacts: {security: {system_access: none}}\n");
  EXPECT_EQ(c.id, "42");
  EXPECT_EQ(string_of(c.facts[*p->schema().find("security.system_access")]), "none");
}

}  // namespace
}  // namespace insource
