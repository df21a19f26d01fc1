#!/usr/bin/python3
"""Keeps docs/criteria.md and docs/rules.md true to the code.

    check_docs.py --insource BIN --root REPO facts      the facts table of docs/criteria.md
                                                          against the plugins' and rules' declarations
    check_docs.py --insource BIN --root REPO rules      every ```yaml block of docs/rules.md passes
                                                          `insource check`
    check_docs.py --insource BIN --root REPO curl [DOC...]  every curl example that sends a
                                                          body sends its Content-Type
    check_docs.py --insource BIN --root REPO console DOC...
                                                          every ```console block runs and prints
                                                          what it shows

facts: every row of the table is a fact that `insource facts --format json` lists
(with the default rules), with the same type, levels or bounds, unit and default,
read by the plugin named (`insource plugins --format json`), or declared by the
rules; and every fact a plugin or the default rules declare has a row.

console: a block is one or more command lines starting with "$ " (continued
with a trailing backslash), each followed by the output it prints; `insource` in the command is the
binary under test, run from the repository root with stderr joined to stdout.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def fail(msg):
    failures.append(msg)


def blocks(text, info):
    """The fenced blocks whose info string is `info`, with the line each starts on."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        if lines[i].strip() == "```" + info:
            start, body = i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            out.append((start, "\n".join(body) + "\n"))
        i += 1
    return out


def run_json(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("%s exited %d: %s" % (" ".join(cmd), r.returncode, r.stderr))
    return json.loads(r.stdout)


# ------------------------------------------------------------------ facts


def table_rows(text):
    """The rows of the table whose header starts with `| fact |`, as dicts by column name."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("| fact |"):
            head = [c.strip() for c in line.strip().strip("|").split("|")]
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                cells = [c.strip() for c in row.strip().strip("|").split("|")]
                rows.append(dict(zip(head, cells)))
            return head, rows
    sys.exit("docs/criteria.md has no table starting with '| fact |'")


def code(cell):
    """`cost.hours` -> cost.hours"""
    return cell.replace("`", "").strip()


def expected_allowed(decl):
    """The `allowed` cell as the table writes it for a declaration."""
    if decl.get("allowed"):
        return ", ".join(decl["allowed"])
    bounds = []
    if "greater_than" in decl:
        bounds.append("> %s" % fmt(decl["greater_than"]))
    if "min" in decl:
        bounds.append(">= %s" % fmt(decl["min"]))
    if "max" in decl:
        bounds.append("<= %s" % fmt(decl["max"]))
    return ", ".join(bounds) if bounds else "any"


def expected_default(decl):
    if "default" in decl:
        d = decl["default"]
        return ("true" if d else "false") if isinstance(d, bool) else fmt(d) if isinstance(d, (int, float)) else d
    return "required" if decl.get("required") else "none"


def fmt(x):
    return ("%d" % x) if float(x).is_integer() else repr(x)


def check_facts(a):
    text = open(os.path.join(a.root, "docs", "criteria.md")).read()
    head, rows = table_rows(text)
    want = ["fact", "type", "allowed", "unit", "default", "read by"]
    if head != want:
        fail("facts table columns are %s, expected %s" % (head, want))
        return
    plugins = run_json([a.insource, "plugins", "--format", "json"])
    names = run_json([a.insource, "facts", "--format", "json"])
    declared = {}  # fact -> (decl, "builtin-cost" or "rules")
    for p in plugins:
        for f in p["facts"]:
            declared.setdefault(f["name"], (f, []))[1].append(p["name"])
    for n in names:
        if n["kind"] == "fact" and any(d.startswith("rules ") for d in n["declared_by"]):
            declared.setdefault(n["name"], (n, []))[1].append("rules")

    seen = set()
    for r in rows:
        name = code(r["fact"])
        seen.add(name)
        if name not in declared:
            fail("table row %s: no plugin and not the default rules declare it" % name)
            continue
        decl, readers = declared[name]
        checks = [
            ("type", r["type"], decl["type"]),
            ("allowed", code(r["allowed"]), expected_allowed(decl)),
            ("unit", r["unit"] if r["unit"] != "-" else "", decl.get("unit", "")),
            ("default", code(r["default"]), expected_default(decl)),
            ("read by", ", ".join(code(x) for x in r["read by"].split(",")), ", ".join(readers)),
        ]
        for col, doc, real in checks:
            if doc != real:
                fail("table row %s, column %s: the document says %r, the declaration %r" % (name, col, doc, real))
    for name in declared:
        if name not in seen:
            fail("fact %s is declared (%s) but has no row in the table" % (name, ", ".join(declared[name][1])))


# ------------------------------------------------------------------ rules


def check_rules(a):
    path = os.path.join(a.root, "docs", "rules.md")
    found = blocks(open(path).read(), "yaml")
    if not found:
        fail("docs/rules.md has no ```yaml block")
    with tempfile.TemporaryDirectory(prefix="insource-docs-") as tmp:
        # Examples that extend the default policy name it as a file beside them.
        shutil.copy(os.path.join(a.root, "rules", "default.yaml"), os.path.join(tmp, "default.yaml"))
        for line, body in found:
            if not re.search(r"^insource:", body, re.M):
                fail("docs/rules.md:%d: a ```yaml block that is not a whole rules file (no `insource: 1`); "
                     "show fragments as ```text" % line)
                continue
            f = os.path.join(tmp, "example-%d.yaml" % line)
            with open(f, "w") as out:
                out.write(body)
            r = subprocess.run([a.insource, "check", "--rules", f], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                fail("docs/rules.md:%d: `insource check` exited %d:\n%s" % (line, r.returncode, r.stdout))


# ------------------------------------------------------------------ console


def check_console(a):
    with tempfile.TemporaryDirectory(prefix="insource-docs-") as tmp:
        os.symlink(os.path.abspath(a.insource), os.path.join(tmp, "insource"))
        env = dict(os.environ, PATH=tmp + os.pathsep + os.environ.get("PATH", ""))
        for doc in a.docs:
            path = os.path.join(a.root, doc)
            for line, body in blocks(open(path).read(), "console"):
                lines = body.rstrip("\n").split("\n")
                if not lines[0].startswith("$ "):
                    fail("%s:%d: a ```console block must start with '$ command'" % (doc, line))
                    continue
                # One or more commands, each followed by what it prints (a blank line may end it).
                starts = [i for i, l in enumerate(lines) if l.startswith("$ ")] + [len(lines)]
                for s, e in zip(starts, starts[1:]):
                    cmd, k = lines[s][2:], s + 1
                    while cmd.endswith("\\") and k < e:
                        cmd, k = cmd[:-1] + lines[k].strip(), k + 1
                    shown = "\n".join(lines[k:e]).rstrip()
                    r = subprocess.run(["bash", "-c", cmd + " 2>&1"], cwd=a.root, env=env,
                                       stdout=subprocess.PIPE, text=True)
                    got = r.stdout.rstrip()
                    if got != shown:
                        fail("%s:%d: `%s` prints something else now:\n--- shown\n%s\n--- printed\n%s" %
                             (doc, line + s, cmd, shown, got))


def check_curl(a):
    """Every curl example that sends a body says what it sends: the server
    answers 415 to curl's default (application/x-www-form-urlencoded)."""
    docs = a.docs or ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(a.root, "docs")) if f.endswith(".md"))
    seen = 0
    for doc in docs:
        for n, line in enumerate(open(os.path.join(a.root, doc)).read().split("\n"), 1):
            if not re.search(r"\bcurl\s", line) or not re.search(r"\s(-d|--data\S*|-F|--form)\s", line):
                continue
            seen += 1
            want = "application/x-ndjson" if "/v1/batch" in line else "application/json"
            # The analysis endpoints take the YAML files the CLI reads (JSON too).
            if "/v1/weights/ahp" in line or "/v1/calibrate" in line:
                want = "application/yaml"
                if "-H 'Content-Type: application/json'" in line:
                    continue
            if "-H 'Content-Type: %s'" % want not in line:
                fail("%s:%d: a curl example that sends a body must send -H 'Content-Type: %s':\n  %s" % (doc, n, want, line))
    if seen == 0:
        fail("no curl example with a body found: is the pattern still right?")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--insource", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("what", choices=["facts", "rules", "console", "curl"])
    ap.add_argument("docs", nargs="*")
    a = ap.parse_args()
    {"facts": check_facts, "rules": check_rules, "console": check_console, "curl": check_curl}[a.what](a)
    for f in failures:
        print(f)
    print("%s: %s" % (a.what, "ok" if not failures else "%d problems" % len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
