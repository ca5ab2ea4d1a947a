// Display of engine values through util.inspect (what mtest compares) and String().
import assert from 'node:assert/strict';
import { inspect } from 'node:util';

import { Complex, identity, matrix, vector, zeros } from '../src/engine/index.js';
import { formatComplex, formatFloat } from '../src/engine/display.js';

const show = (v: unknown): string => inspect(v, { colors: false, depth: 4, breakLength: 80 });

describe('engine: display (Sage RDF style)', () => {
  it('matrices: one bracketed row per line, right-aligned to the widest entry', () => {
    assert.equal(show(matrix([[1, -2.5], [3, 4]])), '[ 1.0 -2.5]\n[ 3.0  4.0]');
    assert.equal(show(identity(2)), '[1.0 0.0]\n[0.0 1.0]');
    assert.equal(show(matrix([[100, 2], [3, 0.25]])), '[100.0   2.0]\n[  3.0  0.25]');
    assert.equal(show(matrix([[1, 2, 3]])), '[1.0 2.0 3.0]');
    assert.equal(String(matrix([[1], [2]])), '[1.0]\n[2.0]');
  });

  it('empty matrices print as []', () => {
    assert.equal(show(matrix([])), '[]');
    assert.equal(show(zeros(2, 0)), '[]');
    assert.equal(show(zeros(0, 3)), '[]');
  });

  it('vectors: parenthesised list', () => {
    assert.equal(show(vector([1, 2, 3])), '(1.0, 2.0, 3.0)');
    assert.equal(show(vector([])), '()');
    assert.equal(show(vector([0.1, -7])), '(0.1, -7.0)');
  });

  it('floats: .0 when integral, shortest round-trip otherwise, JS spelling of specials', () => {
    assert.equal(formatFloat(1), '1.0');
    assert.equal(formatFloat(-0), '-0.0');
    assert.equal(formatFloat(0), '0.0');
    assert.equal(formatFloat(0.1 + 0.2), '0.30000000000000004');
    assert.equal(formatFloat(1e-20), '1e-20');
    assert.equal(formatFloat(1e21), '1e+21');
    assert.equal(formatFloat(123456789012), '123456789012.0');
    assert.equal(formatFloat(NaN), 'NaN');
    assert.equal(formatFloat(Infinity), 'Infinity');
    assert.equal(formatFloat(-Infinity), '-Infinity');
    assert.equal(show(matrix([[Infinity, -0], [1e-20, 2]])), '[Infinity     -0.0]\n[   1e-20      2.0]');
  });

  it('complex numbers in Sage CDF style', () => {
    assert.equal(show(new Complex(1, 2)), '1.0 + 2.0*I');
    assert.equal(show(new Complex(1, -2)), '1.0 - 2.0*I');
    assert.equal(show(new Complex(0, -2)), '-2.0*I');
    assert.equal(show(new Complex(0, 2.5)), '2.5*I');
    assert.equal(show(new Complex(3, 0)), '3.0');
    assert.equal(formatComplex(-1.5, 0.25), '-1.5 + 0.25*I');
    assert.equal(show(matrix([[0, -1], [1, 0]]).eigenvalues()), '[ -1.0*I, 1.0*I ]');
  });

  it('values nested in arrays and objects use the same display', () => {
    assert.equal(show([vector([1]), vector([2])]), '[ (1.0), (2.0) ]');
    assert.equal(show({ v: vector([1, 2]) }), '{ v: (1.0, 2.0) }');
  });
});
