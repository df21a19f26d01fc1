#!/usr/bin/env python3
"""Check the insource engine against the independent reference (reference.py).

Usage: check_conformance.py --insource BIN --gen GEN_CASES_PY [--n 5000] [--seed S] [--flat]

Generates N cases with GEN_CASES_PY (run with this Python), appends the hand-made edge cases
below, writes them all to a temporary cases.jsonl, runs `BIN decide --format json cases.jsonl`
and compares every output line with reference.decide(): id order, verdict, rule (null when
the thresholds decided), total, each criterion's weight, score, abstention and contribution
(within 1e-9), and that the engine's contributions add up to its total. Prints the first
mismatches in detail and a summary line "N cases, M mismatches"; exits 1 on any mismatch or
when the engine exits non-zero.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

TOL = 1e-9

# Hand-made edge cases, appended to the generated ones. Each is (what it checks, case).
EDGE_CASES = [
    # No facts at all: every criterion abstains, total 0, verdict review, no rule.
    ("no facts -> review",
     {"id": "edge-no-facts", "facts": {}}),
    # security.vendor_certified alone: security abstains (it needs system_access or
    # data_sensitivity), so nobody votes -> review. Rule 1 is unknown (no system_access).
    ("only vendor_certified -> security abstains, review",
     {"id": "edge-only-certified", "facts": {"security": {"vendor_certified": True}}}),
    ("only vendor_certified=false -> review; rule 1 unknown, not matched",
     {"id": "edge-only-uncertified", "facts": {"security": {"vendor_certified": False}}}),
    # Cost with all rates zero: internal = external = 0, rel(0, 0) = 0 -> score 0, hybrid.
    ("cost with zero rates, defaults -> rel(0,0)=0",
     {"id": "edge-cost-zero", "facts": {"cost": {"hours": 10, "internal_rate": 0, "external_rate": 0}}}),
    ("cost with zero rates, explicit zero opportunity and transition",
     {"id": "edge-cost-zero-explicit", "facts": {"cost": {
         "hours": 10, "internal_rate": 0, "external_rate": 0, "opportunity_rate": 0, "transition": 0}}}),
    # Totals exactly on a threshold on paper, which doubles compute just on the wrong side
    # (0.19999999999999998, -0.19999999999999996): only the 1e-9 allowance gives the verdict.
    # cost: hours 1, in house 2/h, vendor 0/h + 3 transition -> rel(3, 2) = 1/3;
    # security: public, not certified -> 0.  (0.3 x 1/3 + 0.2 x 0) / 0.5 = 0.2 -> insource.
    ("total exactly +0.2 (cost+security) -> insource",
     {"id": "edge-threshold-in-2", "facts": {
         "cost": {"hours": 1, "internal_rate": 2, "external_rate": 0, "transition": 3},
         "security": {"data_sensitivity": "public"}}}),
    # cost: rel(0, 1) = -1; security: restricted, not certified -> 1.
    # (0.3 x -1 + 0.2 x 1) / 0.5 = -0.2 -> outsource.
    ("total exactly -0.2 (cost+security) -> outsource",
     {"id": "edge-threshold-out-2", "facts": {
         "cost": {"hours": 1, "internal_rate": 1, "external_rate": 0},
         "security": {"data_sensitivity": "restricted"}}}),
    # All five vote: cost rel(2, 1) = 0.5; control mean(low 0, core 1) = 0.5 -> 0;
    # security public, certified -> 0; legal foreign -> 1; training no expertise -> -1.
    # 0.3 x 0.5 + 0.15 x 1 - 0.1 x 1 = 0.2 (weights add to 1) -> insource.
    ("total exactly +0.2 (all five vote) -> insource",
     {"id": "edge-threshold-in-5", "facts": {
         "cost": {"hours": 1, "internal_rate": 1, "external_rate": 0, "transition": 2},
         "control": {"institutional_knowledge": "low", "core_competence": True},
         "security": {"data_sensitivity": "public", "vendor_certified": True},
         "legal": {"vendor_jurisdiction": "foreign"},
         "training": {"expertise_in_house": False}}}),
    # All five vote: cost rel(0, 1) = -1; control 0; security 0; legal domestic 0;
    # training expertise -> +1.  -0.3 + 0.1 = -0.2 -> outsource.
    ("total exactly -0.2 (all five vote) -> outsource",
     {"id": "edge-threshold-out-5", "facts": {
         "cost": {"hours": 1, "internal_rate": 1, "external_rate": 0, "transition": 0},
         "control": {"institutional_knowledge": "low", "core_competence": True},
         "security": {"data_sensitivity": "public", "vendor_certified": True},
         "legal": {"vendor_jurisdiction": "domestic"},
         "training": {"expertise_in_house": True}}}),
    # Override 1 with vendor_certified absent (default false, so `not` holds); the
    # weighted total alone would say outsource (cheap vendor), the rule says insource.
    ("override back-office-stays-in-house, vendor_certified absent",
     {"id": "edge-rule-back-office", "facts": {
         "cost": {"hours": 100, "internal_rate": 100, "external_rate": 10},
         "security": {"system_access": "back_office"}}}),
    # Same but certified: rule 1 does not match; the thresholds decide.
    ("back office but certified -> no override",
     {"id": "edge-rule-back-office-certified", "facts": {
         "cost": {"hours": 100, "internal_rate": 100, "external_rate": 10},
         "security": {"system_access": "back_office", "vendor_certified": True}}}),
    # Override 2: foreign vendor and restricted data (certified, front office: rule 1 cannot).
    ("override restricted-data-abroad",
     {"id": "edge-rule-restricted-abroad", "facts": {
         "cost": {"hours": 100, "internal_rate": 100, "external_rate": 10},
         "security": {"system_access": "front_office", "data_sensitivity": "restricted",
                      "vendor_certified": True},
         "legal": {"vendor_jurisdiction": "foreign"}}}),
    # Rule 2 with legal.vendor_jurisdiction missing: unknown -> no match.
    ("restricted data, jurisdiction missing -> no override",
     {"id": "edge-rule-restricted-unknown", "facts": {
         "security": {"data_sensitivity": "restricted", "vendor_certified": True},
         "legal": {"regulated": True}}}),
    # Override 3 at exactly utilization 0.9 (>=) with medium institutional knowledge.
    ("override fully-booked-team at utilization exactly 0.9",
     {"id": "edge-rule-fully-booked", "facts": {
         "cost": {"hours": 100, "internal_rate": 50, "external_rate": 100},
         "capacity": {"utilization": 0.9},
         "control": {"institutional_knowledge": "medium"}}}),
    # Rule 3 with capacity.utilization missing: unknown -> no match.
    ("high knowledge, utilization missing -> no override",
     {"id": "edge-rule-fully-booked-unknown", "facts": {
         "control": {"institutional_knowledge": "high", "core_competence": True}}}),
    # Rule 3 with low knowledge: false -> no match.
    ("fully booked, low knowledge -> no override",
     {"id": "edge-rule-fully-booked-low", "facts": {
         "capacity": {"utilization": 1.1},
         "control": {"institutional_knowledge": "low"}}}),
    # Rules 1 and 3 both hold: file order, rule 1 wins.
    ("rules 1 and 3 both hold -> first in file order",
     {"id": "edge-rule-order", "facts": {
         "capacity": {"utilization": 1.0},
         "control": {"institutional_knowledge": "high"},
         "security": {"system_access": "back_office", "vendor_certified": False}}}),
    # Training: complexity alone is no component -> abstains (nobody else votes -> review).
    ("training complexity alone -> abstains",
     {"id": "edge-training-complexity-only", "facts": {"training": {"complexity": "high"}}}),
    # Training: one ramp time without the other is no component -> abstains.
    ("training one ramp time only -> abstains",
     {"id": "edge-training-one-ramp", "facts": {
         "training": {"complexity": "low", "internal_ramp_weeks": 3},
         "legal": {"regulated": False}}}),
    # Training: both ramp times 0 -> rel(0, 0) = 0, votes 0 x (0.5 + 0.5 x 1).
    ("training ramps both 0 -> rel 0, votes",
     {"id": "edge-training-zero-ramps", "facts": {
         "training": {"complexity": "high", "internal_ramp_weeks": 0, "external_ramp_weeks": 0}}}),
    # Means over present components only: one control component, one security component.
    ("single components: control mean over 1, security mean over 1, certified discount",
     {"id": "edge-single-components", "facts": {
         "control": {"change_frequency": "high"},
         "security": {"system_access": "front_office", "vendor_certified": True}}}),
]


def engine_criteria_sum(criteria):
    return sum(c.get("contribution", 0.0) for c in criteria.values() if not c.get("abstained"))


def compare(eng, ref):
    """A list of human-readable differences between an engine line and the reference."""
    diffs = []
    if eng.get("id") != ref["id"]:
        diffs.append("id: engine %r, reference %r" % (eng.get("id"), ref["id"]))
    if eng.get("verdict") != ref["verdict"]:
        diffs.append("verdict: engine %r, reference %r" % (eng.get("verdict"), ref["verdict"]))
    if eng.get("rule") != ref["rule"]:
        diffs.append("rule: engine %r, reference %r" % (eng.get("rule"), ref["rule"]))
    total = eng.get("total")
    if not isinstance(total, (int, float)) or abs(total - ref["total"]) > TOL:
        diffs.append("total: engine %r, reference %r" % (total, ref["total"]))
    ecrit = eng.get("criteria") or {}
    if set(ecrit) != set(ref["criteria"]):
        diffs.append("criteria: engine %s, reference %s" % (sorted(ecrit), sorted(ref["criteria"])))
    for name, rc in ref["criteria"].items():
        ec = ecrit.get(name)
        if ec is None:
            continue
        if abs(ec.get("weight", float("nan")) - rc["weight"]) > TOL:
            diffs.append("%s.weight: engine %r, reference %r" % (name, ec.get("weight"), rc["weight"]))
        e_abs, r_abs = bool(ec.get("abstained", False)), bool(rc.get("abstained", False))
        if e_abs != r_abs:
            diffs.append("%s.abstained: engine %r, reference %r (reference score %r)"
                         % (name, e_abs, r_abs, rc.get("score")))
            continue
        if r_abs:
            if "score" in ec:
                diffs.append("%s: abstained but carries score %r" % (name, ec["score"]))
            continue
        for key in ("score", "contribution"):
            ev = ec.get(key)
            if not isinstance(ev, (int, float)) or abs(ev - rc[key]) > TOL:
                diffs.append("%s.%s: engine %r, reference %r" % (name, key, ev, rc[key]))
    if isinstance(total, (int, float)) and ecrit:
        s = engine_criteria_sum(ecrit)
        if abs(s - total) > TOL:
            diffs.append("engine contributions add up to %r, engine total %r" % (s, total))
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--insource", required=True, help="the insource binary")
    ap.add_argument("--gen", required=True, help="tools/gen_cases.py")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=2429)
    ap.add_argument("--flat", action="store_true", help="dotted fact names instead of nested maps")
    ap.add_argument("--show", type=int, default=5, help="mismatches to print in detail")
    a = ap.parse_args()

    gen_cmd = [sys.executable, a.gen, str(a.n), "--seed", str(a.seed)] + (["--flat"] if a.flat else [])
    generated = subprocess.run(gen_cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    cases = [json.loads(line) for line in generated.splitlines() if line.strip()]
    for _, edge in EDGE_CASES:
        edge = dict(edge)
        if a.flat:
            edge["facts"] = reference.flatten(edge["facts"])
        cases.append(edge)
    what = {edge["id"]: note for note, edge in EDGE_CASES}

    with tempfile.TemporaryDirectory(prefix="insource-conformance-") as tmp:
        path = os.path.join(tmp, "cases.jsonl")
        with open(path, "w") as f:
            for c in cases:
                f.write(json.dumps(c, separators=(",", ":")) + "\n")
        cmd = [a.insource, "decide", "--format", "json", path]
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    mismatches = []
    lines = [l for l in run.stdout.splitlines() if l.strip()]
    if run.returncode != 0:
        print("engine exited %d: %s" % (run.returncode, " ".join(cmd)))
        sys.stderr.write(run.stderr[-4000:])
    if len(lines) != len(cases):
        mismatches.append(("<batch>", ["engine printed %d lines for %d cases" % (len(lines), len(cases))]))
    for i, case in enumerate(cases):
        if i >= len(lines):
            break
        try:
            eng = json.loads(lines[i])
        except ValueError as e:
            mismatches.append((case["id"], ["line %d is not JSON (%s): %s" % (i + 1, e, lines[i][:200])]))
            continue
        try:
            ref = reference.decide(case)
        except reference.CaseError as e:
            mismatches.append((case["id"], ["reference rejects the case: %s" % e]))
            continue
        diffs = compare(eng, ref)
        if diffs:
            mismatches.append((case["id"], diffs, case, eng, ref))

    for m in mismatches[:a.show]:
        print("MISMATCH %s%s" % (m[0], "  (%s)" % what[m[0]] if m[0] in what else ""))
        for d in m[1]:
            print("  " + d)
        if len(m) > 2:
            print("  case:      " + json.dumps(m[2]["facts"], separators=(",", ":")))
            print("  engine:    " + json.dumps({k: v for k, v in m[3].items() if k != "criteria"}))
            print("  reference: " + json.dumps({k: v for k, v in m[4].items() if k != "criteria"}))
    print("%d cases, %d mismatches%s" % (len(cases), len(mismatches),
                                         "" if run.returncode == 0 else " (engine exit %d)" % run.returncode))
    sys.exit(1 if mismatches or run.returncode != 0 else 0)


if __name__ == "__main__":
    main()
