// mtest bisect: a recorded run (.mtest/workers.json), then bisect on one of its failures, both as users run
// them (the mtest command as a process, in a scratch copy of a fixture under test/fixtures/bisect).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ddmin } from '../src/bisect/ddmin.js';
import { replayOptions, sameGot, sameSymptom } from '../src/bisect/index.js';
import { loadSource } from '../src/sources/index.js';
import { runWorkers } from '../runner/parent/pool.js';
import { RecordingEvents } from '../src/recording-events.js';
import { gotDigest, WorkerHistory, type WorkersFile, type WorkersRecord } from '../src/bisect/record.js';
import type { RunnerOutcome } from '../src/options.js';
import { observe, ReplayError } from '../src/bisect/replay.js';
import { encodeRecord, RECORD_MARK } from '../runner/protocol.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/bisect/', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/mtest.js', import.meta.url));
/** Every recorded run: one worker (so the order is known: larger files first, then by name), 1 s limits. */
const RECORD = ['-p', '1', '--timeout', '1', '--prelude', 'node:util', '--random-seed', '1', '.'];

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

function mtest(dir: string, args: string[], env = process.env): Promise<Ran> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

/** A scratch copy of the fixture, with one recorded run in it. */
async function recorded(fixture: string, args = RECORD): Promise<{ dir: string; run: Ran; record: WorkersRecord }> {
  const dir = mkdtempSync(path.join(tmpdir(), `mtest-bisect-${fixture}-`));
  cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
  const run = await mtest(dir, args);
  return { dir, run, record: readRecord(dir).runs[0] };
}

function readRecord(dir: string): WorkersFile {
  return JSON.parse(readFileSync(path.join(dir, '.mtest', 'workers.json'), 'utf8')) as WorkersFile;
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

describe('mtest bisect', function () {
  this.timeout(90000);

  it('a hang that needs another file first: named at the polluting example, alone: passes; the failure block says how', async () => {
    const { dir, run, record } = await recorded('hang');
    assert.equal(run.code, 4, run.out + run.err);
    assert.match(run.out, /Timed out after 1\.0 s while running line 4\n[\s\S]*To see what it depends on: mtest bisect z\.md:4\n\*{70}\n/);
    assert.deepEqual(record.workers.map((w) => w.files), [['a.md', 'b.md', 'c.md', 'z.md']]);
    assert.deepEqual(
      { mode: record.options.mode, jobs: record.options.jobs, prelude: record.options.prelude, randomSeed: record.options.randomSeed, timeout: record.options.timeout },
      { mode: 'workers', jobs: 1, prelude: ['node:util'], randomSeed: 1, timeout: 1 },
    );
    assert.ok(record.options.blasThreads >= 1);
    // Run by itself it passes (the first thing one tries): the failing run stays on record.
    assert.equal((await mtest(dir, ['-t', 'z.md', ...RECORD.slice(0, -1)])).code, 0);
    assert.deepEqual(readRecord(dir).runs.map((run) => run.workers.map((w) => w.files)), [[['z.md']], [['a.md', 'b.md', 'c.md', 'z.md']]]);
    const r = await mtest(dir, ['bisect', 'z.md:4']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^bisect: alone: passes$/m);
    assert.equal(lastLine(r.out), 'bisect: z.md:4 fails only after a.md:4');
    assert.match(r.err, new RegExp(`^bisect: z\\.md:4: timeout in an earlier run \\(${record.id}\\); worker 1 ran 3 files before it`, 'm'));
    assert.match(r.err, /^bisect: step 1: the recorded sequence \(3 files, then z\.md\): fails \(timeout\)$/m);
    assert.match(r.err, /^bisect: step 2: z\.md alone: passes$/m);
    const steps = Number(/bisect: (\d+) replays in/.exec(r.err)?.[1]);
    assert.ok(steps >= 4 && steps <= 8, r.err);
  });

  it('a --serial run: recorded as mtest\'s own process, replayed serially (each replay a fresh process)', async () => {
    const { dir, record } = await recorded('infile', ['--serial', ...RECORD.slice(2)]);
    assert.deepEqual(record.workers.map((w) => [w.worker, w.files]), [[0, ['b.md', 'f.md']]]);
    assert.equal(record.options.mode, 'serial');
    assert.deepEqual(record.workers[0].failures.map((f) => [f.file, f.line, f.outcome, f.got]), [['f.md', 7, 'mismatch', "'fast'\n"]]);
    const r = await mtest(dir, ['bisect', 'f.md:7']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.err, /^bisect: f\.md:7: wrong output in the last run \(\S+\); mtest itself ran 1 file before it \(serially,/m);
    assert.equal(lastLine(r.out), 'bisect: f.md:7 fails only after f.md:2');
  });

  it('--serial replays of a hang only the watchdog can end (inside native code): still seen as the timeout', async () => {
    const { dir } = await recorded('native');
    const r = await mtest(dir, ['bisect', 'z.md:3', '--serial']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.err, /; replaying it serially\n/);
    assert.match(r.err, /^bisect: step 1: the recorded sequence \(2 files, then z\.md\): fails \(timeout\)$/m);
    assert.equal(lastLine(r.out), 'bisect: z.md:3 fails only after a.md:1');
  });

  it('--serial replays: a line in the records file that is not a record the child sends ends the bisect in one line, exit 64', async () => {
    const { dir, record } = await recorded('scribble', ['--serial', ...RECORD.slice(2)]);
    assert.deepEqual(record.workers.map((w) => w.files), [['a.md', 'z.md']]);
    const r = await mtest(dir, ['bisect', 'z.md:1']);
    assert.equal(r.code, 64, r.out + r.err);
    assert.match(r.err, /^mtest: bisect: a --serial replay wrote a record mtest cannot read: "not a record\\n"\n$/m);
    assert.doesNotMatch(r.err, /^\s+at /m, 'no stack: not a crash of mtest');
  });

  it('a wrong output that needs two other files’ global state (and an earlier example of its own)', async () => {
    const { dir, record } = await recorded('wrong');
    assert.deepEqual(record.workers[0].files, ['q.md', 'p.md', 'r.md', 'w.md']);
    assert.deepEqual(record.workers[0].failures.map((f) => [f.file, f.line, f.outcome, f.got]), [['w.md', 2, 'mismatch', "'20 cm'\n"]]);
    const r = await mtest(dir, ['bisect', 'w.md:2', '--serial']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^bisect: alone: passes$/m);
    assert.equal(lastLine(r.out), 'bisect: w.md:2 fails only after q.md:3, p.md:3, w.md:1');
    assert.doesNotMatch(r.out, /nondeterministic/);
  });

  it('a wrong output with another text on every run: said to be nondeterministic, bisected on pass/fail', async () => {
    const { dir, record } = await recorded('uuid');
    assert.deepEqual(record.workers[0].failures.map((f) => [f.file, f.line, f.outcome]), [['u.md', 4, 'mismatch']]);
    const r = await mtest(dir, ['bisect', 'u.md:4']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.err, /^bisect: step 1: the recorded sequence \(0 files, then u\.md\): fails \(wrong output, another text\)$/m);
    assert.match(r.out, /^bisect: u\.md:4: its output is nondeterministic \(replays printed other text than the recorded run\); bisected on pass\/fail$/m);
    assert.equal(lastLine(r.out), 'bisect: u.md:4 fails only after u.md:3');
  });

  it('a dependence inside the file: the fewest earlier examples, alone: fails; a line inside the example names it', async () => {
    const { dir } = await recorded('infile');
    const r = await mtest(dir, ['bisect', 'f.md:8']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^bisect: alone: fails$/m);
    assert.equal(lastLine(r.out), 'bisect: f.md:7 fails only after f.md:2');
  });

  it('an independent failure: fails on its own', async () => {
    const { dir } = await recorded('alone');
    const r = await mtest(dir, ['bisect', 'i.md:2']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^bisect: alone: fails$/m);
    assert.equal(lastLine(r.out), 'bisect: i.md:2 fails on its own');
  });

  it('a failure that does not come back: does not fail when replayed, exit bit 1', async () => {
    const { dir } = await recorded('flaky');
    const r = await mtest(dir, ['bisect', 'once.md:4']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.equal(lastLine(r.out), 'bisect: once.md:4 does not fail when replayed');
  });

  it('a file a fresh worker took over after an incident: recorded from there, replayed from there (never the block that killed its first worker)', async () => {
    const { dir, run, record } = await recorded('takeover');
    assert.equal(run.code, 9, run.out + run.err);
    const marks = (): number => readFileSync(path.join(dir, 'block1.log'), 'utf8').split('\n').length - 1;
    assert.equal(marks(), 1);
    // The first worker died in a.js's first block; a fresh one on the same slot went on from its second (line 13).
    assert.deepEqual(
      record.workers.map((w) => [w.worker, w.files, w.from, w.failures.map((f) => `${f.file}:${f.line} ${f.outcome}`)]),
      [
        [1, ['a.js'], undefined, ['a.js:6 crash']],
        [1, ['a.js', 'b.md'], [3, 0], ['a.js:16 mismatch', 'b.md:3 mismatch']],
      ],
    );
    const own = await mtest(dir, ['bisect', 'a.js:16']);
    assert.equal(own.code, 0, own.out + own.err);
    assert.match(own.err, /^bisect: step 1: the recorded sequence \(0 files, then a\.js from line 13\): fails \(wrong output\)$/m);
    assert.equal(lastLine(own.out), 'bisect: a.js:16 fails only after a.js:15');
    const other = await mtest(dir, ['bisect', 'b.md:3']);
    assert.equal(other.code, 0, other.out + other.err);
    assert.match(other.err, /^bisect: b\.md:3: wrong output in the last run \(\S+\); worker 1 ran 1 file before it /m);
    assert.match(other.out, /^bisect: alone: passes$/m);
    assert.equal(lastLine(other.out), 'bisect: b.md:3 fails only after a.js:13');
    // No replay ran the first block: what that worker never ran is not replayed as its history.
    assert.equal(marks(), 1);
    // The crash itself is the first worker's, and replays with it: nothing after it is chosen, so the
    // replay's worker is not replaced for later blocks (which would make the sequence look broken).
    const crash = await mtest(dir, ['bisect', 'a.js:6']);
    assert.equal(crash.code, 0, crash.out + crash.err);
    assert.match(crash.err, /^bisect: a\.js:6: crash in the last run \(\S+\); worker 1 ran 0 files before it /m);
    assert.match(crash.err, /^bisect: step 1: the recorded sequence \(0 files, then a\.js\): fails \(crash\)$/m);
    assert.equal(lastLine(crash.out), 'bisect: a.js:6 fails on its own');
  });

  it('a --serial run of the same files: one process ran them all, whole (no "from"), and owns every failure', async () => {
    const { record } = await recorded('takeover', ['--serial', ...RECORD.slice(2)]);
    assert.deepEqual(
      record.workers.map((w) => [w.worker, w.files, 'from' in w, w.failures.map((f) => `${f.file}:${f.line}`)]),
      [[0, ['a.js', 'b.md'], false, ['a.js:6', 'a.js:16', 'b.md:3']]],
    );
  });

  it('a recorded "from" that is not one example index per file: the record is damaged, one line, exit 2', async () => {
    const { dir } = await recorded('takeover');
    const file = path.join(dir, '.mtest', 'workers.json');
    const good = readRecord(dir);
    for (const from of [[3], [3, -1], [3, 0.5], '3', [3, null]]) {
      const damaged = structuredClone(good);
      (damaged.runs[0].workers[1] as { from?: unknown }).from = from;
      writeFileSync(file, JSON.stringify(damaged));
      const r = await mtest(dir, ['bisect', 'b.md:3']);
      assert.equal(r.code, 2, `${JSON.stringify(from)}: ${r.out}${r.err}`);
      assert.equal(r.err, 'mtest: bisect: .mtest/workers.json: cannot read it (run 1, worker 2: "from" is not a list of example indices, one per file); run the tests again\n');
      assert.equal(r.out, '');
    }
    // A record written before "from" existed still loads. It cannot tell where the file was taken over: a.js
    // is replayed whole, its first block ends the replay's worker, and the failure is not seen again.
    const old = structuredClone(good);
    delete old.runs[0].workers[1].from;
    writeFileSync(file, JSON.stringify(old));
    const r = await mtest(dir, ['bisect', 'b.md:3']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /^bisect: step 1: the recorded sequence \(1 file, then b\.md\): fails differently \(the process died before it\)$/m);
    assert.equal(lastLine(r.out), 'bisect: b.md:3 does not fail when replayed');
  });

  it('a parallel run records every worker process with its own files, each file once', async () => {
    const { record } = await recorded('wrong', ['-p', '2', ...RECORD.slice(2)]);
    assert.equal(record.options.jobs, 2);
    assert.equal(record.workers.length, 2);
    assert.deepEqual(record.workers.flatMap((w) => w.files).sort(), ['p.md', 'q.md', 'r.md', 'w.md']);
    for (const w of record.workers) assert.ok(w.worker >= 1 && w.pid! > 0 && w.files.length > 0, JSON.stringify(w));
  });

  it('bad requests: one line each, exit 2', async () => {
    const { dir } = await recorded('alone');
    const cases: [string[], RegExp][] = [
      [['bisect', 'i.md'], /^mtest: bisect: expected FILE:LINE, got 'i\.md'\n$/],
      [['bisect', 'b.md:1'], /^mtest: bisect: b\.md:1 did not fail in the recorded run \(\.mtest\/workers\.json\)\n$/],
      [['bisect', 'nowhere.md:3'], /^mtest: bisect: nowhere\.md did not run in the recorded run/],
      [['bisect', 'i.md:2', '-p', '2'], /^mtest: usage: mtest bisect FILE:LINE \[--serial\]\n$/],
    ];
    for (const [args, expected] of cases) {
      const r = await mtest(dir, args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}${r.err}`);
      assert.match(r.err, expected);
      assert.equal(r.out, '');
    }
    const noTmp = await mtest(dir, ['bisect', 'i.md:2'], { ...process.env, TMPDIR: path.join(dir, 'missing') });
    assert.equal(noTmp.code, 2, noTmp.out + noTmp.err);
    assert.match(noTmp.err, /^mtest: cannot create a worker's log file in .*missing \(ENOENT\); set TMPDIR to a writable folder$/m);
    const noTmpSerial = await mtest(dir, ['bisect', 'i.md:2', '--serial'], { ...process.env, TMPDIR: path.join(dir, 'missing') });
    assert.equal(noTmpSerial.code, 2, noTmpSerial.out + noTmpSerial.err);
    assert.match(noTmpSerial.err, /^mtest: cannot create a replay's folder in .*missing \(ENOENT\); set TMPDIR to a writable folder$/m);
    const empty = mkdtempSync(path.join(tmpdir(), 'mtest-bisect-none-'));
    const r = await mtest(empty, ['bisect', 'a.md:1']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^mtest: bisect: no recorded run here/);
  });
});

describe('pool replays', () => {
  it('run the files in the order given (not larger first), each with only its chosen examples', async () => {
    const dir = path.join(FIXTURES, 'hang');
    const small = loadSource(path.join(dir, 'z.md'))!;
    const big = loadSource(path.join(FIXTURES, 'infile', 'b.md'))!;
    const events = new RecordingEvents();
    const only = new Map([[small, [0]], [big, [1, 3]]]);
    const options = replayOptions({ mode: 'workers', jobs: 2, blasThreads: 1, prelude: ['node:util'], randomSeed: 1, timeout: 5, fileTimeout: 0, memlimit: 0, optional: [], long: false, initial: false, isolate: false }, false);
    const outcome = await runWorkers([small, big], options, events, { handleSignals: false, only: (file) => only.get(file) });
    assert.deepEqual(outcome.workers.map((w) => w.files), [[small.path, big.path]]);
    assert.deepEqual(events.counts(small.path), { passed: 1, failed: 0, skipped: 0, notrun: 2 });
    assert.deepEqual([...events.files.get(big.path)!.results.values()].filter((r) => r.status === 'passed').map((r) => r.index), [1, 3]);
    assert.deepEqual(events.problems([small, big]), []);
  });
});

describe("the workers' record", () => {
  it('a file run in three processes (two killed at incidents): each failure is recorded in the process whose part holds it', () => {
    const file = loadSource(fileURLToPath(new URL('../../test/fixtures/faults/blocks.js', import.meta.url)))!;
    const history = new WorkerHistory();
    history.fileStart(file);
    for (const index of [1, 4, 6]) history.exampleEnd(file, { index, status: 'failed', outcome: 'mismatch', got: `${index}\n`, time: 0 });
    const options = replayOptions({ mode: 'workers', jobs: 1, blasThreads: 1, prelude: [], randomSeed: 1, timeout: 1, fileTimeout: 0, memlimit: 0, optional: [], long: false, initial: false, isolate: false }, false);
    const workers = [
      { worker: 1, pid: 10, files: [file.path] },
      { worker: 1, pid: 11, files: [file.path], from: [3] },
      { worker: 1, pid: 12, files: [file.path, 'other.md'], from: [6, 0] },
    ];
    const record = history.record('id', options, { interrupted: false, workers } as RunnerOutcome);
    assert.deepEqual(record.workers.map((w) => [w.from, w.failures.map((f) => f.index)]), [[undefined, [1]], [[3], [4]], [[6, 0], [6]]]);
  });
});

describe("a --serial replay's records", () => {
  const end = (seq: number, index: number, outcome = 'mismatch'): string => encodeRecord({ t: 'end', seq, r: { index, status: 'failed', outcome: outcome as 'mismatch', time: 0 } });
  const died = { code: 4, signal: null };

  it('the incident the watchdog ended the child for decides the outcome of the example it was running', () => {
    const records = Buffer.from(end(0, 0) + encodeRecord({ t: 'start', seq: 1, i: 2, at: 1 }) + encodeRecord({ t: 'incident', seq: 1, incident: { kind: 'memory', index: 2, message: 'Memory limit exceeded', elapsed: 0.5 } }));
    const seen = observe(records, 2, 2, died, 'mtest: something else entirely\n', false);
    assert.deepEqual(seen.result, { index: 2, status: 'failed', outcome: 'memory', time: 0.5, note: 'Memory limit exceeded' });
    assert.deepEqual(seen.ran, [[0], []]);
    assert.equal(seen.intact, true);
    // Without one (killed from outside), the example died with its process: a crash.
    const killed = observe(Buffer.from(encodeRecord({ t: 'start', seq: 0, i: 2, at: 1 })), 1, 2, { code: null, signal: 'SIGKILL' }, '', false);
    assert.equal(killed.result?.outcome, 'crash');
  });

  it("anything else in the file is the replay's protocol break: a ReplayError of one line, never a crash or a guess", () => {
    const bad = [
      'not a record\n',
      `${RECORD_MARK}{"t":"end","seq":0,"r":{"index":0,"status":"failed","outcome":"bogus","time":0}}\n`,
      `${RECORD_MARK}{"t":"done","seq":0}\n`,
      end(5, 0),
    ];
    for (const text of bad) {
      assert.throws(
        () => observe(Buffer.from(end(0, 1) + text), 1, 0, died, '', false),
        (err: Error) => err instanceof ReplayError && /^a --serial replay wrote a record mtest cannot read: /.test(err.message) && !err.message.includes('\n'),
        text,
      );
    }
  });
});

describe('ddmin', () => {
  it('one culprit among 200: found in at most 2·⌈log2(200)⌉ tries', async () => {
    for (const culprit of [0, 57, 133, 199]) {
      let tries = 0;
      const items = Array.from({ length: 200 }, (_, i) => i);
      const found = await ddmin(items, async (subset) => (tries++, subset.includes(culprit)));
      assert.deepEqual(found, [culprit]);
      assert.ok(tries <= 2 * Math.ceil(Math.log2(200)), `culprit ${culprit}: ${tries} tries`);
    }
  });

  it('an interaction of two: both kept, in order; the result is 1-minimal', async () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    const fails = async (subset: number[]) => subset.includes(3) && subset.includes(31);
    assert.deepEqual(await ddmin(items, fails), [3, 31]);
    const either = async (subset: number[]) => (subset.includes(5) && subset.includes(6)) || subset.includes(20);
    const found = await ddmin(items, either);
    assert.ok(JSON.stringify(found) === '[20]' || JSON.stringify(found) === '[5,6]', String(found));
  });
});

describe('sameSymptom', () => {
  it('an incident by kind, a wrong output by being wrong, an exception by its text', () => {
    assert.ok(sameSymptom({ outcome: 'timeout' }, { index: 0, status: 'failed', outcome: 'timeout', got: 'partial', time: 1 }));
    assert.ok(!sameSymptom({ outcome: 'timeout' }, { index: 0, status: 'failed', outcome: 'crash', time: 1 }));
    assert.ok(sameSymptom({ outcome: 'mismatch', got: '3\n' }, { index: 0, status: 'failed', outcome: 'mismatch', got: '3\n', time: 0 }));
    // a wrong output whatever its text (fresh UUIDs, times): sameGot tells the texts apart
    assert.ok(sameSymptom({ outcome: 'mismatch', got: '3\n' }, { index: 0, status: 'failed', outcome: 'mismatch', got: '4\n', time: 0 }));
    assert.ok(!sameGot({ got: '3\n' }, { index: 0, status: 'failed', outcome: 'mismatch', got: '4\n', time: 0 }));
    assert.ok(sameSymptom({ outcome: 'exception', got: 'Uncaught Error: a\n' }, { index: 0, status: 'failed', outcome: 'exception', got: 'Uncaught Error: a\n', time: 0 }));
    assert.ok(!sameSymptom({ outcome: 'exception', got: 'Uncaught Error: a\n' }, { index: 0, status: 'failed', outcome: 'exception', got: 'Uncaught Error: b\n', time: 0 }));
    assert.ok(!sameSymptom({ outcome: 'mismatch', got: '3\n' }, { index: 0, status: 'failed', outcome: 'exception', got: 'Uncaught Error: a\n', time: 0 }));
    assert.ok(!sameSymptom({ outcome: 'mismatch', got: '3\n' }, { index: 0, status: 'passed', outcome: 'ok', time: 0 }));
    assert.ok(!sameSymptom({ outcome: 'mismatch', got: '3\n' }, undefined));
    const long = 'x'.repeat(100000);
    assert.ok(sameSymptom({ outcome: 'mismatch', gotDigest: gotDigest(long) }, { index: 0, status: 'failed', outcome: 'mismatch', got: long, time: 0 }));
    assert.ok(sameGot({ gotDigest: gotDigest(long) }, { index: 0, status: 'failed', outcome: 'mismatch', got: long, time: 0 }));
    assert.ok(!sameGot({ gotDigest: gotDigest(long) }, { index: 0, status: 'failed', outcome: 'mismatch', got: long + 'y', time: 0 }));
  });
});
