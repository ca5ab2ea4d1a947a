import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkAnnotations, type Observed } from '../src/check/annotations.js';
import { matches, parsePattern, writeValue } from '../src/check/values.js';
import { assignedName, parseAnnotatedCode } from '../src/parsing/annotations.js';
import { packageRoot } from '../src/package-root.js';
import { extractScriptBlocks } from '../src/sources/script.js';
import { extractTextBlocks } from '../src/sources/text.js';
import { mtestIn, scratch } from './process-helpers.js';

const ok = (want: string, value: unknown): boolean => matches(parsePattern(want), value);
const lines = (text: string, first = 1) => text.split('\n').map((t, i) => ({ text: t, line: first + i }));
const FIXTURE = path.resolve('test/fixtures/annotations/pkg');

describe('annotation values', () => {
  it('numbers: 6.0 is 6, a few ulps pass, more do not; NaN, Infinity; a written signed zero keeps its sign', () => {
    assert.ok(ok('6.0', 6));
    assert.ok(ok('0.30000000000000004', 0.1 + 0.2));
    assert.ok(ok('0.3', 0.1 + 0.2)); // one ulp
    assert.ok(!ok('0.3', 0.3 + 1e-12));
    assert.ok(!ok('6.0', 6.5));
    assert.ok(ok('NaN', NaN) && !ok('NaN', 1) && !ok('1.0', NaN));
    assert.ok(ok('Infinity', Infinity) && ok('-Infinity', -Infinity) && !ok('Infinity', -Infinity));
    assert.ok(ok('-0.0', -0) && !ok('-0.0', 0) && !ok('0.0', -0) && ok('0.0', 0));
  });

  it('~ rounds to the written decimals, or compares at the written significant digits with an exponent', () => {
    assert.ok(ok('~2.363', 2.3632718012073548));
    assert.ok(!ok('~2.364', 2.3632718012073548));
    assert.ok(ok('~0.8270', 0.82699999));
    assert.ok(!ok('~0.8271', 0.82699999));
    assert.ok(ok('~3.618e-17', 3.6180339887e-17));
    assert.ok(!ok('~3.619e-17', 3.6180339887e-17));
    assert.ok(ok('~-0.5', -0.49999));
  });

  it('strings, literals, arrays and objects element-wise, with wildcards and continuations', () => {
    assert.ok(ok("'Hello world'", 'Hello world') && !ok("'Hello'", 'Hello world') && !ok("'6'", 6));
    assert.ok(ok("'it\\'s'", "it's") && ok("'...'", 'x') && !ok("'...'", ''));
    assert.ok(ok('true', true) && !ok('true', 1) && ok('null', null) && !ok('null', undefined));
    assert.ok(ok('[ 1, 2, 3 ]', [1, 2, 3]) && !ok('[ 1, 2 ]', [1, 2, 3]));
    assert.ok(ok('[ 1, 2, ... ]', [1, 2, 3, 4]) && !ok('[ 1, 3, ... ]', [1, 2, 3]));
    assert.ok(ok('[ ~1.1, ..., ~10.5 ]', [1.1, 5, 10.49]) && !ok('[ 1, ..., 10 ]', [1, 9]));
    assert.ok(ok('[...]', [0]) && !ok('[...]', []) && ok('[]', []));
    assert.ok(ok("{ 'a': [ ~1.1, ~2.2 ], b: 'x' }", { a: [1.1001, 2.2], b: 'x' }));
    assert.ok(!ok("{ 'a': 1 }", { a: 1, b: 2 }) && ok("{ 'a': 1, ... }", { a: 1, b: 2 }));
    assert.ok(ok('...', Symbol('anything')));
  });

  it('<T> checks types and classes, with elements after it; A || B accepts either', () => {
    assert.ok(ok('<number>', 1.5) && !ok('<number>', '1.5') && ok('<string>', 's') && ok('<boolean>', false));
    assert.ok(ok('<string[]>', ['a', 'b']) && !ok('<string[]>', ['a', 1]));
    assert.ok(ok('<RegExp>', /x/) && ok('<Error>', new TypeError('t')) && !ok('<RegExp>', {}));
    assert.ok(ok('<Float64Array>[ 1.0, 2.0 ]', new Float64Array([1, 2])));
    assert.ok(!ok('<Float32Array>[ 1.0, 2.0 ]', new Float64Array([1, 2])));
    assert.ok(!ok('<Float64Array>[ 1.0, 3.0 ]', new Float64Array([1, 2])));
    assert.ok(ok('<Float64Array>[ ~1.1, ..., ~10.5 ]', new Float64Array([1.1, 3, 10.5])));
    assert.ok(ok('<number> || null', null) && ok('<number> || null', 2) && !ok('<number> || null', 'x'));
  });

  it('writes a value in the notation of the annotation it failed', () => {
    assert.equal(writeValue(2.3642, parsePattern('~2.363')), '~2.364');
    assert.equal(writeValue(3.6190339887e-17, parsePattern('~3.618e-17')), '~3.619e-17');
    assert.equal(writeValue(6, parsePattern('6.5')), '6.0');
    assert.equal(writeValue(-0, parsePattern('0.0')), '-0.0');
    assert.equal(writeValue(new Float64Array([2, 1]), parsePattern('<Float64Array>[ 1.0, 2.0 ]')), '<Float64Array>[ 2.0, 1.0 ]');
    assert.equal(writeValue({ a: "it's" }), "{ 'a': 'it\\'s' }");
    assert.equal(writeValue([1, 2, 3, 4], parsePattern('[ 1.0, ..., 3.0 ]')), '[ 1.0, ..., 4.0 ]');
    assert.equal(writeValue([1, 2, 3], parsePattern('[ 1, 2, ... ]')), '[ 1, 2, ... ]');
    assert.equal(writeValue(new Map(), parsePattern('<Set>')), '<Map>');
  });
});

describe('annotation examples: parsing', () => {
  it('the example is the code since the previous annotation; consecutive annotations check the same code', () => {
    const r = parseAnnotatedCode(lines('var x = [ 1, 2 ];\n\nswap( x, 0, 1 );\n// x => [ 2, 1 ]\n// returns true\nvar y = 3;\n// returns 3\nvar z = 4;'), 'f');
    assert.equal(r.examples.length, 2);
    assert.equal(r.examples[0].source, 'var x = [ 1, 2 ];\n\nswap( x, 0, 1 );');
    assert.equal(r.examples[0].line, 1);
    assert.equal(r.examples[0].want, 'x => [ 2, 1 ]\nreturns true\n');
    assert.deepEqual(r.examples[0].annotations!.map((a) => [a.kind, a.target]), [['mutates', 'x'], ['returns', undefined]]);
    assert.equal(r.examples[1].annotations![0].target, 'y');
    assert.deepEqual(r.pending.map((l) => l.text), ['var z = 4;']);
  });

  it('reads e.g., throws, => , /* returns … */ over lines, and the same-line form (not `// =>` after code)', () => {
    const r = parseAnnotatedCode(lines("foo();\n// e.g., returns [ 1, 3, 2 ]\nbeep();\n// throws <TypeError>\nconsole.log( 'a' );\n// => 'a'\nvar o = f();\n/* returns\n  { 'a': 1 }\n*/\nmath.add(2, 3)  // returns 5\nvar v = g(); // => g of nothing\n// returns 1"), 'f');
    const a = r.examples.map((e) => e.annotations![0]);
    assert.deepEqual(a.map((x) => [x.kind, x.exemplary]), [['returns', true], ['throws', false], ['prints', false], ['returns', false], ['returns', false], ['returns', false]]);
    assert.equal(a[3].value, "{ 'a': 1 }");
    assert.equal(a[3].multiline, true);
    assert.equal(r.examples[4].source, 'math.add(2, 3)');
    assert.equal(a[4].sameLine, true);
    assert.equal(r.examples[5].source, 'var v = g(); // => g of nothing');
  });

  it('an annotation inside a block or brackets is a plain comment: the code cannot be cut there', () => {
    const r = parseAnnotatedCode(lines("if ( ok ) {\n    x = f();\n    // returns 1\n}\nvar y = g( [\n  1 // returns 2\n] );\n// returns 3\nvar s = '{';\n// returns '{'"), 'f');
    assert.deepEqual(r.examples.map((e) => [e.line, e.want]), [[1, 'returns 3\n'], [9, "returns '{'\n"]]);
    assert.equal(r.examples[0].annotations![0].target, 'y');
  });

  it('returns compares the variable the last statement assigns', () => {
    assert.equal(assignedName('var v = gamma( 4.0 );'), 'v');
    assert.equal(assignedName('var a = 1;\nv = f(\n  a,\n  2\n);'), 'v');
    assert.equal(assignedName('var a = 1;\nf( a );'), undefined);
    assert.equal(assignedName('x === 1;'), undefined);
    assert.equal(assignedName('const v: Array<number> = f();'), 'v');
    assert.equal(assignedName('ok: f();'), undefined);
  });

  it('JSDoc: one block per @example section; comments with prompts read as before; @example >>> expr', () => {
    const text = [
      '/**', '* Doc.', '*', '* @example', '* var v = f( 1 );', '* // returns 2', '*', '* @example', '* var w = f( 2 );', '* // returns 3', '*/',
      'function f( x ) { return x + 1; }',
      '/**', ' * @example', ' * sage: f(1)', ' * 2', ' */', 'function g() {}',
      '/**', ' * @example >>> f(3)', ' * 4', ' */', 'function h() {}',
      '// > f(4)', '// 5', 'function k() {}',
      'function outer() {', '  /**', '  * @example', '  * var v = inner( 1 );', '  * // returns 1', '  */', '  function inner( x ) { return x; }', '}',
    ].join('\n');
    const { blocks, errors } = extractScriptBlocks(text, 'a.js');
    assert.deepEqual(errors, []);
    assert.deepEqual(blocks.map((b) => [b.name, b.line, b.examples.map((e) => [e.line, e.source, e.want, e.annotations !== undefined])]), [
      ['f', 4, [[5, 'var v = f( 1 );', 'returns 2\n', true]]],
      ['f', 8, [[9, 'var w = f( 2 );', 'returns 3\n', true]]],
      ['g', 13, [[15, 'f(1)', '2\n', false]]],
      ['h', 19, [[20, 'f(3)', '4\n', false]]],
      ['k', 24, [[24, 'f(4)', '5\n', false]]],
    ]);
  });

  it('Markdown: js/ts fences (indented in lists too) in one namespace; not C fences, not after run-disable, not past the last annotation', () => {
    const md = [
      '```javascript', "var f = require( './f' );", '```',
      '- item', '', '    ```js', '    var v = f( 1 );', '    // returns 2', '    var w = 5;', '    ```',
      '```c', 'double y = f( 1 );', '// returns 2', '```',
      '<!-- run-disable -->', '', '<!-- eslint-disable x -->', '', '```js', 'var z = nope();', '// returns 1', '```',
      '```ts', 'const u: number = w + 1;', '// returns 6', '```',
      '```js', 'console.log( 1 );', '```',
      'sage: 1 + 1', '2',
    ].join('\n');
    const { blocks } = extractTextBlocks(md, 'a.md', { markdown: true });
    assert.equal(blocks.length, 1);
    assert.deepEqual(blocks[0].examples.map((e) => [e.line, e.source, e.want]), [
      [2, "var f = require( './f' );", ''],
      [7, 'var v = f( 1 );', 'returns 2\n'],
      [9, 'var w = 5;', ''],
      [24, 'const u: number = w + 1;', 'returns 6\n'],
      [30, '1 + 1', '2\n'],
    ]);
  });
});

describe('annotation examples: checking', () => {
  const seen = (o: Partial<Observed>): Observed => ({ output: '', threw: false, lookup: () => undefined, ...o });

  it('got rewrites only the failing annotations with the actual values', () => {
    const { examples } = parseAnnotatedCode(lines('swap( x, y );\n// x => [ 2.0, 1.0 ]\n// y => [ ~3.14, 4.0 ]'), 'f');
    const values: Record<string, unknown> = { x: [2, 1], y: [3.14159, 5] };
    const r = checkAnnotations(examples[0].annotations!, seen({ lookup: (n) => values[n] }));
    assert.equal(r.ok, false);
    assert.equal(r.got, 'x => [ 2.0, 1.0 ]\ny => [ ~3.14, 5.0 ]\n');
  });

  it('=> compares printed output; throws compares the class; an unexpected exception fails; e.g., compares nothing', () => {
    const one = (code: string) => parseAnnotatedCode(lines(code), 'f').examples[0].annotations!;
    assert.ok(checkAnnotations(one("log();\n// => 'Hello'"), seen({ output: 'Hello\n' })).ok);
    assert.ok(!checkAnnotations(one("log();\n// => 'Hello'"), seen({ output: 'Bye\n' })).ok);
    assert.ok(checkAnnotations(one('log();\n// => [ 1, 2 ]'), seen({ output: '[ 1, 2 ]\n' })).ok);
    assert.ok(checkAnnotations(one('console.log( z );\n// => <Float64Array>[ 2.0, 4.0 ]'), seen({ output: 'Float64Array(2) [ 2, 4 ]\n' })).ok);
    const typed = checkAnnotations(one('console.log( z );\n// => <Float32Array>[ 2.0, 4.0 ]'), seen({ output: 'Float64Array(2) [ 2, 4 ]\n' }));
    assert.deepEqual([typed.ok, typed.got], [false, '=> <Float64Array>[ 2.0, 4.0 ]\n']);
    assert.ok(checkAnnotations(one('f();\n// throws <TypeError>'), seen({ threw: true, error: new TypeError('x') })).ok);
    const wrong = checkAnnotations(one('f();\n// throws <RangeError>'), seen({ threw: true, error: new TypeError('x') }));
    assert.deepEqual([wrong.ok, wrong.got], [false, 'throws <TypeError>\n']);
    assert.ok(!checkAnnotations(one('f();\n// throws'), seen({ value: 1 })).ok);
    assert.ok(checkAnnotations(one('f();\n// throws RangeError as the size is wrong'), seen({ threw: true, error: new RangeError('x') })).ok);
    assert.ok(checkAnnotations(one("f();\n// throws TypeError: bad"), seen({ threw: true, error: new TypeError('bad input') })).ok);
    assert.ok(!checkAnnotations(one("f();\n// throws TypeError: good"), seen({ threw: true, error: new TypeError('bad input') })).ok);
    assert.ok(checkAnnotations(one('math.floor(c)  // returns Complex 3 - 3i ...'), seen({ value: { type: 'Complex', format: () => '3 - 3i' } })).ok);
    assert.ok(checkAnnotations(one('m  // returns [[1, 2]]'), seen({ value: { toArray: () => [[1, 2]] } })).ok);
    assert.ok(!checkAnnotations(one('f();\n// returns 1'), seen({ threw: true, error: new Error('boom') })).ok);
    assert.ok(checkAnnotations(one('f();\n// e.g., returns 1'), seen({ value: 7 })).ok);
    assert.ok(checkAnnotations(one('math.add(a, b)  // returns Complex -2 + 4i'), seen({ value: { type: 'Complex', toString: () => '-2 + 4i' } })).ok);
  });
});

describe('annotation examples: end to end', function () {
  this.timeout(60_000);

  it('runs a package as published: lib (CommonJS, main export by name), README (require, lists), the declaration file', async () => {
    const dir = scratch({});
    cpSync(FIXTURE, dir, { recursive: true });
    const r = await mtestIn(dir, ['--serial', '--random-seed', '1', '.']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /\n11 passed, 0 failed, 0 skipped\n$/);
  });

  it('an altered annotation fails at its example, showing the value as the annotation would write it', async () => {
    const dir = scratch({});
    cpSync(FIXTURE, dir, { recursive: true });
    const main = path.join(dir, 'lib/main.js');
    writeFileSync(main, readFileSync(main, 'utf8').replace('// returns ~3.236', '// returns ~3.237').replace('// returns -0.0', '// returns 0.0'));
    const types = path.join(dir, 'docs/types/index.d.ts');
    writeFileSync(types, readFileSync(types, 'utf8').replace('~4.854 ]', '~4.855 ]'));
    const readme = path.join(dir, 'README.md');
    writeFileSync(readme, readFileSync(readme, 'utf8').replace("// => 'v=0'", "// => 'v=1'"));
    const r = await mtestIn(dir, ['--serial', '--random-seed', '1', '.']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /File "lib\/main\.js", line 10, in phi\nFailed example:\n {4}var v = phi\( 2\.0 \);\nExpected:\n {4}returns ~3\.237\nGot:\n {4}returns ~3\.236\n/);
    assert.match(r.out, /File "lib\/main\.js", line 14, in phi\n[\s\S]*?Expected:\n {4}returns 0\.0\nGot:\n {4}returns -0\.0\n/);
    assert.match(r.out, /File "docs\/types\/index\.d\.ts", line 9, in phi\n[\s\S]*?Got:\n {4}returns \[ ~1\.618, \.\.\., ~4\.854 \]\n/);
    assert.match(r.out, /File "README\.md", line 33[\s\S]*?Got:\n {4}=> 'v=0'\n/);
    assert.match(r.out, /\n7 passed, 4 failed, 0 skipped\n$/);
  });

  it('--fix rewrites a wrong annotation in place, in its notation (~ keeps its precision), and nothing else', async () => {
    const dir = scratch({});
    cpSync(FIXTURE, dir, { recursive: true });
    const files = ['lib/main.js', 'README.md', 'docs/types/index.d.ts'].map((f) => path.join(dir, f));
    const before = files.map((f) => readFileSync(f, 'utf8'));
    const alter = (f: string, from: string, to: string): void => writeFileSync(f, readFileSync(f, 'utf8').replace(from, to));
    alter(files[0], '// returns ~3.236', '// returns ~3.237');
    alter(files[0], '// returns ~1.618e-17', '// returns ~1.619e-17');
    alter(files[0], '// returns -0.0', '// returns 0.0');
    alter(files[1], "// => 'v=0'", "// => 'v=1'");
    alter(files[1], '// x => <Float64Array>[ 2.0, 1.0 ]', '// x => <Float64Array>[ 1.0, 2.0 ]');
    alter(files[2], '~4.854 ]', '~4.855 ]');
    const r = await mtestIn(dir, ['--serial', '--random-seed', '1', '--fix', '.']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /Fixed lib\/main\.js:10: /);
    assert.deepEqual(files.map((f) => readFileSync(f, 'utf8')), before);
  });

  it("Node REPL '> ' prompts (continued by '...') when the configuration's prompts list '>'", async () => {
    const add = '/**\n * @example\n * > add(1, 2)\n * 3\n * > [1, 2].map(\n * ...   (x) => add(x, x))\n * [ 2, 5 ]\n */\nexport function add(a, b) { return a + b; }\n';
    const off = await mtestIn(scratch({ 'add.mjs': add }), ['--serial', '--random-seed', '1', 'add.mjs']);
    assert.match(off.err + off.out, /no examples found|0 passed, 0 failed/);
    const dir = scratch({ 'add.mjs': add, 'mtest.config.json': JSON.stringify({ prompts: ['sage:', '>>>', '>'], prelude: [] }) });
    const on = await mtestIn(dir, ['--serial', '--random-seed', '1', 'add.mjs']);
    assert.equal(on.code, 1, on.out + on.err);
    assert.match(on.out, /line 5, in add\nFailed example:\n {4}\[1, 2\]\.map\(\n {4} {2}\(x\) => add\(x, x\)\)\nExpected:\n {4}\[ 2, 5 \]\nGot:\n {4}\[ 2, 4 \]\n/);
    assert.match(on.out, /\n1 passed, 1 failed, 0 skipped\n$/);
  });

  it("a TypeScript module's examples see its exports; --typecheck checks them", async () => {
    const sq = '/**\n * @example\n * const v: number = square( 3 );\n * // returns 9.0\n *\n * @example\n * const s: string = square( 2 );\n * // returns 4\n */\nexport function square(x: number): number { return x * x; }\n';
    const dir = scratch({ 'sq.ts': sq });
    // --typecheck uses the project's own typescript: this checkout's, linked in
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(path.join(packageRoot(), 'node_modules', 'typescript'), path.join(dir, 'node_modules', 'typescript'), 'dir');
    const plain = await mtestIn(dir, ['--serial', '--random-seed', '1', 'sq.ts']);
    assert.equal(plain.code, 0, plain.out + plain.err);
    assert.match(plain.out, /\n2 passed, 0 failed, 0 skipped\n$/);
    const checked = await mtestIn(dir, ['--serial', '--random-seed', '1', '--typecheck', 'sq.ts']);
    assert.equal(checked.code, 1, checked.out + checked.err);
    assert.match(checked.out, /File "sq\.ts", line 7, in square\nFailed example:\n {4}const s: string = square\( 2 \);\nline 7: TS2322: /);
  });

  it("a CommonJS file's examples see its top-level names, private helpers and required modules included", async () => {
    const dir = scratch({
      'helper.js': "'use strict';\nmodule.exports = function twice( x ) { return 2 * x; };\n",
      'main.js': "'use strict';\nvar twice = require( './helper.js' );\nvar OFFSET = 1;\n/**\n* @private\n* @example\n* var v = shift( twice( 2 ) );\n* // returns 5\n*/\nfunction shift( x ) { return x + OFFSET; }\n/**\n* @example\n* var v = api( 3 );\n* // returns 7\n*/\nfunction api( x ) { return shift( twice( x ) ); }\nmodule.exports = api;\n",
    });
    const r = await mtestIn(dir, ['--serial', '--random-seed', '1', 'main.js']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /\n2 passed, 0 failed, 0 skipped\n$/);
  });

  it('a module an example requires that is not installed: that example and those using its names are skipped, the rest run', async () => {
    const dir = scratch({
      'README.md': "```js\nvar nope = require( 'not-installed-anywhere' );\nvar arr = nope( 2 );\n// returns [ 1, 2 ]\n\nvar len = arr.length;\n// returns 2\n\nvar arr = [ 1 ];\n// returns [ 1 ]\n\nvar n = arr.length;\n// returns 2\n```\n",
    });
    const r = await mtestIn(dir, ['--serial', '--random-seed', '1', 'README.md']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /File "README\.md", line 12[\s\S]*Expected:\n {4}returns 2\nGot:\n {4}returns 1\n/);
    assert.match(r.out, /\n1 passed, 1 failed, 2 skipped\n$/);
  });

  it('skips, saying why, the examples of a module that cannot be loaded (an unbuilt native addon)', async () => {
    const dir = scratch({
      'native.js': "'use strict';\n/**\n* @example\n* var v = f( 1 );\n* // returns 1\n*/\nmodule.exports = require( './build/addon.node' );\n",
    });
    const r = await mtestIn(dir, ['--serial', '--verbose', '--random-seed', '1', 'native.js']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /\n0 passed, 0 failed, 1 skipped\n$/);
  });
});
