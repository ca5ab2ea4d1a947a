// Hostile file names and trees: links that cannot be followed, names holding line breaks, ANSI escapes or
// GitHub workflow commands, names that look like options. Each is one line naming it, never a crash, never
// a line of mtest's output that a terminal or GitHub reads as a command; the rest of the run goes on.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { isRoot, NOBODY, runMerged, scratch } from './process-helpers.js';

const QUICK = ['--prelude', 'node:util', '--random-seed', '1', '--no-status'];
const MODES: [string, string[]][] = [['workers', ['-p', '2']], ['--serial', ['--serial']]];

/** A good file and three links that cannot be followed (the hidden directory is not walked itself); for `nobody` when run as root. */
function brokenLinks(): string {
  const dir = scratch({ 'ok.md': 'sage: 1 + 1\n2\n', '.locked/t.md': 'sage: 2 + 2\n4\n' });
  symlinkSync('loop.md', path.join(dir, 'loop.md'));
  symlinkSync(path.join('ok.md', 'x'), path.join(dir, 'through.md'));
  symlinkSync(path.join('.locked', 't.md'), path.join(dir, 'inside.md'));
  if (isRoot) {
    // run as nobody: everything theirs but the locked directory
    for (const name of ['', 'ok.md']) chownSync(path.join(dir, name), NOBODY, NOBODY);
    chmodSync(path.join(dir, '.locked'), 0o700);
  } else chmodSync(path.join(dir, '.locked'), 0o000);
  return dir;
}

describe('discovery: links that cannot be followed', function () {
  this.timeout(60000);

  for (const [mode, flags] of MODES) {
    it(`${mode}: a loop, a link through a file and one into an unreadable directory are one line each; the rest runs`, async () => {
      const dir = brokenLinks();
      const r = await runMerged(dir, [...QUICK, ...flags, '.'], true);
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, /^mtest -t ok\.md$/m);
      assert.equal(r.out.trimEnd().split('\n').pop(), '1 passed, 0 failed, 0 skipped', r.out);
      const lines = r.out.split('\n').filter((l) => l.startsWith('mtest: ') && !l.includes('.mtest'));
      assert.deepEqual(lines.sort(), [
        'mtest: inside.md: symbolic link into a directory mtest may not read (EACCES)',
        'mtest: loop.md: symbolic link loop (ELOOP)',
        'mtest: through.md: symbolic link through a file (ENOTDIR)',
      ]);
      assert.ok(!r.out.includes('internal error'), r.out);
    });
  }

  it('mtest list: the same lines, and the examples of the rest', async () => {
    const dir = brokenLinks();
    const r = await runMerged(dir, ['list', '.'], true);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /^ok\.md:1 {2}\[ok\.md\] {2}1 \+ 1$/m);
    assert.match(r.out, /^mtest: loop\.md: symbolic link loop \(ELOOP\)$/m);
    assert.match(r.out, /^mtest: through\.md: symbolic link through a file \(ENOTDIR\)$/m);
    assert.match(r.out, /^mtest: inside\.md: symbolic link into a directory mtest may not read \(EACCES\)$/m);
    assert.ok(!r.out.includes('internal error'), r.out);
  });

  it('a link to a directory is still not followed, and says nothing', async () => {
    const dir = scratch({ 'ok.md': 'sage: 1 + 1\n2\n', 'sub/t.md': 'sage: 1\n1\n' });
    mkdirSync(path.join(dir, 'other'));
    symlinkSync('..', path.join(dir, 'other', 'up.md'));
    const r = await runMerged(dir, [...QUICK, '--serial', '.']);
    assert.equal(r.code, 0, r.out);
    assert.ok(!r.out.includes('mtest: '), r.out);
    assert.deepEqual(readdirSync(path.join(dir, 'other')), ['up.md']);
  });
});
