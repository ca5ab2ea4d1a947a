// The protocol at every process and thread boundary — framing that survives any chunking, and what each
// side does with something it cannot read (a worker's record or command, the journal, the watchdog's data,
// the Deno kernel, an inspector, the kernel probe: one line, never a crash or a silently wrong result) —
// and the small pure pieces of diagnosis: the heartbeat's seqlock, gdb output condensing, crash wording.
import assert from 'node:assert/strict';
import { condenseNativeStack, inNativeCode, isIdle } from '../runner/diagnosis/native-stack.js';
import { crashMessage, whereText } from '../src/incidents.js';
import { inspectorUrlIn, withoutInspectorBanner } from '../runner/diagnosis/remote-stack.js';
import { Heartbeat } from '../runner/serial/heartbeat.js';
import { OutputTail } from '../runner/parent/output-tail.js';
import { decodeCommand, encodeCommand, encodeRecord, JOURNAL_RECORDS, RECORD_MARK, recordMark, RecordDecoder, REPLAY_RECORDS, WORKER_RECORDS, workerOptions, type ResultRecord, type WorkerCommand } from '../runner/protocol.js';
import { Journal, readJournal } from '../runner/serial/journal.js';
import { RecordingEvents } from '../src/recording-events.js';
import type { RunnerOptions } from '../src/options.js';
import type { SourceFile } from '../src/model.js';
import { fileURLToPath } from 'node:url';
import { runFiles, runnerOptions } from './fault-helpers.js';
import { loadSource } from '../src/sources/index.js';
import { newRecordKey } from '../runner/parent/worker-handle.js';

const records: ResultRecord[] = [
  { t: 'ready', pid: 42 },
  { t: 'start', seq: 1, i: 0, at: 1_700_000_000_000 },
  { t: 'end', seq: 1, r: { index: 0, status: 'failed', outcome: 'mismatch', got: 'línea\nzwei € 🎉\n', time: 0.01 } },
  { t: 'start', seq: 1, i: 1, at: 1_700_000_000_017 },
  { t: 'end', seq: 1, r: { index: 1, status: 'passed', outcome: 'ok', time: 1.25e-7 } },
  { t: 'end', seq: 1, r: { index: 2, status: 'passed', outcome: 'ok', time: 0.003, rssDelta: 4096 } },
  { t: 'end', seq: 1, r: { index: 3, status: 'skipped', outcome: 'skipped', note: 'long time', time: 0 } },
  { t: 'fatal', seq: 1, message: 'Uncaught exception in a callback: Error: boom\n    at spin (a.md:7:3)' },
  { t: 'done', seq: 1 },
];

describe('protocol', () => {
  it('one record is the marker and one line', () => {
    for (const record of records) {
      const line = encodeRecord(record);
      assert.ok(line.startsWith(RECORD_MARK));
      assert.equal(line.indexOf('\n'), line.length - 1);
    }
  });

  it('writes start records and plain passes compactly, everything else as JSON, and reads both back exactly', () => {
    assert.equal(encodeRecord({ t: 'start', seq: 3, i: 17, at: 1_700_000_000_123 }), `${RECORD_MARK}s3,17,1700000000123\n`);
    assert.equal(encodeRecord({ t: 'end', seq: 3, r: { index: 17, status: 'passed', outcome: 'ok', time: 0.0000123 } }), `${RECORD_MARK}p3,17,0.0000123\n`);
    for (const record of records.slice(1)) {
      const body = encodeRecord(record).slice(RECORD_MARK.length);
      const compact = record.t === 'start' || (record.t === 'end' && record.r.status === 'passed' && record.r.rssDelta === undefined);
      assert.equal(body[0] !== '{', compact, body);
    }
    for (const time of [0, 5e-324, 1.25e-7, 0.1 + 0.2, 1234.5678, Number.MAX_VALUE]) {
      const got: ResultRecord[] = [];
      new RecordDecoder(WORKER_RECORDS, (r) => got.push(r)).push(encodeRecord({ t: 'end', seq: 9, r: { index: 4, status: 'passed', outcome: 'ok', time } }));
      assert.deepEqual(got, [{ t: 'end', seq: 9, r: { index: 4, status: 'passed', outcome: 'ok', time } }]);
    }
  });

  it('reports a malformed compact record as garbage', () => {
    const got: ResultRecord[] = [];
    const garbage: string[] = [];
    const decoder = new RecordDecoder(WORKER_RECORDS, (r) => got.push(r), () => {}, (text) => garbage.push(text));
    for (const bad of ['s1,2', 's1,,3', 's1,2,', 'sx,2,3', 'p1,2,abc', 'p', 's-1,2,3']) decoder.push(`${RECORD_MARK}${bad}\n`);
    assert.deepEqual(got, []);
    assert.deepEqual(garbage, ['s1,2', 's1,,3', 's1,2,', 'sx,2,3', 'p1,2,abc', 'p', 's-1,2,3']);
  });

  it('delivers only valid records: JSON of the wrong shape is garbage, never a cast', () => {
    const got: ResultRecord[] = [];
    const garbage: string[] = [];
    const decoder = new RecordDecoder(WORKER_RECORDS, (r) => got.push(r), () => {}, (text) => garbage.push(text));
    const bad = [
      '{"t":"done"}',
      '{"t":"done","seq":"1"}',
      '{"t":"end","seq":1,"r":null}',
      '{"t":"end","seq":1,"r":{"index":0,"status":"great","outcome":"ok","time":0}}',
      '{"t":"end","seq":1,"r":{"index":-1,"status":"passed","outcome":"ok","time":0}}',
      '{"t":"warning","seq":1,"message":7}',
      '{"t":"nonsense","seq":1}',
      '[1,2]',
      'null',
    ];
    for (const text of bad) decoder.push(`${RECORD_MARK}${text}\n`);
    decoder.push(`${RECORD_MARK}{"t":"done","seq":2}\n`);
    assert.deepEqual(garbage, bad);
    assert.deepEqual(got, [{ t: 'done', seq: 2 }]);
  });

  it('checks every field against the one table: a wrong outcome, BLAS facts of the wrong type, a kind the channel does not carry', () => {
    const got: ResultRecord[] = [];
    const garbage: string[] = [];
    const decoder = new RecordDecoder(WORKER_RECORDS, (r) => got.push(r), () => {}, (text) => garbage.push(text));
    const bad = [
      '{"t":"end","seq":1,"r":{"index":0,"status":"failed","outcome":"bogus","time":0}}',
      '{"t":"end","seq":1,"r":{"index":0,"status":"failed","outcome":"mismatch","time":0,"got":7}}',
      '{"t":"end","seq":1,"r":{"index":0,"status":"passed","outcome":"ok","time":"0.1"}}',
      '{"t":"ready","pid":7,"blas":{"library":3,"version":"0.3","threads":1}}',
      '{"t":"ready","pid":7,"blas":{}}',
      '{"t":"fileStart","seq":1}',
      '{"t":"incident","seq":1,"incident":{"kind":"timeout","message":"Timed out"}}',
    ];
    for (const text of bad) decoder.push(`${RECORD_MARK}${text}\n`);
    decoder.push(`${RECORD_MARK}{"t":"ready","pid":7,"blas":{"library":"OpenBLAS","version":"0.3.21","threads":1,"coretype":"Haswell"}}\n`);
    assert.deepEqual(garbage, bad);
    assert.deepEqual(got, [{ t: 'ready', pid: 7, blas: { library: 'OpenBLAS', version: '0.3.21', threads: 1, coretype: 'Haswell' } }]);
  });

  it('a channel takes only its kinds, compact forms included', () => {
    const garbage: string[] = [];
    const got: string[] = [];
    const journal = new RecordDecoder(JOURNAL_RECORDS, (r) => got.push(r.t), () => {}, (text) => garbage.push(text));
    journal.push(encodeRecord({ t: 'start', seq: 0, i: 1, at: 5 }) + encodeRecord({ t: 'done', seq: 0 }) + encodeRecord({ t: 'end', seq: 0, r: { index: 1, status: 'passed', outcome: 'ok', time: 0 } }));
    assert.deepEqual(got, ['end']);
    assert.deepEqual(garbage, ['s0,1,5', '{"t":"done","seq":0}']);
    const replay = new RecordDecoder(REPLAY_RECORDS, (r) => got.push(r.t), () => {}, (text) => garbage.push(text));
    replay.push(encodeRecord({ t: 'start', seq: 0, i: 1, at: 5 }) + encodeRecord({ t: 'fileStart', seq: 0 }));
    assert.deepEqual(got, ['end', 'start']);
    assert.equal(garbage.length, 3);
  });

  it("a worker's records carry its key: the bare marker, or another key, is output", () => {
    const key = newRecordKey();
    assert.match(key, /^[0-9a-f]{32}$/);
    assert.notEqual(newRecordKey(), key);
    const got: ResultRecord[] = [];
    const output: string[] = [];
    const decoder = new RecordDecoder(WORKER_RECORDS, (r) => got.push(r), (bytes) => output.push(bytes.toString()), () => {}, recordMark(key));
    const forged = `${RECORD_MARK}{"t":"done","seq":1}\n${recordMark(newRecordKey())}{"t":"done","seq":1}\n`;
    decoder.push(forged + encodeRecord({ t: 'done', seq: 3 }, recordMark(key)));
    assert.deepEqual(got, [{ t: 'done', seq: 3 }]);
    assert.equal(output.join(''), forged);
  });

  it('decodes the same records whatever the chunking, even inside a UTF-8 sequence', () => {
    const bytes = Buffer.from(records.map((r) => encodeRecord(r)).join(''), 'utf8');
    for (const size of [1, 2, 3, 5, 7, 64, bytes.length]) {
      const got: ResultRecord[] = [];
      const decoder = new RecordDecoder(WORKER_RECORDS, (r) => got.push(r));
      for (let at = 0; at < bytes.length; at += size) decoder.push(bytes.subarray(at, at + size));
      assert.deepEqual(got, records, `chunks of ${size}`);
      assert.equal(decoder.pendingLength, 0);
    }
  });

  it('never delivers a torn last record (the writer died mid-write), and reports garbage instead of throwing', () => {
    const got: ResultRecord[] = [];
    const garbage: string[] = [];
    const decoder = new RecordDecoder(WORKER_RECORDS, 
      (r) => got.push(r),
      () => {},
      (text) => garbage.push(text),
    );
    const whole = encodeRecord(records[1]);
    const torn = encodeRecord(records[2]).slice(0, 20);
    decoder.push(RECORD_MARK + '{not json\n' + whole + torn);
    assert.deepEqual(got, [records[1]]);
    assert.deepEqual(garbage, ['{not json']);
    assert.equal(decoder.pendingLength, Buffer.byteLength(torn) - RECORD_MARK.length);
  });

  it('keeps raw output apart from the records and in order with them, whatever the chunking', () => {
    // What native code or a child process writes lands between records, not always ending in a newline.
    const stream = ['Debugger noise\n', encodeRecord(records[1]), 'partial line, no newline', encodeRecord(records[2]), 'bin\x1e\x00ary\n', encodeRecord(records.find((r) => r.t === 'done')!), 'tail'];
    const bytes = Buffer.from(stream.join(''), 'utf8');
    const expected = ['out:Debugger noise\n', 'rec:start', 'out:partial line, no newline', 'rec:end', 'out:bin\x1e\x00ary\n', 'rec:done', 'out:tail'];
    for (const size of [1, 2, 3, 6, 7, 8, 64, bytes.length]) {
      const events: string[] = [];
      const decoder = new RecordDecoder(WORKER_RECORDS, 
        (r) => events.push(`rec:${r.t}`),
        (b) => {
          const last = events.at(-1);
          if (last?.startsWith('out:')) events[events.length - 1] = last + b.toString('latin1');
          else events.push(`out:${b.toString('latin1')}`);
        },
      );
      for (let at = 0; at < bytes.length; at += size) decoder.push(bytes.subarray(at, at + size));
      assert.deepEqual(events, expected, `chunks of ${size}`);
      assert.equal(decoder.pendingLength, 0);
    }
  });

  it('carries a 10 MB record', () => {
    const got = 'x'.repeat(10 * 1024 * 1024);
    const bytes = Buffer.from(encodeRecord({ t: 'end', seq: 2, r: { index: 1, status: 'passed', outcome: 'ok', got, time: 0 } }));
    const out: ResultRecord[] = [];
    const decoder = new RecordDecoder(WORKER_RECORDS, (r) => out.push(r));
    for (let at = 0; at < bytes.length; at += 65536) decoder.push(bytes.subarray(at, at + 65536));
    assert.equal(out.length, 1);
    assert.equal((out[0] as { r: { got: string } }).r.got.length, got.length);
  });
});

const sample: SourceFile = {
  path: 'a.md',
  kind: 'markdown',
  tags: [],
  errors: [],
  blocks: [
    {
      name: 'a.md',
      line: 1,
      examples: [
        { source: '1 + 1', want: '2\n', line: 3, indent: 0, directives: { needs: [], errors: [], tolerance: { kind: 'abs', epsilon: 1e-9 } } },
        { source: 'x', want: '', line: 5, indent: 0, directives: { needs: ['gpu'], errors: [] }, annotations: [{ kind: 'returns', exemplary: false, marker: 'returns', value: '3', line: 6 }] },
      ],
    },
  ],
};

describe('commands to a worker', () => {
  const options: RunnerOptions = {
    optional: ['gpu'],
    long: false,
    randomSeed: 7,
    timeout: 60,
    interruptSync: false,
    prelude: ['builtin'],
    notebookPrelude: [],
    initial: false,
    measureMemory: true,
    only: [1],
    jobs: 2,
    isolate: false,
    blasThreads: 1,
    fileTimeout: 0,
    memlimit: 600,
    gdb: true,
    serial: false,
    debug: false,
    verbose: false,
    exitFirst: false,
  };

  it('a worker is sent only the options it reads', () => {
    const sent = workerOptions(options);
    assert.deepEqual(Object.keys(sent).sort(), ['initial', 'long', 'measureMemory', 'notebookPrelude', 'only', 'optional', 'prelude', 'randomSeed']);
    const line = encodeCommand({ t: 'run', seq: 3, file: sample, options: sent });
    assert.doesNotMatch(line, /memlimit|gdb|jobs|blasThreads/);
    assert.deepEqual(decodeCommand(line.trimEnd()), { t: 'run', seq: 3, file: sample, options: sent });
  });

  it('decodes only valid commands: anything else is undefined, never a cast', () => {
    const run = (patch: (command: { t: 'run'; seq: number; file: SourceFile; options: ReturnType<typeof workerOptions> }) => unknown): string =>
      JSON.stringify(patch(structuredClone({ t: 'run' as const, seq: 1, file: sample, options: workerOptions(options) })));
    const bad = [
      'not json',
      '[]',
      '{"t":"key"}',
      '{"t":"key","key":5}',
      '{"t":"launch"}',
      run((c) => ({ ...c, seq: -1 })),
      run((c) => ({ ...c, options: { ...c.options, prelude: 'builtin' } })),
      run((c) => ({ ...c, options: { ...c.options, only: [0.5] } })),
      run((c) => ({ ...c, file: { ...c.file, kind: 'pdf' } })),
      run((c) => ({ ...c, file: { ...c.file, blocks: [{ name: 'b', line: 1, examples: [{ source: 'x', want: '', line: 1, indent: 0 }] }] } })),
      run((c) => ({ ...c, file: { ...c.file, blocks: [{ name: 'b', line: 1, examples: [{ ...c.file.blocks[0].examples[1], annotations: [{ kind: 'yields' }] }] }] } })),
    ];
    for (const line of bad) assert.equal(decodeCommand(line), undefined, line);
    const good: WorkerCommand[] = [{ t: 'key', key: 'ab' }, { t: 'exit' }];
    for (const command of good) assert.deepEqual(decodeCommand(encodeCommand(command)), command);
  });
});

describe('the protocol at the worker boundary', function () {
  this.timeout(20000);
  const here = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/protocol/${name}`, import.meta.url));

  it("a record that fails its check is the file's incident, one line, at the example running; the rest of the run goes on", async () => {
    const bad = loadSource(here('bad-outcome.md'))!;
    const other = loadSource(here('other.md'))!;
    const run = await runFiles([bad, other], { jobs: 1 }, { workerModule: here('worker.mjs') });
    const record = run.record(bad);
    assert.equal(record.incidents.length, 1);
    const [incident] = record.incidents;
    assert.equal(incident.kind, 'crash');
    assert.equal(incident.index, 0);
    assert.match(incident.message, /^The worker broke mtest's protocol while running line 3: it wrote a record mtest cannot read: ".*bogus.*"$/);
    assert.doesNotMatch(incident.message, /\n/);
    assert.equal(record.results.get(0)?.outcome, 'crash', 'the bad result is not delivered');
    assert.deepEqual([...record.results.values()].map((r) => r.outcome).filter((o) => !['crash', 'notrun'].includes(o)), []);
    // The next file runs on a fresh worker, and its results (which the stand-in fails) arrive as sent.
    assert.deepEqual([...run.record(other).results.values()].map((r) => r.outcome), ['mismatch', 'mismatch', 'mismatch']);
  });
});

describe('the protocol at the worker boundary, the other way', function () {
  this.timeout(20000);

  it('a command the worker cannot read: its fatal error, one line, and it ends', async () => {
    const { WorkerHandle } = await import('../runner/parent/worker-handle.js');
    const handle = new WorkerHandle(1, { blasThreads: 1 });
    const records: ResultRecord[] = [];
    handle.onResult = (record) => records.push(record);
    await handle.ready;
    // What only a broken parent would send: a run command whose file is not a file.
    (handle as unknown as { send(command: unknown): void }).send({ t: 'run', seq: 1, file: { path: 'a.md' }, options: {} });
    const exit = await handle.exited;
    assert.deepEqual(exit, { code: 70, signal: null });
    assert.equal(records.length, 1);
    const [fatal] = records;
    assert.equal(fatal.t, 'fatal');
    assert.match(fatal.t === 'fatal' ? fatal.message : '', /^mtest sent this worker a command it cannot read: "\{\\"t\\":\\"run\\".*"$/);
  });
});

describe('the protocol with the Deno kernel', function () {
  this.timeout(20000);

  it("a record of the wrong shape from Deno's harness fails the cell in one line, and the kernel goes on", async () => {
    const { DenoKernel } = await import('../src/execute/deno.js');
    const deno = fileURLToPath(new URL('../../test/fixtures/protocol/deno.mjs', import.meta.url));
    const kernel = new DenoKernel(deno, fileURLToPath(new URL('../../test/fixtures/protocol/other.md', import.meta.url)));
    const cell = { body: 'return 1', declared: [], async: false, returnsValue: true };
    for (let k = 0; k < 2; k++) {
      const ev = await kernel.evaluate(cell, 0);
      assert.deepEqual(ev, { got: 'mtest: the Deno harness sent a record mtest cannot read: "{\\"shown\\":42}"\n', threw: true, timedOut: false });
    }
    await kernel.close();
  });
});

describe("the protocol with the engine's kernel probe", function () {
  this.timeout(60000);

  it('a probe child that prints something else than its report: the probe of that kernel failed, in one line', async () => {
    const { spawnChild } = await import('../src/engine/kernel.js');
    const before = process.env.NODE_OPTIONS;
    // Something the child loads before the probe prints a line of its own on stdout.
    process.env.NODE_OPTIONS = `${before ?? ''} --import=data:text/javascript,process.stdout.write(String.fromCharCode(104,105,32))`;
    try {
      assert.throws(
        () => spawnChild(undefined),
        (err: Error) => /^probe child failed: it printed a report mtest cannot read: "hi \{/.test(err.message) && !err.message.includes('\n'),
      );
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
  });
});

describe('the protocol with an inspector', function () {
  this.timeout(20000);

  it('an inspector that answers with call frames that are not call frames: no JavaScript stack, never a crash', async () => {
    const { remoteStack } = await import('../runner/diagnosis/remote-stack.js');
    const { WebSocketServer } = await import('ws');
    const { spawn } = await import('node:child_process');
    // What an example can do: print an inspector's URL that is its own server's.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => {
      socket.on('message', (data) => {
        if (String(data).includes('Debugger.pause"')) {
          socket.send(JSON.stringify({ method: 'Debugger.scriptParsed', params: { scriptId: 7 } }));
          socket.send(JSON.stringify({ method: 'Debugger.paused', params: { callFrames: [null, { functionName: 'f' }] } }));
        }
      });
    });
    const port = (server.address() as { port: number }).port;
    // Something to signal (SIGUSR1) that is not a worker.
    const child = spawn(process.execPath, ['-e', "process.on('SIGUSR1', () => {}); setInterval(() => {}, 1000); process.stdout.write('ready')"], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((resolve) => child.stdout!.once('data', resolve)); // its SIGUSR1 handler is installed
      const stack = await remoteStack(child.pid!, () => `ws://127.0.0.1:${port}/fake`, 3000);
      assert.equal(stack, undefined);
    } finally {
      child.kill('SIGKILL');
      server.close();
    }
  });
});

describe('journal', () => {
  const other: SourceFile = { ...sample, path: 'b.md' };

  it('replays what was recorded, through the protocol encoding', () => {
    const journal = new Journal([sample, other]);
    journal.fileStart(sample);
    journal.exampleEnd(sample, { index: 0, status: 'passed', outcome: 'ok', time: 0.001 });
    journal.exampleEnd(sample, { index: 1, status: 'failed', outcome: 'mismatch', got: '4\n', time: 0.002 });
    journal.warning(sample, 'slow', 1);
    journal.fileEnd(sample, { time: 0.5, worker: 0 });
    journal.fileStart(other);
    journal.exampleEnd(other, { index: 0, status: 'passed', outcome: 'ok', time: 0.001 });
    journal.incident(other, { kind: 'timeout', index: 1, message: 'Timed out after 1.0 s while running line 5', elapsed: 1 });
    const contents = readJournal(journal.buffer);
    assert.deepEqual(contents.files, [sample, other]);
    const events = new RecordingEvents();
    const open = contents.replay(events);
    assert.deepEqual(contents.unreadable, []);
    assert.equal(open?.file.path, 'b.md');
    assert.deepEqual([...open!.ended], [0]);
    assert.equal(events.files.get('a.md')?.results.get(1)?.got, '4\n');
    assert.deepEqual(events.files.get('a.md')?.warnings, [{ message: 'slow', index: 1 }]);
    assert.equal(events.files.get('b.md')?.incidents[0].message, 'Timed out after 1.0 s while running line 5');
  });

  it('leaves out a record it cannot read, says so in one line, and replays the rest', () => {
    const journal = new Journal([sample]);
    journal.fileStart(sample);
    // What a damaged record looks like: the right frame, a wrong body (an incident of no kind mtest has).
    journal.incident(sample, { kind: 'timeout', message: 'Timed out after 1.0 s while running line 3' });
    journal.exampleEnd(sample, { index: 0, status: 'passed', outcome: 'ok', time: 0.001 });
    const bytes = Buffer.from(journal.buffer);
    const at = bytes.indexOf('"timeout"');
    bytes.write('"weirdo" ', at, 'latin1');
    const contents = readJournal(journal.buffer);
    assert.equal(contents.unreadable.length, 1);
    assert.match(contents.unreadable[0], /^the run's journal holds a record mtest cannot read \(left out of the report\): ".*weirdo/);
    assert.doesNotMatch(contents.unreadable[0], /\n/);
    const events = new RecordingEvents();
    contents.replay(events);
    assert.deepEqual(events.files.get('a.md')?.incidents, []);
    assert.equal(events.files.get('a.md')?.results.get(0)?.status, 'passed');
  });

  it('a journal that ran out of room says so once, and replays what it holds', () => {
    const journal = new Journal([sample], 64 * 1024);
    journal.fileStart(sample);
    for (let k = 0; k < 1000; k++) journal.exampleEnd(sample, { index: k, status: 'failed', outcome: 'mismatch', got: 'x'.repeat(100), time: 0 });
    assert.equal(journal.full, true);
    const contents = readJournal(journal.buffer);
    assert.deepEqual(contents.unreadable, ["the run's journal ran out of room: what happened after that is not in the report"]);
    const events = new RecordingEvents();
    contents.replay(events);
    const kept = events.files.get('a.md')?.results.size ?? 0;
    assert.ok(kept > 100 && kept < 1000, `${kept} results kept`);
  });

  it("a run finished from a damaged journal: the report says so in one line, and ends as any run's does", async () => {
    const { finishFromJournal } = await import('../runner/serial/finish.js');
    const { reportHandoff } = await import('../src/cli/run-end.js');
    const { mkdtempSync, openSync, readFileSync, rmSync, closeSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const journal = new Journal([sample]);
    journal.fileStart(sample);
    journal.exampleEnd(sample, { index: 0, status: 'failed', outcome: 'mismatch', got: '3\n', time: 0.001 });
    const bytes = Buffer.from(journal.buffer);
    bytes.write('bogusxyz', bytes.indexOf('mismatch'), 'latin1');
    journal.exampleEnd(sample, { index: 1, status: 'failed', outcome: 'mismatch', got: '4\n', time: 0.001 });
    const dir = mkdtempSync(`${tmpdir()}/mtest-journal-`);
    const [out, err] = [openSync(`${dir}/out`, 'w'), openSync(`${dir}/err`, 'w')];
    try {
      const handoff = reportHandoff({
        report: { options: { colour: false }, identity: { id: 'r', randomSeed: 1, startedAt: Date.now() }, inputErrors: false, fds: { out, err } },
        runner: runnerOptions({ serial: true }),
        cwd: dir,
      });
      const bits = await finishFromJournal(
        journal.buffer,
        { ...handoff, umask: 0o022 },
        { incident: { kind: 'timeout', message: 'Timed out after 1.0 s while running line 5' } },
      );
      const stderr = readFileSync(`${dir}/err`, 'utf8');
      const stdout = readFileSync(`${dir}/out`, 'utf8');
      assert.equal(stderr.match(/journal/g)?.length, 1, stderr);
      assert.match(stderr, /^mtest: the run's journal holds a record mtest cannot read \(left out of the report\): ".*bogus.*"$/m);
      assert.match(stdout, /^0 passed, 1 failed, 0 skipped, 1 not run$/m);
      assert.equal(bits & 1, 1);
    } finally {
      closeSync(out);
      closeSync(err);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the watchdog thread', function () {
  this.timeout(20000);

  it('data it cannot read: one line, the thread ends, the process goes on', async () => {
    const { spawnSync } = await import('node:child_process');
    const watchdog = new URL('../runner/serial/watchdog.js', import.meta.url).href;
    const script = `const { Watchdog } = await import(${JSON.stringify(watchdog)});
      const w = Watchdog.start({ mode: 'serial', gdb: false, pollMs: -5 });
      setTimeout(async () => { await w.stop(); console.log('went on'); }, 500);`;
    // A file, not --input-type: a thread inherits the process's flags, and that one is refused there.
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/mtest-watchdog-`);
    writeFileSync(`${dir}/start.mjs`, script);
    const r = spawnSync(process.execPath, [`${dir}/start.mjs`], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.stderr, 'mtest: the watchdog thread was started with data it cannot read; time and memory limits of this --serial run are not watched\n');
    assert.equal(r.stdout, 'went on\n');
    assert.equal(r.status, 0);
  });
});

describe('heartbeat', () => {
  it('a reader sees what the writer published, through a second view of the same memory', () => {
    const writer = new Heartbeat();
    const reader = new Heartbeat(writer.buffer);
    assert.equal(reader.read().index, -1);
    writer.fileStarted(7, 2000, 1 << 30);
    writer.exampleStarted(writer.nextExampleId(), 4, 1500);
    let beat = reader.read();
    assert.deepEqual([beat.file, beat.index, beat.example, beat.exampleLimitMs, beat.fileLimitMs, beat.memlimit], [7, 4, 1, 1500, 2000, 1 << 30]);
    assert.ok(Math.abs(Date.now() - beat.exampleStart) < 60_000, 'exampleStart is a wall-clock time in ms');
    writer.exampleEnded();
    beat = reader.read();
    assert.equal(beat.index, -1);
    assert.equal(beat.example, 1);
  });
});

describe('diagnosis text', () => {
  const gdb = [
    'Thread 2 (Thread 0x7f (LWP 101) "node"):',
    '#0  0x00007f in __futex_abstimed_wait_common64 (private=0, cancel=true) at ./nptl/futex-internal.c:57',
    '#1  0x00007f in uv_cond_wait (cond=<optimized out>, mutex=<optimized out>) at ../deps/uv/src/unix/thread.c:793',
    'Thread 3 (Thread 0x7e (LWP 102) "node"):',
    '#0  0x00007f in __futex_abstimed_wait_common64 (private=0, cancel=true) at ./nptl/futex-internal.c:57',
    '#1  0x00007f in uv_cond_wait (cond=<optimized out>, mutex=<optimized out>) at ../deps/uv/src/unix/thread.c:793',
    'Thread 1 (Thread 0x7d (LWP 100) "node"):',
    '#0  0x00007f in dgemm_kernel (m=1500) from /lib/libopenblas.so.0',
    '#1  0x00001 in ?? ()',
    '#2  0x00002 in Builtins_InterpreterEntryTrampoline ()',
    '#3  0x00003 in node::Start(int, char**) ()',
  ].join('\n');

  it('condenses gdb output: main thread first, JIT frames folded, identical threads merged, arguments dropped', () => {
    const text = condenseNativeStack(gdb, 100)!;
    const lines = text.split('\n');
    assert.equal(lines[0], 'Thread LWP 100 "node" [main thread]:');
    assert.match(lines[1], /#0 +dgemm_kernel from \/lib\/libopenblas\.so\.0$/);
    assert.match(lines[2], /… 2 JavaScript frames/);
    assert.match(text, /Threads LWP 101 "node", LWP 102 "node" \(same stack\):/);
    assert.doesNotMatch(text, /private=0/);
    assert.equal(isIdle(text), false);
    assert.equal(condenseNativeStack('ptrace: Operation not permitted.', 100), undefined);
  });

  it("condenses eu-stack's output the same way (the executable's frames without a library, JIT frames folded)", () => {
    const euStack = [
      'PID 100 - process',
      'TID 100:',
      '#0  0x00007f8a dgemm_kernel_direct - /usr/lib/x86_64-linux-gnu/libopenblas.so.0',
      '#1  0x00007f8b Matrix::Mul(Napi::CallbackInfo const&) - /home/u/project/node_modules/mtest-doctest/build/Release/mtest_engine.node',
      '#2  0x0000000000f50bdf v8::internal::FunctionCallbackArguments::Call(v8::internal::CallHandlerInfo) - /usr/bin/node',
      '#3  0x00003ce51d1404e9 - /usr/bin/node',
      '#4  0x00000000018cfd1c Builtins_InterpreterEntryTrampoline - /usr/bin/node',
      'TID 101:',
      '#0  0x00007f8c blas_thread_server - /usr/lib/x86_64-linux-gnu/libopenblas.so.0',
      'eu-stack: dwfl_thread_getframes tid 101 at 0x7f8c in libopenblas.so.0: No DWARF information found',
    ].join('\n');
    const text = condenseNativeStack(euStack, 100)!;
    const lines = text.split('\n');
    assert.match(lines[0], /^Thread LWP 100( "[^"]*")? \[main thread\]:$/);
    assert.match(lines[1], /#0 +dgemm_kernel_direct from \/usr\/lib\/x86_64-linux-gnu\/libopenblas\.so\.0$/);
    assert.match(lines[2], /#1 +Matrix::Mul\(Napi::CallbackInfo const&\) from \/home\/u\/project\/node_modules\/mtest-doctest\/build\/Release\/mtest_engine\.node$/);
    assert.match(lines[3], /#2 +v8::internal::FunctionCallbackArguments::Call\(v8::internal::CallHandlerInfo\)$/);
    assert.match(lines[4], /… 2 JavaScript frames/);
    assert.match(text, /Thread LWP 101( "[^"]*")?:\n +#0 +blas_thread_server from /);
    assert.doesNotMatch(text, /DWARF/);
    assert.equal(inNativeCode(text), true);
  });

  it('tells a main thread in native code (no JavaScript stack can come) from one in JavaScript or V8', () => {
    const at = (...frames: string[]): string => condenseNativeStack(['Thread 1 (Thread 0x1 (LWP 5) "node"):', ...frames].join('\n'), 5)!;
    assert.equal(inNativeCode(at('#0  0x1 in dgemm_kernel () from /lib/libopenblas.so.0', '#1  0x2 in ?? ()')), true);
    assert.equal(inNativeCode(at('#0  0x1 in __GI_epoll_pwait (epfd=18) at ../sysdeps/unix/sysv/linux/epoll_pwait.c:40', '#1  uv_run ()')), true);
    assert.equal(inNativeCode(at('#0  0x1 in ?? ()', '#1  0x2 in Builtins_JSEntry ()')), false);
    assert.equal(inNativeCode(at('#0  0x1 in v8::internal::Heap::CollectGarbage(int) ()', '#1  0x2 in ?? ()')), false);
    assert.equal(inNativeCode(at('#0  0x1 in Builtins_ArrayPrototypePush ()')), false);
    assert.equal(inNativeCode('no stack at all'), false);
  });

  it('tells an idle main thread (waiting in the event loop) from one blocked in a native call', () => {
    const idle = condenseNativeStack(
      ['Thread 1 (Thread 0x1 (LWP 5) "node"):', '#0  epoll_wait ()', '#1  uv_run ()', '#2  node::SpinEventLoopInternal(node::Environment*) ()'].join('\n'),
      5,
    )!;
    assert.equal(isIdle(idle), true);
  });

  it("finds a worker's inspector URL in its output, and keeps Node's inspector banner out of reports", () => {
    const banner = 'Debugger listening on ws://127.0.0.1:40123/0f6c2a1e-aaaa-bbbb-cccc-0123456789ab\nFor help, see: https://nodejs.org/en/docs/inspector\n';
    assert.equal(inspectorUrlIn('native says hi\n' + banner), 'ws://127.0.0.1:40123/0f6c2a1e-aaaa-bbbb-cccc-0123456789ab');
    assert.equal(inspectorUrlIn('nothing yet'), undefined);
    assert.equal(withoutInspectorBanner('before\n' + banner + 'Debugger attached.\nafter\n'), 'before\nafter\n');
    const ending = 'Debugger ending on ws://127.0.0.1:40123/0f6c2a1e-aaaa-bbbb-cccc-0123456789ab\nFor help, see: https://nodejs.org/en/docs/inspector\n';
    assert.equal(withoutInspectorBanner('before\n' + ending + 'after\n'), 'before\nafter\n');
  });

  it('words crashes as the reports do', () => {
    const where = whereText('line 12', 'line 9');
    assert.equal(where, 'while running line 12');
    assert.equal(whereText(undefined, 'line 9'), 'after line 9');
    assert.equal(whereText('cell 7, line 1', undefined), 'while running cell 7, line 1');
    assert.equal(crashMessage({ code: null, signal: 'SIGSEGV', output: '' }, where), 'Killed by SIGSEGV while running line 12');
    assert.equal(crashMessage({ code: 3, signal: null, output: '' }, where), 'Exited with code 3 while running line 12');
    assert.equal(crashMessage({ code: 0, signal: null, output: '' }, where), 'Exited (code 0) before the file finished, while running line 12');
    assert.equal(
      crashMessage({ code: null, signal: 'SIGABRT', output: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' }, where),
      'JavaScript heap out of memory while running line 12 (killed by SIGABRT)',
    );
  });

  it('keeps only the tail of a flood of output', () => {
    const tail = new OutputTail(1024);
    for (let i = 0; i < 1000; i++) tail.push(Buffer.from(`line ${i}\n`));
    const text = tail.text(64);
    assert.match(text, /line 999\n$/);
    assert.match(text, /^\[… \d+ earlier bytes\]/);
  });
});

describe('memory of a worker', () => {
  it('reads a process\'s RSS as the process itself sees it, and nothing once it has exited', async () => {
    const { spawn } = await import('node:child_process');
    const { RssReader } = await import('../runner/memory.js');
    // The child reports its own RSS after filling 64 MB, then waits to be read from outside.
    const child = spawn(process.execPath, ['-e', 'globalThis.keep = Buffer.alloc(64 << 20, 1); console.log(process.memoryUsage.rss()); setInterval(() => {}, 1000)'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const own = Number(await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
    const reader = new RssReader(child.pid!);
    try {
      const seen = reader.read();
      assert.ok(seen !== undefined && Math.abs(seen - own) < own * 0.1, `read ${seen}, the process said ${own}`);
      assert.ok(seen > 64 << 20);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(reader.read(), undefined);
    } finally {
      child.kill('SIGKILL');
      reader.close();
    }
    assert.equal(reader.read(), undefined, 'closed');
  });
});
