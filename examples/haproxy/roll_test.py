#!/usr/bin/python3
"""A rolling policy change behind HAProxy, under load, with zero failed requests.

Starts three `insource serve` instances on free loopback ports and HAProxy in
front of them (haproxy.cfg.in, health checks on /readyz), then drives
POST /v1/decide through HAProxy with wrk (check.lua verifies every answer)
while it
  1. rewrites the rules file (a new outsource threshold, which changes the
     test case's verdict) and reloads the instances one at a time: a by
     POST /v1/reload, b by SIGHUP, c by POST /v1/reload;
  2. stops one instance (SIGTERM; it drains: /readyz answers 503 while it
     still serves, HAProxy takes it out of the rotation) and starts it again
     on the same port, and waits until HAProxy sends it traffic again.
It passes when wrk saw no error of any kind, every answer was one of the two
expected records with the revision that goes with it, both revisions were
seen, and at the end every instance is ready on the new revision.

  roll_test.py --insource build/bin/insource --rules rules/default.yaml [--seconds 30]

Everything is bounded: each wait has a deadline, every process is stopped on
the way out, and nothing listens beyond 127.0.0.1. Exit 0 on success, 1 on a
failed check, 2 when something needed is missing.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CASE = {"id": "office-catering", "facts": {
    "cost": {"hours": 2000, "internal_rate": 40, "external_rate": 25},
    "control": {"institutional_knowledge": "low", "core_competence": False}}}


class Failure(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise Failure(f"timed out after {timeout} s waiting for {what}")


def http(method, url, body=None, timeout=5):
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""


class Instance:
    def __init__(self, name, binary, rules, work, port=0):
        self.name, self.binary, self.rules, self.work, self.port = name, binary, rules, work, port
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.err = os.path.join(self.work, f"serve-{self.name}-{self.starts}.err")
        with open(self.err, "wb") as err:
            self.proc = subprocess.Popen(
                [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--rules", self.rules,
                 "--threads", "16", "--drain-seconds", "2", "--keep-alive-timeout", "2",
                 "--keep-alive-max", "100000000"],
                stdout=subprocess.DEVNULL, stderr=err)

        def listening():
            if self.proc.poll() is not None:
                raise Failure(f"instance {self.name} exited ({self.proc.returncode}): {self.stderr()}")
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.stderr())
            return m and int(m.group(1))
        self.port = wait_for(f"instance {self.name} to listen", listening, 15)

    def stderr(self):
        with open(self.err, errors="replace") as f:
            return f.read()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def revision(self):
        status, body = http("GET", self.url("/readyz"))
        return json.loads(body)["rules_revision"] if status == 200 else None

    def stop(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Failure(f"instance {self.name} did not stop within {timeout} s of SIGTERM")
        return self.proc.returncode


def haproxy_stats(sock_path):
    """The backend's servers from HAProxy's `show stat`: name -> row (dict)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(2)
        s.connect(sock_path)
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
    return {r["svname"]: r for r in rows if r["pxname"] == "insource" and r["type"] == "2"}  # 2: a server


def decide_json(binary, rules, case_file):
    out = subprocess.run([binary, "decide", "--format", "json", "--rules", rules, case_file],
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise Failure(f"insource decide failed: {out.stderr}")
    return out.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--insource", required=True)
    ap.add_argument("--rules", required=True, help="the policy to start from (rules/default.yaml)")
    ap.add_argument("--seconds", type=float, default=30, help="how long the load runs")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    for tool in ("haproxy", "wrk"):
        if not shutil.which(tool):
            print(f"roll_test: {tool} is not installed (apt-get install {tool})", file=sys.stderr)
            return 2
    binary = os.path.abspath(args.insource)
    work = tempfile.mkdtemp(prefix="insource-haproxy-")
    procs = []
    instances = []
    try:
        return run(args, binary, work, procs, instances)
    except Failure as e:
        print(f"roll_test: FAILED: {e}", file=sys.stderr)
        for inst in instances:
            print(f"--- {inst.name} stderr:\n{inst.stderr()}", file=sys.stderr)
        return 1
    finally:
        for inst in instances:
            if inst.proc and inst.proc.poll() is None:
                inst.proc.kill()
                inst.proc.wait()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if args.keep:
            print(f"roll_test: scratch folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args, binary, work, procs, instances):
    secs = args.seconds
    rules = os.path.join(work, "rules.yaml")
    shutil.copyfile(args.rules, rules)
    old_text = open(rules).read()
    new_text = old_text.replace("outsource: -0.20}", "outsource: -0.70}")
    if new_text == old_text:
        raise Failure("the rules file has no 'outsource: -0.20}' threshold to change")
    new_rules = os.path.join(work, "rules-new.yaml")
    with open(new_rules, "w") as f:
        f.write(new_text)
    case_file = os.path.join(work, "case.json")
    with open(case_file, "w") as f:
        json.dump(CASE, f)
    expect_a, expect_b = os.path.join(work, "expect-a.json"), os.path.join(work, "expect-b.json")
    rec_a, rec_b = decide_json(binary, rules, case_file), decide_json(binary, new_rules, case_file)
    if json.loads(rec_a)["verdict"] == json.loads(rec_b)["verdict"]:
        raise Failure("the rules change does not change the test case's verdict")
    open(expect_a, "w").write(rec_a)
    open(expect_b, "w").write(rec_b)

    for name in "abc":
        inst = Instance(name, binary, rules, work)
        instances.append(inst)
        inst.start()
    rev_a = instances[0].revision()

    stats_sock = os.path.join(work, "haproxy.sock")
    front = free_port()
    cfg = open(os.path.join(HERE, "haproxy.cfg.in")).read()
    for key, value in {"FRONT_PORT": front, "STATS_SOCKET": stats_sock, "PORT_A": instances[0].port,
                       "PORT_B": instances[1].port, "PORT_C": instances[2].port}.items():
        cfg = cfg.replace(f"@{key}@", str(value))
    cfg_path = os.path.join(work, "haproxy.cfg")
    open(cfg_path, "w").write(cfg)
    haproxy_err = open(os.path.join(work, "haproxy.err"), "wb")
    haproxy = subprocess.Popen(["haproxy", "-db", "-f", cfg_path], stdout=haproxy_err, stderr=haproxy_err)
    procs.append(haproxy)

    def all_up():
        if haproxy.poll() is not None:
            raise Failure("haproxy exited: " + open(haproxy_err.name).read())
        try:
            servers = haproxy_stats(stats_sock)
        except OSError:
            return False
        return len(servers) == 3 and all(s["status"] == "UP" for s in servers.values())
    wait_for("HAProxy to see all three instances up", all_up, 15)

    front_url = f"http://127.0.0.1:{front}/v1/decide"
    wrk_out = os.path.join(work, "wrk.out")
    env = dict(os.environ, BODY=case_file, EXPECT_A=expect_a, EXPECT_B=expect_b)
    with open(wrk_out, "wb") as out:
        wrk = subprocess.Popen(["wrk", "-t1", f"-c{args.connections}", f"-d{secs:g}s", "--timeout", "5s",
                                "-s", os.path.join(HERE, "check.lua"), front_url],
                               stdout=out, stderr=subprocess.STDOUT, env=env)
    procs.append(wrk)
    t0 = time.monotonic()

    def at(fraction):  # sleep until this fraction of the load run has passed
        time.sleep(max(0.0, t0 + fraction * secs - time.monotonic()))

    log = []
    def note(text):
        log.append(f"{time.monotonic() - t0:6.2f} s  {text}")
        print(log[-1], flush=True)

    # 1. The new policy, one instance at a time.
    at(0.15)
    os.replace(new_rules, rules)  # atomic: an instance reads the old file or the new one, never half
    rev_b = None
    for i, inst in enumerate(instances):
        if i:
            at(0.15 + 0.1 * i)
        if inst.name == "b":
            inst.proc.send_signal(signal.SIGHUP)
            how = "SIGHUP"
        else:
            status, body = http("POST", inst.url("/v1/reload"), b"")
            if status != 200:
                raise Failure(f"reload of {inst.name}: {status} {body}")
            how = "POST /v1/reload"
        rev = wait_for(f"{inst.name} on the new revision", lambda: (r := inst.revision()) != rev_a and r, 10)
        rev_b = rev_b or rev
        if rev != rev_b:
            raise Failure(f"instance {inst.name} reloaded to {rev}, another revision than {rev_b}")
        note(f"instance {inst.name} reloaded ({how}): {rev_a[:12]} -> {rev[:12]}")

    # 2. Stop one instance and start it again on its port.
    at(0.5)
    victim = instances[1]
    victim.proc.send_signal(signal.SIGTERM)
    note(f"instance {victim.name}: SIGTERM (draining 2 s)")
    wait_for(f"HAProxy to take {victim.name} out",
             lambda: haproxy_stats(stats_sock)[victim.name]["status"].startswith("DOWN"), 10)
    note(f"instance {victim.name}: out of the rotation")
    code = victim.stop(timeout=15)
    note(f"instance {victim.name}: exited {code}")
    if code != 0:
        raise Failure(f"instance {victim.name} exited {code} on SIGTERM")
    victim.start()
    wait_for(f"HAProxy to take {victim.name} back",
             lambda: haproxy_stats(stats_sock)[victim.name]["status"] == "UP", 15)
    note(f"instance {victim.name}: started again on port {victim.port}, back in the rotation")
    served_before = int(haproxy_stats(stats_sock)[victim.name]["stot"])

    try:
        wrk.wait(timeout=secs + 30)
    except subprocess.TimeoutExpired:
        raise Failure("wrk did not finish in time")
    output = open(wrk_out).read()
    m = re.search(r"^RESULT (.*)$", output, re.M)
    if not m:
        raise Failure("wrk printed no RESULT line:\n" + output)
    r = dict(kv.split("=", 1) for kv in m.group(1).split())
    servers = haproxy_stats(stats_sock)

    # The checks.
    problems = []
    errors = {k: int(r[k]) for k in ("non2xx", "connect", "read", "write", "timeout")}
    if any(errors.values()):
        problems.append(f"wrk counted errors: {errors}")
    if int(r["bad"]) or int(r["good"]) != int(r["requests"]):
        problems.append(f"{r['bad']} answers were not a good record; the first: "
                        + (re.search(r"^FIRST_BAD (.*)$", output, re.M) or [None, "?"])[1])
    seen = dict(kv.split("=") for kv in r["seen"].split(",") if kv)
    allowed = {f"A:{rev_a}", f"B:{rev_b}"}
    if set(seen) - allowed:
        problems.append(f"records with another revision than their policy's: {set(seen) - allowed}")
    if set(seen) != allowed:
        problems.append(f"not both revisions seen: {seen}")
    for inst in instances:
        rev = inst.revision()
        if rev != rev_b:
            problems.append(f"instance {inst.name} ends on revision {rev}, not {rev_b}")
    if any(s["status"] != "UP" for s in servers.values()):
        problems.append("not every instance is UP in HAProxy at the end: "
                        + ", ".join(f"{n} {s['status']}" for n, s in servers.items()))
    if int(servers[victim.name]["stot"]) <= served_before:
        problems.append(f"the restarted instance {victim.name} got no request after it came back")
    retries = sum(int(s["wretr"] or 0) for s in servers.values())
    redispatches = sum(int(s["wredis"] or 0) for s in servers.values())

    duration = int(r["duration_us"]) / 1e6
    print(f"requests {int(r['requests']):,} in {duration:.1f} s: {int(r['requests']) / duration:,.0f} req/s, "
          f"p50 {int(r['p50_us']) / 1000:.3f} ms, p99 {int(r['p99_us']) / 1000:.3f} ms, "
          f"max {int(r['max_us']) / 1000:.1f} ms; errors {sum(errors.values())}, bad answers {r['bad']}")
    print(f"answers by policy: old revision {rev_a[:12]} {int(seen.get('A:' + rev_a, 0)):,}, "
          f"new revision {rev_b[:12]} {int(seen.get('B:' + rev_b, 0)):,}")
    print("per instance (HAProxy): " + ", ".join(
        f"{n} {int(s['stot']):,} requests, {s['status']}" for n, s in sorted(servers.items()))
        + f"; HAProxy retries {retries}, redispatches {redispatches}")
    if problems:
        raise Failure("\n  ".join([""] + problems))
    print("roll_test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
