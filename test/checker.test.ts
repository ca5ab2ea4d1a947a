import assert from 'node:assert/strict';
import { ellipsisMatch, OutputChecker, stripAnsi } from '../src/check/checker.js';
import type { Directives } from '../src/model.js';

const plain: Directives = { needs: [], errors: [] };
const tol = (kind: 'tol' | 'rel' | 'abs', epsilon: number): Directives => ({ ...plain, tolerance: { kind, epsilon } });
const checker = new OutputChecker();

describe('OutputChecker', () => {
  it('matches exact output and rejects different output', () => {
    assert.equal(checker.check('30\n', '30\n', plain).ok, true);
    assert.equal(checker.check('30\n', '31\n', plain).ok, false);
  });

  it('ignores trailing whitespace and treats runs of whitespace as equal', () => {
    assert.equal(checker.check('[ 1.0  2.0]\n', '[ 1.0 2.0]   \n\n', plain).ok, true);
    assert.equal(checker.check('a b\n', 'ab\n', plain).ok, false);
  });

  it('treats <BLANKLINE> as an empty line', () => {
    assert.equal(checker.check('a\n<BLANKLINE>\nb\n', 'a\n\nb\n', plain).ok, true);
  });

  it('lets ... match any text, also across lines', () => {
    assert.equal(checker.check('[ 2, 4, ... ]\n', '[ 2, 4, 6, 8 ]\n', plain).ok, true);
    assert.equal(checker.check('start...end\n', 'start\nmiddle\nend\n', plain).ok, true);
    assert.equal(checker.check('start...end\n', 'start\nmiddle\n', plain).ok, false);
    assert.equal(ellipsisMatch('a...a', 'a'), false, 'pieces may not overlap');
  });

  it('removes ANSI escapes from got', () => {
    assert.equal(stripAnsi('\x1b[32m42\x1b[39m'), '42');
    assert.equal(checker.check('42\n', '\x1b[33m42\x1b[39m\n', plain).ok, true);
  });

  it('tol: relative error against want, absolute when want is 0', () => {
    assert.equal(checker.check('-2.0\n', '-2.0000000000000004\n', tol('tol', 1e-12)).ok, true);
    assert.equal(checker.check('-2.0\n', '-2.0000000000000004\n', plain).ok, false);
    assert.equal(checker.check('0.0\n', '1e-13\n', tol('tol', 1e-12)).ok, true);
    assert.equal(checker.check('0.0\n', '1e-11\n', tol('tol', 1e-12)).ok, false);
  });

  it('rel tol with want 0 needs exactly 0; abs tol is absolute', () => {
    assert.equal(checker.check('0.0\n', '1e-300\n', tol('rel', 1e-3)).ok, false);
    assert.equal(checker.check('1000.0\n', '1000.5\n', tol('abs', 1)).ok, true);
    assert.equal(checker.check('1000.0\n', '1002\n', tol('abs', 1)).ok, false);
  });

  it('reports every offending pair under Tolerance exceeded:', () => {
    const r = checker.check('10.0\n', '9.5\n', tol('abs', 0.1));
    assert.equal(r.ok, false);
    assert.equal(r.note, 'Tolerance exceeded:\n    10.0 vs 9.5, tolerance 5e-1 > 1e-1');
  });

  it('requires the same count of numbers and compares the text around them', () => {
    assert.equal(checker.check('(1.0, 2.0)\n', '(1.0, 2.0, 3.0)\n', tol('tol', 1e-9)).ok, false);
    assert.equal(checker.check('x = 1.0\n', 'y = 1.0\n', tol('tol', 1e-9)).ok, false);
    assert.equal(checker.check('[ 1.0 2.0]\n[ 3.0 4.0]\n', '[ 1.0000000001 2.0]\n[ 3.0 4.0]\n', tol('tol', 1e-9)).ok, true);
  });

  it('random accepts any output but not an unexpected exception', () => {
    const random: Directives = { ...plain, random: true };
    assert.equal(checker.check('0.123\n', '0.987\n', random).ok, true);
    assert.equal(checker.check('0.123\n', 'Uncaught Error: x\n', random, true).ok, false);
    assert.equal(checker.check('Uncaught Error: x\n', 'Uncaught Error: y\n', random, true).ok, true);
  });
});
