// Fault injection under --serial: the fixtures of the worker-mode fault suite (test/fixtures/faults), run by
// the mtest command itself in its own process, as a user chasing a parallel-only bug runs it. Whatever the
// example does, the report is finished — the incident at its line, the rest not run, the closing line
// last, the --json file written — and the exit bits tell the truth; no process the example started
// survives the run.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findStackTool } from '../runner/diagnosis/native-stack.js';
import { survivorsAfter, treePidsOf } from './fault-helpers.js';
import { finished, lastLine, runMtest, scratch, skipBecause, startMtest, type Finished } from './process-helpers.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/faults/', import.meta.url));

interface JsonReport {
  totals: { passed: number; failed: number; skipped: number; notrun: number };
  files: { path: string; counts: JsonReport['totals']; incidents: { kind: string; message: string; jsStack?: string; nativeStack?: string; processTree?: string; signal?: string }[]; examples: { line: number; status: string; outcome: string; note?: string }[] }[];
}

interface SerialRun extends Finished {
  json: JsonReport;
  file(name: string): JsonReport['files'][number];
}

async function serial(names: string[], args: string[] = []): Promise<SerialRun> {
  const json = path.join(mkdtempSync(path.join(tmpdir(), 'mtest-serial-')), 'report.json');
  const r = await runMtest(FIXTURES, ['--serial', '--prelude', 'node:util', '--timeout', '1', '--json', json, ...args, ...names]);
  let report: JsonReport;
  try {
    report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport;
  } catch {
    assert.fail(`no --json report (exit ${r.code}, signal ${r.signal})\n${r.out}\n${r.err}`);
  }
  const file = (name: string) => report.files.find((f) => f.path === name) ?? assert.fail(`${name} not in the report`);
  return { ...r, json: report, file };
}

/** The 1-based line of the first example whose source includes `marker`. */
function lineOf(name: string, marker: string): number {
  const lines = readFileSync(path.join(FIXTURES, name), 'utf8').split('\n');
  const exact = lines.findIndex((l) => l.trim() === `sage: ${marker}`);
  const at = exact >= 0 ? exact : lines.findIndex((l) => /^\s*sage: /.test(l) && l.includes(marker));
  assert.ok(at >= 0, `${marker} in ${name}`);
  return at + 1;
}

/** The report was finished: closing line last and equal to the JSON totals, which add up to every example. */
function assertFinished(run: SerialRun, examples: number): void {
  const t = run.json.totals;
  assert.equal(t.passed + t.failed + t.skipped + t.notrun, examples, JSON.stringify(t));
  const closing = `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped${t.notrun ? `, ${t.notrun} not run` : ''}`;
  assert.equal(lastLine(run.out), closing, run.out + run.err);
  assert.equal(run.signal, null, 'mtest ends with an exit status, never by a signal of its own');
}

describe('faults under --serial', function () {
  this.timeout(40000);

  it('a synchronous loop is interrupted at its limit, the rest of its block is not run, the run goes on (exit bit 4)', async () => {
    const run = await serial(['js-loop.md', 'pass.md']);
    assertFinished(run, 9);
    const file = run.file('js-loop.md');
    const spin = file.examples.find((e) => e.line === lineOf('js-loop.md', 'spin()'));
    assert.equal(spin?.outcome, 'timeout');
    assert.equal(spin?.note, `Timed out after 1.0 s while running line ${lineOf('js-loop.md', 'spin()')}`);
    // A Markdown file is one block: what follows the interrupted example shares its unknown names.
    assert.deepEqual(file.counts, { passed: 2, failed: 1, skipped: 0, notrun: 2 });
    const after = file.examples.find((e) => e.line === lineOf('js-loop.md', "'ne' + 'ver reached'"));
    assert.equal(after?.note, `Not run: its block ended at the incident at line ${lineOf('js-loop.md', 'spin()')}`);
    assert.equal(run.file('pass.md').counts.passed, 4);
    assert.equal(run.code, 4);
  });

  it('a promise that never settles fails at its limit and the run goes on', async () => {
    const run = await serial(['never-settles.md', 'pass.md']);
    assertFinished(run, 7);
    assert.deepEqual(run.file('never-settles.md').counts, { passed: 1, failed: 1, skipped: 0, notrun: 1 });
    assert.equal(run.file('pass.md').counts.passed, 4);
    assert.equal(run.code, 4);
  });

  it('a promise that never settles and no time limit: the process goes idle, and the report is still finished', async () => {
    const run = await serial(['never-settles.md', 'stdin.md'], ['--timeout', '0']);
    assertFinished(run, 6);
    const incident = run.file('never-settles.md').incidents[0];
    assert.equal(incident.kind, 'timeout');
    // The words of an idle process are the workers' at a time limit (faults.test), from one place.
    assert.equal(incident.message, `Never settled while running line ${lineOf('never-settles.md', 'new Promise')} (the process is idle: it awaits something that never happens)`);
    assert.match(run.out, /never-settles\.md {2}# Never settled\n/);
    assert.deepEqual(run.file('never-settles.md').counts, { passed: 1, failed: 1, skipped: 0, notrun: 1 });
    assert.equal(run.file('stdin.md').counts.notrun, 3);
    assert.equal(run.code, 4);
  });

  it('a loop inside a promise job: the watchdog finishes the report with the JavaScript stack; the rest not run', async () => {
    const run = await serial(['promise-loop.md', 'stdin.md']);
    assertFinished(run, 6);
    const incident = run.file('promise-loop.md').incidents[0];
    assert.equal(incident.kind, 'timeout');
    assert.equal(incident.message, `Timed out after 1.0 s while running line ${lineOf('promise-loop.md', 'spinInJob')}`);
    assert.match(incident.jsStack ?? '', /at spinInJob \(.*promise-loop\.md:/);
    assert.deepEqual(run.file('promise-loop.md').counts, { passed: 1, failed: 1, skipped: 0, notrun: 1 });
    assert.equal(run.file('stdin.md').counts.notrun, 3, 'files not started are not run');
    assert.match(run.err, /^mtest: 3 examples not run: --serial cannot go on after an example it could not stop in its own process; run without --serial to run them$/m);
    assert.match(run.out, /File "promise-loop\.md", line \d+, in promise-loop\.md\nFailed example:\n {4}await Promise\.resolve\(\)\.then\(function spinInJob/);
    assert.equal(run.code, 4);
  });

  it('a hang in native code: native stack (eu-stack or gdb, never forked), the whole report, every child killed, exit 4', async function () {
    const run = await serial(['native-children.md', 'pass.md']);
    assertFinished(run, 7);
    const incident = run.file('native-children.md').incidents[0];
    assert.equal(incident.kind, 'timeout');
    assert.equal(incident.message, `Timed out after 1.0 s while running line ${lineOf('native-children.md', 'execSync(')}`);
    assert.equal(incident.jsStack, undefined);
    const pids = treePidsOf(incident.processTree);
    assert.ok((incident.processTree?.match(/sleep 30/g) ?? []).length >= 2, incident.processTree);
    assert.deepEqual(await survivorsAfter(pids.slice(1)), [], 'the sleeping children died with the run');
    assert.equal(run.code, 4);
    if (!findStackTool()) skipBecause(this, 'neither eu-stack nor gdb is installed: the native stack not checked');
    assert.match(incident.nativeStack ?? '', /\[main thread\]/);
  });

  // No time limit that the growth could reach first: the memory limit is what ends the example.
  it('RSS past --memlimit: "Memory limit exceeded" at its line, the block dropped and collected, the run goes on (exit 4)', async () => {
    const run = await serial(['rss-growth.md', 'pass.md'], ['--memlimit', '400', '--timeout', '0']);
    assertFinished(run, 8);
    const file = run.file('rss-growth.md');
    const incident = file.incidents[0];
    assert.equal(incident.kind, 'memory');
    const message = new RegExp(`^Memory limit exceeded: RSS \\d+ MB > 400 MB while running line ${lineOf('rss-growth.md', 'const kept')}$`);
    assert.match(incident.message, message);
    const kept = file.examples.find((e) => e.line === lineOf('rss-growth.md', 'const kept'));
    assert.deepEqual([kept?.status, kept?.outcome], ['failed', 'memory']);
    assert.match(kept?.note ?? '', message);
    assert.deepEqual(file.counts, { passed: 2, failed: 1, skipped: 0, notrun: 1 });
    assert.equal(run.file('pass.md').counts.passed, 4, 'the memory was given back: the next file runs');
    assert.equal(run.code, 4);
  });

  it("an awaited example past --memlimit or past the file's limit is given up at once, and the run goes on", async () => {
    const dir = scratch({
      'grow.md': [
        'sage: 1 + 1\n2\n',
        'sage: const kept = []; for (let i = 0; i < 100; i++) { const a = new Float64Array(4 * 1024 * 1024); a.fill(i); kept.push(a); await new Promise((r) => setTimeout(r, 25)) }\n',
        "sage: 'after'\n'after'\n",
      ].join(''),
      'slow.md': "sage: 2 + 2\n4\nsage: for (let i = 0; i < 100; i++) await new Promise((r) => setTimeout(r, 50))\nsage: 'after'\n'after'\n",
      'next.md': 'sage: 4\n4\n',
    });
    const grown = await runMtest(dir, ['--serial', '--prelude', 'node:util', '--timeout', '0', '--memlimit', '500', 'grow.md', 'next.md']);
    assert.match(grown.out, /Memory limit exceeded: RSS \d+ MB > 500 MB while running line 3\n/);
    assert.equal(lastLine(grown.out), '2 passed, 1 failed, 0 skipped, 1 not run', grown.out + grown.err);
    assert.equal(grown.code, 4);
    const slow = await runMtest(dir, ['--serial', '--prelude', 'node:util', '--timeout', '0', '--file-timeout', '1', 'slow.md', 'next.md']);
    assert.match(slow.out, /File timed out after 1\.0 s while running line 3\n/);
    assert.equal(lastLine(slow.out), '2 passed, 1 failed, 0 skipped, 1 not run', slow.out + slow.err);
    assert.equal(slow.code, 4);
  });

  it('RSS still past --memlimit once the block is dropped (kept on globalThis): the run ends there, one line says why', async () => {
    const dir = scratch({
      'hog.md': [
        'sage: 1 + 1\n2\n',
        'sage: const pause = new Int32Array(new SharedArrayBuffer(4))\n',
        // 384 MB at once (well past the limit with mtest's own), then waiting for the limit to stop it
        'sage: globalThis.hoard = new Float64Array(48 * 1024 * 1024).fill(1); for (;;) Atomics.wait(pause, 0, 0, 25)\n',
        'sage: 3 + 3\n6\n',
      ].join(''),
      'after.md': 'sage: 4 + 4\n8\n',
    });
    const r = await runMtest(dir, ['--serial', '--prelude', 'node:util', '--timeout', '0', '--memlimit', '400', 'hog.md', 'after.md']);
    assert.equal(lastLine(r.out), '2 passed, 1 failed, 0 skipped, 2 not run', r.out + r.err);
    assert.match(r.out, /Memory limit exceeded: RSS \d+ MB > 400 MB while running line 4\n/);
    assert.equal(r.err.split('\n').filter((l) => l.includes('stays above')).length, 1, r.err);
    assert.match(r.err, /RSS \d+ MB stays above --memlimit 400 MB after the block that passed it was dropped: 1 example not run \(under --serial every file shares this one process\)/);
    assert.equal(r.code, 4);
    assert.equal(r.signal, null);
  });

  it('--file-timeout: the file is stopped at the line that was running', async () => {
    const run = await serial(['slow-steps.md'], ['--file-timeout', '1', '--timeout', '5']);
    const incident = run.file('slow-steps.md').incidents[0];
    assert.equal(incident.kind, 'file-timeout');
    assert.match(incident.message, /^File timed out after 1\.0 s (while running|after) line \d+$/);
    assert.ok(run.file('slow-steps.md').counts.notrun >= 2, JSON.stringify(run.file('slow-steps.md').counts));
    assert.equal((run.code ?? 0) & 4, 4);
    assert.equal(run.signal, null);
  });

  it("process.exit ends its example as a worker's exit would (the rest of its block not run) and the run goes on", async () => {
    const run = await serial(['exit3.md', 'exit0.md', 'pass.md']);
    assertFinished(run, 3 + 4 + 4);
    assert.deepEqual(run.file('exit3.md').counts, { passed: 1, failed: 1, skipped: 0, notrun: 1 });
    assert.deepEqual(run.file('exit0.md').counts, { passed: 1, failed: 1, skipped: 0, notrun: 2 });
    assert.deepEqual(run.file('exit3.md').incidents.map((i) => [i.kind, i.message]), [['crash', `Exited with code 3 while running line ${lineOf('exit3.md', 'process.exit(3)')}`]]);
    assert.deepEqual(run.file('exit0.md').incidents.map((i) => [i.kind, i.message]), [['crash', `Exited (code 0) before the file finished, while running line ${lineOf('exit0.md', 'process.exit(0)')}`]]);
    assert.equal(run.file('pass.md').counts.passed, 4);
    assert.equal(run.code, 8);
  });

  it('after an incident the rest of its block is not run and the next block runs, as with workers; --file-timeout ends the file', async () => {
    const lineOf = (marker: string) => readFileSync(path.join(FIXTURES, 'blocks.js'), 'utf8').split('\n').findIndex((l) => l.includes(`sage: ${marker}`)) + 1;
    const run = await serial(['blocks.js']);
    assert.deepEqual(run.file('blocks.js').counts, { passed: 3, failed: 2, skipped: 0, notrun: 2 });
    assert.deepEqual(
      run.file('blocks.js').examples.filter((e) => e.status === 'notrun').map((e) => e.note),
      [`Not run: its block ended at the incident at line ${lineOf('for (;;)')}`, `Not run: its block ended at the incident at line ${lineOf('process.exit(3)')}`],
    );
    assert.equal(run.code, 4 | 8);
    const limited = await serial(['blocks.js'], ['--timeout', '0', '--file-timeout', '1']);
    assert.deepEqual(limited.file('blocks.js').incidents.map((i) => i.kind), ['file-timeout']);
    assert.deepEqual(limited.file('blocks.js').counts, { passed: 1, failed: 1, skipped: 0, notrun: 5 });
  });

  it('10 MB of output and an example reading stdin pass', async () => {
    const run = await serial(['output-10mb.md', 'stdin.md']);
    assert.equal(run.code, 0, run.out.slice(-2000) + run.err);
    assert.equal(run.json.totals.failed, 0);
  });

  it('--debug only warns "still running line N after S s" with the stack, and lets the example finish', async () => {
    // The example runs until the test has seen the warning (it waits for a file the test then creates), so
    // the warning, with its stack, always comes while the example still runs, however slow the machine.
    const dir = scratch({ 'slow.md': "sage: 1\n1\nsage: while (!(await import('node:fs')).existsSync('go')) await new Promise((r) => setTimeout(r, 20))\nsage: 2\n2\n" });
    const child = startMtest(dir, ['--debug', '--prelude', 'node:util', '--timeout', '0.2', 'slow.md']);
    const done = finished(child);
    const go = (): void => writeFileSync(path.join(dir, 'go'), '');
    const noWarning = setTimeout(go, 20000); // so a missing warning fails below rather than hanging the test
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      if (/still running line 3/.test(err)) go();
    });
    const run = await done;
    clearTimeout(noWarning);
    assert.match(run.err, /mtest: still running line 3 of slow\.md after \d+ s\n {4}while \(!\(await import\('node:fs'\)\)\.existsSync\('go'\)\) .*\n(JavaScript stack|Native stack|The JavaScript stack did not answer)/);
    assert.equal(run.code, 0, run.out + run.err);
    assert.equal(lastLine(run.out), '3 passed, 0 failed, 0 skipped');
  });

  // A fatal signal in mtest's own thread ends the process (the watchdog finishes the report); process.abort()
  // called from JavaScript never gets that far: it ends the example as a worker's abort would.
  for (const [name, marker, signal, goesOn] of [
    ['segv.md', 'SIGSEGV', 'SIGSEGV', false],
    ['abort.md', 'abort', 'SIGABRT', true],
  ] as const) {
    it(`${signal} in the example: "Killed by ${signal} while running line N", the report finished, exit bit 16${goesOn ? ', the run goes on' : ''}`, async () => {
      const run = await serial([name, 'pass.md']);
      assertFinished(run, 7);
      const incident = run.file(name).incidents[0];
      assert.equal(incident.kind, 'crash');
      assert.equal(incident.message, `Killed by ${signal} while running line ${lineOf(name, marker)}`);
      assert.deepEqual(run.file(name).counts, { passed: 1, failed: 1, skipped: 0, notrun: 1 });
      // Files that crashed last time run first: pass.md may have run before this one.
      const lost = run.file('pass.md').counts.notrun;
      assert.equal(lost, goesOn ? 0 : lost === 0 ? 0 : 4, JSON.stringify(run.file('pass.md').counts));
      const line = run.err.split('\n').filter((l) => l.includes('--serial cannot go on'));
      assert.deepEqual(line, lost ? [`mtest: 4 examples not run: --serial cannot go on after a fatal signal (${signal}) in its own process; run without --serial to run them`] : []);
      assert.equal(run.code, 16);
    });
  }
});
