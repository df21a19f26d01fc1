#!/usr/bin/python3
"""One corpus of tricky inputs through every way in: `insource decide`,
`insource explain`, `insource batch` (real binary), and `insource serve`'s
POST /v1/decide and POST /v1/batch (on a loopback port). Each entry must give
the same outcome everywhere: the same verdict and total, or the same error
(kind, message, line, id). Usage: check_input_corpus.py INSOURCE_BINARY"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

GOOD_FACTS = ('"cost":{"hours":1200,"internal_rate":85,"external_rate":60,"transition":5000},'
              '"control":{"institutional_knowledge":"high","core_competence":false}')


def case(body_facts=GOOD_FACTS, id_='"c"'):
    return '{"id":%s,"facts":{%s}}' % (id_, body_facts)


# (name, bytes, one_case): one_case entries also go to /v1/decide as the body.
CORPUS = [
    ("plain", case(), True),
    ("underflow 1e-400", case(GOOD_FACTS.replace('"transition":5000', '"transition":1e-400')), True),
    ("overflow 1e400", case(GOOD_FACTS.replace('"transition":5000', '"transition":1e400')), True),
    ("negative overflow", case(GOOD_FACTS.replace('"transition":5000', '"transition":-1e400')), True),
    ("trailing comma in facts", case(GOOD_FACTS + ","), True),
    ("trailing comma in case", case()[:-1] + ",}", True),
    ("unquoted keys", '{id:"c",facts:{%s}}' % GOOD_FACTS, True),
    ("single quotes", "{'id':'c','facts':{%s}}" % GOOD_FACTS, True),
    ("plus sign", case(GOOD_FACTS.replace('"hours":1200', '"hours":+5')), True),
    ("leading dot", case(GOOD_FACTS.replace('"hours":1200', '"hours":.5')), True),
    ("leading zeros", case(GOOD_FACTS.replace('"hours":1200', '"hours":0012')), True),
    ("trailing dot", case(GOOD_FACTS.replace('"hours":1200', '"hours":12.')), True),
    ("True", case(GOOD_FACTS.replace('"core_competence":false', '"core_competence":True')), True),
    ("yes for a bool", case(GOOD_FACTS.replace('"core_competence":false', '"core_competence":"yes"')), True),
    ("NaN literal", case(GOOD_FACTS.replace('"hours":1200', '"hours":NaN')), True),
    ("Infinity literal", case(GOOD_FACTS.replace('"hours":1200', '"hours":Infinity')), True),
    ("raw tab in a string", case(id_='"a\tb"'), True),
    ("escaped tab in a string", case(id_='"a\\tb"'), True),
    ("BOM", "\ufeff" + case(), True),
    ("duplicate fact", case(GOOD_FACTS.replace('"hours":1200', '"hours":1200,"hours":1300')), True),
    ("duplicate id", '{"id":"c","id":"d","facts":{%s}}' % GOOD_FACTS, True),
    ("duplicate facts", '{"id":"c","facts":{%s},"facts":{}}' % GOOD_FACTS, True),
    ("duplicate group", case(GOOD_FACTS + ',"cost":{"opportunity_rate":3}'), True),
    ("duplicate title", '{"id":"c","title":"a","title":"b","facts":{%s}}' % GOOD_FACTS, True),
    ("nested and flat", case(GOOD_FACTS + ',"cost.hours":5'), True),
    ("flat only", case('"cost.hours":1200,"cost.internal_rate":85,"cost.external_rate":60'), True),
    ("mixed groups", case('"cost":{"hours":1200},"cost.internal_rate":85,"cost.external_rate":60'), True),
    ("no id", '{"facts":{%s}}' % GOOD_FACTS, True),
    ("numeric id", case(id_="42"), True),
    ("huge id", case(id_='"' + "x" * 5000 + '"'), True),
    ("id a list", case(id_='["a"]'), True),
    ("id null", case(id_="null"), True),
    ("title a number", '{"id":"c","title":5,"facts":{%s}}' % GOOD_FACTS, True),
    ("wrong type number", case(GOOD_FACTS.replace('"hours":1200', '"hours":"1200"')), True),
    ("wrong type string", case(GOOD_FACTS.replace('"high"', '7')), True),
    ("wrong level", case(GOOD_FACTS.replace('"high"', '"hihg"')), True),
    ("null fact", case(GOOD_FACTS.replace('"hours":1200', '"hours":null')), True),
    ("list fact", case(GOOD_FACTS.replace('"hours":1200', '"hours":[1]')), True),
    ("out of range", case(GOOD_FACTS.replace('"hours":1200', '"hours":-3')), True),
    ("unknown fact", case(GOOD_FACTS + ',"cost.horus":1'), True),
    ("unknown key", '{"id":"c","fact":{}}', True),
    ("no facts", '{"id":"c"}', True),
    ("facts a list", '{"id":"c","facts":[]}', True),
    ("empty facts", '{"id":"c","facts":{}}', True),
    ("a list, not a case", '[1,2]', False),
    ("a string, not a case", '"case"', True),
    ("not JSON", 'this is not JSON', True),
    ("YAML, not JSON", 'id: c', True),
    ("truncated", case()[:-3], True),
    ("two values on a line", case() + " " + case(), True),
    ("deep nesting", case('"cost":' + '{"a":' * 40 + '1' + '}' * 40), True),
    ("very deep nesting", case('"cost":' + '[' * 3000 + ']' * 3000), True),
    ("group given a value", case('"cost":5'), True),
    ("escaped key", case(GOOD_FACTS.replace('"hours"', '"hou\\u0072s"')), True),
    ("CRLF", case() + "\r\n", True),
    ("trailing blank line", case() + "\n\n", True),
    ("blank line between", case() + "\n\n" + case(id_='"d"') + "\n", False),
    ("blank lines with spaces", "   \n" + case() + "\n \t \n", False),
    ("only blank lines", "\n\n\n", False),
    ("second line broken", case() + "\n" + case(id_='"d"')[:-1] + "\n", False),
]
INVALID_UTF8 = [
    ("invalid UTF-8 in a string", b'{"id":"a\xff\xfe","facts":{}}', True),
    ("invalid UTF-8 outside strings", case().encode() + b" \xc3", True),
]


def to_bytes(entry):
    name, text, one = entry
    return name, (text.encode("utf-8") if isinstance(text, str) else text), one


ENTRIES = [to_bytes(e) for e in CORPUS] + INVALID_UTF8


def strip_position(message, label, line, column, id_):
    """The message of a CLI or /v1/decide error without "label:line[:col]: case ID: "."""
    prefix = label + (":%d" % line if line else "") + (":%d" % column if column else "") + ": "
    assert message.startswith(prefix), (message, prefix)
    message = message[len(prefix):]
    if message.startswith("case %s: " % id_):
        message = message[len("case %s: " % id_):]
    return message


def outcome_of_record(r):
    """A decide/batch/server record as a comparable outcome."""
    if "error" in r:
        return ("error", r["error"]["kind"], r.get("line", 0), r.get("id"), r["error"]["message"])
    return ("ok", r["id"], r["verdict"], round(r["total"], 9))


def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def via_decide(binary, path):
    code, out, err = run([binary, "decide", "--format", "json", path])
    outcomes = []
    for line in out.splitlines():
        r = json.loads(line)
        if "error" in r and r["error"]["kind"] != "plugin":
            msg = strip_position(r["error"]["message"], path, r.get("line", 0), r.get("column", 0), r["id"])
            outcomes.append(("error", r["error"]["kind"], r.get("line", 0), r["id"], msg))
        elif "error" in r:
            outcomes.append(("error", "plugin", r.get("line", 0), r["id"], r["error"]["message"]))
        else:
            outcomes.append(outcome_of_record(r))
    return outcomes


def via_explain(binary, path):
    code, out, err = run([binary, "explain", "--format", "json", path])
    outcomes = []
    for line in out.splitlines():
        r = json.loads(line)
        if "error" in r:
            msg = strip_position(r["error"]["message"], path, r.get("line", 0), r.get("column", 0), r["id"])
            outcomes.append(("error", r["error"]["kind"], r.get("line", 0), r["id"], msg))
        else:
            outcomes.append(("ok", r["id"], r["verdict"], round(r["total"], 9)))
    return outcomes


def via_batch(binary, path, jobs):
    code, out, err = run([binary, "batch", "--quiet", "--jobs", str(jobs), path])
    return [outcome_of_record(json.loads(line)) for line in out.splitlines()]


def post(port, path, body, content_type):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, method="POST",
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


def via_server_decide(port, body):
    status, text = post(port, "/v1/decide", body, "application/json")
    r = json.loads(text)
    if status == 400:
        e = r["error"]
        msg = strip_position(e["message"], "request", e.get("line", 0), e.get("column", 0), e.get("id"))
        return [("error", e["kind"], e.get("line", 0), e.get("id"), msg)]
    return [outcome_of_record(r)]


def via_server_batch(port, body):
    status, text = post(port, "/v1/batch", body, "application/x-ndjson")
    assert status == 200, (status, text)
    return [outcome_of_record(json.loads(line)) for line in text.splitlines()]


def start_server(binary, workdir):
    err_path = os.path.join(workdir, "serve.err")
    err = open(err_path, "w")
    proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0"], stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 30
    while time.time() < deadline:
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", open(err_path).read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("insource serve did not start: " + open(err_path).read())


def main():
    binary = sys.argv[1]
    failures = []
    kinds = set()
    with tempfile.TemporaryDirectory() as work:
        proc, port = start_server(binary, work)
        try:
            for i, (name, data, one) in enumerate(ENTRIES):
                path = os.path.join(work, "case%02d.jsonl" % i)
                with open(path, "wb") as f:
                    f.write(data)
                got = {
                    "decide": via_decide(binary, path),
                    "explain": via_explain(binary, path),
                    "batch --jobs 1": via_batch(binary, path, 1),
                    "batch --jobs 2": via_batch(binary, path, 2),
                    "POST /v1/batch": via_server_batch(port, data),
                }
                if one:
                    got["POST /v1/decide"] = via_server_decide(port, data)
                want = got["batch --jobs 1"]
                for how, outcome in got.items():
                    if want == [] and how in ("decide", "explain", "POST /v1/decide"):
                        # No case at all: batch writes nothing, while the commands
                        # that need a case say there is none.
                        if len(outcome) != 1 or outcome[0][1] != "parse" or "no case" not in outcome[0][4] and \
                                "empty" not in outcome[0][4]:
                            failures.append("%s: %s gives %s for an input with no case" % (name, how, outcome))
                        continue
                    if outcome != want:
                        failures.append("%s: %s gives %s, batch gives %s" % (name, how, outcome, want))
                for o in want:
                    kinds.add(o[1] if o[0] == "error" else "ok")
                print(("%-28s %s" % (name, want[0] if len(want) == 1 else want))[:240])
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("%d entries; outcomes seen: %s" % (len(ENTRIES), ", ".join(sorted(kinds))))
    for f in failures:
        print("MISMATCH " + f)
    if len(ENTRIES) < 40 or not {"ok", "parse", "case"} <= kinds:
        failures.append("the corpus is too small or misses a kind of outcome")
    failed = len({f.split(":")[0] for f in failures})
    print("%d passed, %d failed" % (len(ENTRIES) - failed, failed))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
