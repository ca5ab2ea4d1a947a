// BLAS configuration and threads, and how the addon is found. Thread counts are checked in child
// processes because OPENBLAS_NUM_THREADS is read once, when OpenBLAS loads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { blasConfig, identity, matrix, randomMatrix, setBlasThreads } from '../src/engine/index.js';
import { loadAddon } from '../src/engine/native.js';
import { packageRoot } from '../src/package-root.js';
import { skipBecause } from './process-helpers.js';

const engineUrl = pathToFileURL(path.join(packageRoot(), 'dist', 'src', 'engine', 'index.js')).href;

/** blasConfig() as seen by a fresh node process with `env` added to ours (nothing else changed). */
function childConfig(env: Record<string, string>, extra = ''): { threads: number; coretype: string; after?: number } {
  const script = `import('${engineUrl}').then((E) => { const c = E.blasConfig(); ${extra} process.stdout.write(JSON.stringify(c)); })`;
  const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out);
}

describe('engine: BLAS configuration and threads', () => {
  it('reports OpenBLAS with a version, a core type and a thread count', () => {
    const c = blasConfig();
    assert.deepEqual(Object.keys(c).sort(), ['chosenBy', 'coretype', 'library', 'libraryPick', 'reason', 'threads', 'version']);
    assert.equal(c.library, 'OpenBLAS');
    assert.match(c.version, /^\d+\.\d+\.\d+/);
    assert.ok(c.coretype.length > 0);
    assert.ok(Number.isInteger(c.threads) && c.threads >= 1);
  });

  it("OpenBLAS's second thread sleeps soon after a call instead of spinning for 0.1 s; the variable is only set while the library loads, and a user's value stays", function () {
    if (os.availableParallelism() < 2) skipBecause(this, 'needs 2 CPUs');
    // A threaded product, then 300 ms of nothing: the CPU the process spends meanwhile is the spinning.
    const script = `import('${engineUrl}').then(async (E) => {
      const a = E.randomMatrix(600, 600, 1);
      a.mul(a);
      const env = process.env.OPENBLAS_THREAD_TIMEOUT ?? 'unset';
      const before = process.cpuUsage();
      await new Promise((r) => setTimeout(r, 300));
      const used = process.cpuUsage(before);
      process.stdout.write(JSON.stringify({ env, idleCpuMs: (used.user + used.system) / 1000 }));
    })`;
    const run = (env: Record<string, string>) => JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, OPENBLAS_NUM_THREADS: '2', ...env }, encoding: 'utf8' }));
    const ours = run({});
    assert.equal(ours.env, 'unset', 'not left in the environment of examples');
    assert.ok(ours.idleCpuMs < 40, `${ours.idleCpuMs} ms of CPU while idle`);
    assert.equal(run({ OPENBLAS_THREAD_TIMEOUT: '26' }).env, '26');
  });

  it('a process started with OPENBLAS_NUM_THREADS=1 reports 1 thread', () => {
    assert.equal(childConfig({ OPENBLAS_NUM_THREADS: '1' }).threads, 1);
  });

  it('a process started with OPENBLAS_NUM_THREADS=2 reports 2 (when there are 2 CPUs)', function () {
    if (os.availableParallelism() < 2) skipBecause(this, 'needs 2 CPUs');
    assert.equal(childConfig({ OPENBLAS_NUM_THREADS: '2' }).threads, 2);
  });

  it('the core type in a child is the same as here (environment passed through untouched)', () => {
    assert.equal(childConfig({}).coretype, blasConfig().coretype);
  });

  it('setBlasThreads changes the count and computing still works', () => {
    const before = blasConfig().threads;
    try {
      setBlasThreads(1);
      assert.equal(blasConfig().threads, 1);
      assert.equal(identity(3).mul(identity(3)).trace(), 3);
    } finally {
      setBlasThreads(before);
    }
    assert.equal(blasConfig().threads, before);
  });
});

describe('engine: passes split over the BLAS threads', () => {
  // Past 1024² the copy is split; the sizes straddle the 4×4 and 2×2 blocks and the 128×32 tiles.
  const SOLVE_SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 127, 128, 129, 130, 1100];

  it('solve copies A tile by tile, split over the threads allowed: every size, 1 and 2 threads', () => {
    const before = blasConfig().threads;
    try {
      for (const threads of [1, 2]) {
        setBlasThreads(threads);
        for (const n of SOLVE_SIZES) {
          const A = randomMatrix(n, n, n).add(identity(n).scale(n / 4));
          const x = randomMatrix(n, 2, 1);
          const b = A.mul(x);
          const got = A.solve(b);
          const plain = matrix(A.toArray()).mul(got);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < 2; j++) {
              assert.ok(Math.abs(plain.get(i, j) - b.get(i, j)) <= 1e-9 * (1 + Math.abs(b.get(i, j))), `n = ${n}, ${threads} threads: residual at (${i}, ${j})`);
            }
          }
        }
        const sum = Array.from(randomMatrix(1100, 1100, 5).data).reduce((s, v) => s + v * v, 0);
        assert.ok(Math.abs(randomMatrix(1100, 1100, 5).norm() ** 2 - sum) <= 1e-9 * sum, `Frobenius norm with ${threads} threads`);
      }
    } finally {
      setBlasThreads(before);
    }
  });

  it("every block kernel of solve's copy gives the same solutions, bit for bit", () => {
    // The kernel is chosen once per process: each runs in a child, and all must agree with the scalar one.
    const script = `import('${engineUrl}').then((E) => {
      const out = [];
      for (const threads of [1, 2]) {
        E.setBlasThreads(threads);
        for (const n of ${JSON.stringify(SOLVE_SIZES)}) {
          const A = E.randomMatrix(n, n, n).add(E.identity(n).scale(n / 4));
          const d = A.solve(E.randomMatrix(n, 2, 1)).data;
          out.push(Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64'));
        }
      }
      process.stdout.write(JSON.stringify(out));
    })`;
    const solutions = (kernel: string): string[] =>
      JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, MTEST_ENGINE_TRANSPOSE: kernel }, encoding: 'utf8' }));
    const scalar = solutions('scalar');
    for (const kernel of ['', 'sse2']) {
      const got = solutions(kernel);
      got.forEach((s, k) => assert.equal(s, scalar[k], `kernel ${kernel || 'default'}: case ${k} differs from the scalar copy`));
    }
  });
});

describe('engine: addon discovery', () => {
  it("finds mtest's package root from compiled and from source locations", () => {
    const root = packageRoot();
    assert.equal(packageRoot(path.join(root, 'src', 'engine', 'native.ts')), root);
    assert.equal(packageRoot(path.join(root, 'dist', 'src', 'engine', 'native.js')), root);
    assert.equal(packageRoot(fileURLToPath(import.meta.url)), root);
  });

  it('a missing addon is an Error that says to run npm run build:native', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mtest-engine-'));
    try {
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'mtest' }));
      assert.throws(() => loadAddon(dir), /npm run build:native/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('walking up stops with an error outside any mtest package', () => {
    assert.throws(() => packageRoot(path.join(path.parse(os.tmpdir()).root, 'nowhere', 'x.js')), /cannot find mtest's package.json/);
  });
});
