#include "policy/policy.h"

#include <algorithm>
#include <cmath>

#include "plugin_host/plugin_isolation.h"

namespace insource {

namespace {

constexpr std::string_view kScorePrefix = "score.";

class Binder {
 public:
  Binder(const RulesDoc& doc, const PluginSet& plugins, FactSchema* schema, std::vector<Diagnostic>* diags)
      : doc_(doc), plugins_(plugins), schema_(schema), diags_(diags) {}

  void declare_facts() {
    for (const auto& p : plugins_.plugins) {
      for (const FactDecl& f : p->facts()) {
        if (auto clash = schema_->add(f, "plugin " + p->name() + " (" + p->path().string() + ")"))
          error(SourcePos{p->path().string()}, *clash);
      }
    }
    for (const RuleFact& f : doc_.facts) {
      if (f.name.compare(0, kScorePrefix.size(), kScorePrefix) == 0 || f.name == "total") {
        error(f.pos, "'" + f.name + "' is reserved for criterion scores and the total; choose another fact name");
        continue;
      }
      FactDecl d;
      d.name = f.name;
      d.type = f.type;
      d.allowed = f.allowed;
      d.description = f.description;
      if (auto clash = schema_->add(d, "rules " + f.pos.str(), /*complete=*/false)) error(f.pos, *clash);
    }
  }

  void bind_criteria(std::vector<CriterionBinding>* out) {
    for (const RuleCriterion& rc : doc_.criteria) {
      auto plugin = plugins_.find(rc.name);
      if (!plugin) {
        error(rc.pos, "no loaded plugin votes on criterion '" + rc.name + "'" + did_you_mean(rc.name, criteria_names()) +
                          " (loaded: " + loaded_list() + ")");
        continue;
      }
      if (!std::isfinite(rc.weight) || rc.weight < 0) continue;  // already reported by the reader
      CriterionBinding b;
      b.name = rc.name;
      b.weight = rc.weight;
      b.weight_low = rc.weight_range ? rc.weight_low : rc.weight;
      b.weight_high = rc.weight_range ? rc.weight_high : rc.weight;
      b.on_error = rc.on_error;
      b.pos = rc.pos;
      b.plugin = plugin;
      b.timeout_ms = rc.timeout_ms ? rc.timeout_ms : plugins_.isolation.timeout_ms;
      for (const ParamDecl& d : plugin->params()) b.params.push_back(ParamValue::fallback_of(d));
      bool ok = true;
      for (const RuleParam& p : rc.params) ok &= bind_param(*plugin, rc, p, &b.params);
      for (const FactDecl& f : plugin->facts()) b.slots.push_back(*schema_->find(f.name));
      if (ok) {
        // Let the plugin judge its parameters now, at load time, not on the first case.
        try {
          if (plugin->isolated())  // in a worker: it is never loaded into this process
            IsolatedPlugins({{plugin, b.params, b.name, b.timeout_ms}}, plugins_.isolation);
          else
            plugin->instantiate(b.params);
        } catch (const PluginError& e) {
          error(rc.pos, e.what());
          continue;
        }
      }
      out->push_back(std::move(b));
    }
  }

  void compile_overrides(const std::vector<CriterionBinding>& criteria, std::vector<CompiledOverride>* out) {
    std::vector<std::string_view> names;
    for (uint32_t i = 0; i < schema_->size(); ++i) names.push_back(schema_->at(i).decl.name);
    std::vector<std::string> score_names;
    for (const auto& c : criteria) score_names.push_back("score." + c.name);
    for (const auto& s : score_names) names.push_back(s);
    names.push_back("total");

    NameResolver resolve = [&](std::string_view name, std::string* suggestion) -> std::optional<NameInfo> {
      NameInfo info;
      if (name == "total") {
        info.kind = NameInfo::Kind::kTotal;
        info.type = Type::kNumber;
        return info;
      }
      if (name.substr(0, kScorePrefix.size()) == kScorePrefix) {
        std::string_view crit = name.substr(kScorePrefix.size());
        for (uint32_t i = 0; i < criteria.size(); ++i) {
          if (criteria[i].name == crit) {
            info.kind = NameInfo::Kind::kScore;
            info.type = Type::kNumber;
            info.index = i;
            return info;
          }
        }
      } else if (auto slot = schema_->find(name)) {
        const FactInfo& f = schema_->at(*slot);
        info.kind = NameInfo::Kind::kFact;
        info.type = f.decl.type;
        info.index = *slot;
        info.fallback = f.fallback;
        info.allowed = f.decl.allowed;
        return info;
      }
      if (suggestion) *suggestion = closest_name(name, names);
      return std::nullopt;
    };

    for (const RuleOverride& o : doc_.overrides) {
      try {
        CompiledOverride c{o.id, o.verdict, o.reason, o.pos, Condition::compile(o.when, resolve)};
        out->push_back(std::move(c));
      } catch (const ConditionError& e) {
        error(o.position_of(e.offset()), "in the condition of override '" + o.id + "': " + e.what());
      }
    }
  }

 private:
  void error(SourcePos p, std::string msg) {
    diags_->push_back(Diagnostic{Diagnostic::Severity::kError, std::move(p), std::move(msg)});
  }

  std::vector<std::string> criteria_names() const {
    std::vector<std::string> out;
    for (const auto& p : plugins_.plugins) out.push_back(p->criterion());
    return out;
  }

  std::string loaded_list() const {
    std::string out;
    for (const auto& n : criteria_names()) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "none; see `insource plugins` and --plugins" : out;
  }

  static std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
    std::vector<std::string_view> views(candidates.begin(), candidates.end());
    std::string near = closest_name(name, views);
    return near.empty() ? "" : " (did you mean '" + near + "'?)";
  }

  bool bind_param(const LoadedPlugin& plugin, const RuleCriterion& rc, const RuleParam& p, std::vector<ParamValue>* values) {
    const auto& decls = plugin.params();
    auto it = std::find_if(decls.begin(), decls.end(), [&](const ParamDecl& d) { return d.name == p.name; });
    if (it == decls.end()) {
      std::vector<std::string> names;
      for (const auto& d : decls) names.push_back(d.name);
 error(p.key_pos, "criterion " + rc.name + " has no parameter '" + p.name + "'" + did_you_mean(p.name, names) +
                       (names.empty() ? " (its plugin takes none)" : ""));
      return false;
    }
    ParamValue& v = (*values)[static_cast<size_t>(it - decls.begin())];
    std::string what = "parameter " + p.name + " of " + rc.name;
    auto wrong = [&]() {
      std::string given = p.kind == RuleParam::Kind::kOther ? p.text
                          : p.kind == RuleParam::Kind::kNull ? "null"
                                                              : "'" + p.text + "'";
      error(p.pos, what + " must be a " + type_name(it->type) + ", not " + given);
      return false;
    };
    switch (it->type) {
      case Type::kNumber:
        if (p.kind != RuleParam::Kind::kNumber) return wrong();
        if (!std::isfinite(p.number)) {
          error(p.pos, what + " must be a finite number, not " + p.text);
          return false;
        }
        v.number = p.number;
        return true;
      case Type::kBool:
        if (p.kind != RuleParam::Kind::kBool) return wrong();
        v.boolean = p.boolean;
        return true;
      case Type::kString:
        if (p.kind != RuleParam::Kind::kString) return wrong();
        v.string = p.text;
        return true;
      case Type::kAbsent: break;
    }
    return wrong();
  }

  const RulesDoc& doc_;
  const PluginSet& plugins_;
  FactSchema* schema_;
  std::vector<Diagnostic>* diags_;
};

}  // namespace

std::shared_ptr<const Policy> Policy::compile(RulesDoc doc, PluginSet plugins) {
  std::shared_ptr<Policy> p(new Policy());
  p->doc_ = std::move(doc);
  p->plugins_ = std::move(plugins);
  std::vector<Diagnostic> diags;
  Binder b(p->doc_, p->plugins_, &p->schema_, &diags);
  b.declare_facts();
  b.bind_criteria(&p->criteria_);
  b.compile_overrides(p->criteria_, &p->overrides_);
  if (!diags.empty()) throw RulesError(std::move(diags));
  p->index_ = OverrideIndex::build(p->overrides_);
  return p;
}

OverrideIndex OverrideIndex::build(const std::vector<CompiledOverride>& overrides) {
  OverrideIndex index;
  index.enabled = overrides.size() >= kMinOverrides;
  if (!index.enabled) return index;
  for (uint32_t i = 0; i < overrides.size(); ++i) {
    auto key = overrides[i].condition.equality_key();
    if (!key) {
      index.unkeyed.push_back(i);
      continue;
    }
    auto group = std::find_if(index.keyed.begin(), index.keyed.end(), [&](const Keyed& k) { return k.slot == key->slot; });
    if (group == index.keyed.end()) {
      index.keyed.push_back(Keyed{key->slot, {}});
      group = index.keyed.end() - 1;
    }
    group->by_value[key->value].push_back(i);
  }
  return index;
}

int Policy::criterion_index(std::string_view name) const {
  for (size_t i = 0; i < criteria_.size(); ++i)
    if (criteria_[i].name == name) return static_cast<int>(i);
  return -1;
}

RulesDoc read_policy_rules(const std::string& rules_file, const InputLimits& limits) {
  return rules_file.empty() ? read_rules_text(std::string(embedded_default_rules()), kEmbeddedRulesLabel, ".", limits)
                            : read_rules_file(rules_file, limits);
}

PluginTrust plugin_trust_of(const RulesDoc& doc, bool allow_writable) {
  PluginTrust trust;
  trust.allow_writable = allow_writable;
  for (const RuleCriterion& c : doc.criteria) {
    if (!c.sha256.empty()) trust.pins[c.name] = c.sha256;
    if (c.isolate) trust.isolate.insert(c.name);
  }
  if (trust.pins.empty()) return trust;
  std::vector<Diagnostic> diags;
  for (const RuleCriterion& c : doc.criteria)
    if (c.sha256.empty())
      diags.push_back(Diagnostic{Diagnostic::Severity::kError, c.pos,
                                 "criterion " + c.name + " has no sha256 pin, but others do: once one plugin is " +
                                     "pinned, every criterion must be (no unpinned plugin file is loaded)"});
  if (!diags.empty()) throw RulesError(std::move(diags));
  return trust;
}

std::shared_ptr<const Policy> load_policy(const std::string& rules_file, PluginSet plugins) {
  return Policy::compile(read_policy_rules(rules_file), std::move(plugins));
}

}  // namespace insource
