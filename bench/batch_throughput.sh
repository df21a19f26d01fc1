#!/usr/bin/env bash
# Whole-process throughput of `insource batch` on generated cases, at --jobs 1
# and --jobs 2, with peak RSS, against the simdjson-only floor.
#
#   bash bench/batch_throughput.sh [N=1000000] [BUILD=build]
set -euo pipefail
N=${1:-1000000}
BUILD=${2:-build}
here=$(cd "$(dirname "$0")" && pwd)
data=${TMPDIR:-/tmp}/insource-cases-$N.jsonl
[ -s "$data" ] || /usr/bin/python3 "$here/../tools/gen_cases.py" "$N" > "$data"
echo "input: $N cases, $(du -h "$data" | cut -f1) ($data)"
cat "$data" > /dev/null  # warm the page cache

best() {  # best of three runs: "cases/s peakRSS_KiB"
  local cmd=("$@") best_rate=0 best_rss=0
  for _ in 1 2 3; do
    local t0 t1 rss tfile
    tfile=$(mktemp)
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$tfile" "${cmd[@]}" > /dev/null 2>/dev/null
    t1=$(date +%s.%N)
    rss=$(tail -1 "$tfile")
    rm -f "$tfile"
    local rate
    rate=$(python3 -c "print(int($N / ($t1 - $t0)))")
    if [ "$rate" -gt "$best_rate" ]; then best_rate=$rate; best_rss=$rss; fi
  done
  echo "$best_rate $best_rss"
}

read -r floor floor_rss < <(best "$BUILD/bin/simdjson_floor" "$data")
echo "simdjson floor (parse only):     $floor cases/s, peak RSS $((floor_rss / 1024)) MiB"
for jobs in 1 2; do
  read -r rate rss < <(best "$BUILD/bin/insource" batch --quiet --jobs "$jobs" "$data" -o /dev/null)
  ratio=$(python3 -c "print(f'{$rate / $floor:.2f}')")
  echo "insource batch --jobs $jobs:          $rate cases/s, peak RSS $((rss / 1024)) MiB, ${ratio}x the floor"
done
