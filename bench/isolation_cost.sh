#!/usr/bin/env bash
# The cost of plugin isolation (docs/reliability.md section 2): `insource
# batch` on generated cases with the plugins in-process and with --isolate
# (every plugin in a worker process, one round trip per case), at --jobs 1
# and --jobs 2; then the cost of a crash (a worker restart).
#
#   bash bench/isolation_cost.sh [N=200000] [BUILD=build]
set -euo pipefail
N=${1:-200000}
BUILD=${2:-build}
here=$(cd "$(dirname "$0")" && pwd)
data=${TMPDIR:-/tmp}/insource-cases-$N.jsonl
[ -s "$data" ] || /usr/bin/python3 "$here/../tools/gen_cases.py" "$N" > "$data"
echo "input: $N cases ($data)"
cat "$data" > /dev/null

rate_of() {  # best of three: cases/s
  local best=0
  for _ in 1 2 3; do
    local t0 t1 r
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>/dev/null
    t1=$(date +%s.%N)
    r=$(python3 -c "print(int($N / ($t1 - $t0)))")
    [ "$r" -gt "$best" ] && best=$r
  done
  echo "$best"
}

for jobs in 1 2; do
  inproc=$(rate_of "$BUILD/bin/insource" batch --quiet --jobs "$jobs" "$data" -o /dev/null)
  iso=$(rate_of "$BUILD/bin/insource" batch --quiet --isolate --jobs "$jobs" "$data" -o /dev/null)
  python3 - "$jobs" "$inproc" "$iso" <<'PY'
import sys
jobs, a, b = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
print(f"--jobs {jobs}: in-process {a:,} cases/s ({1e9/a:,.0f} ns/case); --isolate {b:,} cases/s "
      f"({1e9/b:,.0f} ns/case): {a/b:.1f}x slower, +{(1e9/b - 1e9/a)/1000:.1f} us per case")
PY
done

# A crash per case: every case costs a worker restart (spawn, load the plugin, set up).
fixture="$BUILD/tests/fixtures/plugins/crashy"
if [ -d "$fixture" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  printf 'insource: 1\ncriteria: {crashy: {weight: 1, on_error: abstain}}\n' > "$tmp/rules.yaml"
  M=500
  for i in $(seq 1 $M); do echo "{\"id\":\"c$i\",\"facts\":{\"crashy.mode\":\"segv\"}}"; done > "$tmp/crash.jsonl"
  t0=$(date +%s.%N)
  "$BUILD/bin/insource" batch --quiet --isolate --jobs 1 --no-default-plugins --plugins "$fixture" --rules "$tmp/rules.yaml" \
    "$tmp/crash.jsonl" -o "$tmp/out.jsonl" 2>/dev/null || true
  t1=$(date +%s.%N)
  [ "$(wc -l < "$tmp/out.jsonl")" -eq "$M" ] || { echo "lost records in the crash run" >&2; exit 1; }
  python3 -c "print(f'a segfault on every case (--jobs 1, $M cases): {($t1 - $t0) / $M * 1000:.2f} ms per case (crash, reap, restart)')"
fi
