// Dense Float64 vectors. Arithmetic goes to BLAS level-1 routines (daxpy, dscal, ddot, dnrm2); storage
// comes from the engine's pool (see storage.ts) so that small results are cheap.
import { inspect } from 'node:util';

import { formatVector } from './display.js';
import { checkIndex, checkEntry, checkValue, describe } from './errors.js';
import { native } from './native.js';
import { allocate } from './storage.js';

const INTERNAL = Symbol('Vector.internal');
/**
 * Registry-wide brand: the engine can be loaded twice in one process (compiled as the prelude and from
 * source as a file's own exports), and `instanceof` must accept vectors made by either copy.
 */
const BRAND = Symbol.for('mtest.engine.Vector');

/**
 * A dense vector of doubles, displayed as a parenthesised list. Make one with `vector([...])`.
 *
 *     sage: const v = vector([1, 2, 3])
 *     sage: v
 *     (1.0, 2.0, 3.0)
 *     sage: v.length
 *     3
 */
export class Vector {
  /** @internal storage (a view into a pooled buffer), with its buffer and element offset for BLAS calls. */
  readonly data: Float64Array;
  /** @internal */
  readonly buf: ArrayBufferLike;
  /** @internal */
  readonly off: number;

  /** @internal use `vector()` */
  constructor(token: symbol, data: Float64Array) {
    if (token !== INTERNAL) throw new TypeError('Vector: use vector([...]) to make a vector');
    this.data = data;
    this.buf = data.buffer;
    this.off = data.byteOffset >>> 3;
  }

  static [Symbol.hasInstance](value: unknown): value is Vector {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** Number of entries. */
  get length(): number {
    return this.data.length;
  }

  /**
   * Entry `i` (0-based).
   *
   *     sage: vector([1, 2, 3]).get(2)
   *     3
   *     sage: vector([1, 2, 3]).get(3)
   *     Uncaught RangeError: get: index 3 is out of range [0, 3)
   */
  get(i: number): number {
    return this.data[checkIndex('get', 'index', i, this.data.length)]!;
  }

  /**
   * The entries as a plain array.
   *
   *     sage: vector([1, 2]).toArray()
   *     [ 1, 2 ]
   */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /**
   * Sum `this + w` (daxpy).
   *
   *     sage: vector([1, 2]).add(vector([10, 20]))
   *     (11.0, 22.0)
   *     sage: vector([1, 2]).add(vector([1, 2, 3]))
   *     Uncaught RangeError: add: lengths 2 and 3 do not match
   */
  add(w: Vector): Vector {
    return this.combine('add', w, 1);
  }

  /**
   * Difference `this - w` (daxpy).
   *
   *     sage: vector([1, 2]).sub(vector([10, 20]))
   *     (-9.0, -18.0)
   */
  sub(w: Vector): Vector {
    return this.combine('sub', w, -1);
  }

  /**
   * Scalar multiple `s·this` (dscal).
   *
   *     sage: vector([1, -2]).scale(0.5)
   *     (0.5, -1.0)
   */
  scale(s: number): Vector {
    checkValue('scale', s, 'scalar');
    const n = this.data.length;
    const out = allocate(n, 'scale', `length ${n}`);
    native().scal(this.buf, this.off, out.buffer, out.byteOffset >>> 3, s, n);
    return new Vector(INTERNAL, out);
  }

  /**
   * Dot product (ddot).
   *
   *     sage: vector([1, 2, 3]).dot(vector([4, 5, 6]))
   *     32
   */
  dot(w: Vector): number {
    checkSameLength('dot', this, w);
    return native().dot(this.buf, this.off, w.buf, w.off, this.data.length);
  }

  /**
   * Euclidean norm (dnrm2).
   *
   *     sage: vector([3, 4]).norm()
   *     5
   */
  norm(): number {
    return native().nrm2(this.buf, this.off, this.data.length);
  }

  toString(): string {
    return formatVector(this.data);
  }

  [inspect.custom](): string {
    return formatVector(this.data);
  }

  private combine(op: string, w: Vector, alpha: number): Vector {
    checkSameLength(op, this, w);
    const n = this.data.length;
    const out = allocate(n, op, `length ${n}`);
    native().axpy(this.buf, this.off, w.buf, w.off, out.buffer, out.byteOffset >>> 3, alpha, n);
    return new Vector(INTERNAL, out);
  }
}

Object.defineProperty(Vector.prototype, BRAND, { value: true });

function checkSameLength(op: string, v: Vector, w: unknown): void {
  if (!(w instanceof Vector)) throw new TypeError(`${op}: expected a Vector, got ${describe(w)}`);
  if (w.length !== v.length) throw new RangeError(`${op}: lengths ${v.length} and ${w.length} do not match`);
}

/** @internal wraps engine-owned storage without copying. */
export function wrapVector(data: Float64Array): Vector {
  return new Vector(INTERNAL, data);
}

/**
 * A vector from an array of numbers (anything iterable or array-like of numbers; NaN is refused).
 *
 *     sage: vector([1, 2, 3])
 *     (1.0, 2.0, 3.0)
 *     sage: vector([])
 *     ()
 *     sage: vector([1, NaN])
 *     Uncaught RangeError: vector: entry 1 is NaN
 *     sage: vector('12')
 *     Uncaught TypeError: vector: expected an array of numbers, got string "12"
 */
export function vector(values: ArrayLike<number> | Iterable<number>): Vector {
  if (values === null || typeof values !== 'object') {
    throw new TypeError(`vector: expected an array of numbers, got ${describe(values)}`);
  }
  const arr = Array.isArray(values) || ArrayBuffer.isView(values) ? (values as ArrayLike<number>) : Array.from(values as Iterable<number>);
  const n = arr.length;
  const data = allocate(n, 'vector', `length ${n}`);
  for (let i = 0; i < n; i++) data[i] = checkEntry('vector', arr[i], i);
  return new Vector(INTERNAL, data);
}
