// LAPACK-backed operations behind the Matrix methods: shape checks in TypeScript, then one native call
// that writes into storage allocated here. Documentation and examples live on the Matrix methods.
import { Complex } from './complex.js';
import { checkValue, describe, shape } from './errors.js';
import type { Eigh, LU, NormKind, QR, SVD } from './matrix.js';
import { Matrix, wrapMatrix } from './matrix.js';
import { native } from './native.js';
import { allocate, allocateOutput } from './storage.js';
import { Vector, wrapVector } from './vector.js';

function requireSquareNonEmpty(op: string, A: Matrix): number {
  A.requireSquare(op);
  requireNonEmpty(op, A);
  return A.rows;
}

function requireNonEmpty(op: string, A: Matrix): void {
  if (A.rows === 0 || A.cols === 0) throw new RangeError(`${op}: empty matrix (${A.shape()})`);
}

/** Storage for a matrix result: every routine below writes all of its entries. */
function alloc(op: string, rows: number, cols: number): Float64Array {
  return allocateOutput(rows * cols, op, shape(rows, cols));
}

export function det(A: Matrix): number {
  const n = requireSquareNonEmpty('det', A);
  return native().det(A.data, n);
}

export function inverse(A: Matrix): Matrix {
  const n = requireSquareNonEmpty('inverse', A);
  const out = alloc('inverse', n, n);
  native().inverse(A.data, out, n);
  return wrapMatrix(n, n, out);
}

export function solve(A: Matrix, b: Vector | Matrix): Vector | Matrix {
  const n = requireSquareNonEmpty('solve', A);
  if (b instanceof Vector) {
    if (b.length !== n) throw new RangeError(`solve: shapes ${A.shape()} and vector of length ${b.length} do not match`);
    const out = allocate(n, 'solve', `length ${n}`);
    native().solve(A.data, b.data, out, n, 1);
    return wrapVector(out);
  }
  if (b instanceof Matrix) {
    if (b.rows !== n) throw new RangeError(`solve: shapes ${A.shape()} and ${b.shape()} do not match`);
    const out = alloc('solve', n, b.cols);
    native().solve(A.data, b.data, out, n, b.cols);
    return wrapMatrix(n, b.cols, out);
  }
  throw new TypeError(`solve: expected a Vector or Matrix, got ${describe(b)}`);
}

export function rank(A: Matrix, tol?: number): number {
  if (tol !== undefined) {
    checkValue('rank', tol, 'tolerance');
    if (tol < 0) throw new RangeError(`rank: tolerance must not be negative, got ${tol}`);
  }
  // -1 asks the native side for numpy's default, which needs σ₁.
  return native().rank(A.data, A.rows, A.cols, tol ?? -1);
}

const NORM_KINDS = new Map<unknown, number>([
  ['fro', 0],
  [1, 1],
  [Infinity, 2],
  [2, 3],
]);

export function norm(A: Matrix, kind: NormKind): number {
  const code = NORM_KINDS.get(kind);
  if (code === undefined) {
    throw new RangeError(`norm: unknown norm ${typeof kind === 'string' ? `'${kind}'` : String(kind)} (use 'fro', 1, 2 or Infinity)`);
  }
  if (code === 0) return native().frobenius(A.buf, A.off, A.rows * A.cols);
  return native().norm(A.data, A.rows, A.cols, code);
}

export function isSymmetric(A: Matrix, tol: number): boolean {
  checkValue('isSymmetric', tol, 'tolerance');
  if (A.rows !== A.cols) return false;
  if (tol === 0) return native().isSymmetricExact(A.data, A.rows);
  return native().maxAbsDiff(A.data, A.data, A.data.length, A.rows) <= tol;
}

/** Symmetric up to rounding: |aᵢⱼ − aⱼᵢ| ≤ 64·ε·‖A‖∞, so that products like B·Bᵀ count as symmetric. */
function isSymmetricLoose(A: Matrix): boolean {
  if (A.rows !== A.cols) return false;
  if (native().isSymmetricExact(A.data, A.rows)) return true;
  const scale = native().norm(A.data, A.rows, A.cols, 2);
  return native().maxAbsDiff(A.data, A.data, A.data.length, A.rows) <= 64 * Number.EPSILON * scale;
}

export function equals(A: Matrix, B: Matrix, tol: number): boolean {
  if (!(B instanceof Matrix)) throw new TypeError(`equals: expected a Matrix, got ${describe(B)}`);
  checkValue('equals', tol, 'tolerance');
  if (A.rows !== B.rows || A.cols !== B.cols) return false;
  if (tol === 0) return native().sameValues(A.data, B.data, A.data.length);
  return native().maxAbsDiff(A.data, B.data, A.data.length) <= tol;
}

export function lu(A: Matrix): LU {
  requireNonEmpty('lu', A);
  const m = A.rows;
  const n = A.cols;
  const k = Math.min(m, n);
  const P = alloc('lu', m, m);
  const L = alloc('lu', m, k);
  const U = alloc('lu', k, n);
  native().lu(A.data, m, n, P, L, U);
  return { P: wrapMatrix(m, m, P), L: wrapMatrix(m, k, L), U: wrapMatrix(k, n, U) };
}

export function qr(A: Matrix): QR {
  requireNonEmpty('qr', A);
  const m = A.rows;
  const n = A.cols;
  const Q = alloc('qr', m, m);
  const R = alloc('qr', m, n);
  native().qr(A.data, m, n, Q, R);
  return { Q: wrapMatrix(m, m, Q), R: wrapMatrix(m, n, R) };
}

export function cholesky(A: Matrix): Matrix {
  const n = requireSquareNonEmpty('cholesky', A);
  const u = alloc('cholesky', n, n);
  if (!native().cholesky(A.data, u, n, A.knownSymmetric ? 'known' : 'exact')) {
    if (!isSymmetricLoose(A)) throw new RangeError(`cholesky: matrix is not symmetric (${A.shape()})`);
    native().cholesky(A.data, u, n, 'loose');
  }
  // L is the transpose of the factor LAPACK leaves in place: a view, copied only if it is needed row-major.
  return wrapMatrix(n, n, u).transpose();
}

export function svd(A: Matrix): SVD {
  requireNonEmpty('svd', A);
  const m = A.rows;
  const n = A.cols;
  const k = Math.min(m, n);
  const U = alloc('svd', m, k);
  const S = allocate(k, 'svd', `length ${k}`);
  const Vt = alloc('svd', k, n);
  native().svd(A.data, m, n, U, S, Vt);
  // LAPACK leaves Vᵀ: V is its transpose view, copied only if it is needed row-major.
  return { U: wrapMatrix(m, k, U), S: wrapVector(S), V: wrapMatrix(k, n, Vt).transpose() };
}

export function eigenvalues(A: Matrix): Vector | Complex[] {
  const n = requireSquareNonEmpty('eigenvalues', A);
  if (A.knownSymmetric || isSymmetricLoose(A)) {
    const values = allocate(n, 'eigenvalues', `length ${n}`);
    native().eigSym(A.data, n, values, null, A.knownSymmetric);
    return wrapVector(values);
  }
  const re = allocate(n, 'eigenvalues', `length ${n}`);
  const im = allocate(n, 'eigenvalues', `length ${n}`);
  native().eigGeneral(A.data, n, re, im);
  const out: Complex[] = [];
  for (let i = 0; i < n; i++) out.push(new Complex(re[i]!, im[i]!));
  return out;
}

export function eigh(A: Matrix): Eigh {
  const n = requireSquareNonEmpty('eigh', A);
  if (!A.knownSymmetric && !isSymmetricLoose(A)) throw new RangeError(`eigh: matrix is not symmetric (${A.shape()})`);
  const values = allocate(n, 'eigh', `length ${n}`);
  const vectors = alloc('eigh', n, n);
  native().eigSym(A.data, n, values, vectors, A.knownSymmetric);
  // The eigenvectors are the rows of what LAPACK leaves: a transpose view, copied only if it is needed row-major.
  return { values: wrapVector(values), vectors: wrapMatrix(n, n, vectors).transpose() };
}
