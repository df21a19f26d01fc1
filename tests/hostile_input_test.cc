// Hostile input (docs/reliability.md section 4): each limit with a test, and a
// table of awkward inputs (non-UTF-8, BOM, CRLF, empty, duplicate keys, huge
// numbers, .nan/.inf, wrong scalar types) each giving a clear error or the
// documented acceptance, never a crash.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "policy/input_limits.h"
#include "io/json_case_parser.h"
#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;

// The error of reading `yaml` as cases ("" when every case read).
std::string case_problem(const Policy& p, const std::string& text, const std::string& label = "case.yaml",
                         const InputLimits& limits = InputLimits{}) {
  auto cases = read_cases(text, label, p.schema(), 1, CaseFormat::kAuto, limits);
  for (const auto& c : cases)
    if (!c.value) return c.error.empty() ? "(empty error)" : c.error;
  return "";
}

std::string rules_problem(const std::string& yaml, const InputLimits& limits = InputLimits{}) {
  try {
    read_rules_text(yaml, "r.yaml", ".", limits);
  } catch (const RulesError& e) {
    return e.what();
  }
  return "";
}

std::string billion_laughs() {
  std::string s = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c, ++prev) {
    s += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) s += std::string(i ? ", *" : "*") + prev;
    s += "]\n";
  }
  return s;  // j expands to 9^10 nodes, in a document of a few hundred bytes
}

TEST(HostileInput, BillionLaughsFailsFastInCasesAndRules) {
  auto p = test::default_policy();
  auto start = std::chrono::steady_clock::now();
  std::string e = case_problem(*p, "id: x\nfacts:\n  bomb:\n" + [] {
    std::string b = billion_laughs(), out;
    for (size_t i = 0, j; i < b.size(); i = j + 1) {
      j = b.find('\n', i);
      out += "    " + b.substr(i, j - i) + "\n";
    }
    return out;
  }());
  EXPECT_NE(e.find("expands to more than 1000000 nodes"), std::string::npos) << e;
  std::string r = rules_problem("insource: 1\ncriteria: {cost: {weight: 1}}\nx:\n  " + billion_laughs());
  EXPECT_NE(r.find("expands to more than"), std::string::npos) << r;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 10.0);  // fails fast (well under a second in a release build)
}

TEST(HostileInput, NodeLimitIsConfigurable) {
  auto p = test::default_policy();
  InputLimits limits;
  limits.max_yaml_nodes = 10;
  std::string e = case_problem(*p, "id: x\nfacts: {cost: {hours: 1, internal_rate: 2, external_rate: 3}, legal: {regulated: true}}\n",
                               "case.yaml", limits);
  EXPECT_NE(e.find("more than 10 nodes"), std::string::npos) << e;
  EXPECT_NE(rules_problem("insource: 1\ncriteria: {cost: {weight: 1, params: {a: 1, b: 2, c: 3}}}\n", limits)
                .find("more than 10 nodes"),
            std::string::npos);
  limits.max_yaml_nodes = 1000;
  EXPECT_EQ(case_problem(*p, "id: x\nfacts: {cost: {hours: 1, internal_rate: 2, external_rate: 3}}\n", "case.yaml", limits),
            "");
  // The limits are the caller's: another reader meanwhile keeps the defaults.
  EXPECT_EQ(case_problem(*p, "id: x\nfacts: {cost: {hours: 1, internal_rate: 2, external_rate: 3}, legal: {regulated: true}}\n"),
            "");
}

TEST(HostileInput, NestingDepthLimitIsConfigurable) {
  auto p = test::default_policy();
  std::string deep = "id: x\nfacts: " + std::string(100, '[') + std::string(100, ']') + "\n";
  std::string e = case_problem(*p, deep);
  EXPECT_NE(e.find("nests deeper than 64 levels"), std::string::npos) << e;
  EXPECT_NE(rules_problem("insource: 1\nx: " + std::string(100, '{') + std::string(100, '}') + "\n")
                .find("nests deeper than 64 levels"),
            std::string::npos);
  // yaml-cpp's own guard stops a far deeper document while parsing.
  std::string deeper = "id: x\nfacts: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  EXPECT_NE(case_problem(*p, deeper), "");
  InputLimits limits;
  limits.max_yaml_depth = 3;
  e = case_problem(*p, "id: x\nfacts: {cost: {hours: [[1]]}}\n", "case.yaml", limits);
  EXPECT_NE(e.find("nests deeper than 3 levels"), std::string::npos) << e;
}

TEST(HostileInput, FileSizeLimitForCaseAndRulesFiles) {
  auto p = test::default_policy();
  fs::path dir = fs::temp_directory_path() / ("insource-hostile-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "case.yaml") << "id: x\nfacts: {cost: {hours: 1, internal_rate: 2, external_rate: 3}}\n";
  std::ofstream(dir / "rules.yaml") << "insource: 1\ncriteria: {cost: {weight: 1}}\n";
  std::ofstream(dir / "child.yaml") << "insource: 1\nextends: rules.yaml\n";
  EXPECT_TRUE(read_case_file((dir / "case.yaml").string(), p->schema())[0].value.has_value());
  EXPECT_NO_THROW(read_rules_file(dir / "child.yaml"));
  InputLimits limits;
  limits.max_file_bytes = 30;
  auto cases = read_case_file((dir / "case.yaml").string(), p->schema(), limits);
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_NE(cases[0].error.find("over the limit of 30 (--max-file-bytes)"), std::string::npos) << cases[0].error;
  try {
    read_rules_file(dir / "rules.yaml", limits);
    ADD_FAILURE() << "a rules file over the limit was read";
  } catch (const RulesError& e) {
    EXPECT_NE(std::string(e.what()).find("over the limit of 30"), std::string::npos) << e.what();
  }
  limits.max_file_bytes = 40;  // the child fits, its parent does not
  try {
    read_rules_file(dir / "child.yaml", limits);
    ADD_FAILURE() << "an extended rules file over the limit was read";
  } catch (const RulesError& e) {
    EXPECT_NE(std::string(e.what()).find("is refused: the file is"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

// A device or pipe has no size to check up front: reading stops at the limit
// (`extends: /dev/zero` used to read until memory ran out).
TEST(HostileInput, FileSizeLimitHoldsForDevicesAndPipes) {
  InputLimits limits;
  limits.max_file_bytes = 1 << 20;
  auto p = test::default_policy();
  auto cases = read_case_file("/dev/zero", p->schema(), limits);
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_NE(cases[0].error.find("/dev/zero: the input goes on past the limit of 1048576 bytes (--max-file-bytes)"),
            std::string::npos)
      << cases[0].error;
  try {
    read_rules_text("insource: 1\nextends: /dev/zero\n", "child.yaml", "/", limits);
    ADD_FAILURE() << "extends: /dev/zero was read";
  } catch (const RulesError& e) {
    EXPECT_NE(std::string(e.what()).find("goes on past the limit of 1048576 bytes"), std::string::npos) << e.what();
  }
  try {
    read_rules_file("/dev/zero", limits);
    ADD_FAILURE() << "/dev/zero was read as rules";
  } catch (const RulesError& e) {
    EXPECT_NE(std::string(e.what()).find("goes on past the limit"), std::string::npos) << e.what();
  }
}

TEST(HostileInput, FactsPerCaseAreBoundedInYamlAndJson) {
  auto p = test::default_policy();
  // YAML: more facts than kMaxFactsPerCase (unknown names are not even looked at first).
  std::string many = "id: x\nfacts:\n";
  for (size_t i = 0; i <= kMaxFactsPerCase; ++i) many += "  cost" + std::to_string(i) + ": {a: 1}\n";
  // Each nested map is one visit, each fact one more: the limit or an unknown fact, never all of them.
  EXPECT_NE(case_problem(*p, many), "");
  // JSON: each fact of the schema at most once, unknown names refused, so no
  // case holds more facts than the schema has.
  JsonCaseParser json(p->schema());
  auto parse = [&](std::string text) {
    text.append(kJsonPadding, '\0');
    CaseFacts c;
    std::string err;
    auto r = json.parse(text.data(), text.size() - kJsonPadding, text.size(), &c, &err);
    return std::make_pair(r, err);
  };
  auto [r1, e1] = parse(R"({"id":"x","facts":{"cost.hours":1,"cost":{"hours":2}}})");
  EXPECT_EQ(r1, JsonCaseParser::Result::kCaseError);
  EXPECT_NE(e1.find("twice"), std::string::npos) << e1;
  auto [r2, e2] = parse(R"({"id":"x","facts":{"nope.a":1}})");
  EXPECT_EQ(r2, JsonCaseParser::Result::kCaseError);
  EXPECT_NE(e2.find("unknown fact"), std::string::npos) << e2;
}

// The table: every row reads without a crash and either fails with the
// expected words or reads (expect == "").
struct Row {
  const char* name;
  std::string text;
  const char* expect;  // a part of the error, or "" for accepted
};

TEST(HostileInput, YamlCaseTable) {
  auto p = test::default_policy();
  const std::string good_cost = "cost: {hours: 10, internal_rate: 1, external_rate: 2}";
  const std::vector<Row> rows = {
      {"empty file", "", "no case in the input"},
      {"only a comment", "# nothing\n", "no case in the input"},
      {"BOM accepted", "\xEF\xBB\xBFid: x\nfacts: {" + good_cost + "}\n", ""},
      {"CRLF accepted", "id: x\r\nfacts:\r\n  cost: {hours: 10, internal_rate: 1, external_rate: 2}\r\n", ""},
      {"non-UTF-8 in a level", "id: x\nfacts: {control: {institutional_knowledge: \"\xff\xfe\"}}\n", "case.yaml:2: invalid UTF-8"},
      {"non-UTF-8 in an unknown name", "id: x\nfacts: {\"\xc3\x28\": 1}\n", "case.yaml:2: invalid UTF-8"},
      {"non-UTF-8 in the id (JSON output would be broken)", "id: \xff\nfacts: {}\n", "case.yaml:1: invalid UTF-8"},
      {"duplicate fact", "id: x\nfacts: {cost: {hours: 1, hours: 2}}\n", "given twice"},
      {"duplicate flat and nested", "id: x\nfacts: {cost.hours: 1, cost: {hours: 2}}\n", "twice"},
      {"huge number", "id: x\nfacts: {cost: {hours: 1e400, internal_rate: 1, external_rate: 2}}\n", "cost.hours"},
      {"largest double accepted", "id: x\nfacts: {cost: {hours: 1e308, internal_rate: 1, external_rate: 2}}\n", ""},
      {".nan", "id: x\nfacts: {cost: {hours: .nan}}\n", "cost.hours"},
      {".inf", "id: x\nfacts: {cost: {hours: .inf}}\n", "cost.hours"},
      {"-.inf", "id: x\nfacts: {cost: {hours: -.Inf}}\n", "cost.hours"},
      {"string where a number is due", "id: x\nfacts: {cost: {hours: \"12\"}}\n", "must be a number"},
      {"number where a string is due", "id: x\nfacts: {control: {institutional_knowledge: 5}}\n", "institutional_knowledge"},
      {"bool where a number is due", "id: x\nfacts: {cost: {hours: true}}\n", "must be a number"},
      {"number where a bool is due", "id: x\nfacts: {legal: {regulated: 1}}\n", "legal.regulated"},
      {"null fact", "id: x\nfacts: {cost: {hours: ~}}\n", "cost.hours"},
      {"list fact", "id: x\nfacts: {cost: {hours: [1]}}\n", "cost.hours"},
      {"id a map", "id: {a: 1}\nfacts: {}\n", "id"},
      {"a bare scalar", "42\n", "case"},
      {"NUL byte", std::string("id: x\nfacts: {cost: {hours: 1\0}}\n", 31), ""},
      {"unclosed flow", "id: x\nfacts: {cost: {hours: 1\n", "invalid YAML"},
      {"tab indentation", "id: x\nfacts:\n\tcost: {hours: 1}\n", "invalid YAML"},
  };
  for (const Row& row : rows) {
    std::string e = case_problem(*p, row.text);
    if (std::string(row.expect).empty()) {
      // Accepted; a NUL may also be refused, but cleanly.
      if (std::string(row.name) != "NUL byte") {
        EXPECT_EQ(e, "") << row.name;
      }
    } else {
      EXPECT_NE(e.find(row.expect), std::string::npos) << row.name << ": " << e;
    }
  }
}

TEST(HostileInput, JsonLinesTable) {
  auto p = test::default_policy();
  JsonCaseParser json(p->schema());
  struct JRow {
    const char* name;
    std::string text;
    JsonCaseParser::Result expect;
    const char* words;
  };
  const std::vector<JRow> rows = {
      {"non-UTF-8", "{\"id\":\"\xff\",\"facts\":{}}", JsonCaseParser::Result::kParseError, "UTF-8"},
      {"NaN literal", R"({"id":"x","facts":{"cost.hours":NaN}})", JsonCaseParser::Result::kParseError, "invalid JSON"},
      {"huge number", R"({"id":"x","facts":{"cost.hours":1e400}})", JsonCaseParser::Result::kCaseError, "must be a finite number"},
      {"string for number", R"({"id":"x","facts":{"cost.hours":"12"}})", JsonCaseParser::Result::kCaseError, "must be a number"},
      {"number for string", R"({"id":"x","facts":{"control.institutional_knowledge":5}})", JsonCaseParser::Result::kCaseError, "institutional_knowledge"},
      {"number for id (accepted as written)", R"({"id":5,"facts":{}})", JsonCaseParser::Result::kOk, ""},
      {"bool for id", R"({"id":true,"facts":{}})", JsonCaseParser::Result::kCaseError, "must be a string"},
      {"duplicate id", R"({"id":"a","id":"b","facts":{}})", JsonCaseParser::Result::kCaseError, "twice"},
      {"empty", "", JsonCaseParser::Result::kParseError, ""},
      {"array", "[1,2]", JsonCaseParser::Result::kCaseError, ""},
      {"deep", std::string(5000, '[') + std::string(5000, ']'), JsonCaseParser::Result::kParseError, ""},
  };
  for (const JRow& row : rows) {
    std::string text = row.text;
    text.append(kJsonPadding, '\0');
    CaseFacts c;
    std::string err;
    auto r = json.parse(text.data(), row.text.size(), text.size(), &c, &err);
    if (row.expect == JsonCaseParser::Result::kOk) {
      EXPECT_EQ(r, JsonCaseParser::Result::kOk) << row.name << ": " << err;
      continue;
    }
    EXPECT_NE(r, JsonCaseParser::Result::kOk) << row.name;
    if (r == JsonCaseParser::Result::kOk) continue;
    EXPECT_FALSE(err.empty()) << row.name;
    EXPECT_NE(err.find(row.words), std::string::npos) << row.name << ": " << err;
  }
}

TEST(HostileInput, RulesTable) {
  const std::vector<Row> rows = {
      {"empty file", "", "empty"},
      {"BOM accepted", "\xEF\xBB\xBFinsource: 1\ncriteria: {cost: {weight: 1}}\n", ""},
      {"CRLF accepted", "insource: 1\r\ncriteria:\r\n  cost: {weight: 1}\r\n", ""},
      {"duplicate top key", "insource: 1\ninsource: 1\ncriteria: {cost: {weight: 1}}\n", "given twice"},
      {"duplicate criterion", "insource: 1\ncriteria: {cost: {weight: 1}, cost: {weight: 2}}\n", "given twice"},
      {"huge weight", "insource: 1\ncriteria: {cost: {weight: 1e400}}\n", "finite"},
      {".nan weight", "insource: 1\ncriteria: {cost: {weight: .nan}}\n", "finite"},
      {"string weight", "insource: 1\ncriteria: {cost: {weight: \"0.3\"}}\n", "must be a number"},
      {"number version as string", "insource: \"1\"\ncriteria: {cost: {weight: 1}}\n", "must be a number"},
      {"number as name", "insource: 1\nname: 5\ncriteria: {cost: {weight: 1}}\n", ""},  // a scalar name reads as text
      {"non-UTF-8 name", "insource: 1\nname: \"\xff\"\ncriteria: {cost: {weight: 1}}\n", ""},
      {"list as rules", "- 1\n", "not a list"},
  };
  for (const Row& row : rows) {
    std::string e = rules_problem(row.text);
    if (std::string(row.expect).empty()) {
      EXPECT_EQ(e, "") << row.name;
    } else {
      EXPECT_NE(e.find(row.expect), std::string::npos) << row.name << ": " << e;
    }
  }
}

}  // namespace
}  // namespace insource
