// Every run ends through RunReport: `mtest merge` replays the shards' reports into one, and a --serial run
// its main thread cannot end is replayed from its journal into one (through the module the command names).
// Either way the report is the one a live run of the same results writes.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Incident, RunEvents } from '../src/events.js';
import { makeIncident } from '../src/incidents.js';
import type { SourceFile } from '../src/model.js';
import { mergeReports } from '../src/report/merge.js';
import { RunReport, type ReportOptions } from '../src/report/run-report.js';
import { finishFromJournal } from '../runner/serial/finish.js';
import { Journal } from '../runner/serial/journal.js';
import { reopenReport, reportHandoff } from '../src/cli/run-end.js';
import { runnerOptions } from './fault-helpers.js';
import { ex, fileOf, sourceFiles } from './helpers.js';
import { stateFile } from '../src/project.js';
import { packageRoot } from '../src/package-root.js';

const files = (): SourceFile[] => [
  fileOf('a.md', [[ex('1 + 1', '2', 1), ex('bad()', '3', 3), ex('spin()', '', 5)], [ex('4', '4', 8)]]),
  fileOf('b.md', [[ex('5', '5', 1), ex('6', '7', 3)]]),
];

const crash = (): Incident => makeIncident({ kind: 'exit', exit: { code: null, signal: 'SIGSEGV', output: '' } }, 'while running line 5', { index: 2, elapsed: 0.5 });

/** The same results, in the order a run reports them: a.md with a failure and a crash, b.md with a failure. */
function play(events: RunEvents, [a, b]: SourceFile[]): void {
  events.fileStart(a, 1);
  events.exampleEnd(a, { index: 0, status: 'passed', outcome: 'ok', time: 0.01 });
  events.exampleEnd(a, { index: 1, status: 'failed', outcome: 'exception', got: 'Uncaught ReferenceError: bad is not defined', time: 0.01 });
  events.exampleEnd(a, { index: 2, status: 'failed', outcome: 'crash', note: crash().message, time: 0.5 });
  events.incident(a, crash());
  events.exampleEnd(a, { index: 3, status: 'notrun', outcome: 'notrun', time: 0 });
  events.fileEnd(a, { time: 0.6, worker: 1 });
  events.fileStart(b, 2);
  events.exampleEnd(b, { index: 0, status: 'passed', outcome: 'ok', time: 0.01 });
  events.exampleEnd(b, { index: 1, status: 'failed', outcome: 'mismatch', got: '6', time: 0.01 });
  events.fileEnd(b, { time: 0.1, worker: 2 });
}

/** The report without its header and its time: what every way of ending the same run must print alike. */
const body = (out: string): string =>
  out
    .split('\n')
    .filter((line) => !/^(Running doctests|Merging|Total time)/.test(line))
    .join('\n');

/** A --json report without what differs between two runs of the same results (id, time). */
const results = (path: string): unknown => {
  const { id: _id, time: _time, ...rest } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return rest;
};

function capture(): { out: string; err: string; io: { out(t: string): void; err(t: string): void } } {
  const c = { out: '', err: '', io: { out: (t: string) => void (c.out += t), err: (t: string) => void (c.err += t) } };
  return c;
}

describe('one finish for every run', () => {
  it('mtest merge of a run prints and writes what the run did, with its exit bits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtest-finish-'));
    const options: ReportOptions = { json: join(dir, 'run.json'), colour: false, command: 'mtest' };
    const live = capture();
    const run = files();
    const report = new RunReport(run, options, live.io, { id: 'run', randomSeed: 1, startedAt: Date.now() });
    report.console.header(['Running doctests with ID run.']);
    play(report.events, run);
    const runBits = report.finish({ interrupted: false, inputErrors: false });
    assert.equal(runBits, 1 | 16, 'a failure and a signal');

    const merged = capture();
    const mergeBits = await mergeReports([join(dir, 'run.json')], { json: join(dir, 'merged.json') }, merged.io);
    assert.equal(mergeBits, runBits, merged.err);
    assert.equal(body(merged.out), body(live.out));
    assert.match(live.out, /a\.md {2}# Killed by SIGSEGV\n/);
    assert.deepEqual(results(join(dir, 'merged.json')), results(join(dir, 'run.json')));
  });

  it("--serial's end from its journal writes what the live report of the same events writes", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtest-finish-'));
    const identity = { id: 'serial', randomSeed: 1, startedAt: Date.now() };
    // Live: the main thread reports every event up to the crash, and the report ends.
    const live = capture();
    const run = files();
    const report = new RunReport(run, { json: join(dir, 'live.json'), colour: false, command: 'mtest' }, live.io, identity);
    play(report.events, run);
    const liveBits = report.finish({ interrupted: false, inputErrors: false });

    // Rebuilt: the journal holds the events up to the crash of a.md's third example; the runner ends it.
    const journalled = files();
    const journal = new Journal(journalled);
    const [a] = journalled;
    journal.fileStart(a);
    journal.exampleEnd(a, { index: 0, status: 'passed', outcome: 'ok', time: 0.01 });
    journal.exampleEnd(a, { index: 1, status: 'failed', outcome: 'exception', got: 'Uncaught ReferenceError: bad is not defined', time: 0.01 });
    const out = openSync(join(dir, 'out.txt'), 'w');
    const err = openSync(join(dir, 'err.txt'), 'w');
    try {
      const handoff = reportHandoff({
        report: { options: { json: join(dir, 'rebuilt.json'), colour: false, command: 'mtest' }, identity, inputErrors: false, fds: { out, err } },
        runner: runnerOptions({ serial: true }),
        cwd: dir,
      });
      const bits = await finishFromJournal(journal.buffer, { ...handoff, umask: process.umask() }, { incident: crash(), elapsed: 0.5, fileSeconds: 0.6 });
      assert.equal(bits, 1 | 16);
      assert.equal(bits & liveBits, bits);
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const rebuilt = readFileSync(join(dir, 'out.txt'), 'utf8');
    // What the main thread had printed is not printed again; the rest is the live report's: a.md's section
    // (failure, crash), and b.md never started (not run).
    assert.match(rebuilt, /File "a\.md", line 3, in a\.md#0\nFailed example:\n {4}bad\(\)/);
    assert.match(rebuilt, /Killed by SIGSEGV while running line 5/);
    assert.match(rebuilt, /mtest -t a\.md {2}# Killed by SIGSEGV\n/);
    assert.equal(rebuilt.trimEnd().split('\n').pop(), '1 passed, 2 failed, 0 skipped, 3 not run');
    const rebuiltJson = results(join(dir, 'rebuilt.json')) as { files: { path: string; examples: unknown[]; incidents: unknown[] }[] };
    const liveJson = results(join(dir, 'live.json')) as typeof rebuiltJson;
    // a.md ended alike in both; b.md ran live, and was never started in the rebuilt run.
    const fileA = (r: typeof rebuiltJson) => {
      const { time: _t, ...rest } = r.files.find((f) => f.path === 'a.md') as unknown as Record<string, unknown>;
      return rest;
    };
    assert.deepEqual(fileA(rebuiltJson), fileA(liveJson));
    assert.match(readFileSync(stateFile(dir, 'workers.json'), 'utf8'), /"mode":\s*"serial"/, "the workers' record is left behind too");
  });
});

describe('the report data handed to the --serial watchdog', () => {
  it('is checked when the report is reopened: data that is not the command\'s is refused, never cast', () => {
    const identity = { id: 'r', randomSeed: 1, startedAt: Date.now() };
    const good = { report: { options: { colour: false }, identity, inputErrors: false, fds: { out: 1, err: 2 } }, runner: runnerOptions({ serial: true }), cwd: tmpdir() };
    assert.doesNotThrow(() => reopenReport([], good));
    for (const bad of [undefined, {}, { ...good, cwd: 7 }, { ...good, report: { ...good.report, fds: { out: -1, err: 2 } } }, { ...good, runner: { serial: 'yes' } }]) {
      assert.throws(() => reopenReport([], bad), TypeError, JSON.stringify(bad)?.slice(0, 80));
    }
  });
});

describe('imports run one way', () => {
  it('runner/ reaches bisect, schedule and report only through what the command hands it', () => {
    // Type-only imports aside, nothing: the descriptor writer is a utility, the event fan-out sits with the events.
    const root = packageRoot();
    const offenders: string[] = [];
    for (const path of sourceFiles(root, 'runner')) {
      const text = readFileSync(path, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\()['"]((?:\.\.\/)+src\/(bisect|schedule|report)\/[^'"]+)['"]/g)) {
        const typeOnly = /import\s+type\s/.test(text.slice(text.lastIndexOf('\n', m.index) + 1, m.index));
        if (!typeOnly) offenders.push(`${path.slice(root.length + 1)} → ${m[1].replace(/^(\.\.\/)+/, '')}`);
      }
    }
    assert.deepEqual(offenders, []);
  });
});
