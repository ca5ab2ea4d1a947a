// The "sources" stage: discovery, loading, and block extraction from scripts and documents.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Block, SourceFile } from '../src/model.js';
import { discover, extractScriptBlocks, loadSource } from '../src/sources/index.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/sources/', import.meta.url));

/** A scratch directory with the given files (content strings or raw bytes). */
function scratch(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mtest-sources-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

function summary(blocks: Block[]): { name: string; line: number; examples: [number, string, string][] }[] {
  return blocks.map((b) => ({ name: b.name, line: b.line, examples: b.examples.map((e) => [e.line, e.source, e.want]) }));
}

function load(path: string, cwd?: string): SourceFile {
  const file = loadSource(path, { cwd });
  assert.ok(file, `${path} was skipped`);
  return file;
}

describe('sources: discover', () => {
  let dir: string;
  before(() => {
    dir = scratch({
      'a.ts': '',
      'b.md': '',
      'sub/c.txt': '',
      'sub/d.rst': '',
      'sub/e.mjs': '',
      'sub/nb.ipynb': '{}',
      'types.d.ts': '',
      'image.png': '',
      'node_modules/pkg/x.ts': '',
      '.hidden/y.ts': '',
      'sub/.dotfile.ts': '',
      'dist/z.js': '',
      'build/z.js': '',
      'coverage/z.js': '',
      'out/z.js': '',
      'legacy/nodoctest': '',
      'legacy/old.ts': '',
      'legacy/deeper/older.md': '',
      'docs/opted-out.md': 'nodoctest\n',
      'docs/keep.md': '',
      'docs/draft/wip.md': '',
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('walks directories, sorted and relative, skipping ignored, hidden and nodoctest directories', async () => {
    const { files, errors } = await discover(['.'], { cwd: dir });
    assert.deepEqual(errors, []);
    assert.deepEqual(files, [
      'a.ts', 'b.md', 'docs/draft/wip.md', 'docs/keep.md', 'docs/opted-out.md',
      'sub/c.txt', 'sub/d.rst', 'sub/e.mjs', 'sub/nb.ipynb', 'types.d.ts',
    ]);
  });

  it('walks the working directory when no path is given', async () => {
    const { files } = await discover([], { cwd: dir });
    assert.equal(files.length, 10);
  });

  it('skips a directory holding a nodoctest file even when it is the one given', async () => {
    assert.deepEqual((await discover(['legacy'], { cwd: dir })).files, []);
  });

  it('takes explicit files as given, even in ignored places, and deduplicates', async () => {
    const { files, errors } = await discover(['node_modules/pkg/x.ts', './a.ts', 'a.ts', 'legacy/old.ts', '.hidden'], { cwd: dir });
    assert.deepEqual(errors, []);
    assert.deepEqual(files, ['.hidden/y.ts', 'a.ts', 'legacy/old.ts', 'node_modules/pkg/x.ts']);
  });

  it('reports a missing path and an unsupported explicit file as input errors at line 0', async () => {
    const { files, errors } = await discover(['nope', 'image.png', 'a.ts'], { cwd: dir });
    assert.deepEqual(files, ['a.ts']);
    assert.deepEqual(errors.map((e) => [e.file, e.line]), [['nope', 0], ['image.png', 0]]);
    assert.match(errors[0].message, /no such file or directory/);
    assert.match(errors[1].message, /unsupported file type/);
    for (const e of errors) assert.ok(!e.message.includes('\n'));
  });

  it('filters walked files by include and exclude globs relative to cwd', async () => {
    const included = await discover(['.'], { cwd: dir, include: ['**/*.md', 'sub/*.txt'] });
    assert.deepEqual(included.files, ['b.md', 'docs/draft/wip.md', 'docs/keep.md', 'docs/opted-out.md', 'sub/c.txt']);
    const excluded = await discover(['.'], { cwd: dir, exclude: ['docs/draft', '*.ipynb', 'sub/{c,d}.*'] });
    assert.deepEqual(excluded.files, ['a.ts', 'b.md', 'docs/keep.md', 'docs/opted-out.md', 'sub/e.mjs', 'types.d.ts']);
    const explicit = await discover(['docs/draft/wip.md'], { cwd: dir, exclude: ['docs/draft'] });
    assert.deepEqual(explicit.files, ['docs/draft/wip.md'], 'exclude applies to walked files only');
  });

  it('takes symbolic links to files but does not walk into linked directories', async () => {
    const linked = scratch({ 'real/r.ts': '', 'top.md': '' });
    try {
      symlinkSync(join(linked, 'top.md'), join(linked, 'real', 'alias.md'));
      symlinkSync(join(linked, 'real'), join(linked, 'real', 'loop'));
      symlinkSync(join(linked, 'missing.ts'), join(linked, 'real', 'dangling.ts'));
      const { files, errors } = await discover(['.'], { cwd: linked });
      assert.deepEqual(errors, []);
      assert.deepEqual(files, ['real/alias.md', 'real/r.ts', 'top.md']);
    } finally {
      rmSync(linked, { recursive: true, force: true });
    }
  });

  it('gives files outside cwd as absolute paths', async () => {
    const { files } = await discover([join(dir, 'sub')], { cwd: join(dir, 'docs') });
    assert.deepEqual(files, ['c.txt', 'd.rst', 'e.mjs', 'nb.ipynb'].map((f) => join(dir, 'sub', f)));
  });
});

describe('sources: script files', () => {
  it('extracts one block per comment, named by the following declaration, with exact lines', () => {
    const file = load(join(FIXTURES, 'matrix.ts'));
    const path = file.path;
    assert.equal(file.kind, 'script');
    assert.deepEqual(file.errors, []);
    assert.deepEqual(summary(file.blocks), [
      { name: `${path}:4`, line: 4, examples: [[4, 'half', '']] },
      {
        name: 'det', line: 7, examples: [
          [10, 'det([[1, 2], [3, 4]])  // tol 1e-12', '-2\n'],
          [12, 'det([[1, 0],\n     [0, 1]])', '1\n'],
        ],
      },
      { name: 'Matrix.get', line: 24, examples: [[25, 'new Matrix().get(0, 0)', '0\n']] },
      { name: `${path}:29`, line: 29, examples: [[29, "'inside a method body'", '']] },
      { name: 'Matrix.identity', line: 33, examples: [[33, 'Matrix.identity()  // long time (allocates)', '']] },
      { name: 'answer', line: 39, examples: [[39, 'const x = 6', ''], [40, 'x * 7', '42\n']] },
      { name: `${path}:45`, line: 45, examples: [[45, "'default export'", "'default export'\n"]] },
    ]);
    const [first] = file.blocks[1].examples;
    assert.equal(first.indent, 4);
    assert.deepEqual(first.directives.tolerance, { kind: 'tol', epsilon: 1e-12 });
    assert.equal(file.blocks[4].examples[0].directives.longTime, true);
  });

  it('names declarations: default exports, namespaces, interfaces, decorators, getters, private members', () => {
    const text = [
      '/** sage: 1 */', //                                    1
      'export default class {', //                            2
      '  /** sage: 2 */', //                                  3
      '  @memo() @other', //                                  4
      '  static async *items() {}', //                        5
      '}', //                                                 6
      'namespace Outer.Inner {', //                           7
      '  /** sage: 3 */', //                                  8
      '  export interface Shape {', //                        9
      '    /** sage: 4 */', //                               10
      '    area(): number;', //                              11
      '  }', //                                              12
      '}', //                                                13
      'class Vec extends Base<{ a: number }> {', //          14
      '  /** sage: 5 */', //                                 15
      '  get length() { return 0 }', //                      16
      '  /** sage: 6 */', //                                 17
      '  #secret = 1;', //                                   18
      '  /** sage: 7 */', //                                 19
      '  set(i: number) {}', //                              20
      '}', //                                                21
      'const ops = {', //                                    22
      '  /** sage: 8 */', //                                 23
      '  add() {},', //                                      24
      '};', //                                               25
      '/** sage: 9 */', //                                   26
      'ops.add();', //                                       27
      '/** sage: 10 */', //                                  28
      'export function* gen() {}', //                        29
    ].join('\n');
    const { blocks, errors } = extractScriptBlocks(text, 'f.ts');
    assert.deepEqual(errors, []);
    assert.deepEqual(blocks.map((b) => [b.line, b.name]), [
      [1, 'default'], [3, 'default.items'], [8, 'Outer.Inner.Shape'], [10, 'Outer.Inner.Shape.area'],
      [15, 'Vec.length'], [17, 'Vec.#secret'], [19, 'Vec.set'], [23, 'f.ts:23'], [26, 'f.ts:26'], [28, 'gen'],
    ]);
  });

  it('does not take // or /* inside strings, templates or regex literals for comments', () => {
    const text = [
      "const a = '// sage: 1';", //                         1
      'const b = "/* sage: 2 */";', //                      2
      'const c = `${"`"} /* ${`${1}`} sage: 3 */`;', //     3
      'const d = /\\/* sage: 4/.test(a) ? 1 : 2;', //        4
      'const e = (a.length) / 2 / 1; // sage: 5', //        5
      'const f = `multi', //                                6
      '// sage: 6', //                                      7
      '`;', //                                              8
      '// sage: 7', //                                      9
    ].join('\n');
    const { blocks, errors } = extractScriptBlocks(text, 'f.ts');
    assert.deepEqual(errors, []);
    assert.deepEqual(blocks.map((b) => [b.line, b.examples[0].source]), [[5, '5'], [9, '7']]);
  });

  it('joins // comments on consecutive lines into one block and splits at a gap', () => {
    const text = ['// sage: 1', '// 1', '', '// sage: 2', '//   sage: 3', '//   3', 'x; // sage: 4'].join('\n');
    const { blocks } = extractScriptBlocks(text, 'f.ts');
    assert.deepEqual(summary(blocks), [
      { name: 'f.ts:1', line: 1, examples: [[1, '1', '1\n']] },
      { name: 'f.ts:4', line: 4, examples: [[4, '2', ''], [5, '3', '3\n']] },
      { name: 'f.ts:7', line: 7, examples: [[7, '4', '']] },
    ]);
  });

  it('removes * decoration only when every line has it', () => {
    const decorated = extractScriptBlocks('/**\n * sage: 2*3\n * 6\n */', 'f.ts').blocks;
    assert.deepEqual(summary(decorated)[0].examples, [[2, '2*3', '6\n']]);
    const bare = extractScriptBlocks('/*\nsage: md()\n* item\n  sage: 1\n  1\n*/', 'f.ts').blocks;
    assert.deepEqual(summary(bare)[0].examples, [[2, 'md()', '* item\n'], [4, '1', '1\n']]);
  });

  it('ends wants at code fences and JSDoc tags inside doc comments', () => {
    const text = ['/**', ' * @example', ' * ```ts', ' * sage: f()', ' * 1', ' * ```', ' * sage: g()', ' * 2', ' * @returns x', ' */'].join('\n');
    assert.deepEqual(summary(extractScriptBlocks(text, 'f.ts').blocks)[0].examples, [[4, 'f()', '1\n'], [7, 'g()', '2\n']]);
  });

  it('stays linear on many comments without prompts and on long lines full of slashes', () => {
    const text = '/** prose */\nconst a = 1;\n'.repeat(20000) + 'x = [' + ' + / 2'.repeat(100000) + '];\n/** sage: 1 */\nconst z = 1;';
    const start = process.hrtime.bigint();
    const { blocks } = extractScriptBlocks(text, 'f.ts');
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.deepEqual(blocks.map((b) => [b.name, b.line]), [['z', 40002]]);
    // ~0.2 s on an idle machine; a scan quadratic in the text's length takes minutes on it, so the bound
    // is generous enough for a loaded machine and still catches that.
    assert.ok(ms < 10000, `took ${ms} ms`);
  });

  it('reports an unterminated /* comment at its line and keeps the blocks before it', () => {
    const dir = scratch({ 'broken.ts': '/** sage: 1 */\nconst x = 1;\n\n/* sage: 2\n2\n' });
    try {
      const file = load('broken.ts', dir);
      assert.deepEqual(file.errors, [{ file: 'broken.ts', line: 4, message: 'unterminated /* comment' }]);
      assert.deepEqual(summary(file.blocks), [{ name: 'x', line: 1, examples: [[1, '1', '']] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an example with a want indented less than its prompt, and parses the others', () => {
    const text = ['/*', '    sage: 1', '  1', '    sage: 2', '    2', '*/'].join('\n');
    const { blocks, errors } = extractScriptBlocks(text, 'f.ts');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].line, 3);
    assert.match(errors[0].message, /inconsistent leading whitespace/);
    assert.deepEqual(summary(blocks)[0].examples, [[4, '2', '2\n']]);
  });
});

describe('sources: documents', () => {
  it('reads a Markdown notebook as one block, stopping wants at code fences, with file tags', () => {
    const file = load('notebook.md', FIXTURES);
    assert.equal(file.kind, 'markdown');
    assert.deepEqual(file.errors, []);
    assert.deepEqual(file.tags, ['blas']);
    assert.deepEqual(summary(file.blocks), [{
      name: 'notebook.md', line: 1, examples: [
        [7, 'const A = 1 + 1', ''], [8, 'A', '2\n'],
        [13, 'A * 3', '6\n'], [15, 'A * 4', '8\n'],
        [18, "'after the scope'", "'after the scope'\n"],
      ],
    }]);
    const needs = file.blocks[0].examples.map((e) => e.directives.needs);
    assert.deepEqual(needs, [[], [], ['lapack'], ['lapack'], []]);
  });

  it('reads reStructuredText with >>> prompts', () => {
    const file = load('guide.rst', FIXTURES);
    assert.equal(file.kind, 'text');
    assert.deepEqual(summary(file.blocks)[0].examples, [[6, '1 + 1', '2\n'], [8, '[1,\n 2]', '[ 1, 2 ]\n']]);
    assert.equal(file.blocks[0].examples[0].indent, 4);
  });

  it('keeps line numbers with CRLF line ends and a byte-order mark', () => {
    const dir = scratch({ 'w.md': '\ufeffintro\r\n\r\nsage: 1\r\n1\r\n' });
    try {
      assert.deepEqual(summary(load('w.md', dir).blocks)[0].examples, [[3, '1', '1\n']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sources: bad input and opt-outs', () => {
  let dir: string;
  before(() => {
    dir = scratch({
      'bin.ts': Buffer.from('line 1\nline 2\n\0\u0001binary'),
      'latin1.md': Buffer.concat([Buffer.from('ok\nsage: 1\n1\n\ncaf'), Buffer.from([0xe9]), Buffer.from('\nsage: 2\n2\n')]),
      'skip.ts': '/*\n * Helper code.\n * nodoctest\n */\n/** sage: 1 */',
      'late.ts': '\n'.repeat(10) + '// nodoctest\n/** sage: 1 */',
      'tags.ts': '#!/usr/bin/env node\n// mtest: optional - Foo bar\n/** sage: 1 */',
      'badtags.md': '# mtest: long time\n',
      'notebook.ipynb': '{"cells": []}',
      'directive.md': 'sage: 1  // tol abc\n1\n',
      'somewhere.xyz': 'sage: 1\n1\n',
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a binary file at the line of its NUL byte', () => {
    const file = load('bin.ts', dir);
    assert.deepEqual(file.blocks, []);
    assert.equal(file.errors.length, 1);
    assert.equal(file.errors[0].line, 3);
    assert.match(file.errors[0].message, /binary/);
  });

  it('reports invalid UTF-8 at the line of the first bad byte and parses the rest', () => {
    const file = load('latin1.md', dir);
    assert.deepEqual(file.errors.map((e) => [e.line, e.message]), [[5, 'invalid UTF-8 (byte 0xe9 at offset 17)']]);
    assert.deepEqual(summary(file.blocks)[0].examples, [[2, '1', '1\n'], [6, '2', '2\n']]);
  });

  it('reports an unreadable file instead of throwing', () => {
    const file = load('missing.ts', dir);
    assert.deepEqual(file.errors.map((e) => [e.file, e.line]), [['missing.ts', 0]]);
    assert.match(file.errors[0].message, /cannot read file \(ENOENT\)/);
  });

  it('skips a file with nodoctest in its first 10 lines only', () => {
    assert.equal(loadSource('skip.ts', { cwd: dir }), null);
    assert.equal(load('late.ts', dir).blocks.length, 1);
  });

  it('reads file-level tags (lower-cased) and rejects other file-level directives', () => {
    assert.deepEqual(load('tags.ts', dir).tags, ['foo', 'bar']);
    const bad = load('badtags.md', dir);
    assert.deepEqual(bad.tags, []);
    assert.deepEqual(bad.errors.map((e) => e.line), [1]);
    assert.match(bad.errors[0].message, /file-level directive/);
  });

  it('reports a notebook without an nbformat as bad input', () => {
    const file = load('notebook.ipynb', dir);
    assert.equal(file.kind, 'notebook');
    assert.deepEqual(file.blocks, []);
    assert.deepEqual(file.errors.map((e) => e.message), ['not an nbformat 4 notebook (nbformat: null)']);
  });

  it('keeps a bad directive on its example for the evaluator to report', () => {
    const file = load('directive.md', dir);
    assert.deepEqual(file.errors, []);
    const [example] = file.blocks[0].examples;
    assert.equal(example.line, 1);
    assert.equal(example.directives.errors.length, 1);
    assert.match(example.directives.errors[0], /tol abc/);
  });

  it('reads a file of unknown type given directly as text', () => {
    const file = load('somewhere.xyz', dir);
    assert.equal(file.kind, 'text');
    assert.equal(file.blocks[0].examples.length, 1);
  });
});
