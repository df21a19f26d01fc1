#!/usr/bin/env python3
"""Independent reference implementation of docs/criteria.md (default policy).

Written apart from the C++ code, to check the engine against it: case facts (nested maps
flatten to dotted names), the five built-in criteria, abstentions, the weighted vote with
renormalisation over the voters, the three default overrides with three-valued logic, and
the thresholds with their 1e-9 allowance. Python 3, standard library only.

    from reference import decide
    decide({"id": "x", "facts": {"cost": {"hours": 10, ...}}})
    -> {"id", "verdict", "total", "rule",
        "criteria": {name: {"weight", "score", "contribution"} or {"weight", "abstained": True}}}
"""
import math

# ---------------------------------------------------------------- defaults (docs/criteria.md)

WEIGHTS = {"cost": 0.30, "control": 0.25, "security": 0.20, "legal": 0.15, "training": 0.10}
PARAMS = {"cost": {"vendor_overhead": 0.10}, "security": {"certified_discount": 0.5}}
THRESHOLDS = {"insource": 0.20, "outsource": -0.20}
EPS = 1e-9  # the allowance on both threshold comparisons

LOW_MED_HIGH = {"low": 0.0, "medium": 0.5, "high": 1.0}
ACCESS = {"none": 0.0, "front_office": 0.5, "back_office": 1.0}
SENSITIVITY = {"public": 0.0, "internal": 1.0 / 3.0, "confidential": 2.0 / 3.0, "restricted": 1.0}
JURISDICTION = {"domestic": 0.0, "treaty": 0.5, "foreign": 1.0}

# fact name -> (type, level map for strings or lower bound for numbers, strict lower bound)
NUM, STR, BOOL = "number", "string", "bool"
FACTS = {
    "cost.hours": (NUM, 0.0, True),
    "cost.internal_rate": (NUM, 0.0, False),
    "cost.external_rate": (NUM, 0.0, False),
    "cost.opportunity_rate": (NUM, 0.0, False),
    "cost.transition": (NUM, 0.0, False),
    "capacity.utilization": (NUM, 0.0, False),
    "control.institutional_knowledge": (STR, LOW_MED_HIGH, None),
    "control.core_competence": (BOOL, None, None),
    "control.customer_facing": (BOOL, None, None),
    "control.change_frequency": (STR, LOW_MED_HIGH, None),
    "security.system_access": (STR, ACCESS, None),
    "security.data_sensitivity": (STR, SENSITIVITY, None),
    "security.vendor_certified": (BOOL, None, None),
    "legal.vendor_jurisdiction": (STR, JURISDICTION, None),
    "legal.regulated": (BOOL, None, None),
    "legal.ip_sensitive": (BOOL, None, None),
    "training.complexity": (STR, LOW_MED_HIGH, None),
    "training.expertise_in_house": (BOOL, None, None),
    "training.internal_ramp_weeks": (NUM, 0.0, False),
    "training.external_ramp_weeks": (NUM, 0.0, False),
}
DEFAULTS = {"cost.opportunity_rate": 0.0, "cost.transition": 0.0, "security.vendor_certified": False}


class CaseError(ValueError):
    """A case that docs/criteria.md says must be rejected (bad fact shape or a missing required fact)."""


# ---------------------------------------------------------------- facts

def flatten(facts, prefix=""):
    """Nested maps flatten to dotted names: {"cost": {"hours": 10}} -> {"cost.hours": 10}."""
    out = {}
    for key, value in facts.items():
        name = prefix + key
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def check_facts(case_id, facts):
    """Reject the shapes docs/criteria.md section 1 calls errors; return the flat facts."""
    for name, value in facts.items():
        spec = FACTS.get(name)
        if spec is None:
            continue  # not a fact of the default policy; the reference ignores it
        kind, domain, strict = spec
        where = "case %r, fact %s" % (case_id, name)
        if kind == NUM:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise CaseError("%s: expected a number, got %r" % (where, value))
            if not math.isfinite(value):
                raise CaseError("%s: not finite" % where)
            if value < domain or (strict and value == domain):
                raise CaseError("%s: %r out of range" % (where, value))
        elif kind == BOOL:
            if not isinstance(value, bool):
                raise CaseError("%s: expected a bool, got %r" % (where, value))
        else:
            if not isinstance(value, str) or value not in domain:
                raise CaseError("%s: expected one of %s, got %r" % (where, sorted(domain), value))
    return facts


def level(facts, name):
    """The fact as a number in [0, 1] (levels and bools), or None when absent."""
    if name not in facts:
        return None
    value = facts[name]
    kind, domain, _ = FACTS[name]
    if kind == BOOL:
        return 1.0 if value else 0.0
    if kind == STR:
        return domain[value]
    return float(value)


def rel(a, b):
    """rel(a, b) = (a - b) / max(a, b), and 0 where both are 0."""
    if a == 0 and b == 0:
        return 0.0
    return (a - b) / max(a, b)


def clamp(x):
    return max(-1.0, min(1.0, x))


def mean(values):
    return sum(values) / len(values)


def present(facts, names):
    return [level(facts, n) for n in names if n in facts]


# ---------------------------------------------------------------- the five criteria
# Each returns a score in [-1, +1], or None to abstain.

def cost(facts, vendor_overhead=PARAMS["cost"]["vendor_overhead"]):
    names = ["cost.hours", "cost.internal_rate", "cost.external_rate",
             "cost.opportunity_rate", "cost.transition"]
    if not any(n in facts for n in names):
        return None
    for n in names[:3]:
        if n not in facts:
            raise CaseError("cost: required fact %s missing" % n)
    hours = float(facts["cost.hours"])
    internal_rate = float(facts["cost.internal_rate"])
    external_rate = float(facts["cost.external_rate"])
    opportunity = float(facts.get("cost.opportunity_rate", DEFAULTS["cost.opportunity_rate"]))
    transition = float(facts.get("cost.transition", DEFAULTS["cost.transition"]))
    internal = hours * (internal_rate + opportunity)
    external = hours * external_rate * (1 + vendor_overhead) + transition
    return clamp(rel(external, internal))


def control(facts):
    parts = present(facts, ["control.institutional_knowledge", "control.core_competence",
                            "control.customer_facing", "control.change_frequency"])
    if not parts:
        return None
    return 2 * mean(parts) - 1


def security(facts, certified_discount=PARAMS["security"]["certified_discount"]):
    parts = present(facts, ["security.system_access", "security.data_sensitivity"])
    if not parts:  # vendor_certified alone (or its default) does not make security vote
        return None
    risk = mean(parts)
    if facts.get("security.vendor_certified", DEFAULTS["security.vendor_certified"]):
        risk = risk * (1 - certified_discount)
    return risk


def legal(facts):
    parts = present(facts, ["legal.vendor_jurisdiction", "legal.regulated", "legal.ip_sensitive"])
    if not parts:
        return None
    return mean(parts)


def training(facts):
    parts = []
    if "training.internal_ramp_weeks" in facts and "training.external_ramp_weeks" in facts:
        parts.append(rel(float(facts["training.external_ramp_weeks"]),
                         float(facts["training.internal_ramp_weeks"])))
    if "training.expertise_in_house" in facts:
        parts.append(1.0 if facts["training.expertise_in_house"] else -1.0)
    if not parts:  # complexity alone, or one ramp time alone, is no component
        return None
    s = mean(parts)
    if "training.complexity" in facts:
        s = s * (0.5 + 0.5 * level(facts, "training.complexity"))
    return s


CRITERIA = {"cost": cost, "control": control, "security": security,
            "legal": legal, "training": training}


# ---------------------------------------------------------------- overrides (three-valued)
# True, False, or None for unknown. A condition that ends unknown does not match.

def fact(facts, name):
    """A fact's value, its declared default when absent, or None (missing)."""
    if name in facts:
        return facts[name]
    return DEFAULTS.get(name)


def cmp(value, op):
    return None if value is None else op(value)


def and3(a, b):
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def not3(a):
    return None if a is None else (not a)


OVERRIDES = [
    ("back-office-stays-in-house", "insource",
     lambda f: and3(cmp(fact(f, "security.system_access"), lambda v: v == "back_office"),
                    not3(fact(f, "security.vendor_certified")))),
    ("restricted-data-abroad", "insource",
     lambda f: and3(cmp(fact(f, "legal.vendor_jurisdiction"), lambda v: v == "foreign"),
                    cmp(fact(f, "security.data_sensitivity"), lambda v: v == "restricted"))),
    ("fully-booked-team", "outsource-then-insource",
     lambda f: and3(cmp(fact(f, "capacity.utilization"), lambda v: v >= 0.9),
                    cmp(fact(f, "control.institutional_knowledge"),
                        lambda v: v in ["medium", "high"]))),
]


# ---------------------------------------------------------------- the verdict

def decide(case):
    case_id = case.get("id")
    facts = check_facts(case_id, flatten(case.get("facts") or {}))

    criteria = {}
    voters = {}
    for name, fn in CRITERIA.items():
        score = fn(facts)
        if score is None:
            criteria[name] = {"weight": WEIGHTS[name], "abstained": True}
        else:
            assert -1.0 <= score <= 1.0, (name, score)
            voters[name] = score
            criteria[name] = {"weight": WEIGHTS[name], "score": score}

    wsum = sum(WEIGHTS[n] for n in voters)
    total = 0.0
    for name, score in voters.items():
        contribution = WEIGHTS[name] * score / wsum
        criteria[name]["contribution"] = contribution
        total += contribution

    rule = None
    verdict = None
    for rule_id, rule_verdict, when in OVERRIDES:
        if when(facts) is True:
            rule, verdict = rule_id, rule_verdict
            break
    if verdict is None:
        if not voters:
            verdict = "review"
        elif total >= THRESHOLDS["insource"] - EPS:
            verdict = "insource"
        elif total <= THRESHOLDS["outsource"] + EPS:
            verdict = "outsource"
        else:
            verdict = "hybrid"

    return {"id": case_id, "verdict": verdict, "total": total, "rule": rule, "criteria": criteria}


if __name__ == "__main__":
    import json
    import sys
    for line in (sys.stdin if len(sys.argv) < 2 else open(sys.argv[1])):
        if line.strip():
            print(json.dumps(decide(json.loads(line))))
