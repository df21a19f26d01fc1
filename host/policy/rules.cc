#include "policy/rules.h"
#include "policy/rules_partial.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/fact_schema.h"
#include "policy/input_limits.h"
#include "policy/yaml_scalar.h"

namespace insource {
namespace fs = std::filesystem;

std::string fault_policy_name(const FaultPolicy& f) {
  switch (f.kind) {
    case FaultPolicy::Kind::kFail: return "fail";
    case FaultPolicy::Kind::kAbstain: return "abstain";
    case FaultPolicy::Kind::kVerdict: break;
  }
  return std::string(verdict_name(f.verdict));
}

SourcePos RuleOverride::position_of(size_t offset) const {
  if (!when_exact || !source) return when_pos;
  return source->at(when_byte + offset);
}

namespace {

// One file's content, before `extends` is applied.
struct FileRules {
  std::string name, description;
  bool has_name = false, has_description = false;
  std::optional<std::string> extends;
  SourcePos extends_pos;
  std::vector<RuleFact> facts;
  struct Criterion {
    RuleCriterion c;
    bool has_weight = false;
  };
  std::vector<Criterion> criteria;
  std::optional<double> insource, outsource;
  SourcePos thresholds_pos;
  std::vector<RuleOverride> overrides;
};

class FileReader {
 public:
  FileReader(std::shared_ptr<const SourceText> src, const InputLimits& limits, std::vector<Diagnostic>* diags)
      : src_(std::move(src)), limits_(limits), diags_(diags) {}

  // Returns false when the file is unusable (syntax error, not a map).
  bool read(FileRules* out) {
    YAML::Node root;
    try {
      root = YAML::Load(src_->text);
    } catch (const YAML::ParserException& e) {
      SourcePos p{src_->file, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
      diags_->push_back(Diagnostic{Diagnostic::Severity::kError, p, yaml_parse_message(e)});
      return false;
    } catch (const YAML::Exception& e) {
      error_at(SourcePos{src_->file}, std::string("invalid YAML: ") + e.what());
      return false;
    }
    int line = 0, column = 0;
    if (std::string too_big = check_yaml_limits(root, limits_, &line, &column); !too_big.empty()) {
      error_at(SourcePos{src_->file, line, column}, too_big);
      return false;
    }
    if (!root.IsDefined() || root.IsNull()) {
      error_at(SourcePos{src_->file, 1, 1}, "the rules file is empty (it needs at least `insource: 1` and `criteria`)");
      return false;
    }
    if (!root.IsMap()) {
      error(root, "a rules file is a map of keys (insource, criteria, ...), not " + describe_node(root));
      return false;
    }
    check_keys(root, {"insource", "name", "description", "extends", "facts", "criteria", "thresholds", "overrides"},
               "rules file");
    read_version(root);
    if (auto n = root["name"]) out->has_name = read_string(n, "name", &out->name);
    if (auto n = root["description"]) out->has_description = read_string(n, "description", &out->description);
    if (auto n = root["extends"]) {
      std::string path;
      if (read_string(n, "extends", &path)) {
        out->extends = path;
        out->extends_pos = pos(n);
      }
    }
    if (auto n = root["facts"]) read_facts(n, out);
    if (auto n = root["criteria"]) read_criteria(n, out);
    if (auto n = root["thresholds"]) read_thresholds(n, out);
    if (auto n = root["overrides"]) read_overrides(n, out);
    return true;
  }

 private:
  SourcePos pos(const YAML::Node& n) const { return pos_of(n, src_->file); }
  void error_at(SourcePos p, std::string msg) {
    diags_->push_back(Diagnostic{Diagnostic::Severity::kError, std::move(p), std::move(msg)});
  }
  void error(const YAML::Node& n, std::string msg) { error_at(pos(n), std::move(msg)); }

  // Unknown keys are errors (a typo must never be silently ignored), and so
  // are keys given twice (YAML forbids them; yaml-cpp would keep one).
  void check_keys(const YAML::Node& map, std::initializer_list<const char*> known, const std::string& where) {
    std::vector<std::string_view> names(known.begin(), known.end());
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: the iterator's pair is a temporary
      if (!key.IsScalar()) {
        error(key, "a key in the " + where + " must be a plain name, not " + describe_node(key));
        continue;
      }
      const std::string& k = key.Scalar();
      if (!seen.insert(k).second) error(key, "key '" + k + "' is given twice in the " + where);
      if (std::find(names.begin(), names.end(), k) == names.end()) {
        std::string msg = "unknown key '" + k + "' in the " + where;
        std::string near = closest_name(k, names);
        if (!near.empty()) msg += " (did you mean '" + near + "'?)";
        error(key, msg);
      }
    }
  }

  // Keys of a map whose keys are names chosen by the author (criteria, facts, params).
  void check_duplicates(const YAML::Node& map, const std::string& where) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it)
      if (it->first.IsScalar() && !seen.insert(it->first.Scalar()).second)
        error(it->first, "'" + it->first.Scalar() + "' is given twice in " + where);
  }

  bool read_string(const YAML::Node& n, const std::string& what, std::string* out) {
    std::string problem;
    if (read_yaml_string(n, out, &problem)) return true;
    error(n, what + " " + problem);
    return false;
  }

  // `weight: {low: L, high: H}`: a range a simulation draws from; the
  // midpoint is the weight everywhere else (check, diff, explain, decide).
  bool read_weight_range(const YAML::Node& w, RuleCriterion* c) {
    const std::string what = "the weight range of " + c->name;
    check_keys(w, {"low", "high"}, "weight range of " + c->name);  // "unknown key ... in the weight range of cost"
    if (!w["low"] || !w["high"]) {
      error(w, what + " needs both low and high, like {low: 0.2, high: 0.4}");
      return false;
    }
    double low = 0, high = 0;
    if (!read_number(w["low"], what + "'s low", &low) || !read_number(w["high"], what + "'s high", &high)) return false;
    if (low < 0) {
      error(w["low"], what + "'s low must not be negative");
      return false;
    }
    if (low > high) {
      error(w, what + ": low " + format_number(low) + " is above high " + format_number(high));
      return false;
    }
    c->weight_range = true;
    c->weight_low = low;
    c->weight_high = high;
    // The midpoint to 12 significant digits: (0.2 + 0.4) / 2 is 0.30000000000000004
    // in binary, and an author who writes that range means 0.3.
    c->weight = std::stod(format_number_digits((low + high) / 2, 12));
    return true;
  }

  static std::string format_number_digits(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    return buf;
  }

  bool read_number(const YAML::Node& n, const std::string& what, double* out) {
    std::string problem;
    if (read_yaml_finite_number(n, out, &problem)) return true;
    error(n, what + " " + problem);
    return false;
  }

  // A top-level key indented one level too deep lands inside `criteria` or
  // `facts` as an entry of that name: said as what it is, once, rather than
  // as a criterion or fact called `thresholds` with unknown keys.
  bool misplaced_top_level(const YAML::Node& key, const YAML::Node& value, const std::string& section) {
    static const std::set<std::string> top = {"insource", "name",       "description", "extends",
                                              "facts",    "criteria",   "thresholds",  "overrides"};
    if (!key.IsScalar() || !top.count(key.Scalar())) return false;
    if (value.IsMap() && (value["weight"] || value["type"])) return false;  // a real entry that happens to share the name
    error(key, "`" + key.Scalar() + "` is indented under `" + section + "`: did you mean the top-level `" + key.Scalar() +
                   "`? (start its line at the left margin, like `" + section + ":`)");
    return true;
  }

  void read_version(const YAML::Node& root) {
    YAML::Node v = root["insource"];
    if (!v) {
      error_at(SourcePos{src_->file, 1, 1}, "missing `insource: 1` (the rules format version)");
      return;
    }
    double n = 0;
    if (read_number(v, "insource (the format version)", &n) && n != 1.0)
      error(v, "unsupported rules format version " + v.Scalar() + " (this engine reads version 1)");
  }

  void read_facts(const YAML::Node& n, FileRules* out) {
    if (!n.IsMap()) return error(n, "facts must be a map of fact name to type, not " + describe_node(n));
    check_duplicates(n, "facts");
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (misplaced_top_level(it->first, it->second, "facts")) continue;
      RuleFact f;
      f.name = it->first.Scalar();
      f.pos = pos(it->first);
      const YAML::Node v = it->second;  // a copy: the iterator's pair is a temporary
      YAML::Node type_node = v;
      if (v.IsMap()) {
        check_keys(v, {"type", "description", "allowed"}, "fact " + f.name);
        const YAML::Node type = v["type"];
        // Checked before reset(): yaml-cpp throws InvalidNode when rebinding to a missing key.
        if (!type) {
          error(v, "fact " + f.name + " needs a type (number, string or bool)");
          continue;
        }
        type_node.reset(type);  // rebinds; `=` would write into v itself (yaml-cpp nodes alias)
        if (auto d = v["description"]) read_string(d, "description", &f.description);
        if (auto a = v["allowed"]) {
          if (!a.IsSequence()) error(a, "allowed must be a list of strings");
          else
            for (const auto& item : a) {
              std::string s;
              if (read_string(item, "an allowed value", &s)) f.allowed.push_back(s);
            }
        }
      }
      if (!type_node.IsScalar() || !parse_type_name(type_node.Scalar(), &f.type)) {
        error(type_node, "the type of fact " + f.name + " must be number, string or bool, not " +
                             describe_node(type_node));
        continue;
      }
      if (!f.allowed.empty() && f.type != Type::kString)
        error(v, "fact " + f.name + " lists allowed values but is not a string");
      out->facts.push_back(std::move(f));
    }
  }

  void read_criteria(const YAML::Node& n, FileRules* out) {
    if (!n.IsMap()) return error(n, "criteria must be a map of criterion name to {weight, params}, not " + describe_node(n));
    check_duplicates(n, "criteria");
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (misplaced_top_level(it->first, it->second, "criteria")) continue;
      FileRules::Criterion c;
      c.c.name = it->first.Scalar();
      c.c.pos = pos(it->first);
      const YAML::Node v = it->second;  // a copy: the iterator's pair is a temporary
      if (!v.IsMap()) {
        error(v, "criterion " + c.c.name + " must be a map like {weight: 0.3, params: {...}}, not " + describe_node(v));
        continue;
      }
      check_keys(v, {"weight", "params", "on_error", "sha256", "isolate", "timeout_ms"}, "criterion " + c.c.name);
      if (auto e = v["on_error"]) read_on_error(e, &c.c);
      if (auto i = v["isolate"]) read_isolate(i, &c.c);
      if (auto t = v["timeout_ms"]) read_timeout(t, &c.c);
      if (auto h = v["sha256"]) read_pin(h, &c.c);
      if (auto w = v["weight"]) {
        c.c.weight_pos = pos(w);
        c.has_weight = true;  // even when invalid: it is reported here, not again as missing
        if (w.IsMap()) {
          if (!read_weight_range(w, &c.c)) c.c.weight = -1.0;
        } else if (read_number(w, "the weight of " + c.c.name, &c.c.weight)) {
          if (c.c.weight < 0) error(w, "the weight of " + c.c.name + " must not be negative");
        } else {
          c.c.weight = -1.0;  // marks it unusable for the binder
        }
      }
      if (auto p = v["params"]) {
        if (!p.IsMap()) {
          error(p, "params of " + c.c.name + " must be a map, not " + describe_node(p));
        } else {
          check_duplicates(p, "the params of " + c.c.name);
          for (auto pit = p.begin(); pit != p.end(); ++pit) c.c.params.push_back(read_param(pit->first, pit->second));
        }
      }
      out->criteria.push_back(std::move(c));
    }
  }

  // on_error: fail | abstain | <verdict>
  void read_on_error(const YAML::Node& n, RuleCriterion* c) {
    std::string text;
    if (!read_string(n, "on_error of " + c->name, &text)) return;
    FaultPolicy& f = c->on_error;
    f.pos = pos(n);
    f.written = true;
    if (text == "fail") {
      f.kind = FaultPolicy::Kind::kFail;
    } else if (text == "abstain") {
      f.kind = FaultPolicy::Kind::kAbstain;
    } else if (auto v = parse_verdict(text)) {
      f.kind = FaultPolicy::Kind::kVerdict;
      f.verdict = *v;
    } else {
      std::vector<std::string_view> names{"fail", "abstain"};
      for (int i = 0; i < kVerdictCount; ++i) names.push_back(verdict_name(static_cast<Verdict>(i)));
      std::string msg = "on_error of " + c->name + " must be fail, abstain or a verdict, not '" + text + "'";
      std::string near = closest_name(text, names);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      error(n, msg);
    }
  }

  // isolate: true | false (run the plugin in a worker process; docs/reliability.md)
  void read_isolate(const YAML::Node& n, RuleCriterion* c) {
    YamlScalar s;
    if (n.IsScalar()) s = read_scalar(n);
    if (!n.IsScalar() || s.kind != YamlScalar::Kind::kBool)
      return error(n, "isolate of " + c->name + " must be true or false, not " + describe_node(n));
    c->isolate = s.boolean;
    c->isolate_written = true;
  }

  // timeout_ms: a whole number of milliseconds, 1 to 3600000 (an isolated plugin's per-call limit)
  void read_timeout(const YAML::Node& n, RuleCriterion* c) {
    double ms = 0;
    if (!read_number(n, "timeout_ms of " + c->name, &ms)) return;
    if (ms < 1 || ms > 3600000 || ms != std::floor(ms))
      return error(n, "timeout_ms of " + c->name + " must be a whole number of milliseconds from 1 to 3600000");
    c->timeout_ms = static_cast<uint32_t>(ms);
    c->timeout_pos = pos(n);
  }

  // sha256: 64 hex digits (the plugin file's hash; docs/reliability.md)
  void read_pin(const YAML::Node& n, RuleCriterion* c) {
    std::string text;
    if (!read_string(n, "sha256 of " + c->name, &text)) return;
    bool hex = text.size() == 64 && std::all_of(text.begin(), text.end(), [](char ch) {
                 return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
               });
    if (!hex) return error(n, "sha256 of " + c->name + " must be 64 hex digits (sha256sum of the plugin file)");
    std::transform(text.begin(), text.end(), text.begin(), [](char ch) { return ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch; });
    c->sha256 = text;
    c->sha256_pos = pos(n);
  }

  RuleParam read_param(const YAML::Node& key, const YAML::Node& v) {
    RuleParam p;
    p.name = key.Scalar();
    p.key_pos = pos(key);
    p.pos = pos(v.IsNull() ? key : v);
    if (!v.IsScalar() && !v.IsNull()) {
      p.kind = RuleParam::Kind::kOther;
      p.text = describe_node(v);
      return p;
    }
    YamlScalar s = read_scalar(v);
    p.text = s.text;
    switch (s.kind) {
      case YamlScalar::Kind::kNull: p.kind = RuleParam::Kind::kNull; break;
      case YamlScalar::Kind::kBool: p.kind = RuleParam::Kind::kBool, p.boolean = s.boolean; break;
      case YamlScalar::Kind::kNumber: p.kind = RuleParam::Kind::kNumber, p.number = s.number; break;
      case YamlScalar::Kind::kString: p.kind = RuleParam::Kind::kString; break;
    }
    return p;
  }

  void read_thresholds(const YAML::Node& n, FileRules* out) {
    out->thresholds_pos = pos(n);
    if (!n.IsMap()) return error(n, "thresholds must be a map {insource: 0.2, outsource: -0.2}, not " + describe_node(n));
    check_keys(n, {"insource", "outsource"}, "thresholds");
    double v = 0;
    if (auto i = n["insource"])
      if (read_number(i, "the insource threshold", &v)) out->insource = v;
    if (auto o = n["outsource"])
      if (read_number(o, "the outsource threshold", &v)) out->outsource = v;
  }

  void read_overrides(const YAML::Node& n, FileRules* out) {
    if (!n.IsSequence()) return error(n, "overrides must be a list, not " + describe_node(n));
    for (const auto& item : n) {
      if (!item.IsMap()) {
        error(item, "an override must be a map {id, when, verdict, reason}, not " + describe_node(item));
        continue;
      }
      check_keys(item, {"id", "when", "verdict", "reason"}, "override");
      RuleOverride o;
      o.pos = pos(item);
      o.source = src_;
      bool ok = true;
      for (const char* key : {"id", "when", "verdict"}) {
        if (!item[key]) {
          error(item, std::string("an override needs `") + key + "`");
          ok = false;
        }
      }
      if (!ok) continue;
      ok &= read_string(item["id"], "id", &o.id);
      YAML::Node when = item["when"];
      ok &= read_string(when, "when", &o.when);
      if (ok) locate_condition(when, &o);
      std::string verdict;
      if (read_string(item["verdict"], "verdict", &verdict)) {
        if (auto v = parse_verdict(verdict)) {
          o.verdict = *v;
        } else {
          std::vector<std::string_view> names;
          for (int i = 0; i < kVerdictCount; ++i) names.push_back(verdict_name(static_cast<Verdict>(i)));
          std::string msg = "unknown verdict '" + verdict + "'";
          std::string near = closest_name(verdict, names);
          msg += near.empty() ? " (one of insource, outsource, hybrid, outsource-then-insource, insource-then-outsource, review)"
                              : " (did you mean '" + near + "'?)";
          error(item["verdict"], msg);
          ok = false;
        }
      } else {
        ok = false;
      }
      if (auto r = item["reason"]) read_string(r, "reason", &o.reason);
      if (ok) out->overrides.push_back(std::move(o));
    }
  }

  // Finds where the condition's text starts in the file, so that an error at
  // offset k of the condition points at the right column. Plain and quoted
  // one-line scalars map exactly; for others, the node's position is used.
  void locate_condition(const YAML::Node& when, RuleOverride* o) {
    o->when_pos = pos(when);
    YAML::Mark m = when.Mark();
    if (m.is_null()) return;
    size_t at = static_cast<size_t>(m.pos);
    const std::string& text = src_->text;
    if (text.compare(at, o->when.size(), o->when) == 0) {
      o->when_byte = at, o->when_exact = true;
    } else if (at < text.size() && (text[at] == '"' || text[at] == '\'') &&
               text.compare(at + 1, o->when.size(), o->when) == 0) {
      o->when_byte = at + 1, o->when_exact = true;
    }
  }

  std::shared_ptr<const SourceText> src_;
  const InputLimits& limits_;
  std::vector<Diagnostic>* diags_;
};

class Resolver {
 public:
  Resolver(const InputLimits& limits, std::vector<Diagnostic>* diags) : limits_(limits), diags_(diags) {}

  // Reads one file and, first, the chain of files it extends.
  bool resolve(std::shared_ptr<const SourceText> src, const fs::path& base_dir, RulesDoc* doc) {
    FileRules rules;
    if (!FileReader(src, limits_, diags_).read(&rules)) return false;
    doc->files.push_back(src->file);
    doc->resolved_text += src->text;
    doc->resolved_text += '\n';
    if (rules.extends) {
      fs::path parent = base_dir / *rules.extends;
      std::error_code ec;
      fs::path canon = fs::weakly_canonical(parent, ec);
      if (std::find(chain_.begin(), chain_.end(), canon) != chain_.end()) {
        error_at(rules.extends_pos, "`extends: " + *rules.extends + "` makes a cycle (" + cycle_text(canon) + ")");
        return false;
      }
      std::string text;
      if (std::string big = check_file_size(parent.string(), limits_); !big.empty()) {
        error_at(rules.extends_pos, "the extended rules file '" + parent.string() + "' is refused: " + big);
        return false;
      }
      if (std::string why; !read_file(parent, limits_, &text, &why)) {
        error_at(rules.extends_pos, "cannot read the extended rules file '" + parent.string() + "'" +
                                        (why.empty() ? "" : ": " + why));
        return false;
      }
      chain_.push_back(canon);
      auto parent_src = std::make_shared<SourceText>(SourceText{parent.string(), std::move(text)});
      bool ok = resolve(parent_src, parent.parent_path(), doc);
      chain_.pop_back();
      if (!ok) return false;
    }
    apply(rules, doc);
    return true;
  }

  void push(const fs::path& root) {
    std::error_code ec;
    chain_.push_back(fs::weakly_canonical(root, ec));
  }

  // Bounded by --max-file-bytes even where the size is not known up front (a pipe, /dev/zero).
  static bool read_file(const fs::path& p, const InputLimits& limits, std::string* out, std::string* why = nullptr) {
    if (std::string no = why_unreadable(p.string()); !no.empty()) {
      if (why) *why = no;
      return false;
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) return false;
    std::string problem = read_bounded(in, limits, out);
    if (why) *why = problem;
    return problem.empty();
  }

 private:
  void error_at(SourcePos p, std::string msg) {
    diags_->push_back(Diagnostic{Diagnostic::Severity::kError, std::move(p), std::move(msg)});
  }

  std::string cycle_text(const fs::path& back_to) const {
    std::string out;
    for (const auto& p : chain_) out += p.filename().string() + " -> ";
    return out + back_to.filename().string();
  }

  // A child applied over its parent (docs/rules.md, `extends`).
  void apply(FileRules& child, RulesDoc* doc) {
    if (child.has_name) doc->name = child.name;
    if (child.has_description) doc->description = child.description;
    for (auto& f : child.facts) {
      auto same = std::find_if(doc->facts.begin(), doc->facts.end(), [&](const RuleFact& g) { return g.name == f.name; });
      if (same == doc->facts.end()) {
        doc->facts.push_back(std::move(f));
      } else if (same->type != f.type) {
        error_at(f.pos, "fact " + f.name + " is declared a " + type_name(f.type) + " here but a " +
                            type_name(same->type) + " at " + same->pos.str());
      }
    }
    for (auto& c : child.criteria) {
      auto have = std::find_if(doc->criteria.begin(), doc->criteria.end(),
                               [&](const RuleCriterion& d) { return d.name == c.c.name; });
      if (c.has_weight && c.c.weight == 0.0) {
        // A weight of 0 removes the criterion.
        doc->zero_weights.push_back(RuleZeroWeight{c.c.name, c.c.weight_pos, have != doc->criteria.end()});
        if (have != doc->criteria.end()) doc->criteria.erase(have);
        continue;
      }
      if (have == doc->criteria.end()) {
        if (!c.has_weight) {
          error_at(c.c.pos, "criterion " + c.c.name + " needs a weight");
          continue;
        }
        doc->criteria.push_back(std::move(c.c));
        continue;
      }
      // The child's params add to and replace the parent's.
      if (c.has_weight) {
        have->weight = c.c.weight, have->weight_pos = c.c.weight_pos;
        have->weight_range = c.c.weight_range, have->weight_low = c.c.weight_low, have->weight_high = c.c.weight_high;
      }
      if (c.c.on_error.written) have->on_error = c.c.on_error;
      if (!c.c.sha256.empty()) have->sha256 = c.c.sha256, have->sha256_pos = c.c.sha256_pos;
      if (c.c.isolate_written) have->isolate = c.c.isolate, have->isolate_written = true;
      if (c.c.timeout_ms) have->timeout_ms = c.c.timeout_ms, have->timeout_pos = c.c.timeout_pos;
      have->pos = c.c.pos;
      for (auto& p : c.c.params) {
        auto same = std::find_if(have->params.begin(), have->params.end(), [&](const RuleParam& q) { return q.name == p.name; });
        if (same == have->params.end()) have->params.push_back(std::move(p));
        else *same = std::move(p);
      }
    }
    if (child.insource) doc->thresholds.insource = *child.insource, doc->thresholds_pos = child.thresholds_pos;
    if (child.outsource) doc->thresholds.outsource = *child.outsource, doc->thresholds_pos = child.thresholds_pos;
    // The child's overrides come before the parent's.
    std::set<std::string> ids;
    for (const auto& o : child.overrides) {
      if (!ids.insert(o.id).second) error_at(o.pos, "override id '" + o.id + "' is used twice");
    }
    for (const auto& o : doc->overrides) {
      if (ids.count(o.id)) {
        auto mine = std::find_if(child.overrides.begin(), child.overrides.end(), [&](const RuleOverride& c) { return c.id == o.id; });
        error_at(mine->pos, "override id '" + o.id + "' is already used at " + o.pos.str() + " (ids are unique)");
      }
    }
    child.overrides.insert(child.overrides.end(), std::make_move_iterator(doc->overrides.begin()),
                           std::make_move_iterator(doc->overrides.end()));
    doc->overrides = std::move(child.overrides);
  }

  const InputLimits& limits_;
  std::vector<Diagnostic>* diags_;
  std::vector<fs::path> chain_;
};

RulesDoc finish(RulesDoc doc, std::vector<Diagnostic> diags) {
  if (diags.empty()) {
    if (doc.criteria.empty()) {
      diags.push_back(Diagnostic{Diagnostic::Severity::kError, SourcePos{doc.file, 1, 1},
                                 "no criterion votes: list at least one under `criteria` with a weight above 0"});
    }
    if (!(doc.thresholds.insource > doc.thresholds.outsource)) {
      diags.push_back(Diagnostic{Diagnostic::Severity::kError,
                                 doc.thresholds_pos.file.empty() ? SourcePos{doc.file, 1, 1} : doc.thresholds_pos,
                                 "the insource threshold (" + format_number(doc.thresholds.insource) +
                                     ") must be above the outsource threshold (" +
                                     format_number(doc.thresholds.outsource) + ")"});
    }
  }
  if (!diags.empty()) throw RulesError(std::move(diags));
  return doc;
}

}  // namespace

RulesDoc read_rules_text(const std::string& text, const std::string& label, const fs::path& base_dir,
                         const InputLimits& limits) {
  std::vector<Diagnostic> diags;
  RulesDoc doc;
  doc.file = label;
  Resolver r(limits, &diags);
  r.push(base_dir / label);
  r.resolve(std::make_shared<SourceText>(SourceText{label, text}), base_dir, &doc);
  return finish(std::move(doc), std::move(diags));
}

RulesDoc read_rules_file_partial(const fs::path& file, std::vector<Diagnostic>* diags, const InputLimits& limits) {
  RulesDoc doc;
  doc.file = file.string();
  std::string text;
  if (std::string big = check_file_size(file.string(), limits); !big.empty()) {
    diags->push_back(Diagnostic{Diagnostic::Severity::kError, SourcePos{file.string()}, big});
    return doc;
  }
  if (std::string why; !Resolver::read_file(file, limits, &text, &why)) {
    diags->push_back(Diagnostic{Diagnostic::Severity::kError, SourcePos{file.string()},
                                "cannot read the rules file" + (why.empty() ? "" : ": " + why)});
    return doc;
  }
  Resolver r(limits, diags);
  r.push(file);
  r.resolve(std::make_shared<SourceText>(SourceText{file.string(), std::move(text)}), file.parent_path(), &doc);
  return doc;
}

RulesDoc read_rules_file(const fs::path& file, const InputLimits& limits) {
  std::vector<Diagnostic> diags;
  RulesDoc doc = read_rules_file_partial(file, &diags, limits);
  return finish(std::move(doc), std::move(diags));
}

}  // namespace insource
