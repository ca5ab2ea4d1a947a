#!/usr/bin/env node
// Benchmarks of the built-in engine against numpy, interleaved round by round with the same BLAS thread
// count (not a test: it prints numbers). Needs the compiled engine (`npm run build`).
//
//   node test/bench/engine-bench.mjs [--threads 1,2] [--rounds 3] [--reps 3] [--calls 1000000] [--only NAME,...]
//
// Every round runs each operation on the engine and straight after on each numpy (kept running, driven
// over a pipe), best of REPS each; the order alternates between rounds. Printed per operation: the best
// times, and numpy's time / the engine's (above 1 = the engine is faster) as the median of the
// per-round ratios with their range, so that load from other processes on a shared machine biases
// neither side.
// numpy runs from the default python3 (typically a pip numpy with its own newer OpenBLAS) and from
// /usr/bin/python3 when that is another interpreter with numpy (Debian's, on the system OpenBLAS); each
// is skipped with a message when numpy is missing. OPENBLAS_CORETYPE and friends are inherited
// untouched; the kernels in use are printed.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
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
  return i >= 0 ? args[i + 1] : dflt;
};
const THREADS = String(opt('threads', '1,2')).split(',').map(Number);
const ROUNDS = Number(opt('rounds', 3));
const REPS = Number(opt('reps', 3));
const CALLS = Number(opt('calls', 1_000_000));

let seed = 10;
const rand = (m, n) => E.randomMatrix(m, n, seed++);
const sym = (n) => {
  const a = rand(n, n);
  return a.add(a.transpose());
};

/** name → setup returning the timed call; inputs as in engine-bench.py. */
const OPS = {
  'dgemm 1000': () => ((a, b) => () => a.mul(b))(rand(1000, 1000), rand(1000, 1000)),
  'dgemm 2000': () => ((a, b) => () => a.mul(b))(rand(2000, 2000), rand(2000, 2000)),
  'A·Aᵀ 1500': () => ((a) => () => a.mul(a.transpose()))(rand(1500, 1500)),
  'solve 1500': () => ((a, b) => () => a.solve(b))(rand(1500, 1500), rand(1, 1500).row(0)),
  'eigh 500': () => ((s) => () => s.eigh())(sym(500)),
  'svd 500': () => ((a) => () => a.svd())(rand(500, 500)),
  'identity·2 + A 1500': () => ((a) => () => E.identity(1500).scale(2).add(a))(rand(1500, 1500)),
  'transpose 1500': () => ((a) => () => a.transpose())(rand(1500, 1500)),
  'Aᵀ·B 1000': () => ((a, b) => () => a.transpose().mul(b))(rand(1000, 1000), rand(1000, 1000)),
  'norm fro 1500': () => ((a) => () => a.norm())(rand(1500, 1500)),
  'norm 1 1500': () => ((a) => () => a.norm(1))(rand(1500, 1500)),
  'norm inf 1500': () => ((a) => () => a.norm(Infinity))(rand(1500, 1500)),
  '4x4 product': null,
};
const only = opt('only', undefined);
const NAMES = only ? only.split(',') : Object.keys(OPS);
for (const n of NAMES) if (!(n in OPS)) throw new Error(`engine-bench: unknown operation ${n}`);

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
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9 / batch);
  }
  if (sink === 0) console.log('');
  return best;
}

const engineReady = new Map();

function engineTime(name) {
  if (name === '4x4 product') return engineSmall();
  let ready = engineReady.get(name);
  if (!ready) {
    const f = OPS[name]();
    f(); // warm-up: thread pool start, page faults
    const t0 = process.hrtime.bigint();
    f();
    // Calls shorter than 2 ms are timed in batches of that length, as on the numpy side.
    const once = Number(process.hrtime.bigint() - t0) / 1e9;
    engineReady.set(name, (ready = { f, inner: Math.max(1, Math.floor(0.002 / Math.max(once, 1e-9))) }));
  }
  const { f, inner } = ready;
  let best = Infinity;
  for (let r = 0; r < REPS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; i++) f();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9 / inner);
  }
  return best;
}

/** A numpy process for `threads` threads: ask(name) resolves to its best time; null when numpy is missing. */
async function startNumpy(python, threads) {
  const child = spawn(python, [path.join(here, 'engine-bench.py'), String(CALLS)], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const failed = new Promise((resolve) => child.on('error', (e) => resolve({ done: true, error: e.message })).on('exit', () => resolve({ done: true })));
  const next = async () => {
    const r = await Promise.race([lines.next(), failed]);
    if (r.done) throw new Error(r.error ?? (stderr.trim().split('\n').pop() || 'numpy side ended'));
    return r.value;
  };
  try {
    const info = JSON.parse(await next());
    return {
      info,
      ask: async (name) => {
        child.stdin.write(`${REPS} ${name}\n`);
        return Number(await next());
      },
      close: () => child.stdin.end(),
    };
  } catch (err) {
    child.kill();
    return { skipped: `${python}: ${err.message}` };
  }
}

/** The default python3, and /usr/bin/python3 when it is another interpreter. */
function pythons() {
  const list = ['python3'];
  const which = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  if (existsSync('/usr/bin/python3') && which.stdout?.trim() !== '/usr/bin/python3') list.push('/usr/bin/python3');
  return list;
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmtTime = (s) => (s < 1e-5 ? `${(s * 1e9).toFixed(0)} ns` : s < 1e-2 ? `${(s * 1e3).toFixed(3)} ms` : `${s.toFixed(3)} s`);

const cfg0 = E.blasConfig();
console.log(`engine-bench: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} CPUs, node ${process.version}`);
console.log(`engine: ${cfg0.library} ${cfg0.version}, ${cfg0.coretype} kernels (${cfg0.chosenBy}: ${cfg0.reason})` +
  (process.env.OPENBLAS_CORETYPE !== undefined ? `; OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE} in the environment` : ''));

for (const threads of THREADS) {
  E.setBlasThreads(threads);
  const sides = [];
  for (const p of pythons()) {
    const side = await startNumpy(p, threads);
    if (side.skipped) console.log(`numpy skipped: ${side.skipped}`);
    else sides.push({ python: p, ...side, times: new Map() });
  }
  const engine = new Map(NAMES.map((n) => [n, []]));
  for (const s of sides) for (const n of NAMES) s.times.set(n, []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of NAMES) {
      // Alternate which side goes first, so that neither always meets the other's leftovers.
      if (round % 2 === 0) engine.get(name).push(engineTime(name));
      for (const s of sides) s.times.get(name).push(await s.ask(name));
      if (round % 2 === 1) engine.get(name).push(engineTime(name));
    }
  }
  for (const s of sides) s.close();
  console.log(`\n${threads} BLAS thread${threads === 1 ? '' : 's'}, ${ROUNDS} rounds (best of ${REPS} per round and side)`);
  sides.forEach((s, i) => console.log(`  [${i + 1}] numpy ${s.info.numpy} (${s.python}, ${s.info.config.split(/\s+/).slice(0, 2).join(' ')}, ${s.info.coretype})`));
  const pad = (x, n) => String(x).padEnd(n);
  console.log(`  ${pad('operation', 22)}${pad('engine', 12)}${sides.map((_, i) => `${pad(`numpy [${i + 1}]`, 12)}${pad('numpy/engine (range)', 24)}`).join('')}`);
  for (const name of NAMES) {
    const e = engine.get(name);
    let line = `  ${pad(name, 22)}${pad(fmtTime(Math.min(...e)), 12)}`;
    for (const s of sides) {
      const n = s.times.get(name);
      const ratios = n.map((t, k) => t / e[k]);
      line += `${pad(fmtTime(Math.min(...n)), 12)}${pad(`${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`, 24)}`;
    }
    console.log(line);
  }
}
