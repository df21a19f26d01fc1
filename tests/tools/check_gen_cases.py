#!/usr/bin/python3
"""Checks tools/gen_cases.py, the case generator tests and benchmarks use.

- The same seed gives the same bytes; another seed other cases.
- The good cases do not depend on --malformed: the lines that are not spoiled
  are the same with and without it.
- Every fact `insource facts` lists (with the default rules) appears, and
  every level of every string fact; some criteria abstain in some cases.
- For JSON Lines (nested, flat, mixed), YAML streams and CSV alike, `insource
  batch` gives an error record for each line whose id starts with "bad-" and
  a verdict for every other one, in the same order.

    check_gen_cases.py --insource BIN --gen tools/gen_cases.py
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

problems = []


def check(ok, msg):
    if not ok:
        problems.append(msg)


def gen(a, *args):
    r = subprocess.run(["/usr/bin/python3", a.gen] + [str(x) for x in args], stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("gen_cases.py %s exited %d" % (" ".join(map(str, args)), r.returncode))
    return r.stdout


def flat(facts):
    out = {}
    for k, v in facts.items():
        if isinstance(v, dict):
            out.update({k + "." + f: x for f, x in v.items()})
        else:
            out[k] = v
    return out


def check_determinism(a):
    one, two = gen(a, 500, "--seed", 5), gen(a, 500, "--seed", 5)
    check(one == two, "the same seed gave different output")
    check(one != gen(a, 500, "--seed", 6), "another seed gave the same output")
    spoiled = gen(a, 500, "--seed", 5, "--malformed", 0.2).splitlines()
    good = one.splitlines()
    check(len(spoiled) == len(good), "--malformed changed the number of lines")
    bad = 0
    for g, s in zip(good, spoiled):
        if s.startswith('{"id":"bad-'):
            bad += 1
        else:
            check(g == s, "a good line differs with --malformed: %s / %s" % (g[:80], s[:80]))
    check(40 <= bad <= 160, "--malformed 0.2 spoiled %d of 500 lines" % bad)


def check_coverage(a):
    names = json.loads(subprocess.run([a.insource, "facts", "--format", "json"], stdout=subprocess.PIPE,
                                      check=True, text=True).stdout)
    facts = {n["name"]: n for n in names if n["kind"] == "fact"}
    seen = collections.defaultdict(set)
    abstaining = collections.Counter()
    groups = {name.split(".")[0] for name in facts}
    for line in gen(a, 3000, "--form", "mixed").splitlines():
        case = json.loads(line)
        given = flat(case["facts"])
        for name, value in given.items():
            check(name in facts, "generated fact %s is not declared" % name)
            seen[name].add(json.dumps(value))
        for g in groups:
            if not any(n.startswith(g + ".") for n in given):
                abstaining[g] += 1
    for name, decl in facts.items():
        check(name in seen, "fact %s is never generated" % name)
        for level in decl.get("allowed", []):
            check(json.dumps(level) in seen[name], "level %s of %s is never generated" % (level, name))
        if decl["type"] == "bool":
            check(seen[name] == {"true", "false"}, "bool %s is not both true and false" % name)
        if decl["type"] == "number" and "min" in decl:
            check("0" in seen[name], "number %s never takes its lower bound 0" % name)
    for g in groups:
        check(abstaining[g] > 100, "criterion group %s is left out of only %d cases of 3000" % (g, abstaining[g]))


def check_batch(a, fmt, form, tmp):
    text = gen(a, 2000, "--seed", 9, "--malformed", 0.05, "--format", fmt, "--form", form)
    path = os.path.join(tmp, "cases-%s-%s.%s" % (fmt, form, fmt))
    with open(path, "w") as f:
        f.write(text)
    if fmt == "jsonl":
        ids = [line[len('{"id":"'):].split('"')[0] for line in text.splitlines()]
    elif fmt == "yaml":
        ids = [line[len('id: "'):-1] for line in text.splitlines() if line.startswith("id: ")]
    else:
        ids = [line.split(",")[0] for line in text.splitlines()[1:]]
    r = subprocess.run([a.insource, "batch", "--jobs", "2", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    records = [json.loads(line) for line in r.stdout.splitlines()]
    what = "batch of %s (%s)" % (fmt, form)
    check(r.returncode == 1, "%s: exit status %d, expected 1 (some records are errors)" % (what, r.returncode))
    check(len(records) == len(ids) == 2000, "%s: %d records for %d cases" % (what, len(records), len(ids)))
    kinds = collections.Counter()
    for i, (case_id, rec) in enumerate(zip(ids, records)):
        if case_id.startswith("bad-"):
            check("error" in rec, "%s: case %d (%s) should be an error record: %s" % (what, i, case_id, rec))
            kinds[rec.get("error", {}).get("kind")] += 1
        else:
            check("verdict" in rec and rec.get("id") == case_id,
                  "%s: case %d (%s) should be decided: %s" % (what, i, case_id, rec))
    bad = sum(kinds.values())
    check(50 <= bad <= 150, "%s: %d malformed cases of 2000 at --malformed 0.05" % (what, bad))
    if fmt == "jsonl":
        check(kinds["parse"] > 0, "%s: no line cut short became a parse error (%s)" % (what, dict(kinds)))
    return kinds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--insource", required=True)
    ap.add_argument("--gen", required=True)
    a = ap.parse_args()
    check_determinism(a)
    check_coverage(a)
    with tempfile.TemporaryDirectory(prefix="insource-gen-") as tmp:
        for fmt, form in [("jsonl", "nested"), ("jsonl", "flat"), ("jsonl", "mixed"), ("yaml", "mixed"),
                          ("csv", "nested")]:
            kinds = check_batch(a, fmt, form, tmp)
            print("%s %s: error records by kind %s" % (fmt, form, dict(kinds)))
    for p in problems:
        print(p)
    print("gen_cases: %s" % ("ok" if not problems else "%d problems" % len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
