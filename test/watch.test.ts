import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { scratch, startMtest } from './process-helpers.js';

const CLOSING = /^\d+ passed, \d+ failed, \d+ skipped(, \d+ not run)?$/m;

/** A `mtest --watch` process and what it has written so far. */
class Watching {
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(readonly dir: string, args: string[]) {
    this.child = startMtest(dir, ['--watch', '-p', '2', '--prelude', 'node:util', ...args]);
    this.child.stdout!.on('data', (d) => (this.out += d));
    this.child.stderr!.on('data', (d) => (this.err += d));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Wait until `test` holds for what was written after `from` (stdout and stderr), up to `ms`. */
  async until(test: (out: string, err: string) => boolean, from: { out: number; err: number }, ms = 30000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test(this.out.slice(from.out), this.err.slice(from.err))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting; out:\n${this.out}\nerr:\n${this.err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  mark(): { out: number; err: number } {
    return { out: this.out.length, err: this.err.length };
  }

  /** The next run's report: everything written to stdout after `from` up to its closing line. */
  async nextRun(from: { out: number; err: number }, ms = 30000): Promise<string> {
    await this.until((out, err) => CLOSING.test(out) && /watching for changes/.test(err), from, ms);
    return this.out.slice(from.out);
  }

  write(name: string, text: string): void {
    writeFileSync(path.join(this.dir, name), text);
  }

  interrupt(): void {
    this.child.kill('SIGINT'); // the process this test started
  }
}

const ran = (report: string): string[] => [...report.matchAll(/^mtest -t (\S+)$/gm)].map((m) => m[1]);

describe('--watch', function () {
  this.timeout(120000);

  it('reruns only the edited file, within 2 s; a module edit reruns its importers; a new file runs; Ctrl-C ends with the last run\'s status', async () => {
    const dir = scratch({
      'a.md': 'sage: 1 + 1\n2\n',
      'b.md': 'sage: 2 + 2\n4\n',
      'lib.ts': 'export function three(): number { return 3; }\n',
      // imports the module in an example
      'c.md': "sage: import { three } from './lib.ts'\nsage: three()\n3\n",
      // uses the module through its own exports
      'docs/s.ts': "import { three } from '../lib.ts';\n/**\n * sage: six()\n * 6\n */\nexport function six(): number { return 2 * three(); }\n",
    });
    const s = new Watching(dir, ['.']);
    try {
      const first = await s.nextRun({ out: 0, err: 0 });
      assert.deepEqual(ran(first).sort(), ['a.md', 'b.md', 'c.md', 'docs/s.ts']);
      assert.match(first, /^5 passed, 0 failed, 0 skipped$/m);

      // An edit: that file alone, and fast.
      let mark = s.mark();
      const t0 = Date.now();
      s.write('a.md', 'sage: 1 + 2\n3\n');
      const edit = await s.nextRun(mark);
      const ms = Date.now() - t0;
      assert.deepEqual(ran(edit), ['a.md']);
      assert.match(edit, /^1 passed, 0 failed, 0 skipped$/m);
      // 0.1-0.3 s on an idle machine; the bound, generous for a loaded one, catches a rerun that waits for
      // a poll or reloads the whole project
      assert.ok(ms < 10000, `rerun took ${ms} ms`);
      console.log(`      (edit to closing line: ${ms} ms)`);

      // A module: the documents that import it, directly or through their own exports.
      mark = s.mark();
      s.write('lib.ts', 'export function three(): number { return 4; }\n');
      const module = await s.nextRun(mark);
      assert.deepEqual(ran(module).sort(), ['c.md', 'docs/s.ts']);
      assert.match(module, /^1 passed, 2 failed, 0 skipped$/m, module); // the edited module, imported anew

      // A new file.
      mark = s.mark();
      s.write('docs/new.md', 'sage: 5\n5\n');
      const added = await s.nextRun(mark);
      assert.deepEqual(ran(added), ['docs/new.md']);

      // A failing last run: Ctrl-C ends with its status.
      mark = s.mark();
      s.write('b.md', 'sage: 2 + 2\n5\n');
      assert.match(await s.nextRun(mark), /^0 passed, 1 failed, 0 skipped$/m);
      s.interrupt();
      assert.equal(await s.exited, 1, s.err);
    } finally {
      s.interrupt();
    }
  });

  it('a run whose file changes again is cancelled and starts over; Ctrl-C after a passing run exits 0', async () => {
    const dir = scratch({ 'slow.md': 'sage: 1\n1\n', 'other.md': 'sage: 2\n2\n' });
    const s = new Watching(dir, ['slow.md', 'other.md']);
    try {
      await s.nextRun({ out: 0, err: 0 });
      const mark = s.mark();
      s.write('slow.md', 'sage: await new Promise((r) => setTimeout(r, 20000))\nsage: 1\n1\n');
      await s.until((_, err) => /running slow\.md/.test(err), mark);
      await new Promise((r) => setTimeout(r, 1000));
      s.write('slow.md', 'sage: 3\n3\n');
      await s.until((_, err) => /the run is cancelled/.test(err), mark, 10000);
      // The cancelled run's partial report, then the run of the file as it is now.
      await s.until((out, err) => /^1 passed, 0 failed, 0 skipped$/m.test(out) && /cancelled[\s\S]*watching for changes/.test(err), mark, 15000);
      assert.match(s.out.slice(mark.out), /not run$[\s\S]*mtest -t slow\.md\n {4}\[1 test, /m);
      s.interrupt();
      assert.equal(await s.exited, 0, s.err);
    } finally {
      s.interrupt();
    }
  });

  it('Ctrl-C during a run: its partial report, then the exit status of the last run that finished', async () => {
    const dir = scratch({ 'a.md': 'sage: 1\n1\n' });
    const w = new Watching(dir, ['a.md']);
    try {
      await w.nextRun({ out: 0, err: 0 });
      const mark = w.mark();
      w.write('a.md', 'sage: await new Promise((r) => setTimeout(r, 20000))\nsage: 1\n2\n');
      await w.until((_, err) => /running a\.md/.test(err), mark);
      await new Promise((r) => setTimeout(r, 1000));
      w.interrupt();
      assert.equal(await w.exited, 0, w.out + w.err);
      assert.match(w.out.slice(mark.out), /interrupted[\s\S]*0 passed, 0 failed, 0 skipped, 2 not run\n$/);
    } finally {
      w.interrupt();
    }
  });

  it('keys on a terminal: f reruns the failures, a everything, q quits with the last run\'s status', async () => {
    const dir = scratch({ 'a.md': 'sage: 1\n1\n', 'b.md': 'sage: 2\n3\n' });
    // A terminal for mtest: Python's pty module (node-gyp's Python) copies this test's keys to it.
    const bin = path.join(process.cwd(), 'bin', 'mtest.js');
    const child = spawn('python3', ['-c', 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)', 'node', bin, '--watch', '--no-status', '-p', '2', '--prelude', 'node:util', 'a.md', 'b.md'], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const waitings = (): number => out.split('watching for changes (a: run all, f: run failures, q: quit)').length - 1;
    const until = async (n: number): Promise<void> => {
      const deadline = Date.now() + 30000;
      while (waitings() < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting; out:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await until(1);
      let from = out.length;
      child.stdin!.write('f');
      await until(2);
      assert.deepEqual(ran(out.slice(from).replace(/\r/g, '')), ['b.md']);
      from = out.length;
      child.stdin!.write('a');
      await until(3);
      assert.deepEqual(ran(out.slice(from).replace(/\r/g, '')).sort(), ['a.md', 'b.md']);
      child.stdin!.write('q');
      assert.equal(await exited, 1, out);
    } finally {
      child.kill(); // the process this test started
    }
  });

  it('run() (the API) runs once: watch is a usage error there', async () => {
    const { run } = await import('../src/index.js');
    const dir = scratch({ 'a.md': 'sage: 1\n1\n' });
    const r = await run(['a.md'], { cwd: dir, watch: true } as never);
    assert.equal(r.exitCode, 2);
    assert.match(r.errors, /^mtest: watch is for the command line/);
  });

  it('--watch with --serial is a usage error (one line)', async () => {
    const dir = scratch({ 'a.md': 'sage: 1\n1\n' });
    const s = new Watching(dir, ['--serial', 'a.md']);
    assert.equal(await s.exited, 2);
    assert.match(s.err, /^mtest: --watch runs examples in workers/);
  });
});
