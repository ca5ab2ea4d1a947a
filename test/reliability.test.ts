// The report is never lost: mtest run as a process, as users and CI scripts run it, with the faults that
// used to cut its output or end it without its closing line.
import assert from 'node:assert/strict';
import { finished, lastLine, scratch, startMtest } from './process-helpers.js';

const CLOSING = /^\d+ passed, \d+ failed, \d+ skipped(, \d+ not run)?$/;

describe('output through pipes', function () {
  this.timeout(60000);

  function manyFiles(n: number): Record<string, string> {
    const files: Record<string, string> = {};
    for (let k = 0; k < n; k++) files[`f${k}.md`] = Array.from({ length: 20 }, (_, i) => `sage: ${k} + ${i} // a comment that makes the listing longer\n${k + i}\n`).join('');
    return files;
  }

  it('mtest list --json arrives whole to a reader that starts late', async () => {
    const dir = scratch(manyFiles(60));
    const child = startMtest(dir, ['list', '--json', '.']);
    child.stdout!.pause();
    await new Promise((r) => setTimeout(r, 700));
    const done = finished(child);
    child.stdout!.resume();
    const r = await done;
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.length > 200_000, `a listing larger than a pipe holds (${r.out.length} bytes)`);
    const listed = JSON.parse(r.out) as unknown[];
    assert.equal(listed.length, 60 * 20);
  });

  it('a report read slowly through a pipe ends with its closing line', async () => {
    const dir = scratch(manyFiles(40));
    const child = startMtest(dir, ['-p', '2', '--prelude', 'node:util', '.']);
    const done = finished(child);
    child.stdout!.pause();
    await new Promise((r) => setTimeout(r, 1500));
    child.stdout!.resume();
    const r = await done;
    assert.equal(r.code, 0, r.err);
    assert.equal(lastLine(r.out), '800 passed, 0 failed, 0 skipped');
  });

  for (const mode of [['-p', '1'], ['--serial']]) {
    it(`a reader that goes away (| head -1) does not turn a failing run into exit 0 (${mode.join(' ')})`, async () => {
      const dir = scratch({ 'a.md': 'sage: 1 + 1\n3\n\nsage: await new Promise((r) => setTimeout(r, 300))\nsage: 2\n2\n' });
      const child = startMtest(dir, [...mode, '--prelude', 'node:util', 'a.md']);
      child.stdout!.once('data', () => child.stdout!.destroy());
      const r = await finished(child);
      assert.equal(r.signal, null);
      assert.equal(r.code, 1, r.err);
    });
  }
});
