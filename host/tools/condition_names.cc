#include "tools/condition_names.h"

#include <algorithm>

namespace insource {

const char* condition_name_kind(ConditionName::Kind k) {
  switch (k) {
    case ConditionName::Kind::kFact: return "fact";
    case ConditionName::Kind::kScore: return "score";
    case ConditionName::Kind::kTotal: return "total";
  }
  return "fact";
}

std::vector<ConditionName> condition_names(const Policy& policy) {
  std::vector<ConditionName> out;
  const FactSchema& schema = policy.schema();
  for (uint32_t slot = 0; slot < schema.size(); ++slot) {
    ConditionName n;
    n.decl = schema.at(slot).decl;
    // A fact may be declared by several plugins (they agree on its type and
    // default, or the policy would not have compiled); name each of them.
    for (const auto& p : policy.plugins().plugins)
      for (const FactDecl& f : p->facts())
        if (f.name == n.decl.name) n.declared_by.push_back("plugin " + p->name());
    for (const RuleFact& f : policy.rules().facts)
      if (f.name == n.decl.name) n.declared_by.push_back("rules " + f.pos.str());
    out.push_back(std::move(n));
  }

  // The total is a weighted mean of the votes, so it stays within the widest score range.
  double lo = 0.0, hi = 0.0;
  bool first = true;
  for (const CriterionBinding& c : policy.criteria()) {
    ConditionName n;
    n.kind = ConditionName::Kind::kScore;
    n.decl.name = "score." + c.name;
    n.decl.type = Type::kNumber;
    n.decl.min = c.plugin->score_min();
    n.decl.max = c.plugin->score_max();
    n.decl.description = "The score criterion " + c.name + " gave; missing when it abstained";
    n.declared_by.push_back("criterion " + c.name + " (plugin " + c.plugin->name() + ")");
    lo = first ? n.decl.min : std::min(lo, n.decl.min);
    hi = first ? n.decl.max : std::max(hi, n.decl.max);
    first = false;
    out.push_back(std::move(n));
  }

  ConditionName total;
  total.kind = ConditionName::Kind::kTotal;
  total.decl.name = "total";
  total.decl.type = Type::kNumber;
  total.decl.min = lo;
  total.decl.max = hi;
  total.decl.description = "The weighted total of the votes (0 when no criterion voted)";
  total.declared_by.push_back("the weighted vote");
  out.push_back(std::move(total));
  return out;
}

}  // namespace insource
