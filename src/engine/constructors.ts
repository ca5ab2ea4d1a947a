// The ways to make a matrix from data: validation and copying only (no arithmetic).
import { checkDim, checkEntry, describe, shape } from './errors.js';
import { Matrix, wrapMatrix } from './matrix.js';
import { allocate, allocateOutput } from './storage.js';
import { Vector } from './vector.js';

/** Zero-filled storage, or with `overwritten` (the caller writes every entry) uninitialised. */
function storage(op: string, m: number, n: number, overwritten = false): Float64Array {
  if (m * n > 2 ** 32) throw new RangeError(`${op}: cannot allocate a ${shape(m, n)} matrix`);
  return (overwritten ? allocateOutput : allocate)(m * n, op, shape(m, n));
}

/**
 * A matrix from a list of rows. Entries must be numbers (NaN is refused); all rows the same length.
 *
 *     sage: matrix([[1, -2.5], [3, 4]])
 *     [ 1.0 -2.5]
 *     [ 3.0  4.0]
 *     sage: matrix([])
 *     []
 *     sage: matrix([[1, 2], [3]])
 *     Uncaught RangeError: matrix: row 1 has 1 entries, expected 2 (ragged rows)
 *     sage: matrix([[1, NaN]])
 *     Uncaught RangeError: matrix: entry (0, 1) is NaN
 *     sage: matrix([[1, '2']])
 *     Uncaught TypeError: matrix: entry (0, 1) must be a number, got string "2"
 *     sage: matrix(3)
 *     Uncaught TypeError: matrix: expected an array of rows, got number 3
 */
export function matrix(rows: ArrayLike<ArrayLike<number>>): Matrix {
  if (!Array.isArray(rows)) throw new TypeError(`matrix: expected an array of rows, got ${describe(rows)}`);
  const m = rows.length;
  const first: unknown = rows[0];
  const n = m === 0 ? 0 : rowLength(first, 0);
  const data = storage('matrix', m, n, true); // every entry is written below, or the matrix is not made
  for (let i = 0; i < m; i++) {
    const row = rows[i] as ArrayLike<unknown>;
    const len = rowLength(row, i);
    if (len !== n) throw new RangeError(`matrix: row ${i} has ${len} entries, expected ${n} (ragged rows)`);
    for (let j = 0, at = i * n; j < n; j++) data[at + j] = checkEntry('matrix', row[j], i, j);
  }
  return wrapMatrix(m, n, data);
}

function rowLength(row: unknown, i: number): number {
  if (!Array.isArray(row) && !(ArrayBuffer.isView(row) && !(row instanceof DataView))) {
    throw new TypeError(`matrix: row ${i} must be an array, got ${describe(row)}`);
  }
  return (row as ArrayLike<unknown>).length;
}

/**
 * The n×n identity matrix.
 *
 *     sage: identity(2)
 *     [1.0 0.0]
 *     [0.0 1.0]
 */
export function identity(n: number): Matrix {
  checkDim('identity', 'size', n);
  const data = storage('identity', n, n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return wrapMatrix(n, n, data, true);
}

/**
 * The m×n zero matrix.
 *
 *     sage: zeros(2, 3)
 *     [0.0 0.0 0.0]
 *     [0.0 0.0 0.0]
 *     sage: zeros(-1, 2)
 *     Uncaught RangeError: zeros: rows must be a non-negative integer, got -1
 *     sage: zeros(1e6, 1e6)
 *     Uncaught RangeError: zeros: cannot allocate a 1000000x1000000 matrix
 */
export function zeros(m: number, n: number): Matrix {
  checkDim('zeros', 'rows', m);
  checkDim('zeros', 'columns', n);
  return wrapMatrix(m, n, storage('zeros', m, n), m === n);
}

/**
 * The m×n matrix of ones.
 *
 *     sage: ones(2, 2)
 *     [1.0 1.0]
 *     [1.0 1.0]
 */
export function ones(m: number, n: number): Matrix {
  checkDim('ones', 'rows', m);
  checkDim('ones', 'columns', n);
  return wrapMatrix(m, n, storage('ones', m, n).fill(1), m === n);
}

/**
 * The square matrix with `values` (an array or a Vector) on the diagonal.
 *
 *     sage: diagonal([1, 2])
 *     [1.0 0.0]
 *     [0.0 2.0]
 *     sage: diagonal(vector([3, 4])).trace()
 *     7
 */
export function diagonal(values: ArrayLike<number> | Vector): Matrix {
  const src: ArrayLike<unknown> | null =
    values instanceof Vector ? values.data : Array.isArray(values) || ArrayBuffer.isView(values) ? (values as ArrayLike<unknown>) : null;
  if (src === null) throw new TypeError(`diagonal: expected an array of numbers or a Vector, got ${describe(values)}`);
  const n = src.length;
  const data = storage('diagonal', n, n);
  for (let i = 0; i < n; i++) data[i * n + i] = checkEntry('diagonal', src[i], i);
  return wrapMatrix(n, n, data, true);
}
