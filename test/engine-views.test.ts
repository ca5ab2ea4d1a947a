// Transposes without a copy, symmetry known by construction, norms through BLAS/LAPACK and the one-pass
// element-wise operations: each result against the same computation done entry by entry in JavaScript.
import assert from 'node:assert/strict';

import { blasConfig, diagonal, identity, matrix, ones, randomMatrix, setBlasThreads, zeros, type Matrix } from '../src/engine/index.js';
import { native } from '../src/engine/native.js';

function plainTranspose(A: Matrix): number[][] {
  const a = A.toArray();
  return a[0].map((_, j) => a.map((row) => row[j]));
}

function plainMul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
}

/** diag(values) as rows. */
function identityScaled(values: number[]): number[][] {
  return values.map((v, i) => values.map((_, j) => (i === j ? v : 0)));
}

function close(got: number[][], want: number[][], tol = 1e-12): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) for (let j = 0; j < want[i].length; j++) assert.ok(Math.abs(got[i][j] - want[i][j]) <= tol, `(${i}, ${j}): ${got[i][j]} vs ${want[i][j]}`);
}

describe('engine: transpose views', () => {
  const A = randomMatrix(5, 3, 1);
  const B = randomMatrix(5, 4, 2);
  const C = randomMatrix(4, 3, 3);

  it('a transpose has no storage of its own until its entries are needed as storage', () => {
    const T = A.transpose();
    assert.equal(T.transposeSource(), A);
    assert.deepEqual([T.rows, T.cols], [3, 5]);
    assert.equal(T.get(2, 4), A.get(4, 2));
    assert.deepEqual(Array.from(T.row(1).data), Array.from(A.col(1).data));
    assert.deepEqual(Array.from(T.col(3).data), Array.from(A.row(3).data));
    assert.equal(T.transposeSource(), A, 'get, row and col read the source');
    assert.deepEqual(T.toArray(), plainTranspose(A));
    assert.equal(T.transposeSource(), null, 'materialised for toArray');
  });

  it('products with views take dgemm transpose flags and give the products of the copies', () => {
    const a = A.toArray(), b = B.toArray(), c = C.toArray();
    close(A.transpose().mul(B).toArray(), plainMul(plainTranspose(A), b)); // Aᵀ·B, 3x4
    close(B.mul(C.transpose().transpose()).toArray(), plainMul(b, c)); // view of a view
    close(C.mul(A.transpose()).toArray(), plainMul(c, plainTranspose(A))); // C·Aᵀ, 4x5
    close(B.transpose().mul(A).toArray(), plainMul(plainTranspose(B), a)); // 4x3
    close(C.transpose().mul(B.transpose()).toArray(), plainMul(plainTranspose(C), plainTranspose(B))); // Cᵀ·Bᵀ, 3x5
    close(A.mul(A.transpose()).toArray(), plainMul(a, plainTranspose(A))); // dsyrk
    close(A.transpose().mul(A).toArray(), plainMul(plainTranspose(A), a)); // dsyrk, trans
  });

  it('changing the source after a transpose leaves the transpose as it was', () => {
    const S = matrix([[1, 2], [3, 4]]);
    const T = S.transpose();
    const T2 = S.transpose();
    S.set(0, 1, 9);
    assert.deepEqual(T.toArray(), [[1, 3], [2, 4]]);
    assert.deepEqual(T2.mul(identity(2)).toArray(), [[1, 3], [2, 4]]);
    assert.deepEqual(S.transpose().toArray(), [[1, 3], [9, 4]]);
    const V = S.transpose();
    V.set(0, 0, 7);
    assert.deepEqual([V.toArray(), S.toArray()], [[[7, 3], [9, 4]], [[1, 9], [3, 4]]], 'setting a view changes the view only');
  });

  it("eigh's vectors, svd's V and cholesky's L are views of what LAPACK leaves, with the right entries", () => {
    const S = B.transpose().mul(B);
    const { values, vectors } = S.eigh();
    const { U, S: sv, V } = B.svd();
    const L = S.add(identity(4)).cholesky();
    for (const view of [vectors, V, L]) assert.notEqual(view.transposeSource(), null);
    close(plainMul(S.toArray(), vectors.toArray()), plainMul(vectors.toArray(), identityScaled(values.toArray())), 1e-10);
    close(plainMul(plainMul(U.toArray(), identityScaled(sv.toArray())), plainTranspose(V)), B.toArray(), 1e-10);
    close(plainMul(L.toArray(), plainTranspose(L)), S.add(identity(4)).toArray(), 1e-10);
  });

  it('many transposes of one matrix do not pile up', () => {
    const S = randomMatrix(3, 3, 4);
    for (let i = 0; i < 1000; i++) S.transpose();
    S.set(0, 0, 1);
    assert.equal(S.transpose().get(0, 0), 1);
  });
});

describe('engine: symmetry known by construction', () => {
  const A = randomMatrix(6, 4, 11);
  const G = randomMatrix(6, 6, 12);

  it('products and sums with their own transpose, identity, square zeros and ones, diagonals, and their sums, differences, multiples and transposes', () => {
    const S = A.mul(A.transpose());
    const known: Matrix[] = [S, A.transpose().mul(A), G.add(G.transpose()), G.transpose().add(G), identity(6), zeros(3, 3), ones(2, 2), diagonal([1, 2, 3]), S.add(identity(6).scale(6)), S.sub(S.scale(0.5)), S.transpose()];
    for (const [k, M] of known.entries()) {
      assert.equal(M.knownSymmetric, true, `case ${k}`);
      assert.equal(native().isSymmetricExact(M.data, M.rows), true, `case ${k} is exactly symmetric`);
    }
    const unknown: Matrix[] = [matrix(S.toArray()), G, G.sub(G.transpose()), G.add(randomMatrix(6, 6, 12).transpose()), S.add(G), G.mul(G), zeros(2, 3), ones(3, 2), A.transpose().mul(A.transpose().transpose().add(zeros(6, 4)))];
    for (const [k, M] of unknown.entries()) assert.equal(M.knownSymmetric, false, `case ${k}`);
  });

  it('set forgets it, and a changed matrix is checked again', () => {
    const S = identity(3).scale(2);
    const T = S.transpose();
    S.set(0, 1, 1);
    assert.equal(S.knownSymmetric, false);
    assert.equal(T.knownSymmetric, true, 'the transpose keeps the entries it was made from');
    assert.throws(() => S.cholesky(), /cholesky: matrix is not symmetric \(3x3\)/);
    assert.throws(() => S.eigh(), /eigh: matrix is not symmetric \(3x3\)/);
    assert.equal(S.eigenvalues() instanceof Array, true, 'a general matrix has complex eigenvalues');
  });

  it('factorisations that skip the check give what the checked path gives, to the last bit', () => {
    for (const n of [1, 31, 33, 70, 200]) {
      const R = randomMatrix(n, n, n);
      const P = R.mul(R.transpose()).add(identity(n).scale(n));
      const plain = matrix(P.toArray());
      assert.equal(P.knownSymmetric && !plain.knownSymmetric, true);
      assert.deepEqual(P.cholesky().toArray(), plain.cholesky().toArray(), `cholesky n = ${n}`);
      const [e, f] = [P.eigh(), plain.eigh()];
      assert.deepEqual([e.values.toArray(), e.vectors.toArray()], [f.values.toArray(), f.vectors.toArray()], `eigh n = ${n}`);
      assert.deepEqual((P.eigenvalues() as { toArray(): number[] }).toArray(), (plain.eigenvalues() as { toArray(): number[] }).toArray());
    }
  });

  it('the addon refuses a symmetry it does not know', () => {
    const P = identity(2);
    const n = native() as unknown as { cholesky(...args: unknown[]): boolean };
    assert.throws(() => n.cholesky(P.data, new Float64Array(4), 2, 'maybe'), /cholesky: symmetry must be "exact", "known" or "loose"/);
    assert.throws(() => n.cholesky(P.data, new Float64Array(4), 2, true), TypeError);
  });
});

describe('engine: norms and element-wise operations', () => {
  const A = randomMatrix(7, 4, 5).scale(10);
  const a = A.toArray();

  it('Frobenius, 1 and ∞ norms of a non-square matrix', () => {
    const fro = Math.sqrt(a.flat().reduce((s, x) => s + x * x, 0));
    const one = Math.max(...a[0].map((_, j) => a.reduce((s, row) => s + Math.abs(row[j]), 0)));
    const inf = Math.max(...a.map((row) => row.reduce((s, x) => s + Math.abs(x), 0)));
    assert.ok(Math.abs(A.norm() - fro) <= 1e-13 * fro);
    assert.ok(Math.abs(A.norm(1) - one) <= 1e-13 * one);
    assert.ok(Math.abs(A.norm(Infinity) - inf) <= 1e-13 * inf);
    assert.ok(Math.abs(A.transpose().norm(1) - inf) <= 1e-13 * inf, 'a view is materialised first');
  });

  it('the Frobenius norm of a long run is the plain sum of squares with 1, 2 and 3 BLAS threads', () => {
    const B = randomMatrix(1001, 1049, 7); // 1,050,049 entries: long enough for OpenBLAS to split, odd length
    let sum = 0;
    for (const x of B.data) sum += x * x;
    const before = blasConfig().threads;
    try {
      for (const threads of [1, 2, 3]) {
        setBlasThreads(threads);
        assert.ok(Math.abs(B.norm() / Math.sqrt(sum) - 1) < 1e-13, `${threads} threads`);
      }
    } finally {
      setBlasThreads(before);
    }
  });

  it('the Frobenius norm neither overflows nor underflows where the squares would', () => {
    assert.ok(Math.abs(matrix([[3e200, 4e200]]).norm() / 5e200 - 1) < 1e-15);
    assert.ok(Math.abs(matrix([[3e-200], [4e-200]]).norm() / 5e-200 - 1) < 1e-15);
    assert.equal(matrix([[0, 0]]).norm(), 0);
    assert.equal(matrix([[Infinity, 1]]).norm(), Infinity);
  });

  it('add, sub and scale in one pass, on views too', () => {
    const B = randomMatrix(7, 4, 6);
    const b = B.toArray();
    close(A.add(B).toArray(), a.map((row, i) => row.map((x, j) => x + b[i][j])), 0);
    close(A.sub(B).toArray(), a.map((row, i) => row.map((x, j) => x - b[i][j])), 0);
    close(A.scale(-0.25).toArray(), a.map((row) => row.map((x) => -0.25 * x)), 0);
    close(A.transpose().add(B.transpose()).toArray(), plainTranspose(A.add(B)), 0);
  });
});
