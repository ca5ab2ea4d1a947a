#!/usr/bin/env bash
# Benchmarks of the parallel runner (not timed tests). Generates the corpora (gen-corpus.py), then times:
#   overhead: mtest --serial vs mtest -p 2                         (target: -p 2 ≤ 0.6 × serial)
#   heavy:    the default thread budget vs manual jobs × OPENBLAS threads (1×2, 2×1; and 2×2 oversubscribed),
#             interleaved (thread-budget.mjs; target: default within 5 % of the best manual setting)
#   latency:  timeout → full report for a JavaScript hang and a native hang
#   peer:     pytest --doctest-modules serial / -n 2 on the same workloads (run-peer.sh)
# Usage: test/bench/parallel.sh [RUNS]
# Run from the repository root after `npm run build`.
set -euo pipefail
runs=${1:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${MTEST_CORPUS:-${TMPDIR:-/tmp}/mtest-bench-corpus}
mtest="$repo/bin/mtest.js"  # executed as users run it, not handed to node
[ -d "$corpus/overhead" ] || python3 "$repo/test/bench/gen-corpus.py" "$corpus" >/dev/null

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

echo "== heavy: the default thread budget against manual jobs × threads (interleaved)"
MTEST_CORPUS="$corpus" node "$repo/test/bench/thread-budget.mjs" "$runs" "$corpus"

echo "== timeout → report latency"
cd "$repo"
node test/bench/parallel-latency.mjs "$runs"

echo "== peer (pytest --doctest-modules, -n 2 = pytest-xdist)"
bash "$repo/test/bench/run-peer.sh" "$corpus" "$runs"
