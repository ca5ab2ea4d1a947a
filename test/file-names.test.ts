// Hostile file names and trees: links that cannot be followed, names holding line breaks, ANSI escapes or
// GitHub workflow commands, names that look like options. Each is one line naming it, never a crash, never
// a line of mtest's output that a terminal or GitHub reads as a command; the rest of the run goes on.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
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
      // (besides the note that -p 2 starts one worker for one file)
      const lines = r.out.split('\n').filter((l) => l.startsWith('mtest: ') && !l.startsWith('mtest: -p '));
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

/** Failing files with hostile names (and one with a bad directive, so that an input error names it too). */
const HOSTILE: Record<string, string> = {
  'a\n::stop-commands::pause.md': 'sage: 1 + 1\n3\n',
  'a,line=99,title=x.md': 'sage: 1 + 1\n3\n',
  '\x1b[31mred\x1b[0m.md': 'sage: 1 + 1\n3\n',
  '-dash.md': 'sage: 1 + 1\n3\n',
  'two words.md': 'sage: 1 + 1\n3\n',
  'bad\r\ninput.md': '<!-- mtest: nonsense -->\nsage: 1 + 1\n3\n',
  '::stop-commands::tok.md': '<!-- mtest: nonsense -->\nsage: 1 + 1\n3\n',
};

describe('hostile file names in the report', function () {
  this.timeout(60000);

  for (const [mode, flags] of MODES) {
    it(`${mode}: no name starts a line or reaches the log raw; every GitHub property and message is escaped`, async () => {
      const dir = scratch(HOSTILE);
      const r = await runMerged(dir, [...QUICK, ...flags, '--format', 'github', '.']);
      assert.equal(r.code, 1 | 2, r.out);
      assert.equal(r.out.trimEnd().split('\n').pop(), '0 passed, 7 failed, 0 skipped', r.out);
      assert.ok(!r.out.includes('\x1b'), 'no raw escape character');
      assert.ok(!r.out.includes('\r'), 'no raw carriage return');
      const commands = r.out.split('\n').filter((l) => l.trimStart().startsWith('::'));
      assert.ok(commands.every((l) => l.startsWith('::error file=')), commands.join('\n'));
      assert.equal(commands.length, 9, commands.join('\n'));
      const files = commands.map((l) => /^::error file=([^,]*),line=/.exec(l)![1]).sort();
      assert.deepEqual(files, [
        '-dash.md', '\\x1b[31mred\\x1b[0m.md', 'a%0A%3A%3Astop-commands%3A%3Apause.md', 'a%2Cline=99%2Ctitle=x.md',
        'bad%0D%0Ainput.md', 'bad%0D%0Ainput.md', 'two words.md', '%3A%3Astop-commands%3A%3Atok.md', '%3A%3Astop-commands%3A%3Atok.md',
      ].sort());
      assert.match(r.out, /^\.\/::stop-commands::tok\.md:1: /m);
      assert.match(r.out, /^mtest -t \$'a\\n::stop-commands::pause\.md'$/m);
      assert.match(r.out, /^File "a\\n::stop-commands::pause\.md", line 1, in a\\n::stop-commands::pause\.md$/m);
      assert.match(r.out, /^mtest: bad\\r\\ninput\.md:1: /m);
    });
  }

  it('mtest list: names escaped; no line starts with a workflow command', async () => {
    const dir = scratch(HOSTILE);
    const r = await runMerged(dir, ['list', '.']);
    assert.ok(!r.out.includes('\x1b') && !r.out.includes('\r'), r.out);
    assert.ok(!r.out.split('\n').some((l) => l.startsWith('::')), r.out);
    assert.match(r.out, /^a\\n::stop-commands::pause\.md:1 {2}\[a\\n::stop-commands::pause\.md\] {2}1 \+ 1$/m);
    assert.match(r.out, /^\.\/::stop-commands::tok\.md:2 {2}/m);
  });

  it('every rerun hint is a command the shell runs as written: ./ before a dash, quotes around spaces and controls', async () => {
    const dir = scratch(HOSTILE);
    const r = await runMerged(dir, [...QUICK, '--serial', '.']);
    const hints = r.out.split('\n').filter((l) => l.startsWith('mtest -t ') && l.includes('  # '));
    assert.equal(hints.length, 7, r.out);
    assert.ok(hints.includes('mtest -t ./-dash.md  # 1 doctest failed'), hints.join('\n'));
    assert.ok(hints.includes("mtest -t 'two words.md'  # 1 doctest failed"), hints.join('\n'));
    for (const hint of hints) {
      const command = hint.replace(/^mtest /, `'${process.execPath}' '${path.join(process.cwd(), 'bin', 'mtest.js')}' --serial --prelude node:util `).replace(/ {2}#.*$/, '');
      const again = await runMerged(dir, ['-c', command].map(String), false, 'bash');
      assert.equal(again.out.trimEnd().split('\n').pop(), '0 passed, 1 failed, 0 skipped', `${hint}\n${again.out}`);
    }
  });
});

describe('JUnit: characters XML cannot hold', function () {
  this.timeout(60000);

  for (const [mode, flags] of MODES) {
    it(`${mode}: U+FFFF, U+FFFE, a lone surrogate and C0 controls in output are written as escapes; the file stays well-formed`, async () => {
      const dir = scratch({ 'a.md': 'sage: console.log("x\\uffff\\ufffe\\ud800\\u0001\\u001b[1my")\nz\n' });
      const r = await runMerged(dir, [...QUICK, ...flags, '--junit', 'r.xml', 'a.md']);
      assert.equal(r.code, 1, r.out);
      const xml = readFileSync(path.join(dir, 'r.xml'), 'utf8');
      assert.ok(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff\ufffd]/.test(xml), JSON.stringify(xml));
      assert.ok(xml.includes('x\\uffff\\ufffe\\ud800\\x01\\x1b[1my'), xml);
    });
  }
});
