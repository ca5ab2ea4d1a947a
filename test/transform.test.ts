import assert from 'node:assert/strict';
import { quickCompile } from '../src/execute/quick.js';
import { compileExample, ExampleSyntaxError, IMPORT_HELPER } from '../src/execute/transform.js';

describe('compileExample', () => {
  it('turns top-level declarations into namespace assignments and reports the names', () => {
    const c = compileExample('const A = 1, {b, c: [d]} = obj; let e; function f() {} class G {}');
    assert.deepEqual(c.declared.sort(), ['A', 'G', 'b', 'd', 'e', 'f']);
    assert.doesNotMatch(c.body, /\b(const|let)\b/);
    assert.equal(c.returnsValue, false);
  });

  it('returns the value of a last expression statement, keeping line count', () => {
    const c = compileExample('const x = 2\nx *\n  3  // tol 1e-9');
    assert.equal(c.returnsValue, true);
    assert.equal(c.body.split('\n').length, 3);
    assert.match(c.body, /return \(x \*\n {2}3\);/);
  });

  it('does not display declarations or loops', () => {
    assert.equal(compileExample('let s = 0').returnsValue, false);
    assert.equal(compileExample('for (let i = 0; i < 3; i++) s += i').returnsValue, false);
  });

  it('strips TypeScript types, generics included', () => {
    const c = compileExample('const n: number = id<number>(3) as number');
    assert.doesNotMatch(c.body, /number/);
    assert.deepEqual(c.declared, ['n']);
  });

  it('rewrites imports to awaited calls of the import helper', () => {
    const c = compileExample("import def, { a as b, c } from './m.js'");
    assert.deepEqual(c.declared.sort(), ['b', 'c', 'def']);
    assert.ok(c.body.includes(`await ${IMPORT_HELPER}("./m.js")`));
    const star = compileExample("import * as ns from 'node:path'");
    assert.deepEqual(star.declared, ['ns']);
  });

  it('treats a bare assignment to a new name as a declaration, but not to a global', () => {
    assert.deepEqual(compileExample('z = 3').declared, ['z']);
    assert.deepEqual(compileExample('globalThis.q = 3').declared, []);
    assert.deepEqual(compileExample('process = 3', (n) => n === 'process').declared, []);
  });

  it('throws ExampleSyntaxError with the line inside the example', () => {
    assert.throws(() => compileExample('1 +\n(2'), (e: unknown) => e instanceof ExampleSyntaxError && e.exampleLine === 2);
    assert.throws(() => compileExample('export const x = 1'), ExampleSyntaxError);
  });
});

describe('quickCompile', () => {
  it('takes single expressions and simple declarations without a parse', () => {
    assert.deepEqual(quickCompile('x * 3'), { body: 'return (x * 3\n);', declared: [], returnsValue: true, async: false, unverified: true });
    assert.deepEqual(quickCompile('const x = 10')?.declared, ['x']);
    assert.equal(quickCompile('const x = 10')?.returnsValue, false);
    assert.deepEqual(quickCompile('const A = matrix([[1, 2], [3, 4]])')?.declared, ['A']);
    assert.deepEqual(quickCompile('const o = { a: 1, b: c ? 2 : 3 }')?.declared, ['o']);
  });

  it('one declarator only: a comma outside brackets, or commas next to strings, take the full path', () => {
    assert.equal(quickCompile('const a = 1, b = 2'), undefined);
    assert.equal(quickCompile("const a = '(' + x, c = ')'"), undefined);
    assert.equal(quickCompile('const a = f(1, 2)\nf(3)'), undefined);
  });

  it('leaves statements, several declarators, awaits, type annotations and type arguments to the full path', () => {
    for (const src of ['const a = 1, b = 2', 'await f()', 'const n: number = 1', 'id<number>(3)', 'a; b', 'if (x) y', 'label: x']) {
      assert.equal(quickCompile(src), undefined, src);
    }
  });

  it('a generic call is type-stripped by the full path rather than read as comparisons', () => {
    const c = compileExample('id<number>(3)');
    assert.equal(c.body.replace(/\s+/g, ''), 'return(id(3));');
  });
});

describe('quickCompile: lone loops', () => {
  it('runs a one-line loop as it is, declaring and displaying nothing', () => {
    assert.deepEqual(quickCompile('for (let i = 0; i < 10; i++) s += i'), { body: 'for (let i = 0; i < 10; i++) s += i', declared: [], returnsValue: false, async: false, unverified: true });
    assert.equal(quickCompile('while (n > 1) n = n / 2')?.returnsValue, false);
    assert.ok(quickCompile('for (const [k, v] of Object.entries(o)) console.log(k, v)'));
  });

  it('leaves loops followed by more code, declarations or awaits to the full path', () => {
    for (const src of ['for (;;) {} x', 'for (let i = 0; i < 3; i++) s += i; s', 'for (const x of xs) { const y = x }', 'for await (const x of it) {}', 'for (let i = 0; i < 3; i++)\n  s += i', 'for (x of y) f(function () {})']) {
      assert.equal(quickCompile(src), undefined, src);
    }
  });
});
