#!/usr/bin/python3
"""Throughput of the Python package: Engine.decide_jsonl (bytes in, bytes out,
the batch pipeline), insource.decide_frame (a DataFrame in and out, CSV
between), decide_many (dicts) and decide (one dict at a time), against
`insource batch` on the same cases. A benchmark, not a test.

  PYTHONPATH=build/python /usr/bin/python3 bench/python_throughput.py [N=200000] [--insource build/bin/insource]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def best(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=200_000)
    ap.add_argument("--insource", default="build/bin/insource")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    import pandas as pd
    import insource

    n = args.n
    data = subprocess.run([sys.executable, os.path.join(HERE, "..", "tools", "gen_cases.py"), str(n), "--seed", "21"],
                          capture_output=True, check=True).stdout
    cases = [json.loads(line) for line in data.splitlines()]
    df = pd.json_normalize(cases, sep=".").rename(columns=lambda c: c.removeprefix("facts."))
    engine = insource.Engine()
    print(f"{n:,} generated cases; machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"best of {args.runs}")

    def row(name, secs, note=""):
        print(f"{name:<38} {n / secs:>12,.0f} cases/s  {secs:7.3f} s  {note}")

    path = "/tmp/insource-python-bench.jsonl"
    with open(path, "wb") as f:
        f.write(data)
    for jobs in (1, 2):
        secs = best(lambda: subprocess.run([args.insource, "batch", "--quiet", "--jobs", str(jobs), path, "-o",
                                            "/dev/null"], stderr=subprocess.DEVNULL, check=False), args.runs)
        row(f"insource batch --jobs {jobs} (process)", secs)
    for jobs in (1, 2):
        row(f"engine.decide_jsonl(bytes, jobs={jobs})", best(lambda: engine.decide_jsonl(data, jobs=jobs), args.runs))
    row("engine.decide_jsonl(..., as_list=True)", best(lambda: engine.decide_jsonl(data, jobs=2, as_list=True),
                                                      args.runs), "(records parsed into dicts)")
    for jobs in (1, 2):
        row(f"insource.decide_frame(df, jobs={jobs})", best(lambda: insource.decide_frame(df, engine=engine, jobs=jobs),
                                                           args.runs))
    t0 = time.perf_counter()
    text = df.to_csv(index=False)
    row("  of which df.to_csv alone", time.perf_counter() - t0)
    row("list(engine.decide_many(dicts, jobs=2))", best(lambda: list(engine.decide_many(cases, jobs=2)), 1),
        "(full records as dicts)")
    k = min(n, 20_000)
    secs = best(lambda: [engine.decide(c) for c in cases[:k]], 1)
    print(f"{'engine.decide(dict), one at a time':<38} {k / secs:>12,.0f} cases/s  {secs:7.3f} s  (on {k:,} cases)")
    os.unlink(path)


if __name__ == "__main__":
    main()
