// The report is never lost: mtest run as a process, as users and CI scripts run it, with the faults that
// used to cut its output or end it without its closing line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { survivorsAfter } from './fault-helpers.js';
import { appears, ARM, finished, lastLine, runMerged, runMtest, scratch, startMtest, type Finished } from './process-helpers.js';

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

const MODES = [['-p', '1'], ['--serial']];

describe('what examples do to the shared realm', function () {
  this.timeout(60000);

  for (const mode of MODES) {
    it(`Object.prototype.then, a deleted globalThis.process, a closed fd 1: the run ends with its report (${mode.join(' ')})`, async () => {
      const dir = scratch({
        'a.md': [
          "sage: (Object.prototype as any).then = function () {}; 0\n0\n",
          'sage: await Promise.resolve(1)\n1\n',
          'sage: delete (globalThis as any).process\ntrue\n',
          "sage: typeof process\n'object'\n",
          "sage: import fs from 'node:fs'\nsage: fs.closeSync(1)\n",
          'sage: 3\n3\n',
        ].join(''),
        'b.md': 'sage: await new Promise((r) => setTimeout(r, 10)); 4\n4\n',
      });
      const r = await runMtest(dir, [...mode, '--prelude', 'node:util', 'a.md', 'b.md']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(lastLine(r.out), '8 passed, 0 failed, 0 skipped');
      assert.match(r.err, /Warning: a\.md, line 1: the example defined Object\.prototype\.then, .*; mtest removed it/);
      assert.match(r.err, /Warning: a\.md, line 5: the example deleted globalThis\.process; mtest put it back/);
      assert.match(r.err, /Warning: a\.md, line 10: the example closed descriptor 1 \(stdout\); mtest kept it open for the run/);
    });
  }
});

describe('huge output', function () {
  this.timeout(60000);

  for (const mode of MODES) {
    it(`600 MB printed: stopped at the output limit at its line, bounded in the report, counts add up (${mode.join(' ')})`, async () => {
      const dir = scratch({
        'h.md': [
          "sage: const line = 'y'.repeat(1 << 20); for (let i = 0; i < 600; i++) console.log(line)\n",
          "sage: 'z'.repeat(300 * 1024 * 1024).length\n314572800\n",
          "sage: 'w'.repeat(3 * 1024 * 1024)\n'www'\n",
          'sage: 1 + 1\n2\n',
        ].join(''),
      });
      const r = await runMtest(dir, [...mode, '--prelude', 'node:util', 'h.md']);
      assert.equal(r.code, 1 | 4, r.err);
      assert.match(r.out, /Output limit exceeded: \d+ MB written to stdout\/stderr > 256 MB while running line 1\n/);
      assert.match(r.out, /… \[\d+ characters left out\] …/);
      assert.ok(r.out.length < 200_000, `the report is bounded (${r.out.length} bytes)`);
      assert.equal(lastLine(r.out), '2 passed, 2 failed, 0 skipped');
    });
  }
});

describe('stop signals', function () {
  this.timeout(60000);
  const slow = { 'a.md': `sage: 1\n1\nsage: ${ARM} await new Promise((r) => setTimeout(r, 20000))\nsage: 2\n2\n`, 'b.md': 'sage: 3\n3\n' };

  /** Start mtest, wait until an example of `files` arms (ARM), send `signals` (ms apart), collect the end. */
  async function signalled(files: Record<string, string>, args: string[], signals: NodeJS.Signals[], gapMs = 5): Promise<Finished & { sent: number }> {
    const dir = scratch(files);
    const child = startMtest(dir, args);
    const done = finished(child);
    await appears(path.join(dir, 'armed'));
    const sent = Date.now();
    for (const [k, signal] of signals.entries()) {
      if (k > 0) await new Promise((r) => setTimeout(r, gapMs));
      child.kill(signal);
    }
    return { ...(await done), sent };
  }

  for (const mode of MODES) {
    for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
      it(`${signal} (${mode.join(' ')}): partial report, the rest not run, closing line last, bit 128`, async () => {
        const r = await signalled(slow, [...mode, '--prelude', 'node:util', 'a.md', 'b.md'], [signal]);
        assert.equal(r.signal, null, 'mtest ends with its own status');
        assert.equal((r.code ?? 0) & 128, 128, r.out + r.err);
        assert.match(r.out, /mtest was interrupted; the results below are partial\./);
        assert.equal(lastLine(r.out), '1 passed, 0 failed, 0 skipped, 3 not run');
      });
    }

    it(`two SIGINTs 5 ms apart do not lose the summary (${mode.join(' ')})`, async () => {
      for (let round = 0; round < 3; round++) {
        const r = await signalled(slow, [...mode, '--prelude', 'node:util', 'a.md', 'b.md'], ['SIGINT', 'SIGINT']);
        assert.equal(r.signal, null);
        assert.equal((r.code ?? 0) & 128, 128, r.out + r.err);
        assert.match(lastLine(r.out), CLOSING);
      }
    });
  }

  it('--serial, stuck in native code: a SIGTERM still ends the run with its report (bit 128)', async () => {
    const files = { 'n.md': `sage: 1\n1\nsage: import { execSync } from "node:child_process"\nsage: ${ARM} execSync("sleep 20")\nsage: 2\n2\n` };
    const r = await signalled(files, ['--serial', '--no-gdb', '--prelude', 'node:util', 'n.md'], ['SIGTERM']);
    // Well before the 20 s sleep ends: the run did not wait for the native call (generous for a loaded machine).
    assert.ok(Date.now() - r.sent < 15000, `ended ${Date.now() - r.sent} ms after the signal`);
    assert.equal(r.signal, null);
    assert.equal((r.code ?? 0) & 128, 128, r.out + r.err);
    assert.match(r.out, /Interrupted while running line 4/);
    assert.equal(lastLine(r.out), '2 passed, 0 failed, 0 skipped, 2 not run');
  });

  it('--serial: a terminal Ctrl-C during execSync (the whole process group) stops the run with bit 128', async () => {
    const dir = scratch({ 'x.md': `sage: import { execSync } from "node:child_process"\nsage: ${ARM} execSync("sleep 20")\nsage: 2\n2\n`, 'y.md': 'sage: 3\n3\n' });
    const child = spawn(path.join(process.cwd(), 'bin', 'mtest.js'), ['--serial', '--prelude', 'node:util', 'x.md', 'y.md'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const done = finished(child);
    await appears(path.join(dir, 'armed'));
    process.kill(-child.pid!, 'SIGINT');
    const r = await done;
    assert.equal((r.code ?? 0) & 128, 128, r.out + r.err);
    assert.match(lastLine(r.out), CLOSING);
    assert.match(lastLine(r.out), /not run$/);
  });

  it('workers: results a worker had logged before the signal are kept', async () => {
    const dir = scratch({ 'k.md': "sage: 1\n1\nsage: 2\n2\nsage: 3\n3\nsage: 4\n4\nsage: process.kill(process.ppid, 'SIGTERM'); await new Promise((r) => setTimeout(r, 5000))\nsage: 5\n5\nsage: 6\n6\n" });
    const r = await runMtest(dir, ['-p', '1', '--prelude', 'node:util', 'k.md']);
    assert.equal((r.code ?? 0) & 128, 128, r.out + r.err);
    assert.equal(lastLine(r.out), '4 passed, 0 failed, 0 skipped, 3 not run');
  });
});

describe('processes the examples start', function () {
  this.timeout(60000);

  for (const mode of MODES) {
    it(`detached, unref()ed and orphaned children do not outlive the run (${mode.join(' ')})`, async () => {
      const dir = scratch({
        'c.md': [
          "sage: import { spawn, execSync } from 'node:child_process'\n",
          "sage: import { appendFileSync } from 'node:fs'\n",
          "sage: const c = spawn('sleep', ['31'], { detached: true, stdio: 'ignore' }); c.unref(); appendFileSync('pids', c.pid + '\\n')\n",
          "sage: appendFileSync('pids', execSync('sh -c \"sleep 32 >/dev/null 2>&1 & echo $!\"'))\n",
          'sage: 1\n1\n',
        ].join(''),
        'd.md': "sage: import { spawn } from 'node:child_process'\nsage: import { appendFileSync } from 'node:fs'\nsage: appendFileSync('pids', spawn('sleep', ['33'], { detached: true, stdio: 'ignore' }).pid + '\\n'); await new Promise(() => {})  // timeout 1\n",
      });
      const r = await runMtest(dir, [...mode, '--no-gdb', '--prelude', 'node:util', 'c.md', 'd.md']);
      assert.equal(r.signal, null);
      assert.match(lastLine(r.out), CLOSING);
      const pids = readFileSync(path.join(dir, 'pids'), 'utf8').trim().split('\n').map(Number);
      assert.equal(pids.length, 3, r.out + r.err);
      assert.deepEqual(await survivorsAfter(pids), []);
      assert.match(r.err, /Warning: c\.md, line 3: a child process \(PID \d+: sleep 31\) was still running after the file; killed/);
      assert.match(r.err, /Warning: c\.md: a process \(PID \d+: sleep 32\) was still running after the file; killed/);
    });
  }
});

describe('what a file leaves running', function () {
  this.timeout(60000);

  for (const mode of MODES) {
    it(`a file's leftover timer that would exit does not fail the next file (${mode.join(' ')})`, async () => {
      const dir = scratch({
        'a.md': 'sage: void setTimeout(() => process.exit(7), 300)\nsage: const tick = setInterval(() => console.log("tick"), 50)\n',
        'b.md': 'sage: await new Promise((r) => setTimeout(r, 700)); 2\n2\n',
      });
      const r = await runMtest(dir, [...mode, '--prelude', 'node:util', 'a.md', 'b.md']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(lastLine(r.out), '3 passed, 0 failed, 0 skipped');
      assert.match(r.err, /Warning: a\.md, line 1: a timer \(setTimeout\) was still pending after the file; cleared/);
      assert.match(r.err, /Warning: a\.md, line 2: an interval \(setInterval\) was still pending after the file; cleared/);
    });
  }

  it('a timer set through node:timers cannot be cleared: its worker is given no other file', async () => {
    const dir = scratch({
      'a.md': "sage: import { setTimeout as later } from 'node:timers'\nsage: void later(() => process.exit(7), 300)\n",
      'b.md': 'sage: await new Promise((r) => setTimeout(r, 700)); 2\n2\n',
    });
    const r = await runMtest(dir, ['-p', '1', '--prelude', 'node:util', 'a.md', 'b.md']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(lastLine(r.out), '3 passed, 0 failed, 0 skipped');
    assert.match(r.err, /Warning: a\.md: a timer mtest could not name \(set through node:timers\) was still pending after the file; this worker is given no other file/);
  });
});

describe('no fork while BLAS threads may run (--serial, --debug)', function () {
  this.timeout(120000);

  for (const mode of [['--serial'], ['--debug']]) {
    it(`a large product past its limit ends, with the native stack asked for (${mode.join(' ')})`, async () => {
      const dir = scratch({ 'g.md': 'sage: const A = randomMatrix(3000, 3000, 1)\nsage: A.mul(A).rows  // timeout 0.1\n3000\nsage: 1\n1\n' });
      for (let round = 0; round < 2; round++) {
        const started = Date.now();
        const child = startMtest(dir, [...mode, '--blas-threads', '2', 'g.md']);
        const guard = setTimeout(() => child.kill('SIGKILL'), 60000);
        const r = await finished(child);
        clearTimeout(guard);
        assert.equal(r.signal, null, `mtest hung (killed after ${Date.now() - started} ms)\n${r.out}\n${r.err}`);
        assert.match(lastLine(r.out), CLOSING);
      }
    });
  }
});

describe('misleading ends', function () {
  this.timeout(60000);

  it('a missing path: one line, exit 2, and never "All tests passed!"', async () => {
    const r = await runMtest(scratch({ 'a.md': 'sage: 1\n1\n' }), ['--serial', '--prelude', 'node:util', 'missing.md', 'a.md']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^mtest: missing\.md: no such file or directory$/m);
    assert.doesNotMatch(r.out, /All tests passed!/);
    assert.equal(lastLine(r.out), '1 passed, 0 failed, 0 skipped');
  });

  for (const mode of MODES) {
    it(`a prelude module that throws: one line naming it, exit 2, nothing run (${mode.join(' ')})`, async () => {
      const dir = scratch({ 'bad.mjs': "throw new Error('boom')\n", 'a.md': 'sage: 1\n1\nsage: 2\n2\n' });
      const r = await runMtest(dir, [...mode, '--prelude', './bad.mjs', 'a.md']);
      assert.equal(r.code, 2, r.out + r.err);
      assert.equal(r.err, 'mtest: cannot load the prelude module ./bad.mjs: Error: boom\n');
      assert.doesNotMatch(r.out, /All tests passed!/);
      assert.equal(lastLine(r.out), '0 passed, 0 failed, 0 skipped, 2 not run');
    });
  }

  it('a directory mtest may not read: one line naming it, exit 2; a path under it too', async () => {
    const dir = scratch({ 'open/a.md': 'sage: 1\n1\n', 'shut/b.md': 'sage: 2\n2\n' });
    chmodSync(dir, 0o755);
    chmodSync(path.join(dir, 'open'), 0o755);
    chmodSync(path.join(dir, 'shut'), 0o000);
    // As root every directory is readable: run as nobody (stdout and stderr merged).
    const run = (args: string[]) => runMerged(dir, args, true);
    try {
      const whole = await run(['--serial', '--prelude', 'node:util', '.']);
      assert.equal(whole.code, 2, whole.out);
      assert.match(whole.out, /^mtest: shut: cannot read directory \(EACCES\)$/m);
      assert.equal(lastLine(whole.out), '1 passed, 0 failed, 0 skipped');
      const under = await run(['--serial', '--prelude', 'node:util', 'shut/b.md']);
      assert.equal(under.code, 2, under.out);
      assert.match(under.out, /^mtest: shut\/b\.md: cannot read \(EACCES\)$/m);
      assert.doesNotMatch(under.out, /internal error|\n\s+at /);
    } finally {
      chmodSync(path.join(dir, 'shut'), 0o755);
    }
  });
});
