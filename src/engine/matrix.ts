// The dense row-major Float64 matrix: structure, element access, BLAS arithmetic and display. The LAPACK
// factorisations are implemented in linalg.ts; the methods here carry their documentation and examples.
import { inspect } from 'node:util';

import { Complex } from './complex.js';
import { formatMatrix } from './display.js';
import { checkIndex, checkValue, describe, shape } from './errors.js';
import * as linalg from './linalg.js';
import { native } from './native.js';
import { allocate, allocateOutput } from './storage.js';
import { Vector, wrapVector } from './vector.js';

const INTERNAL = Symbol('Matrix.internal');

/**
 * `T = A.transpose()` remembers A (and A's version then), so `A.mul(T)` / `T.mul(A)` can take dsyrk at half
 * the flops of dgemm, as numpy does for `a @ a.T`. `set` bumps a version, so a changed A or T is never
 * mistaken for a transpose.
 */
const transposeOf = new WeakMap<Matrix, { source: Matrix; version: number }>();
const versions = new WeakMap<Matrix, number>();

function isTransposeOf(t: Matrix, a: Matrix): boolean {
  if (t.isViewOf(a)) return true;
  const link = transposeOf.get(t);
  return link !== undefined && link.source === a && link.version === (versions.get(a) ?? 0) && !versions.has(t);
}

/** Registry-wide brand so `instanceof Matrix` holds across copies of the engine (see vector.ts). */
const BRAND = Symbol.for('mtest.engine.Matrix');

/** PA = LU. */
export interface LU {
  P: Matrix;
  L: Matrix;
  U: Matrix;
}
/** A = QR. */
export interface QR {
  Q: Matrix;
  R: Matrix;
}
/** A = U·diag(S)·Vᵀ. */
export interface SVD {
  U: Matrix;
  S: Vector;
  V: Matrix;
}
/** A·vectors = vectors·diag(values). */
export interface Eigh {
  values: Vector;
  vectors: Matrix;
}
export type NormKind = 'fro' | 1 | 2 | typeof Infinity;

/**
 * A dense matrix of doubles (row-major), displayed in Sage's RDF style. Make one with `matrix([[...]])`,
 * `identity(n)`, `zeros(m, n)`, `ones(m, n)`, `diagonal([...])` or `randomMatrix(m, n)`.
 *
 *     sage: const A = matrix([[1, -2.5], [3, 4]])
 *     sage: A
 *     [ 1.0 -2.5]
 *     [ 3.0  4.0]
 *     sage: [A.rows, A.cols]
 *     [ 2, 2 ]
 */
export class Matrix {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** Row-major storage; null while this is a transpose view that has not been needed as storage yet. */
  private _data: Float64Array | null;
  private _buf: ArrayBufferLike | null;
  private _off: number;
  /** For a transpose view: the matrix it was taken from, and that matrix's storage then (cols × rows). */
  private _src: Matrix | null = null;
  private _srcData: Float64Array | null = null;
  /** Transpose views read this storage: `set` gives this matrix a copy of its own first. */
  private _shared = false;
  /**
   * Exactly symmetric by how it was made (A·Aᵀ, A + Aᵀ, identity, sums and multiples of such), so the
   * factorisations that need symmetry skip checking it; `set` clears it.
   */
  private _symmetric: boolean;

  /** @internal use `matrix()` and friends */
  constructor(token: symbol, rows: number, cols: number, data: Float64Array | null, symmetric = false) {
    if (token !== INTERNAL) throw new TypeError('Matrix: use matrix([[...]]) to make a matrix');
    this.rows = rows;
    this.cols = cols;
    this._symmetric = symmetric;
    this._data = data;
    this._buf = data ? data.buffer : null;
    this._off = data ? data.byteOffset >>> 3 : 0;
  }

  /** @internal row-major storage (a view into a pooled buffer); a transpose view is materialised here. */
  get data(): Float64Array {
    return this._data ?? this.materialise();
  }

  /** @internal the storage's buffer and element offset, as the BLAS entry points take them. */
  get buf(): ArrayBufferLike {
    return this._buf ?? this.materialise().buffer;
  }

  /** @internal */
  get off(): number {
    if (this._data === null) this.materialise();
    return this._off;
  }

  /** @internal exactly symmetric by how it was made (see `_symmetric`). */
  get knownSymmetric(): boolean {
    return this._symmetric;
  }

  /** @internal the matrix whose transpose this is, while that is all it is (no storage of its own). */
  transposeSource(): Matrix | null {
    return this._src;
  }

  /** @internal a transpose view of `a` whose entries are still a's. */
  isViewOf(a: Matrix): boolean {
    return this._src === a && this._srcData === a._data;
  }

  /** Copies the source's entries, transposed (OpenBLAS omatcopy), into storage of its own. */
  private materialise(): Float64Array {
    const src = this._srcData!;
    const out = allocateOutput(this.rows * this.cols, 'transpose', this.shape());
    native().transpose(src, out, this.cols, this.rows);
    const from = this._src!;
    if (from._data === src) transposeOf.set(this, { source: from, version: versions.get(from) ?? 0 });
    this.adopt(out);
    this._src = this._srcData = null;
    return out;
  }

  private adopt(data: Float64Array): void {
    this._data = data;
    this._buf = data.buffer;
    this._off = data.byteOffset >>> 3;
  }

  static [Symbol.hasInstance](value: unknown): value is Matrix {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /**
   * Entry (i, j), 0-based.
   *
   *     sage: matrix([[1, 2], [3, 4]]).get(1, 0)
   *     3
   *     sage: matrix([[1, 2], [3, 4]]).get(2, 0)
   *     Uncaught RangeError: get: row 2 is out of range [0, 2)
   */
  get(i: number, j: number): number {
    checkIndex('get', 'row', i, this.rows);
    checkIndex('get', 'column', j, this.cols);
    if (this._srcData) return this._srcData[j * this.rows + i]!;
    return this.data[i * this.cols + j]!;
  }

  /**
   * Sets entry (i, j) in place (NaN is refused).
   *
   *     sage: const A = zeros(2, 2)
   *     sage: A.set(0, 1, 5)
   *     sage: A
   *     [0.0 5.0]
   *     [0.0 0.0]
   *     sage: A.set(0, 0, NaN)
   *     Uncaught RangeError: set: value is NaN
   */
  set(i: number, j: number, v: number): void {
    checkIndex('set', 'row', i, this.rows);
    checkIndex('set', 'column', j, this.cols);
    checkValue('set', v, 'value');
    const data = this.data;
    if (this._shared) {
      // Transpose views of this matrix keep the entries they were made from: copy on write.
      const own = allocateOutput(data.length, 'set', this.shape());
      own.set(data);
      this.adopt(own);
      this._shared = false;
    }
    this.data[i * this.cols + j] = v;
    this._symmetric = false;
    versions.set(this, (versions.get(this) ?? 0) + 1);
  }

  /**
   * Row i as a Vector (a copy).
   *
   *     sage: matrix([[1, 2], [3, 4]]).row(1)
   *     (3.0, 4.0)
   */
  row(i: number): Vector {
    checkIndex('row', 'row', i, this.rows);
    if (this._srcData) return strided(this._srcData, 'row', this.cols, i, this.rows);
    return strided(this.data, 'row', this.cols, i * this.cols, 1);
  }

  /**
   * Column j as a Vector (a copy, through dcopy with stride).
   *
   *     sage: matrix([[1, 2], [3, 4]]).col(1)
   *     (2.0, 4.0)
   */
  col(j: number): Vector {
    checkIndex('col', 'column', j, this.cols);
    if (this._srcData) return strided(this._srcData, 'col', this.rows, j * this.rows, 1);
    return strided(this.data, 'col', this.rows, j, this.cols);
  }

  /**
   * The entries as nested arrays, one per row.
   *
   *     sage: matrix([[1, 2], [3, 4]]).toArray()
   *     [ [ 1, 2 ], [ 3, 4 ] ]
   */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    return out;
  }

  /**
   * Sum `A + B` (daxpy).
   *
   *     sage: matrix([[1, 2], [3, 4]]).add(identity(2))
   *     [2.0 2.0]
   *     [3.0 5.0]
   *     sage: matrix([[1, 2]]).add(identity(2))
   *     Uncaught RangeError: add: shapes 1x2 and 2x2 do not match
   */
  add(B: Matrix): Matrix {
    return this.combine('add', B, 1);
  }

  /**
   * Difference `A - B` (daxpy).
   *
   *     sage: matrix([[1, 2], [3, 4]]).sub(identity(2))
   *     [0.0 2.0]
   *     [3.0 3.0]
   */
  sub(B: Matrix): Matrix {
    return this.combine('sub', B, -1);
  }

  /**
   * Scalar multiple `s·A` (dscal).
   *
   *     sage: matrix([[1, 2], [3, 4]]).scale(-0.5)
   *     [-0.5 -1.0]
   *     [-1.5 -2.0]
   */
  scale(s: number): Matrix {
    checkValue('scale', s, 'scalar');
    const n = this.data.length;
    const out = allocateOutput(n, 'scale', this.shape());
    native().scal(this.buf, this.off, out.buffer, out.byteOffset >>> 3, s, n);
    // sᵢⱼ = s·aᵢⱼ is one rounding of the same operands as sⱼᵢ.
    return new Matrix(INTERNAL, this.rows, this.cols, out, this._symmetric);
  }

  /**
   * Product with a matrix (dgemm), a vector (dgemv) or a number (dscal).
   *
   *     sage: const A = matrix([[1, 2], [3, 4]])
   *     sage: A.mul(matrix([[0, 1], [1, 0]]))
   *     [2.0 1.0]
   *     [4.0 3.0]
   *     sage: A.mul(vector([1, 1]))
   *     (3.0, 7.0)
   *     sage: A.mul(2)
   *     [2.0 4.0]
   *     [6.0 8.0]
   *     sage: matrix([[1, 2, 3], [4, 5, 6]]).mul(matrix([[1, 2, 3], [4, 5, 6]]))
   *     Uncaught RangeError: mul: shapes 2x3 and 2x3 do not match
   *     sage: A.mul('x')
   *     Uncaught TypeError: mul: expected a Matrix, Vector or number, got string "x"
   */
  mul(B: Matrix): Matrix;
  mul(v: Vector): Vector;
  mul(s: number): Matrix;
  mul(x: Matrix | Vector | number): Matrix | Vector {
    if (x instanceof Matrix) {
      const m = this.rows;
      const k = this.cols;
      const n = x.cols;
      if (x.rows !== k) throw new RangeError(`mul: shapes ${this.shape()} and ${x.shape()} do not match`);
      const out = allocateOutput(m * n, 'mul', shape(m, n));
      const oo = out.byteOffset >>> 3;
      if (isTransposeOf(x, this)) {
        native().syrk(this.buf, this.off, out.buffer, oo, m, k, 0);
        return new Matrix(INTERNAL, m, n, out, true);  // dsyrk's triangle, mirrored
      }
      if (isTransposeOf(this, x)) {
        native().syrk(x.buf, x.off, out.buffer, oo, m, k, 1);
        return new Matrix(INTERNAL, m, n, out, true);
      }
      if (this._srcData || x._srcData) {
        // A transpose view enters dgemm as its source's storage with the transpose flag: no copy.
        const a = this._srcData ?? this.data, b = x._srcData ?? x.data;
        native().gemmt(a.buffer, a.byteOffset >>> 3, b.buffer, b.byteOffset >>> 3, out.buffer, oo, m, k, n, this._srcData ? 1 : 0, x._srcData ? 1 : 0);
      } else native().gemm(this.buf, this.off, x.buf, x.off, out.buffer, oo, m, k, n);
      return new Matrix(INTERNAL, m, n, out);
    }
    if (x instanceof Vector) {
      if (x.length !== this.cols) {
        throw new RangeError(`mul: shapes ${this.shape()} and vector of length ${x.length} do not match`);
      }
      const out = allocate(this.rows, 'mul', `length ${this.rows}`);
      native().gemv(this.buf, this.off, x.buf, x.off, out.buffer, out.byteOffset >>> 3, this.rows, this.cols);
      return wrapVector(out);
    }
    if (typeof x === 'number') return this.scale(x);
    throw new TypeError(`mul: expected a Matrix, Vector or number, got ${describe(x)}`);
  }

  /**
   * The transpose. Made without a copy: products take it as dgemm's transpose flag (or dsyrk for
   * `A.mul(A.transpose())`); the entries are copied (OpenBLAS omatcopy) only when something needs them
   * as storage, or before A changes.
   *
   *     sage: const T = matrix([[1, 2, 3]]).transpose()
   *     sage: T
   *     [1.0]
   *     [2.0]
   *     [3.0]
   *     sage: const A = matrix([[1, 2], [3, 4]])
   *     sage: const At = A.transpose()
   *     sage: A.set(0, 1, 9)
   *     sage: [At.get(1, 0), A.get(0, 1)]
   *     [ 2, 9 ]
   *     sage: At.mul(identity(2))
   *     [1.0 3.0]
   *     [2.0 4.0]
   */
  transpose(): Matrix {
    const t = new Matrix(INTERNAL, this.cols, this.rows, null, this._symmetric);
    t._src = this;
    t._srcData = this.data;
    this._shared = true;
    return t;
  }

  /**
   * Sum of the diagonal (ddot of the diagonal with ones).
   *
   *     sage: matrix([[1, 2], [3, 4]]).trace()
   *     5
   *     sage: matrix([[1, 2]]).trace()
   *     Uncaught RangeError: trace: matrix is not square (1x2)
   */
  trace(): number {
    this.requireSquare('trace');
    return native().trace(this.data, this.rows);
  }

  /**
   * Determinant, through LU (dgetrf).
   *
   *     sage: matrix([[1, 2], [3, 4]]).det()  // tol 1e-12
   *     -2.0
   *     sage: matrix([[1, 2], [2, 4]]).det()
   *     0
   *     sage: matrix([[1, 2, 3]]).det()
   *     Uncaught RangeError: det: matrix is not square (1x3)
   */
  det(): number {
    return linalg.det(this);
  }

  /**
   * The inverse (dgetrf + dgetri); a RangeError when the matrix is exactly singular.
   *
   *     sage: matrix([[4, 7], [2, 6]]).inverse()  // tol 1e-12
   *     [ 0.6 -0.7]
   *     [-0.2  0.4]
   *     sage: matrix([[1, 2], [2, 4]]).inverse()
   *     Uncaught RangeError: matrix is singular
   */
  inverse(): Matrix {
    return linalg.inverse(this);
  }

  /**
   * Solves `A·x = b` for a vector b, or `A·X = B` for a matrix B (dgesv).
   *
   *     sage: const A = matrix([[2, 1], [1, 3]])
   *     sage: A.solve(vector([3, 5]))  // tol 1e-12
   *     (0.8, 1.4)
   *     sage: A.solve(identity(2)).mul(A).equals(identity(2), 1e-12)
   *     true
   *     sage: matrix([[1, 2], [2, 4]]).solve(vector([1, 1]))
   *     Uncaught RangeError: matrix is singular
   *     sage: A.solve(vector([1, 2, 3]))
   *     Uncaught RangeError: solve: shapes 2x2 and vector of length 3 do not match
   */
  solve(b: Vector): Vector;
  solve(B: Matrix): Matrix;
  solve(b: Vector | Matrix): Vector | Matrix {
    return linalg.solve(this, b);
  }

  /**
   * Numerical rank: the number of singular values above `tol` (default max(m, n)·ε·σ₁, as numpy).
   *
   *     sage: matrix([[1, 2], [2, 4]]).rank()
   *     1
   *     sage: identity(3).rank()
   *     3
   *     sage: matrix([[1, 0], [0, 1e-9]]).rank(1e-6)
   *     1
   */
  rank(tol?: number): number {
    return linalg.rank(this, tol);
  }

  /**
   * Matrix norm: `'fro'` (default), `1` (max column sum), `Infinity` (max row sum), both through dlange,
   * or `2` (largest singular value, dgesdd).
   *
   *     sage: const A = matrix([[1, -2], [3, 4]])
   *     sage: [A.norm(1), A.norm(Infinity)]
   *     [ 6, 7 ]
   *     sage: A.norm()  // tol 1e-12
   *     5.477225575051661
   *     sage: A.norm(2)  // tol 1e-12
   *     5.116672736016927
   *     sage: A.norm(3)
   *     Uncaught RangeError: norm: unknown norm 3 (use 'fro', 1, 2 or Infinity)
   */
  norm(kind: NormKind = 'fro'): number {
    return linalg.norm(this, kind);
  }

  /**
   * Whether the matrix is square and equal to its transpose, exactly or within `tol` (absolute).
   *
   *     sage: matrix([[1, 2], [2, 1]]).isSymmetric()
   *     true
   *     sage: matrix([[1, 2], [2.001, 1]]).isSymmetric()
   *     false
   *     sage: matrix([[1, 2], [2.001, 1]]).isSymmetric(0.01)
   *     true
   */
  isSymmetric(tol = 0): boolean {
    return linalg.isSymmetric(this, tol);
  }

  /**
   * Same shape and entries equal, exactly or within `tol` (max absolute difference).
   *
   *     sage: const A = matrix([[1, 2], [3, 4]])
   *     sage: A.equals(matrix([[1, 2], [3, 4]]))
   *     true
   *     sage: const B = A.add(ones(2, 2).scale(1e-14))
   *     sage: A.equals(B)
   *     false
   *     sage: A.equals(B, 1e-12)
   *     true
   *     sage: A.equals(identity(3))
   *     false
   */
  equals(B: Matrix, tol = 0): boolean {
    return linalg.equals(this, B, tol);
  }

  /**
   * LU decomposition with partial pivoting (dgetrf): `P·A = L·U`, L unit lower triangular, U upper.
   *
   *     sage: const { P, L, U } = matrix([[1, 2], [3, 4]]).lu()
   *     sage: P
   *     [0.0 1.0]
   *     [1.0 0.0]
   *     sage: L  // tol 1e-12
   *     [               1.0                0.0]
   *     [0.3333333333333333                1.0]
   *     sage: U  // tol 1e-12
   *     [               3.0                4.0]
   *     [               0.0 0.6666666666666667]
   */
  lu(): LU {
    return linalg.lu(this);
  }

  /**
   * QR decomposition (dgeqrf + dorgqr): `A = Q·R` with Q m×m orthogonal and R m×n upper triangular.
   *
   *     sage: const A = matrix([[3, 1], [4, 2]])
   *     sage: const { Q, R } = A.qr()
   *     sage: R  // tol 1e-12
   *     [              -5.0               -2.2]
   *     [               0.0 0.3999999999999999]
   *     sage: Q.mul(R).equals(A, 1e-12)
   *     true
   */
  qr(): QR {
    return linalg.qr(this);
  }

  /**
   * Cholesky factor (dpotrf): lower triangular L with `A = L·Lᵀ`, for symmetric positive definite A.
   *
   *     sage: matrix([[4, 2], [2, 3]]).cholesky()  // tol 1e-12
   *     [               2.0                0.0]
   *     [               1.0 1.4142135623730951]
   *     sage: matrix([[1, 2], [2, 1]]).cholesky()
   *     Uncaught RangeError: cholesky: matrix is not positive definite
   */
  cholesky(): Matrix {
    return linalg.cholesky(this);
  }

  /**
   * Singular value decomposition (dgesdd): `A = U·diag(S)·Vᵀ`, S descending, U m×k and V n×k with
   * k = min(m, n); each pair of singular vectors is signed so that the largest entry of V's column is
   * positive.
   *
   *     sage: const A = matrix([[3, 0], [4, 5]])
   *     sage: const { U, S, V } = A.svd()
   *     sage: S  // tol 1e-12
   *     (6.708203932499369, 2.23606797749979)
   *     sage: U.mul(diagonal(S)).mul(V.transpose()).equals(A, 1e-12)
   *     true
   */
  svd(): SVD {
    return linalg.svd(this);
  }

  /**
   * Eigenvalues: a Vector in ascending order for symmetric input (dsyevd), otherwise an array of
   * Complex sorted by real part, then imaginary part (dgeev). Symmetry is judged up to rounding.
   *
   *     sage: matrix([[2, 1], [1, 2]]).eigenvalues()  // tol 1e-12
   *     (1.0, 3.0)
   *     sage: matrix([[1, 2], [-2, 1]]).eigenvalues()  // tol 1e-12
   *     [ 1.0 - 2.0*I, 1.0 + 2.0*I ]
   */
  eigenvalues(): Vector | Complex[] {
    return linalg.eigenvalues(this);
  }

  /**
   * Symmetric eigendecomposition (dsyevd): ascending values and a matrix whose columns are the
   * orthonormal eigenvectors, each signed so that its largest entry is positive.
   *
   *     sage: const { values, vectors } = matrix([[2, 1], [1, 2]]).eigh()
   *     sage: values  // tol 1e-12
   *     (1.0, 3.0)
   *     sage: vectors  // tol 1e-12
   *     [ 0.7071067811865475  0.7071067811865475]
   *     [-0.7071067811865475  0.7071067811865475]
   *     sage: matrix([[1, 2], [3, 4]]).eigh()
   *     Uncaught RangeError: eigh: matrix is not symmetric (2x2)
   */
  eigh(): Eigh {
    return linalg.eigh(this);
  }

  /**
   * Sage's RDF display, also used by `console.log` and string conversion.
   *
   *     sage: String(identity(2))
   *     '[1.0 0.0]\n[0.0 1.0]'
   */
  toString(): string {
    return formatMatrix(this.rows, this.cols, this.data);
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal "2x3" */
  shape(): string {
    return shape(this.rows, this.cols);
  }

  /** @internal */
  requireSquare(op: string): void {
    if (this.rows !== this.cols) throw new RangeError(`${op}: matrix is not square (${this.shape()})`);
  }


  private combine(op: string, B: Matrix, alpha: number): Matrix {
    if (!(B instanceof Matrix)) throw new TypeError(`${op}: expected a Matrix, got ${describe(B)}`);
    if (B.rows !== this.rows || B.cols !== this.cols) {
      throw new RangeError(`${op}: shapes ${this.shape()} and ${B.shape()} do not match`);
    }
    const n = this.data.length;
    const out = allocateOutput(n, op, this.shape());
    native().axpy(this.buf, this.off, B.buf, B.off, out.buffer, out.byteOffset >>> 3, alpha, n);
    // aᵢⱼ ± bᵢⱼ is one rounding of the same operands as aⱼᵢ ± bⱼᵢ, and aᵢⱼ + aⱼᵢ of the same as aⱼᵢ + aᵢⱼ.
    const symmetric = Math.abs(alpha) === 1 && ((this._symmetric && B._symmetric) || (alpha === 1 && (isTransposeOf(B, this) || isTransposeOf(this, B))));
    return new Matrix(INTERNAL, this.rows, this.cols, out, symmetric);
  }
}

Object.defineProperty(Matrix.prototype, BRAND, { value: true });

function strided(data: Float64Array, op: string, len: number, offset: number, stride: number): Vector {
  const out = allocate(len, op, `length ${len}`);
  native().copyStrided(data, out, len, offset, stride);
  return wrapVector(out);
}

/** @internal wraps engine-owned row-major storage without copying; `symmetric` when it is exactly symmetric by construction. */
export function wrapMatrix(rows: number, cols: number, data: Float64Array, symmetric = false): Matrix {
  return new Matrix(INTERNAL, rows, cols, data, symmetric);
}
