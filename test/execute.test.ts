import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ex, fileOf, run } from './helpers.js';
import { examplesUseExports } from '../src/execute/modules.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/execute');

function statuses(results: { status: string }[]): string[] {
  return results.map((r) => r.status);
}

describe('executeFile (evaluation semantics)', () => {
  it('shares names between the examples of a block and allows re-declaration', async () => {
    const r = await run(fileOf('a.md', [[ex('const A = 2'), ex('A * 21', '42\n'), ex('const A = "x"'), ex('A', "'x'\n")]]));
    assert.deepEqual(statuses(r), ['passed', 'passed', 'passed', 'passed']);
  });

  it('gives every block a fresh namespace and leaks nothing to globalThis', async () => {
    const r = await run(fileOf('a.md', [[ex('const leak = 1'), ex('w = 5', '5\n')], [ex('typeof leak', "'undefined'\n"), ex('typeof w', "'undefined'\n")]]));
    assert.deepEqual(statuses(r), ['passed', 'passed', 'passed', 'passed']);
    assert.equal((globalThis as Record<string, unknown>).leak, undefined);
    assert.equal((globalThis as Record<string, unknown>).w, undefined);
  });

  it('runs in the same realm: instanceof Array, Float64Array and Error behave normally', async () => {
    const r = await run(fileOf('a.md', [[ex('[[] instanceof Array, new Float64Array(2) instanceof Float64Array, new RangeError("x") instanceof Error]', '[ true, true, true ]\n')]]));
    assert.deepEqual(statuses(r), ['passed']);
    // and a value made in an example is an instance of this realm's classes
  });

  it('writes output in order, then the value; awaits top-level await and returned promises', async () => {
    const r = await run(
      fileOf('a.md', [
        [
          ex('console.log("a"); process.stdout.write("b\\n"); console.error("c"); 7', 'a\nb\nc\n7\n'),
          ex('await new Promise((r) => setTimeout(r, 5)); "later"', "'later'\n"),
          ex('Promise.resolve(9)', '9\n'),
          ex('undefined', ''),
        ],
      ]),
    );
    assert.deepEqual(statuses(r), ['passed', 'passed', 'passed', 'passed']);
  });

  it('displays exceptions Node-REPL style and fails unexpected ones', async () => {
    const r = await run(
      fileOf('a.md', [
        [
          ex('null.x', "Uncaught TypeError: Cannot read properties of null (reading 'x')\n"),
          ex('throw 5', 'Uncaught 5\n'),
          ex('throw new RangeError("bad")', '1\n'),
        ],
      ]),
    );
    assert.deepEqual(statuses(r), ['passed', 'passed', 'failed']);
    assert.equal(r[2].outcome, 'exception');
    assert.equal(r[2].got, 'Uncaught RangeError: bad\n');
  });

  it('reports a syntax error as a failed example, with its file line, and goes on', async () => {
    const r = await run(fileOf('a.md', [[ex('1 +\n(', '', 10), ex('2', '2\n', 13)]]));
    assert.equal(r[0].status, 'failed');
    assert.equal(r[0].outcome, 'error');
    assert.match(r[0].note ?? '', /line 11/);
    assert.equal(r[1].status, 'passed');
  });

  it('compiles a block at once yet keeps document lines in stack traces', async () => {
    const file = fileOf(path.join(fixtures, 'lines.md'), [
      [ex('const where = () => new Error("here").stack.split("\\n")[1]', '', 4), ex('1 + 1', '2\n', 7), ex('where()', '', 12), ex('(() => new Error("x").stack.split("\\n")[1])()', '', 30)],
    ]);
    const r = await run(file);
    assert.match(r[2].got ?? '', /lines\.md:4:/, 'the arrow defined at line 4');
    assert.match(r[3].got ?? '', /lines\.md:30:/, 'the example at line 30');
    const first = await run(fileOf(path.join(fixtures, 'top.md'), [[ex('new Error("x").stack.split("\\n")[1]', '', 1)]]));
    assert.match(first[0].got ?? '', /top\.md:1:/, 'an example on the first line of the file');
  });

  it('isolates a syntax error inside a block compiled at once', async () => {
    const r = await run(fileOf('a.md', [[ex('const a = 1', '', 1), ex('a +* 2', '', 2), ex('a + 1', '2\n', 3), ex('a) + (a', '', 4), ex('a', '1\n', 5)]]));
    assert.deepEqual(statuses(r), ['passed', 'failed', 'passed', 'failed', 'passed']);
    assert.equal(r[3].outcome, 'error', 'a wrong quick guess is not accepted as an expression');
  });

  it('imports TypeScript modules relative to the tested file, without a build step', async () => {
    const file = fileOf(path.join(fixtures, 'notebook.md'), [[ex("import { addPair, label } from './helper.js'"), ex('addPair({ a: 1, b: 2 })', '3\n'), ex('label', "'helper'\n")]]);
    const r = await run(file);
    assert.deepEqual(statuses(r), ['passed', 'passed', 'passed'], JSON.stringify(r));
  });

  it('dynamic import() resolves relative to the tested file too, TypeScript included', async () => {
    const file = fileOf(path.join(fixtures, 'notebook.md'), [
      [
        ex("const m = await import('./helper.js')"),
        ex('m.addPair({ a: 2, b: 3 })', '5\n'),
        ex("(await import('node:path')).posix.join('a', 'b')", "'a/b'\n"),
        ex("const later = () => import('./helper.js')"),
        ex('(await later()).label', "'helper'\n"),
      ],
    ]);
    const r = await run(file);
    assert.deepEqual(statuses(r), ['passed', 'passed', 'passed', 'passed', 'passed'], JSON.stringify(r));
  });

  it("puts a source file's own exports in every block", async () => {
    const file = fileOf(path.join(fixtures, 'own.ts'), [[ex('triple(4)', '12\n')], [ex('new Box(1) instanceof Box', 'true\n')]], 'script');
    const r = await run(file);
    assert.deepEqual(statuses(r), ['passed', 'passed'], JSON.stringify(r));
  });

  it('interrupts a synchronous infinite loop at the time limit: the rest of its block is not run, the next block runs', async () => {
    const r = await run(fileOf('a.md', [[ex('while (true) {}', '', 3, { timeout: 0.3 }), ex('1', '1\n', 4)], [ex('2', '2\n', 6)]]));
    assert.equal(r[0].outcome, 'timeout');
    assert.deepEqual([r[1].status, r[1].note], ['notrun', 'Not run: its block ended at the incident at line 3']);
    assert.equal(r[2].status, 'passed');
  });

  it('times out a never-settling promise', async () => {
    const r = await run(fileOf('a.md', [[ex('await new Promise(() => {})', '', 1, { timeout: 0.2 })]]));
    assert.equal(r[0].outcome, 'timeout');
  });

  it('reseeds Math.random at every block start', async () => {
    const file = fileOf('a.md', [[ex('Math.random()', 'x\n')], [ex('Math.random()', 'x\n')]]);
    const draws = async (seed: number) => (await run(file, { randomSeed: seed })).map((r) => r.got);
    const seven = await draws(7);
    assert.equal(seven[0], seven[1], 'same seed, same first draw in every block');
    assert.deepEqual(await draws(7), seven, 'reproducible across runs');
    assert.notEqual((await draws(8))[0], seven[0]);
  });

  it('skips by directive: not tested, long time, optional tags, known bug, file tags', async () => {
    const file = fileOf('a.md', [[ex('1', '1\n', 1, { notTested: 'not tested' }), ex('1', '1\n', 2, { longTime: true }), ex('1', '1\n', 3, { needs: ['gpu'] }), ex('1', '1\n', 4, { knownBug: true }), ex('1', '1\n', 5)]]);
    assert.deepEqual(statuses(await run(file)), ['skipped', 'skipped', 'skipped', 'skipped', 'passed']);
    assert.deepEqual(statuses(await run(file, { long: true, optional: ['gpu', 'bug'] })), ['skipped', 'passed', 'passed', 'passed', 'passed']);
    const tagged = fileOf('b.md', [[ex('1', '1\n')]], 'markdown', ['cuda']);
    assert.deepEqual(statuses(await run(tagged)), ['skipped']);
  });

  it('fails an example with a bad directive at its line, and runs the rest', async () => {
    const r = await run(fileOf('a.md', [[ex('1', '1\n', 1, { errors: ["unknown directive 'tol abc'"] }), ex('2', '2\n')]]));
    assert.equal(r[0].outcome, 'error');
    assert.match(r[0].note ?? '', /tol abc/);
    assert.equal(r[1].status, 'passed');
  });

  it('--initial stops a block at its first failure; only= runs a subset', async () => {
    const file = fileOf('a.md', [[ex('1', '2\n'), ex('2', '2\n')], [ex('3', '3\n')]]);
    assert.deepEqual(statuses(await run(file, { initial: true })), ['failed', 'notrun', 'passed']);
    assert.deepEqual(statuses(await run(file, { only: [1] })), ['notrun', 'passed', 'notrun']);
  });

  it('fails every example with a clear note when the prelude cannot load', async () => {
    const r = await run(fileOf('a.md', [[ex('1', '1\n')]]), { prelude: ['./no-such-prelude.js'] });
    assert.equal(r[0].status, 'failed');
    assert.match(r[0].note ?? '', /cannot load the prelude/);
  });
});

describe('examplesUseExports (whether a file is imported for its examples)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mtest-exports-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const module = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('finds an exported name used as a whole identifier, and not inside a longer one', () => {
    const file = module('a.ts', 'export function det(m: number[][]) { return 0 }\nexport const $scale = 2\nexport { det as determinant, type Shape }\n');
    assert.equal(examplesUseExports(file, ['det([[1]])']), true);
    assert.equal(examplesUseExports(file, ['x.determinant + 1']), true);
    assert.equal(examplesUseExports(file, ['2 * $scale']), true);
    assert.equal(examplesUseExports(file, ['detail(1)', 'undet', 'det2', '_det', 'a$scale', '$scale_']), false);
    assert.equal(examplesUseExports(file, []), false);
  });

  it('always imports a module whose exports it cannot list, or cannot read', () => {
    assert.equal(examplesUseExports(module('b.ts', "export * from './a.js'\n"), ['1 + 1']), true);
    assert.equal(examplesUseExports(module('c.js', 'module.exports = { f }\n'), ['1 + 1']), true);
    assert.equal(examplesUseExports(path.join(dir, 'missing.ts'), ['1 + 1']), true);
    assert.equal(examplesUseExports(module('d.ts', 'const hidden = 1\n'), ['hidden']), false);
  });
});
