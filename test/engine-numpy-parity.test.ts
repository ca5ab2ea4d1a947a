// Where the engine promises numpy's digits (solve, cholesky, eigh, eigenvalues of a symmetric matrix), it
// makes numpy's LAPACK call on numpy's triangle: on the same OpenBLAS, with the same kernels and one
// thread, the results are equal bit for bit. Runs when a python3 with numpy loads the engine's OpenBLAS.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';

import { blasConfig, identity, Matrix, matrix, randomMatrix, setBlasThreads } from '../src/engine/index.js';
import { skipBecause } from './process-helpers.js';

const PYTHON = String.raw`
import ctypes, json, sys
import numpy as np
lib = next(l.split()[-1] for l in open('/proc/self/maps') if 'libopenblas' in l)
core = ctypes.CDLL(lib).openblas_get_corename
core.restype = ctypes.c_char_p
cases = json.load(sys.stdin)
out = []
for c in cases:
    A = np.array(c['A'], dtype=np.float64)
    if c['op'] == 'solve':
        r = [np.linalg.solve(A, np.array(c['B'], dtype=np.float64))]
    elif c['op'] == 'cholesky':
        r = [np.linalg.cholesky(A)]
    else:
        w, v = np.linalg.eigh(A)
        v = v * np.sign(v[np.argmax(np.abs(v), axis=0), range(len(w))])  # the engine's sign rule
        r = [w, v, np.linalg.eigvalsh(A)]
    out.append([x.tolist() for x in r])
json.dump({'library': lib, 'core': core().decode(), 'results': out}, sys.stdout)
`;

interface Case {
  name: string;
  op: 'solve' | 'cholesky' | 'eigh';
  A: Matrix;
  B?: Matrix;
}

/** The engine's OpenBLAS file, from this process's mappings (Linux). */
function engineLibrary(): string | undefined {
  try {
    const line = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.includes('libopenblas'));
    return line ? realpathSync(line.trim().split(/\s+/).pop()!) : undefined;
  } catch {
    return undefined;
  }
}

/** A copy of S whose upper triangle is off by a few units in the last place: symmetric up to rounding. */
function loose(S: Matrix): Matrix {
  const rows = S.toArray();
  for (let i = 0; i < rows.length; i++) for (let j = i + 1; j < rows.length; j++) rows[i]![j] = rows[i]![j]! * (1 + 4e-16 * ((i + j) % 3));
  return matrix(rows);
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const n of [7, 90, 200]) {
    const A = randomMatrix(n, n, n);
    out.push({ name: `solve ${n}, one right-hand side`, op: 'solve', A, B: randomMatrix(n, 1, 2) });
    out.push({ name: `solve ${n}, three right-hand sides`, op: 'solve', A, B: randomMatrix(n, 3, 3) });
    const P = A.mul(A.transpose()).add(identity(n).scale(n));
    out.push({ name: `cholesky ${n}, known symmetric`, op: 'cholesky', A: P });
    out.push({ name: `cholesky ${n}, symmetric up to rounding`, op: 'cholesky', A: loose(P) });
    const S = A.add(A.transpose());
    out.push({ name: `eigh ${n}, known symmetric`, op: 'eigh', A: S });
    out.push({ name: `eigh ${n}, exactly symmetric`, op: 'eigh', A: matrix(S.toArray()) });
    out.push({ name: `eigh ${n}, symmetric up to rounding`, op: 'eigh', A: loose(S) });
  }
  return out;
}

function engineResults(c: Case): number[][][] {
  const rows = (m: Matrix): number[][] => m.toArray();
  if (c.op === 'solve') return [rows(c.A.solve(c.B!))];
  if (c.op === 'cholesky') return [rows(c.A.cholesky())];
  const { values, vectors } = c.A.eigh();
  const ev = c.A.eigenvalues();
  return [[values.toArray()], rows(vectors), [(ev as { toArray(): number[] }).toArray()]];
}

describe('engine: the digits numpy gives, on the same OpenBLAS', function () {
  this.timeout(60_000);
  const all = cases();
  let python: { library: string; core: string; results: number[][][][] } | undefined;

  before(function () {
    const library = engineLibrary();
    if (!library) skipBecause(this, 'the engine’s OpenBLAS file is not known here');
    if (blasConfig().coretype !== blasConfig().libraryPick) skipBecause(this, 'the engine runs kernels other than its library’s pick');
    const input = JSON.stringify(all.map((c) => ({ op: c.op, A: c.A.toArray(), B: c.B?.toArray() })));
    for (const exe of ['python3', '/usr/bin/python3']) {
      const run = spawnSync(exe, ['-c', PYTHON], { input, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, maxBuffer: 1 << 28 });
      if (run.error || run.status !== 0) continue;
      const got = JSON.parse(run.stdout) as NonNullable<typeof python>;
      if (realpathSync(got.library) === library && got.core === blasConfig().coretype) {
        python = got;
        return;
      }
    }
    skipBecause(this, 'no python3 here has numpy on the engine’s OpenBLAS');
  });

  all.forEach((c, k) => {
    it(c.name, () => {
      const before = blasConfig().threads;
      setBlasThreads(1);
      try {
        const ours = engineResults(c);
        const theirs = python!.results[k]!;
        // Compared as lists of numbers: a mismatch names the first entry that differs.
        const flat = (x: number[][][]): number[] => x.flat(2);
        const a = flat(ours), b = flat(theirs.map((r) => (Array.isArray(r[0]) ? r : [r]) as number[][]));
        assert.equal(a.length, b.length, 'result sizes');
        const first = a.findIndex((v, i) => !Object.is(v, b[i]));
        assert.equal(first, -1, `entry ${first}: engine ${a[first]}, numpy ${b[first]}`);
      } finally {
        setBlasThreads(before);
      }
    });
  });
});
