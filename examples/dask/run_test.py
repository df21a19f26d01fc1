#!/usr/bin/python3
"""The Dask recipe end to end: a scheduler and workers as separate processes on
loopback, a JSON Lines corpus decided partition by partition on the workers,
the records identical to one `insource batch` run on the whole file.

  run_test.py --insource build/bin/insource --pythonpath build/python [--cases 20000]
              [--workers 2] [--kill] [--partition-bytes N] [--runs 1]

--kill SIGKILLs one worker while it is deciding a partition; the run must
still write every record (Dask runs the lost partition again on the other
worker), and the test checks that the partition was indeed run twice.
Every wait is bounded; every process started here is stopped on the way out.
Prints cases/s of the Dask run (the client's whole decide_corpus call) and of
`insource batch` on the same file. Exit 0 on success, 1 on a failed check.
"""
import argparse
import filecmp
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))


class Failure(Exception):
    pass


def wait_for(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise Failure(f"timed out after {timeout} s waiting for {what}")


def make_corpus(path, n, seed):
    """n generated cases, with a bad case and a line that is not JSON among them."""
    out = subprocess.run([sys.executable, os.path.join(SOURCE, "tools", "gen_cases.py"), str(n), "--seed", str(seed)],
                         capture_output=True, check=True, timeout=600).stdout.splitlines(keepends=True)
    bad = json.dumps({"id": "broken", "facts": {"cost": {"hours": -5, "internal_rate": 1, "external_rate": 1}}})
    for at, line in ((n // 3, bad.encode() + b"\n"), (2 * n // 3, b"{not json\n")):
        if at < len(out):
            out[at] = line
    with open(path, "wb") as f:
        f.writelines(out)


class Cluster:
    def __init__(self, work, pythonpath):
        self.work, self.procs = work, {}
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join([pythonpath, HERE]),
                        DASK_DISTRIBUTED__WORKER__DAEMON="False")
        self.scheduler_file = os.path.join(work, "scheduler.json")

    def spawn(self, name, argv):
        err = open(os.path.join(self.work, f"{name}.log"), "wb")
        self.procs[name] = subprocess.Popen(argv, stdout=err, stderr=subprocess.STDOUT, env=self.env, cwd=self.work)
        return self.procs[name]

    def start_scheduler(self):
        self.spawn("scheduler", ["dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                 "--scheduler-file", self.scheduler_file])
        wait_for("the scheduler file", lambda: os.path.exists(self.scheduler_file)
                 and os.path.getsize(self.scheduler_file) > 0, 60)

    def start_worker(self, name):
        # --no-nanny: the worker is this process, so killing it kills the worker
        # (with a nanny, the nanny would start a new one).
        return self.spawn(name, ["dask", "worker", "--scheduler-file", self.scheduler_file, "--host", "127.0.0.1",
                                 "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", name,
                                 "--memory-limit", "0", "--local-directory", self.work])

    def log(self, name):
        with open(os.path.join(self.work, f"{name}.log"), errors="replace") as f:
            return f.read()

    def stop(self):
        for name, p in reversed(list(self.procs.items())):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in self.procs.items():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def batch_once(binary, corpus, out):
    t0 = time.monotonic()
    r = subprocess.run([binary, "batch", "--quiet", "--jobs", "1", corpus, "-o", out],
                       capture_output=True, text=True, timeout=600)
    if r.returncode not in (0, 1):
        raise Failure(f"insource batch failed ({r.returncode}): {r.stderr}")
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--insource", required=True)
    ap.add_argument("--pythonpath", required=True, help="the folder holding the insource package (build/python)")
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partition-bytes", type=int, default=1 << 20)
    ap.add_argument("--kill", action="store_true", help="SIGKILL a worker in mid-partition")
    ap.add_argument("--runs", type=int, default=1, help="decide the corpus this many times (figures: best run)")
    args = ap.parse_args()
    if args.kill and args.workers < 2:
        ap.error("--kill needs at least two workers")
    work = tempfile.mkdtemp(prefix="insource-dask-")
    cluster = Cluster(work, os.path.abspath(args.pythonpath))
    try:
        return run(args, work, cluster)
    except Failure as e:
        print(f"run_test: FAILED: {e}", file=sys.stderr)
        for name in cluster.procs:
            print(f"--- {name} log (end):\n{cluster.log(name)[-3000:]}", file=sys.stderr)
        return 1
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


def run(args, work, cluster):
    sys.path[:0] = [os.path.abspath(args.pythonpath), HERE]
    from distributed import Client
    import insource_dask

    corpus, expected = os.path.join(work, "cases.jsonl"), os.path.join(work, "expected.jsonl")
    make_corpus(corpus, args.cases, seed=5)
    batch_secs = min(batch_once(args.insource, corpus, expected) for _ in range(args.runs))

    cluster.start_scheduler()
    workers = [f"worker-{i + 1}" for i in range(args.workers)]
    for name in workers:
        cluster.start_worker(name)
    trace = os.path.join(work, "trace.log") if args.kill else None
    killed = {}

    def killer():
        # Wait until the second worker is in the middle of a partition, then SIGKILL it.
        victim = cluster.procs[workers[1]]

        def mid_task():
            if not os.path.exists(trace):
                return None
            starts, ends = {}, set()
            for line in open(trace):
                what, start, pid = line.split()
                if what == "start":
                    starts.setdefault(int(pid), []).append(start)
                else:
                    ends.add((int(pid), start))
            running = [s for s in starts.get(victim.pid, []) if (victim.pid, s) not in ends]
            return running and len(ends) >= 1 and running[-1]
        try:
            partition = wait_for("the victim worker to be in mid-partition", mid_task, 120)
        except Failure as e:
            killed["error"] = str(e)
            return
        victim.send_signal(signal.SIGKILL)
        killed.update(pid=victim.pid, partition=partition)

    with Client(scheduler_file=cluster.scheduler_file, timeout="30s") as client:
        client.wait_for_workers(args.workers, timeout=60)
        output = os.path.join(work, "records.jsonl")
        best = None
        for run_no in range(args.runs):
            thread = threading.Thread(target=killer) if args.kill and run_no == 0 else None
            if thread:
                thread.start()
            # The killed run's tasks pause 0.3 s after they start: each is
            # decided in milliseconds, too fast to be seen running otherwise.
            figures = insource_dask.decide_corpus(client, corpus, output, partition_bytes=args.partition_bytes,
                                                  trace=trace, trace_pause=0.3 if thread else 0.0)
            if thread:
                thread.join(130)
                if "error" in killed:
                    raise Failure(killed["error"])
            if not filecmp.cmp(output, expected, shallow=False):
                raise Failure(f"run {run_no + 1}: the Dask records differ from `insource batch` on the same file "
                              f"(diff {output} {expected})")
            best = figures if best is None or figures["seconds"] < best["seconds"] else best

    n_records = sum(1 for _ in open(expected, "rb"))
    print(f"{args.cases:,} cases ({n_records:,} records, 2 error records) in {best['partitions']} partitions "
          f"of about {args.partition_bytes / (1 << 20):g} MiB on {args.workers} worker(s): "
          f"{best['cases'] / best['seconds']:,.0f} cases/s ({best['seconds']:.2f} s, best of {args.runs}); "
          f"insource batch --jobs 1: {args.cases / batch_secs:,.0f} cases/s ({batch_secs:.2f} s)")
    print("records identical to `insource batch` on the whole file")
    if args.kill:
        pid, partition = killed["pid"], killed["partition"]
        runs = [line.split() for line in open(trace)]
        again = [p for what, start, p in runs if what == "end" and start == partition and int(p) != pid]
        if not again:
            raise Failure(f"partition at byte {partition} was never finished by another worker")
        print(f"killed worker pid {pid} in mid-partition (byte {partition}); the partition ran again on pid "
              f"{again[0]} and no record was lost")
    print("run_test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
