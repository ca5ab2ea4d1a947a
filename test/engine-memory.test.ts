// The engine's large memory: work arrays kept between calls in a bounded cache that empties when idle, large
// arrays that do not cost a page fault per 4 KiB, freed heap memory given back when idle, every array
// 64-byte aligned, and RSS that comes back after a run of large products. RSS and the idle sweep are
// checked in fresh processes, where nothing else runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { identity, matrix, randomMatrix, vector, zeros, type Matrix } from '../src/engine/index.js';
import { native } from '../src/engine/native.js';
import { packageRoot } from '../src/package-root.js';

const root = packageRoot();
const engineUrl = pathToFileURL(path.join(root, 'dist', 'src', 'engine', 'index.js')).href;
const nativeUrl = pathToFileURL(path.join(root, 'dist', 'src', 'engine', 'native.js')).href;
const storageUrl = pathToFileURL(path.join(root, 'dist', 'src', 'engine', 'storage.js')).href;
const MiB = 1 << 20;

/** Runs `body` (an async function body with E = the engine, N = the addon) in a fresh node; its JSON result. */
function inChild(body: string, flags: string[] = []): any {
  const script = `Promise.all([import('${engineUrl}'), import('${nativeUrl}')]).then(async ([E, M]) => { const N = M.native(); E.setBlasThreads(1); ${body} })
    .then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
  return JSON.parse(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120000 }));
}

function cache(): { bytes: number; blocks: number; limit: number } {
  const [bytes, blocks, limit] = native().workCache();
  return { bytes, blocks, limit };
}

/** A well-conditioned n×n system: solving it takes an n² work array. */
function system(n: number): Matrix {
  return randomMatrix(n, n, 7).add(identity(n).scale(n));
}

describe('engine: memory', function () {
  this.timeout(120000);

  it('keeps a solve’s work array for the next call instead of faulting in fresh pages', () => {
    native().releaseWork();
    const A = system(1500);
    const b = vector(Array.from({ length: 1500 }, (_, i) => i % 7));
    A.solve(b);
    const after = cache();
    assert.ok(after.bytes >= 1500 * 1500 * 8 && after.blocks >= 1, `cached ${after.bytes} bytes in ${after.blocks} blocks`);
    const before = process.resourceUsage().minorPageFault;
    A.solve(b);
    const faults = process.resourceUsage().minorPageFault - before;
    // A fresh 18 MB work array is ~4,400 page faults of 4 KiB.
    assert.ok(faults < 1500, `${faults} page faults for the second solve`);
  });

  it('holds at most its limit, least recently used blocks going first, and never a block larger than the limit', () => {
    native().releaseWork();
    const { limit } = cache();
    assert.equal(limit, 64 * MiB);
    const sizes = [1500, 2000, 2500]; // work arrays of 18, 32 and 50 MiB: 100 MiB in all
    for (const n of sizes) system(n).solve(randomMatrix(n, 1, 3));
    const c = cache();
    assert.ok(c.bytes <= limit, `cached ${c.bytes} > limit ${limit}`);
    assert.ok(c.bytes >= 2500 * 2500 * 8, `the most recent (50 MB) block should stay: cached ${c.bytes}`);
    // A 72 MB work array is more than the limit: unmapped after its call, the cache as it was.
    system(3000).solve(randomMatrix(3000, 1, 4));
    const d = cache();
    assert.ok(d.bytes <= limit && d.bytes <= c.bytes, `cached ${d.bytes} after a call larger than the limit`);
  });

  it('releases everything on request', () => {
    system(1200).solve(randomMatrix(1200, 1, 5));
    assert.ok(cache().bytes > 0);
    const released = native().releaseWork();
    assert.ok(released >= 1200 * 1200 * 8, `released ${released}`);
    assert.deepEqual([cache().bytes, cache().blocks], [0, 0]);
  });

  it('empties itself once idle, and gives the memory back to the system', () => {
    const r = inChild(`
      const rss = () => process.memoryUsage.rss();
      const A = E.randomMatrix(2000, 2000, 1).add(E.identity(2000).scale(2000));
      const b = E.randomMatrix(2000, 1, 2);
      const start = rss();
      A.solve(b);
      const busy = N.workCache()[0], grown = rss() - start;
      await new Promise((r) => setTimeout(r, 2500));
      return { busy, grown, idle: N.workCache()[0], back: rss() - start };`);
    assert.ok(r.busy >= 32e6, `cached while busy: ${r.busy}`);
    assert.ok(r.grown >= 30e6, `RSS grew by ${r.grown} with the work array in the cache`);
    assert.equal(r.idle, 0);
    assert.ok(r.back < 10e6, `RSS ${r.back} above its start once idle`);
  });

  it('comes back within 50 MB of where it started after 150 products of 1000×1000', () => {
    const r = inChild(`
      const a = E.randomMatrix(1000, 1000, 1), b = E.randomMatrix(1000, 1000, 2);
      a.mul(b);
      gc();
      const start = process.memoryUsage.rss();
      let sink = 0;
      for (let i = 0; i < 150; i++) sink += a.mul(b).get(0, 0);
      const peak = process.memoryUsage.rss();
      gc();
      await new Promise((r) => setTimeout(r, 1500));
      gc();
      return { start, peak, end: process.memoryUsage.rss(), sink };`, ['--expose-gc']);
    assert.ok(r.end - r.start < 50e6, `RSS ${((r.end - r.start) / 1e6).toFixed(0)} MB above its start (peak +${((r.peak - r.start) / 1e6).toFixed(0)} MB)`);
  });

  it("gives the freed memory malloc keeps for the next arrays back once idle", () => {
    const r = inChild(`
      const a = E.randomMatrix(1000, 1000, 1), b = E.randomMatrix(1000, 1000, 2);
      a.mul(b);
      gc();
      await new Promise((r) => setTimeout(r, 1500));
      const start = process.memoryUsage.rss();
      let sink = 0;
      for (let i = 0; i < 40; i++) sink += a.mul(b).get(0, 0);
      gc();
      const freed = process.memoryUsage.rss() - start;
      await new Promise((r) => setTimeout(r, 2500));
      return { freed, idle: process.memoryUsage.rss() - start, sink };`, ['--expose-gc']);
    // Measured: 32-41 MB still held right after the collection, 7 MB once idle.
    assert.ok(r.idle < 20e6, `RSS ${(r.idle / 1e6).toFixed(0)} MB above its start once idle (${(r.freed / 1e6).toFixed(0)} MB right after the collection)`);
  });

  it('keeps that memory while large arrays keep coming, with pauses shorter than the idle time', () => {
    // 14 rounds of four 8 MB results 250 ms apart: a trim on every idle tick would fault the next results
    // in afresh (measured: 3,900-5,900 faults in the last 8 rounds; 10 when only idleness trims).
    const r = inChild(`
      const a = E.randomMatrix(1000, 1000, 1);
      const faults = () => process.resourceUsage().minorPageFault;
      let late = 0;
      for (let round = 0; round < 14; round++) {
        const before = faults();
        for (let i = 0; i < 4; i++) a.scale(2);
        if (round >= 6) late += faults() - before;
        await new Promise((r) => setTimeout(r, 250));
      }
      return { late };`);
    assert.ok(r.late < 2048, `${r.late} page faults in the last 8 rounds (2,048 are one 8 MB result's pages)`);
  });

  it('starts every array on a 64-byte boundary, and results past 32 MiB on a 2 MiB boundary', () => {
    /** Elements from the buffer's first 64-byte-aligned element to the view's start. */
    const skew = (data: Float64Array, n = 0) => data.byteOffset / 8 - native().prepareLarge(data.buffer as ArrayBuffer, n);
    const A = randomMatrix(40, 40, 1);
    const cases: Float64Array[] = [
      matrix([[1, 2], [3, 4]]).data, vector([1, 2, 3]).data, identity(3).mul(identity(3)).data, zeros(16, 16).data,
      A.data, A.mul(A).data, A.transpose().data, A.mul(A.transpose()).data, A.add(A.transpose()).eigh().vectors.data,
      randomMatrix(200, 300, 2).data,
    ];
    for (const data of cases) assert.equal(skew(data) % 8, 0, `a view of ${data.length} elements at byte offset ${data.byteOffset}`);
    // 35 MB: past malloc's mmap threshold, so a fresh mapping that gets huge pages.
    const big = randomMatrix(2100, 2100, 3).data;
    assert.equal(skew(big, big.length), 0, '35 MB result on a 2 MiB boundary');
  });

  it('arrays up to 32 KiB share slabs by size, the small ones apart, a buffer each past that', () => {
    const [a, b] = [zeros(64, 64), zeros(64, 64)];
    assert.equal(a.data.buffer, b.data.buffer, 'two 64×64 matrices share a slab');
    assert.ok(a.data.every((x) => x === 0) && b.data.every((x) => x === 0));
    const products = [randomMatrix(32, 32, 4), randomMatrix(32, 32, 5)].map((m) => m.mul(m));
    assert.equal(products[0]!.data.buffer, products[1]!.data.buffer, 'two 32×32 results share a slab');
    assert.notEqual(zeros(4, 4).data.buffer, a.data.buffer, 'a 4×4 matrix is not in the slab of the 64×64 ones');
    const [c, d] = [zeros(65, 65), zeros(65, 65)];
    assert.notEqual(c.data.buffer, d.data.buffer, 'past 32 KiB, a buffer each');
  });

  it('outputs are not zero-filled, and every operation writes all of its result', () => {
    // Memory that was not zero-filled is filled with NaN (all bits set) as it is handed out, so that an
    // entry an operation leaves unwritten shows.
    const r = inChild(`
      const S = await import('${storageUrl}');
      const unfilled = Buffer.allocUnsafeSlow;
      Buffer.allocUnsafeSlow = (size) => unfilled(size).fill(0xff);
      const probes = [S.allocateOutput(16, 'probe', '4x4'), S.allocateOutput(4096, 'probe', '64x64')];
      const shared = probes[1].buffer === S.allocateOutput(4096, 'probe', '64x64').buffer;
      const poisoned = probes.map((p) => p.some(Number.isNaN));
      const zeroed = [E.zeros(4, 4), E.zeros(64, 64), E.identity(50), E.diagonal([1, 2, 3])].map((m) => m.data.every((x) => x === 0 || x === 1 || x === 2 || x === 3));
      const unwritten = [];
      const naive = (A, B) => Array.from({ length: A.rows }, (_, i) => Array.from({ length: B.cols }, (_, j) => {
        let s = 0;
        for (let k = 0; k < A.cols; k++) s += A.get(i, k) * B.get(k, j);
        return s;
      }));
      const close = (M, rows) => rows.every((row, i) => row.every((x, j) => Math.abs(M.get(i, j) - x) <= 1e-9 * (1 + Math.abs(x))));
      const check = (name, make, want) => {
        try {
          const M = make();
          if (!M.data.every(Number.isFinite) || (want && !close(M, want))) unwritten.push(name);
        } catch (e) {
          unwritten.push(name + ': ' + e.message);
        }
      };
      for (const [m, k, n] of [[1, 1, 1], [3, 0, 3], [4, 4, 4], [7, 5, 3], [16, 16, 16], [33, 20, 31], [64, 64, 64], [90, 90, 90]]) {
        const A = E.randomMatrix(m, k, m + k), B = E.randomMatrix(k, n, k + n), C = E.randomMatrix(n, k, n + 1);
        const at = m + 'x' + k + 'x' + n;
        check('product ' + at, () => A.mul(B), naive(A, B));
        check('A·Aᵀ ' + at, () => A.mul(A.transpose()), naive(A, A.transpose()));
        check('Aᵀ·A ' + at, () => A.transpose().mul(A), naive(A.transpose(), A));
        check('A·Cᵀ ' + at, () => A.mul(C.transpose()), naive(A, C.transpose()));
        check('sum ' + at, () => A.add(A), A.toArray().map((row) => row.map((x) => 2 * x)));
        check('scale ' + at, () => A.scale(3), A.toArray().map((row) => row.map((x) => 3 * x)));
        check('transpose ' + at, () => A.transpose().add(E.zeros(k, m)), A.transpose().toArray());
        check('matrix ' + at, () => E.matrix(A.toArray()), A.toArray());
        if (m === k && m > 0) {
          const P = A.mul(A.transpose()).add(E.identity(m).scale(m));
          check('inverse ' + at, () => P.inverse().mul(P), E.identity(m).toArray());
          check('solve ' + at, () => P.solve(A), null);
          check('lu ' + at, () => ((f) => f.L.mul(f.U))(A.lu()), A.lu().P.mul(A).toArray());
          check('qr ' + at, () => ((f) => f.Q.mul(f.R))(A.qr()), A.toArray());
          check('cholesky ' + at, () => ((L) => L.mul(L.transpose()))(P.cholesky()), P.toArray());
          check('cholesky, checked ' + at, () => ((L) => L.mul(L.transpose()))(E.matrix(P.toArray()).cholesky()), P.toArray());
          check('svd ' + at, () => ((f) => f.U.mul(E.diagonal(f.S.toArray())).mul(f.V.transpose()))(A.svd()), A.toArray());
          check('eigh ' + at, () => ((f) => f.vectors.mul(E.diagonal(f.values.toArray())).mul(f.vectors.transpose()))(P.eigh()), P.toArray());
        }
      }
      return { poisoned, zeroed, unwritten, shared };
    `);
    assert.deepEqual(r.poisoned, [true, true], 'outputs are not zero-filled');
    assert.deepEqual(r.zeroed, [true, true, true, true], 'zeros, identity and diagonal stay zero-filled');
    assert.deepEqual(r.unwritten, [], 'operations that left entries of their result unwritten');
    assert.equal(r.shared, true, 'outputs share slabs');
  });

  it('prepareLarge checks what it is handed', () => {
    const n = native() as unknown as { prepareLarge(...args: unknown[]): number };
    assert.throws(() => n.prepareLarge(), TypeError);
    assert.throws(() => n.prepareLarge(new Float64Array(4), 1), TypeError);
    assert.throws(() => n.prepareLarge(new ArrayBuffer(64), 9), TypeError);
    assert.throws(() => n.prepareLarge(new ArrayBuffer(64), -1), TypeError);
    assert.throws(() => n.prepareLarge(new ArrayBuffer(64), NaN), TypeError);
    assert.equal(typeof n.prepareLarge(new ArrayBuffer(128), 8), 'number');
  });
});
