// Jupyter notebooks: reading cells and stored outputs, markers and tags (mtest's and nbval's), other
// kernels, bad files, and reports that name the cell.
import assert from 'node:assert/strict';
import { mtestIn, scratch, type Captured } from './process-helpers.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listExamples } from '../src/cli/list.js';
import { loadSource } from '../src/sources/index.js';
import { parseLocatedJson } from '../src/sources/located-json.js';
import { extractNotebookBlocks } from '../src/sources/notebook.js';
import type { SourceFile } from '../src/model.js';
import { run } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/notebooks/', import.meta.url));
const TSLAB = readFileSync(path.join(FIXTURES, 'tslab.ipynb'), 'utf8');

function load(name: string, cwd = FIXTURES): SourceFile {
  const file = loadSource(name, { cwd });
  assert.ok(file);
  return file;
}

/** A notebook in Jupyter's layout (one-space indentation, sources as lists of lines). */
function notebook(cells: object[], language = 'typescript'): string {
  const metadata = { kernelspec: { display_name: 'TypeScript', language, name: 'typescript' } };
  return JSON.stringify({ cells, metadata, nbformat: 4, nbformat_minor: 5 }, null, 1) + '\n';
}

function lines(text: string): string[] {
  return text.split(/(?<=\n)/);
}

function code(source: string | string[], outputs: object[] = [], tags?: string[]): object {
  return { cell_type: 'code', execution_count: null, metadata: tags ? { tags } : {}, outputs, source: typeof source === 'string' ? lines(source) : source };
}

function result(text: string): object {
  return { data: { 'text/plain': lines(text) }, execution_count: 1, metadata: {}, output_type: 'execute_result' };
}

async function mtest(files: Record<string, string>, args: string[]): Promise<Captured & { dir: string }> {
  const dir = scratch(files);
  return { ...(await mtestIn(dir, ['--serial', '--random-seed', '1', ...args])), dir };
}

describe('notebooks: reading a tslab notebook', () => {
  it('makes one block of every code cell and the prompts of Markdown cells, in cell order', () => {
    const file = load('tslab.ipynb');
    assert.deepEqual(file.errors, []);
    assert.equal(file.language, 'typescript');
    assert.equal(file.blocks.length, 1);
    const examples = file.blocks[0].examples;
    assert.deepEqual(examples.map((e) => [e.cell, e.cellLine, e.source.split('\n')[0]]), [
      [1, 5, '2 ** 10'],
      [2, 1, 'const A = matrix([[1, 2], [3, 4]])'],
      [3, 1, 'A.det()  // tol 1e-12'],
      [4, 1, "console.log('\\u001b[32mdet\\u001b[0m', A.det())"],
      [5, 1, "const shown: string = 'solved'"],
      [6, 1, 'matrix([[1, 2], [2, 4]]).inverse()'],
      [7, 1, '// NBVAL_SKIP'],
      [8, 1, 'Date.now()'],
      [9, 1, '// mtest: raises'],
    ]);
    // `line` is the line of the .ipynb file where the source line is stored
    const fileLines = TSLAB.split('\n');
    for (const e of examples) {
      const stored = fileLines[e.line - 1];
      assert.ok(stored.includes(JSON.stringify(e.source.split('\n')[0]).slice(1, -1)), `${e.line}: ${stored}`);
    }
  });

  it('wants the stored outputs: text/plain results, streams without ANSI, no HTML, errors as Uncaught', () => {
    const examples = load('tslab.ipynb').blocks[0].examples;
    assert.equal(examples[0].want, '1024\n');
    assert.equal(examples[1].want, '[1.0 2.0]\n[3.0 4.0]\n');
    assert.equal(examples[3].want, 'det -2\n');
    assert.equal(examples[4].want, 'solved\n(-1.0, 1.0)\n');
    assert.equal(examples[5].want, 'Uncaught RangeError: matrix is singular\n');
    assert.equal(examples[2].directives.tolerance?.epsilon, 1e-12);
    assert.equal(examples[6].directives.notTested, 'NBVAL_SKIP');
    assert.equal(examples[7].directives.random, true);
    assert.equal(examples[8].directives.raises, true);
    assert.equal(examples[8].want, '');
  });

  it('runs in one namespace against the engine: every cell passes, the skipped one is skipped', async () => {
    const results = await run(load('tslab.ipynb'), { notebookPrelude: ['builtin'] });
    assert.deepEqual(results.map((r) => r.status), ['passed', 'passed', 'passed', 'passed', 'passed', 'passed', 'skipped', 'passed', 'passed']);
  });

  it('reads a source stored as one string, and markers as cell tags', () => {
    const text = notebook([
      { cell_type: 'code', execution_count: 3, metadata: {}, outputs: [result('3')], source: 'const x = 1\nx + 2' },
      code('slow()', [], ['mtest-skip']),
      code('Math.random()', [result('0.5')], ['mtest-ignore-output']),
      code('boom()', [], ['raises-exception']),
      code('other()', [], ['nbval-raises-exception']),
    ]);
    const nb = extractNotebookBlocks(text, 'x.ipynb');
    const [a, b, c, d, e] = nb.blocks[0].examples;
    assert.equal(a.source, 'const x = 1\nx + 2');
    assert.equal(a.want, '3\n');
    assert.equal(b.directives.notTested, 'mtest-skip');
    assert.equal(c.directives.random, true);
    assert.equal(d.directives.raises, true);
    assert.equal(e.directives.raises, true);
    const stored = text.split('\n');
    assert.match(stored[a.line - 1], /"source": "const x = 1\\nx \+ 2"/);
  });

  it('fails a cell marked raises that does not throw, and compares the output before the exception', async () => {
    const text = notebook([
      code('// mtest: raises\n1 + 1', [result('2')]),
      code('// NBVAL_RAISES_EXCEPTION\nconsole.log("before"); throw new Error("x")', [{ name: 'stdout', output_type: 'stream', text: ['before\n'] }]),
      code('// mtest: raises\nconsole.log("before"); throw new Error("x")', [{ name: 'stdout', output_type: 'stream', text: ['other\n'] }]),
    ]);
    const file: SourceFile = { path: 'r.ipynb', kind: 'notebook', tags: [], ...extractNotebookBlocks(text, 'r.ipynb') };
    const results = await run(file);
    assert.deepEqual(results.map((r) => r.status), ['failed', 'passed', 'failed']);
    assert.match(results[0].note ?? '', /Expected an exception/);
    assert.equal(results[2].outcome, 'mismatch', 'shown as Expected/Got: the exception was expected');
  });

  it('names the cell and its line in a syntax error', async () => {
    const text = notebook([code('1', [result('1')]), code('const a = 1\nconst = 2', [])]);
    const file: SourceFile = { path: 's.ipynb', kind: 'notebook', tags: [], ...extractNotebookBlocks(text, 's.ipynb') };
    const results = await run(file);
    assert.equal(results[1].outcome, 'error');
    assert.equal(results[1].note, 'Syntax error at cell 2, line 2');
  });

  it('reads Windows line ends stored inside the strings as line ends', () => {
    const nb = extractNotebookBlocks(notebook([code(['const a = 1\r\n', 'a + 1'], [result('2\r\n')])]), 'w.ipynb');
    const [e] = nb.blocks[0].examples;
    assert.deepEqual([e.source, e.want], ['const a = 1\na + 1', '2\n']);
  });

  it('skips empty cells and comment-only cells without outputs, and ignores raw cells', () => {
    const text = notebook([code(''), code('// a note\n'), { cell_type: 'raw', metadata: {}, source: ['sage: 1\n', '2'] }, code('1', [result('1')])]);
    const nb = extractNotebookBlocks(text, 'e.ipynb');
    assert.deepEqual(nb.blocks[0].examples.map((e) => e.cell), [4]);
  });
});

describe('notebooks: other kernels and bad files', () => {
  it('reports a Python-kernel notebook in one line naming its kernel, with no examples and no exit bit', async () => {
    const python = readFileSync(path.join(FIXTURES, 'python.ipynb'), 'utf8');
    const r = await mtest({ 'py.ipynb': python, 'a.md': 'sage: 1\n1\n' }, ['--prelude', 'node:util', '.']);
    assert.equal(r.code, 0, r.out + r.err);
    const notices = r.err.trim().split('\n');
    assert.deepEqual(notices, ['mtest: py.ipynb: a python notebook (kernel python3), not run: mtest runs TypeScript and JavaScript notebooks']);
    assert.ok(!r.out.includes('py.ipynb'));
    assert.deepEqual(load('python.ipynb').blocks, []);
  });

  it('takes the language from language_info when the kernelspec has none', () => {
    const text = JSON.stringify({ cells: [code('1', [result('1')])], metadata: { language_info: { name: 'javascript' } }, nbformat: 4, nbformat_minor: 2 });
    const nb = extractNotebookBlocks(text, 'j.ipynb');
    assert.equal(nb.language, 'javascript');
    assert.equal(nb.blocks[0].examples.length, 1);
  });

  it('reports nbformat 3 in one line with exit bit 2', async () => {
    const v3 = readFileSync(path.join(FIXTURES, 'v3.ipynb'), 'utf8');
    const r = await mtest({ 'old.ipynb': v3 }, ['old.ipynb']);
    assert.equal(r.code & 2, 2);
    const mine = r.err.split('\n').filter((l) => l.includes('old.ipynb'));
    assert.equal(mine.length, 1);
    assert.match(mine[0], /^mtest: old\.ipynb:\d+: nbformat 3 notebook: mtest reads nbformat 4/);
  });

  it('reports malformed JSON with its line and column, with exit bit 2, and goes on with the other files', async () => {
    const r = await mtest({ 'bad.ipynb': '{\n "cells": [\n  1,\n  2\n  3]\n}\n', 'a.md': 'sage: 1\n1\n' }, ['--prelude', 'node:util', '.']);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes("mtest: bad.ipynb:5: malformed notebook JSON at line 5, column 3: expected ',' or ']', found '3'"), r.err);
    assert.match(r.out, /^1 passed, 0 failed, 0 skipped$/m);
  });
});

describe('notebooks: reports name the cell', () => {
  const text = notebook([
    { cell_type: 'markdown', metadata: {}, source: ['# Title\n', '\n', 'sage: 1 + 1\n', '3\n'] },
    code('const a = 40\nconsole.log(a + 2)', [{ name: 'stdout', output_type: 'stream', text: ['41\n'] }]),
  ]);
  let r: Captured & { dir: string };
  before(async () => {
    r = await mtest({ 'nb.ipynb': text }, ['--prelude', 'node:util', '--json', 'r.json', '--junit', 'r.xml', '--format', 'github', 'nb.ipynb']);
  });
  after(() => rmSync(r.dir, { recursive: true, force: true }));

  it('console: File "nb.ipynb", cell N, line M', () => {
    assert.equal(r.code, 1, r.out + r.err);
    assert.ok(r.out.includes('File "nb.ipynb", cell 1, line 3, in nb.ipynb\nFailed example:\n    1 + 1\nExpected:\n    3\nGot:\n    2\n'), r.out);
    assert.ok(r.out.includes('File "nb.ipynb", cell 2, line 1, in nb.ipynb\nFailed example:\n    const a = 40\n    console.log(a + 2)\nExpected:\n    41\nGot:\n    42\n'), r.out);
  });

  it('mtest list --json gives cell, line and fileLine and keeps the directives', () => {
    const rows = JSON.parse(listExamples([{ path: 'nb.ipynb', kind: 'notebook', tags: [], ...extractNotebookBlocks(text, 'nb.ipynb') }], true));
    assert.deepEqual(rows.map((r: { cell: number; line: number; directives: object }) => [r.cell, r.line, r.directives]), [[1, 3, { needs: [], errors: [] }], [2, 1, { needs: [], errors: [] }]]);
    assert.equal(typeof rows[0].fileLine, 'number');
    assert.match(listExamples([{ path: 'nb.ipynb', kind: 'notebook', tags: [], ...extractNotebookBlocks(text, 'nb.ipynb') }], false), /^nb\.ipynb:\d+ \(cell 1, line 3\)  \[nb\.ipynb\]  1 \+ 1$/m);
  });

  it('JSON and JUnit carry the cell and the line in the cell; GitHub annotates the stored line', () => {
    const stored = text.split('\n');
    const json = JSON.parse(readFileSync(path.join(r.dir, 'r.json'), 'utf8'));
    const [md, cell] = json.files[0].examples;
    assert.deepEqual([md.cell, md.line, cell.cell, cell.line], [1, 3, 2, 1]);
    assert.match(stored[md.fileLine - 1], /"sage: 1 \+ 1\\n"/);
    assert.match(stored[cell.fileLine - 1], /"const a = 40\\n"/);
    const junit = readFileSync(path.join(r.dir, 'r.xml'), 'utf8');
    assert.match(junit, new RegExp(`name="nb.ipynb, cell 2, line 1" file="nb.ipynb" line="${cell.fileLine}"`));
    const annotations = r.out.split('\n').filter((l) => l.startsWith('::error'));
    assert.deepEqual(annotations.map((l) => l.slice(0, l.indexOf('::', 2))), [
      `::error file=nb.ipynb,line=${md.fileLine},title=mtest mismatch (cell 1%2C line 3)`,
      `::error file=nb.ipynb,line=${cell.fileLine},title=mtest mismatch (cell 2%2C line 1)`,
    ]);
  });
});

describe('notebooks: JSON with lines', () => {
  it('gives the line of every member and decodes escapes', () => {
    const parsed = parseLocatedJson('{\n "a": [\n  "x\\n",\n  "\\u00e9\\"q\\\\"\n ],\n "b": -1.5e2, "c": [true, false, null]\n}');
    assert.ok(parsed.ok);
    const value = parsed.value as { a: string[]; b: number; c: unknown[] };
    assert.deepEqual(value, { a: ['x\n', 'é"q\\'], b: -150, c: [true, false, null] });
    assert.deepEqual([parsed.lines.of(value, 'a'), parsed.lines.of(value.a, 0), parsed.lines.of(value.a, 1), parsed.lines.of(value, 'b')], [2, 3, 4, 6]);
  });

  it('reports the line and column of the fault', () => {
    const cases: [string, number, number, RegExp][] = [
      ['{"a": 1,}', 1, 9, /property name/],
      ['{\n "a": "unterminated\n}', 2, 20, /line break inside a string/],
      ['"open', 1, 1, /unterminated string/],
      ['[1, 2', 1, 6, /end of file/],
      ['{"a": tru}', 1, 7, /unexpected 't'/],
      ['{} {}', 1, 4, /after the end/],
      ['"\\x"', 1, 1, /bad escape/],
      ['['.repeat(10000), 1, 501, /nested too deeply/],
    ];
    for (const [text, line, column, message] of cases) {
      const parsed = parseLocatedJson(text);
      assert.ok(!parsed.ok, text);
      assert.deepEqual([parsed.line, parsed.column], [line, column], text);
      assert.match(parsed.message, message);
    }
  });
});
