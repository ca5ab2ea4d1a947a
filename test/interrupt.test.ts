import assert from 'node:assert/strict';
import { INTERRUPTED } from '../src/execute/index.js';
import { AddonGuard, syncGuard, VmGuard } from '../runner/serial/interrupt.js';
import { Watchdog } from '../runner/serial/watchdog.js';
import type { Example } from '../src/model.js';
import { limitOf } from '../src/options.js';

const example = (timeout: number): Example => ({ source: 'for (;;) {}', want: '', line: 3, indent: 0, directives: { needs: [], errors: [], timeout } });

describe('SyncGuard (serial time limits)', () => {
  it('addon guard + watchdog: a synchronous loop is interrupted at its limit, and the process goes on', async () => {
    const guard = syncGuard();
    assert.ok(guard instanceof AddonGuard, 'the addon is built and preferred over the vm fallback');
    const watchdog = Watchdog.start({ mode: 'serial', gdb: false, guardAddon: guard.addonPath });
    try {
      await new Promise((r) => setTimeout(r, 100)); // the thread is up
      watchdog.fileStarted(0, 0, 0);
      watchdog.exampleStarted(0, limitOf(example(0.2), { timeout: 60 }));
      const started = Date.now();
      const r = guard.call(() => {
        for (;;);
      }, {}, 200);
      watchdog.exampleEnded();
      assert.equal(r, INTERRUPTED);
      // at its 0.2 s limit, give or take a loaded machine: far from the 60 s default limit
      assert.ok(Date.now() - started < 10000, `interrupted after ${Date.now() - started} ms`);
      assert.equal(guard.call((ns) => (ns as { x: number }).x * 2, { x: 21 }, 1000), 42, 'the next call runs normally');
    } finally {
      await watchdog.stop();
    }
  });

  it('addon guard: interrupt() with no guarded call in progress does nothing', () => {
    const guard = syncGuard() as AddonGuard;
    assert.equal(guard.interrupt(), false);
    assert.equal(guard.call(() => 7, {}, 1000), 7);
  });

  it('vm fallback: interrupts a synchronous loop at its limit by itself', () => {
    const r = new VmGuard().call(() => {
      for (;;);
    }, {}, 200);
    assert.equal(r, INTERRUPTED);
  });

  for (const [name, make] of [
    ['addon guard', () => syncGuard()],
    ['vm fallback', () => new VmGuard()],
  ] as const) {
    it(`${name}: passes exceptions through`, () => {
      assert.throws(() => make().call(() => { throw new RangeError('bad'); }, {}, 1000), /bad/);
    });
  }
});
