// What an example does to the process that runs it stays with the example: its listeners on `process`,
// values that throw while mtest displays them, the working directory, the umask and the globals mtest
// uses. mtest run as a process, in both modes (a worker, and mtest itself under --serial); each case
// once broke the run or the report.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/package-root.js';
import { appears, ARM, finished, lastLine, runMtest, scratch, startMtest } from './process-helpers.js';

const MODES = [['-p', '1'], ['--serial']];
const label = (mode: string[]): string => (mode[0] === '--serial' ? '--serial' : 'workers');

describe("mtest's umask when the watchdog ends a --serial run", function () {
  this.timeout(60000);

  it('an example sets umask 0o777, a later one hangs in native code: the reports are still readable', async () => {
    const dir = scratch({ 'u.md': "sage: import { execSync } from 'node:child_process'\n\nsage: void process.umask(0o777)\n\nsage: execSync('sleep 20')\n\nsage: 1\n1\n" });
    const r = await runMtest(dir, ['--serial', '--no-gdb', '--timeout', '1', '--prelude', 'node:util', '--json', 'r.json', 'u.md']);
    assert.equal(r.code, 4, r.out + r.err);
    assert.equal(lastLine(r.out), '2 passed, 1 failed, 0 skipped, 1 not run');
    for (const file of ['r.json', path.join('.mtest', 'stats.json')]) assert.equal(statSync(path.join(dir, file)).mode & 0o600, 0o600, `${file} readable and writable by its owner`);
  });
});

describe('listeners an example puts on process', function () {
  this.timeout(60000);
  const after = { 'z.md': "sage: 'still' + ' here'\n'still here'\n" };

  for (const mode of MODES) {
    it(`an 'exit' listener that sets process.exitCode = 0 does not turn a failing run into exit 0 (${label(mode)})`, async () => {
      const dir = scratch({ 'a.md': "sage: void process.on('exit', () => { process.exitCode = 0 })\n\nsage: 1 + 1\n3\n", ...after });
      const r = await runMtest(dir, [...mode, '--prelude', 'node:util', 'a.md', 'z.md']);
      assert.equal(r.code, 1, r.out + r.err);
      assert.equal(lastLine(r.out), '2 passed, 1 failed, 0 skipped');
      assert.match(r.err, /Warning: a\.md: a process 'exit' listener was still attached after the file; removed/);
    });

    it(`an 'exit' listener that never returns does not keep mtest from exiting (${label(mode)})`, async () => {
      const dir = scratch({ 'a.md': "sage: void process.on('exit', () => { for (;;) {} })\n\nsage: 1 + 1\n2\n", ...after });
      const child = startMtest(dir, [...mode, '--prelude', 'node:util', 'a.md', 'z.md']);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
      const r = await finished(child);
      clearTimeout(timer);
      assert.equal(r.signal, null, 'mtest exited by itself');
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(lastLine(r.out), '3 passed, 0 failed, 0 skipped');
    });

    it(`an 'exit' listener that prints does not print after the closing line (${label(mode)})`, async () => {
      const dir = scratch({ 'a.md': "sage: void process.on('exit', () => { console.log('printed on the way out') })\n\nsage: 1 + 1\n2\n", ...after });
      const r = await runMtest(dir, [...mode, '--prelude', 'node:util', 'a.md', 'z.md']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(lastLine(r.out), '3 passed, 0 failed, 0 skipped');
      assert.doesNotMatch(r.out + r.err, /printed on the way out/);
    });

    it(`process.removeAllListeners() does not take mtest's signal handling with it (${label(mode)})`, async () => {
      const dir = scratch({
        'a.md': `sage: void process.removeAllListeners()\n\nsage: 1 + 1\n2\n\nsage: ${ARM} await new Promise((r) => setTimeout(r, 20000))\n\nsage: 1\n1\n`,
      });
      const child = startMtest(dir, [...mode, '--prelude', 'node:util', 'a.md']);
      const done = finished(child);
      await appears(path.join(dir, 'armed'));
      child.kill('SIGTERM');
      const r = await done;
      assert.equal(r.signal, null, 'mtest ends with its own status');
      assert.equal(r.code, 128, r.out + r.err);
      assert.match(r.out, /mtest was interrupted; the results below are partial\./);
      assert.equal(lastLine(r.out), '2 passed, 0 failed, 0 skipped, 2 not run');
    });
  }

  it('the listeners of the example that added them stay within its file (--serial)', async () => {
    const dir = scratch({
      'a.md': "sage: let seen = 0; process.on('beforeExit', () => seen++); process.listenerCount('beforeExit') > 0\ntrue\n",
      'b.md': "sage: process.listeners('exit').length + process.listeners('beforeExit').length < 5\ntrue\n",
    });
    const r = await runMtest(dir, ['--serial', '--prelude', 'node:util', 'a.md', 'b.md']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.err, /Warning: a\.md: a process 'beforeExit' listener was still attached after the file; removed/);
  });
});

describe('values that throw while mtest displays them', function () {
  this.timeout(60000);
  const files = {
    'd.md': [
      "sage: ({ get then() { throw new Error('then getter') } })",
      '',
      "sage: ({ [Symbol.for('nodejs.util.inspect.custom')]() { throw new Error('custom inspect') } })",
      '',
      "sage: const trap = () => { throw new Error('trap') }; new Proxy({}, { get: trap, ownKeys: trap, getPrototypeOf: trap, has: trap, getOwnPropertyDescriptor: trap })",
      '',
      'sage: throw new Proxy({}, { get: trap, ownKeys: trap, getPrototypeOf: trap, has: trap, getOwnPropertyDescriptor: trap })',
      '',
      "sage: await Promise.resolve({ [Symbol.for('nodejs.util.inspect.custom')]() { throw new RangeError('async custom') } })",
      '',
      "sage: 'after ' + 'them'",
      "'after them'",
      '',
    ].join('\n'),
    'e.md': "sage: 'the next ' + 'file'\n'the next file'\n",
  };

  for (const mode of MODES) {
    it(`each is that example's exception; the file and the run go on (${label(mode)})`, async () => {
      const r = await runMtest(scratch(files), [...mode, '--prelude', 'node:util', 'd.md', 'e.md']);
      assert.equal(r.code, 1, r.out + r.err);
      assert.equal(lastLine(r.out), '2 passed, 5 failed, 0 skipped');
      assert.doesNotMatch(r.out + r.err, /internal error|could not run the file/);
      assert.match(r.out, /Exception raised:\n {4}Uncaught Error: then getter\n/);
      assert.match(r.out, /Exception raised:\n {4}Uncaught Error: custom inspect\n/);
      assert.match(r.out, /Exception raised:\n {4}Uncaught Error: trap\n/);
      assert.match(r.out, /Exception raised:\n {4}Uncaught <a value that could not be displayed: Error: trap>\n/);
      assert.match(r.out, /Exception raised:\n {4}Uncaught RangeError: async custom\n/);
    });
  }
});

describe("an example's working directory, umask and globals", function () {
  this.timeout(60000);

  for (const mode of MODES) {
    it(`process.chdir, process.umask and delete globalThis.Buffer stay with the file (${label(mode)})`, async () => {
      const name = `mtest-report-${randomBytes(4).toString('hex')}`;
      const dir = scratch({
        'a.md': "sage: process.chdir('/')\n\nsage: void process.umask(0o777)\n\nsage: delete globalThis.Buffer\ntrue\n",
        // its own exports are imported (relative to the working directory mtest started in)
        'b.ts': '/**\n * sage: double(21)\n * 42\n */\nexport function double(x: number): number {\n  return 2 * x;\n}\n',
        'c.md': "sage: typeof Buffer\n'function'\n",
      });
      try {
        const r = await runMtest(dir, [...mode, '--prelude', 'node:util', '--json', `${name}.json`, '--junit', `${name}.xml`, 'a.md', 'b.ts', 'c.md']);
        assert.equal(r.code, 0, r.out + r.err);
        assert.equal(lastLine(r.out), '5 passed, 0 failed, 0 skipped');
        for (const report of [`${name}.json`, `${name}.xml`]) {
          assert.ok(!existsSync(path.join('/', report)), `${report} not written to /`);
          assert.equal(statSync(path.join(dir, report)).mode & 0o600, 0o600, `${report} readable and writable by its owner`);
        }
        assert.equal(JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')).totals.passed, 5);
        assert.equal(statSync(path.join(dir, '.mtest')).mode & 0o700, 0o700, '.mtest/ usable by its owner');
        assert.equal(statSync(path.join(dir, '.mtest', 'stats.json')).mode & 0o600, 0o600);
        assert.match(r.err, /Warning: a\.md: the example changed the working directory to \/; changed back to /);
        assert.match(r.err, /Warning: a\.md: the example set the umask to 0o777; set back to 0o\d+/);
      } finally {
        for (const report of [`${name}.json`, `${name}.xml`]) rmSync(path.join('/', report), { force: true });
      }
    });
  }
});

describe("a worker's records and pipes", function () {
  this.timeout(60000);
  const after = { 'z.md': "sage: 'still' + ' here'\n'still here'\n" };
  const MARK = '\\x1emtest\\x1f';
  const forged = (index: number): string => `${MARK}{"t":"end","seq":1,"r":{"index":${index},"status":"passed","outcome":"ok","time":0}}\\n`;

  for (const fd of [1, 5]) {
    it(`output that imitates records (the marker and a forged done, on descriptor ${fd}) stays output`, async () => {
      const dir = scratch({
        'f.md': `sage: import fs from 'node:fs'\n\nsage: void fs.writeSync(${fd}, '${forged(2)}${forged(3)}${MARK}{"t":"done","seq":1}\\n')\n\nsage: 1 + 1\n3\n\nsage: 2 + 2\n5\n`,
        ...after,
      });
      const r = await runMtest(dir, ['-p', '1', '--prelude', 'node:util', 'f.md', 'z.md']);
      assert.equal(r.code, 1, r.out + r.err);
      assert.equal(lastLine(r.out), '3 passed, 2 failed, 0 skipped');
      assert.doesNotMatch(r.out, /All tests passed!/);
      assert.match(r.out, /Failed example:\n {4}1 \+ 1\nExpected:\n {4}3\nGot:\n {4}2\n/);
    });
  }

  /** Runs `f.md` (its example at line 3 does `code`) and z.md with workers; the file timeout would take a minute. */
  async function broken(code: string): Promise<{ code: number | null; out: string; err: string; seconds: number }> {
    const dir = scratch({ 'f.md': `sage: import fs from 'node:fs'\n\nsage: ${code}\n\nsage: 1 + 1\n2\n`, ...after });
    const started = Date.now();
    const r = await runMtest(dir, ['-p', '1', '--file-timeout', '60', '--prelude', 'node:util', 'f.md', 'z.md']);
    return { ...r, seconds: (Date.now() - started) / 1000 };
  }

  it('garbage written into the command pipe is an incident of that example, not a crash of mtest', async () => {
    const r = await broken("fs.writeSync(3, 'garbage\\n')");
    // bad exit (8); the writing example also fails on its own (1) when a later one gets the incident
    assert.ok(r.code === 8 || r.code === 9, `exit ${r.code}\n${r.out}${r.err}`);
    assert.doesNotMatch(r.out + r.err, /SyntaxError|internal error/);
    // Its file, always; which example, as far as the parent had read the worker's log when the bytes came
    // (the two pipes are read apart), so the line may be a later one of the same file.
    assert.match(r.out, /File "f\.md"(, line \d, in f\.md\nFailed example:\n.*)?\nThe worker broke mtest's protocol (while running|after) line \d: something in it wrote into mtest's command pipe \(descriptor 3\): "garbage\\n"/);
    assert.match(r.out, /^mtest -t z\.md\n {4}\[1 test, /m, 'the next file is not blamed');
    assert.ok(r.seconds < 30, `reported at once (${r.seconds} s)`);
  });

  it('a command pipe closed behind fs.close is found at once and blamed on the example that closed it', async () => {
    const r = await broken("process.binding('fs').close(3); await new Promise((r) => setTimeout(r, 30000))");
    assert.equal(r.code, 8, r.out + r.err);
    assert.match(r.out, /File "f\.md", line 3, in f\.md\nFailed example:\n {4}process\.binding.*\nThe worker broke mtest's protocol while running line 3: it closed mtest's command pipe \(descriptor 3\)/);
    assert.equal(lastLine(r.out), '2 passed, 1 failed, 0 skipped, 1 not run');
    assert.ok(r.seconds < 30, `reported at once (${r.seconds} s)`);
  });

  it('a doorbell pipe closed behind fs.close is found at once and blamed on its file; the next file runs', async () => {
    const r = await broken("process.binding('fs').close(4)");
    assert.equal(r.code, 8, r.out + r.err);
    assert.match(r.out, /File "f\.md"\nThe worker broke mtest's protocol (while running|after) line \d: it closed its doorbell pipe \(descriptor 4\)/);
    assert.match(r.out, /mtest -t z\.md\n {4}\[1 test, /);
    assert.ok(r.seconds < 30, `reported at once (${r.seconds} s)`);
  });

  it('process.disconnect() is not there to cut the worker off (as under --serial)', async () => {
    const r = await broken('process.disconnect()');
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /Uncaught TypeError: process\.disconnect is not a function/);
    assert.equal(lastLine(r.out), '3 passed, 1 failed, 0 skipped');
    assert.ok(r.seconds < 30, `no file waits for its file timeout (${r.seconds} s)`);
  });
});

describe('process trees that keep forking', function () {
  this.timeout(90000);

  /** PIDs of the processes carrying `tag` in their environment (this test's own, found through /proc). */
  function tagged(tag: string): number[] {
    const out: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (readFileSync(`/proc/${name}/environ`, 'latin1').includes(`MTEST_FORK_TAG=${tag}\0`)) out.push(Number(name));
      } catch {
        // gone, or not ours to read
      }
    }
    return out;
  }

  /** Stop then kill this test's own processes until none is left (they may still be forking). */
  function cleanUp(tag: string): void {
    for (let round = 0; round < 50; round++) {
      const pids = tagged(tag);
      if (pids.length === 0) return;
      for (const sig of ['SIGSTOP', 'SIGKILL'] as const) for (const pid of pids) try { process.kill(pid, sig); } catch { /* gone */ }
    }
  }

  /**
   * An example that starts four detached shell functions that start themselves in the background (100 deep,
   * at four paces, so that some fork while mtest looks), then `then`.
   */
  function forking(tag: string, then: string): string {
    const script = 'f() { if [ "$1" -gt 0 ]; then (${pause} f $(($1 - 1)) &); fi; sleep 300; }; f 100';
    const start = `for (const pause of ['', 'sleep 0.003;', 'sleep 0.006;', 'sleep 0.01;']) spawn('bash', ['-c', \`${script}\`], { detached: true, stdio: 'ignore', env: { ...process.env, MTEST_FORK_TAG: '${tag}' } }).unref()`;
    return `sage: import { spawn } from 'node:child_process'\n\nsage: ${start}; ${then}\n\nsage: 1 + 1\n2\n`;
  }

  for (const mode of MODES) {
    for (const [when, then, code] of [
      ['when its file ends', 'await new Promise((r) => setTimeout(r, 300))', 0],
      ['at a timeout', 'await new Promise((r) => setTimeout(r, 300)); await new Promise(() => {})', 4],
    ] as const) {
      it(`none of it is left ${when} (${label(mode)})`, async () => {
        const tag = randomBytes(6).toString('hex');
        try {
          const r = await runMtest(scratch({ 'a.md': forking(tag, then), 'z.md': "sage: 'after'\n'after'\n" }), [...mode, '--timeout', '2', '--prelude', 'node:util', 'a.md', 'z.md']);
          assert.equal(r.code, code, r.out + r.err);
          // a killed process is gone once the kernel has scheduled it again: on a loaded machine not at once
          const deadline = Date.now() + 5000;
          while (tagged(tag).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
          assert.deepEqual(tagged(tag), [], 'no process of the tree is left');
        } finally {
          cleanUp(tag);
        }
      });
    }
  }
});

describe("an example's own inspector", function () {
  this.timeout(60000);

  it('inspector.open(0) then close(): a later hang on that worker still shows its JavaScript stack', async () => {
    const dir = scratch({
      'a.md': "sage: import inspector from 'node:inspector'\n\nsage: inspector.open(0); inspector.close()\n\nsage: 1 + 1\n2\n",
      'b.md': 'sage: function spin() { for (;;) {} }\n\nsage: spin()\n\nsage: 3\n3\n',
    });
    // One worker, the files in this order: the hang runs where the inspector was opened and closed.
    const r = await runMtest(dir, ['-p', '1', '--timeout', '2', '--prelude', 'node:util', 'a.md', 'b.md']);
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(r.out, /Timed out after 2\.0 s while running line 3/);
    assert.match(r.out, /JavaScript stack:\n(.*\n)*.*spin .*b\.md:1/);
  });
});

describe("descriptors open when a file starts (mtest's own)", function () {
  this.timeout(60000);

  it('a number closed without fs.close and opened again during the file is a new descriptor: its close goes through', () => {
    // In a process of its own, as a worker has it: the tracker wraps fs for good. Four servers are open
    // when the file starts, and no lower number is free; three close (no fs.close), and their numbers come
    // back, lowest first, to fs.open, fs.openSync and readFileSync's own open, each closed by its opener.
    // The fourth server's number stays guarded.
    const tracker = pathToFileURL(path.join(packageRoot(), 'dist', 'runner', 'leftovers.js')).href;
    const script = `
      import fs from 'node:fs';
      import net from 'node:net';
      const { LeftoverTracker } = await import(${JSON.stringify(tracker)});
      const tracker = new LeftoverTracker().install();
      const listen = () => new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => r(s)); });
      const servers = [];
      for (let i = 0; i < 4; i++) servers.push(await listen());
      const [a, b, c, kept] = servers.map((s) => s._handle.fd);
      const fillers = [];  // FileHandles: opened and closed without fs.open and fs.close
      for (;;) {
        const h = await fs.promises.open('/dev/null', 'r');
        if (h.fd > kept) { await h.close(); break; }
        fillers.push(h);
      }
      tracker.fileStarted();
      for (const s of servers.slice(0, 3)) await new Promise((r) => s.close(r));
      const open = (fd) => { try { fs.fstatSync(fd); return true; } catch { return false; } };
      const got = [];
      got.push(await new Promise((r) => fs.open('/dev/null', 'r', (e, n) => r(n))));
      got.push(fs.openSync('/dev/null', 'r'));
      fs.readFileSync('/proc/self/stat');
      const afterRead = open(c);
      await new Promise((r) => fs.close(got[0], r));
      fs.closeSync(got[1]);
      fs.closeSync(kept);
      const result = { a, b, c, kept, got, closed: [!open(a), !open(b), !afterRead], keptOpen: open(kept) };
      for (const h of fillers) await h.close();
      result.messages = tracker.sweep().map((l) => l.message).filter((m) => m.includes('descriptor'));
      console.log(JSON.stringify(result));
      process.exit(0);`;
    const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    assert.deepEqual(r.got, [r.a, r.b], 'the closed numbers come back, lowest first');
    assert.deepEqual(r.closed, [true, true, true], 'the close of each reopened number went through (fs.open, fs.openSync, readFileSync)');
    assert.equal(r.keptOpen, true, 'the descriptor open since the start stays open');
    assert.deepEqual(r.messages, [`the example closed descriptor ${r.kept} (open before its file started: mtest's own, or an earlier file's); mtest kept it open for the run`]);
  });

  for (const mode of MODES) {
    for (const fd of [3, 4, 5]) {
      it(`fs.closeSync(${fd}) is kept from happening and reported; the run goes on (${label(mode)})`, async () => {
        const dir = scratch({
          'f.md': `sage: import fs from 'node:fs'\n\nsage: fs.closeSync(${fd})\n\nsage: await new Promise((r) => setTimeout(r, 50)); 1 + 1\n2\n`,
          'z.md': "sage: 'still' + ' here'\n'still here'\n",
        });
        const started = Date.now();
        const r = await runMtest(dir, [...mode, '--file-timeout', '60', '--prelude', 'node:util', 'f.md', 'z.md']);
        assert.equal(r.signal, null);
        assert.equal(r.code, 0, r.out + r.err);
        assert.equal(lastLine(r.out), '4 passed, 0 failed, 0 skipped');
        assert.match(r.err, new RegExp(`Warning: f\\.md, line 3: the example closed descriptor ${fd} \\(open before its file started: mtest's own, or an earlier file's\\); mtest kept it open for the run`));
        assert.ok(Date.now() - started < 30000, 'no file waits for its file timeout');
      });
    }
  }
});
