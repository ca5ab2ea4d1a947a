// --typecheck: type errors fail examples at their document line; names flow between the examples of a
// block as at run time; the engine's declarations and the file's own exports are visible.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import type { RunEvents } from '../src/events.js';
import type { ExampleResult, SourceFile } from '../src/model.js';
import { TypecheckGate, TypecheckThread } from '../src/typecheck/gate.js';
import type { ThreadOutput } from '../src/typecheck/thread.js';
import { loadSource } from '../src/sources/index.js';
import { typecheckFiles } from '../src/typecheck/index.js';
import { packageRoot } from '../src/package-root.js';

/** A project with these files; TypeScript is installed in it (linked to this checkout's) unless told. */
function scratch(files: Record<string, string>, withTypeScript = true): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mtest-tc-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  if (withTypeScript) {
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(path.join(packageRoot(), 'node_modules', 'typescript'), path.join(dir, 'node_modules', 'typescript'), 'dir');
  }
  return dir;
}

function notebook(cells: string[][], language = 'typescript'): string {
  return JSON.stringify({
    cells: cells.map((source) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { display_name: 'TypeScript', language, name: 'tslab' } }, nbformat: 4, nbformat_minor: 5,
  }, null, 1);
}

const FILES: Record<string, string> = {
  'flow.md': [
    'sage: const A = matrix([[1, 2], [3, 4]])',
    'sage: const d: number = A.det()',
    'sage: const s: string = d',
    'sage: A.nope()',
    '',
    'sage: let x = 1',
    'sage: x = 2',
    "sage: const A = 'redeclared'",
    'sage: A.toUpperCase()',
    'sage: y = 5',
    'sage: const z: number = y + 1',
    'sage: function twice(n: number): number {',
    '....:     return 2 * n',
    '....: }',
    "sage: const bad: string = twice(",
    '....:     3)',
    "sage: twice('x')",
    'Uncaught TypeError: not a number',
    "sage: twice('x')  // not tested",
    'sage: import { helper } from "./helper.js"',
    'sage: helper(1)',
    "sage: helper('one')",
    '',
  ].join('\n'),
  'helper.ts': 'export function helper(n: number): number {\n  return n + 1;\n}\n',
  'own.ts': [
    '/**',
    ' *     sage: cube(2)',
    ' *     8',
    " *     sage: cube('2')",
    ' */',
    'export function cube(n: number): number {',
    '  return n ** 3;',
    '}',
    '',
  ].join('\n'),
  'node.md': [
    "sage: import { readFileSync } from 'node:fs'",
    "sage: readFileSync(42, 'utf8', 'extra')",
    'sage: const pid: string = process.pid',
    "sage: const t: string = setTimeout(() => {}, 1)",
    '',
  ].join('\n'),
  'untyped.js': "/**\n *     sage: const s = 1; s.toUpperCase()\n */\nexport const x = 1;\n",
  'nb.ipynb': notebook([['const m = identity(2)\n'], ['// a comment first\n', 'const n: string = m.det()\n']]),
  'js.ipynb': notebook([["const s = 1; s.toUpperCase()\n"]], 'javascript'),
};

describe('--typecheck', function () {
  this.timeout(60000);
  let dir: string;
  let files: SourceFile[];
  const errorsOf = (name: string): [number, string[] | undefined][] =>
    files.find((f) => f.path === name)!.blocks.flatMap((b) => b.examples).map((e) => [e.cell ?? e.line, e.typeErrors]);

  before(async () => {
    dir = scratch(FILES);
    files = Object.keys(FILES).filter((n) => !n.startsWith('helper')).map((name) => loadSource(name, { cwd: dir })!);
    const result = await typecheckFiles(files, { prelude: ['builtin'], cwd: dir, optional: [], long: false });
    assert.equal(result.error, undefined);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fails a type error at its document line, with the compiler message', () => {
    const errors = new Map(errorsOf('flow.md'));
    assert.deepEqual(errors.get(3), ["line 3: TS2322: Type 'number' is not assignable to type 'string'."]);
    assert.equal(errors.get(1), undefined);
    assert.equal(errors.get(2), undefined);
  });

  it("sees the engine's declarations", () => {
    const errors = new Map(errorsOf('flow.md'));
    assert.match(errors.get(4)?.[0] ?? '', /^line 4: TS2339: Property 'nope' does not exist on type 'Matrix'\.$/);
  });

  it('lets names flow between examples as at run time: redeclarations, lets, bare assignments, functions, imports', () => {
    const errors = new Map(errorsOf('flow.md'));
    for (const line of [6, 7, 8, 9, 10, 11, 12, 20, 21]) assert.equal(errors.get(line), undefined, `line ${line}: ${errors.get(line)}`);
    // a continuation line: the error names the line it is on
    assert.deepEqual(errors.get(15), ["line 15: TS2322: Type 'number' is not assignable to type 'string'."]);
    assert.match(errors.get(22)?.[0] ?? '', /^line 22: TS2345: Argument of type 'string' is not assignable to parameter of type 'number'\.$/);
  });

  it('does not report an example that expects an exception, nor check one that does not run', () => {
    const errors = new Map(errorsOf('flow.md'));
    assert.equal(errors.get(17), undefined);
    assert.equal(errors.get(19), undefined);
  });

  it("sees the file's own exports", () => {
    const errors = errorsOf('own.ts');
    assert.equal(errors[0][1], undefined);
    assert.match(errors[1][1]?.[0] ?? '', /^line 4: TS2345: /);
  });

  it("types Node's modules and globals from @types/node, file by file", () => {
    const errors = new Map(errorsOf('node.md'));
    assert.equal(errors.get(1), undefined);
    assert.match(errors.get(2)?.[0] ?? '', /^line 2: TS2554: Expected 1-2 arguments, but got 3\.$/);
    assert.deepEqual(errors.get(3), ["line 3: TS2322: Type 'number' is not assignable to type 'string'."]);
    assert.match(errors.get(4)?.[0] ?? '', /^line 4: TS2322: Type 'Timeout' is not assignable to type 'string'\.$/);
  });

  it('names the cell and the line in it for notebooks; JavaScript is not checked', () => {
    assert.deepEqual(errorsOf('nb.ipynb'), [[1, undefined], [2, ["cell 2, line 2: TS2322: Type 'number' is not assignable to type 'string'."]]]);
    assert.deepEqual(errorsOf('js.ipynb'), [[1, undefined]]);
    assert.deepEqual(errorsOf('untyped.js'), [[2, undefined]]);
  });
});

describe('--typecheck: other preludes', function () {
  this.timeout(60000);
  it("reads a Node module's names from @types/node, and reports no missing names for a prelude it cannot read", async () => {
    const dir = scratch({ 'u.md': 'sage: inspect(1).length\nsage: format(1).toFixed()\nsage: nowhere + 1\n' });
    try {
      const [withUtil, unknown] = [['node:util'], ['./missing.js']].map((prelude) => {
        const file = loadSource('u.md', { cwd: dir })!;
        return typecheckFiles([file], { prelude, cwd: dir, optional: [], long: false }).then(() => file.blocks[0].examples.map((e) => e.typeErrors?.[0]));
      });
      const util = await withUtil;
      assert.equal(util[0], undefined);
      assert.match(util[1] ?? '', /^line 2: TS2551: Property 'toFixed' does not exist on type 'string'\. Did you mean 'fixed'\?$/);
      assert.match(util[2] ?? '', /^line 3: TS2304: Cannot find name 'nowhere'\.$/);
      assert.deepEqual(await unknown, [undefined, undefined, undefined]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--typecheck: the gate between the run and its reporters', () => {
  const file: SourceFile = { path: 'g.md', kind: 'markdown', tags: [], errors: [], blocks: [{ name: 'g.md', line: 1, examples: [] }] };
  function recorder(): { events: string[]; sink: RunEvents } {
    const events: string[] = [];
    const sink: RunEvents = {
      fileStart: () => events.push('fileStart'),
      exampleStart: (_f, i) => events.push(`start ${i}`),
      exampleEnd: (_f, r) => events.push(`end ${r.index} ${r.status} ${r.outcome}${r.note ? ` ${r.note}` : ''}`),
      incident: () => events.push('incident'),
      warning: () => events.push('warning'),
      fileEnd: () => events.push('fileEnd'),
    };
    return { events, sink };
  }
  const result = (index: number, status: ExampleResult['status'], outcome: ExampleResult['outcome']): ExampleResult => ({ index, status, outcome, time: 0 });

  it('holds events back until the check is done, then fails the examples with type errors', async () => {
    const { events, sink } = recorder();
    let finish!: (o: ThreadOutput) => void;
    const gate = new TypecheckGate(sink, [file], new Promise((resolve) => (finish = resolve)));
    gate.fileStart(file, 0);
    gate.exampleStart(file, 0, 0);
    gate.exampleEnd(file, result(0, 'passed', 'ok'));
    gate.exampleEnd(file, result(1, 'failed', 'timeout'));
    gate.exampleEnd(file, result(2, 'skipped', 'skipped'));
    assert.deepEqual(events, []);
    finish({ checked: 3, failed: 3, seconds: 0.1, errors: [[0, 0, ['line 1: TS1: a']], [0, 1, ['line 2: TS2: b']], [0, 2, ['line 3: TS3: c']]] });
    await gate.done;
    gate.exampleEnd(file, result(3, 'failed', 'mismatch'));
    gate.fileEnd(file, { time: 0, worker: 0 });
    assert.deepEqual(events, ['fileStart', 'start 0', 'end 0 failed error line 1: TS1: a', 'end 1 failed timeout', 'end 2 skipped skipped', 'end 3 failed mismatch', 'fileEnd']);
  });

  it('lets the events go when abandoned (an interrupted run)', async () => {
    const { events, sink } = recorder();
    const gate = new TypecheckGate(sink, [file], new Promise(() => {}));
    gate.exampleEnd(file, result(0, 'passed', 'ok'));
    gate.abandon();
    assert.match((await gate.done).error ?? '', /interrupted/);
    assert.deepEqual(events, ['end 0 passed ok']);
  });
});

describe('--typecheck: what crosses to its thread and back is checked', function () {
  this.timeout(30000);
  const file = { path: 'a.md', kind: 'markdown', blocks: [], tags: [], errors: [] } satisfies SourceFile;
  const policy = { optional: [], long: false };

  it('data or a request the thread cannot read: the check fails in one line, nothing thrown', async () => {
    const badSetup = new TypecheckThread({ cwd: 5, prelude: ['builtin'] } as never);
    const setupOutput = await badSetup.check([file], policy);
    badSetup.close();
    assert.equal(setupOutput.error, '--typecheck failed: its thread was started with data it cannot read');
    const dir = scratch({});
    const badRequest = new TypecheckThread({ cwd: dir, prelude: [] });
    const requestOutput = await badRequest.check([{ ...file, blocks: 'none' }] as never, policy);
    badRequest.close();
    assert.equal(requestOutput.error, '--typecheck failed: its thread was sent a request it cannot read');
  });

  it('an answer mtest cannot read: the check fails in one line', async () => {
    const thread = new TypecheckThread({ cwd: '.', prelude: [] }, new URL('../../test/fixtures/protocol/typecheck-thread.mjs', import.meta.url));
    const output = await thread.check([file], policy);
    thread.close();
    assert.deepEqual(output, { checked: 0, failed: 0, errors: [], seconds: 0, error: '--typecheck failed: its thread sent an answer mtest cannot read' });
  });
});

describe('--typecheck: loading TypeScript with a code cache', function () {
  this.timeout(60000);
  // Each load in a process of its own: V8 keeps compiled scripts per process, which would hide the cache.
  function load(cacheHome: string): boolean {
    const module = new URL('../src/typecheck/load.js', import.meta.url).href;
    const code = `import { loadTypeScriptFrom } from ${JSON.stringify(module)};
const l = loadTypeScriptFrom(${JSON.stringify(fileURLToPath(import.meta.url))});
if (!/^5\\./.test(l.ts.version)) throw new Error(l.ts.version);
l.saveCache();
console.log(l.cacheUsed);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, XDG_CACHE_HOME: cacheHome }, encoding: 'utf8' });
    return out.trim() === 'true';
  }

  it('writes the cache after a load without one, the next load uses it, and a bad one is rewritten', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtest-cache-'));
    try {
      assert.equal(load(dir), false);
      const written = readdirSync(path.join(dir, 'mtest'));
      assert.equal(written.length, 1);
      assert.match(written[0], /^typescript-[0-9a-f]{16}\.v8cache$/);
      assert.equal(load(dir), true);
      writeFileSync(path.join(dir, 'mtest', written[0]), 'not a cache');
      assert.equal(load(dir), false, 'a bad cache is rejected, not trusted');
      assert.equal(load(dir), true, 'and written again');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--typecheck from the command line', function () {
  this.timeout(60000);
  it('fails the example with its type errors although it ran; without the option types are stripped', async () => {
    const dir = scratch({ 'x.md': "Intro\n\nsage: const n = 4\nsage: const s: string = n\nsage: s\n4\n" });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      let out = '';
      const io = { out: (t: string) => (out += t), err: (t: string) => (out += t) };
      const code = await main(['--serial', '--typecheck', 'x.md'], io, dir);
      assert.equal(code, 1, out);
      assert.ok(out.includes([
        'File "x.md", line 4, in x.md',
        'Failed example:',
        '    const s: string = n',
        "line 4: TS2322: Type 'number' is not assignable to type 'string'.",
      ].join('\n')), out);
      assert.match(out, /^Type-checked 3 examples in \d+\.\d\d s: 1 example with type errors\.$/m);
      assert.match(out, /^2 passed, 1 failed, 0 skipped$/m);
      out = '';
      assert.equal(await main(['--serial', 'x.md'], io, dir), 0, out);
      out = '';
      // with workers: the example runs in a worker, its result is replaced here
      assert.equal(await main(['-p', '1', '--typecheck', 'x.md'], io, dir), 1, out);
      assert.ok(out.includes("line 4: TS2322: Type 'number' is not assignable to type 'string'."), out);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--typecheck: TypeScript is the project\'s', function () {
  it('without typescript in the project, --typecheck exits 2 at once with one line, before running anything', async () => {
    const dir = scratch({ 'x.md': "sage: require('fs').writeFileSync('ran.txt', 'yes')\n" }, false);
    try {
      let out = '';
      let err = '';
      const code = await main(['--serial', '--typecheck', 'x.md'], { out: (t) => (out += t), err: (t) => (err += t) }, dir);
      assert.equal(code, 2);
      assert.equal(err, 'mtest: --typecheck needs the typescript package in this project: npm i -D typescript@6\n');
      assert.equal(out, '', 'no header: nothing ran');
      assert.equal(existsSync(path.join(dir, 'ran.txt')), false, 'the example did not run');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('typescript 7 (no compiler API in its package) is refused at once with one line', async () => {
    const dir = scratch({ 'x.md': 'sage: 1\n1\n', 'node_modules/typescript/package.json': JSON.stringify({ name: 'typescript', version: '7.0.2', exports: { '.': './lib/version.cjs', './package.json': './package.json' } }) }, false);
    try {
      let err = '';
      const code = await main(['--serial', '--typecheck', 'x.md'], { out: () => {}, err: (t) => (err += t) }, dir);
      assert.equal(code, 2);
      assert.equal(err, "mtest: --typecheck needs TypeScript's compiler API, which typescript 7.0.2 does not have: npm i -D typescript@6\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks against the engine\'s shipped declarations (dist), not its sources', async () => {
    const dir = scratch({ 'e.md': "sage: const A = matrix([[1, 2], [3, 4]])\nsage: const n: string = A.rows\n" });
    try {
      const file = loadSource('e.md', { cwd: dir })!;
      const result = await typecheckFiles([file], { prelude: ['builtin'], cwd: dir, optional: [], long: false });
      assert.equal(result.error, undefined);
      assert.match(file.blocks[0].examples[1].typeErrors?.[0] ?? '', /TS2322: Type 'number' is not assignable to type 'string'/);
      assert.ok(existsSync(path.join(packageRoot(), 'dist', 'src', 'engine', 'index.d.ts')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
