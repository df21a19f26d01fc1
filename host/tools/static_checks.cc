#include "tools/static_checks.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "tools/condition_shape.h"
#include "policy/evaluator.h"
#include "io/report.h"

namespace insource {

namespace {

// More combinations than this are not enumerated (the check is skipped).
constexpr size_t kMaxPoints = 250000;

struct Candidate {
  bool absent = false;
  double number = 0.0;
  std::string string;
  bool boolean = false;
};

Candidate absent_candidate() {
  Candidate c;
  c.absent = true;
  return c;
}

// One point per region that the constants cut [lo, hi] into, and the constants
// and the finite ends themselves.
std::vector<double> number_points(std::vector<double> consts, double lo, bool lo_exclusive, double hi) {
  auto inside = [&](double x) { return (x > lo || (x == lo && !lo_exclusive)) && x <= hi; };
  std::vector<double> cuts;
  for (double c : consts)
    if (std::isfinite(c) && inside(c)) cuts.push_back(c);
  if (std::isfinite(lo) && !lo_exclusive) cuts.push_back(lo);
  if (std::isfinite(hi)) cuts.push_back(hi);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<double> out = cuts;
  std::vector<double> edges;
  edges.push_back(lo);
  edges.insert(edges.end(), cuts.begin(), cuts.end());
  edges.push_back(hi);
  for (size_t i = 0; i + 1 < edges.size(); ++i) {
    double a = edges[i], b = edges[i + 1];
    if (!(a < b)) continue;
    double m;
    if (std::isfinite(a) && std::isfinite(b)) m = a + (b - a) / 2;
    else if (std::isfinite(b)) m = b - 1;
    else if (std::isfinite(a)) m = a + 1;
    else m = 0;
    if (m > a && m < b && inside(m)) out.push_back(m);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void merge_uses(const NameUses& from, NameUses* into) {
  for (const auto& [ref, use] : from) {
    NameUse& u = (*into)[ref];
    for (double d : use.numbers)
      if (std::find(u.numbers.begin(), u.numbers.end(), d) == u.numbers.end()) u.numbers.push_back(d);
    for (const auto& s : use.strings)
      if (std::find(u.strings.begin(), u.strings.end(), s) == u.strings.end()) u.strings.push_back(s);
    u.opaque = u.opaque || use.opaque;
  }
}

bool decidable(const NameUses& uses) {
  return std::none_of(uses.begin(), uses.end(), [](const auto& e) { return e.second.opaque; });
}

// Every combination of the values that matter for some names.
class Space {
 public:
  explicit Space(const Policy& p)
      : p_(p),
        facts_(p.schema().size(), make_absent()),
        scores_(p.criteria().size(), 0.0),
        voted_(p.criteria().size(), 0) {}

  // False when the names cannot be enumerated (or too many combinations).
  bool build(const NameUses& uses) {
    if (!decidable(uses)) return false;
    const TotalRange tr = total_range(p_);
    size_t product = 1;
    for (const auto& entry : uses) {
      // Not a structured binding: clang before 16 cannot capture one in the lambda below.
      const auto& ref = entry.first;
      const auto& use = entry.second;
      std::vector<Candidate> c;
      auto numbers = [&](double lo, bool lo_ex, double hi) {
        for (double d : number_points(use.numbers, lo, lo_ex, hi)) c.push_back(Candidate{false, d, {}, false});
      };
      switch (ref.kind) {
        case NameInfo::Kind::kTotal:
          numbers(tr.min, false, tr.max);
          if (std::find_if(c.begin(), c.end(), [](const Candidate& x) { return x.number == 0.0; }) == c.end())
            c.push_back(Candidate{false, 0.0, {}, false});  // no voter
          break;
        case NameInfo::Kind::kScore: {
          const LoadedPlugin& pl = *p_.criteria()[ref.index].plugin;
          numbers(std::max(-1.0, pl.score_min()), false, std::min(1.0, pl.score_max()));
          c.push_back(absent_candidate());
          break;
        }
        case NameInfo::Kind::kFact: {
          const FactDecl& d = p_.schema().at(ref.index).decl;
          switch (d.type) {
            case Type::kNumber: numbers(d.min, d.min_exclusive, d.max); break;
            case Type::kBool:
              c.push_back(Candidate{false, 0.0, {}, true});
              c.push_back(Candidate{false, 0.0, {}, false});
              break;
            case Type::kString:
              if (!d.allowed.empty()) {
                for (const auto& s : d.allowed) c.push_back(Candidate{false, 0.0, s, false});
              } else {
                for (const auto& s : use.strings) c.push_back(Candidate{false, 0.0, s, false});
                std::string other = "\x01other";
                while (std::find(use.strings.begin(), use.strings.end(), other) != use.strings.end()) other += "!";
                c.push_back(Candidate{false, 0.0, other, false});
              }
              break;
            case Type::kAbsent: break;
          }
          c.push_back(absent_candidate());
          break;
        }
      }
      product *= c.size();
      if (product > kMaxPoints) return false;
      names_.push_back(ref);
      values_.push_back(std::move(c));
    }
    return true;
  }

  // Calls f(input) for every combination until f returns false.
  template <class F>
  void for_each(F f) {
    std::vector<size_t> at(names_.size(), 0);
    for (;;) {
      double total = 0.0;
      for (size_t i = 0; i < names_.size(); ++i) {
        const Candidate& c = values_[i][at[i]];
        const NameRef& r = names_[i];
        switch (r.kind) {
          case NameInfo::Kind::kTotal: total = c.number; break;
          case NameInfo::Kind::kScore:
            voted_[r.index] = c.absent ? 0 : 1;
            scores_[r.index] = c.number;
            break;
          case NameInfo::Kind::kFact: {
            Type t = p_.schema().at(r.index).decl.type;
            facts_[r.index] = c.absent ? make_absent()
                              : t == Type::kNumber ? make_number(c.number)
                              : t == Type::kBool   ? make_bool(c.boolean)
                                                   : make_string(c.string);
            break;
          }
        }
      }
      EvalInput in{facts_.data(), scores_.data(), voted_.data(), total};
      if (!f(in)) return;
      size_t k = 0;
      while (k < at.size() && ++at[k] == values_[k].size()) at[k++] = 0;
      if (k == at.size()) return;
    }
  }

 private:
  const Policy& p_;
  std::vector<NameRef> names_;
  std::vector<std::vector<Candidate>> values_;
  std::vector<insource_value> facts_;
  std::vector<double> scores_;
  std::vector<uint8_t> voted_;
};

std::string fixed(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.3g", v);
  return buf;
}

}  // namespace

TotalRange total_range(const Policy& policy) {
  TotalRange r{HUGE_VAL, -HUGE_VAL};
  for (const CriterionBinding& b : policy.criteria()) {
    r.min = std::min(r.min, std::max(-1.0, b.plugin->score_min()));
    r.max = std::max(r.max, std::min(1.0, b.plugin->score_max()));
  }
  if (r.min > r.max) r = TotalRange{0.0, 0.0};
  return r;
}

std::vector<Diagnostic> static_checks(const Policy& p) {
  std::vector<Diagnostic> out;
  auto warn = [&](SourcePos pos, std::string msg) {
    out.push_back(Diagnostic{Diagnostic::Severity::kWarning, std::move(pos), std::move(msg)});
  };
  const RulesDoc& doc = p.rules();

  // Weight 0.
  for (const RuleZeroWeight& z : doc.zero_weights) {
    if (z.removes_inherited)
      warn(z.pos, "weight 0 removes criterion '" + z.name + "' inherited from the extended rules: it does not vote");
    else
      warn(z.pos, "criterion '" + z.name + "' has weight 0: it never votes (give it a weight above 0, or remove it)");
  }

  // The overrides' structure: the names each reads and the constants it compares them with.
  const auto& overrides = p.overrides();
  std::vector<NameUses> uses(overrides.size());
  for (size_t i = 0; i < overrides.size(); ++i) collect_name_uses(condition_shape(overrides[i].condition), &uses[i]);
  auto share_names = [&](size_t a, size_t b) {
    for (const auto& e : uses[a])
      if (uses[b].count(e.first)) return true;
    return false;
  };
  auto where = [&](size_t i) {
    return doc.overrides.size() == overrides.size() ? doc.overrides[i].position_of(0) : overrides[i].pos;
  };

  // Facts declared under `facts` that nothing reads.
  std::set<uint32_t> read;
  for (const auto& o : overrides) read.insert(o.condition.facts_read().begin(), o.condition.facts_read().end());
  for (const RuleFact& f : doc.facts) {
    auto slot = p.schema().find(f.name);
    if (!slot || read.count(*slot)) continue;
    bool plugin_reads = false;
    for (const auto& pl : p.plugins().plugins)
      for (const FactDecl& d : pl->facts()) plugin_reads = plugin_reads || d.name == f.name;
    if (!plugin_reads)
      warn(f.pos, "fact '" + f.name + "' is declared under `facts` but no override condition reads it (and no plugin does)");
  }

  // Verdict bands no total can reach.
  {
    const TotalRange tr = total_range(p);
    const Thresholds& t = p.thresholds();
    SourcePos pos = doc.thresholds_pos.file.empty() ? SourcePos{doc.file, 1, 1} : doc.thresholds_pos;
    std::string range = "the total stays within [" + fixed(tr.min) + ", " + fixed(tr.max) +
                        "] (the score ranges the plugins of the voting criteria declare)";
    if (!(tr.max >= t.insource - kThresholdEpsilon))
      warn(pos, "no case can reach the insource band: " + range + ", below the insource threshold " + fixed(t.insource));
    if (!(tr.min <= t.outsource + kThresholdEpsilon))
      warn(pos, "no case can reach the outsource band: " + range + ", above the outsource threshold " + fixed(t.outsource));
    bool hybrid = tr.max > t.outsource + kThresholdEpsilon && tr.min < t.insource - kThresholdEpsilon &&
                  t.outsource + kThresholdEpsilon < t.insource - kThresholdEpsilon;
    if (!hybrid)
      warn(pos, "no case can reach the hybrid band: " + range + ", and no part of it lies between the outsource threshold " +
                    fixed(t.outsource) + " and the insource threshold " + fixed(t.insource));
  }

  // Conditions that never or always hold.
  std::vector<char> never(overrides.size(), 0), always(overrides.size(), 0), known(overrides.size(), 0);
  for (size_t i = 0; i < overrides.size(); ++i) {
    Space s(p);
    if (!s.build(uses[i])) continue;
    known[i] = 1;
    bool any_true = false, all_true = true;
    s.for_each([&](const EvalInput& in) {
      Tri r = overrides[i].condition.evaluate(in);
      any_true = any_true || r == Tri::kTrue;
      all_true = all_true && r == Tri::kTrue;
      return !any_true || all_true;
    });
    never[i] = !any_true;
    always[i] = all_true;
    if (never[i])
      warn(where(i), "the condition of override '" + overrides[i].id +
                         "' can never hold: no case (with facts of their declared types, ranges and levels, or "
                         "without them) makes it true, so the override never decides");
    else if (always[i])
      warn(where(i), "the condition of override '" + overrides[i].id +
                         "' holds for every case: the override decides every case, so the weighted vote" +
                         (i + 1 < overrides.size() ? " and the overrides after it never decide" : " never decides"));
  }

  // Shadowed overrides.
  for (size_t j = 1; j < overrides.size(); ++j) {
    if (!known[j] || never[j]) continue;
    bool shadowed = false;
    for (size_t i = 0; i < j && !shadowed; ++i) {
      if (!known[i] || never[i]) continue;
      // With no name in common, i covers j only if i always holds.
      if (!always[i] && !share_names(i, j)) continue;
      NameUses both = uses[i];
      merge_uses(uses[j], &both);
      Space s(p);
      if (!s.build(both)) continue;
      bool escapes = false;
      s.for_each([&](const EvalInput& in) {
        escapes = overrides[j].condition.evaluate(in) == Tri::kTrue && overrides[i].condition.evaluate(in) != Tri::kTrue;
        return !escapes;
      });
      if (!escapes) {
        shadowed = true;
        warn(where(j), "override '" + overrides[j].id + "' can never decide: every case it matches is matched first by override '" +
                           overrides[i].id + "' (" + where(i).str() + ")");
      }
    }
    if (shadowed || j < 2) continue;
    // Several earlier overrides together.
    NameUses all = uses[j];
    std::vector<size_t> earlier;
    for (size_t i = 0; i < j; ++i) {
      if (!known[i] || never[i]) continue;
      earlier.push_back(i);
      merge_uses(uses[i], &all);
    }
    if (earlier.size() < 2) continue;
    Space s(p);
    if (!s.build(all)) continue;
    bool escapes = false;
    std::set<size_t> takers;
    s.for_each([&](const EvalInput& in) {
      if (overrides[j].condition.evaluate(in) != Tri::kTrue) return true;
      for (size_t i : earlier) {
        if (overrides[i].condition.evaluate(in) == Tri::kTrue) {
          takers.insert(i);
          return true;
        }
      }
      escapes = true;
      return false;
    });
    if (!escapes) {
      std::string list;
      for (size_t i : takers) list += (list.empty() ? "" : ", ") + ("'" + overrides[i].id + "' (" + where(i).str() + ")");
      warn(where(j), "override '" + overrides[j].id + "' can never decide: every case it matches is matched first by one of the overrides " + list);
    }
  }

  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.pos.file != b.pos.file) return a.pos.file < b.pos.file;
    if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
    return a.pos.column < b.pos.column;
  });
  return out;
}

}  // namespace insource
