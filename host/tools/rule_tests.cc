#include "tools/rule_tests.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "io/case_reader.h"
#include "core/fact_schema.h"
#include "io/report.h"
#include "policy/input_limits.h"
#include "policy/yaml_scalar.h"

namespace insource {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- expectations

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
    if (!n.IsScalar()) {
      error(n, what + " must be a string, not " + describe_node(n));
      return false;
    }
    *out = n.Scalar();
    return true;
  }

  bool read_number(const YAML::Node& n, const std::string& what, double* out) {
    YamlScalar s;
    if (n.IsScalar()) s = read_scalar(n);
    if (!n.IsScalar() || s.kind != YamlScalar::Kind::kNumber || !std::isfinite(s.number)) {
      error(n, what + " must be a finite number, not " + describe_node(n));
      return false;
    }
    *out = s.number;
    return true;
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

// ---------------------------------------------------------------- coverage

Coverage Coverage::of(const Policy& p, std::string rules_label) {
  Coverage c;
  c.rules_ = std::move(rules_label);
  for (const auto& o : p.overrides()) c.overrides_.push_back(o.id);
  c.matched_.assign(c.overrides_.size(), 0);
  c.passed_.assign(c.overrides_.size(), 0);
  for (const auto& b : p.criteria()) c.criteria_.push_back(b.name);
  c.voted_.assign(c.criteria_.size(), 0);
  c.abstained_.assign(c.criteria_.size(), 0);
  return c;
}

void Coverage::add(const Decision& d) {
  if (d.failed) return;
  const size_t reached = d.rule >= 0 ? static_cast<size_t>(d.rule) : overrides_.size();
  for (size_t i = 0; i < reached && i < passed_.size(); ++i) ++passed_[i];
  if (d.rule >= 0 && static_cast<size_t>(d.rule) < matched_.size()) ++matched_[static_cast<size_t>(d.rule)];
  if (d.rule < 0 && d.weight_sum > 0) {
    switch (d.verdict) {
      case Verdict::kInsource: ++bands_[0]; break;
      case Verdict::kHybrid: ++bands_[1]; break;
      case Verdict::kOutsource: ++bands_[2]; break;
      default: break;
    }
  }
  for (size_t i = 0; i < criteria_.size() && i < d.criteria.size(); ++i) {
    if (d.criteria[i].state == CriterionOutcome::State::kVoted) ++voted_[i];
    if (d.criteria[i].state == CriterionOutcome::State::kAbstained) ++abstained_[i];
  }
}

void Coverage::merge(const Coverage& o) {
  if (o.overrides_ != overrides_ || o.criteria_ != criteria_) return;
  for (size_t i = 0; i < matched_.size(); ++i) matched_[i] += o.matched_[i], passed_[i] += o.passed_[i];
  for (size_t i = 0; i < 3; ++i) bands_[i] += o.bands_[i];
  for (size_t i = 0; i < voted_.size(); ++i) voted_[i] += o.voted_[i], abstained_[i] += o.abstained_[i];
}

int Coverage::items() const { return static_cast<int>(2 * overrides_.size() + 3 + 2 * criteria_.size()); }

int Coverage::covered() const {
  int n = 0;
  for (size_t i = 0; i < matched_.size(); ++i) n += (matched_[i] > 0) + (passed_[i] > 0);
  for (int b : bands_) n += b > 0;
  for (size_t i = 0; i < voted_.size(); ++i) n += (voted_[i] > 0) + (abstained_[i] > 0);
  return n;
}

double Coverage::percent() const { return items() == 0 ? 100.0 : 100.0 * covered() / items(); }

namespace {

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s + " ";
}

std::string count(int n) { return n > 0 ? std::to_string(n) : "0 (missing)"; }

std::string percent_text(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

}  // namespace

std::string Coverage::text() const {
  size_t w = 10;
  for (const auto& o : overrides_) w = std::max(w, o.size());
  for (const auto& c : criteria_) w = std::max(w, c.size());
  w = std::max<size_t>(w, 26);
  std::string out = "coverage of " + rules_ + ": " + std::to_string(covered()) + " of " + std::to_string(items()) +
                    " items, " + percent_text(percent()) + "\n";
  out += "  " + pad("override", w) + pad("matched", 12) + "reached, not matched\n";
  for (size_t i = 0; i < overrides_.size(); ++i)
    out += "  " + pad(overrides_[i], w) + pad(count(matched_[i]), 12) + count(passed_[i]) + "\n";
  out += "  " + pad("verdict band (thresholds)", w) + "tests\n";
  const char* bands[] = {"insource", "hybrid", "outsource"};
  for (size_t i = 0; i < 3; ++i) out += "  " + pad(bands[i], w) + count(bands_[i]) + "\n";
  out += "  " + pad("criterion", w) + pad("voted", 12) + "abstained\n";
  for (size_t i = 0; i < criteria_.size(); ++i)
    out += "  " + pad(criteria_[i], w) + pad(count(voted_[i]), 12) + count(abstained_[i]) + "\n";
  return out;
}

nlohmann::ordered_json Coverage::json() const {
  nlohmann::ordered_json j;
  j["rules"] = rules_;
  j["covered"] = covered();
  j["items"] = items();
  j["percent"] = percent();
  nlohmann::ordered_json o = nlohmann::ordered_json::array();
  for (size_t i = 0; i < overrides_.size(); ++i)
    o.push_back({{"id", overrides_[i]}, {"matched", matched_[i]}, {"reached_not_matched", passed_[i]}});
  j["overrides"] = std::move(o);
  j["bands"] = {{"insource", bands_[0]}, {"hybrid", bands_[1]}, {"outsource", bands_[2]}};
  nlohmann::ordered_json c = nlohmann::ordered_json::array();
  for (size_t i = 0; i < criteria_.size(); ++i)
    c.push_back({{"name", criteria_[i]}, {"voted", voted_[i]}, {"abstained", abstained_[i]}});
  j["criteria"] = std::move(c);
  return j;
}

// ---------------------------------------------------------------- running

int FileRun::passed() const {
  return static_cast<int>(std::count_if(results.begin(), results.end(), [](const TestResult& r) { return r.passed; }));
}
int FileRun::failed() const { return static_cast<int>(results.size()) - passed(); }

namespace {

std::string number_text(double v) { return format_number(v); }

void check_expectations(const Policy& p, const TestExpect& x, const Decision& d, TestResult* r) {
  auto miss = [&](std::string field, std::string expected, std::string actual) {
    r->mismatches.push_back(Mismatch{std::move(field), std::move(expected), std::move(actual)});
  };
  if (x.verdict && *x.verdict != d.verdict)
    miss("verdict", std::string(verdict_name(*x.verdict)), std::string(verdict_name(d.verdict)));
  if (x.has_rule) {
    std::string actual = d.rule >= 0 ? p.overrides()[static_cast<size_t>(d.rule)].id : "null (the thresholds decided)";
    std::string expected = x.rule ? *x.rule : "null (the thresholds decided)";
    if (x.rule) {
      bool known = std::any_of(p.overrides().begin(), p.overrides().end(), [&](const CompiledOverride& o) { return o.id == *x.rule; });
      if (!known) expected += " (no override has this id)";
    }
    if ((d.rule >= 0) != x.rule.has_value() || (x.rule && actual != *x.rule)) miss("rule", expected, actual);
  }
  if (x.total && !x.total->matches(d.total)) miss("total", x.total->text(), number_text(d.total));
  if (x.reason) {
    std::string reason = verdict_reason(p, d);
    if (reason.find(*x.reason) == std::string::npos) miss("reason", "containing \"" + *x.reason + "\"", "\"" + reason + "\"");
  }
  for (const CriterionExpect& ce : x.criteria) {
    int k = p.criterion_index(ce.name);
    if (k < 0) {
      std::vector<std::string_view> names;
      for (const auto& b : p.criteria()) names.push_back(b.name);
      std::string near = closest_name(ce.name, names);
      miss("criteria." + ce.name, "a criterion of the rules" + (near.empty() ? "" : " (did you mean '" + near + "'?)"),
           "no criterion '" + ce.name + "' votes in these rules");
      continue;
    }
    const CriterionOutcome& o = d.criteria[static_cast<size_t>(k)];
    const bool voted = o.state == CriterionOutcome::State::kVoted;
    if (ce.abstained && *ce.abstained != (o.state == CriterionOutcome::State::kAbstained))
      miss("criteria." + ce.name + ".abstained", *ce.abstained ? "true" : "false", voted ? "false (it voted)" : "true");
    if (ce.score) {
      if (!voted) miss("criteria." + ce.name + ".score", ce.score->text(), "none (it abstained)");
      else if (!ce.score->matches(o.score)) miss("criteria." + ce.name + ".score", ce.score->text(), number_text(o.score));
    }
    if (ce.contribution) {
      if (!voted) miss("criteria." + ce.name + ".contribution", ce.contribution->text(), "none (it abstained)");
      else if (!ce.contribution->matches(o.contribution))
        miss("criteria." + ce.name + ".contribution", ce.contribution->text(), number_text(o.contribution));
    }
  }
}

}  // namespace

FileRun run_test_file(const std::string& path, const TestRunOptions& options) {
  FileRun run;
  run.file = path;
  TestFile tf;
  try {
    tf = read_test_file(path);
  } catch (const RulesError& e) {
    run.errors = e.diagnostics();
    return run;
  }
  run.rules_label = tf.rules.empty() ? std::string(kEmbeddedRulesLabel) : tf.rules;
  std::vector<std::string> dirs = tf.plugin_dirs;
  dirs.insert(dirs.end(), options.plugin_dirs.begin(), options.plugin_dirs.end());
  std::shared_ptr<const Policy> policy;
  std::unique_ptr<Evaluator> evaluator;
  try {
    PolicySource source = options;  // the rules first, their pins and isolation: load_policy()
    source.rules = tf.rules;
    source.plugin_dirs = dirs;
    source.stage_plugins = false;  // the files in place, as decide loads them
    policy = load_policy(source).policy;
    evaluator = std::make_unique<Evaluator>(policy);
  } catch (const RulesError& e) {
    run.errors = e.diagnostics();
    return run;
  } catch (const PluginError& e) {
    run.errors.push_back(Diagnostic{Diagnostic::Severity::kError, tf.rules_pos.file.empty() ? SourcePos{path} : tf.rules_pos, e.what()});
    return run;
  }
  std::error_code ec;
  run.rules_key = tf.rules.empty() ? std::string("(built in)") : fs::weakly_canonical(tf.rules, ec).string();
  for (const auto& d : dirs) run.rules_key += "|" + fs::weakly_canonical(d, ec).string();
  run.coverage = Coverage::of(*policy, run.rules_label);

  std::map<std::string, std::vector<CaseInput>> files;  // case files read once
  Decision d;
  for (const RuleTest& t : tf.tests) {
    TestResult r;
    r.name = t.name;
    r.pos = t.pos;
    // The case.
    const CaseInput* in = nullptr;
    std::vector<CaseInput> inline_cases;
    std::string problem;
    if (!t.case_file.empty()) {
      auto it = files.find(t.case_file);
      if (it == files.end()) it = files.emplace(t.case_file, read_case_file(t.case_file, policy->schema(), options.limits)).first;
      std::vector<CaseInput>& cases = it->second;
      if (cases.empty()) {
        problem = t.case_pos.str() + ": " + t.case_file + " holds no case";
      } else if (t.case_id) {
        for (const CaseInput& c : cases)
          if ((c.value ? c.value->id : c.id) == *t.case_id) in = &c;
        if (!in) problem = t.case_pos.str() + ": " + t.case_file + " holds no case with id '" + *t.case_id + "'";
      } else if (cases.size() > 1) {
        problem = t.case_pos.str() + ": " + t.case_file + " holds " + std::to_string(cases.size()) +
                  " cases: name one with case_id";
      } else {
        in = &cases[0];
      }
    } else {
      inline_cases = read_cases(t.case_text, path, policy->schema(), 1, CaseFormat::kAuto, options.limits);
      if (inline_cases.size() != 1) {
        problem = t.case_pos.str() + ": case must be exactly one case";
      } else {
        // A case without an id is named after its test (the reader gave it the default id).
        if (!t.has_id) {
          CaseInput& ci = inline_cases[0];
          if (ci.value) ci.value->id = t.name;
          ci.id = t.name;
          if (ci.kind != InputErrorKind::kNone) ci.error = ci.format_error();
        }
        in = &inline_cases[0];
      }
    }
    if (in) r.case_id = in->value ? in->value->id : in->id;
    if (!problem.empty()) {
      r.error = problem;
    } else if (!in->value) {
      r.error = in->error;
    } else {
      evaluator->decide(*in->value, &d, true);
      run.coverage->add(d);
      if (d.failed) {
        r.error = "case " + in->value->id + ": " + d.error;
      } else {
        r.decided = true;
        r.verdict = d.verdict;
        r.rule = d.rule >= 0 ? policy->overrides()[static_cast<size_t>(d.rule)].id : "";
        r.total = d.total;
      }
    }
    const TestExpect& x = t.expect;
    if (x.error) {
      if (r.decided)
        r.mismatches.push_back(Mismatch{"error", "an error containing \"" + *x.error + "\"",
                                        "verdict " + std::string(verdict_name(r.verdict)) + " (no error)"});
      else if (r.error.find(*x.error) == std::string::npos)
        r.mismatches.push_back(Mismatch{"error", "containing \"" + *x.error + "\"", "\"" + r.error + "\""});
    } else if (!r.decided) {
      r.mismatches.push_back(Mismatch{"verdict", x.verdict ? std::string(verdict_name(*x.verdict)) : "a verdict",
                                      "an error: " + r.error});
    } else {
      check_expectations(*policy, x, d, &r);
    }
    r.passed = r.mismatches.empty();
    run.results.push_back(std::move(r));
  }
  return run;
}

std::vector<Coverage> merged_coverage(const std::vector<FileRun>& runs) {
  std::vector<Coverage> out;
  std::vector<std::string> keys;
  for (const FileRun& r : runs) {
    if (!r.coverage) continue;
    auto it = std::find(keys.begin(), keys.end(), r.rules_key);
    if (it == keys.end()) {
      keys.push_back(r.rules_key);
      out.push_back(*r.coverage);
    } else {
      out[static_cast<size_t>(it - keys.begin())].merge(*r.coverage);
    }
  }
  return out;
}

// ---------------------------------------------------------------- reports

std::string test_report_text(const std::vector<FileRun>& runs) {
  std::string out;
  int passed = 0, failed = 0, broken = 0;
  for (const FileRun& run : runs) {
    if (!run.errors.empty()) {
      ++broken;
      out += run.file + ": cannot run\n";
      for (const Diagnostic& d : run.errors) out += "  " + d.str() + "\n";
      continue;
    }
    out += run.file + " (rules: " + run.rules_label + ")\n";
    for (const TestResult& r : run.results) {
      out += std::string(r.passed ? "  PASS  " : "  FAIL  ") + r.name + "\n";
      if (r.passed) continue;
      out += "        " + r.pos.str() + (r.case_id.empty() ? "" : ", case " + r.case_id) + " (- expected, + actual)\n";
      for (const Mismatch& m : r.mismatches) {
        out += "        - " + m.field + ": " + m.expected + "\n";
        out += "        + " + m.field + ": " + m.actual + "\n";
      }
    }
    passed += run.passed();
    failed += run.failed();
  }
  out += "\n" + std::to_string(passed) + " passed, " + std::to_string(failed) + " failed";
  if (broken) out += ", " + std::to_string(broken) + (broken == 1 ? " file" : " files") + " could not run";
  return out + "\n";
}

nlohmann::ordered_json test_report_json(const std::vector<FileRun>& runs, const std::vector<Coverage>* coverage) {
  nlohmann::ordered_json j;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  int passed = 0, failed = 0, broken = 0;
  for (const FileRun& run : runs) {
    nlohmann::ordered_json f;
    f["file"] = run.file;
    if (!run.errors.empty()) {
      ++broken;
      nlohmann::ordered_json errs = nlohmann::ordered_json::array();
      for (const Diagnostic& d : run.errors) errs.push_back(d.str());
      f["errors"] = std::move(errs);
      files.push_back(std::move(f));
      continue;
    }
    f["rules"] = run.rules_label;
    nlohmann::ordered_json tests = nlohmann::ordered_json::array();
    for (const TestResult& r : run.results) {
      nlohmann::ordered_json t;
      t["name"] = r.name;
      t["line"] = r.pos.line;
      t["case"] = r.case_id;
      t["status"] = r.passed ? "pass" : "fail";
      if (r.decided) {
        t["verdict"] = verdict_name(r.verdict);
        t["rule"] = r.rule.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.rule);
        t["total"] = r.total;
      } else {
        t["error"] = r.error;
      }
      if (!r.passed) {
        nlohmann::ordered_json ms = nlohmann::ordered_json::array();
        for (const Mismatch& m : r.mismatches) ms.push_back({{"field", m.field}, {"expected", m.expected}, {"actual", m.actual}});
        t["mismatches"] = std::move(ms);
      }
      tests.push_back(std::move(t));
    }
    f["tests"] = std::move(tests);
    passed += run.passed();
    failed += run.failed();
    files.push_back(std::move(f));
  }
  j["files"] = std::move(files);
  j["passed"] = passed;
  j["failed"] = failed;
  j["unusable_files"] = broken;
  if (coverage) {
    nlohmann::ordered_json c = nlohmann::ordered_json::array();
    for (const Coverage& cov : *coverage) c.push_back(cov.json());
    j["coverage"] = std::move(c);
  }
  return j;
}

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') out += ' ';
        else out += ch;
    }
  }
  return out;
}

}  // namespace

std::string test_report_junit(const std::vector<FileRun>& runs) {
  int tests = 0, failures = 0, errors = 0;
  std::string suites;
  for (const FileRun& run : runs) {
    const std::string suite = xml_escape(run.file);
    const std::string classname = xml_escape(fs::path(run.file).stem().string());
    if (!run.errors.empty()) {
      std::string msg;
      for (const Diagnostic& d : run.errors) msg += d.str() + "\n";
      ++tests, ++errors;
      suites += "  <testsuite name=\"" + suite + "\" tests=\"1\" failures=\"0\" errors=\"1\">\n";
      suites += "    <testcase name=\"load\" classname=\"" + classname + "\">\n";
      suites += "      <error message=\"" + xml_escape(run.errors[0].str()) + "\">" + xml_escape(msg) + "</error>\n";
      suites += "    </testcase>\n  </testsuite>\n";
      continue;
    }
    const int n = static_cast<int>(run.results.size()), f = run.failed();
    tests += n;
    failures += f;
    suites += "  <testsuite name=\"" + suite + "\" tests=\"" + std::to_string(n) + "\" failures=\"" + std::to_string(f) +
              "\" errors=\"0\">\n";
    for (const TestResult& r : run.results) {
      suites += "    <testcase name=\"" + xml_escape(r.name) + "\" classname=\"" + classname + "\" file=\"" +
                xml_escape(run.file) + "\" line=\"" + std::to_string(r.pos.line) + "\"";
      if (r.passed) {
        suites += "/>\n";
        continue;
      }
      std::string body, first;
      for (const Mismatch& m : r.mismatches) {
        if (first.empty()) first = m.field + ": expected " + m.expected + ", got " + m.actual;
        body += "- " + m.field + ": " + m.expected + "\n+ " + m.field + ": " + m.actual + "\n";
      }
      suites += ">\n      <failure message=\"" + xml_escape(first) + "\">" + xml_escape(body) + "</failure>\n    </testcase>\n";
    }
    suites += "  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"insource test\" tests=\"" + std::to_string(tests) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\">\n" + suites +
         "</testsuites>\n";
}

}  // namespace insource
