// rules/schema.json and rules/test.schema.json cannot drift from the readers:
// the keys each map accepts are compared with the schemas' properties (the
// rules loader's lists are read from its source, the test reader's from
// rule_tests.h), every shipped rules and rule test file is valid under its
// schema (checked by a small draft-07 validator here, so no dependency), and a
// misspelt key at each level is rejected by both the reader and the schema.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "policy_tools_util.h"
#include "tools/rule_tests.h"
#include "policy/yaml_scalar.h"

namespace insource {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using tools_test::contains;
using tools_test::read_file;
using tools_test::source_path;

json schema(const std::string& name) { return json::parse(read_file(source_path("rules/" + name))); }

json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (auto it = n.begin(); it != n.end(); ++it) o[it->first.Scalar()] = to_json(it->second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& item : n) a.push_back(to_json(item));
      return a;
    }
    case YAML::NodeType::Scalar: {
      YamlScalar s = read_scalar(n);
      switch (s.kind) {
        case YamlScalar::Kind::kNull: return nullptr;
        case YamlScalar::Kind::kBool: return s.boolean;
        case YamlScalar::Kind::kNumber:
          if (s.number == std::floor(s.number) && std::fabs(s.number) < 1e15) return static_cast<int64_t>(s.number);
          return s.number;
        case YamlScalar::Kind::kString: return s.text;
      }
      return nullptr;
    }
    default: return nullptr;
  }
}
json yaml_json(const std::string& text) { return to_json(YAML::Load(text)); }

// The draft-07 keywords the schemas use, and no more: a schema that starts
// using another one fails this test until the validator learns it.
class MiniValidator {
 public:
  explicit MiniValidator(json root) : root_(std::move(root)) {}

  std::vector<std::string> validate(const json& doc) {
    errors_.clear();
    check(root_, doc, "$");
    return errors_;
  }

 private:
  void err(const std::string& at, const std::string& what) { errors_.push_back(at + ": " + what); }

  bool valid(const json& s, const json& v) {
    std::vector<std::string> saved;
    saved.swap(errors_);
    check(s, v, "");
    bool ok = errors_.empty();
    errors_.swap(saved);
    return ok;
  }

  static bool has_type(const std::string& t, const json& v) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "number") return v.is_number();
    if (t == "integer") return v.is_number_integer();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    return false;
  }

  void check(const json& s, const json& v, const std::string& at) {
    if (s.is_boolean()) {
      if (!s.get<bool>()) err(at, "not allowed");
      return;
    }
    static const std::set<std::string> known = {
        "$schema", "$id",   "title",   "description", "default",       "type",         "const",         "enum",
        "$ref",    "properties", "required", "additionalProperties", "propertyNames", "minProperties", "dependencies",
        "items",   "minimum", "oneOf",   "anyOf",       "not",           "pattern",      "definitions"};
    for (auto it = s.begin(); it != s.end(); ++it)
      if (!known.count(it.key())) err(at, "the test's validator does not know keyword " + it.key());
    if (s.contains("$ref")) {
      std::string ref = s["$ref"];
      const std::string prefix = "#/definitions/";
      if (ref.compare(0, prefix.size(), prefix) != 0 || !root_["definitions"].contains(ref.substr(prefix.size())))
        return err(at, "unresolvable $ref " + ref);
      return check(root_["definitions"][ref.substr(prefix.size())], v, at);
    }
    if (s.contains("type")) {
      bool ok = false;
      if (s["type"].is_string()) ok = has_type(s["type"], v);
      else
        for (const auto& t : s["type"]) ok = ok || has_type(t, v);
      if (!ok) return err(at, "wrong type, not " + s["type"].dump());
    }
    if (s.contains("const") && s["const"] != v) err(at, "must be " + s["const"].dump());
    if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
      err(at, v.dump() + " is not one of " + s["enum"].dump());
    if (s.contains("pattern") && v.is_string() && !std::regex_search(v.get<std::string>(), std::regex(s["pattern"].get<std::string>())))
      err(at, "does not match " + s["pattern"].get<std::string>());
    if (s.contains("minimum") && v.is_number() && v.get<double>() < s["minimum"].get<double>()) err(at, "below the minimum");
    if (s.contains("not") && valid(s["not"], v)) err(at, "matches what `not` forbids");
    if (s.contains("oneOf")) {
      int n = 0;
      for (const auto& sub : s["oneOf"]) n += valid(sub, v);
      if (n != 1) err(at, "matches " + std::to_string(n) + " of oneOf");
    }
    if (s.contains("anyOf")) {
      int n = 0;
      for (const auto& sub : s["anyOf"]) n += valid(sub, v);
      if (n == 0) err(at, "matches none of anyOf");
    }
    if (v.is_object()) {
      if (s.contains("required"))
        for (const auto& k : s["required"])
          if (!v.contains(k.get<std::string>())) err(at, "missing " + k.get<std::string>());
      if (s.contains("minProperties") && v.size() < s["minProperties"].get<size_t>()) err(at, "too few properties");
      if (s.contains("dependencies"))
        for (auto it = s["dependencies"].begin(); it != s["dependencies"].end(); ++it)
          if (v.contains(it.key()))
            for (const auto& k : it.value())
              if (!v.contains(k.get<std::string>())) err(at, it.key() + " needs " + k.get<std::string>());
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (s.contains("propertyNames")) check(s["propertyNames"], json(it.key()), at + "." + it.key() + " (name)");
        if (s.contains("properties") && s["properties"].contains(it.key())) {
          check(s["properties"][it.key()], it.value(), at + "." + it.key());
        } else if (s.contains("additionalProperties")) {
          check(s["additionalProperties"], it.value(), at + "." + it.key());
        }
      }
    }
    if (v.is_array() && s.contains("items"))
      for (size_t i = 0; i < v.size(); ++i) check(s["items"], v[i], at + "[" + std::to_string(i) + "]");
  }

  json root_;
  std::vector<std::string> errors_;
};

std::set<std::string> keys_of(const json& properties) {
  std::set<std::string> out;
  for (auto it = properties.begin(); it != properties.end(); ++it) out.insert(it.key());
  return out;
}

// The key lists of every check_keys call in the rules loader, by where they apply.
std::map<std::string, std::set<std::string>> loader_keys() {
  std::string src = read_file(source_path("host/policy/rules.cc"));
  std::regex call(R"(check_keys\(\s*\w+\s*,\s*\{([^}]*)\}\s*,\s*([^;]*)\);)");
  std::regex word("\"([^\"]+)\"");
  std::map<std::string, std::set<std::string>> out;
  for (auto it = std::sregex_iterator(src.begin(), src.end(), call); it != std::sregex_iterator(); ++it) {
    std::string list = (*it)[1], where = (*it)[2];
    std::string level = contains(where, "\"rules file\"") ? "root"
                        : contains(where, "\"fact \"")     ? "fact"
                        : contains(where, "\"criterion \"") ? "criterion"
                        : contains(where, "\"thresholds\"") ? "thresholds"
                        : contains(where, "\"override\"")   ? "override"
                        : contains(where, "\"weight range of \"") ? "weight range"
                                                            : "unknown: " + where;
    std::set<std::string> keys;
    for (auto w = std::sregex_iterator(list.begin(), list.end(), word); w != std::sregex_iterator(); ++w) keys.insert((*w)[1]);
    EXPECT_FALSE(out.count(level)) << level;
    out[level] = keys;
  }
  return out;
}

TEST(Schema, RulesSchemaHasExactlyTheLoadersKeys) {
  json s = schema("schema.json");
  auto loader = loader_keys();
  ASSERT_EQ(loader.size(), 6u) << "a check_keys call was added to or removed from rules.cc: map it to the schema here";
  const json& p = s["properties"];
  EXPECT_EQ(loader["root"], keys_of(p));
  EXPECT_EQ(loader["fact"], keys_of(p["facts"]["additionalProperties"]["oneOf"][1]["properties"]));
  EXPECT_EQ(loader["criterion"], keys_of(p["criteria"]["additionalProperties"]["properties"]));
  EXPECT_EQ(loader["thresholds"], keys_of(p["thresholds"]["properties"]));
  EXPECT_EQ(loader["override"], keys_of(p["overrides"]["items"]["properties"]));
  EXPECT_EQ(loader["weight range"],
            keys_of(p["criteria"]["additionalProperties"]["properties"]["weight"]["oneOf"][1]["properties"]));
  // Verdicts and fact types as the engine knows them.
  std::set<std::string> verdicts;
  for (int i = 0; i < kVerdictCount; ++i) verdicts.insert(std::string(verdict_name(static_cast<Verdict>(i))));
  EXPECT_EQ(verdicts, (s["definitions"]["verdict"]["enum"].get<std::set<std::string>>()));
  for (const auto& t : s["definitions"]["factType"]["enum"]) {
    Type ty;
    EXPECT_TRUE(parse_type_name(t.get<std::string>(), &ty)) << t;
  }
}

TEST(Schema, TestSchemaHasExactlyTheReadersKeys) {
  json s = schema("test.schema.json");
  auto set_of = [](const auto& arr) { return std::set<std::string>(arr.begin(), arr.end()); };
  EXPECT_EQ(set_of(kTestFileKeys), keys_of(s["properties"]));
  const json& test = s["properties"]["tests"]["items"];
  EXPECT_EQ(set_of(kTestKeys), keys_of(test["properties"]));
  EXPECT_EQ(set_of(kExpectKeys), keys_of(test["properties"]["expect"]["properties"]));
  EXPECT_EQ(set_of(kCriterionExpectKeys), keys_of(test["properties"]["expect"]["properties"]["criteria"]["additionalProperties"]["properties"]));
  EXPECT_EQ(set_of(kNumberExpectKeys), keys_of(s["definitions"]["number"]["oneOf"][1]["properties"]));
}

TEST(Schema, EveryKeyOfTheSchemaLoads) {
  // A rules file with every key the schema names, at every level: the loader takes it.
  const std::string text = R"(insource: 1
name: every key
description: d
extends: base.yaml
facts:
  project.phase: {type: string, description: where the project is, allowed: [plan, run]}
  project.size: number
criteria:
  cost: {weight: 0.4, params: {vendor_overhead: 0.2}}
thresholds: {insource: 0.3, outsource: -0.3}
overrides:
  - {id: planning, when: project.phase == "plan" and project.size > 1, verdict: hybrid, reason: r}
)";
  json doc = yaml_json(text);
  json s = schema("schema.json");
  EXPECT_EQ(keys_of(doc), keys_of(s["properties"]));
  EXPECT_EQ(keys_of(doc["facts"]["project.phase"]), keys_of(s["properties"]["facts"]["additionalProperties"]["oneOf"][1]["properties"]));
  EXPECT_EQ(keys_of(doc["overrides"][0]), keys_of(s["properties"]["overrides"]["items"]["properties"]));
  EXPECT_TRUE(MiniValidator(s).validate(doc).empty());
  EXPECT_NO_THROW(Policy::compile(read_rules_text(text, "every.yaml", source_path("tests/fixtures/rules/good")), test::plugins_with()));
}

TEST(Schema, ShippedRulesAndTestFilesAreValid) {
  MiniValidator rules(schema("schema.json")), tests(schema("test.schema.json"));
  std::vector<std::string> rule_files{"rules/default.yaml", "tests/fixtures/rules/good/base.yaml",
                                      "tests/fixtures/rules/good/child.yaml"};
  std::vector<std::string> test_files;
  for (const char* dir : {"rules", "examples", "examples/rules", "tests/fixtures/policy_tools", "tests/fixtures/policy_tools/rules"}) {
    fs::path d = fs::path(INSOURCE_SOURCE_DIR) / dir;
    if (!fs::is_directory(d)) continue;
    for (const auto& e : fs::directory_iterator(d)) {
      std::string name = e.path().filename().string();
      std::string rel = std::string(dir) + "/" + name;
      if (name.size() > 10 && name.compare(name.size() - 10, 10, ".test.yaml") == 0) test_files.push_back(rel);
      else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".yaml") == 0 && std::string(dir) != "tests/fixtures/policy_tools")
        rule_files.push_back(rel);
    }
  }
  EXPECT_GE(test_files.size(), 3u);
  for (const auto& f : rule_files) {
    auto errors = rules.validate(yaml_json(read_file(source_path(f))));
    EXPECT_TRUE(errors.empty()) << f << ": " << (errors.empty() ? "" : errors[0]);
  }
  for (const auto& f : test_files) {
    auto errors = tests.validate(yaml_json(read_file(source_path(f))));
    EXPECT_TRUE(errors.empty()) << f << ": " << (errors.empty() ? "" : errors[0]);
  }
}

// A key misspelt at each level is an error for the loader and for the schema.
TEST(Schema, AMisspeltKeyAtEachLevelIsRejectedByBoth) {
  MiniValidator v(schema("schema.json"));
  const std::vector<std::string> docs = {
      "insource: 1\ncriteria: {cost: {weight: 1}}\nthreshold: {insource: 0.3}\n",
      "insource: 1\nfacts: {x.y: {type: number, descripton: d}}\ncriteria: {cost: {weight: 1}}\n",
      "insource: 1\ncriteria: {cost: {weight: 1, parms: {vendor_overhead: 0.2}}}\n",
      "insource: 1\ncriteria: {cost: {weight: 1}}\nthresholds: {insourse: 0.3}\n",
      "insource: 1\ncriteria: {cost: {weight: 1}}\noverrides: [{id: a, when: 'true', verdict: hybrid, reson: r}]\n",
  };
  for (const auto& d : docs) {
    EXPECT_FALSE(v.validate(yaml_json(d)).empty()) << d;
    EXPECT_TRUE(contains(test::rules_error(d), "unknown key")) << d;
  }
  // Values the schema knows to be wrong, as the loader does.
  for (const char* d : {"insource: 2\ncriteria: {cost: {weight: 1}}\n", "insource: 1\ncriteria: {cost: {weight: -1}}\n",
                        "insource: 1\ncriteria: {cost: {weight: 1}}\noverrides: [{id: a, when: 'true', verdict: maybe}]\n",
                        "insource: 1\ncriteria: {cost: {weight: 1}}\noverrides: [{id: a, verdict: hybrid}]\n",
                        "insource: 1\nfacts: {total: number}\ncriteria: {cost: {weight: 1}}\n"}) {
    EXPECT_FALSE(v.validate(yaml_json(d)).empty()) << d;
    test::rules_error(d);
  }
}

TEST(Schema, AMisspeltKeyInATestFileIsRejectedByBoth) {
  MiniValidator v(schema("test.schema.json"));
  const std::vector<std::string> docs = {
      "rulez: x.yaml\ntests: []\n",
      "tests: [{name: a, case: {facts: {}}, expct: {verdict: review}}]\n",
      "tests: [{name: a, case: {facts: {}}, expect: {verdit: review}}]\n",
      "tests: [{name: a, case: {facts: {}}, expect: {criteria: {cost: {scor: 1}}}}]\n",
      "tests: [{name: a, case: {facts: {}}, expect: {total: {aprox: 1}}}]\n",
  };
  for (const auto& d : docs) {
    EXPECT_FALSE(v.validate(yaml_json(d)).empty()) << d;
    std::string f = tools_test::write_scratch("schema/typo.test.yaml", d);
    try {
      read_test_file(f);
      ADD_FAILURE() << "read: " << d;
    } catch (const RulesError& e) {
      EXPECT_TRUE(contains(e.what(), "unknown key")) << e.what();
    }
  }
}

TEST(Schema, TheEditorModelineIsDocumented) {
  EXPECT_EQ(read_file(source_path("rules/default.test.yaml")).rfind("# yaml-language-server: $schema=test.schema.json\n", 0), 0u);
  EXPECT_TRUE(contains(read_file(source_path("docs/policy-authors.md")), "# yaml-language-server: $schema="));
}

}  // namespace
}  // namespace insource
