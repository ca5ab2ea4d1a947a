// Notebooks run as their kernel ran them: one notebook per kernel (tslab, jslab, IJavascript, Deno) built
// from what that kernel stores, and each cell must pass against its stored output; the kernel is read from
// the notebook's metadata; reports name the cell where a notebook times out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { denoInspect, denoTable, kernelProfile } from '../src/execute/kernels.js';
import { compileExample } from '../src/execute/transform.js';
import { loadSource } from '../src/sources/index.js';
import { extractNotebookBlocks } from '../src/sources/notebook.js';
import type { SourceFile } from '../src/model.js';
import { ex, fileOf, run } from './helpers.js';
import { mtestIn, runMtest, scratch } from './process-helpers.js';

const KERNELS = fileURLToPath(new URL('../../test/fixtures/notebooks/kernels/', import.meta.url));

function load(name: string): SourceFile {
  const file = loadSource(path.join(KERNELS, name), { cwd: KERNELS });
  assert.ok(file);
  assert.deepEqual(file.errors, []);
  return file;
}

/** Every example's status, with what it got when it failed (for a readable assertion). */
async function outcomes(name: string, deno?: string): Promise<string[]> {
  const file = load(name);
  if (deno) file.deno = deno;
  const examples = file.blocks.flatMap((b) => b.examples);
  const results = await run(file);
  return results.map((r) => (r.status === 'passed' ? 'passed' : `${r.status} cell ${examples[r.index].cell}: ${JSON.stringify(r.got ?? r.note)}`));
}

function allPassed(statuses: string[]): void {
  assert.deepEqual(statuses.filter((s) => s !== 'passed'), []);
}

describe('kernels: which kernel ran a notebook', () => {
  it('reads tslab, jslab, IJavascript and Deno from the metadata, and other kernels by language', () => {
    assert.equal(load('tslab.ipynb').kernel, 'tslab');
    assert.equal(load('jslab.ipynb').kernel, 'jslab');
    assert.equal(load('ijavascript.ipynb').kernel, 'ijavascript');
    assert.equal(load('deno.ipynb').kernel, 'deno');
    const other = (kernelspec: object, language_info: object = {}) =>
      extractNotebookBlocks(JSON.stringify({ cells: [{ cell_type: 'code', metadata: {}, outputs: [], source: ['1'] }], metadata: { kernelspec, language_info }, nbformat: 4, nbformat_minor: 5 }), 'x.ipynb').kernel;
    assert.equal(other({ name: 'ts', language: 'typescript', display_name: 'TypeScript' }), 'typescript');
    assert.equal(other({ name: 'node', language: 'javascript', display_name: 'Other JS' }), 'javascript');
    // Deno's kernel.json has no name of its own in some notebooks: its display name and mimetype say it
    assert.equal(other({ language: 'typescript', display_name: 'Deno' }), 'deno');
    assert.equal(other({ language: 'typescript' }, { name: 'typescript', mimetype: 'text/x.typescript' }), 'deno');
  });

  it('leaves the stack lines of a tslab error out of the want, and keeps its first line', () => {
    const examples = load('tslab.ipynb').blocks[0].examples;
    const thrown = examples.find((e) => e.source.startsWith('throw'));
    assert.equal(thrown?.want, 'Error: boom\n');
  });
});

describe('kernels: each notebook passes as its kernel stored it', () => {
  it('tslab: console.log display, null shows nothing, depth 2, promises not awaited, errors on stderr, type errors stop the cell, hoisting, require, relative reads, no prelude, its tslab module', async () => {
    allPassed(await outcomes('tslab.ipynb'));
  });

  it('jslab: the same rules in JavaScript, type-checked as JavaScript (checkJs)', async () => {
    allPassed(await outcomes('jslab.ipynb'));
  });

  it('IJavascript: util.inspect of the completion value, of blocks, ifs and loops too; errors as Uncaught; $$.async() and its results', async () => {
    allPassed(await outcomes('ijavascript.ipynb'));
  });

  it("Deno (run in Node): double-quoted strings, Jupyter.display, Deno.jupyter, JSX, Deno's console.log, no require", async () => {
    allPassed(await outcomes('deno.ipynb'));
  });

  it('fails a cell that a kernel would have shown differently', async () => {
    const tslab = load('tslab.ipynb');
    const example = tslab.blocks[0].examples[0];
    // mtest's own rules would show the string quoted: the notebook's kernel decides
    const plain: SourceFile = { ...tslab, kernel: 'typescript', blocks: [{ ...tslab.blocks[0], examples: [example] }] };
    const [result] = await run(plain);
    assert.equal(result.status, 'failed');
    assert.equal(result.got, "'abc'\n");
  });
});

const DENO = fileURLToPath(new URL('../../node_modules/.bin/deno', import.meta.url));

/** A Deno notebook of these cells (source, stored text/plain or nothing). */
function denoNotebook(cells: [string, string?][]): string {
  const code = cells.map(([source, shown]) => ({
    cell_type: 'code', execution_count: 1, metadata: {}, source: [source],
    outputs: shown === undefined ? [] : [{ data: { 'text/plain': [shown] }, execution_count: 1, metadata: {}, output_type: 'execute_result' }],
  }));
  return JSON.stringify({ cells: code, metadata: { kernelspec: { name: 'deno', language: 'typescript', display_name: 'Deno' } }, nbformat: 4, nbformat_minor: 5 }, null, 1);
}

describe('kernels: Deno notebooks run in Deno when there is a deno', () => {
  it('the Deno notebook passes in Deno too (the deno npm package, as a project has it)', async () => {
    allPassed(await outcomes('deno.ipynb', DENO));
  });

  it('runs the cells in Deno itself: its globals, its inspect, its errors', async () => {
    const dir = scratch({ 'd.ipynb': denoNotebook([['typeof Deno.version.deno', '"string"'], ['new Map([["k", [1n]]])', 'Map(1) { "k" => [ 1n ] }'], ['null.x', "Uncaught TypeError: Cannot read properties of null (reading 'x')"]]) });
    const r = await mtestIn(dir, ['--random-seed', '1', 'd.ipynb'], { MTEST_DENO: DENO });
    assert.equal(r.code, 0, r.out + r.err);
    assert.doesNotMatch(r.err, /run in Node/);
    // without deno: one line says so, and Deno's own globals are missing
    const node = await mtestIn(dir, ['--random-seed', '1', 'd.ipynb'], { MTEST_DENO: 'none' });
    assert.match(node.err, /^mtest: d\.ipynb: a Deno notebook, run in Node with Deno's display rules: no deno executable/m);
    assert.match(node.out, /Cannot read properties of undefined \(reading 'deno'\)/);
  });

  for (const mode of [[], ['--serial']]) {
    it(`a cell that never ends is timed out by cell, and its Deno process is killed${mode.length ? ' (--serial)' : ' (workers)'}`, async () => {
      const dir = scratch({ 'spin.ipynb': denoNotebook([['const a = 1'], ['while (true) {}'], ['a', '1']]) });
      const r = await mtestIn(dir, [...mode, '--timeout', '1', '--no-gdb', '--random-seed', '1', 'spin.ipynb'], { MTEST_DENO: DENO });
      assert.match(r.out, /Timed out after 1\.0 s while running cell 2, line 1/);
      const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(dir));
      assert.deepEqual(left, []);
    });
  }

  it('bisect replays a Deno notebook in Deno, as the run ran it', async () => {
    const dir = scratch({ 'b.ipynb': denoNotebook([['const set = (globalThis.flag = 1)'], ['Deno.version.deno.length > 0 && globalThis.flag', '2']]) });
    const env = { ...process.env, MTEST_DENO: DENO };
    const r = await runMtest(dir, ['-p', '1', '--random-seed', '1', '--json', 'r.json', 'b.ipynb'], env);
    assert.equal(r.code, 1, r.out + r.err);
    const failed = (JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8')) as { files: { examples: { cell: number; fileLine: number; status: string }[] }[] }).files[0].examples.find((e) => e.status === 'failed')!;
    assert.equal(failed.cell, 2);
    const b = await runMtest(dir, ['bisect', `b.ipynb:${failed.fileLine}`], env);
    assert.equal(b.code, 0, b.out + b.err);
    assert.match(b.err, /step 1: the recorded sequence \(0 files, then b\.ipynb\): fails \(wrong output\)/);
  });

  it("without deno, timers return numbers as in Deno's web API", async () => {
    const dir = scratch({ 't.ipynb': denoNotebook([['typeof setTimeout(() => {}, 0)', '"number"']]) });
    const r = await mtestIn(dir, ['--random-seed', '1', 't.ipynb'], { MTEST_DENO: 'none' });
    assert.equal(r.code, 0, r.out + r.err);
  });
});

describe('kernels: displays', () => {
  it("quotes strings Deno's way, inside values too", () => {
    assert.equal(denoInspect('abc'), '"abc"');
    assert.equal(denoInspect('say "hi"'), `'say "hi"'`);
    assert.equal(denoInspect(['x', "it's"]), '[ "x", "it\'s" ]');
    assert.equal(denoInspect({ 'a-b': 'c\nd' }), '{ "a-b": "c\\nd" }');
    assert.equal(denoInspect(new Map([['k', 1]])), 'Map(1) { "k" => 1 }');
  });

  it("draws console.table, URL and Request as Deno does (checked against Deno 2.9's output)", () => {
    assert.equal(denoTable([1, 2, 3]), ['┌───────┬────────┐', '│ (idx) │ Values │', '├───────┼────────┤', '│     0 │      1 │', '│     1 │      2 │', '│     2 │      3 │', '└───────┴────────┘', ''].join('\n'));
    assert.equal(denoTable({ x: { a: 1 }, y: { a: 22, b: 's' } }), ['┌───────┬────┬─────┐', '│ (idx) │ a  │ b   │', '├───────┼────┼─────┤', '│ x     │  1 │     │', '│ y     │ 22 │ "s" │', '└───────┴────┴─────┘', ''].join('\n'));
    assert.equal(denoInspect(new URL('https://deno.land/a?b#c')), 'URL {\n  href: "https://deno.land/a?b#c",\n  origin: "https://deno.land",\n  protocol: "https:",\n  username: "",\n  password: "",\n  host: "deno.land",\n  hostname: "deno.land",\n  port: "",\n  pathname: "/a",\n  hash: "#c",\n  search: "?b"\n}');
    assert.equal(denoInspect(new Request('https://example.com', { method: 'DELETE' })), 'Request {\n  bodyUsed: false,\n  headers: Headers {},\n  method: "DELETE",\n  redirect: "follow",\n  url: "https://example.com/"\n}');
  });

  it('tslab shows a thrown non-error as console.error would', () => {
    assert.equal(kernelProfile('tslab').thrown('plain'), 'plain');
    assert.equal(kernelProfile('tslab').thrown(new RangeError('r')), 'RangeError: r');
    assert.equal(kernelProfile(undefined).thrown(new RangeError('r')), 'Uncaught RangeError: r');
  });
});

describe('kernels: function declarations are hoisted within an example', () => {
  it('calls a function declared further down the same example, in Markdown too', async () => {
    const results = await run(fileOf('h.md', [[ex('const v = f()\nfunction f() { return 41 + 1 }'), ex('[v, f()]', '[ 42, 42 ]\n', 3)]]));
    assert.deepEqual(results.map((r) => [r.status, r.got]), [['passed', undefined], ['passed', undefined]]);
  });

  it('a declaration or an import after a line without a semicolon is not a call of that line', async () => {
    const results = await run(fileOf('asi.md', [[ex("console.log('a')\nconst b = 2\nconsole.log('c')\nimport * as p from 'node:path'\nb + p.sep", 'a\nc\n"2/"\n'.replace('"2/"', "'2/'"))]]));
    assert.deepEqual(results.map((r) => [r.status, r.got]), [['passed', undefined]]);
  });

  it('compiles a declaration as a declaration, given to the namespace first', () => {
    const compiled = compileExample('f()\nfunction f() {}');
    assert.equal(compiled.body.split('\n').length, 2, 'same line count');
    assert.match(compiled.body, /^__mtest\$ns\.f = f;/);
    assert.deepEqual(compiled.declared, ['f']);
  });
});

describe('kernels: what a notebook starts with', () => {
  const text = JSON.stringify({
    cells: [{ cell_type: 'code', execution_count: 1, metadata: {}, outputs: [{ name: 'stdout', output_type: 'stream', text: ['[1.0 0.0]\n', '[0.0 1.0]\n'] }], source: ['identity(2)'] }],
    metadata: { kernelspec: { name: 'tslab', language: 'typescript', display_name: 'TypeScript' } }, nbformat: 4, nbformat_minor: 5,
  });

  it('no prelude unless --prelude (or the configuration) names one', async () => {
    const dir = scratch({ 'nb/e.ipynb': text });
    const without = await mtestIn(dir, ['--serial', '--random-seed', '1', 'nb/e.ipynb']);
    assert.equal(without.code, 1, without.out);
    // tslab's check says so where the project has typescript; else the cell runs and throws
    assert.match(without.out, /Cannot find name 'identity'|identity is not defined/);
    const withPrelude = await mtestIn(dir, ['--serial', '--random-seed', '1', '--prelude', 'builtin', 'nb/e.ipynb']);
    assert.equal(withPrelude.code, 0, withPrelude.out + withPrelude.err);
  });

  it('runs in its folder, yet --json and --junit land where mtest was started, even when --serial must end inside it', async () => {
    const hang = JSON.stringify({
      cells: [{ cell_type: 'code', execution_count: 1, metadata: {}, outputs: [], source: ["require('child_process').execSync('sleep 4')"] }],
      metadata: { kernelspec: { name: 'jslab', language: 'javascript', display_name: 'JavaScript' } }, nbformat: 4, nbformat_minor: 5,
    });
    const dir = scratch({ 'nb/hang.ipynb': hang });
    // a process of its own: the watchdog ends the process that runs a native hang under --serial
    const r = await runMtest(dir, ['--serial', '--timeout', '1', '--no-gdb', '--random-seed', '1', '--json', 'r.json', '--junit', 'r.xml', 'nb/hang.ipynb']);
    assert.match(r.out, /while running cell 1, line 1/);
    assert.match(readFileSync(path.join(dir, 'r.json'), 'utf8'), /"cell": 1/);
    assert.match(readFileSync(path.join(dir, 'r.xml'), 'utf8'), /cell 1, line 1/);
  });
});

describe('kernels: a timeout inside a notebook names the cell in every report', () => {
  const cells = [
    { cell_type: 'code', execution_count: 1, metadata: {}, outputs: [], source: ['const a = 1'] },
    { cell_type: 'markdown', metadata: {}, source: ['Then a loop that never ends:'] },
    { cell_type: 'code', execution_count: 2, metadata: {}, outputs: [], source: ['let n = 0\n', 'while (true) n++'] },
  ];
  const text = JSON.stringify({ cells, metadata: { kernelspec: { name: 'tslab', language: 'typescript', display_name: 'TypeScript' } }, nbformat: 4, nbformat_minor: 5 }, null, 1);

  for (const mode of [[], ['--serial']]) {
    it(`console, JSON, JUnit and GitHub annotations${mode.length ? ' (--serial)' : ' (workers)'}`, async () => {
      const dir = scratch({ 'loop.ipynb': text });
      const r = await mtestIn(dir, [...mode, '--timeout', '1', '--no-gdb', '--random-seed', '1', '--format', 'github', '--json', 'r.json', '--junit', 'r.xml', 'loop.ipynb']);
      assert.match(r.out, /Timed out after 1\.0 s while running cell 3, line 1/);
      assert.doesNotMatch(r.out, /while running line \d/);
      // stack frames in the notebook are named by cell too (with workers: the inspector's stack)
      if (mode.length === 0) assert.match(r.out, /loop\.ipynb:\d+:\d+\)? \[cell 3, line 2\]/);
      assert.match(r.out, /::error file=loop\.ipynb,line=\d+[^\n]*cell 3, line 1/);
      const json = JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8')) as { files: { incidents: { message: string }[]; examples: { cell?: number; line: number; outcome: string }[] }[] };
      assert.match(json.files[0].incidents[0].message, /while running cell 3, line 1/);
      assert.deepEqual(json.files[0].examples.map((e) => [e.cell, e.line, e.outcome]), [[1, 1, 'ok'], [3, 1, 'timeout']]);
      const junit = readFileSync(path.join(dir, 'r.xml'), 'utf8');
      assert.match(junit, /cell 3, line 1/);
      assert.match(junit, /while running cell 3, line 1/);
    });
  }
});
