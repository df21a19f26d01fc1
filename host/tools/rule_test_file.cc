// `insource test`: reading and checking a rule test file, and what its
// expectations mean (rule_tests.h).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/fact_schema.h"
#include "io/case_reader.h"
#include "policy/input_limits.h"
#include "policy/yaml_scalar.h"
#include "tools/rule_tests.h"

namespace insource {

namespace fs = std::filesystem;

bool NumberExpect::matches(double v) const {
  if (!std::isfinite(v)) return false;
  if (equals && !(std::fabs(v - *equals) <= tolerance)) return false;
  if (min && !(v >= *min - kThresholdEpsilon)) return false;
  if (max && !(v <= *max + kThresholdEpsilon)) return false;
  return true;
}

std::string NumberExpect::text() const {
  std::vector<std::string> parts;
  if (equals) {
    char tol[32];
    std::snprintf(tol, sizeof tol, "%g", tolerance);
    parts.push_back(tolerance == 1e-9 ? format_number(*equals) : format_number(*equals) + " +/- " + tol);
  }
  if (min && max) parts.push_back("between " + format_number(*min) + " and " + format_number(*max));
  else if (min) parts.push_back("at least " + format_number(*min));
  else if (max) parts.push_back("at most " + format_number(*max));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " and ") + p;
  return out.empty() ? "any number" : out;
}

// ---------------------------------------------------------------- reading a test file

namespace {

bool read_text(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return !in.bad();
}

std::string relative_to(const std::string& file, const std::string& path) {
  fs::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (fs::path(file).parent_path() / p).lexically_normal().string();
}

// The text of a value node alone, at its place in the file: earlier lines
// become empty, the part of its first line before it becomes blanks, and the
// lines after it are kept while they are indented deeper than its key.
// The end of a flow collection that starts at text[at] ('{' or '['): the
// index of its closing bracket, or npos.
size_t flow_end(const std::string& text, size_t at) {
  int depth = 0;
  for (size_t i = at; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
    } else if (c == '\'') {
      for (++i; i < text.size(); ++i) {
        if (text[i] == '\'' && i + 1 < text.size() && text[i + 1] == '\'') ++i;
        else if (text[i] == '\'') break;
      }
    } else if (c == '#' && i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t')) {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i;
    }
  }
  return std::string::npos;
}

std::string value_text_in_place(const std::string& text, const YAML::Node& key, const YAML::Node& value) {
  YAML::Mark km = key.Mark(), vm = value.Mark();
  // A flow map ({...}) is cut at its closing brace: what follows on its line
  // may belong to an enclosing flow collection.
  if (vm.pos >= 0 && static_cast<size_t>(vm.pos) < text.size() && text[static_cast<size_t>(vm.pos)] == '{') {
    size_t end = flow_end(text, static_cast<size_t>(vm.pos));
    if (end != std::string::npos)
      return std::string(static_cast<size_t>(vm.line), '\n') + std::string(static_cast<size_t>(vm.column), ' ') +
             text.substr(static_cast<size_t>(vm.pos), end + 1 - static_cast<size_t>(vm.pos)) + "\n";
  }
  std::vector<std::string> lines;
  {
    std::string cur;
    for (char ch : text) {
      if (ch == '\n') {
        lines.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
    lines.push_back(cur);
  }
  std::string out(static_cast<size_t>(vm.line), '\n');
  if (static_cast<size_t>(vm.line) >= lines.size()) return out;
  std::string first = lines[static_cast<size_t>(vm.line)];
  for (size_t i = 0; i < first.size() && i < static_cast<size_t>(vm.column); ++i)
    if (first[i] != '\t') first[i] = ' ';
  out += first + "\n";
  for (size_t l = static_cast<size_t>(vm.line) + 1; l < lines.size(); ++l) {
    const std::string& s = lines[l];
    size_t indent = s.find_first_not_of(" \t\r");
    if (indent == std::string::npos || s[indent] == '#') {
      out += s + "\n";
      continue;
    }
    if (static_cast<int>(indent) <= km.column) break;
    out += s + "\n";
  }
  return out;
}

class TestFileReader {
 public:
  TestFileReader(std::string path, std::string text) : path_(std::move(path)), text_(std::move(text)) {}

  TestFile read() {
    TestFile f;
    f.path = path_;
    YAML::Node root;
    try {
      root = YAML::Load(text_);
    } catch (const YAML::ParserException& e) {
      SourcePos p{path_, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
      diags_.push_back(Diagnostic{Diagnostic::Severity::kError, p, yaml_parse_message(e)});
      throw RulesError(diags_);
    } catch (const YAML::Exception& e) {
      error_at(SourcePos{path_}, std::string("invalid YAML: ") + e.what());
      throw RulesError(diags_);
    }
    if (!root.IsMap()) {
      error_at(SourcePos{path_, 1, 1}, "a rule test file is a map with `tests` (and `rules`), not " + describe_node(root));
      throw RulesError(diags_);
    }
    check_keys(root, kTestFileKeys, "rule test file");
    if (auto r = root["rules"]) {
      std::string s;
      if (read_string(r, "rules", &s)) {
        f.rules = relative_to(path_, s);
        f.rules_pos = pos(r);
      }
    }
    if (auto p = root["plugins"]) {
      if (!p.IsSequence()) {
        error(p, "plugins must be a list of folders, not " + describe_node(p));
      } else {
        for (const auto& item : p) {
          std::string s;
          if (read_string(item, "a plugin folder", &s)) f.plugin_dirs.push_back(relative_to(path_, s));
        }
      }
    }
    if (auto d = root["description"]) read_string(d, "description", &f.description);
    YAML::Node tests = root["tests"];
    if (!tests) {
      error_at(SourcePos{path_, 1, 1}, "the file has no `tests`");
    } else if (!tests.IsSequence()) {
      error(tests, "tests must be a list, not " + describe_node(tests));
    } else {
      std::set<std::string> names;
      for (const auto& item : tests) {
        RuleTest t;
        bool ok = read_test(item, &t);
        if (!t.name.empty() && !names.insert(t.name).second)
          error(item["name"], "test name '" + t.name + "' is used twice in this file");
        if (ok) f.tests.push_back(std::move(t));
      }
    }
    if (!diags_.empty()) throw RulesError(diags_);
    return f;
  }

 private:
  SourcePos pos(const YAML::Node& n) const { return pos_of(n, path_); }
  void error_at(SourcePos p, std::string msg) {
    diags_.push_back(Diagnostic{Diagnostic::Severity::kError, std::move(p), std::move(msg)});
  }
  void error(const YAML::Node& n, std::string msg) { error_at(pos(n), std::move(msg)); }

  template <size_t N>
  void check_keys(const YAML::Node& map, const std::array<const char*, N>& known, const std::string& where) {
    std::vector<std::string_view> names(known.begin(), known.end());
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        error(it->first, "a key in the " + where + " must be a plain name, not " + describe_node(it->first));
        continue;
      }
      const std::string& k = it->first.Scalar();
      if (!seen.insert(k).second) error(it->first, "key '" + k + "' is given twice in the " + where);
      if (std::find(names.begin(), names.end(), k) == names.end()) {
        std::string msg = "unknown key '" + k + "' in the " + where;
        std::string near = closest_name(k, names);
        if (!near.empty()) msg += " (did you mean '" + near + "'?)";
        error(it->first, msg);
      }
    }
  }

  bool read_string(const YAML::Node& n, const std::string& what, std::string* out) {
    std::string problem;
    if (read_yaml_string(n, out, &problem)) return true;
    error(n, what + " " + problem);
    return false;
  }

  bool read_number(const YAML::Node& n, const std::string& what, double* out) {
    std::string problem;
    if (read_yaml_finite_number(n, out, &problem)) return true;
    error(n, what + " " + problem);
    return false;
  }

  bool read_test(const YAML::Node& item, RuleTest* t) {
    t->pos = pos(item);
    if (!item.IsMap()) {
      error(item, "a test must be a map {name, case or case_file, expect}, not " + describe_node(item));
      return false;
    }
    check_keys(item, kTestKeys, "test");
    bool ok = true;
    if (!item["name"]) {
      error(item, "a test needs a `name`");
      ok = false;
    } else {
      ok &= read_string(item["name"], "name", &t->name);
    }
    YAML::Node c = item["case"], cf = item["case_file"], cid = item["case_id"];
    if (c && cf) {
      error(cf, "a test has either `case` or `case_file`, not both");
      ok = false;
    } else if (!c && !cf) {
      error(item, "a test needs a `case` (inline) or a `case_file`");
      ok = false;
    } else if (c) {
      t->case_pos = pos(c);
      if (!c.IsMap()) {
        error(c, "case must be a map with `id` and `facts`, not " + describe_node(c));
        ok = false;
      } else {
        for (auto it = item.begin(); it != item.end(); ++it)
          if (it->first.IsScalar() && it->first.Scalar() == "case") t->case_text = value_text_in_place(text_, it->first, c);
        t->has_id = static_cast<bool>(c["id"]);
      }
      if (cid) {
        error(cid, "case_id goes with case_file (an inline case names its id itself)");
        ok = false;
      }
    } else {
      std::string s;
      if (read_string(cf, "case_file", &s)) {
        t->case_file = relative_to(path_, s);
        t->case_pos = pos(cf);
      } else {
        ok = false;
      }
      if (cid) {
        std::string id;
        if (read_string(cid, "case_id", &id)) t->case_id = id;
        else ok = false;
      }
    }
    YAML::Node e = item["expect"];
    if (!e) {
      error(item, "a test needs `expect` (for example {verdict: insource})");
      ok = false;
    } else if (!e.IsMap()) {
      error(e, "expect must be a map, not " + describe_node(e));
      ok = false;
    } else {
      ok &= read_expect(e, &t->expect);
    }
    return ok;
  }

  bool read_number_expect(const YAML::Node& n, const std::string& what, NumberExpect* out) {
    if (n.IsScalar()) {
      double v;
      if (!read_number(n, what, &v)) return false;
      out->equals = v;
      return true;
    }
    if (!n.IsMap()) {
      error(n, what + " must be a number or a map {min, max} or {approx, tolerance}, not " + describe_node(n));
      return false;
    }
    check_keys(n, kNumberExpectKeys, what);
    bool ok = true;
    double v;
    if (auto m = n["min"]) {
      if ((ok &= read_number(m, "min", &v))) out->min = v;
    }
    if (auto m = n["max"]) {
      if ((ok &= read_number(m, "max", &v))) out->max = v;
    }
    if (auto m = n["approx"]) {
      if ((ok &= read_number(m, "approx", &v))) out->equals = v, out->tolerance = 0.0005;
    }
    if (auto m = n["tolerance"]) {
      if (!n["approx"]) {
        error(m, "tolerance goes with approx");
        ok = false;
      } else if ((ok &= read_number(m, "tolerance", &v))) {
        if (v < 0) {
          error(m, "tolerance must not be negative");
          ok = false;
        }
        out->tolerance = v;
      }
    }
    if (out->min && out->max && *out->min > *out->max) {
      error(n, what + ": min is above max");
      ok = false;
    }
    if (!out->min && !out->max && !out->equals) {
      error(n, what + " needs min, max or approx");
      ok = false;
    }
    return ok;
  }

  bool read_expect(const YAML::Node& e, TestExpect* x) {
    check_keys(e, kExpectKeys, "expect");
    bool ok = true;
    if (auto v = e["verdict"]) {
      std::string s;
      if (read_string(v, "verdict", &s)) {
        if (auto verdict = parse_verdict(s)) {
          x->verdict = *verdict;
        } else {
          std::vector<std::string_view> names;
          for (int i = 0; i < kVerdictCount; ++i) names.push_back(verdict_name(static_cast<Verdict>(i)));
          std::string near = closest_name(s, names);
          error(v, "unknown verdict '" + s + "'" +
                       (near.empty() ? " (one of insource, outsource, hybrid, outsource-then-insource, "
                                       "insource-then-outsource, review)"
                                     : " (did you mean '" + near + "'?)"));
          ok = false;
        }
      } else {
        ok = false;
      }
    }
    if (auto r = e["rule"]) {
      x->has_rule = true;
      if (!r.IsNull() && !(r.IsScalar() && read_scalar(r).kind == YamlScalar::Kind::kNull)) {
        std::string s;
        if (read_string(r, "rule", &s)) x->rule = s;
        else ok = false;
      }
    }
    if (auto t = e["total"]) {
      NumberExpect n;
      if (read_number_expect(t, "total", &n)) x->total = n;
      else ok = false;
    }
    if (auto r = e["reason"]) {
      std::string s;
      if (read_string(r, "reason", &s)) x->reason = s;
      else ok = false;
    }
    if (auto r = e["error"]) {
      std::string s;
      if (read_string(r, "error", &s)) x->error = s;
      else ok = false;
      if (e["verdict"] || e["rule"] || e["total"] || e["criteria"] || e["reason"]) {
        error(r, "a test that expects an error expects nothing else (the case gets no verdict)");
        ok = false;
      }
    }
    if (auto c = e["criteria"]) {
      if (!c.IsMap()) {
        error(c, "criteria must be a map of criterion name to {score, contribution, abstained}, not " + describe_node(c));
        return false;
      }
      for (auto it = c.begin(); it != c.end(); ++it) {
        CriterionExpect ce;
        ce.name = it->first.Scalar();
        ce.pos = pos(it->first);
        const YAML::Node v = it->second;  // a copy: the iterator's pair is a temporary
        if (!v.IsMap()) {
          error(v, "the expectation for criterion " + ce.name + " must be a map {score, contribution, abstained}, not " +
                       describe_node(v));
          ok = false;
          continue;
        }
        check_keys(v, kCriterionExpectKeys, "expectation for criterion " + ce.name);
        if (auto s = v["score"]) {
          NumberExpect n;
          if (read_number_expect(s, "the score of " + ce.name, &n)) ce.score = n;
          else ok = false;
        }
        if (auto s = v["contribution"]) {
          NumberExpect n;
          if (read_number_expect(s, "the contribution of " + ce.name, &n)) ce.contribution = n;
          else ok = false;
        }
        if (auto a = v["abstained"]) {
          YamlScalar s;
          if (a.IsScalar()) s = read_scalar(a);
          if (!a.IsScalar() || s.kind != YamlScalar::Kind::kBool) {
            error(a, "abstained must be true or false, not " + describe_node(a));
            ok = false;
          } else {
            ce.abstained = s.boolean;
          }
        }
        if (ce.abstained.value_or(false) && (ce.score || ce.contribution)) {
          error(v, "criterion " + ce.name + " cannot both abstain and have a score or contribution");
          ok = false;
        }
        x->criteria.push_back(std::move(ce));
      }
    }
    return ok;
  }

  std::string path_, text_;
  std::vector<Diagnostic> diags_;
};

}  // namespace

TestFile read_test_file(const std::string& path) {
  std::string text;
  if (!read_text(path, &text)) {
    std::string why = why_unreadable(path);
    throw RulesError({Diagnostic{Diagnostic::Severity::kError, SourcePos{path},
                                 "cannot read the rule test file" + (why.empty() ? std::string() : ": " + why)}});
  }
  return TestFileReader(path, std::move(text)).read();
}

}  // namespace insource
