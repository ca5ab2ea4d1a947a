// Complex numbers as returned by eigenvalues() of a general matrix: plain immutable values with Sage's
// CDF display.
import { inspect } from 'node:util';

import { formatComplex } from './display.js';

/** Registry-wide brand so `instanceof Complex` holds across copies of the engine (see vector.ts). */
const BRAND = Symbol.for('mtest.engine.Complex');

/**
 * A complex number `re + im*I`.
 *
 *     sage: matrix([[0, -1], [1, 0]]).eigenvalues()
 *     [ -1.0*I, 1.0*I ]
 *     sage: new Complex(1, -2)
 *     1.0 - 2.0*I
 */
export class Complex {
  /** Real part. */
  readonly re: number;
  /** Imaginary part. */
  readonly im: number;

  // Plain fields rather than parameter properties: the source must survive type-stripping alone.
  constructor(re: number, im: number) {
    if (typeof re !== 'number' || typeof im !== 'number') throw new TypeError('Complex: re and im must be numbers');
    this.re = re;
    this.im = im;
  }

  static [Symbol.hasInstance](value: unknown): value is Complex {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /**
   * Sage's CDF notation.
   *
   *     sage: new Complex(0, 2).toString()
   *     '2.0*I'
   */
  toString(): string {
    return formatComplex(this.re, this.im);
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

Object.defineProperty(Complex.prototype, BRAND, { value: true });
