#!/usr/bin/env node
// Benchmarks of the built-in engine against the library it runs on and against numpy, interleaved round by
// round with the same BLAS thread count (not a test: it prints numbers). Needs the compiled engine
// (`npm run build`).
//
//   node test/bench/engine-bench.mjs [--threads 1,2] [--rounds 3] [--reps 3] [--calls 1000000] [--only NAME,...]
//                                    [--coretype both|inherited|unset|NAME,...] [--clock wall|cpu]
//
// Sides: the engine (in this process); a C program on the same OpenBLAS and LAPACKE (engine-bench.c,
// compiled here with the engine's include and library flags); numpy from the default python3 (typically a
// pip numpy with its own newer OpenBLAS) and from /usr/bin/python3 when that is another interpreter with
// numpy (Debian's python3-numpy, on the system OpenBLAS). A side that cannot run is reported as not
// available, and the others go on. The operations the C program has get the very same inputs on every
// side (the engine's, through files). Every round runs each operation on each side back to back, best of
// REPS each after 100 ms of untimed calls; the order rotates between rounds. Printed per operation: the
// best times, and each side's time / the engine's (above 1 = the engine is faster) as the median of the
// per-round ratios with their range, so that load from other processes on a shared machine biases no side.
// Core types: OpenBLAS reads OPENBLAS_CORETYPE once, as it loads, so each setting runs in a process of its
// own: `inherited` keeps the environment as it is, `unset` removes OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
// for that run only (every side then runs the kernels its library, or the engine's probe, picks); NAME runs
// every side with OPENBLAS_CORETYPE=NAME. The kernels each side runs are printed.
// --clock cpu times every side by its process's CPU time instead of the wall clock: on a machine shared
// with other work it leaves out the time a side waits for a CPU; meaningful with one thread only (with
// more, idle BLAS threads spin and are counted).
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

/** The CPU as lscpu names it (vendor, model, family/model numbers), os.cpus() where lscpu is missing. */
function cpuName() {
  const r = spawnSync('lscpu', [], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const field = (k) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(r.stdout ?? '')?.[1]?.trim();
  const model = field('Model name') ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const extra = [field('Vendor ID'), field('CPU family') && `family ${field('CPU family')} model ${field('Model')}`, field('Hypervisor vendor') && `${field('Hypervisor vendor')} guest`];
  return `${model} (${extra.filter(Boolean).join(', ')})`;
}

// ---- the parent: one child process per core-type setting ----

const CORETYPE_VARS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

/** Compiles engine-bench.c against the engine's OpenBLAS; { file } or { missing: why }. */
function compileC(dir) {
  const flags = (what) => spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs'), what], { encoding: 'utf8' });
  const inc = flags('--gyp-includes'), libs = flags('--gyp-libs');
  if (inc.status !== 0 || libs.status !== 0) return { missing: 'the engine\'s OpenBLAS/LAPACKE flags could not be found' };
  const file = path.join(dir, 'engine-bench-c');
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['-O2', '-std=c11', '-D_POSIX_C_SOURCE=200809L', '-o', file, path.join(here, 'engine-bench.c'),
    ...inc.stdout.trim().split(/\s+/).filter(Boolean).map((d) => `-I${d}`), ...libs.stdout.trim().split(/\s+/).filter(Boolean), '-lm'], { encoding: 'utf8' });
  if (r.error) return { missing: `${cc}: ${r.error.message}` };
  if (r.status !== 0) return { missing: `${cc} failed: ${(r.stderr || '').trim().split('\n').slice(-1)[0]}` };
  return { file };
}

function parent() {
  if (!existsSync(path.join(root, 'dist', 'src', 'engine', 'index.js'))) {
    console.error('engine-bench: dist/src/engine/index.js is missing; run `npm run build` first.');
    process.exit(1);
  }
  console.log(`engine-bench: ${cpuName()}, ${os.availableParallelism()} CPUs, node ${process.version}`);
  const which = opt('coretype', 'both');
  const set = CORETYPE_VARS.filter((v) => process.env[v] !== undefined).map((v) => `${v}=${process.env[v]}`);
  const runs = [];
  if (which === 'both' || which === 'inherited') {
    if (set.length || which === 'inherited') runs.push({ label: `core type as inherited (${set.join(' ') || 'OPENBLAS_CORETYPE not set'})`, env: process.env });
    else console.log('OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are not set in this environment: the core-type-unset run is the only one.');
  }
  if (which === 'both' || which === 'unset') {
    const env = { ...process.env };
    for (const v of CORETYPE_VARS) delete env[v];
    runs.push({ label: 'core type unset (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed for this run)', env });
  }
  // Named core types, each for every side, as a machine's own setting would be.
  for (const name of ['both', 'inherited', 'unset'].includes(which) ? [] : which.split(',')) {
    const env = { ...process.env, OPENBLAS_CORETYPE: name };
    delete env.OPENBLAS_L2_SIZE;
    runs.push({ label: `OPENBLAS_CORETYPE=${name} for this run`, env });
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-bench-'));
  try {
    const c = compileC(dir);
    if (c.missing) console.log(`C program: not available (${c.missing})`);
    for (const run of runs) {
      console.log(`\n=== ${run.label}`);
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--side-runner', c.file ?? '', ...args], { env: run.env, stdio: 'inherit' });
      if (r.status !== 0) process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- a child: the engine in this process, the other sides in theirs ----

async function sideRunner(cProgram) {
  const E = await import(pathToFileURL(path.join(root, 'dist', 'src', 'engine', 'index.js')).href);
  const THREADS = String(opt('threads', '1,2')).split(',').map(Number);
  const ROUNDS = Number(opt('rounds', 3));
  const REPS = Number(opt('reps', 3));
  const CALLS = Number(opt('calls', 1_000_000));
  const CPU = opt('clock', 'wall') === 'cpu';
  /** Seconds on the chosen clock. */
  const clock = CPU ? () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; } : () => Number(process.hrtime.bigint()) / 1e9;

  let seed = 10;
  const rand = (m, n) => E.randomMatrix(m, n, seed++);
  const sym = (n) => {
    const a = rand(n, n);
    return a.add(a.transpose());
  };
  const spd = (n) => {
    const a = rand(n, n);
    return a.mul(a.transpose()).add(E.identity(n).scale(n));
  };
  const product = (n) => () => ((a, b) => () => a.mul(b))(rand(n, n), rand(n, n));

  // The operations every side has get the same inputs: the engine makes them, and the other sides read
  // them from files (raw float64, row-major) in the directory ENGINE_BENCH_INPUTS names. The work of
  // pivoting, of a divide and conquer or of an SVD's iterations depends on the matrix itself.
  const SHARED = {
    'dgemm 1000': () => ({ a: rand(1000, 1000), b: rand(1000, 1000) }),
    'dgemm 2000': () => ({ a: rand(2000, 2000), b: rand(2000, 2000) }),
    'solve 1500': () => ({ a: rand(1500, 1500), b: rand(1, 1500).row(0) }),
    'cholesky 1500': () => ({ a: spd(1500) }),
    'eigh 500': () => ({ a: sym(500) }),
    'svd 500': () => ({ a: rand(500, 500) }),
  };
  const inputsDir = mkdtempSync(path.join(os.tmpdir(), 'engine-bench-inputs-'));
  process.on('exit', () => rmSync(inputsDir, { recursive: true, force: true }));
  const shared = new Map();
  const input = (name) => {
    if (!shared.has(name)) shared.set(name, SHARED[name]());
    return shared.get(name);
  };
  const slug = (name) => name.replace(/[^A-Za-z0-9]+/g, '-');

  /** name → setup returning the timed call; inputs as in engine-bench.py and engine-bench.c. */
  const OPS = {
    'dgemm 1000': () => ((x) => () => x.a.mul(x.b))(input('dgemm 1000')),
    'dgemm 2000': () => ((x) => () => x.a.mul(x.b))(input('dgemm 2000')),
    'A·Aᵀ 1500': () => ((a) => () => a.mul(a.transpose()))(rand(1500, 1500)),
    'solve 1500': () => ((x) => () => x.a.solve(x.b))(input('solve 1500')),
    'cholesky 1500': () => ((x) => () => x.a.cholesky())(input('cholesky 1500')),
    'eigh 500': () => ((x) => () => x.a.eigh())(input('eigh 500')),
    'svd 500': () => ((x) => () => x.a.svd())(input('svd 500')),
    'identity·2 + A 1500': () => ((a) => () => E.identity(1500).scale(2).add(a))(rand(1500, 1500)),
    'transpose 1500': () => ((a) => () => a.transpose())(rand(1500, 1500)),
    'Aᵀ·B 1000': () => ((a, b) => () => a.transpose().mul(b))(rand(1000, 1000), rand(1000, 1000)),
    'norm fro 1500': () => ((a) => () => a.norm())(rand(1500, 1500)),
    'norm 1 1500': () => ((a) => () => a.norm(1))(rand(1500, 1500)),
    'norm inf 1500': () => ((a) => () => a.norm(Infinity))(rand(1500, 1500)),
    '4x4 product': null,
    '8x8 product': product(8),
    '16x16 product': product(16),
    '32x32 product': product(32),
    '64x64 product': product(64),
  };
  const only = opt('only', undefined);
  const NAMES = only ? only.split(',') : Object.keys(OPS);
  for (const n of NAMES) if (!(n in OPS)) throw new Error(`engine-bench: unknown operation ${n}`);
  for (const name of NAMES.filter((n) => n in SHARED)) {
    for (const [key, value] of Object.entries(input(name))) {
      const data = value.data;
      writeFileSync(path.join(inputsDir, `${slug(name)}.${key}.f64`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  }

  function engineSmall() {
    const a = E.randomMatrix(4, 4, 3);
    const b = E.randomMatrix(4, 4, 4);
    const batch = Math.max(1, Math.floor(CALLS / 5));
    let sink = 0;
    for (let i = 0; i < 200_000; i++) sink += a.mul(b).cols; // let the JIT settle
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = clock();
      for (let i = 0; i < batch; i++) sink += a.mul(b).cols;
      best = Math.min(best, (clock() - t0) / batch);
    }
    if (sink === 0) console.log('');
    return best;
  }

  /** Calls shorter than this many seconds are timed in batches of this length, on every side. */
  const BATCH = 0.01;
  /** With more than one BLAS thread, the pause before each side's turn. */
  const SETTLE_MS = 150;
  /**
   * Seconds of untimed calls at the start of every side's turn, so that what a process did while the
   * others had their turns is not timed: OpenBLAS's threads fell asleep, and the engine, idle for over a
   * second, handed its heap back (its next results faulted their pages in until a collection freed the
   * last ones: 11,501 page faults in one dgemm 1000 turn). What that costs is in test/bench/README.md.
   */
  const TURN_WARMUP = 0.1;
  const engineReady = new Map();
  function engineTime(name) {
    if (name === '4x4 product') return engineSmall();
    let ready = engineReady.get(name);
    if (!ready) {
      const f = OPS[name]();
      // Warm-up, at least 200 ms (thread pool start, page faults, the JIT); its mean call time sets the
      // batch, long enough to hold the collections a batch of short calls causes.
      const t0 = clock();
      let calls = 0, spent;
      do {
        f();
        calls++;
      } while ((spent = clock() - t0) < 0.2 || calls < 2);
      engineReady.set(name, (ready = { f, inner: Math.max(1, Math.floor(BATCH / Math.max(spent / calls, 1e-9))) }));
    }
    const { f, inner } = ready;
    for (const t0 = clock(); clock() - t0 < TURN_WARMUP; ) f();
    let best = Infinity;
    for (let r = 0; r < REPS; r++) {
      const t0 = clock();
      for (let i = 0; i < inner; i++) f();
      best = Math.min(best, (clock() - t0) / inner);
    }
    return best;
  }

  /** A side in a process of its own for `threads` threads; ask(name) resolves to its best time (NaN: it has no such operation). */
  async function startSide(label, cmd, cmdArgs, threads) {
    const child = spawn(cmd, cmdArgs, { env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), ENGINE_BENCH_INPUTS: inputsDir }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const failed = new Promise((resolve) => child.on('error', (e) => resolve({ done: true, error: e.message })).on('exit', () => resolve({ done: true })));
    const next = async () => {
      const r = await Promise.race([lines.next(), failed]);
      if (r.done) throw new Error(r.error ?? (stderr.trim().split('\n').pop() || `${label} ended`));
      return r.value;
    };
    try {
      const info = JSON.parse(await next());
      return {
        label,
        info,
        ask: async (name) => {
          child.stdin.write(`${REPS} ${name}\n`);
          return Number(await next());
        },
        close: () => child.stdin.end(),
      };
    } catch (err) {
      child.kill();
      return { missing: `${label}: not available (${err.message})` };
    }
  }

  /** The default python3, and /usr/bin/python3 (Debian's) when that is another interpreter. */
  function pythons() {
    const which = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
    if (which.stdout?.trim() === '/usr/bin/python3') return [{ label: 'Debian numpy', py: 'python3' }];
    return [{ label: 'pip numpy', py: 'python3' }, { label: 'Debian numpy', py: '/usr/bin/python3' }];
  }

  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const fmtTime = (s) => (!Number.isFinite(s) ? '–' : s < 1e-5 ? `${(s * 1e9).toFixed(0)} ns` : s < 1e-2 ? `${(s * 1e3).toFixed(3)} ms` : `${s.toFixed(3)} s`);

  const cfg0 = E.blasConfig();
  console.log(`engine: ${cfg0.library} ${cfg0.version}, ${cfg0.coretype} kernels (${cfg0.chosenBy}: ${cfg0.reason})` +
    (process.env.OPENBLAS_CORETYPE !== undefined ? `; OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE} in the environment` : ''));

  for (const threads of THREADS) {
    E.setBlasThreads(threads);
    const sides = [];
    const wanted = [
      ...(cProgram ? [{ label: 'C program', cmd: cProgram, args: [String(CALLS), ...(CPU ? ['cpu'] : [])] }] : []),
      ...pythons().map((p) => ({ label: p.label, cmd: p.py, args: [path.join(here, 'engine-bench.py'), String(CALLS), ...(CPU ? ['cpu'] : [])] })),
    ];
    for (const w of wanted) {
      const side = await startSide(w.label, w.cmd, w.args, threads);
      if (side.missing) console.log(side.missing);
      else sides.push({ ...side, times: new Map(NAMES.map((n) => [n, []])) });
    }
    const engine = new Map(NAMES.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of NAMES) {
        // Rotate the order, so that no side always meets another's leftovers.
        const order = [null, ...sides];
        for (let k = 0; k < order.length; k++) {
          const s = order[(k + round) % order.length];
          // OpenBLAS's idle threads spin for a while (about 2^28 cycles) before they sleep: with more than
          // one thread, the side that ran last would still hold CPUs while the next one is timed.
          if (threads > 1) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
          if (s === null) engine.get(name).push(engineTime(name));
          else s.times.get(name).push(await s.ask(name));
        }
      }
    }
    for (const s of sides) s.close();
    console.log(`\n${threads} BLAS thread${threads === 1 ? '' : 's'}, ${ROUNDS} rounds (best of ${REPS} per round and side, ${CPU ? 'CPU' : 'wall-clock'} time)`);
    sides.forEach((s, i) => {
      const what = s.info.numpy ? `numpy ${s.info.numpy} (${s.info.python}), ` : '';
      console.log(`  [${i + 1}] ${s.label}: ${what}${s.info.config.split(/\s+/).slice(0, 2).join(' ')}, ${s.info.coretype} kernels`);
    });
    const pad = (x, n) => String(x).padEnd(n);
    console.log(`  ${pad('operation', 22)}${pad('engine', 12)}${sides.map((_, i) => `${pad(`[${i + 1}]`, 12)}${pad(`[${i + 1}]/engine (range)`, 24)}`).join('')}`);
    for (const name of NAMES) {
      const e = engine.get(name);
      let line = `  ${pad(name, 22)}${pad(fmtTime(Math.min(...e)), 12)}`;
      for (const s of sides) {
        const n = s.times.get(name);
        if (!n.every(Number.isFinite)) {
          line += `${pad('–', 12)}${pad('', 24)}`;
          continue;
        }
        const ratios = n.map((t, k) => t / e[k]);
        line += `${pad(fmtTime(Math.min(...n)), 12)}${pad(`${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`, 24)}`;
      }
      console.log(line);
    }
  }
}

if (args[0] === '--side-runner') await sideRunner(args[1]);
else parent();
