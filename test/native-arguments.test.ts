// The native addons check what JavaScript hands them, in C++: a dimension that does not fit, an offset and
// count whose byte size overflows, NaN where an integer belongs, an array element whose getter throws.
// Each is a TypeError or RangeError the caller can catch, never a segfault, an abort or a silent wrap to
// 32 bits. Every call runs in a child process, so that a crash is seen as one rather than ending the suite.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ADDON } from '../src/engine/native.js';

const ENGINE = path.join(process.cwd(), ADDON);
const GUARD = path.join(process.cwd(), 'build', 'Release', 'mtest_guard.node');

/** Runs `body` (with `addon` loaded from `file`) in a fresh node; its JSON line, or how it died. */
function inChild(file: string, body: string): { result?: unknown; code: number | null; signal: string | null; err: string } {
  const script = `
    const addon = require(${JSON.stringify(file)});
    const out = (() => { ${body} })();
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
  let result: unknown;
  try {
    result = JSON.parse(r.stdout);
  } catch {
    result = undefined;
  }
  return { result, code: r.status, signal: r.signal, err: r.stderr };
}

/** The body of a child that calls `call` and says what it threw. */
const caught = (call: string): string => `try { ${call}; return 'returned'; } catch (e) { return e.constructor.name + ': ' + e.message; }`;

describe('native arguments: the engine', function () {
  this.timeout(30000);

  it('syrk with two huge counts is a RangeError, not a segfault', () => {
    // n·n·8 bytes of C wrap past 2^64 to just under 4.7 GB (a buffer that size is only reserved, never
    // touched), and A's offset plus n·k elements wrap to 0 bytes: checked as (offset + count) * 8 in 64
    // bits, both passed and dsyrk ran over memory that is not there.
    const n = 1518500250;
    const call = `addon.syrk(new ArrayBuffer(64), 1482131702, new ArrayBuffer(4708448384 + 64), 0, ${n}, ${n - 1}, 0)`;
    const r = inChild(ENGINE, caught(call));
    assert.equal(r.signal, null, r.err);
    assert.match(String(r.result), /^RangeError: mul: buffer too short/);
  });

  it('an offset past the buffer, or an offset and count whose sum overflows, is a RangeError', () => {
    for (const call of [
      'addon.gemm(new ArrayBuffer(64), 2 ** 31 - 1, new ArrayBuffer(64), 0, new ArrayBuffer(64), 0, 1, 1, 1)',
      'addon.axpy(new ArrayBuffer(64), 9, new ArrayBuffer(64), 0, new ArrayBuffer(64), 0, 1, 1)',
      'addon.gemv(new ArrayBuffer(64), 0, new ArrayBuffer(64), 0, new ArrayBuffer(64), 0, 2 ** 31 - 1, 2 ** 31 - 1)',
    ]) {
      const r = inChild(ENGINE, caught(call));
      assert.equal(r.signal, null, r.err);
      assert.match(String(r.result), /^RangeError: /, call);
    }
  });

  it('2 ** 32 + 1 is not read as 1, nor NaN, -1 or 1.5 as a dimension', () => {
    for (const bad of ['2 ** 32 + 1', 'NaN', '-1', '1.5', 'Infinity']) {
      const r = inChild(ENGINE, caught(`addon.gemm(new ArrayBuffer(8), 0, new ArrayBuffer(8), 0, new ArrayBuffer(8), 0, ${bad}, 1, 1)`));
      assert.equal(r.signal, null, r.err);
      assert.match(String(r.result), /^RangeError: mul: /, bad);
    }
    const r = inChild(ENGINE, caught("addon.dot(new ArrayBuffer(8), 0, new ArrayBuffer(8), 0, '1')"));
    assert.match(String(r.result), /^TypeError: dot: /);
  });

  it('a flag other than 0 or 1 is a RangeError; a buffer that is not one is a TypeError', () => {
    const flag = inChild(ENGINE, caught('addon.syrk(new ArrayBuffer(8), 0, new ArrayBuffer(8), 0, 1, 1, 2)'));
    assert.match(String(flag.result), /^RangeError: mul: /);
    const notBuffer = inChild(ENGINE, caught('addon.nrm2([1, 2], 0, 2)'));
    assert.match(String(notBuffer.result), /^TypeError: norm: argument 0 must be an ArrayBuffer$/);
  });

  it('valid calls still compute', () => {
    const r = inChild(
      ENGINE,
      `const a = new Float64Array([1, 2, 3, 4]), c = new Float64Array(4);
       addon.gemm(a.buffer, 0, a.buffer, 0, c.buffer, 0, 2, 2, 2);
       const s = new Float64Array(4);
       addon.syrk(a.buffer, 0, s.buffer, 0, 2, 2, 0);
       return [...c, ...s, addon.dot(a.buffer, 2, a.buffer, 2, 2), addon.frobenius(a.buffer, 0, 4)];`,
    );
    assert.deepEqual(r.result, [7, 10, 15, 22, 5, 11, 11, 25, 25, Math.sqrt(30)]);
  });
});

describe('native arguments: the process guard', function () {
  this.timeout(30000);
  before(function () {
    if (!existsSync(GUARD)) assert.fail(`${GUARD} is not built (npm ci builds it on Linux)`);
  });

  it('an argv element whose getter throws: the exception reaches the caller, the process lives', () => {
    const r = inChild(
      GUARD,
      caught("const argv = ['/bin/true', 'x']; Object.defineProperty(argv, 1, { get() { throw new Error('getter') } }); addon.spawnCapture(argv, 1000)"),
    );
    assert.equal(r.signal, null, r.err);
    assert.equal(r.result, 'Error: getter');
  });

  it('NaN, huge and fractional numbers are refused, never cast', () => {
    for (const [call, type] of [
      ['addon.dieWithParent(NaN)', 'RangeError'],
      ['addon.dieWithParent(2 ** 40)', 'RangeError'],
      ['addon.dup(NaN)', 'RangeError'],
      ['addon.dup(2 ** 40)', 'RangeError'],
      ['addon.exitNow(NaN)', 'RangeError'],
      ['addon.exitNow(256.5)', 'RangeError'],
      ['addon.umask(NaN)', 'RangeError'],
      ['addon.umask(0o1000)', 'RangeError'],
      ["addon.spawnCapture(['/bin/true'], NaN)", 'RangeError'],
      ["addon.spawnCapture(['/bin/true'], 'soon')", 'TypeError'],
      ['addon.spawnCapture([1], 1000)', 'TypeError'],
    ] as const) {
      const r = inChild(GUARD, caught(call));
      assert.equal(r.signal, null, `${call}: ${r.err}`);
      assert.equal(r.code, 0, `${call}: ${r.err}`);
      assert.match(String(r.result), new RegExp(`^${type}: `), call);
    }
    const ok = inChild(GUARD, "return [addon.spawnCapture(['/bin/echo', 'hi'], 5000), addon.dup(1) >= 10];");
    assert.deepEqual(ok.result, [{ status: 0, output: 'hi\n' }, true]);
  });
});
