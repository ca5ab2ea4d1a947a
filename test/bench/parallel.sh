#!/usr/bin/env bash
# Benchmarks of the parallel runner (not timed tests). Generates the shared corpora, then times:
#   overhead: mtest --serial vs mtest -p 2                         (target: -p 2 ≤ 0.6 × serial)
#   heavy:    the default thread budget vs manual jobs × OPENBLAS threads (1×2, 2×1; and 2×2 oversubscribed)
#             (target: default within 5 % of the best manual setting)
#   latency:  timeout → full report for a JavaScript hang and a native hang
#   peer:     pytest --doctest-modules serial / -n 2 on the same workloads (run-peer.sh)
# Usage: test/bench/parallel.sh [SHARED_DIR] [RUNS]     (SHARED_DIR default: $MTEST_SHARED or ../shared)
# Run from the repository root after `npm run build`.
set -euo pipefail
shared=${1:-${MTEST_SHARED:-../shared}}
runs=${2:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${MTEST_CORPUS:-${TMPDIR:-/tmp}/mtest-bench-corpus}
mtest="node $repo/bin/mtest.js"
[ -d "$corpus/overhead" ] || python3 "$shared/bench/gen-corpus.py" "$corpus" >/dev/null

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timeit ENV... -- CMD...: median wall seconds of RUNS runs; a failing run aborts.
timeit() {
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N)
    env "${envs[@]}" "$@" >/tmp/mtest-bench.out 2>&1 || { echo "FAILED: $*" >&2; tail -20 /tmp/mtest-bench.out >&2; exit 1; }
    e=$(date +%s.%N)
    echo "$e - $s" | bc
  done | median
}
ratio() { echo "scale=2; $1 / $2" | bc; }

echo "== overhead ($(find "$corpus/overhead/ts" -type f | wc -l) files), median of $runs"
cd "$corpus/overhead/ts"
serial=$(timeit X=1 -- $mtest --serial .)
p2=$(timeit X=1 -- $mtest -p 2 .)
printf 'serial %6.2f s   -p 2 %6.2f s   ratio %s (target ≤ 0.60)\n' "$serial" "$p2" "$(ratio "$p2" "$serial")"

echo "== heavy ($(find "$corpus/heavy/ts" -type f | wc -l) files of 1500×1500 dense algebra), median of $runs"
cd "$corpus/heavy/ts"
default=$(timeit X=1 -- $mtest .)
one_two=$(timeit X=1 -- $mtest -p 1 --blas-threads 2 .)
two_one=$(timeit X=1 -- $mtest -p 2 --blas-threads 1 .)
two_two=$(timeit X=1 -- $mtest -p 2 --blas-threads 2 .)
best=$(printf '%s\n%s\n' "$one_two" "$two_one" | sort -g | head -1)
printf 'default %6.2f s   1x2 %6.2f s   2x1 %6.2f s   2x2 (oversubscribed) %6.2f s\n' "$default" "$one_two" "$two_one" "$two_two"
printf 'default / best manual = %s (target ≤ 1.05)   2x2 / 2x1 = %s\n' "$(ratio "$default" "$best")" "$(ratio "$two_two" "$two_one")"

echo "== timeout → report latency"
cd "$repo"
node test/bench/parallel-latency.mjs "$runs"

echo "== peer (pytest --doctest-modules, -n 2 = pytest-xdist)"
bash "$shared/bench/run-peer.sh" "$corpus" "$runs"
