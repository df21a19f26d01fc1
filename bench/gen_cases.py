#!/usr/bin/env python3
# Copied unchanged (but for these two comment lines) from shared/bench/gen_cases.py, so that tests and benchmarks
# run from a clone alone.
"""Write N sourcing cases as JSONL (one {"id", "facts"} object a line), the same for a seed.

The mix covers every criterion, abstentions (missing fact groups), and each default
override rule. Usage: gen_cases.py N [--seed S] [--flat] > cases.jsonl
"""
import argparse
import json
import random
import sys

LEVEL = ["low", "medium", "high"]


def case(rng, i):
    f = {}
    f["cost"] = {
        "hours": round(rng.choice([40, 160, 480, 1200, 5000]) * rng.uniform(0.5, 1.5), 1),
        "internal_rate": round(rng.uniform(30, 150), 2),
        "external_rate": round(rng.uniform(20, 200), 2),
    }
    if rng.random() < 0.6:
        f["cost"]["opportunity_rate"] = round(rng.uniform(0, 60), 2)
    if rng.random() < 0.5:
        f["cost"]["transition"] = round(rng.uniform(0, 50000), 2)
    if rng.random() < 0.7:
        f["capacity"] = {"utilization": round(rng.uniform(0.3, 1.2), 3)}
    if rng.random() < 0.9:
        f["control"] = {k: v for k, v in {
            "institutional_knowledge": rng.choice(LEVEL),
            "core_competence": rng.random() < 0.4,
            "customer_facing": rng.random() < 0.5,
            "change_frequency": rng.choice(LEVEL),
        }.items() if rng.random() < 0.85}
    if rng.random() < 0.9:
        f["security"] = {k: v for k, v in {
            "system_access": rng.choice(["none", "front_office", "back_office"]),
            "data_sensitivity": rng.choice(["public", "internal", "confidential", "restricted"]),
            "vendor_certified": rng.random() < 0.5,
        }.items() if rng.random() < 0.85}
    if rng.random() < 0.85:
        f["legal"] = {k: v for k, v in {
            "vendor_jurisdiction": rng.choice(["domestic", "treaty", "foreign"]),
            "regulated": rng.random() < 0.3,
            "ip_sensitive": rng.random() < 0.4,
        }.items() if rng.random() < 0.85}
    if rng.random() < 0.85:
        t = {}
        if rng.random() < 0.8:
            t["complexity"] = rng.choice(LEVEL)
        if rng.random() < 0.8:
            t["expertise_in_house"] = rng.random() < 0.5
        if rng.random() < 0.7:
            t["internal_ramp_weeks"] = rng.randint(0, 12)
            t["external_ramp_weeks"] = rng.randint(0, 16)
        f["training"] = t
    f = {k: v for k, v in f.items() if v}
    return {"id": "case-%07d" % i, "facts": f}


def flatten(facts):
    return {f"{g}.{k}": v for g, kv in facts.items() for k, v in kv.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=2429)
    ap.add_argument("--flat", action="store_true", help="dotted fact names instead of nested maps")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    out = sys.stdout
    for i in range(a.n):
        c = case(rng, i)
        if a.flat:
            c["facts"] = flatten(c["facts"])
        out.write(json.dumps(c, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
