// What an example does to the process that runs it stays with the example: its listeners on `process`,
// values that throw while mtest displays them, the working directory, the umask and the globals mtest
// uses. mtest run as a process, in both modes (a worker, and mtest itself under --serial); each case
// once broke the run or the report.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { finished, lastLine, runMtest, scratch, startMtest } from './process-helpers.js';

const MODES = [['-p', '1'], ['--serial']];
const label = (mode: string[]): string => (mode[0] === '--serial' ? '--serial' : 'workers');

/** Resolves once `file` exists (an example creates it when it is where the test wants it), or fails. */
async function appears(file: string, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > deadline) assert.fail(`${file} never appeared`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
        'a.md': "sage: void process.removeAllListeners()\n\nsage: (await import('node:fs')).writeFileSync('armed', '')\n\nsage: await new Promise((r) => setTimeout(r, 20000))\n\nsage: 1\n1\n",
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
