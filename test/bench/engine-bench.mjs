#!/usr/bin/env node
// Benchmarks of the built-in engine against numpy, side by side in one run with the same BLAS thread
// count (not a test: it prints numbers). Needs the compiled engine (`npm run build`).
//
//   node test/bench/engine-bench.mjs [--n 1000] [--reps 5] [--calls 1000000] [--rounds 3]
//
// The sides run interleaved for several rounds and each keeps its best, so that load from other
// processes on a shared machine biases neither side.
//
// 1. dgemm n×n (default 1000): best GFLOP/s over reps, engine A.mul(B) vs numpy a @ b.
// 2. 4×4 product: ns per call, engine A.mul(B) vs numpy a @ b.
// numpy is run from /usr/bin/python3 (Debian's python3-numpy, same system OpenBLAS as the engine) and
// from the default python3 when that is a different interpreter; each is skipped with a message when
// numpy is missing. OPENBLAS_CORETYPE and friends are inherited untouched; the kernel in use is printed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const engineFile = path.join(root, 'dist', 'src', 'engine', 'index.js');
if (!existsSync(engineFile)) {
  console.error('engine-bench: dist/src/engine/index.js is missing; run `npm run build` first.');
  process.exit(1);
}
const E = await import(pathToFileURL(engineFile).href);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = opt('n', 1000);
const REPS = opt('reps', 5);
const CALLS = opt('calls', 1_000_000);
const ROUNDS = opt('rounds', 3);

// One thread count for both sides: OPENBLAS_NUM_THREADS if set, else what OpenBLAS chose here.
const threads = Number(process.env.OPENBLAS_NUM_THREADS) || E.blasConfig().threads;
E.setBlasThreads(threads);
const cfg = E.blasConfig();

function engineGemm() {
  const a = E.randomMatrix(N, N, 1);
  const b = E.randomMatrix(N, N, 2);
  a.mul(b); // warm-up: thread pool start, page faults
  let best = Infinity;
  for (let r = 0; r < REPS; r++) {
    const t0 = process.hrtime.bigint();
    a.mul(b);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds: best, gflops: (2 * N ** 3) / best / 1e9 };
}

function engineSmall() {
  const a = E.randomMatrix(4, 4, 3);
  const b = E.randomMatrix(4, 4, 4);
  const batch = Math.max(1, Math.floor(CALLS / 5));
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += a.mul(b).cols; // let the JIT settle
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) sink += a.mul(b).cols;
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / batch);
  }
  if (sink === 0) console.log('');
  return best;
}

function numpy(python) {
  const r = spawnSync(python, [path.join(here, 'engine-bench.py'), String(N), String(REPS), String(CALLS)], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
  });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    return { skipped: `${python}: ${why}` };
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** /usr/bin/python3 (Debian's numpy) and the default python3 when it is another interpreter. */
function pythons() {
  const list = [];
  if (existsSync('/usr/bin/python3')) list.push('/usr/bin/python3');
  const which = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '/usr/bin/python3') list.push('python3');
  return list;
}

console.log(`engine-bench: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} CPUs, node ${process.version}`);
console.log(`engine: ${cfg.library} ${cfg.version}, kernel ${cfg.coretype}, ${cfg.threads} thread(s)` +
  (process.env.OPENBLAS_CORETYPE ? ` (OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE} in the environment)` : ''));

let g = { gflops: 0 };
let s = Infinity;
const py = new Map(pythons().map((p) => [p, null]));
for (let round = 0; round < ROUNDS; round++) {
  const eg = engineGemm();
  if (eg.gflops > g.gflops) g = eg;
  s = Math.min(s, engineSmall());
  for (const [p, best] of py) {
    const r = numpy(p);
    if (r.skipped) {
      if (round === 0) console.log(`numpy skipped: ${r.skipped}`);
      py.delete(p);
      continue;
    }
    py.set(p, best === null ? r : { ...best, gemm_gflops: Math.max(best.gemm_gflops, r.gemm_gflops), small_ns: Math.min(best.small_ns, r.small_ns) });
  }
}
const rows = [{ who: `engine (${cfg.library} ${cfg.version}, ${cfg.coretype})`, gflops: g.gflops, small: s }];
for (const [p, r] of py) {
  const lib = r.config.split(/\s+/).slice(0, 2).join(' ');
  rows.push({ who: `numpy ${r.numpy} via ${p} (${lib}, ${r.coretype}, ${r.threads} thr)`, gflops: r.gemm_gflops, small: r.small_ns });
}

const pad = (x, n) => String(x).padEnd(n);
console.log('');
console.log(`${pad('', 72)} ${pad(`dgemm ${N}x${N}`, 16)} 4x4 product`);
for (const r of rows) {
  console.log(`${pad(r.who, 72)} ${pad(r.gflops.toFixed(1) + ' GFLOP/s', 16)} ${r.small.toFixed(0)} ns/call`);
}
for (const r of rows.slice(1)) {
  console.log(`engine vs ${r.who.split(' (')[0]}: dgemm ${(g.gflops / r.gflops).toFixed(2)}x numpy's GFLOP/s (target >= 0.95); ` +
    `4x4 ${(r.small / s).toFixed(2)}x faster per call (target >= 1)`);
}
