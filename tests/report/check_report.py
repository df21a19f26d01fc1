#!/usr/bin/env python3
"""`insource report` and `batch --report`: the numbers in the HTML are the
numbers of `decide --format json` and of the batch records.

Reads them back from the files' data- attributes, their visible text and the
embedded JSON block, and checks that the files refer to no other address.

    check_report.py --insource BIN --source SRC_DIR --work DIR
"""
import argparse
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser


class Elements(HTMLParser):
    """Every element with its attributes, its classes and the text inside it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.all = []
        self.stack = []
        self.script = None
        self.embedded = None

    def handle_starttag(self, tag, attrs):
        e = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": list(self.stack)}
        e["classes"] = set((e["attrs"].get("class") or "").split())
        self.all.append(e)
        if tag in ("meta", "link", "input", "br", "img"):
            return  # void
        self.stack.append(e)
        if tag == "script" and e["attrs"].get("id") == "insource-records":
            self.script = ""

    def handle_startendtag(self, tag, attrs):  # <line .../>: no children
        self.handle_starttag(tag, attrs)
        if self.stack and self.stack[-1]["tag"] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag == "script" and self.script is not None:
            self.embedded = json.loads(self.script)
            self.script = None
        if not any(e["tag"] == tag for e in self.stack):
            return
        while self.stack:
            e = self.stack.pop()
            if e["tag"] == tag:
                break

    def handle_data(self, data):
        if self.script is not None:
            self.script += data
        for e in self.stack:
            e["text"] += data

    def find(self, tag=None, cls=None, within=None, **attrs):
        out = []
        for e in self.all:
            if tag and e["tag"] != tag:
                continue
            if cls and cls not in e["classes"]:
                continue
            if within is not None and within not in e["parents"]:
                continue
            if any(e["attrs"].get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            out.append(e)
        return out


def parse(path):
    p = Elements()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    p.feed(text)
    return p, text


def signed(x, d=3):
    s = f"{x:.{d}f}"
    return ("+" + s) if x >= 0 else s


failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def no_other_address(text, name):
    check(not re.search(r'\b(src|href)\s*=', text), f"{name}: no src or href attribute")
    check(not re.search(r"https?://", text), f"{name}: no http(s) address")
    check(not re.search(r"@import", text), f"{name}: no @import")
    # Each chart's arrow marker has an id of its own (arrow-CASEID), in the document.
    refs = set(re.findall(r"url\(([^)]*)\)", text))
    check(all(r.startswith("#arrow-") and f'id="{r[1:]}"' in text for r in refs),
          f"{name}: url() only to a marker in the file: {sorted(refs)}")
    check("@media print" in text and "break-before: page" in text, f"{name}: print styles with page breaks")


def report_cases(a):
    cases = [os.path.join(a.source, "examples", "cases", c + ".yaml")
             for c in ("candy-launch", "office-catering", "back-office-accounting")]
    out = os.path.join(a.work, "report.html")
    subprocess.run([a.insource, "report", *cases, "-o", out], check=True)
    want = [json.loads(l) for l in subprocess.run([a.insource, "decide", "--format", "json", *cases], check=True,
                                                   capture_output=True, text=True).stdout.splitlines()]
    html, text = parse(out)
    no_other_address(text, "report.html")
    check(len(html.embedded) == len(want), "report.html embeds one record per case")
    for w, emb in zip(want, html.embedded):
        cid = w["id"]
        check(emb["verdict"] == w["verdict"] and emb["total"] == w["total"], f"{cid}: embedded record = decide")
        sec = html.find("section", cls="case", data_case=cid)
        check(len(sec) == 1, f"{cid}: one section")
        sec = sec[0]
        badge = html.find("span", cls="verdict", within=sec)[0]
        check(badge["text"] == w["verdict"], f"{cid}: verdict shown {badge['text']} = {w['verdict']}")
        total = html.find("strong", cls="total", within=sec)[0]
        check(float(total["attrs"]["data-total"]) == w["total"], f"{cid}: total attribute")
        check(total["text"] == signed(w["total"]), f"{cid}: total text {total['text']}")
        svg = html.find("svg", cls="contributions", within=sec)[0]
        check(float(svg["attrs"]["data-total"]) == w["total"], f"{cid}: chart total")
        for t in ("insource", "outsource"):
            line = html.find("line", within=svg, data_threshold=t)
            check(len(line) == 1 and float(line[0]["attrs"]["data-value"]) == (0.2 if t == "insource" else -0.2),
                  f"{cid}: {t} threshold marked")
        run = 0.0
        for name, c in w["criteria"].items():
            row = html.find("tr", within=sec, data_criterion=name)[0]
            check(float(row["attrs"]["data-weight"]) == c["weight"], f"{cid}/{name}: weight")
            if c.get("abstained"):
                check(row["attrs"].get("data-abstained") == "true", f"{cid}/{name}: abstained")
                continue
            check(float(row["attrs"]["data-score"]) == c["score"], f"{cid}/{name}: score")
            check(float(row["attrs"]["data-contribution"]) == c["contribution"], f"{cid}/{name}: contribution")
            check(signed(c["contribution"]) in row["text"], f"{cid}/{name}: contribution as text")
            check(c["rationale"] in row["text"], f"{cid}/{name}: rationale")
            bar = html.find("rect", within=svg, data_criterion=name)[0]
            check(float(bar["attrs"]["data-contribution"]) == c["contribution"], f"{cid}/{name}: bar value")
            check(abs(float(bar["attrs"]["data-start"]) - run) < 1e-12, f"{cid}/{name}: bar starts where the last ended")
            run += c["contribution"]
            check(len(html.find("g", cls="margin", within=svg, data_criterion=name)) == 1, f"{cid}/{name}: margin drawn")
        check(abs(run - w["total"]) < 1e-12, f"{cid}: the bars add up to the total")
        decided = [r["attrs"]["data-override"] for r in html.find("tr", within=sec) if r["attrs"].get("data-decided") == "true"]
        check(decided == ([w["rule"]] if w["rule"] else []), f"{cid}: the trace marks {w['rule']} as deciding")
        check(len(html.find("ul", cls="margins", within=sec)) == 1, f"{cid}: margins in words")
        flip = html.find("g", cls="flip", within=svg)
        to = min(("insource", 0.2 - w["total"]), ("outsource", w["total"] + 0.2), key=lambda x: abs(x[1]))
        check(len(flip) == 1 and flip[0]["attrs"]["data-to"] == to[0] and float(flip[0]["attrs"]["data-distance"]) == to[1],
              f"{cid}: the distance to the nearer threshold drawn")
    print(f"report.html: {len(want)} cases agree with decide --format json")


def report_batch(a):
    gen = subprocess.run([sys.executable, os.path.join(a.source, "tools", "gen_cases.py"), "300"], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    gen.insert(4, '{"id": "broken", "facts": {"cost": {"hours": "12"}}}')
    gen.insert(9, "not json")
    inp = os.path.join(a.work, "cases.jsonl")
    with open(inp, "w") as f:
        f.write("\n".join(gen) + "\n")
    out, rep = os.path.join(a.work, "out.jsonl"), os.path.join(a.work, "batch.html")
    r = subprocess.run([a.insource, "batch", "--quiet", "--jobs", "2", inp, "-o", out, "--report", rep])
    check(r.returncode == 1, "batch with bad lines exits 1")
    records = [json.loads(l) for l in open(out)]
    html, text = parse(rep)
    no_other_address(text, "batch.html")
    counts, rules, bins, abst = {}, {}, {}, {}
    near = []
    for rec in records:
        if "error" in rec:
            continue
        counts[rec["verdict"]] = counts.get(rec["verdict"], 0) + 1
        rules[rec["rule"] or ""] = rules.get(rec["rule"] or "", 0) + 1
        for c, s in rec["scores"].items():
            b = bins.setdefault(c, [0] * 10)
            if s is None:
                abst[c] = abst.get(c, 0) + 1
            else:
                b[min(9, max(0, int((s + 1.0) / 0.2)))] += 1
        if rec["rule"] is None:
            near.append((min(abs(0.2 - rec["total"]), abs(rec["total"] + 0.2)), rec["id"]))
    shown = {e["attrs"]["data-verdict"]: int(e["attrs"]["data-count"]) for e in html.find("rect", cls="bar") if "data-verdict" in e["attrs"]}
    check(shown == counts, f"batch: cases per verdict {shown} = {counts}")
    shown_rules = {e["attrs"]["data-rule"]: int(e["attrs"]["data-count"]) for e in html.find("tr") if "data-rule" in e["attrs"]}
    check(shown_rules == rules, f"batch: what decided {shown_rules} = {rules}")
    for c, b in bins.items():
        svg = html.find("svg", cls="scores", data_criterion=c)
        check(len(svg) == 1 and svg[0]["attrs"]["data-bins"] == ",".join(map(str, b))
              and int(svg[0]["attrs"]["data-abstained"]) == abst.get(c, 0), f"batch: score distribution of {c}")
    near.sort(key=lambda x: x[0])
    shown_near = [e["attrs"]["data-case"] for e in html.find("tr") if "data-distance" in e["attrs"]]
    check(shown_near == [i for _, i in near[:10]], f"batch: closest to a threshold {shown_near}")
    errs = [(r["line"], r["error"]["kind"]) for r in records if "error" in r]
    shown_errs = [(int(e["attrs"]["data-line"]), e["attrs"]["data-kind"]) for e in html.find("tr") if "data-line" in e["attrs"]]
    check(shown_errs == errs and [l for l, _ in errs] == [5, 10], f"batch: every error record with its line {shown_errs}")
    check(html.embedded["verdicts"] == counts and html.embedded["records"] == len(records), "batch: embedded summary")
    # To standard output, the records are the same as to a file.
    r = subprocess.run([a.insource, "batch", "--quiet", "--jobs", "1", inp, "--report", rep], capture_output=True, text=True)
    check([json.loads(l) for l in r.stdout.splitlines()] == records, "batch --report to stdout writes the records too")
    check(parse(rep)[0].embedded == html.embedded, "batch --report from stdout gives the same summary")
    print(f"batch.html: {len(records)} records agree with the batch records")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--insource", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    report_cases(a)
    report_batch(a)
    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print("all report checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
