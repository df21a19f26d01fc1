// Tests of the condition language (host/core/condition.h): parsing,
// name resolution, type checking, three-valued evaluation, trace.
#include "core/condition.h"
#include "core/fact_schema.h"  // closest_name

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using insource::Condition;
using insource::ConditionError;
using insource::EvalInput;
using insource::NameInfo;
using insource::NameResolver;
using insource::TraceStep;
using insource::Tri;
using insource::Type;

// ---------------------------------------------------------------- fixtures

const std::vector<std::string> kLevels = {"low", "medium", "high"};

// The facts of docs/criteria.md section 2 (slots in table order), the five
// criteria's scores, total, and a few test-only facts.
class Names {
 public:
  Names() {
    fact("cost.hours", Type::kNumber);                                           // 0
    fact("cost.internal_rate", Type::kNumber);                                   // 1
    fact("cost.external_rate", Type::kNumber);                                   // 2
    fact("cost.opportunity_rate", Type::kNumber, insource::make_number(0));      // 3
    fact("cost.transition", Type::kNumber, insource::make_number(0));            // 4
    fact("capacity.utilization", Type::kNumber);                                 // 5
    fact("control.institutional_knowledge", Type::kString, {}, kLevels);         // 6
    fact("control.core_competence", Type::kBool);                                // 7
    fact("control.customer_facing", Type::kBool);                                // 8
    fact("control.change_frequency", Type::kString, {}, kLevels);                // 9
    fact("security.system_access", Type::kString, {}, {"none", "front_office", "back_office"});  // 10
    fact("security.data_sensitivity", Type::kString, {},
         {"public", "internal", "confidential", "restricted"});                  // 11
    fact("security.vendor_certified", Type::kBool, insource::make_bool(false));  // 12
    fact("legal.vendor_jurisdiction", Type::kString, {}, {"domestic", "treaty", "foreign"});  // 13
    fact("legal.regulated", Type::kBool);                                        // 14
    fact("legal.ip_sensitive", Type::kBool);                                     // 15
    fact("training.complexity", Type::kString, {}, kLevels);                     // 16
    fact("training.expertise_in_house", Type::kBool);                            // 17
    fact("training.internal_ramp_weeks", Type::kNumber);                         // 18
    fact("training.external_ramp_weeks", Type::kNumber);                         // 19
    fact("test.label", Type::kString, insource::make_string("unset"));           // 20: string default
    fact("test.flag", Type::kBool, insource::make_bool(true));                   // 21: bool default true
    fact("test.free", Type::kString);                                            // 22: any string
    fact("test.v2_x", Type::kNumber);                                            // 23
    const char* criteria[] = {"cost", "control", "security", "legal", "training"};
    for (uint32_t i = 0; i < 5; ++i) {
      NameInfo n;
      n.kind = NameInfo::Kind::kScore;
      n.index = i;
      names_[std::string("score.") + criteria[i]] = n;
    }
    NameInfo t;
    t.kind = NameInfo::Kind::kTotal;
    names_["total"] = t;
  }

  std::optional<NameInfo> resolve(std::string_view name, std::string* suggestion) const {
    auto it = names_.find(std::string(name));
    if (it != names_.end()) return it->second;
    std::vector<std::string_view> known;
    for (const auto& [k, v] : names_) known.push_back(k);
    *suggestion = insource::closest_name(name, known);
    return std::nullopt;
  }

  uint32_t slot(const std::string& name) const { return names_.at(name).index; }
  size_t fact_count() const { return facts_; }

 private:
  void fact(const char* name, Type type, insource_value fallback = insource::make_absent(),
            std::vector<std::string> allowed = {}) {
    NameInfo n;
    n.kind = NameInfo::Kind::kFact;
    n.type = type;
    n.index = static_cast<uint32_t>(facts_++);
    n.fallback = fallback;
    n.allowed = std::move(allowed);
    names_[name] = n;
  }

  std::map<std::string, NameInfo> names_;
  size_t facts_ = 0;
};

const Names& names() {
  static const Names n;
  return n;
}

NameResolver resolver() {
  return [](std::string_view name, std::string* suggestion) { return names().resolve(name, suggestion); };
}

Condition compile(std::string_view text) { return Condition::compile(text, resolver()); }

// A hand-made case. String values point at string literals (static storage).
struct CaseFacts {
  std::vector<insource_value> facts = std::vector<insource_value>(names().fact_count(), insource::make_absent());
  double scores[5] = {0, 0, 0, 0, 0};
  uint8_t voted[5] = {0, 0, 0, 0, 0};
  double total = 0.0;

  CaseFacts& num(const std::string& name, double v) {
    facts[names().slot(name)] = insource::make_number(v);
    return *this;
  }
  CaseFacts& str(const std::string& name, const char* v) {
    facts[names().slot(name)] = insource::make_string(v);
    return *this;
  }
  CaseFacts& flag(const std::string& name, bool v) {
    facts[names().slot(name)] = insource::make_bool(v);
    return *this;
  }
  CaseFacts& score(int criterion, double s) {
    scores[criterion] = s;
    voted[criterion] = 1;
    return *this;
  }
  EvalInput input() const {
    EvalInput in;
    in.facts = facts.data();
    in.scores = scores;
    in.voted = voted;
    in.total = total;
    return in;
  }
};

// Evaluates `text` on `c` as "true" / "false" / "unknown"; checks that the
// trace agrees with evaluate().
std::string ev(std::string_view text, const CaseFacts& c = CaseFacts()) {
  Condition cond = compile(text);
  Tri r = cond.evaluate(c.input());
  std::vector<TraceStep> steps;
  Tri t = cond.trace(c.input(), &steps);
  EXPECT_STREQ(insource::tri_name(t), insource::tri_name(r)) << "trace disagrees with evaluate on: " << text;
  EXPECT_FALSE(steps.empty());
  if (!steps.empty()) {
    EXPECT_EQ(steps[0].outcome, insource::tri_name(r)) << text;
  }
  return insource::tri_name(r);
}

struct Error {
  std::string message;
  size_t offset = std::string::npos;
};

Error error_of(std::string_view text) {
  try {
    compile(text);
  } catch (const ConditionError& e) {
    return Error{e.what(), e.offset()};
  }
  ADD_FAILURE() << "no error for: " << text;
  return Error{};
}

#define EXPECT_ERROR(text, msg, off)        \
  do {                                       \
    Error e_ = error_of(text);               \
    EXPECT_EQ(e_.message, msg) << (text);    \
    EXPECT_EQ(e_.offset, size_t(off)) << (text); \
  } while (0)

const char* kBackOffice = R"(security.system_access == "back_office" and not security.vendor_certified)";
const char* kRestricted = R"(legal.vendor_jurisdiction == "foreign" and security.data_sensitivity == "restricted")";
const char* kFullyBooked =
    R"(capacity.utilization >= 0.9 and control.institutional_knowledge in ["medium", "high"])";

// ---------------------------------------------------------------- default overrides

TEST(ConditionDefaults, BackOfficeStaysInHouse) {
  // vendor_certified is absent: its default false applies, so `not` holds.
  EXPECT_EQ(ev(kBackOffice, CaseFacts().str("security.system_access", "back_office")), "true");
  EXPECT_EQ(ev(kBackOffice, CaseFacts().str("security.system_access", "back_office").flag("security.vendor_certified", false)),
            "true");
  EXPECT_EQ(ev(kBackOffice, CaseFacts().str("security.system_access", "back_office").flag("security.vendor_certified", true)),
            "false");
  EXPECT_EQ(ev(kBackOffice, CaseFacts().str("security.system_access", "front_office")), "false");
  // system_access missing: unknown and true = unknown; unknown and false = false.
  EXPECT_EQ(ev(kBackOffice, CaseFacts()), "unknown");
  EXPECT_EQ(ev(kBackOffice, CaseFacts().flag("security.vendor_certified", true)), "false");
  EXPECT_EQ(ev("not security.vendor_certified", CaseFacts()), "true");
}

TEST(ConditionDefaults, RestrictedDataAbroad) {
  EXPECT_EQ(ev(kRestricted, CaseFacts().str("legal.vendor_jurisdiction", "foreign").str("security.data_sensitivity", "restricted")),
            "true");
  EXPECT_EQ(ev(kRestricted, CaseFacts().str("legal.vendor_jurisdiction", "foreign").str("security.data_sensitivity", "internal")),
            "false");
  EXPECT_EQ(ev(kRestricted, CaseFacts().str("legal.vendor_jurisdiction", "treaty").str("security.data_sensitivity", "restricted")),
            "false");
  EXPECT_EQ(ev(kRestricted, CaseFacts().str("security.data_sensitivity", "restricted")), "unknown");
  EXPECT_EQ(ev(kRestricted, CaseFacts().str("legal.vendor_jurisdiction", "foreign")), "unknown");
  EXPECT_EQ(ev(kRestricted, CaseFacts().str("security.data_sensitivity", "public")), "false");
  EXPECT_EQ(ev(kRestricted, CaseFacts()), "unknown");
}

TEST(ConditionDefaults, FullyBookedTeam) {
  EXPECT_EQ(ev(kFullyBooked, CaseFacts().num("capacity.utilization", 1.0).str("control.institutional_knowledge", "high")), "true");
  EXPECT_EQ(ev(kFullyBooked, CaseFacts().num("capacity.utilization", 0.9).str("control.institutional_knowledge", "medium")),
            "true");
  EXPECT_EQ(ev(kFullyBooked, CaseFacts().num("capacity.utilization", 1.0).str("control.institutional_knowledge", "low")), "false");
  EXPECT_EQ(ev(kFullyBooked, CaseFacts().num("capacity.utilization", 0.89).str("control.institutional_knowledge", "high")),
            "false");
  EXPECT_EQ(ev(kFullyBooked, CaseFacts().str("control.institutional_knowledge", "high")), "unknown");
  EXPECT_EQ(ev(kFullyBooked, CaseFacts().num("capacity.utilization", 0.95)), "unknown");
  EXPECT_EQ(ev(kFullyBooked, CaseFacts().str("control.institutional_knowledge", "low")), "false");
  EXPECT_EQ(ev(kFullyBooked, CaseFacts().num("capacity.utilization", 0.2)), "false");
}

TEST(ConditionDefaults, CandyLaunch) {
  // The example case of docs/criteria.md section 1.
  CaseFacts c;
  c.num("cost.hours", 1200).num("cost.internal_rate", 85).num("cost.external_rate", 60);
  c.num("cost.opportunity_rate", 30).num("cost.transition", 5000).num("capacity.utilization", 1.0);
  c.str("control.institutional_knowledge", "high").flag("control.core_competence", false);
  c.flag("control.customer_facing", true).str("control.change_frequency", "high");
  c.str("security.system_access", "front_office").str("security.data_sensitivity", "internal");
  c.flag("security.vendor_certified", true).str("legal.vendor_jurisdiction", "domestic");
  EXPECT_EQ(ev(kBackOffice, c), "false");
  EXPECT_EQ(ev(kRestricted, c), "false");
  EXPECT_EQ(ev(kFullyBooked, c), "true");
}

// ---------------------------------------------------------------- operators

TEST(ConditionOperators, Arithmetic) {
  EXPECT_EQ(ev("1 + 2 * 3 == 7"), "true");
  EXPECT_EQ(ev("(1 + 2) * 3 == 9"), "true");
  EXPECT_EQ(ev("10 - 4 - 3 == 3"), "true");  // left-associative
  EXPECT_EQ(ev("12 / 3 / 2 == 2"), "true");
  EXPECT_EQ(ev("2 * 3 + 4 * 5 == 26"), "true");
  EXPECT_EQ(ev("-2 * 3 == -6"), "true");
  EXPECT_EQ(ev("- -2 == 2"), "true");
  EXPECT_EQ(ev("2 - -2 == 4"), "true");
  EXPECT_EQ(ev("-(1 + 2) == -3"), "true");
  EXPECT_EQ(ev("-cost.hours == -4", CaseFacts().num("cost.hours", 4)), "true");
  EXPECT_EQ(ev("1.5e2 == 150 and 2E-1 == 0.2 and 1e+1 == 10"), "true");
  EXPECT_EQ(ev("0.1 + 0.2 == 0.3"), "false");  // exact equality
  EXPECT_EQ(ev("0.1 + 0.2 > 0.3"), "true");
  EXPECT_EQ(ev("cost.hours * (cost.internal_rate + cost.opportunity_rate) == 1000",
               CaseFacts().num("cost.hours", 10).num("cost.internal_rate", 100)),
            "true");
}

TEST(ConditionOperators, Comparisons) {
  EXPECT_EQ(ev("1 < 2"), "true");
  EXPECT_EQ(ev("2 < 2"), "false");
  EXPECT_EQ(ev("2 <= 2"), "true");
  EXPECT_EQ(ev("3 <= 2"), "false");
  EXPECT_EQ(ev("3 > 2"), "true");
  EXPECT_EQ(ev("2 > 2"), "false");
  EXPECT_EQ(ev("2 >= 2"), "true");
  EXPECT_EQ(ev("2 >= 3"), "false");
  EXPECT_EQ(ev("1 == 1"), "true");
  EXPECT_EQ(ev("1 != 1"), "false");
  EXPECT_EQ(ev("1 != 2"), "true");
  EXPECT_EQ(ev(R"("a" == "a")"), "true");
  EXPECT_EQ(ev(R"("a" != "a")"), "false");
  EXPECT_EQ(ev(R"("a" == "b")"), "false");
  EXPECT_EQ(ev("true == true and false != true and (false == false)"), "true");
  CaseFacts c = CaseFacts().flag("control.core_competence", true).str("test.free", "x");
  EXPECT_EQ(ev("control.core_competence == true", c), "true");
  EXPECT_EQ(ev("control.core_competence != true", c), "false");
  EXPECT_EQ(ev("control.core_competence == control.customer_facing", c), "unknown");
  EXPECT_EQ(ev(R"(test.free != "y")", c), "true");
  EXPECT_EQ(ev(R"(test.free == security.system_access)", c), "unknown");
  // Both orders of fact and literal (the fused form flips the operator).
  CaseFacts h = CaseFacts().num("cost.hours", 5);
  EXPECT_EQ(ev("cost.hours > 4 and 4 < cost.hours and 6 > cost.hours and cost.hours <= 5 and 5 >= cost.hours", h),
            "true");
  EXPECT_EQ(ev("2 > cost.hours", h), "false");
  EXPECT_EQ(ev("5 == cost.hours and 4 != cost.hours", h), "true");
  EXPECT_EQ(ev("cost.hours > 4"), "unknown");
  EXPECT_EQ(ev("4 < cost.hours"), "unknown");
}

TEST(ConditionOperators, Precedence) {
  CaseFacts c = CaseFacts().flag("control.core_competence", true).flag("control.customer_facing", false);
  // not binds tighter than and: (not a) and b.
  EXPECT_EQ(ev("not control.core_competence and control.customer_facing", c), "false");
  EXPECT_EQ(ev("not (control.core_competence and control.customer_facing)", c), "true");
  // and binds tighter than or: a or (b and c).
  CaseFacts d = CaseFacts().flag("control.core_competence", true).flag("control.customer_facing", false).flag("legal.regulated", false);
  EXPECT_EQ(ev("control.core_competence or control.customer_facing and legal.regulated", d), "true");
  EXPECT_EQ(ev("(control.core_competence or control.customer_facing) and legal.regulated", d), "false");
  // not binds looser than comparisons: not (1 == 2).
  EXPECT_EQ(ev("not 1 == 2"), "true");
  EXPECT_EQ(ev("not not true"), "true");
  EXPECT_EQ(ev("true and not false or false"), "true");
  // The shape is visible in the trace: the top node of `not a and b` is the `and`.
  Condition cond = compile("not control.core_competence and control.customer_facing");
  std::vector<TraceStep> steps;
  cond.trace(c.input(), &steps);
  ASSERT_GE(steps.size(), 3u);
  EXPECT_EQ(steps[1].text, "not control.core_competence");
  EXPECT_EQ(steps[1].depth, 1);
}

TEST(ConditionOperators, WhitespaceAndNames) {
  EXPECT_EQ(ev("\n  cost.hours\t>=\r\n 1  ", CaseFacts().num("cost.hours", 1)), "true");
  EXPECT_EQ(ev("test.v2_x == 2", CaseFacts().num("test.v2_x", 2)), "true");
  EXPECT_EQ(ev("cost.hours>1 and(cost.hours<3)and(true)", CaseFacts().num("cost.hours", 2)), "true");
}

// ---------------------------------------------------------------- three-valued logic

TEST(ConditionLogic, TruthTables) {
  // p and q over {true, false, unknown}: unknown is a bool fact the case lacks.
  struct Row {
    int p, q;  // 1 true, 0 false, -1 missing
    const char *and_, *or_;
  };
  const Row rows[] = {
      {1, 1, "true", "true"},        {1, 0, "false", "true"},      {1, -1, "unknown", "true"},
      {0, 1, "false", "true"},       {0, 0, "false", "false"},     {0, -1, "false", "unknown"},
      {-1, 1, "unknown", "true"},    {-1, 0, "false", "unknown"},  {-1, -1, "unknown", "unknown"},
  };
  for (const Row& r : rows) {
    CaseFacts c;
    if (r.p >= 0) c.flag("control.core_competence", r.p == 1);
    if (r.q >= 0) c.flag("control.customer_facing", r.q == 1);
    SCOPED_TRACE(std::to_string(r.p) + " " + std::to_string(r.q));
    EXPECT_EQ(ev("control.core_competence and control.customer_facing", c), r.and_);
    EXPECT_EQ(ev("control.core_competence or control.customer_facing", c), r.or_);
    EXPECT_EQ(ev("(control.core_competence) and (control.customer_facing)", c), r.and_);
  }
  EXPECT_EQ(ev("not control.core_competence", CaseFacts().flag("control.core_competence", true)), "false");
  EXPECT_EQ(ev("not control.core_competence", CaseFacts().flag("control.core_competence", false)), "true");
  EXPECT_EQ(ev("not control.core_competence", CaseFacts()), "unknown");
  EXPECT_EQ(ev("not not control.core_competence", CaseFacts()), "unknown");
  // Longer chains: any false decides `and`, any true decides `or`.
  EXPECT_EQ(ev("control.core_competence and true and false"), "false");
  EXPECT_EQ(ev("control.core_competence and true and true"), "unknown");
  EXPECT_EQ(ev("false or control.core_competence or true"), "true");
  EXPECT_EQ(ev("false or control.core_competence or false"), "unknown");
  // A missing comparison is unknown, and so are comparisons of it.
  EXPECT_EQ(ev("cost.hours > 1 or cost.hours <= 1"), "unknown");
  EXPECT_EQ(ev("control.core_competence == false"), "unknown");
}

TEST(ConditionLogic, Defaults) {
  // A declared default stands in for the missing fact.
  EXPECT_EQ(ev("cost.opportunity_rate == 0"), "true");
  EXPECT_EQ(ev("cost.opportunity_rate < 1"), "true");
  EXPECT_EQ(ev("cost.opportunity_rate == 30", CaseFacts().num("cost.opportunity_rate", 30)), "true");
  EXPECT_EQ(ev(R"(test.label == "unset")"), "true");
  EXPECT_EQ(ev(R"(test.label == "x")", CaseFacts().str("test.label", "x")), "true");
  EXPECT_EQ(ev(R"(test.label in ["a", "unset"])"), "true");
  EXPECT_EQ(ev("test.flag"), "true");
  EXPECT_EQ(ev("test.flag", CaseFacts().flag("test.flag", false)), "false");
  EXPECT_EQ(ev("security.vendor_certified"), "false");
}

TEST(ConditionLogic, In) {
  const char* cond = R"(control.institutional_knowledge in ["medium", "high"])";
  EXPECT_EQ(ev(cond, CaseFacts().str("control.institutional_knowledge", "high")), "true");
  EXPECT_EQ(ev(cond, CaseFacts().str("control.institutional_knowledge", "medium")), "true");
  EXPECT_EQ(ev(cond, CaseFacts().str("control.institutional_knowledge", "low")), "false");
  EXPECT_EQ(ev(cond, CaseFacts()), "unknown");
  // An unknown element: true if another element matches, else unknown.
  const char* mixed = R"(control.institutional_knowledge in [control.change_frequency, "high"])";
  EXPECT_EQ(ev(mixed, CaseFacts().str("control.institutional_knowledge", "high")), "true");
  EXPECT_EQ(ev(mixed, CaseFacts().str("control.institutional_knowledge", "low")), "unknown");
  EXPECT_EQ(ev(mixed, CaseFacts().str("control.institutional_knowledge", "low").str("control.change_frequency", "low")), "true");
  EXPECT_EQ(ev(mixed, CaseFacts().str("control.institutional_knowledge", "low").str("control.change_frequency", "medium")),
            "false");
  // Numbers, expressions and bools.
  EXPECT_EQ(ev("cost.hours in [1, 2, 3]", CaseFacts().num("cost.hours", 2)), "true");
  EXPECT_EQ(ev("cost.hours in [1, 2, 3]", CaseFacts().num("cost.hours", 4)), "false");
  EXPECT_EQ(ev("cost.hours * 2 in [cost.internal_rate, 1 + 3]", CaseFacts().num("cost.hours", 2)), "true");
  EXPECT_EQ(ev("cost.hours in [cost.internal_rate / 0, 7]", CaseFacts().num("cost.hours", 2).num("cost.internal_rate", 1)),
            "unknown");
  EXPECT_EQ(ev("control.core_competence in [true]", CaseFacts().flag("control.core_competence", true)), "true");
  EXPECT_EQ(ev("control.core_competence in [true]", CaseFacts().flag("control.core_competence", false)), "false");
  EXPECT_EQ(ev("true in [control.core_competence, false]"), "unknown");
  EXPECT_EQ(ev("false in [control.core_competence, false]"), "true");
  // An empty list holds nothing; a missing left side is still unknown.
  EXPECT_EQ(ev("cost.hours in []", CaseFacts().num("cost.hours", 1)), "false");
  EXPECT_EQ(ev("cost.hours in []"), "unknown");
  EXPECT_EQ(ev("not (cost.hours in [1])", CaseFacts().num("cost.hours", 2)), "true");
}

TEST(ConditionLogic, DivisionByZero) {
  EXPECT_EQ(ev("1 / 0 > 0"), "unknown");
  EXPECT_EQ(ev("1 / 0 < 0"), "unknown");
  EXPECT_EQ(ev("0 / 0 == 0"), "unknown");
  EXPECT_EQ(ev("1 / -0 == 0"), "unknown");
  EXPECT_EQ(ev("not (1 / 0 > 0)"), "unknown");
  EXPECT_EQ(ev("1 / 0 > 0 or true"), "true");
  EXPECT_EQ(ev("1 / 0 > 0 and false"), "false");
  // cost.transition defaults to 0.
  EXPECT_EQ(ev("cost.hours / cost.transition > 1", CaseFacts().num("cost.hours", 3)), "unknown");
  EXPECT_EQ(ev("cost.hours / cost.transition > 1", CaseFacts().num("cost.hours", 3).num("cost.transition", 2)), "true");
  EXPECT_EQ(ev("0 / 5 == 0"), "true");
}

TEST(ConditionLogic, Exists) {
  EXPECT_EQ(ev("exists(cost.hours)", CaseFacts().num("cost.hours", 1)), "true");
  EXPECT_EQ(ev("exists(cost.hours)"), "false");
  EXPECT_EQ(ev("not exists(cost.hours)"), "true");
  // A defaulted fact exists only when the case gives it.
  EXPECT_EQ(ev("exists(security.vendor_certified)"), "false");
  EXPECT_EQ(ev("exists(security.vendor_certified)", CaseFacts().flag("security.vendor_certified", false)), "true");
  EXPECT_EQ(ev(R"(exists(test.label) or test.label == "unset")"), "true");
  EXPECT_EQ(ev("exists(test.label)"), "false");
  // Scores: present when the criterion voted.
  EXPECT_EQ(ev("exists(score.cost)"), "false");
  EXPECT_EQ(ev("exists(score.cost)", CaseFacts().score(0, -0.5)), "true");
  EXPECT_EQ(ev("exists(score.legal)", CaseFacts().score(0, -0.5)), "false");
  EXPECT_EQ(ev("exists(total)"), "true");
  EXPECT_EQ(ev("exists((cost.hours))", CaseFacts().num("cost.hours", 1)), "true");
  // Never unknown, so it guards a comparison.
  EXPECT_EQ(ev("exists(capacity.utilization) and capacity.utilization > 0.5"), "false");
  EXPECT_EQ(ev("not exists(capacity.utilization) or capacity.utilization > 0.5"), "true");
}

TEST(ConditionLogic, ScoresAndTotal) {
  CaseFacts c = CaseFacts().score(0, 0.6).score(1, -0.25);
  c.total = 0.25;
  EXPECT_EQ(ev("score.cost > 0.5", c), "true");
  EXPECT_EQ(ev("score.control < 0", c), "true");
  EXPECT_EQ(ev("score.cost + score.control == 0.35", c), "true");
  EXPECT_EQ(ev("score.security > 0", c), "unknown");  // abstained
  EXPECT_EQ(ev("score.security > 0 or score.cost > 0", c), "true");
  EXPECT_EQ(ev("total >= 0.2", c), "true");
  EXPECT_EQ(ev("total == 0"), "true");
  EXPECT_EQ(ev("total >= 0.25 and total <= 0.25", c), "true");
}

TEST(ConditionLogic, Functions) {
  EXPECT_EQ(ev("min(3, 1, 2) == 1"), "true");
  EXPECT_EQ(ev("max(3, 1, 2) == 3"), "true");
  EXPECT_EQ(ev("min(-3) == -3 and max(4) == 4"), "true");
  EXPECT_EQ(ev("abs(-2.5) == 2.5 and abs(2.5) == 2.5 and abs(0) == 0"), "true");
  EXPECT_EQ(ev("min(cost.hours, 10) == 5", CaseFacts().num("cost.hours", 5)), "true");
  EXPECT_EQ(ev("max(cost.hours, 10) > 0"), "unknown");
  EXPECT_EQ(ev("min(10, cost.hours) > 0"), "unknown");
  EXPECT_EQ(ev("abs(cost.hours) > 0"), "unknown");
  EXPECT_EQ(ev("abs(cost.hours - cost.internal_rate) < 1", CaseFacts().num("cost.hours", 5).num("cost.internal_rate", 5.5)),
            "true");
  EXPECT_EQ(ev("max(1 / 0, 2) > 0"), "unknown");
  EXPECT_EQ(ev("max(min(1, 2), abs(-3)) == 3"), "true");
}

TEST(ConditionLogic, Strings) {
  EXPECT_EQ(ev(R"(test.free == "a\"b")", CaseFacts().str("test.free", "a\"b")), "true");
  EXPECT_EQ(ev(R"(test.free == 'a\'b')", CaseFacts().str("test.free", "a'b")), "true");
  EXPECT_EQ(ev(R"(test.free == "it's")", CaseFacts().str("test.free", "it's")), "true");
  EXPECT_EQ(ev(R"(test.free == 'say "hi"')", CaseFacts().str("test.free", "say \"hi\"")), "true");
  EXPECT_EQ(ev(R"(test.free == "back\\slash")", CaseFacts().str("test.free", "back\\slash")), "true");
  EXPECT_EQ(ev(R"(test.free == "line\nbreak\ttab")", CaseFacts().str("test.free", "line\nbreak\ttab")), "true");
  EXPECT_EQ(ev(R"(test.free == "")", CaseFacts().str("test.free", "")), "true");
  EXPECT_EQ(ev(R"(test.free == "")", CaseFacts().str("test.free", "x")), "false");
  EXPECT_EQ(ev(R"(test.free == "high")", CaseFacts().str("test.free", "hig")), "false");
  EXPECT_EQ(ev(R"(test.free == 'x' and "x" == test.free)", CaseFacts().str("test.free", "x")), "true");
  EXPECT_EQ(ev(R"(security.system_access == 'back_office')", CaseFacts().str("security.system_access", "back_office")), "true");
}

// ---------------------------------------------------------------- errors

TEST(ConditionErrors, Syntax) {
  EXPECT_ERROR("", "empty condition", 0);
  EXPECT_ERROR("   \n", "empty condition", 0);
  EXPECT_ERROR("control.core_competence and", "expected an expression after 'and'", 27);
  EXPECT_ERROR("control.core_competence and )", "expected an expression after 'and', found ')'", 28);
  EXPECT_ERROR("control.core_competence or", "expected an expression after 'or'", 26);
  EXPECT_ERROR("not", "expected an expression after 'not'", 3);
  EXPECT_ERROR("1 ==", "expected an expression after '=='", 4);
  EXPECT_ERROR("1 + * 2 > 0", "expected an expression after '+', found '*'", 4);
  EXPECT_ERROR("and true", "expected an expression, found 'and'", 0);
  EXPECT_ERROR("(1 < 2))", "unexpected ')' (no matching '(')", 7);
  EXPECT_ERROR(") or true", "unexpected ')' (no matching '(')", 0);
  EXPECT_ERROR("(1 < 2", "expected ')' to close '('", 6);
  EXPECT_ERROR("(1 < 2 true", "expected ')' to close '(', found 'true'", 7);
  EXPECT_ERROR("((1 < 2) and true", "expected ')' to close '('", 17);
  EXPECT_ERROR("1 < 2 3", "unexpected '3' after the end of the expression", 6);
  EXPECT_ERROR("true false", "unexpected 'false' after the end of the expression", 5);
  EXPECT_ERROR("1 < 2 < 3", "comparisons cannot be chained: use 'and', e.g. a < b and b < c", 6);
  EXPECT_ERROR("cost.hours in [1] in [true]", "comparisons cannot be chained: use 'and', e.g. a < b and b < c", 18);
  EXPECT_ERROR("cost.hours in 1", "expected a list [...] after 'in', found '1'", 14);
  EXPECT_ERROR("cost.hours in", "expected a list [...] after 'in'", 13);
  EXPECT_ERROR("cost.hours in [1, 2", "expected ',' or ']' in the list", 19);
  EXPECT_ERROR("cost.hours in [1 2]", "expected ',' or ']' in the list, found '2'", 17);
  EXPECT_ERROR("cost.hours in [1,]", "expected an expression after ',', found ']'", 17);
  EXPECT_ERROR("[1] == 1", "a list [...] can only follow 'in'", 0);
  EXPECT_ERROR("1 = 1", "unexpected '=' (did you mean '=='?)", 2);
  EXPECT_ERROR("!control.core_competence", "unexpected '!' (use 'not' to negate, '!=' for inequality)", 0);
  EXPECT_ERROR("true && false", "unexpected '&&' (use 'and')", 5);
  EXPECT_ERROR("true || false", "unexpected '||' (use 'or')", 5);
  EXPECT_ERROR("1 @ 2", "unexpected character '@'", 2);
  EXPECT_ERROR("1 < 2 \x01", "unexpected byte 0x01", 6);
  // Problems are reported in the order they appear in the text.
  EXPECT_ERROR("true and and \"unterminated", "expected an expression after 'and', found 'and'", 9);
  EXPECT_ERROR(R"(control.institutional_knowledge > (1 +))",
               "'>' needs numbers on both sides, but control.institutional_knowledge is a string (strings can "
               "only be compared with == and !=)",
               0);
  EXPECT_ERROR("test.free == \xE2\x80\x9Cx\xE2\x80\x9D",
               "unexpected character '\xE2\x80\x9C' (use a straight quote \" or ')", 13);
}

TEST(ConditionErrors, Tokens) {
  EXPECT_ERROR(R"(test.free == "abc)", "unterminated string", 13);
  EXPECT_ERROR(R"(test.free == 'abc")", "unterminated string", 13);
  EXPECT_ERROR(R"(test.free == "abc\)", "unterminated string", 13);
  EXPECT_ERROR(R"(test.free == "a\qb")", R"(unknown escape '\q' in string (known: \" \' \\ \n \t))", 15);
  EXPECT_ERROR("1.2.3 > 0", "invalid number '1.2.3'", 0);
  EXPECT_ERROR("cost.hours > 1. ", "invalid number '1.'", 13);
  EXPECT_ERROR("2x > 1", "invalid number '2x'", 0);
  EXPECT_ERROR("1e > 1", "invalid number '1e'", 0);
  EXPECT_ERROR("1e999 > 0", "number out of range '1e999'", 0);
  EXPECT_ERROR("cost. > 1", "expected a name after '.' in 'cost.'", 4);
  EXPECT_ERROR("cost.hours. > 1", "expected a name after '.' in 'cost.hours.'", 10);
}

TEST(ConditionErrors, Names) {
  EXPECT_ERROR(R"(security.sytem_acess == "back_office")",
               "unknown name 'security.sytem_acess' (did you mean 'security.system_access'?)", 0);
  EXPECT_ERROR("1 < completely.different.name", "unknown name 'completely.different.name'", 4);
  EXPECT_ERROR("score.cots > 0", "unknown name 'score.cots' (did you mean 'score.cost'?)", 0);
  EXPECT_ERROR("exists(cost.hour)", "unknown name 'cost.hour' (did you mean 'cost.hours'?)", 7);
  EXPECT_ERROR("true AND false", "unexpected 'AND' after the end of the expression", 5);
  EXPECT_ERROR("true and NOT", "unknown name 'NOT' (keywords are lowercase: 'not')", 9);
  EXPECT_ERROR("max > 1", "unknown name 'max' (max is a function: max(...))", 0);
}

TEST(ConditionErrors, Functions) {
  EXPECT_ERROR("maxx(1, 2) > 1", "unknown function 'maxx' (did you mean 'max'?)", 0);
  EXPECT_ERROR("true and exist(cost.hours)", "unknown function 'exist' (did you mean 'exists'?)", 9);
  EXPECT_ERROR("MIN(1) > 0", "unknown function 'MIN' (did you mean 'min'?)", 0);
  EXPECT_ERROR("average(1, 2) > 0", "unknown function 'average' (functions: exists, min, max, abs)", 0);
  EXPECT_ERROR("exists(1)", "'exists' takes a name, e.g. exists(cost.hours)", 7);
  EXPECT_ERROR("exists(cost.hours + 1)", "'exists' takes a name, e.g. exists(cost.hours)", 7);
  EXPECT_ERROR("exists()", "'exists' takes one name, e.g. exists(cost.hours)", 7);
  EXPECT_ERROR("exists(cost.hours, cost.internal_rate)", "'exists' takes exactly one name", 19);
  EXPECT_ERROR("abs(1, 2) > 0", "'abs' takes exactly one argument", 7);
  EXPECT_ERROR("min() > 0", "'min' needs at least one argument", 4);
  EXPECT_ERROR("max(1,) > 0", "expected an expression after ',', found ')'", 6);
  EXPECT_ERROR("max(1 2) > 0", "expected ',' or ')' in the arguments of 'max', found '2'", 6);
  EXPECT_ERROR("max(1", "expected ',' or ')' in the arguments of 'max'", 5);
}

TEST(ConditionErrors, Types) {
  EXPECT_ERROR("control.institutional_knowledge == 1",
               "cannot compare string fact control.institutional_knowledge with a number", 35);
  EXPECT_ERROR("1 == control.institutional_knowledge",
               "cannot compare a number with string fact control.institutional_knowledge", 5);
  EXPECT_ERROR("control.core_competence != 1", "cannot compare bool fact control.core_competence with a number", 27);
  EXPECT_ERROR(R"(score.cost == "x")", "cannot compare score.cost (a number) with a string", 14);
  EXPECT_ERROR("cost.hours == test.free", "cannot compare number fact cost.hours with string fact test.free", 14);
  EXPECT_ERROR(R"(control.institutional_knowledge < "high")",
               "'<' needs numbers on both sides, but control.institutional_knowledge is a string (strings can "
               "only be compared with == and !=)",
               0);
  EXPECT_ERROR(R"(1 >= "a")",
               "'>=' needs numbers on both sides, but \"a\" is a string (strings can only be compared with == and !=)",
               5);
  EXPECT_ERROR("true > false", "'>' needs numbers on both sides, but true is a bool", 0);
  EXPECT_ERROR("cost.hours and true", "'and' needs true/false on both sides, but cost.hours is a number", 0);
  EXPECT_ERROR("true or cost.hours + 1", "'or' needs true/false on both sides, but 'cost.hours + 1' is a number", 8);
  EXPECT_ERROR("not cost.hours", "'not' needs true/false, but cost.hours is a number", 4);
  EXPECT_ERROR(R"(cost.hours + "x" > 1)", "'+' needs numbers, but \"x\" is a string", 13);
  EXPECT_ERROR("control.core_competence * 2 > 1", "'*' needs numbers, but control.core_competence is a bool", 0);
  EXPECT_ERROR("-control.core_competence", "'-' needs a number, but control.core_competence is a bool", 1);
  EXPECT_ERROR(R"(min(1, "a") > 0)", "'min' needs numbers, but \"a\" is a string", 7);
  EXPECT_ERROR("abs(true) > 0", "'abs' needs a number, but true is a bool", 4);
  EXPECT_ERROR("exists(cost.hours) + 1 > 0", "'+' needs numbers, but 'exists(cost.hours)' is a bool", 0);
  EXPECT_ERROR(R"(control.institutional_knowledge in ["high", 1])",
               "cannot compare string fact control.institutional_knowledge with a number", 44);
  EXPECT_ERROR("cost.hours in [1, true]", "cannot compare number fact cost.hours with a bool", 18);
  // The whole condition must be a bool.
  EXPECT_ERROR("cost.hours", "the condition must be true or false, but cost.hours is a number (is a comparison missing?)",
               0);
  EXPECT_ERROR("cost.hours + 1",
               "the condition must be true or false, but 'cost.hours + 1' is a number (is a comparison missing?)", 0);
  EXPECT_ERROR(R"("yes")", "the condition must be true or false, but \"yes\" is a string (is a comparison missing?)", 0);
}

TEST(ConditionErrors, AllowedValues) {
  EXPECT_ERROR(R"(control.institutional_knowledge == "hgh")",
               R"(control.institutional_knowledge is never "hgh" (did you mean "high"? allowed: low, medium, high))", 35);
  EXPECT_ERROR(R"("hgh" != control.institutional_knowledge)",
               R"(control.institutional_knowledge is never "hgh" (did you mean "high"? allowed: low, medium, high))", 0);
  EXPECT_ERROR(R"(control.institutional_knowledge in ["medium", "High"])",
               R"(control.institutional_knowledge is never "High" (did you mean "high"? allowed: low, medium, high))", 46);
  EXPECT_ERROR(R"("backoffice" in [security.system_access])",
               R"(security.system_access is never "backoffice" (did you mean "back_office"? allowed: none, front_office, back_office))", 0);
  // A fact without an allowed list takes any string.
  EXPECT_NO_THROW(compile(R"(test.free == "anything" and test.free in ["a", "b"])"));
  // Comparing two facts is not checked against the lists.
  EXPECT_NO_THROW(compile("control.institutional_knowledge == control.change_frequency"));
}

TEST(ConditionErrors, Nesting) {
  std::string deep(150, '(');
  deep += "true" + std::string(150, ')');
  Error e = error_of(deep);
  EXPECT_NE(e.message.find("nested too deeply"), std::string::npos) << e.message;
  std::string nots;
  for (int i = 0; i < 150; ++i) nots += "not ";
  e = error_of(nots + "true");
  EXPECT_NE(e.message.find("nested too deeply"), std::string::npos) << e.message;
  std::string sum = "0";
  for (int i = 0; i < 150; ++i) sum += " + 1";
  e = error_of(sum + " > 0");
  EXPECT_NE(e.message.find("nested too deeply"), std::string::npos) << e.message;
  // Reasonable nesting is fine, and a long `and` chain is flat.
  EXPECT_EQ(ev("((((((((((true))))))))))"), "true");
  std::string chain = "true";
  for (int i = 0; i < 500; ++i) chain += " and true";
  EXPECT_EQ(ev(chain), "true");
}

// ---------------------------------------------------------------- metadata

std::vector<uint32_t> slots(std::initializer_list<const char*> ns) {
  std::vector<uint32_t> out;
  for (const char* n : ns) out.push_back(names().slot(n));
  return out;
}

TEST(ConditionMeta, FactsRead) {
  EXPECT_EQ(compile(kBackOffice).facts_read(), slots({"security.system_access", "security.vendor_certified"}));
  EXPECT_EQ(compile(kFullyBooked).facts_read(), slots({"capacity.utilization", "control.institutional_knowledge"}));
  EXPECT_EQ(compile("capacity.utilization > 0 and (cost.hours > 1 or cost.hours < 0 or exists(cost.transition)) "
                    "and score.cost > 0 and total > 0")
                .facts_read(),
            slots({"cost.hours", "cost.transition", "capacity.utilization"}));
  EXPECT_TRUE(compile("1 < 2 and score.cost > 0 and total > 0").facts_read().empty());
  EXPECT_EQ(compile("min(training.external_ramp_weeks, cost.hours) > 0").facts_read(),
            slots({"cost.hours", "training.external_ramp_weeks"}));
}

TEST(ConditionMeta, EqualityKey) {
  auto key = compile(kBackOffice).equality_key();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->slot, names().slot("security.system_access"));
  EXPECT_EQ(key->value, "back_office");
  key = compile(kRestricted).equality_key();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->slot, names().slot("legal.vendor_jurisdiction"));
  EXPECT_EQ(key->value, "foreign");
  EXPECT_FALSE(compile(kFullyBooked).equality_key());
  // Either order, single term.
  key = compile(R"("foreign" == legal.vendor_jurisdiction)").equality_key();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->slot, names().slot("legal.vendor_jurisdiction"));
  EXPECT_EQ(key->value, "foreign");
  // Inside a nested conjunction, after other terms.
  key = compile(R"(cost.hours > 1 and (control.core_competence and security.system_access == "none"))").equality_key();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->slot, names().slot("security.system_access"));
  EXPECT_EQ(key->value, "none");
  key = compile(R"((test.free == "a" or test.free == "b") and legal.vendor_jurisdiction == "treaty")").equality_key();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->slot, names().slot("legal.vendor_jurisdiction"));
  EXPECT_EQ(key->value, "treaty");
  // Not under or / not, not !=, not fact == fact, not a number fact.
  EXPECT_FALSE(compile(R"(test.free == "a" or true)").equality_key());
  EXPECT_FALSE(compile(R"(not (test.free == "a"))").equality_key());
  EXPECT_FALSE(compile(R"(test.free != "a")").equality_key());
  EXPECT_FALSE(compile("test.free == security.system_access").equality_key());
  EXPECT_FALSE(compile("cost.hours == 1").equality_key());
  EXPECT_FALSE(compile(R"("a" == "a")").equality_key());
  // A string default equal to the literal matches a case without the value.
  EXPECT_FALSE(compile(R"(test.label == "unset")").equality_key());
  key = compile(R"(test.label == "x")").equality_key();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->value, "x");
  // Escapes are resolved in the key.
  key = compile(R"(test.free == "a\"b")").equality_key();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->value, "a\"b");
}

TEST(ConditionMeta, CopyAndMove) {
  CaseFacts c = CaseFacts().str("security.system_access", "back_office");
  Condition copy;
  {
    Condition orig = compile(kBackOffice);
    copy = orig;
    Condition copied(orig);
    EXPECT_EQ(copied.evaluate(c.input()), Tri::kTrue);
    Condition moved(std::move(orig));
    EXPECT_EQ(moved.evaluate(c.input()), Tri::kTrue);
    EXPECT_EQ(moved.text(), kBackOffice);
  }
  EXPECT_EQ(copy.evaluate(c.input()), Tri::kTrue);
  EXPECT_EQ(copy.text(), kBackOffice);
  ASSERT_TRUE(copy.equality_key());
  EXPECT_EQ(copy.equality_key()->value, "back_office");
  Condition assigned;
  assigned = std::move(copy);
  EXPECT_EQ(assigned.evaluate(c.input()), Tri::kTrue);
  // A condition that holds nothing never matches.
  Condition empty;
  EXPECT_EQ(empty.evaluate(c.input()), Tri::kUnknown);
  EXPECT_EQ(empty.text(), "");
  EXPECT_TRUE(empty.facts_read().empty());
  EXPECT_FALSE(empty.equality_key());
  std::vector<TraceStep> steps;
  EXPECT_EQ(empty.trace(c.input(), &steps), Tri::kUnknown);
  EXPECT_TRUE(steps.empty());
}

// ---------------------------------------------------------------- trace

void expect_step(const TraceStep& s, const std::string& text, int depth, const std::string& outcome,
                 const std::string& missing = "") {
  EXPECT_EQ(s.text, text);
  EXPECT_EQ(s.depth, depth) << text;
  EXPECT_EQ(s.outcome, outcome) << text;
  EXPECT_EQ(s.missing, missing) << text;
}

TEST(ConditionTrace, BackOffice) {
  Condition cond = compile(kBackOffice);
  std::vector<TraceStep> steps;
  EXPECT_EQ(cond.trace(CaseFacts().str("security.system_access", "back_office").input(), &steps), Tri::kTrue);
  ASSERT_EQ(steps.size(), 6u);
  expect_step(steps[0], kBackOffice, 0, "true");
  expect_step(steps[1], R"(security.system_access == "back_office")", 1, "true");
  expect_step(steps[2], "security.system_access", 2, R"("back_office")");
  expect_step(steps[3], R"("back_office")", 2, R"("back_office")");
  expect_step(steps[4], "not security.vendor_certified", 1, "true");
  expect_step(steps[5], "security.vendor_certified", 2, "false");  // its default
  EXPECT_EQ(steps[0].offset, 0u);
  EXPECT_EQ(steps[3].offset, 26u);
  EXPECT_EQ(steps[4].offset, 44u);
  EXPECT_EQ(steps[5].offset, 48u);

  // A false first operand decides the `and`: the rest is not evaluated.
  EXPECT_EQ(cond.trace(CaseFacts().str("security.system_access", "front_office").input(), &steps), Tri::kFalse);
  ASSERT_EQ(steps.size(), 6u);
  expect_step(steps[0], kBackOffice, 0, "false");
  expect_step(steps[1], R"(security.system_access == "back_office")", 1, "false");
  expect_step(steps[2], "security.system_access", 2, R"("front_office")");
  expect_step(steps[4], "not security.vendor_certified", 1, "not evaluated");
  expect_step(steps[5], "security.vendor_certified", 2, "not evaluated");

  // Unknown: the step says which name was missing.
  EXPECT_EQ(cond.trace(CaseFacts().input(), &steps), Tri::kUnknown);
  ASSERT_EQ(steps.size(), 6u);
  expect_step(steps[0], kBackOffice, 0, "unknown", "security.system_access");
  expect_step(steps[1], R"(security.system_access == "back_office")", 1, "unknown", "security.system_access");
  expect_step(steps[2], "security.system_access", 2, "unknown", "security.system_access");
  expect_step(steps[3], R"("back_office")", 2, "not evaluated");
  expect_step(steps[4], "not security.vendor_certified", 1, "true");
}

TEST(ConditionTrace, FullyBooked) {
  Condition cond = compile(kFullyBooked);
  std::vector<TraceStep> steps;
  EXPECT_EQ(cond.trace(CaseFacts().num("capacity.utilization", 0.95).str("control.institutional_knowledge", "medium").input(),
                       &steps),
            Tri::kTrue);
  ASSERT_EQ(steps.size(), 8u);
  expect_step(steps[0], kFullyBooked, 0, "true");
  expect_step(steps[1], "capacity.utilization >= 0.9", 1, "true");
  expect_step(steps[2], "capacity.utilization", 2, "0.95");
  expect_step(steps[3], "0.9", 2, "0.9");
  expect_step(steps[4], R"(control.institutional_knowledge in ["medium", "high"])", 1, "true");
  expect_step(steps[5], "control.institutional_knowledge", 2, R"("medium")");
  expect_step(steps[6], R"("medium")", 2, R"("medium")");
  expect_step(steps[7], R"("high")", 2, "not evaluated");  // found at "medium"

  EXPECT_EQ(cond.trace(CaseFacts().str("control.institutional_knowledge", "high").input(), &steps), Tri::kUnknown);
  ASSERT_EQ(steps.size(), 8u);
  expect_step(steps[0], kFullyBooked, 0, "unknown", "capacity.utilization");
  expect_step(steps[1], "capacity.utilization >= 0.9", 1, "unknown", "capacity.utilization");
  expect_step(steps[2], "capacity.utilization", 2, "unknown", "capacity.utilization");
  expect_step(steps[4], R"(control.institutional_knowledge in ["medium", "high"])", 1, "true");
  expect_step(steps[7], R"("high")", 2, R"("high")");
}

TEST(ConditionTrace, ValuesAndReasons) {
  std::vector<TraceStep> steps;
  Condition div = compile("cost.hours / 0 > 1");
  EXPECT_EQ(div.trace(CaseFacts().num("cost.hours", 12).input(), &steps), Tri::kUnknown);
  ASSERT_EQ(steps.size(), 5u);
  expect_step(steps[0], "cost.hours / 0 > 1", 0, "unknown", "division by zero");
  expect_step(steps[1], "cost.hours / 0", 1, "unknown", "division by zero");
  expect_step(steps[2], "cost.hours", 2, "12");
  expect_step(steps[3], "0", 2, "0");
  expect_step(steps[4], "1", 1, "not evaluated");

  // Parentheses are not steps; a function call and a negative literal are.
  Condition fn = compile("(max(score.cost, -0.5) > 0.25) or exists(score.cost)");
  EXPECT_EQ(fn.trace(CaseFacts().score(0, 0.3).input(), &steps), Tri::kTrue);
  ASSERT_EQ(steps.size(), 7u);
  expect_step(steps[0], "(max(score.cost, -0.5) > 0.25) or exists(score.cost)", 0, "true");
  expect_step(steps[1], "max(score.cost, -0.5) > 0.25", 1, "true");
  expect_step(steps[2], "max(score.cost, -0.5)", 2, "0.3");
  expect_step(steps[3], "score.cost", 3, "0.3");
  expect_step(steps[4], "-0.5", 3, "-0.5");
  expect_step(steps[5], "0.25", 2, "0.25");
  expect_step(steps[6], "exists(score.cost)", 1, "not evaluated");
  EXPECT_EQ(steps[1].offset, 1u);

  EXPECT_EQ(fn.trace(CaseFacts().input(), &steps), Tri::kUnknown);  // unknown or false
  ASSERT_EQ(steps.size(), 7u);
  expect_step(steps[1], "max(score.cost, -0.5) > 0.25", 1, "unknown", "score.cost");
  expect_step(steps[3], "score.cost", 3, "unknown", "score.cost");
  expect_step(steps[0], "(max(score.cost, -0.5) > 0.25) or exists(score.cost)", 0, "unknown", "score.cost");
  expect_step(steps[6], "exists(score.cost)", 1, "false");

  // An unknown `in` element is reported when nothing matched.
  Condition in = compile(R"(control.institutional_knowledge in [control.change_frequency, "high"])");
  EXPECT_EQ(in.trace(CaseFacts().str("control.institutional_knowledge", "low").input(), &steps), Tri::kUnknown);
  ASSERT_EQ(steps.size(), 4u);
  expect_step(steps[0], R"(control.institutional_knowledge in [control.change_frequency, "high"])", 0, "unknown",
              "control.change_frequency");
  expect_step(steps[1], "control.institutional_knowledge", 1, R"("low")");
  expect_step(steps[2], "control.change_frequency", 1, "unknown", "control.change_frequency");
  expect_step(steps[3], R"("high")", 1, R"("high")");

  // `or` with an unknown and a false operand: unknown, because of the first.
  Condition orc = compile("control.core_competence or legal.regulated");
  EXPECT_EQ(orc.trace(CaseFacts().flag("legal.regulated", false).input(), &steps), Tri::kUnknown);
  expect_step(steps[0], "control.core_competence or legal.regulated", 0, "unknown", "control.core_competence");

  // Trace without steps still evaluates.
  EXPECT_EQ(orc.trace(CaseFacts().flag("legal.regulated", true).input(), nullptr), Tri::kTrue);
}

// ---------------------------------------------------------------- consistency

// evaluate() (with fused opcodes) and trace() (generic opcodes) must agree on
// every case; random cases over conditions that use every operator.
TEST(ConditionConsistency, EvaluateMatchesTrace) {
  const char* conds[] = {
      kBackOffice,
      kRestricted,
      kFullyBooked,
      "cost.hours > 2 and 3 >= cost.internal_rate or not (cost.hours == cost.internal_rate)",
      "cost.opportunity_rate < 2 or cost.transition / cost.hours >= 1",
      R"(test.label == "unset" or test.free != "a" and test.free in ["b", test.label])",
      "min(cost.hours, cost.internal_rate, 2) * -1 + abs(cost.external_rate) - max(score.cost, total) > 0",
      "exists(cost.hours) and (control.core_competence == control.customer_facing or test.flag in [false])",
      "score.cost / score.control < 1 or exists(score.legal) or not control.core_competence",
      R"(security.system_access != "none" and "high" == training.complexity)",
      "2 > cost.hours or 1 <= cost.internal_rate and 0 != cost.external_rate",
      "3 >= cost.hours and -1 < capacity.utilization",
  };
  const char* strs[] = {"none", "back_office", "front_office", "foreign", "restricted", "medium", "high", "low",
                        "unset", "a", "b"};
  std::mt19937 rng(12345);
  for (const char* text : conds) {
    Condition cond = compile(text);
    std::vector<TraceStep> steps;
    int seen[3] = {0, 0, 0};
    for (int iter = 0; iter < 3000; ++iter) {
      CaseFacts c;
      for (size_t s = 0; s < c.facts.size(); ++s) {
        if (rng() % 3 == 0) continue;  // absent
        switch (s) {
          case 0: case 1: case 2: case 3: case 4: case 5: case 18: case 19: case 23:
            c.facts[s] = insource::make_number(static_cast<double>(rng() % 5) - 1.0);
            break;
          case 7: case 8: case 12: case 14: case 15: case 17: case 21:
            c.facts[s] = insource::make_bool(rng() % 2);
            break;
          default:
            c.facts[s] = insource::make_string(strs[rng() % (sizeof strs / sizeof *strs)]);
        }
      }
      for (int k = 0; k < 5; ++k)
        if (rng() % 3) c.score(k, static_cast<double>(rng() % 5) / 2.0 - 1.0);
      c.total = static_cast<double>(rng() % 5) / 2.0 - 1.0;
      Tri r = cond.evaluate(c.input());
      ASSERT_STREQ(insource::tri_name(cond.trace(c.input(), &steps)), insource::tri_name(r)) << text;
      ASSERT_EQ(steps[0].outcome, insource::tri_name(r));
      seen[static_cast<int>(r)]++;
    }
    // Every condition reaches each outcome at least once (a meaningful test).
    EXPECT_GT(seen[0], 0) << text;
    EXPECT_GT(seen[1], 0) << text;
  }
}

}  // namespace
