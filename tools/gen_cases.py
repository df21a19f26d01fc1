#!/usr/bin/python3
"""Generate sourcing cases for tests and benchmarks, the same ones for a seed.

    tools/gen_cases.py N [--seed S] [--form nested|flat|mixed] [--abstain P]
                         [--malformed P] [--format jsonl|yaml|csv] > cases.jsonl

Every fact of docs/criteria.md appears, each with every one of its levels (or
across its range, zero included where zero is allowed, for numbers). A share
of the criteria (--abstain, 0.15 by default) gets none of its facts in a
case, so that it abstains; within a criterion, optional facts come and go.

--malformed P turns a share P of the lines into cases the engine must refuse
(a wrong type, a level that does not exist, an unknown fact, a value out of
range, a null, a missing required fact, or for JSON Lines a line cut short).
Their ids start with "bad-", the others with "case-", each followed by the
line's number from 0, so a test can tell which records must be errors. The
good cases do not depend on P: the same seed gives the same good cases with
or without malformed lines between them.

JSON Lines (the default) write one {"id", "facts"} object a line; YAML a
stream of documents, one case each; CSV a header row of dotted fact names and
one row a case (an empty cell is a fact not given). Nested facts are
{"cost": {"hours": 10}}, flat ones {"cost.hours": 10}; mixed picks per case.
"""
import argparse
import csv
import io
import json
import math
import random
import sys

LEVELS = ["low", "medium", "high"]
ACCESS = ["none", "front_office", "back_office"]
SENSITIVITY = ["public", "internal", "confidential", "restricted"]
JURISDICTION = ["domestic", "treaty", "foreign"]


# How each fact gets a value: a level from a list, a bool, or a number.
def level(values):
    return lambda rng: rng.choice(values)


def boolean(rng):
    return rng.random() < 0.5


def money(low, high, zero_share=0.0):
    """A rate or an amount in [low, high], two decimals; now and then exactly zero."""
    def draw(rng):
        if rng.random() < zero_share:
            return 0
        return round(rng.uniform(low, high), 2)
    return draw


def hours(rng):
    # Spread over three orders of magnitude, as real tasks are; never zero (hours > 0).
    return round(math.exp(rng.uniform(math.log(4), math.log(20000))), 1)


def utilization(rng):
    # Idle to overbooked; the default policy's override starts at 0.9.
    return round(rng.uniform(0.0, 1.3), 3)


def weeks(rng):
    return rng.randint(0, 16)


# The criteria and their facts, in the order docs/criteria.md lists them.
# "required": given whenever any fact of the group is (cost's rule);
# "share": how often an optional fact is given when its group is.
GROUPS = {
    "cost": {
        "hours": {"draw": hours, "required": True},
        "internal_rate": {"draw": money(20, 160, 0.02), "required": True},
        "external_rate": {"draw": money(10, 220, 0.02), "required": True},
        "opportunity_rate": {"draw": money(0, 60, 0.05), "share": 0.6},
        "transition": {"draw": money(0, 80000, 0.05), "share": 0.5},
    },
    "capacity": {
        "utilization": {"draw": utilization, "required": True},
    },
    "control": {
        "institutional_knowledge": {"draw": level(LEVELS), "share": 0.85},
        "core_competence": {"draw": boolean, "share": 0.85},
        "customer_facing": {"draw": boolean, "share": 0.85},
        "change_frequency": {"draw": level(LEVELS), "share": 0.85},
    },
    "security": {
        "system_access": {"draw": level(ACCESS), "share": 0.85},
        "data_sensitivity": {"draw": level(SENSITIVITY), "share": 0.85},
        "vendor_certified": {"draw": boolean, "share": 0.7},
    },
    "legal": {
        "vendor_jurisdiction": {"draw": level(JURISDICTION), "share": 0.85},
        "regulated": {"draw": boolean, "share": 0.85},
        "ip_sensitive": {"draw": boolean, "share": 0.85},
    },
    "training": {
        "complexity": {"draw": level(LEVELS), "share": 0.8},
        "expertise_in_house": {"draw": boolean, "share": 0.8},
        "internal_ramp_weeks": {"draw": weeks, "share": 0.75},
        "external_ramp_weeks": {"draw": weeks, "share": 0.75},
    },
}

FACT_NAMES = [g + "." + f for g, facts in GROUPS.items() for f in facts]


def good_case(rng, abstain):
    """Nested facts; a group left out entirely makes its criterion abstain."""
    facts = {}
    for group, decls in GROUPS.items():
        if rng.random() < abstain:
            continue
        values = {}
        for name, d in decls.items():
            # Draw every value whether it is kept or not, so that one fact's
            # presence never shifts the values of the facts after it.
            v = d["draw"](rng)
            if d.get("required") or rng.random() < d["share"]:
                values[name] = v
        if values:
            facts[group] = values
    return facts


def flatten(facts):
    return {g + "." + k: v for g, kv in facts.items() for k, v in kv.items()}


# Ways to spoil a case. Each takes nested facts and returns them spoiled; the
# engine must refuse every one (batch: an error record in the line's place).
def wrong_type(rng, facts):
    group = rng.choice(["cost", "security"])
    if group == "cost":
        # A number as words: a string in JSON and YAML, not a number in a CSV cell.
        facts.setdefault("cost", {}).update(hours="12 hours", internal_rate=50, external_rate=40)
    else:
        facts.setdefault("security", {})["vendor_certified"] = "yes"  # a bool as a string
    return facts


def unknown_level(rng, facts):
    facts.setdefault("control", {})["institutional_knowledge"] = rng.choice(["huge", "High", "med"])
    return facts


def unknown_fact(rng, facts):
    facts.setdefault("cost", {})["hourz"] = 10
    return facts


def out_of_range(rng, facts):
    facts.setdefault("cost", {}).update(hours=rng.choice([0, -5]), internal_rate=50, external_rate=40)
    return facts


def null_value(rng, facts):
    facts.setdefault("legal", {})["regulated"] = None
    return facts


def missing_required(rng, facts):
    facts["cost"] = {"internal_rate": 50, "external_rate": 40}  # cost facts without hours
    return facts


SPOILERS = [wrong_type, unknown_level, unknown_fact, out_of_range, null_value, missing_required]
# A CSV cell cannot be null (empty is "not given") and its columns are fixed by the header.
CSV_SPOILERS = [wrong_type, unknown_level, out_of_range, missing_required]


def json_line(case):
    return json.dumps(case, separators=(",", ":"))


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, str):
        return json.dumps(v)  # a double-quoted YAML scalar is a JSON string
    return repr(v)


def yaml_doc(case, nested):
    out = ["---", "id: " + json.dumps(case["id"]), "facts:"]
    facts = case["facts"]
    if not facts:
        out[-1] = "facts: {}"
    elif nested:
        for g, kv in facts.items():
            out.append("  %s: {%s}" % (g, ", ".join("%s: %s" % (k, yaml_scalar(v)) for k, v in kv.items())))
    else:
        for k, v in facts.items():
            out.append("  %s: %s" % (k, yaml_scalar(v)))
    return "\n".join(out)


def csv_cell(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("n", type=int, help="how many cases (lines, documents or rows)")
    ap.add_argument("--seed", type=int, default=2429)
    ap.add_argument("--form", choices=["nested", "flat", "mixed"], default="nested")
    ap.add_argument("--flat", action="store_true", help="the same as --form flat")
    ap.add_argument("--abstain", type=float, default=0.15, help="share of criteria given no facts (default 0.15)")
    ap.add_argument("--malformed", type=float, default=0.0, help="share of cases the engine must refuse (default 0)")
    ap.add_argument("--format", choices=["jsonl", "yaml", "csv"], default="jsonl")
    a = ap.parse_args()
    if a.n < 0 or not 0 <= a.abstain <= 1 or not 0 <= a.malformed <= 1:
        ap.error("N must be >= 0, and --abstain and --malformed shares in [0, 1]")
    form = "flat" if a.flat else a.form

    cases_rng = random.Random(a.seed)
    # Its own stream, so that the good cases are the same whatever --malformed says.
    bad_rng = random.Random(a.seed * 1000003 + 17)
    out = sys.stdout
    writer = None
    if a.format == "csv":
        # CSV carries flat names only; the form does not apply.
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["id"] + FACT_NAMES)

    for i in range(a.n):
        facts = good_case(cases_rng, a.abstain)
        nested = form == "nested" or (form == "mixed" and cases_rng.random() < 0.5)
        bad = a.malformed > 0 and bad_rng.random() < a.malformed
        cut = False
        if bad:
            spoilers = CSV_SPOILERS if a.format == "csv" else SPOILERS
            pick = bad_rng.randrange(len(spoilers) + (1 if a.format == "jsonl" else 0))
            if pick == len(spoilers):
                cut = True  # a JSON line cut short: not JSON at all
            else:
                facts = spoilers[pick](bad_rng, facts)
        case = {"id": ("bad-%07d" if bad else "case-%07d") % i, "facts": facts if nested else flatten(facts)}

        if a.format == "jsonl":
            line = json_line(case)
            out.write((line[: max(12, len(line) // 2)] if cut else line) + "\n")
        elif a.format == "yaml":
            out.write(yaml_doc(case, nested) + "\n")
        else:
            flat = flatten(facts)
            writer.writerow([case["id"]] + [csv_cell(flat.get(name)) for name in FACT_NAMES])


if __name__ == "__main__":
    main()
