// Directives: which trailing comments are directives, what they mean, and what is an error.
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
    ['x  // known bug (ticket 12)', { knownBug: true }],
    ['x  // known bug linux', { knownBug: true, knownBugOn: 'linux' }],
    ['x  // known bug: macos (dyld)', { knownBug: true, knownBugOn: 'macos' }],
    ['x  // random', { random: true }],
    ['x  // tol', { tolerance: { kind: 'tol', epsilon: 1e-15 } }],
    ['x  // tol 1e-12', { tolerance: { kind: 'tol', epsilon: 1e-12 } }],
    ['x  // rel tol 0.5', { tolerance: { kind: 'rel', epsilon: 0.5 } }],
    ['x  // abs tol .25', { tolerance: { kind: 'abs', epsilon: 0.25 } }],
    ['x  // absolute tolerance 1E-3', { tolerance: { kind: 'abs', epsilon: 1e-3 } }],
    ['x  // tolerance 1e-3', { tolerance: { kind: 'tol', epsilon: 1e-3 } }],
    ['x  // tol 1e-9.', { tolerance: { kind: 'tol', epsilon: 1e-9 } }],
    ['x  // timeout 5', { timeout: 5 }],
    ['x  // timeout 0.5s', { timeout: 0.5 }],
    ['x  // optional - A B', { needs: ['a', 'b'] }],
    ['x  // optional: internet', { needs: ['internet'] }],
    ['x  // optional -- sage.rings.finite_rings', { needs: ['sage.rings.finite_rings'] }],
    ['x  // needs blas lapack', { needs: ['blas', 'lapack'] }],
    ['x  // needs !engine', { needs: ['!engine'] }],
    ['x  // py2', { needs: ['py2'] }],
    ['x  // long time, optional - foo', { longTime: true, needs: ['foo'] }],
    ['x  // needs foo, long time', { needs: ['foo'], longTime: true }],
    ['x  // needs foo long time', { needs: ['foo', 'long', 'time'] }],
    ['x  // tol, timeout 3', { tolerance: { kind: 'tol', epsilon: 1e-15 }, timeout: 3 }],
    ['// needs blas', { needs: ['blas'] }],
  ];
  for (const [line, expected] of cases) {
    it(line, () => assert.deepEqual(meaning(parseDirectives(line)), expected));
  }
});

// What Sage's parse_optional_tags / parse_tolerance return for these comments (its own documented
// examples and comments from its sources, `#` written `//`), in mtest's terms.
describe('directives: read as Sage reads them', () => {
  const cases: [string, Record<string, unknown>][] = [
    ["magma('2 + 2')// optional: magma", { needs: ['magma'] }],
    ['//optional -- mypkg', { needs: ['mypkg'] }],
    ['print(1)  // parentheses are optional here', {}],
    ['print(1)  // optional', {}],
    ['//optional -- foo bar, baz', { needs: ['foo', 'bar'] }],
    ['//needs foo.bar, baz', { needs: ['foo.bar'] }],
    ['factor(10^(10^10) + 1) // LoNg TiME, NoT TeSTED; OptioNAL -- P4cka9e', { longTime: true, notTested: 'not tested', needs: ['p4cka9e'] }],
    ['raise_it() // known bug', { knownBug: true }],
    ['determine_meaning_of_life() // long time, not implemented', { longTime: true, notTested: 'not implemented' }],
    ["print('  // long time')", {}],
    ["print('  // long time')  // not tested", { notTested: 'not tested' }],
    ['1 + 1  // long time (1 year, 2 months??), optional - bliss (because)', { longTime: true, needs: ['bliss'] }],
    ['print(1)  // very important 1  // optional - foo', { needs: ['foo'] }],
    ['x  // Not a modular form', {}],
    ['x  // Absolute', {}],
    ['x  // Not enough positional args', {}],
    ['I.ideals(65)  // 4 ideals of norm 65.     // needs sage.symbolic', { needs: ['sage.symbolic'] }],
    ['x  // not tested - takes ~ 1min', { notTested: 'not tested' }],
    ['x  // random time information', { random: true }],
    ['x  // a random matrix', { random: true }],
    ['x  // random tol 1e-6', { random: true }],
    ['gamma(1.6) // tol 2.0e-11', { tolerance: { kind: 'tol', epsilon: 2e-11 } }],
    ['s.rel_tol // abs tol     0.01 ', { tolerance: { kind: 'abs', epsilon: 0.01 } }],
    ['x  // rel tol 1e10', { tolerance: { kind: 'rel', epsilon: 1e10 } }],
    ['x  // the tolerance of the fit', { tolerance: { kind: 'tol', epsilon: 1e-15 } }],
    ['x  // Tolerance is case-sensitive in Sage', {}],
    ['x  // needs a/b', { needs: ['a'] }],
    ['x  // not sure why this works', {}],
    ['x  // long story', {}],
    ['x  // known issue', {}],
    ['x  // long time frobnicate', { longTime: true }],
    ['x  // optionally slow', { needs: ['ly', 'slow'] }],
  ];
  for (const [line, expected] of cases) {
    it(line, () => assert.deepEqual(meaning(parseDirectives(line)), expected));
  }
});

// Comments written the way Sage's own examples comment their first lines, one for each rule of Sage's
// parse_optional_tags / parse_tolerance, with what that grammar reads in them: tags (`long time`,
// `not tested`, `bug` or `bug:linux`, feature names), `random`, and the tolerance. (Against a
// transcription of Sage's two functions, mtest read all 5,388 distinct first-line comments of the
// `sage:` examples in Sage's library alike; those comments are Sage's, and are not kept here.)
describe('directives: comments as Sage reads them', () => {
  const cases: [string, { tags: string[]; random?: boolean; tol?: [string, number] }][] = [
    [" long time", {'tags': ['long time']}],
    [" long time (about 3 s)", {'tags': ['long time']}],
    [" needs pkg.linalg", {'tags': ['pkg.linalg']}],
    [" needs pkg.linalg pkg.plot", {'tags': ['pkg.linalg', 'pkg.plot']}],
    [" optional - pkg.graphs", {'tags': ['pkg.graphs']}],
    [" optional - pkg.graphs, and more words after the comma", {'tags': ['pkg.graphs']}],
    [" known bug", {'tags': ['bug']}],
    [" known bug linux", {'tags': ['bug:linux']}],
    [" random", {'tags': [], 'random': true}],
    [" random output, order differs between runs", {'tags': [], 'random': true}],
    [" the order is arbitrary    // needs pkg.sets", {'tags': ['pkg.sets']}],
    [" slower than the other one      // long time", {'tags': ['long time']}],
    [" not tested - needs a network", {'tags': ['not tested']}],
    [" not tested (~2 min)", {'tags': ['not tested']}],
    [" not implemented", {'tags': ['not implemented']}],
    [" this is just an explanation of the result", {'tags': []}],
    [" Not a directive at all", {'tags': []}],
    [" abs tol 1e-10", {'tags': [], 'tol': ['abs', 1e-10]}],
    [" rel tol 0.01", {'tags': [], 'tol': ['rel', 0.01]}],
    [" tol 1e-12", {'tags': [], 'tol': ['tol', 1e-12]}],
    [" tol", {'tags': [], 'tol': ['tol', 1e-15]}],
    [" needs !pkg.gpu", {'tags': ['!pkg.gpu']}],
    [" optional - pkg.a pkg.b (for the plot)", {'tags': ['pkg.a', 'pkg.b']}],
    [" a sum of four ideals.     // needs pkg.rings", {'tags': ['pkg.rings']}],
  ];

  function asSage(d: Directives | null): Record<string, unknown> {
    const out: Record<string, unknown> = { tags: [] };
    if (!d) return out;
    const tags = [...d.needs];
    if (d.longTime) tags.push('long time');
    if (d.notTested) tags.push(d.notTested);
    if (d.knownBug) tags.push(d.knownBugOn ? `bug:${d.knownBugOn}` : 'bug');
    out.tags = tags.sort();
    if (d.random) out.random = true;
    else if (d.tolerance) out.tol = [d.tolerance.kind, d.tolerance.epsilon];
    if (d.errors.length > 0) out.errors = d.errors;
    return out;
  }

  for (const [comment, sage] of cases) {
    it(JSON.stringify(comment), () => assert.deepEqual(asSage(parseDirectiveText(comment)), sage));
  }
});

describe('directives: not directives', () => {
  const prose = [
    'x = 1  // the answer',
    'x = 1  // see the note below',
    "s = '// long time'",
    's = "a // not tested"',
    's = `${"x"} // random`',
    'r = /\\/\\/ random/.test(s)',
    'x  /* long time */',
    'x = 1',
    'x  //',
    'x  // the timeout is generous',
  ];
  for (const line of prose) {
    it(line, () => assert.deepEqual(parseDirectives(line), { needs: [], errors: [] }));
  }
});

describe('directives: errors only where clearly meant (the example fails at its line)', () => {
  const bad: [string, RegExp][] = [
    ['tol abc', /tolerance must be a non-negative number, not 'abc'/],
    ['rel tol x, long time', /not 'x'/],
    ['tol -1', /non-negative/],
    ['tol 1.2.3', /not '1\.2\.3'/],
    ['timeout -1', /timeout needs a non-negative number/],
    ['timeout', /timeout needs/],
    ['timeout soon', /timeout needs/],
    ['long time, timeout later', /timeout needs/],
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
    const outer = parseDirectiveText('needs a, tol 1e-3, timeout 9')!;
    const own = parseDirectiveText('needs b, abs tol 1e-6, not tested, known bug linux')!;
    assert.deepEqual(mergeDirectives(outer, own), {
      needs: ['a', 'b'], errors: [], notTested: 'not tested', knownBug: true, knownBugOn: 'linux',
      tolerance: { kind: 'abs', epsilon: 1e-6 }, timeout: 9,
    });
    assert.equal(mergeDirectives(parseDirectiveText('random')!, own).random, true);
  });
});
