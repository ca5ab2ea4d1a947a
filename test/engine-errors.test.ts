// Every kind of bad input is a TypeError or RangeError that names the operation (and shapes), never a
// crash; the process stays usable afterwards.
import assert from 'node:assert/strict';

import { diagonal, identity, matrix, Matrix, ones, randomMatrix, setBlasThreads, vector, Vector, zeros } from '../src/engine/index.js';

function throwsWith(f: () => unknown, type: typeof TypeError | typeof RangeError, message: string | RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    if (typeof message === 'string') assert.equal((e as Error).message, message);
    else assert.match((e as Error).message, message);
    return true;
  });
}

const A23 = matrix([[1, 2, 3], [4, 5, 6]]);
const singular = matrix([[1, 2], [2, 4]]);

describe('engine: errors', () => {
  it('singular matrices: inverse and solve', () => {
    throwsWith(() => singular.inverse(), RangeError, 'matrix is singular');
    throwsWith(() => singular.solve(vector([1, 2])), RangeError, 'matrix is singular');
    throwsWith(() => singular.solve(identity(2)), RangeError, 'matrix is singular');
    throwsWith(() => zeros(3, 3).inverse(), RangeError, 'matrix is singular');
    assert.equal(singular.det(), 0);
  });

  it('shape mismatches name the operation and both shapes', () => {
    throwsWith(() => A23.mul(A23), RangeError, 'mul: shapes 2x3 and 2x3 do not match');
    throwsWith(() => A23.mul(vector([1, 2])), RangeError, 'mul: shapes 2x3 and vector of length 2 do not match');
    throwsWith(() => A23.add(identity(2)), RangeError, 'add: shapes 2x3 and 2x2 do not match');
    throwsWith(() => A23.sub(identity(3)), RangeError, 'sub: shapes 2x3 and 3x3 do not match');
    throwsWith(() => identity(2).solve(vector([1, 2, 3])), RangeError, 'solve: shapes 2x2 and vector of length 3 do not match');
    throwsWith(() => identity(2).solve(ones(3, 1)), RangeError, 'solve: shapes 2x2 and 3x1 do not match');
    throwsWith(() => vector([1]).add(vector([1, 2])), RangeError, 'add: lengths 1 and 2 do not match');
    throwsWith(() => vector([1]).dot(vector([1, 2])), RangeError, 'dot: lengths 1 and 2 do not match');
  });

  it('square-only operations on non-square matrices', () => {
    for (const op of ['det', 'inverse', 'trace', 'cholesky', 'eigenvalues', 'eigh'] as const) {
      throwsWith(() => (A23[op] as () => unknown).call(A23), RangeError, `${op}: matrix is not square (2x3)`);
    }
    throwsWith(() => A23.solve(vector([1, 2])), RangeError, 'solve: matrix is not square (2x3)');
  });

  it('non-symmetric or indefinite input to symmetric factorisations', () => {
    throwsWith(() => matrix([[1, 2], [3, 4]]).cholesky(), RangeError, 'cholesky: matrix is not symmetric (2x2)');
    throwsWith(() => matrix([[1, 2], [2, 1]]).cholesky(), RangeError, 'cholesky: matrix is not positive definite');
    throwsWith(() => matrix([[1, 2], [3, 4]]).eigh(), RangeError, 'eigh: matrix is not symmetric (2x2)');
  });

  it('empty matrices in factorisations', () => {
    const E = matrix([]);
    for (const op of ['det', 'inverse', 'lu', 'qr', 'svd', 'eigenvalues', 'eigh', 'cholesky'] as const) {
      throwsWith(() => (E[op] as () => unknown).call(E), RangeError, `${op}: empty matrix (0x0)`);
    }
    throwsWith(() => zeros(2, 0).svd(), RangeError, 'svd: empty matrix (2x0)');
  });

  it('NaN inputs', () => {
    throwsWith(() => matrix([[1, NaN]]), RangeError, 'matrix: entry (0, 1) is NaN');
    throwsWith(() => vector([NaN]), RangeError, 'vector: entry 0 is NaN');
    throwsWith(() => diagonal([1, NaN]), RangeError, 'diagonal: entry 1 is NaN');
    throwsWith(() => identity(2).scale(NaN), RangeError, 'scale: scalar is NaN');
    throwsWith(() => identity(2).mul(NaN), RangeError, 'scale: scalar is NaN');
    throwsWith(() => identity(2).set(0, 0, NaN), RangeError, 'set: value is NaN');
    throwsWith(() => identity(2).equals(identity(2), NaN), RangeError, 'equals: tolerance is NaN');
  });

  it('non-finite entries reaching iterative LAPACK drivers', () => {
    const inf = matrix([[Infinity, 0], [0, 1]]);
    throwsWith(() => inf.svd(), RangeError, 'svd: matrix 2x2 has non-finite entries');
    throwsWith(() => inf.eigenvalues(), RangeError, 'eigenvalues: matrix 2x2 has non-finite entries');
    throwsWith(() => inf.norm(2), RangeError, 'norm: matrix 2x2 has non-finite entries');
    throwsWith(() => inf.rank(), RangeError, 'rank: matrix 2x2 has non-finite entries');
    // The check runs with the copy, in vector blocks: a bad entry first, inside or last is found. NaN
    // cannot be entered, only made: ∞ − ∞.
    const withEntry = (base: Matrix, value: number, i: number, j: number): Matrix => {
      const rows = base.toArray();
      rows[i]![j] = Number.isNaN(value) ? Infinity : value;
      const A = matrix(rows);
      return Number.isNaN(value) ? A.sub(A) : A;
    };
    for (const bad of [Infinity, -Infinity, NaN]) {
      for (const k of [0, 18, 36]) {
        const A = withEntry(randomMatrix(37, 37, 1), bad, k, (k * 7) % 37);
        throwsWith(() => A.svd(), RangeError, 'svd: matrix 37x37 has non-finite entries');
        throwsWith(() => A.eigenvalues(), RangeError, 'eigenvalues: matrix 37x37 has non-finite entries');
        const S = withEntry(identity(37), bad, k, k);
        throwsWith(() => S.eigh(), RangeError, 'eigh: matrix 37x37 has non-finite entries');
        throwsWith(() => S.eigenvalues(), RangeError, 'eigenvalues: matrix 37x37 has non-finite entries');
      }
    }
  });

  it('ragged rows and wrong types', () => {
    throwsWith(() => matrix([[1, 2], [3]]), RangeError, 'matrix: row 1 has 1 entries, expected 2 (ragged rows)');
    throwsWith(() => matrix([[1, '2' as unknown as number]]), TypeError, 'matrix: entry (0, 1) must be a number, got string "2"');
    throwsWith(() => matrix(3 as unknown as number[][]), TypeError, 'matrix: expected an array of rows, got number 3');
    throwsWith(() => matrix([1, 2] as unknown as number[][]), TypeError, 'matrix: row 0 must be an array, got number 1');
    throwsWith(() => vector('12' as unknown as number[]), TypeError, 'vector: expected an array of numbers, got string "12"');
    throwsWith(() => vector([1, null as unknown as number]), TypeError, 'vector: entry 1 must be a number, got null');
    throwsWith(() => identity(2).mul('x' as unknown as number), TypeError, 'mul: expected a Matrix, Vector or number, got string "x"');
    throwsWith(() => identity(2).add([[1]] as unknown as Matrix), TypeError, 'add: expected a Matrix, got an array');
    throwsWith(() => identity(2).solve(3 as unknown as Vector), TypeError, 'solve: expected a Vector or Matrix, got number 3');
    throwsWith(() => identity(2).norm('max' as unknown as 1), RangeError, "norm: unknown norm 'max' (use 'fro', 1, 2 or Infinity)");
    throwsWith(() => zeros('2' as unknown as number, 2), TypeError, 'zeros: rows must be a number, got string "2"');
    throwsWith(() => zeros(2.5, 2), RangeError, 'zeros: rows must be a non-negative integer, got 2.5');
    throwsWith(() => identity(-1), RangeError, 'identity: size must be a non-negative integer, got -1');
    throwsWith(() => new (Matrix as unknown as new () => Matrix)(), TypeError, /use matrix/);
    throwsWith(() => randomMatrix(2, 2, 0.5), RangeError, 'randomMatrix: seed must be a safe integer, got 0.5');
    throwsWith(() => setBlasThreads(0), RangeError, /setBlasThreads: thread count must be a positive integer/);
  });

  it('indices out of range', () => {
    throwsWith(() => identity(2).get(2, 0), RangeError, 'get: row 2 is out of range [0, 2)');
    throwsWith(() => identity(2).get(0, -1), RangeError, 'get: column -1 is out of range [0, 2)');
    throwsWith(() => identity(2).get(0.5, 0), TypeError, 'get: row must be an integer, got number 0.5');
    throwsWith(() => identity(2).row(5), RangeError, 'row: row 5 is out of range [0, 2)');
    throwsWith(() => identity(2).col(5), RangeError, 'col: column 5 is out of range [0, 2)');
    throwsWith(() => vector([1]).get(1), RangeError, 'get: index 1 is out of range [0, 1)');
  });

  it('sizes that cannot be allocated', () => {
    throwsWith(() => zeros(1e6, 1e6), RangeError, 'zeros: cannot allocate a 1000000x1000000 matrix');
    throwsWith(() => ones(3e9, 1), RangeError, /ones: (cannot allocate|rows .* too large)/);
    throwsWith(() => randomMatrix(1e5, 1e5), RangeError, 'randomMatrix: cannot allocate a 100000x100000 matrix');
  });

  it('the addon itself refuses malformed calls instead of crashing', async () => {
    const { native } = await import('../src/engine/native.js');
    const n = native();
    const small = new Float64Array(4);
    assert.throws(() => n.det(small, 3), RangeError);
    assert.throws(() => n.det([1, 2, 3, 4] as unknown as Float64Array, 2), TypeError);
    assert.throws(() => n.gemm(small.buffer, 0, small.buffer, 0, small.buffer, 0, 3, 3, 3), RangeError);
    assert.throws(() => n.gemm(small.buffer, 0, small.buffer, 0, small.buffer, 3, 2, 2, 2), RangeError);
    assert.throws(() => n.gemm({} as ArrayBuffer, 0, small.buffer, 0, small.buffer, 0, 1, 1, 1), TypeError);
    assert.throws(() => n.dot(small.buffer, -1, small.buffer, 0, 1), RangeError);
    assert.throws(() => n.larnv(2, new Int32Array([0, 0, 0, 2]), small, 4), RangeError);
    assert.throws(() => n.copyStrided(small, small, 3, 0, 2), RangeError);
    // Still alive and computing.
    assert.equal(identity(2).det(), 1);
  });
});
