#!/usr/bin/env bash
# Load test of `insource serve` on loopback with wrk (Debian package `wrk`):
# single-case POST /v1/decide, 1,000-case POST /v1/batch, then single cases
# again (RSS must not creep), each for a bounded time; requests/s,
# decisions/s, p50/p99 latency, errors, and the server's RSS along the way;
# then the in-process `insource batch` on the same kind of cases for
# comparison. A benchmark, not a CI test.
#
#   bash bench/serve_load.sh [BUILD=build] [SECONDS=10]
#
# Environment: CONNS (wrk connections, default 8), WRK_THREADS (default 1),
# SERVER_THREADS (default 8; at least CONNS: a connection holds a thread).
set -euo pipefail
BUILD=${1:-build}
SECS=${2:-10}
CONNS=${CONNS:-8}
WRK_THREADS=${WRK_THREADS:-1}
SERVER_THREADS=${SERVER_THREADS:-8}
here=$(cd "$(dirname "$0")" && pwd)
bin=$BUILD/bin/insource
command -v wrk > /dev/null || { echo "serve_load: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$bin" ] || { echo "serve_load: $bin not found; build the insource target first" >&2; exit 2; }

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

/usr/bin/python3 "$here/../tools/gen_cases.py" 1 --seed 11 > "$work/single.json"
/usr/bin/python3 "$here/../tools/gen_cases.py" 1000 --seed 12 > "$work/batch.jsonl"
/usr/bin/python3 "$here/../tools/gen_cases.py" 200000 --seed 13 > "$work/big.jsonl"

"$bin" serve --listen 127.0.0.1:0 --threads "$SERVER_THREADS" --keep-alive-max 100000000 2> "$work/server.err" &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.err" | sed 's/.*://' || true)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { cat "$work/server.err" >&2; exit 1; }
url=http://127.0.0.1:$port
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

# Warm up and check the answers once.
curl -sf -H 'Content-Type: application/json' --data-binary @"$work/single.json" "$url/v1/decide" > /dev/null
lines=$(curl -sf -H 'Content-Type: application/x-ndjson' --data-binary @"$work/batch.jsonl" "$url/v1/batch" | grep -vc '"error"')
[ "$lines" = 1000 ] || { echo "serve_load: a 1000-case batch gave $lines records without error" >&2; exit 1; }
rss_start=$(rss)

run() {  # name body content-type cases-per-request -> one summary line
  local name=$1 body=$2 ctype=$3 per=$4 out
  out=$(BODY=$body CTYPE=$ctype wrk -t "$WRK_THREADS" -c "$CONNS" -d "${SECS}s" --timeout 10s \
          -s "$here/serve_load.lua" "$url$5" | grep '^RESULT')
  python3 - "$name" "$per" "$out" <<'EOF'
import sys
name, per, line = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = dict(kv.split("=") for kv in line.split()[1:])
secs = int(r["duration_us"]) / 1e6
rps = int(r["requests"]) / secs
errors = sum(int(r[k]) for k in ("non2xx", "connect", "read", "write", "timeout"))
print(f"{name:<24} {rps:>10,.0f} req/s {rps * per:>12,.0f} decisions/s   p50 {int(r['p50_us']) / 1000:7.3f} ms"
      f"   p99 {int(r['p99_us']) / 1000:7.3f} ms   {int(r['requests']):,} requests, {errors} errors")
EOF
}

echo "insource serve on $url: $SERVER_THREADS server threads; wrk $WRK_THREADS thread(s), $CONNS connections, ${SECS} s per run"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
run "POST /v1/decide (1 case)" "$work/single.json" application/json 1 /v1/decide
rss_mid=$(rss)
run "POST /v1/batch (1000)" "$work/batch.jsonl" application/x-ndjson 1000 /v1/batch
rss_batch=$(rss)
run "POST /v1/decide again" "$work/single.json" application/json 1 /v1/decide
rss_end=$(rss)
errors=$(curl -sf "$url/metrics" | awk '/^insource_errors_total/ {s += $2} END {print s + 0}')
echo "server RSS (KiB): $rss_start after warm-up, $rss_mid after the single-case run, $rss_batch after the batch run," \
     "$rss_end after the second single-case run; insource_errors_total $errors"

kill -TERM "$pid"
wait "$pid" || true
pid=""

# The same engine in one process, no HTTP: `insource batch` on 200,000 cases.
cat "$work/big.jsonl" > /dev/null
for jobs in 1 2; do
  t0=$(date +%s.%N)
  "$bin" batch --quiet --jobs "$jobs" "$work/big.jsonl" -o /dev/null 2> /dev/null || true
  t1=$(date +%s.%N)
  python3 -c "print(f'insource batch --jobs $jobs    {200000 / ($t1 - $t0):>12,.0f} decisions/s (200,000 cases, whole process)')"
done
