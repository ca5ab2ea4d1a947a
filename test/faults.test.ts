// Fault injection, worker mode: every fixture in test/fixtures/faults misbehaves in one way. Each must be
// reported at the right line with the right cause, the other files of the same run must still pass, the
// counts must add up, and no process of the run may survive it.
import assert from 'node:assert/strict';
import { countExamples, type SourceFile } from '../src/model.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { findGdb, findOnPath, findStackTool, inNativeCode, isIdle, nativeStack } from '../runner/diagnosis/native-stack.js';
import { fixture, indexOf, lineOf, runFiles, treePidsOf, type Run } from './fault-helpers.js';
import { skipBecause } from './process-helpers.js';
import { childPids } from '../runner/diagnosis/process-tree.js';

/** The passing file ran completely. */
function assertPassed(run: Run, file: SourceFile): void {
  const counts = run.events.counts(file.path);
  assert.equal(counts.passed, countExamples(file), `${file.path} passed: ${JSON.stringify(counts)}`);
}

describe('faults in worker mode', function () {
  this.timeout(20000);
  const pass = fixture('pass.md');

  it('a synchronous JavaScript loop: timeout at its line, JavaScript stack naming it, rest not run', async () => {
    const file = fixture('js-loop.md');
    const run = await runFiles([file, pass]);
    const rec = run.record(file);
    const i = indexOf(file, 'spin()');
    assert.equal(rec.results.get(i)?.outcome, 'timeout');
    assert.equal(rec.results.get(i)?.status, 'failed');
    assert.equal(rec.incidents.length, 1);
    const incident = rec.incidents[0];
    assert.equal(incident.kind, 'timeout');
    assert.equal(incident.index, i);
    assert.match(incident.message, new RegExp(`^Timed out after 1\\.0 s while running line ${lineOf(file, 'spin()')}$`));
    assert.match(incident.jsStack ?? '', new RegExp(`at spin \\(.*js-loop\\.md:${lineOf(file, 'function spin')}:`));
    assert.equal(incident.nativeStack, undefined, 'no native stack needed when the inspector answered');
    assert.doesNotMatch(incident.output ?? '', /Debugger (listening|attached)/, "the inspector's banner is not the example's output");
    assert.match(incident.processTree ?? '', /worker\.js/);
    assert.equal(run.events.counts(file.path).notrun, 2);
    assert.equal(run.events.counts(file.path).passed, 2);
    assertPassed(run, pass);
    // How soon the report comes after the limit is measured by test/bench/parallel-latency.mjs: a bound
    // here would fail on a loaded machine and say nothing the assertions above do not.
  });

  it('a loop inside a promise job: the JavaScript stack names the job', async () => {
    const file = fixture('promise-loop.md');
    const run = await runFiles([file]);
    const incident = run.record(file).incidents[0];
    assert.equal(incident.kind, 'timeout');
    assert.match(incident.message, new RegExp(`while running line ${lineOf(file, 'spinInJob')}$`));
    assert.match(incident.jsStack ?? '', /at spinInJob \(.*promise-loop\.md:/);
  });

  it('a promise that never settles: timeout at its line, the process is idle', async function () {
    const file = fixture('never-settles.md');
    const run = await runFiles([file, pass]);
    const incident = run.record(file).incidents[0];
    assert.equal(incident.kind, 'timeout');
    assert.match(incident.message, new RegExp(`while running line ${lineOf(file, 'new Promise')}`));
    assertPassed(run, pass);
    // Idleness is read from the native stack. The words of an idle process are --serial's when its event
    // loop runs empty (faults-serial.test).
    if (!findStackTool()) skipBecause(this, 'neither eu-stack nor gdb is installed: idleness not checked');
    assert.equal(incident.message, `Timed out after 1.0 s while running line ${lineOf(file, 'new Promise')} (the process is idle: it awaits something that never happens)`);
  });

  it('a block inside native code (execSync sleep): native stack, the sleeping child killed too', async function () {
    const file = fixture('native-sleep.md');
    const run = await runFiles([file, pass]);
    const incident = run.record(file).incidents[0];
    assert.equal(incident.kind, 'timeout');
    assert.match(incident.message, new RegExp(`^Timed out after 1\\.0 s while running line ${lineOf(file, 'sleep 30')}$`));
    assert.equal(incident.jsStack, undefined, 'the inspector cannot pause native code');
    assert.doesNotMatch(incident.message, /idle/, 'a blocking native call is not idleness');
    assert.match(incident.processTree ?? '', /sleep 30/);
    assert.ok(treePidsOf(incident.processTree).length >= 2);
    assertPassed(run, pass);
    // How soon the report comes is measured by test/bench/parallel-latency.mjs, not bounded here.
    if (!findStackTool()) skipBecause(this, 'neither eu-stack nor gdb is installed: the native stack not checked');
    assert.match(incident.nativeStack ?? '', /SyncProcessRunner/);
  });

  it('a native hang is reported as soon as its native stack shows the main thread in native code, not after the inspector gives up', async function () {
    if (!findStackTool()) skipBecause(this, 'neither eu-stack nor gdb is installed');
    const file = fixture('native-sleep.md');
    // The inspector would be given 20 s; the native stack, taken 150 ms after asking it, ends the wait.
    const run = await runFiles([file], {}, { stackWaitMs: 20000 });
    const rec = run.record(file);
    const i = indexOf(file, 'sleep 30');
    assert.match(rec.incidents[0].nativeStack ?? '', /SyncProcessRunner/);
    const latency = rec.times.incident[0] - rec.times.exampleStart.get(i)! - 1000;
    assert.ok(latency < 10000, `report ${latency} ms after the limit`);
  });

  it('a native hang with a tree of children: every one of them dies', async () => {
    const file = fixture('native-children.md');
    const run = await runFiles([file], { gdb: false });
    const incident = run.record(file).incidents[0];
    assert.equal(incident.kind, 'timeout');
    assert.equal(incident.nativeStack, undefined, '--no-gdb');
    assert.ok((incident.processTree?.match(/sleep 30/g) ?? []).length >= 2, incident.processTree);
  });

  it('SIGSEGV: "Killed by SIGSEGV while running line N"', async () => {
    const file = fixture('segv.md');
    const run = await runFiles([file, pass]);
    const rec = run.record(file);
    const incident = rec.incidents[0];
    assert.equal(incident.kind, 'crash');
    assert.equal(incident.signal, 'SIGSEGV');
    assert.equal(incident.message, `Killed by SIGSEGV while running line ${lineOf(file, 'SIGSEGV')}`);
    assert.equal(rec.results.get(indexOf(file, 'SIGSEGV'))?.outcome, 'crash');
    assert.deepEqual(run.events.counts(file.path), { passed: 1, failed: 1, skipped: 0, notrun: 1 });
    assertPassed(run, pass);
  });

  it('process.abort(): killed by SIGABRT at its line', async () => {
    const file = fixture('abort.md');
    const run = await runFiles([file]);
    const incident = run.record(file).incidents[0];
    assert.equal(incident.signal, 'SIGABRT');
    assert.equal(incident.message, `Killed by SIGABRT while running line ${lineOf(file, 'abort')}`);
  });

  it('process.exit(0) mid-file: "Exited (code 0) before the file finished"', async () => {
    const file = fixture('exit0.md');
    const run = await runFiles([file, pass]);
    const incident = run.record(file).incidents[0];
    assert.equal(incident.kind, 'crash');
    assert.equal(incident.exitCode, 0);
    assert.equal(incident.message, `Exited (code 0) before the file finished, while running line ${lineOf(file, 'exit(0)')}`);
    assert.deepEqual(run.events.counts(file.path), { passed: 1, failed: 1, skipped: 0, notrun: 2 });
    assertPassed(run, pass);
  });

  it('process.exit(3) mid-file: "Exited with code 3 while running line N"', async () => {
    const file = fixture('exit3.md');
    const run = await runFiles([file]);
    const incident = run.record(file).incidents[0];
    assert.equal(incident.exitCode, 3);
    assert.equal(incident.message, `Exited with code 3 while running line ${lineOf(file, 'exit(3)')}`);
  });

  it('V8 heap out of memory: named as such, at its line', async () => {
    const file = fixture('heap-oom.md');
    const run = await runFiles([file, pass], {}, { execArgv: ['--max-old-space-size=40'] });
    const incident = run.record(file).incidents[0];
    assert.equal(incident.kind, 'crash');
    assert.match(incident.message, new RegExp(`^JavaScript heap out of memory while running line ${lineOf(file, 'hoard')} \\(killed by SIG`));
    assert.match(incident.output ?? '', /heap/i);
    assertPassed(run, pass);
  });

  it('RSS past --memlimit: "Memory limit exceeded: RSS … > … while running line N"', async () => {
    const file = fixture('rss-growth.md');
    // The example waits in Atomics.wait between its allocations: a native stack taken there shows the main
    // thread in native code and would end the wait for the JavaScript stack, which on a loaded machine may
    // come later. The inspector alone, given time, always answers (the wait is interruptible).
    const run = await runFiles([file, pass], { memlimit: 300, timeout: 10, gdb: false }, { stackWaitMs: 20000 });
    const rec = run.record(file);
    const i = indexOf(file, 'kept');
    const incident = rec.incidents[0];
    assert.equal(incident.kind, 'memory');
    assert.match(incident.message, new RegExp(`^Memory limit exceeded: RSS \\d+ MB > 300 MB while running line ${lineOf(file, 'kept')}$`));
    assert.equal(rec.results.get(i)?.outcome, 'memory');
    assert.match(incident.jsStack ?? '', /rss-growth\.md:/, 'the watchdog caught it in the act');
    assertPassed(run, pass);
  });

  it('10 MB of output (raw fd and a 10 MB result) neither blocks nor fails', async () => {
    const file = fixture('output-10mb.md');
    // An example blocked on a full pipe would time out at its 20 s limit and fail: no wall-clock bound needed.
    const run = await runFiles([file, pass], { timeout: 20 });
    assert.deepEqual(run.events.counts(file.path), { passed: countExamples(file), failed: 0, skipped: 0, notrun: 0 });
  });

  it('output without end: stopped at the output limit, at its line, before it fills the disk', async () => {
    const file = fixture('output-flood.md');
    const run = await runFiles([file, pass], { timeout: 60 }, { outputLimit: 4 * 1024 * 1024 });
    const incident = run.record(file).incidents[0];
    assert.equal(incident?.kind, 'memory');
    assert.match(incident.message, new RegExp(`^Output limit exceeded: .* written to stdout/stderr > 4 MB while running line ${lineOf(file, 'for (;;)')}$`));
    assert.deepEqual(run.events.counts(file.path), { passed: 2, failed: 1, skipped: 0, notrun: 1 });
    assert.equal(run.events.counts(pass.path).passed, countExamples(pass));
  });

  it('an uncaught exception in a timer: crash with the error and where it was thrown', async () => {
    const file = fixture('timer-throw.md');
    const run = await runFiles([file, pass], { timeout: 5 });
    const incident = run.record(file).incidents[0];
    assert.equal(incident.kind, 'crash');
    assert.match(incident.message, /^Uncaught exception in a callback: Error: boom in a timer \(while running line \d+\)$/);
    assert.match(incident.jsStack ?? '', new RegExp(`throwsLater.*\\(.*timer-throw\\.md:${lineOf(file, 'throwsLater')}:`));
    assert.equal(run.events.counts(file.path).passed, 1, 'the example that scheduled it passed before it fired');
    assertPassed(run, pass);
  });

  it('an unhandled rejection: crash naming it', async () => {
    const file = fixture('unhandled-rejection.md');
    const run = await runFiles([file], { timeout: 5 });
    const incident = run.record(file).incidents[0];
    assert.equal(incident.kind, 'crash');
    assert.match(incident.message, /^Unhandled promise rejection: Error: nobody handles me \((while running|after) line \d+\)$/);
    assert.match(incident.jsStack ?? '', /unhandled-rejection\.md:/);
  });

  it('the worker killed from outside: "Killed by SIGKILL while running line N"', async () => {
    const file = fixture('long-wait.md');
    const target = indexOf(file, 'setTimeout');
    const run = await runFiles([file, pass], { timeout: 30 }, {}, (events, pool) => {
      events.onExampleStart = (started, index, worker) => {
        if (started.path === file.path && index === target) process.kill(pool.pidOf(worker)!, 'SIGKILL');
      };
    });
    const incident = run.record(file).incidents[0];
    assert.equal(incident.kind, 'crash');
    assert.equal(incident.message, `Killed by SIGKILL while running line ${lineOf(file, 'setTimeout')}`);
    assert.equal(run.events.counts(file.path).passed, 1);
    assertPassed(run, pass);
  });

  it('an example reading stdin sees EOF and passes at once', async () => {
    const file = fixture('stdin.md');
    // An example left waiting for input would time out at its 5 s limit and fail: no wall-clock bound needed.
    const run = await runFiles([file], { timeout: 5 });
    assert.deepEqual(run.events.counts(file.path), { passed: countExamples(file), failed: 0, skipped: 0, notrun: 0 });
  });

  it('--file-timeout: the file is stopped at the line that was running', async () => {
    const file = fixture('slow-steps.md');
    const run = await runFiles([file], { fileTimeout: 1, timeout: 10 });
    const incident = run.record(file).incidents[0];
    assert.equal(incident.kind, 'file-timeout');
    assert.match(incident.message, /^File timed out after 1\.0 s while running line \d+$/);
    const counts = run.events.counts(file.path);
    assert.ok(counts.passed >= 3 && counts.passed <= 4, JSON.stringify(counts));
    assert.equal(counts.failed, 1);
  });

  it('--trace-memory: the example that grew RSS is named with its line', async () => {
    const file = fixture('memory-growth.md');
    const run = await runFiles([file], { traceMemory: 50 });
    const warnings = run.record(file).warnings;
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.equal(warnings[0].index, indexOf(file, 'Float64Array'));
    assert.match(warnings[0].message, /^RSS grew by \d+ MB$/);
  });
});

describe('native stacks: eu-stack and gdb', function () {
  this.timeout(30000);
  const euStack = findOnPath('eu-stack');
  const gdb = findGdb();

  /** A Node process blocked in native code (execSync waiting in C++ for a sleeping child). */
  async function blockedNode(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', "process.stdout.write('ready\\n'); require('node:child_process').execSync('sleep 30')"], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    // inside execSync once its child exists (not after a fixed pause, which a loaded machine may outlast)
    while (childPids(child.pid!).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    return child;
  }

  for (const [name, path] of [['eu-stack', euStack], ['gdb', gdb]] as const) {
    it(`${name}: the main thread first, in native code, under the JavaScript that called it`, async function () {
      if (!path) skipBecause(this, `${name} is not installed`);
      const child = await blockedNode();
      try {
        const stack = await nativeStack(child.pid!, 10000, { name, path });
        assert.ok(stack, `${name} gave no stack`);
        assert.match(stack, new RegExp(`^Thread LWP ${child.pid}( "[^"]*")? \\[main thread\\]:\\n`));
        assert.match(stack, /SyncProcessRunner/);
        assert.equal(inNativeCode(stack), true, stack);
        assert.equal(isIdle(stack), false, stack);
      } finally {
        process.kill(-child.pid!, 'SIGKILL');
      }
    });
  }

  it('eu-stack is preferred when both are installed (it is the faster)', function () {
    if (!euStack || !gdb) skipBecause(this, 'needs both eu-stack and gdb');
    assert.equal(findStackTool()?.name, 'eu-stack');
  });
});

describe('after an incident in worker mode', function () {
  this.timeout(30000);
  const file = fixture('blocks.js');
  const note = (marker: string) => `Not run: its block ended at the incident at line ${lineOf(file, marker)}`;

  it('the rest of the block is not run, and the file goes on from its next block in a fresh worker', async () => {
    const run = await runFiles([file], { timeout: 1, jobs: 1 });
    const rec = run.record(file);
    const at = (marker: string) => rec.results.get(indexOf(file, marker));
    assert.deepEqual(rec.incidents.map((i) => [i.kind, i.message]), [
      ['timeout', `Timed out after 1.0 s while running line ${lineOf(file, 'for (;;)')}`],
      ['crash', `Exited with code 3 while running line ${lineOf(file, 'process.exit(3)')}`],
    ]);
    assert.deepEqual([at("'after the loop'")?.status, at("'after the loop'")?.note], ['notrun', note('for (;;)')]);
    assert.deepEqual([at("'after the exit'")?.status, at("'after the exit'")?.note], ['notrun', note('process.exit(3)')]);
    assert.equal(at('2 + 2')?.status, 'passed');
    assert.equal(at('3 + 3')?.status, 'passed');
    assert.deepEqual(run.events.counts(file.path), { passed: 3, failed: 2, skipped: 0, notrun: 2 });
    // one worker per stretch of the file, each on the same slot
    const ran = run.outcome.workers.filter((w) => w.files.includes(file.path));
    assert.equal(new Set(ran.map((w) => w.pid)).size, 3, JSON.stringify(run.outcome.workers));
    assert.deepEqual(new Set(ran.map((w) => w.worker)), new Set([1]));
    // each fresh worker is recorded as having run the file from its next block (what `mtest bisect` replays)
    assert.deepEqual(ran.map((w) => w.from), [undefined, [indexOf(file, '2 + 2')], [indexOf(file, '3 + 3')]]);
  });

  it('--exitfirst: the rest of the file is not run', async () => {
    const run = await runFiles([file], { timeout: 1, exitFirst: true });
    assert.deepEqual(run.events.counts(file.path), { passed: 1, failed: 1, skipped: 0, notrun: 5 });
    assert.equal(run.outcome.workers.filter((w) => w.files.includes(file.path)).length, 1);
  });

  it('--file-timeout ends the file: its later blocks are not run', async () => {
    const run = await runFiles([file], { timeout: 0, fileTimeout: 1 });
    const rec = run.record(file);
    assert.deepEqual(rec.incidents.map((i) => i.kind), ['file-timeout']);
    assert.deepEqual(run.events.counts(file.path), { passed: 1, failed: 1, skipped: 0, notrun: 5 });
  });
});
