// The rules file: the default policy, `extends`, and every kind of bad rules
// file in fixtures/rules/bad (each names its expected error and position in
// its first two lines: `# expect: ...` and `# at: line:column`).
#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;
const fs::path kRulesFixtures = fs::path(INSOURCE_TEST_DIR) / "fixtures" / "rules";

TEST(Rules, DefaultPolicyIsTheSpecs) {
  auto p = test::default_policy();
  ASSERT_EQ(p->criteria().size(), 5u);
  const char* names[] = {"cost", "control", "security", "legal", "training"};
  const double weights[] = {0.30, 0.25, 0.20, 0.15, 0.10};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(p->criteria()[i].name, names[i]);
    EXPECT_DOUBLE_EQ(p->criteria()[i].weight, weights[i]);
  }
  EXPECT_DOUBLE_EQ(p->criteria()[0].params[0].number, 0.10);
  EXPECT_DOUBLE_EQ(p->criteria()[2].params[0].number, 0.5);
  EXPECT_DOUBLE_EQ(p->thresholds().insource, 0.20);
  EXPECT_DOUBLE_EQ(p->thresholds().outsource, -0.20);
  ASSERT_EQ(p->overrides().size(), 3u);
  EXPECT_EQ(p->overrides()[0].id, "back-office-stays-in-house");
  EXPECT_EQ(p->overrides()[1].id, "restricted-data-abroad");
  EXPECT_EQ(p->overrides()[2].id, "fully-booked-team");
  EXPECT_EQ(p->overrides()[2].verdict, Verdict::kOutsourceThenInsource);
}

TEST(Rules, EmbeddedDefaultIsTheFileInTheRepository) {
  std::ifstream in(fs::path(INSOURCE_SOURCE_DIR) / "rules" / "default.yaml", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(embedded_default_rules(), text);
}

TEST(Rules, ExtendsMergesAsRulesMdSays) {
  auto p = Policy::compile(read_rules_file(kRulesFixtures / "good" / "child.yaml"), test::plugins_with());
  EXPECT_EQ(p->rules().name, "Child");
  // criteria: parent order, then the child's additions; legal removed by weight 0.
  std::vector<std::string> names;
  for (const auto& c : p->criteria()) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"cost", "control", "security", "training"}));
  EXPECT_DOUBLE_EQ(p->criteria()[0].weight, 0.30);            // kept
  EXPECT_DOUBLE_EQ(p->criteria()[0].params[0].number, 0.25);  // replaced
  EXPECT_DOUBLE_EQ(p->criteria()[1].weight, 0.50);            // replaced
  EXPECT_DOUBLE_EQ(p->criteria()[2].params[0].number, 0.5);   // inherited
  EXPECT_DOUBLE_EQ(p->thresholds().insource, 0.30);
  EXPECT_DOUBLE_EQ(p->thresholds().outsource, -0.20);
  ASSERT_EQ(p->overrides().size(), 2u);
  EXPECT_EQ(p->overrides()[0].id, "child-rule");  // the child's come first
  EXPECT_EQ(p->overrides()[1].id, "parent-rule");
  EXPECT_TRUE(p->schema().find("project.priority"));
  EXPECT_TRUE(p->schema().find("capacity.utilization"));
  ASSERT_EQ(p->rules().files.size(), 2u);
}

TEST(Rules, ChildOverrideDecidesBeforeTheParents) {
  auto p = Policy::compile(read_rules_file(kRulesFixtures / "good" / "child.yaml"), test::plugins_with());
  Decision d = test::decide(p, R"(
id: both
facts: {capacity: {utilization: 1.0}, project: {priority: urgent}, cost: {hours: 10, internal_rate: 1, external_rate: 1}}
)");
  ASSERT_GE(d.rule, 0);
  EXPECT_EQ(p->overrides()[static_cast<size_t>(d.rule)].id, "child-rule");
  EXPECT_EQ(d.verdict, Verdict::kOutsource);
}

TEST(Rules, EmptyFileIsAnError) {
  EXPECT_NE(test::rules_error("").find("the rules file is empty"), std::string::npos);
}

TEST(Rules, ReportsEveryProblemNotJustTheFirst) {
  std::string e = test::rules_error(R"(insource: 1
criteria:
  cost: {wieght: 1}
  control: {weight: 1, params: {x: 1}}
thresholds: {insorce: 0.3}
)");
  EXPECT_NE(e.find("test.yaml:3:10: error: unknown key 'wieght'"), std::string::npos) << e;
  EXPECT_NE(e.find("test.yaml:5:14: error: unknown key 'insorce'"), std::string::npos) << e;
}

// Each bad fixture: the expected message and position from its header.
class BadRules : public ::testing::TestWithParam<std::string> {};

TEST_P(BadRules, FailsWithItsExpectedErrorAndPosition) {
  fs::path file = kRulesFixtures / "bad" / GetParam();
  std::ifstream in(file);
  std::string expect_line, at_line;
  std::getline(in, expect_line);
  std::getline(in, at_line);
  ASSERT_EQ(expect_line.rfind("# expect: ", 0), 0u) << file;
  ASSERT_EQ(at_line.rfind("# at: ", 0), 0u) << file;
  std::string expect = expect_line.substr(10), at = at_line.substr(6);
  try {
    Policy::compile(read_rules_file(file), test::plugins_with());
    FAIL() << file << " loaded, but should fail with: " << expect;
  } catch (const RulesError& e) {
    std::string all = e.what();
    EXPECT_NE(all.find(expect), std::string::npos) << "expected: " << expect << "\ngot:\n" << all;
    // `at` is line:column in the fixture itself, or file:line:column in a file beside it.
    fs::path at_file = file;
    if (std::count(at.begin(), at.end(), ':') == 2) {
      at_file = file.parent_path() / at.substr(0, at.find(':'));
      at = at.substr(at.find(':') + 1);
    }
    bool positioned = false;
    for (const Diagnostic& d : e.diagnostics())
      if (d.message.find(expect) != std::string::npos)
        positioned = fs::path(d.pos.file) == at_file &&
                     (std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column)) == at;
    EXPECT_TRUE(positioned) << "expected at " << at << ", got:\n" << all;
  }
}

std::vector<std::string> bad_fixtures() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kRulesFixtures / "bad"))
    if (e.path().extension() == ".yaml") out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BadRules, ::testing::ValuesIn(bad_fixtures()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = fs::path(i.param).stem().string();
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace insource
