#!/usr/bin/env bash
# mtest against its peer (pytest --doctest-modules, serial and -n 2) on the shared benchmark corpora, side by
# side in one run. Prints one line per workload with medians and ratios (below 1 = mtest faster).
# Usage: test/bench/corpora.sh [RUNS] [SHARED_DIR]   (SHARED_DIR defaults to ../shared; needs python3+numpy)
set -euo pipefail
runs=${1:-3}
shared=${2:-${MTEST_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}}
root=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
command -v $py >/dev/null && $py -c 'import numpy' 2>/dev/null || py=python3
if ! $py -c 'import numpy' 2>/dev/null; then echo "skipped: python3 with numpy is needed to generate the corpora" >&2; exit 0; fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
$py "$shared/bench/gen-corpus.py" "$corpus" >/dev/null

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() { # cmd... ; prints the median wall seconds of $runs runs
  for _ in $(seq "$runs"); do
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; exit 1; }; e=$(date +%s.%N)
    echo "$e - $s" | bc
  done | median
}
mtest() { node "$root/bin/mtest.js" "$@"; }

peer=$(bash "$shared/bench/run-peer.sh" "$corpus" "$runs")
echo "$peer" | sed 's/^/pytest: /'
printf '%-9s %10s %10s %10s %10s %14s %14s\n' workload mtest-ser mtest-p2 pytest pytest-n2 'ser/pytest' 'p2/pytest-n2'
for w in overhead linalg heavy; do
  ser=$(timeit mtest --serial "$corpus/$w/ts")
  par=$(timeit mtest -p 2 "$corpus/$w/ts")
  ps=$(echo "$peer" | awk -v w="$w" '$1 == w {print $3}')
  px=$(echo "$peer" | awk -v w="$w" '$1 == w {print $6}')
  printf '%-9s %9.2fs %9.2fs %9.2fs %9.2fs %14.2f %14.2f\n' "$w" "$ser" "$par" "$ps" "$px" "$(echo "$ser / $ps" | bc -l)" "$(echo "$par / $px" | bc -l)"
done
node "$root/test/bench/per-example.mjs" "$corpus/overhead/ts"
