// Numerical results of the engine against reference values computed once with numpy
// (test/fixtures/engine/make-fixtures.py → linalg.json).
import assert from 'node:assert/strict';

import { Complex, diagonal, identity, matrix, Matrix, randomMatrix, seedRandom, vector, Vector, zeros } from '../src/engine/index.js';
import { close, closeMatrix, closeVector, fixture } from './engine-support.test.js';

interface GeneralCase {
  name: string;
  A: number[][];
  B: number[][];
  x: number[];
  AB: number[][];
  Ax: number[];
  At: number[][];
  fro: number;
  norm1: number;
  normInf: number;
  norm2: number;
  rank: number;
  svd: { U: number[][]; S: number[]; V: number[][] };
  qr: { Q: number[][]; R: number[][] };
  lu: { P: number[][]; L: number[][]; U: number[][] };
  b?: number[];
  Bsq?: number[][];
  det?: number;
  inv?: number[][];
  solve?: number[];
  solveM?: number[][];
  trace?: number;
  eig?: [number, number][];
}
interface SymmetricCase {
  name: string;
  S: number[][];
  eigh: { values: number[]; vectors: number[][] };
  SPD: number[][];
  cholesky: number[][];
  spdEig: number[];
}
interface Fixtures {
  cases: GeneralCase[];
  symmetric: SymmetricCase[];
  special: {
    rotation: { A: number[][]; eig: [number, number][] };
    rank2: { A: number[][]; rank: number };
    hilbert6: { A: number[][]; det: number; rank: number };
  };
}

const F = fixture<Fixtures>('linalg.json');
const TOL = 1e-10;

describe('engine: numerical results against numpy', () => {
  it('has fixtures to check', () => {
    assert.ok(F.cases.length >= 8 && F.symmetric.length >= 6);
  });

  for (const c of F.cases) {
    describe(c.name, () => {
      const A = matrix(c.A);

      it('products (dgemm, dgemv), transpose, norms, rank', () => {
        closeMatrix(A.mul(matrix(c.B)), c.AB, TOL, 'A·B');
        closeVector(A.mul(vector(c.x)), c.Ax, TOL, 'A·x');
        closeMatrix(A.transpose(), c.At, 0, 'Aᵀ');
        close(A.norm(), c.fro, TOL, 'fro');
        close(A.norm('fro'), c.fro, TOL, "'fro'");
        close(A.norm(1), c.norm1, TOL, 'norm 1');
        close(A.norm(Infinity), c.normInf, TOL, 'norm ∞');
        close(A.norm(2), c.norm2, TOL, 'norm 2');
        assert.equal(A.rank(), c.rank);
      });

      it('svd matches numpy and reconstructs A', () => {
        const { U, S, V } = A.svd();
        closeVector(S, c.svd.S, TOL, 'S');
        closeMatrix(U, c.svd.U, 1e-8, 'U');
        closeMatrix(V, c.svd.V, 1e-8, 'V');
        closeMatrix(U.mul(diagonal(S)).mul(V.transpose()), c.A, TOL, 'U·S·Vᵀ');
      });

      it('qr matches numpy, Q orthogonal, QR = A', () => {
        const { Q, R } = A.qr();
        closeMatrix(R, c.qr.R, 1e-9, 'R');
        closeMatrix(Q, c.qr.Q, 1e-9, 'Q');
        closeMatrix(Q.transpose().mul(Q), identity(A.rows).toArray(), TOL, 'QᵀQ');
        closeMatrix(Q.mul(R), c.A, TOL, 'QR');
      });

      it('lu matches an independent partial-pivoting LU, PA = LU', () => {
        const { P, L, U } = A.lu();
        closeMatrix(P, c.lu.P, 0, 'P');
        closeMatrix(L, c.lu.L, 1e-9, 'L');
        closeMatrix(U, c.lu.U, 1e-9, 'U');
        closeMatrix(P.mul(A), L.mul(U).toArray(), TOL, 'PA vs LU');
      });

      if (c.det !== undefined) {
        it('det, inverse, solve, trace, eigenvalues', () => {
          close(A.det(), c.det!, 1e-9, 'det');
          closeMatrix(A.inverse(), c.inv!, 1e-9, 'inverse');
          closeVector(A.solve(vector(c.b!)), c.solve!, 1e-9, 'solve vector');
          const X = A.solve(matrix(c.Bsq!));
          assert.ok(X instanceof Matrix);
          closeMatrix(X, c.solveM!, 1e-9, 'solve matrix');
          close(A.trace(), c.trace!, TOL, 'trace');
          const ev = A.eigenvalues();
          if (ev instanceof Vector) {
            // Only a 1×1 general matrix is symmetric.
            assert.equal(A.rows, 1);
            close(ev.toArray(), c.eig!.map((z) => z[0]), TOL, 'eigenvalue');
          } else {
            assert.equal(ev.length, c.eig!.length);
            close(ev.map((z) => z.re), c.eig!.map((z) => z[0]), 1e-9, 'eig re');
            close(ev.map((z) => z.im), c.eig!.map((z) => z[1]), 1e-9, 'eig im');
          }
        });
      }
    });
  }

  for (const c of F.symmetric) {
    describe(c.name, () => {
      it('eigh: ascending values, sign-normalised vectors as numpy (after the same rule)', () => {
        const S = matrix(c.S);
        const { values, vectors } = S.eigh();
        closeVector(values, c.eigh.values, TOL, 'values');
        closeMatrix(vectors, c.eigh.vectors, 1e-8, 'vectors');
        const ev = S.eigenvalues();
        assert.ok(ev instanceof Vector);
        closeVector(ev, c.eigh.values, TOL, 'eigenvalues()');
      });

      it('cholesky: lower factor as numpy, L·Lᵀ = A', () => {
        const P = matrix(c.SPD);
        const L = P.cholesky();
        closeMatrix(L, c.cholesky, TOL, 'L');
        closeMatrix(L.mul(L.transpose()), c.SPD, TOL, 'L·Lᵀ');
        // B·Bᵀ computed here is symmetric up to rounding; it still takes the symmetric path.
        closeVector(P.eigenvalues() as Vector, c.spdEig, TOL, 'eigenvalues of SPD');
      });
    });
  }

  it('cholesky across tile edges: exact zeros above, L·Lᵀ = A, the lower triangle read when A is symmetric only up to rounding', () => {
    for (const n of [1, 31, 33, 70]) {
      const B = randomMatrix(n, n, 11);
      const rows = B.mul(B.transpose()).add(identity(n).scale(n)).toArray();
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) rows[j]![i] = rows[i]![j]!; // exactly symmetric
      const A = matrix(rows);
      const L = A.cholesky();
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.equal(L.get(i, j), 0, `L(${i}, ${j}) of ${n}`);
      closeMatrix(L.mul(L.transpose()), rows, 1e-9 * n, `L·Lᵀ, n = ${n}`);
      if (n < 2) continue;
      // One upper entry off by an ulp: still symmetric (loosely), and the factor is the exact one's.
      const nudged = rows.map((r) => [...r]);
      nudged[0]![n - 1] = nudged[0]![n - 1]! * (1 + Number.EPSILON);
      assert.notEqual(nudged[0]![n - 1], rows[0]![n - 1]);
      assert.ok(matrix(nudged).cholesky().equals(L), `lower triangle read, n = ${n}`);
      // A change below the diagonal changes the factor.
      const lowered = rows.map((r) => [...r]);
      lowered[n - 1]![0] = lowered[n - 1]![0]! * (1 + Number.EPSILON);
      assert.equal(matrix(lowered).cholesky().equals(L), false, `lower change, n = ${n}`);
    }
    // L is usable as any matrix: set copies it first, and a second factor is unaffected.
    const A = matrix([[4, 2], [2, 3]]);
    const L = A.cholesky();
    L.set(0, 0, 7);
    assert.deepEqual(L.toArray(), [[7, 0], [1, Math.SQRT2]]);
    assert.deepEqual(A.cholesky().toArray(), [[2, 0], [1, Math.SQRT2]]);
  });

  it('general eigenvalues come back as sorted Complex values', () => {
    const ev = matrix(F.special.rotation.A).eigenvalues();
    assert.ok(Array.isArray(ev));
    assert.ok(ev.every((z) => z instanceof Complex));
    close(ev.map((z) => z.re), F.special.rotation.eig.map((z) => z[0]), TOL, 're');
    close(ev.map((z) => z.im), F.special.rotation.eig.map((z) => z[1]), TOL, 'im');
  });

  it('rank of rank-deficient and ill-conditioned matrices', () => {
    assert.equal(matrix(F.special.rank2.A).rank(), F.special.rank2.rank);
    const H = matrix(F.special.hilbert6.A);
    assert.equal(H.rank(), F.special.hilbert6.rank);
    close(H.det(), F.special.hilbert6.det, 1e-6, 'det of Hilbert 6');
    assert.equal(H.rank(1e-3), 3);
  });

  it('element access, rows, columns, arithmetic', () => {
    const A = matrix([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual([A.rows, A.cols, A.get(1, 2)], [2, 3, 6]);
    assert.deepEqual(A.row(1).toArray(), [4, 5, 6]);
    assert.deepEqual(A.col(2).toArray(), [3, 6]);
    assert.deepEqual(A.add(A).toArray(), [[2, 4, 6], [8, 10, 12]]);
    assert.deepEqual(A.sub(A.scale(2)).toArray(), [[-1, -2, -3], [-4, -5, -6]]);
    assert.deepEqual(A.mul(0.5).toArray(), [[0.5, 1, 1.5], [2, 2.5, 3]]);
    const B = zeros(2, 2);
    B.set(1, 0, 7);
    assert.deepEqual(B.toArray(), [[0, 0], [7, 0]]);
    const v = vector([1, 2, 3]);
    const w = vector([4, 5, 6]);
    assert.deepEqual(v.add(w).toArray(), [5, 7, 9]);
    assert.deepEqual(v.sub(w).toArray(), [-3, -3, -3]);
    assert.deepEqual(v.scale(2).toArray(), [2, 4, 6]);
    assert.equal(v.dot(w), 32);
    close(v.norm(), Math.sqrt(14), 1e-15, 'norm');
    assert.equal(v.get(1), 2);
    assert.equal(v.length, 3);
  });

  it('results never alias their inputs', () => {
    const A = matrix([[2, 1], [1, 3]]);
    const before = A.toArray();
    A.inverse(); A.det(); A.lu(); A.qr(); A.svd(); A.eigh(); A.cholesky(); A.eigenvalues(); A.solve(vector([1, 1]));
    assert.deepEqual(A.toArray(), before);
    const T = A.transpose();
    T.set(0, 0, 99);
    assert.equal(A.get(0, 0), 2);
  });

  it('equals and isSymmetric, exact and with tolerance', () => {
    const A = matrix([[1, 2], [2, 1]]);
    assert.equal(A.isSymmetric(), true);
    assert.equal(matrix([[1, 2], [2 + 1e-9, 1]]).isSymmetric(), false);
    assert.equal(matrix([[1, 2], [2 + 1e-9, 1]]).isSymmetric(1e-8), true);
    assert.equal(matrix([[1, 2, 3]]).isSymmetric(), false);
    assert.equal(A.equals(matrix([[1, 2], [2, 1]])), true);
    assert.equal(A.equals(matrix([[1, 2], [2, 1 + 1e-9]])), false);
    assert.equal(A.equals(matrix([[1, 2], [2, 1 + 1e-9]]), 1e-8), true);
    assert.equal(A.equals(identity(3)), false);
    assert.equal(matrix([[Infinity]]).equals(matrix([[Infinity]])), true);
  });

  it('empty shapes behave', () => {
    const E = matrix([]);
    assert.deepEqual([E.rows, E.cols], [0, 0]);
    assert.equal(zeros(2, 0).mul(zeros(0, 3)).toArray().flat().every((x) => x === 0), true);
    assert.deepEqual(zeros(2, 0).mul(zeros(0, 3)).toArray(), [[0, 0, 0], [0, 0, 0]]);
    assert.equal(vector([]).dot(vector([])), 0);
    assert.equal(E.transpose().rows, 0);
  });
});

describe('engine: random matrices', () => {
  it('a seed determines the matrix; entries are in (-1, 1) and not constant', () => {
    const a = randomMatrix(20, 30, 5);
    const b = randomMatrix(20, 30, 5);
    const c = randomMatrix(20, 30, 6);
    assert.equal(a.equals(b), true);
    assert.equal(a.equals(c), false);
    const xs = a.toArray().flat();
    assert.ok(xs.every((x) => x > -1 && x < 1));
    assert.ok(Math.max(...xs) > 0.9 && Math.min(...xs) < -0.9);
    assert.ok(new Set(xs).size === xs.length);
  });

  it('seedRandom resets the shared generator; draws advance it', () => {
    seedRandom(123);
    const a = randomMatrix(3, 3);
    const a2 = randomMatrix(3, 3);
    seedRandom(123);
    assert.equal(randomMatrix(3, 3).equals(a), true);
    assert.equal(a.equals(a2), false);
    seedRandom(124);
    assert.equal(randomMatrix(3, 3).equals(a), false);
  });

  it('nearby seeds give unrelated streams', () => {
    const a = randomMatrix(1, 4, 1).toArray()[0]!;
    const b = randomMatrix(1, 4, 2).toArray()[0]!;
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(a[i]! - b[i]!) > 1e-6, `${a} vs ${b}`);
  });
});

describe('engine: A·Aᵀ through dsyrk', () => {
  it('A.mul(A.transpose()) and A.transpose().mul(A) equal the general product, exactly symmetric', () => {
    const A = randomMatrix(30, 20, 3);
    const T = A.transpose();
    const copyT = matrix(T.toArray()); // not linked to A: takes dgemm
    const aat = A.mul(T);
    assert.ok(aat.isSymmetric(), 'dsyrk result is mirrored, so exactly symmetric');
    assert.ok(aat.equals(A.mul(copyT), 1e-12));
    assert.ok(T.mul(A).equals(copyT.mul(A), 1e-12));
  });

  it('a transpose changed by set() is no longer treated as one', () => {
    const A = randomMatrix(5, 4, 4);
    const T = A.transpose();
    T.set(0, 0, 100);
    assert.ok(A.mul(T).equals(A.mul(matrix(T.toArray())), 0));
    const B = randomMatrix(5, 4, 5);
    const U = B.transpose();
    B.set(1, 1, -7);
    assert.ok(B.mul(U).equals(B.mul(matrix(U.toArray())), 0));
  });
});

describe('engine: solve with any number of right-hand sides', () => {
  it('A·X = B for B of 1, 3 and 7 columns (the column-major copies dgesv works on go in and out right)', () => {
    const n = 7;
    const A = randomMatrix(n, n, 11).add(identity(n).scale(n));
    for (const k of [1, 3, 7]) {
      const B = randomMatrix(n, k, 20 + k);
      const X = A.solve(B) as Matrix;
      assert.deepEqual([X.rows, X.cols], [n, k]);
      assert.ok(A.mul(X).equals(B, 1e-12), `${k} columns`);
      for (let j = 0; j < k; j++) {
        // (not bit for bit: LAPACK solves one column and a block of them with different kernels)
        const column = A.solve(vector(B.col(j).toArray())) as Vector;
        close(column.toArray(), X.col(j).toArray(), 1e-14, `column ${j} of ${k} solved alone`);
      }
    }
  });
});
