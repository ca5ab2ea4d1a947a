// Directives: which trailing comments are directives, what they mean, and what is an error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

// 955 distinct first-line comments of `sage:` examples in Sage's library (all those with a directive word,
// one per shape, and a sample of prose), with what Sage's parser reads in them: tags (`long time`,
// `not tested`, `bug` or `bug:linux`, feature names), `random`, and the tolerance.
describe('directives: the comments of Sage\'s own examples', () => {
  const corpus = readFileSync(new URL('../../test/fixtures/sage-directives.jsonl', import.meta.url), 'utf8')
    .trim().split('\n').map((line) => JSON.parse(line) as { comment: string; sage: { tags: string[]; random?: boolean; tol?: [string, number] } });

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

  it('reads every one as Sage does, and none as a bad directive', () => {
    const differ = corpus.filter(({ comment, sage }) => {
      const mine = asSage(parseDirectiveText(comment.replaceAll('#', '//')));
      try {
        assert.deepEqual(mine, { tags: [...sage.tags].sort(), ...(sage.random ? { random: true } : {}), ...(sage.tol ? { tol: sage.tol } : {}) });
        return false;
      } catch {
        return true;
      }
    });
    assert.equal(corpus.length, 955);
    assert.deepEqual(differ.map((d) => d.comment), []);
  });
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
