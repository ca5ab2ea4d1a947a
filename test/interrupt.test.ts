import assert from 'node:assert/strict';
import { INTERRUPTED } from '../src/execute/index.js';
import { syncGuard, VmGuard } from '../runner/interrupt.js';

describe('SyncGuard (serial time limits)', () => {
  for (const [name, make] of [
    ['addon guard', () => syncGuard()],
    ['vm fallback', () => new VmGuard()],
  ] as const) {
    it(`${name}: interrupts a synchronous loop at its limit, and the process goes on`, () => {
      const guard = make();
      const started = Date.now();
      const r = guard.call(() => {
        for (;;);
      }, {}, 200);
      assert.equal(r, INTERRUPTED);
      assert.ok(Date.now() - started < 2000);
      assert.equal(guard.call((ns) => (ns as { x: number }).x * 2, { x: 21 }, 1000), 42, 'the next call runs normally');
    });

    it(`${name}: passes exceptions through`, () => {
      assert.throws(() => make().call(() => { throw new RangeError('bad'); }, {}, 1000), /bad/);
    });
  }

  it('the addon guard is the one in use when built (not the vm fallback)', () => {
    assert.ok(!(syncGuard() instanceof VmGuard));
  });
});
