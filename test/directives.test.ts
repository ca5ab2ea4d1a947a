// Directives (SPEC §3): which trailing comments are directives, what they mean, and what is an error.
import assert from 'node:assert/strict';
import type { Directives } from '../src/model.js';
import { mergeDirectives, parseDirectives, parseDirectiveText, trailingComment } from '../src/parsing/directives.js';

/** Directives without the always-present empty lists, for compact expectations. */
function meaning(d: Directives): Record<string, unknown> {
  const out: Record<string, unknown> = { ...d };
  if (d.needs.length === 0) delete out.needs;
  if (d.errors.length === 0) delete out.errors;
  return out;
}

describe('directives: meaning', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['x  // not tested', { notTested: 'not tested' }],
    ['x  // Not Implemented', { notTested: 'not implemented' }],
    ['x  // long time', { longTime: true }],
    ['x  // long time (about 10 s, on CI)', { longTime: true }],
    ['x  // known bug (issue 12)', { knownBug: true }],
    ['x  // random', { random: true }],
    ['x  // tol', { tolerance: { kind: 'tol', epsilon: 1e-15 } }],
    ['x  // tol 1e-12', { tolerance: { kind: 'tol', epsilon: 1e-12 } }],
    ['x  // rel tol 0.5', { tolerance: { kind: 'rel', epsilon: 0.5 } }],
    ['x  // abs tol .25', { tolerance: { kind: 'abs', epsilon: 0.25 } }],
    ['x  // absolute tolerance 1E-3', { tolerance: { kind: 'abs', epsilon: 1e-3 } }],
    ['x  // tolerance 1e-3', { tolerance: { kind: 'tol', epsilon: 1e-3 } }],
    ['x  // timeout 5', { timeout: 5 }],
    ['x  // timeout 0.5s', { timeout: 0.5 }],
    ['x  // optional - A, B', { needs: ['a', 'b'] }],
    ['x  // optional: internet', { needs: ['internet'] }],
    ['x  // optional -- sage.rings.finite_rings', { needs: ['sage.rings.finite_rings'] }],
    ['x  // needs blas lapack', { needs: ['blas', 'lapack'] }],
    ['x  // long time, optional - foo', { longTime: true, needs: ['foo'] }],
    ['x  // needs foo, bar, long time', { needs: ['foo', 'bar'], longTime: true }],
    ['x  // needs foo long time', { needs: ['foo', 'long', 'time'] }],
    ['x  // random tol 1e-6', { random: true, tolerance: { kind: 'tol', epsilon: 1e-6 } }],
    ['x  // tol, timeout 3', { tolerance: { kind: 'tol', epsilon: 1e-15 }, timeout: 3 }],
    ['// needs blas', { needs: ['blas'] }],
  ];
  for (const [line, expected] of cases) {
    it(line, () => assert.deepEqual(meaning(parseDirectives(line)), expected));
  }
});

describe('directives: not directives', () => {
  const prose = [
    'x = 1  // the answer',
    'x = 1  // see the tolerance note below',
    "s = '// long time'",
    's = "a // not tested"',
    's = `${"x"} // random`',
    'r = /\\/\\/ random/.test(s)',
    'x  /* long time */',
    'x = 1',
    'x  //',
  ];
  for (const line of prose) {
    it(line, () => assert.deepEqual(parseDirectives(line), { needs: [], errors: [] }));
  }
});

describe('directives: errors (the example fails at its line)', () => {
  const bad: [string, RegExp][] = [
    ['tol abc', /tolerance must be a non-negative number, not 'abc'/],
    ['tol -1', /non-negative/],
    ['abs 1e-3', /expected 'abs tol'/],
    ['timeout -1', /timeout needs a non-negative number/],
    ['timeout', /timeout needs/],
    ['timeout soon', /timeout needs/],
    ['optional -', /'optional' needs at least one tag/],
    ['needs', /'needs' needs at least one tag/],
    ['needs a/b', /bad tag 'a\/b'/],
    ['not sure why this works', /expected 'not tested' or 'not implemented'/],
    ['long story', /expected 'long time'/],
    ['known issue', /expected 'known bug'/],
    ['random matrix', /unknown directive 'matrix'/],
    ['long time frobnicate', /unknown directive 'frobnicate'/],
  ];
  for (const [text, message] of bad) {
    it(text, () => {
      const directives = parseDirectiveText(text);
      assert.ok(directives, 'should be taken as a directive');
      assert.equal(directives.errors.length, 1);
      assert.match(directives.errors[0], message);
      assert.ok(directives.errors[0].includes(`'${text}'`), 'the message quotes the comment');
      assert.ok(!directives.errors[0].includes('\n'));
    });
  }
});

describe('directives: helpers', () => {
  it('finds the trailing comment text', () => {
    assert.equal(trailingComment("f('//')  //  long time  "), 'long time');
    assert.equal(trailingComment('f()'), null);
  });

  it('tells directives from prose', () => {
    assert.equal(parseDirectiveText('the answer'), null);
    assert.equal(parseDirectiveText('  Long Time')?.longTime, true);
  });

  it("merges block-scoped directives under an example's own", () => {
    const outer = parseDirectiveText('needs a, tol 1e-3, timeout 9, random')!;
    const own = parseDirectiveText('needs b, abs tol 1e-6, not tested')!;
    assert.deepEqual(mergeDirectives(outer, own), {
      needs: ['a', 'b'], errors: [], notTested: 'not tested', random: true,
      tolerance: { kind: 'abs', epsilon: 1e-6 }, timeout: 9,
    });
  });
});
