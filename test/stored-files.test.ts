// The files a run writes — --json/--junit reports, stored timings, the workers' record, --fix rewrites —
// when they cannot be written, when two runs share them, when something was planted beside them, and
// when they are links.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appears, ARM, isRoot, lastLine, mtestIn, NOBODY, runMerged, runMtest, scratch } from './process-helpers.js';

const QUICK = ['--prelude', 'node:util', '--random-seed', '1', '--no-status'];
const MODES: [string, string[]][] = [['workers', ['-p', '2']], ['--serial', ['--serial']]];
const CLOSING = /^\d+ passed, \d+ failed, \d+ skipped(, \d+ not run)?$/;

const tmpLeft = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

describe('stored files: the closing line stays last when they cannot be written', function () {
  this.timeout(60000);

  for (const [mode, flags] of MODES) {
    it(`${mode}: .mtest is a file — one line each for the timings and the workers' record, then the closing line`, async () => {
      const dir = scratch({ 'a.md': 'sage: 1 + 1\n2\n', 'b.md': 'sage: 2 + 2\n4\n', '.mtest': 'not a directory\n' });
      const r = await runMerged(dir, [...QUICK, ...flags, 'a.md', 'b.md']);
      assert.equal(r.code, 0, r.out);
      assert.match(lastLine(r.out), CLOSING, r.out);
      assert.equal(lastLine(r.out), '2 passed, 0 failed, 0 skipped');
      assert.match(r.out, /^mtest: cannot store timings in .*stats\.json: .*\.mtest is not a directory$/m);
      assert.match(r.out, /^mtest: cannot record the workers' files in \.mtest\/workers\.json: .*\.mtest is not a directory$/m);
      assert.equal(readFileSync(path.join(dir, '.mtest'), 'utf8'), 'not a directory\n');
    });

    it(`${mode}: a read-only checkout — the report is complete and the closing line is last`, async () => {
      const dir = scratch({ 'a.md': 'sage: 1 + 1\n3\n' });
      chmodSync(dir, 0o555);
      try {
        const r = await runMerged(dir, [...QUICK, ...flags, 'a.md'], true);
        assert.equal(r.code, 1, r.out);
        assert.equal(lastLine(r.out), '0 passed, 1 failed, 0 skipped', r.out);
        assert.match(r.out, /^mtest: cannot store timings in .*stats\.json: EACCES: permission denied$/m);
        assert.match(r.out, /^mtest: cannot record the workers' files in .*: EACCES: permission denied$/m);
        assert.ok(!r.out.includes('.tmp'), r.out);
      } finally {
        chmodSync(dir, 0o755);
      }
    });
  }

  it('a full disk: one line per file naming it, nothing left behind, the closing line last', async () => {
    const dir = scratch({ 'a.md': 'sage: 1 + 1\n2\n', '.mtest/.keep': '' });
    // .mtest on a tiny file system of its own, filled up, in a mount namespace of this command only
    const script = [
      'mount -t tmpfs -o size=16k tmpfs .mtest || exit 99',
      'head -c 100000 /dev/zero > .mtest/fill 2>/dev/null',
      `'${process.execPath}' '${path.join(process.cwd(), 'bin', 'mtest.js')}' ${QUICK.join(' ')} --serial --json .mtest/r.json a.md`,
      'echo "exit $?"',
      'ls -A .mtest',
    ].join('\n');
    const r = await runMerged(dir, [...(isRoot ? [] : ['-r']), '-m', '--propagation', 'private', 'sh', '-c', script], false, 'unshare');
    const [report, left] = r.out.split(/^exit /m);
    assert.equal(lastLine(report), '1 passed, 0 failed, 0 skipped', r.out);
    assert.match(report, /^mtest: cannot write report \.mtest\/r\.json: ENOSPC: no space left on device$/m);
    assert.match(report, /^mtest: cannot store timings in .*stats\.json: ENOSPC: no space left on device$/m);
    assert.match(report, /^mtest: cannot record the workers' files in \.mtest\/workers\.json: ENOSPC: no space left on device$/m);
    assert.equal(left, '2\nfill\n', 'exit 2; only the filler file is on the full disk');
  });

  it('--json DIR --junit r.xml: r.xml is written, nothing is left behind, the line names DIR, exit bit 2, closing line last', async () => {
    const dir = scratch({ 'a.md': 'sage: 1 + 1\n2\n', 'out/keep': '' });
    const r = await runMerged(dir, [...QUICK, '--serial', '--json', 'out', '--junit', 'r.xml', 'a.md']);
    assert.equal(r.code, 2, r.out);
    assert.equal(lastLine(r.out), '1 passed, 0 failed, 0 skipped', r.out);
    assert.match(r.out, /^mtest: cannot write report out: it is a directory$/m);
    assert.match(readFileSync(path.join(dir, 'r.xml'), 'utf8'), /<testsuites name="mtest" tests="1" failures="0"/);
    assert.deepEqual(tmpLeft(dir), []);
    assert.deepEqual(readdirSync(path.join(dir, 'out')), ['keep']);
  });

  it('a report that cannot be written is named as given, never by a temporary path', async () => {
    const dir = scratch({ 'a.md': 'sage: 1 + 1\n2\n' });
    const r = await runMerged(dir, [...QUICK, '-p', '1', '--json', 'missing/r.json', 'a.md']);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /^mtest: cannot write report missing\/r\.json: ENOENT: no such file or directory$/m);
    assert.ok(!r.out.includes('.tmp'), r.out);
    assert.equal(lastLine(r.out), '1 passed, 0 failed, 0 skipped');
  });
});

describe('stored files: two runs in one directory', function () {
  this.timeout(60000);

  for (const [mode, flags] of MODES) {
    it(`${mode}: a run that ends after another started keeps the other's timings and workers' record`, async () => {
      const dir = scratch({
        'fast.md': 'sage: 1 + 1\n2\n',
        // runs until the test creates `go`
        'slow.md': `sage: ${ARM} while (!(await import('node:fs')).existsSync('go')) await new Promise((r) => setTimeout(r, 20))\nsage: 1\n1\n`,
      });
      // The slow run has read the stored files once its example runs; the fast one reads and writes them
      // from start to end meanwhile; the slow one writes after it. In this order on any machine.
      const slowRun = runMtest(dir, [...QUICK, ...flags, 'slow.md']);
      await appears(path.join(dir, 'armed'));
      const fast = await runMtest(dir, [...QUICK, ...flags, 'fast.md']);
      writeFileSync(path.join(dir, 'go'), '');
      const slow = await slowRun;
      assert.equal(slow.code, 0, slow.out + slow.err);
      assert.equal(fast.code, 0, fast.out + fast.err);
      const stats = JSON.parse(readFileSync(path.join(dir, '.mtest', 'stats.json'), 'utf8'));
      assert.deepEqual(Object.keys(stats.files).sort(), ['fast.md', 'slow.md']);
      const runs = JSON.parse(readFileSync(path.join(dir, '.mtest', 'workers.json'), 'utf8')).runs;
      assert.equal(runs.length, 2);
      assert.deepEqual(readdirSync(path.join(dir, '.mtest')).sort(), ['.gitignore', 'stats.json', 'workers.json']);
    });
  }
});

describe('stored files: nothing planted beside a target redirects a write', function () {
  this.timeout(60000);

  it('links planted at the temporary names of the report, the timings, the workers\' record and a --fix rewrite leave their victim alone', async () => {
    const dir = scratch({ 'a.md': 'sage: 1 + 1\n3\n', 'shared/.keep': '', '.mtest/.keep': '', 'victim.txt': 'precious\n' });
    const victim = path.join(dir, 'victim.txt');
    // the names mtest used to write through: `.NAME.PID.tmp`, PID being this process (the CLI runs in it)
    const planted = [
      path.join(dir, 'shared', `.r.json.${process.pid}.tmp`),
      path.join(dir, 'shared', `.r.xml.${process.pid}.tmp`),
      path.join(dir, '.mtest', `.stats.json.${process.pid}.tmp`),
      path.join(dir, '.mtest', `.workers.json.${process.pid}.tmp`),
      path.join(dir, `.a.md.${process.pid}.tmp`),
    ];
    for (const link of planted) symlinkSync(victim, link);
    const r = await mtestIn(dir, [...QUICK, '--serial', '--fix', '--json', 'shared/r.json', '--junit', 'shared/r.xml', 'a.md']);
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(readFileSync(path.join(dir, 'a.md'), 'utf8'), 'sage: 1 + 1\n2\n');
    assert.equal(JSON.parse(readFileSync(path.join(dir, 'shared', 'r.json'), 'utf8')).totals.passed, 1);
    assert.ok(existsSync(path.join(dir, '.mtest', 'stats.json')) && existsSync(path.join(dir, '.mtest', 'workers.json')));
    for (const link of planted) assert.ok(lstatSync(link).isSymbolicLink(), `${link} is left as it was`);
    // the temporary files are gone, each under a name of its own
    assert.deepEqual(tmpLeft(path.join(dir, 'shared')).sort(), [`.r.json.${process.pid}.tmp`, `.r.xml.${process.pid}.tmp`]);
  });

  it('the BLAS kernel decision kept in the shared temporary directory is not written through a planted link', async () => {
    const { failedDecision, writeDecision } = await import('../src/engine/kernel.js');
    const dir = scratch({ 'victim.txt': 'precious\n' });
    // an installation that cannot hold the decision itself: it goes to the temporary directory
    const root = path.join(dir, 'not-there');
    const shared = path.join(tmpdir(), `mtest-blas-kernel-${process.getuid!()}-${Buffer.from(root).toString('base64url').slice(-24)}.json`);
    symlinkSync(path.join(dir, 'victim.txt'), `${shared}.${process.pid}.tmp`);
    try {
      assert.equal(writeDecision(root, failedDecision(root, 'test')), shared);
      assert.equal(readFileSync(path.join(dir, 'victim.txt'), 'utf8'), 'precious\n');
      assert.match(readFileSync(shared, 'utf8'), /the kernel probe failed \(test\)/);
    } finally {
      rmSync(`${shared}.${process.pid}.tmp`, { force: true });
      rmSync(shared, { force: true });
    }
  });

  it('a report target that is a link planted in a shared directory is replaced, not written through', async () => {
    const dir = scratch({ 'a.md': 'sage: 1 + 1\n2\n', 'victim.txt': 'precious\n', 'shared/.keep': '' });
    symlinkSync(path.join(dir, 'victim.txt'), path.join(dir, 'shared', 'r.json'));
    const r = await runMtest(dir, [...QUICK, '-p', '1', '--json', 'shared/r.json', 'a.md']);
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(path.join(dir, 'victim.txt'), 'utf8'), 'precious\n');
    assert.ok(lstatSync(path.join(dir, 'shared', 'r.json')).isFile());
  });
});

describe('--fix and links, permissions', function () {
  this.timeout(60000);

  for (const [mode, flags] of MODES) {
    it(`${mode}: through a symbolic link, the file it points to is fixed and the link stays a link`, async () => {
      const dir = scratch({ 'real/doc.md': 'sage: 1 + 1\n3\n' });
      symlinkSync(path.join('real', 'doc.md'), path.join(dir, 'link.md'));
      const r = await runMtest(dir, [...QUICK, ...flags, '--fix', 'link.md']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.ok(lstatSync(path.join(dir, 'link.md')).isSymbolicLink());
      assert.equal(readFileSync(path.join(dir, 'real', 'doc.md'), 'utf8'), 'sage: 1 + 1\n2\n');
    });

    it(`${mode}: a file with another hard link is fixed in place: both names see the fix`, async () => {
      const dir = scratch({ 'a.md': 'sage: 1 + 1\n3\n' });
      linkSync(path.join(dir, 'a.md'), path.join(dir, 'other-name.txt'));
      const inode = statSync(path.join(dir, 'a.md')).ino;
      const r = await runMtest(dir, [...QUICK, ...flags, '--fix', 'a.md']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(statSync(path.join(dir, 'a.md')).ino, inode);
      assert.equal(readFileSync(path.join(dir, 'other-name.txt'), 'utf8'), 'sage: 1 + 1\n2\n');
    });

    it(`${mode}: a read-only (0444) file is left alone with one line; the example still fails`, async () => {
      const dir = scratch({ 'a.md': 'sage: 1 + 1\n3\n' });
      chmodSync(path.join(dir, 'a.md'), 0o444);
      const r = await runMtest(dir, [...QUICK, ...flags, '--fix', 'a.md']);
      assert.equal(r.code, 1, r.out + r.err);
      assert.equal(readFileSync(path.join(dir, 'a.md'), 'utf8'), 'sage: 1 + 1\n3\n');
      assert.equal(statSync(path.join(dir, 'a.md')).mode & 0o777, 0o444);
      assert.match(r.out, /^Warning: a\.md: --fix cannot write the file: it is read-only$/m);
      assert.equal(lastLine(r.out), '0 passed, 1 failed, 0 skipped');
    });
  }

  it('a fixed file keeps its permissions and owner', async () => {
    const dir = scratch({ 'a.md': 'sage: 1 + 1\n3\n' });
    chmodSync(path.join(dir, 'a.md'), 0o640);
    if (isRoot) chownSync(path.join(dir, 'a.md'), NOBODY, NOBODY);
    const before = statSync(path.join(dir, 'a.md'));
    const r = await runMtest(dir, [...QUICK, '--serial', '--fix', 'a.md']);
    assert.equal(r.code, 0, r.out + r.err);
    const after = statSync(path.join(dir, 'a.md'));
    assert.equal(readFileSync(path.join(dir, 'a.md'), 'utf8'), 'sage: 1 + 1\n2\n');
    assert.deepEqual([after.mode & 0o7777, after.uid, after.gid], [before.mode & 0o7777, before.uid, before.gid]);
  });

  it('a symbolically linked stats.json stays a link; the file it points to gets the timings', async () => {
    const dir = scratch({ 'a.md': 'sage: 1 + 1\n2\n', 'elsewhere/stats.json': '{"version": 1, "files": {"old.md": {"time": 1, "examples": 1, "failures": 0}}}\n' });
    mkdirSync(path.join(dir, '.mtest'));
    symlinkSync(path.join('..', 'elsewhere', 'stats.json'), path.join(dir, '.mtest', 'stats.json'));
    const r = await runMtest(dir, [...QUICK, '-p', '1', 'a.md']);
    assert.equal(r.code, 0, r.err);
    assert.ok(lstatSync(path.join(dir, '.mtest', 'stats.json')).isSymbolicLink());
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(path.join(dir, 'elsewhere', 'stats.json'), 'utf8')).files).sort(), ['a.md', 'old.md']);
  });
});
