import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseKeyword, KeywordError } from '../src/schedule/keyword.js';
import { lastLine, mtestIn, scratch } from './process-helpers.js';

const OPTS = ['--prelude', 'node:util', '--random-seed', '1'];

// One block: a definition (line 3), two examples that pass (4, 6), and the last one (8) fails.
const DOC = ['# Doc', '', 'sage: const x = 1', 'sage: x + 1', '2', 'sage: x + 3', '4', 'sage: x + 2', '4', ''].join('\n');
const SCRIPT = [
  '/**',
  ' * sage: 1 + 1',
  ' * 2',
  ' */',
  'export function add(a: number, b: number) { return a + b; }',
  '',
  '/**',
  ' * sage: const m = 3',
  ' * sage: m',
  ' * 3',
  ' */',
  'export class Matrix { det() { return 0; } }',
  '',
].join('\n');

describe('-k patterns', () => {
  it('substrings, not, and, or, parentheses, case-insensitive; not > and > or', () => {
    const m = (p: string, names: string[]) => parseKeyword(p)(names);
    assert.equal(m('det', ['Matrix.det', 'a.ts']), true);
    assert.equal(m('DET', ['Matrix.det', 'a.ts']), true);
    assert.equal(m('not det', ['Matrix.det', 'a.ts']), false);
    assert.equal(m('a.ts and not inv', ['Matrix.det', 'src/a.ts']), true);
    assert.equal(m('inv or det', ['Matrix.det', 'a.ts']), true);
    assert.equal(m('not inv and det', ['Matrix.det', 'a.ts']), true);
    assert.equal(m('not (inv or det)', ['Matrix.det', 'a.ts']), false);
    assert.equal(m('inv or det and zz', ['Matrix.det', 'a.ts']), false);
    assert.equal(m('(inv or det) and a.ts', ['Matrix.det', 'a.ts']), true);
  });

  it('a bad pattern is a KeywordError naming the column', () => {
    assert.throws(() => parseKeyword('not (a'), (e: Error) => e instanceof KeywordError && /expected '\)' at column 7/.test(e.message));
    assert.throws(() => parseKeyword('a and'), (e: Error) => e instanceof KeywordError && /expected a word, got the end/.test(e.message));
    assert.throws(() => parseKeyword('a b'), (e: Error) => e instanceof KeywordError && /unexpected 'b'/.test(e.message));
    assert.throws(() => parseKeyword(''), KeywordError);
  });
});

for (const mode of [['--serial'], ['-p', '1']]) {
  describe(`FILE:LINE and -k (${mode.join(' ')})`, function () {
    this.timeout(60000);

    it('FILE:LINE runs that example with its block\'s earlier ones as setup, counting it alone', async () => {
      const dir = scratch({ 'a.md': DOC, 'other.md': 'sage: 1\n2\n' });
      const r = await mtestIn(dir, [...mode, ...OPTS, 'a.md:6', '--json', 'r.json']);
      assert.equal(lastLine(r.out), '1 passed, 0 failed, 0 skipped', r.out + r.err);
      assert.equal(r.code, 0);
      assert.match(r.out, /\[1 test, /);
      assert.ok(!r.out.includes('other.md'), 'only the named file runs');
      const report = JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8'));
      assert.deepEqual(report.files[0].examples.map((e: { line: number }) => e.line), [6]);
      assert.ok(!existsSync(path.join(dir, '.mtest', 'stats.json')), 'a partial run stores no timings');
    });

    it('a line inside the example (its want) names it; a failing setup example is reported at its own line and counted', async () => {
      const dir = scratch({ 'a.md': DOC.replace('sage: x + 1\n2', 'sage: x + 1\n5') });
      const r = await mtestIn(dir, [...mode, ...OPTS, 'a.md:7']);
      assert.match(r.out, /File "a\.md", line 4, in a\.md\nFailed example:\n {4}x \+ 1\nExpected:\n {4}5\nGot:\n {4}2\n/);
      assert.equal(lastLine(r.out), '1 passed, 1 failed, 0 skipped');
      assert.equal(r.code, 1);
    });

    it('several FILE:LINE; a line with no example is one line naming file and line, exit bit 2, the rest runs', async () => {
      const dir = scratch({ 'a.md': DOC, 'b.md': 'sage: 1\n1\nsage: 2\n2\n' });
      const r = await mtestIn(dir, [...mode, ...OPTS, 'a.md:4', 'a.md:8', 'b.md:3', 'a.md:1']);
      assert.match(r.err, /^mtest: a\.md:1: no example at line 1 \(examples start at line 3\)$/m);
      assert.match(r.out, /File "a\.md", line 8/);
      assert.equal(lastLine(r.out), '2 passed, 1 failed, 0 skipped');
      assert.equal(r.code, 1 | 2);
    });

    it('-k keeps the blocks whose name or file matches', async () => {
      const dir = scratch({ 'm.ts': SCRIPT, 'a.md': DOC });
      const det = await mtestIn(dir, [...mode, ...OPTS, '-k', 'Matrix', 'm.ts', 'a.md']);
      assert.equal(lastLine(det.out), '2 passed, 0 failed, 0 skipped', det.out + det.err);
      const notMatrix = await mtestIn(dir, [...mode, ...OPTS, '-k', 'not matrix and not a.md', '.']);
      assert.equal(lastLine(notMatrix.out), '1 passed, 0 failed, 0 skipped');
      assert.ok(!notMatrix.out.includes('a.md'));
      const byFile = await mtestIn(dir, [...mode, ...OPTS, '-k', 'a.md or add', '.']);
      assert.equal(lastLine(byFile.out), '4 passed, 1 failed, 0 skipped');
      const none = await mtestIn(dir, [...mode, ...OPTS, '-k', 'nothing', '.']);
      assert.equal(none.code, 2);
      assert.match(none.err, /^mtest: no examples match -k in \.$/m);
      const combined = await mtestIn(dir, [...mode, ...OPTS, '-k', 'Matrix', 'm.ts:9']);
      assert.equal(lastLine(combined.out), '1 passed, 0 failed, 0 skipped');
      // --randorder shuffles the blocks of a file: the same examples are selected.
      for (const seed of ['1', '2', '3']) {
        const shuffled = await mtestIn(dir, [...mode, ...OPTS, '--randorder', seed, '--json', 'r.json', 'm.ts:9']);
        assert.equal(lastLine(shuffled.out), '1 passed, 0 failed, 0 skipped', shuffled.out);
        assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8')).files[0].examples.map((e: { line: number }) => e.line), [9]);
      }
    });
  });
}

describe('selection through run() (the API)', () => {
  it('keyword: the -k pattern', async () => {
    const { run } = await import('../src/index.js');
    const dir = scratch({ 'a.md': DOC, 'b.md': 'sage: 1\n1\n' });
    const r = await run(['.'], { cwd: dir, jobs: 1, prelude: ['node:util'], keyword: 'not a.md' });
    assert.deepEqual([r.passed, r.failed, r.exitCode], [1, 0, 0], r.output + r.errors);
  });
});

describe('selection with mtest list', () => {
  it('FILE:LINE lists that example; -k the matching blocks; a bad pattern is a usage error', async () => {
    const dir = scratch({ 'm.ts': SCRIPT, 'a.md': DOC });
    const one = await mtestIn(dir, ['list', 'a.md:8']);
    assert.equal(one.out, 'a.md:8  [a.md]  x + 2\n1 example in 1 file\n');
    const k = await mtestIn(dir, ['list', '-k', 'matrix', '.']);
    assert.equal(k.out, 'm.ts:8  [Matrix]  const m = 3\nm.ts:9  [Matrix]  m\n2 examples in 1 file\n');
    const bad = await mtestIn(dir, ['list', '-k', 'a and (b', '.']);
    assert.equal(bad.code, 2);
    assert.equal(bad.err, "mtest: -k 'a and (b': expected ')' at column 9\n");
  });
});
