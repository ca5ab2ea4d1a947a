// --fix on Jupyter notebooks: failing code cells get new stored outputs (kinds kept when the output splits
// into them one way), every other byte stays, Markdown-cell examples and exceptions are left alone, a
// notebook that changed during the run is not touched, and the fixed notebook passes.
import assert from 'node:assert/strict';
import { mtestIn, scratch } from './process-helpers.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixedOutputs } from '../src/fix/notebook.js';
import type { JsonValue } from '../src/sources/located-json.js';

const ARGS = ['--serial', '--prelude', 'node:util', '--random-seed', '1', '--no-status'];

type Cell = { [key: string]: JsonValue };

/** A notebook laid out as Jupyter writes it (one-space indentation), or with another indentation and line end. */
function notebook(cells: Cell[], indent: string | number = 1, eol = '\n'): string {
  const metadata = { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'typescript' } };
  return (JSON.stringify({ cells, metadata, nbformat: 4, nbformat_minor: 5 }, null, indent) + '\n').replace(/\n/g, eol);
}

const lines = (text: string): string[] => text.split(/(?<=\n)/).filter((l) => l !== '');

function code(source: string, outputs: Cell[], count: number | null = null, tags?: string[]): Cell {
  return { cell_type: 'code', execution_count: count, metadata: tags ? { tags } : {}, outputs, source: lines(source) };
}

const stream = (text: string): Cell => ({ name: 'stdout', output_type: 'stream', text: lines(text) });
const result = (text: string, count: number | null): Cell => ({ data: { 'text/plain': lines(text) }, execution_count: count, metadata: {}, output_type: 'execute_result' });

/** Cells before --fix and as --fix must leave them. */
function cells(): { before: Cell[]; after: Cell[] } {
  const markdown: Cell = { cell_type: 'markdown', metadata: {}, source: ['A prose example, wrong:\n', '\n', '    sage: 1 + 1\n', '    3'] };
  const value = (outputs: Cell[]) => code('const a = 40\na + 2', outputs, 3);
  const both = (outputs: Cell[]) => code('console.log("x =", a)\na * 2', outputs, 4);
  const good = code('a', [result('40', 5)], 5);
  const printedChanged = (outputs: Cell[]) => code('console.log("changed")\n7', outputs, 6);
  const printed = (outputs: Cell[]) => code('console.log([1, 2].join("\\n"))', outputs, 7);
  const thrown = code('null.x', [result('1', 8)], 8);
  const ambiguous = (outputs: Cell[]) => code('console.log("a\\nb"); 1', outputs, 9);
  const empty = (outputs: Cell[]) => code('console.log("hi")', outputs);
  const raises = code('throw new TypeError("no")', [{ ename: 'RangeError', evalue: 'no', output_type: 'error', traceback: [] }], 10, ['raises-exception']);
  return {
    before: [
      markdown, value([result('41', 3)]), both([stream('x = 40\n'), result('81', 4)]), good,
      printedChanged([stream('old\n'), result('7', 6)]), printed([stream('1\n3\n')]), thrown,
      ambiguous([stream('a\n'), result('1', 9)]), empty([]), raises,
    ],
    after: [
      markdown, value([result('42', 3)]), both([stream('x = 40\n'), result('80', 4)]), good,
      printedChanged([stream('changed\n'), result('7', 6)]), printed([stream('1\n2\n')]), thrown,
      ambiguous([stream('a\nb\n1\n')]), empty([stream('hi\n')]), raises,
    ],
  };
}

describe('--fix on notebooks', () => {
  it('rewrites the outputs of the failing code cells only; the file is otherwise byte-identical and then passes', async () => {
    const { before, after } = cells();
    const dir = scratch({ 'nb.ipynb': notebook(before) });
    const r = await mtestIn(dir, [...ARGS, '--fix', 'nb.ipynb']);
    assert.equal(readFileSync(path.join(dir, 'nb.ipynb'), 'utf8'), notebook(after));
    for (const cell of [2, 3, 5, 6, 8, 9]) assert.match(r.out, new RegExp(`^Fixed nb\\.ipynb:\\d+: stored outputs of cell ${cell} of \``, 'm'), r.out);
    assert.doesNotMatch(r.out, /Fixed nb\.ipynb:\d+: stored outputs of cell (1|4|7|10) /);
    assert.match(r.out, /^Warning: nb\.ipynb:\d+: --fix left this example alone: it is in a Markdown cell/m);
    assert.match(r.out, /^Warning: nb\.ipynb:\d+: --fix left this example alone: the cell expects an exception/m);
    assert.ok(r.out.trimEnd().endsWith('\n7 passed, 3 failed, 0 skipped'), r.out);
    const again = await mtestIn(dir, [...ARGS, 'nb.ipynb']);
    assert.ok(again.out.trimEnd().endsWith('\n7 passed, 3 failed, 0 skipped'), again.out);
    const failed = [...again.out.matchAll(/File "nb\.ipynb", cell (\d+), line/g)].map((m) => Number(m[1]));
    assert.deepEqual(failed, [1, 7, 10], 'only what --fix left alone still fails');
  });

  it('keeps the layout of a notebook not written by Jupyter (two-space indentation, CRLF) and its byte-order mark', async () => {
    const { before, after } = cells();
    const dir = scratch({ 'nb.ipynb': '\uFEFF' + notebook(before, 2, '\r\n'), 'tab.ipynb': notebook(before, '\t') });
    await mtestIn(dir, [...ARGS, '--fix', '.']);
    assert.equal(readFileSync(path.join(dir, 'nb.ipynb'), 'utf8'), '\uFEFF' + notebook(after, 2, '\r\n'));
    assert.equal(readFileSync(path.join(dir, 'tab.ipynb'), 'utf8'), notebook(after, '\t'));
  });

  it('rewrites a minified notebook on one line', async () => {
    const { before, after } = cells();
    const dir = scratch({ 'min.ipynb': notebook(before, 0) });
    await mtestIn(dir, [...ARGS, '--fix', 'min.ipynb']);
    assert.equal(readFileSync(path.join(dir, 'min.ipynb'), 'utf8'), notebook(after, 0));
  });

  it('leaves a notebook that changed on disk during the run alone, with a warning', async () => {
    const before = notebook([
      code('(await import("node:fs")).appendFileSync("moving.ipynb", "\\n")', []),
      code('1 + 1', [result('3', 2)], 2),
    ]);
    const dir = scratch({ 'moving.ipynb': before });
    const r = await mtestIn(dir, [...ARGS, '--fix', 'moving.ipynb']);
    assert.match(r.out, /^Warning: moving\.ipynb: changed on disk during the run; --fix left it alone$/m);
    assert.equal(readFileSync(path.join(dir, 'moving.ipynb'), 'utf8'), before + '\n');
    assert.equal(r.code, 1);
    assert.ok(r.out.trimEnd().endsWith('\n1 passed, 1 failed, 0 skipped'), r.out);
  });

  it('leaves a cell alone when its new outputs would not read back as its output (a carriage return)', async () => {
    const before = notebook([code('console.log("a\\rb")', []), code('2', [result('3', 2)], 2)]);
    const dir = scratch({ 'cr.ipynb': before });
    const r = await mtestIn(dir, [...ARGS, '--fix', 'cr.ipynb']);
    assert.match(r.out, /^Warning: cr\.ipynb:\d+: --fix left this example alone: its output would not read back as the cell's stored output$/m);
    assert.equal(readFileSync(path.join(dir, 'cr.ipynb'), 'utf8'), notebook([code('console.log("a\\rb")', []), code('2', [result('2', 2)], 2)]));
    assert.ok(r.out.trimEnd().endsWith('\n1 passed, 1 failed, 0 skipped'), r.out);
  });

  it('maps output to Jupyter outputs: kinds kept when the output splits into them one way only', () => {
    const printedThenValue = [stream('a\n'), result('1', 2)];
    assert.deepEqual(fixedOutputs(printedThenValue, 'a\n2\n', 2), [stream('a\n'), result('2', 2)]);
    assert.deepEqual(fixedOutputs(printedThenValue, 'b\n1\n', 2), [stream('b\n'), result('1', 2)]);
    assert.deepEqual(fixedOutputs(printedThenValue, 'a\nb\n1\n', 2), [stream('a\nb\n1\n')], 'two splits: one stream');
    assert.deepEqual(fixedOutputs(printedThenValue, 'c\n', 2), [stream('c\n')], 'no split: one stream');
    assert.deepEqual(fixedOutputs([result('1', 5)], '[1 2]\n[3 4]\n', 5), [result('[1 2]\n[3 4]', 5)]);
    assert.deepEqual(fixedOutputs([stream('x\n'), stream('y\n')], 'z\n', null), [stream('z\n')]);
    assert.deepEqual(fixedOutputs([{ output_type: 'display_data', data: { 'text/plain': ['1'] }, metadata: {} }], '2\n', 1), [stream('2\n')]);
    assert.deepEqual(fixedOutputs([result('1', 1)], '', 1), [], 'no output: no outputs');
  });
});
