"""Deciding a JSON Lines corpus on a Dask cluster with the insource Python package.

The corpus is cut into partitions of whole lines by byte offsets; each
partition is read and decided on a worker (Engine.decide_jsonl: the batch
pipeline of `insource batch`), and the client writes the records back in
input order. Error records carry the line of the whole file (the first line
of each partition is counted on the workers beforehand), so the output is,
record for record, what one `insource batch` run on the whole file writes.

The workers read the corpus themselves (a shared file system here; on a real
cluster, any path every worker can open), so no case passes through the
client, only the records on their way to the output file.

    from distributed import Client
    import insource_dask
    with Client(scheduler_file="scheduler.json") as client:
        insource_dask.decide_corpus(client, "cases.jsonl", "records.jsonl")
"""
import os
import time

# One Engine per worker process and policy: loading opens the plugin files
# and checks their pins, on the worker, against the rules it was given.
_engines = {}


def engine_for(rules, plugins, no_default_plugins):
    key = (rules, tuple(plugins), no_default_plugins)
    if key not in _engines:
        import insource
        _engines[key] = insource.Engine(rules=rules, plugins=list(plugins),
                                        no_default_plugins=no_default_plugins)
    return _engines[key]


def partitions(path, partition_bytes):
    """Byte ranges [start, end) of whole lines, about partition_bytes each."""
    size = os.path.getsize(path)
    bounds = [0]
    with open(path, "rb") as f:
        while bounds[-1] < size:
            cut = bounds[-1] + partition_bytes
            if cut >= size:
                bounds.append(size)
                break
            f.seek(cut)
            f.readline()  # to the end of the line the cut falls in
            bounds.append(min(f.tell(), size))
    return list(zip(bounds[:-1], bounds[1:]))


def read_range(path, start, end):
    with open(path, "rb") as f:
        f.seek(start)
        return f.read(end - start)


def count_lines(path, start, end):
    """The lines of a partition (a last line without a newline counts)."""
    data = read_range(path, start, end)
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def decide_partition(path, start, end, first_line, rules, plugins, no_default_plugins, trace=None, trace_pause=0.0):
    """The batch records of one partition, as bytes (one line per input line).

    `trace`, when given, is a file that gets a line when the task starts and
    one when it ends (the tests use it to kill a worker in mid-task); the
    task then waits `trace_pause` seconds after its start line, so that a
    partition decided in a few milliseconds can still be caught in mid-task."""
    if trace:
        with open(trace, "a") as t:
            t.write(f"start {start} {os.getpid()}\n")
        time.sleep(trace_pause)
    engine = engine_for(rules, plugins, no_default_plugins)
    records = engine.decide_jsonl(read_range(path, start, end), jobs=1, first_line=first_line)
    if trace:
        with open(trace, "a") as t:
            t.write(f"end {start} {os.getpid()}\n")
    return records


def decide_corpus(client, path, output, partition_bytes=4 << 20, rules=None, plugins=(),
                  no_default_plugins=False, trace=None, trace_pause=0.0):
    """Decides `path` on the cluster of `client` and writes the records to `output`.

    Returns a dict of figures: cases, partitions, seconds. Records are
    written in input order as the partitions complete, each partition's
    result released once written."""
    path = os.path.abspath(path)
    t0 = time.monotonic()
    ranges = partitions(path, partition_bytes)
    counts = client.gather(client.map(count_lines, [path] * len(ranges), [s for s, _ in ranges],
                                      [e for _, e in ranges], pure=False))
    first_lines, line = [], 1
    for n in counts:
        first_lines.append(line)
        line += n
    # pure=False: a task that dies with its worker is run again, never taken from a cache.
    futures = [client.submit(decide_partition, path, s, e, first, rules, list(plugins), no_default_plugins,
                             trace, trace_pause, pure=False)
               for (s, e), first in zip(ranges, first_lines)]
    with open(output, "wb") as out:
        for future in futures:
            out.write(future.result())
            future.release()
    return {"cases": line - 1, "partitions": len(ranges), "seconds": time.monotonic() - t0}
