// The one protocol between the pool (parent) and a worker process.
//
// Worker → parent records are one line each, framed by a marker (the run's RECORD_MARK followed by the
// worker's key, then the record, then "\n"): JSON, or a compact form for the two records nearly every
// example sends (see encodeRecord). They never travel over IPC: a queued message is lost when the worker
// dies right after, and nothing can be sent while the main thread is stuck.
//   LOG_FD (5): an O_APPEND file that is also the worker's stdout and stderr. The main thread appends one
//     write(2) per example (the next example's `start` with the previous one's `end`): no reader is woken,
//     so an example costs no context switch, and whatever native code or a child process prints lands
//     between the records of the example that printed it. A record that returned is in the file, so it
//     survives the worker's death a moment later. The parent reads the file in bulk: when the doorbell
//     rings, every POLL_MS, and to its end once the worker has exited.
//   DOORBELL_FD (4): a pipe; one byte after a record the parent must act on at once (ready, done, error,
//     fatal) — a handful per file.
// Examples print into the same file, so a record is only one when it carries the worker's key: 128 random
// bits the parent sends first on the command channel (never in the environment, the arguments or a file),
// so that output which merely imitates a record (the marker and a forged `done`) stays output. Decoded
// records are checked field by field (RECORDS); one that is not a valid record is the file's incident, not
// a crash.
// The same encoding carries the --serial journal (serial/journal.ts) and a --serial bisect replay's records
// (src/bisect/replay.ts); each channel names the kinds of record it accepts.
// Parent → worker commands go over COMMAND_FD (3), a pipe of JSON lines the worker only reads (not Node's
// IPC channel, whose parser ran in mtest itself and threw on whatever an example wrote into it): the
// worker is idle when it receives them. Anything arriving from the worker's side of it, or either pipe
// closing while the worker lives, is an incident of the file that was running.
// When a limit passes, the parent takes the worker's stacks itself (inspector over SIGUSR1, eu-stack or
// gdb; runner/diagnosis).
import { Buffer } from 'node:buffer';
import { count, flag, fromJson, isExampleResult, isFileSummary, isIncident, isObject, isSourceFile, list, num, oneOf, optional, shape, tagged, text, type Check, type Kinds } from '../src/checks.js';
import type { FileSummary, Incident } from '../src/events.js';
import type { ExampleResult, SourceFile } from '../src/model.js';
import type { RunnerOptions } from '../src/options.js';

export const COMMAND_FD = 3;
export const DOORBELL_FD = 4;
export const LOG_FD = 5;
/** Names the prelude (JSON list) a new worker loads before it reports ready; not left in its environment. */
export const PRELUDE_ENV = 'MTEST_WORKER_PRELUDE';
/** Set for the one worker that is to name the engine's BLAS when ready; not left in its environment. */
export const NAME_BLAS_ENV = 'MTEST_WORKER_NAME_BLAS';
/** How often the parent reads a busy worker's log (its clocks and the status line run on this), ms. */
export const POLL_MS = 50;

/**
 * stdio for the worker's spawn, given the log file's descriptor: stdin is /dev/null (an example reading
 * stdin sees EOF, never hangs); stdout, stderr and LOG_FD all append to the log; COMMAND_FD and
 * DOORBELL_FD are pipes.
 */
export function workerStdio(logFd: number): (number | 'ignore' | 'pipe')[] {
  return ['ignore', logFd, logFd, 'pipe', 'pipe', logFd];
}

/** The marker of a worker's records, given its key. */
export function recordMark(key: string): string {
  return RECORD_MARK + key;
}

/** The built-in engine's BLAS, as the header names it. */
export interface BlasInfo {
  library: string;
  version: string;
  threads: number;
  /** The kernels in use, e.g. 'Haswell'. */
  coretype?: string;
}

/**
 * What a worker reads of the run's options: what the evaluation stage needs, less the limits (its parent
 * enforces them by killing it) and everything that only the parent, the report or the schedule reads.
 */
export type WorkerOptions = Pick<RunnerOptions, 'optional' | 'long' | 'randomSeed' | 'prelude' | 'notebookPrelude' | 'initial' | 'only' | 'measureMemory'>;

/** The part of the run's options a worker is sent. */
export function workerOptions(options: WorkerOptions): WorkerOptions {
  const { optional, long, randomSeed, prelude, notebookPrelude, initial, only, measureMemory } = options;
  return { optional, long, randomSeed, prelude, notebookPrelude, initial, only, measureMemory } satisfies Record<keyof WorkerOptions, unknown>;
}

/**
 * Parent → worker, one JSON line each on COMMAND_FD (encodeCommand, decodeCommand). A field added here
 * needs its check in COMMANDS, or the build fails: what a worker is sent is always what it checks.
 */
export type WorkerCommand =
  /** First, and only once: the key the worker's records carry (see recordMark). */
  | { t: 'key'; key: string }
  | {
      t: 'run';
      /** Sequence number of this file on this worker; echoed in every record so stale records are ignored. */
      seq: number;
      /** The file as the parent parsed it: the worker runs exactly these examples, with no parse of its own. */
      file: SourceFile;
      options: WorkerOptions;
    }
  | { t: 'exit' };

const texts = list(text);

/** The run's options as a process receives them (a --serial bisect replay's child receives them all). */
const OPTIONS: { [K in keyof Required<RunnerOptions>]: Check<RunnerOptions[K]> } = {
  optional: texts,
  long: flag,
  randomSeed: num,
  timeout: num,
  interruptSync: flag,
  prelude: texts,
  notebookPrelude: optional(texts),
  initial: flag,
  only: optional(list(count)),
  measureMemory: flag,
  jobs: count,
  isolate: flag,
  blasThreads: count,
  fileTimeout: num,
  memlimit: num,
  traceMemory: optional(num),
  gdb: flag,
  serial: flag,
  debug: flag,
  verbose: flag,
  exitFirst: flag,
  warnLong: optional(num),
};
export const isRunnerOptions = shape<RunnerOptions>(OPTIONS);
const isWorkerOptions = shape<WorkerOptions>({
  optional: OPTIONS.optional,
  long: OPTIONS.long,
  randomSeed: OPTIONS.randomSeed,
  prelude: OPTIONS.prelude,
  notebookPrelude: OPTIONS.notebookPrelude,
  initial: OPTIONS.initial,
  only: OPTIONS.only,
  measureMemory: OPTIONS.measureMemory,
});

const COMMANDS: Kinds<WorkerCommand> = {
  key: shape({ t: oneOf('key'), key: text }),
  run: shape({ t: oneOf('run'), seq: count, file: isSourceFile, options: isWorkerOptions }),
  exit: shape({ t: oneOf('exit') }),
};
const isCommand = tagged(COMMANDS);

export function encodeCommand(command: WorkerCommand): string {
  return JSON.stringify(command) + '\n';
}

/** One line of the command pipe; undefined when it is not a valid command. */
export function decodeCommand(line: string): WorkerCommand | undefined {
  return fromJson(line, isCommand);
}

/** Worker → parent, appended to the log (LOG_FD). */
export type ResultRecord =
  /**
   * The worker is up, has loaded the prelude it was started with, and listens for commands. `blas`: the
   * built-in engine's BLAS, when the prelude holds the engine and it loaded; `preludeError` when the
   * prelude could not be loaded.
   */
  | { t: 'ready'; pid: number; blas?: BlasInfo; preludeError?: string }
  /** Example `i` is about to run (`at`: the worker's Date.now()). Written before any of its code runs. */
  | { t: 'start'; seq: number; i: number; at: number }
  /** Example finished (any status). */
  | { t: 'end'; seq: number; r: ExampleResult }
  /** Something the file left running, found and closed after its last example (before `done`). */
  | { t: 'warning'; seq: number; message: string; i?: number }
  /** The file finished normally; `retire`: it left something running that could not be closed. */
  | { t: 'done'; seq: number; retire?: boolean }
  /** The file could not be run at all (the executor threw); its examples are reported notrun. */
  | { t: 'error'; seq: number; message: string }
  /** An exception nobody handled (timer callback, unhandled rejection) is about to end the worker. */
  | { t: 'fatal'; seq: number; message: string };

/**
 * Records about the files of a run in one process, `seq` being the file's place in the run: the --serial
 * journal carries them (with `end` and `warning`), and a --serial bisect replay's child sends `incident`
 * when a hang it could not interrupt ends it.
 */
export type RunRecord =
  | { t: 'files'; files: SourceFile[] }
  | { t: 'fileStart'; seq: number }
  | { t: 'incident'; seq: number; incident: Incident }
  | { t: 'fileEnd'; seq: number; summary: FileSummary };

export type AnyRecord = ResultRecord | RunRecord;
export type RecordKind = AnyRecord['t'];
export type RecordOf<K extends RecordKind> = Extract<AnyRecord, { t: K }>;

/** What each kind of record holds: the one table every decoded record is checked against. */
const RECORDS: Kinds<AnyRecord> = {
  ready: shape({
    t: oneOf('ready'),
    pid: count,
    blas: optional(shape<BlasInfo>({ library: text, version: text, threads: count, coretype: optional(text) })),
    preludeError: optional(text),
  }),
  start: shape({ t: oneOf('start'), seq: count, i: count, at: num }),
  end: shape({ t: oneOf('end'), seq: count, r: isExampleResult }),
  warning: shape({ t: oneOf('warning'), seq: count, message: text, i: optional(count) }),
  done: shape({ t: oneOf('done'), seq: count, retire: optional(flag) }),
  error: shape({ t: oneOf('error'), seq: count, message: text }),
  fatal: shape({ t: oneOf('fatal'), seq: count, message: text }),
  files: shape({ t: oneOf('files'), files: list(isSourceFile) }),
  fileStart: shape({ t: oneOf('fileStart'), seq: count }),
  incident: shape({ t: oneOf('incident'), seq: count, incident: isIncident }),
  fileEnd: shape({ t: oneOf('fileEnd'), seq: count, summary: isFileSummary }),
};
const isRecord = tagged(RECORDS);

/** What each channel carries. */
export const WORKER_RECORDS = ['ready', 'start', 'end', 'warning', 'done', 'error', 'fatal'] as const satisfies readonly RecordKind[];
export const JOURNAL_RECORDS = ['files', 'fileStart', 'end', 'incident', 'warning', 'fileEnd'] as const satisfies readonly RecordKind[];
export const REPLAY_RECORDS = ['start', 'end', 'incident'] as const satisfies readonly RecordKind[];

/** A valid record of one of `kinds`. */
export function recordCheck<K extends RecordKind>(kinds: readonly K[]): Check<RecordOf<K>> {
  const accepted = new Set<unknown>(kinds);
  return (value): value is RecordOf<K> => isObject(value) && accepted.has(value.t) && isRecord(value);
}

/**
 * Starts every record (a worker's, followed by its key). Control characters no text is made of, so output
 * that native code writes between records is never mistaken for one.
 */
export const RECORD_MARK = '\x1emtest\x1f';
const NEWLINE = 0x0a;

/**
 * One record → marker + one line. JSON escapes newlines inside strings, so a record never spans lines.
 * The two records nearly every example sends have a compact form, written and read without JSON (a
 * 10,000-example run sends 20,000 of them; JSON.parse was most of the parent's reading time):
 *   `s<seq>,<i>,<at>`       a start record;
 *   `p<seq>,<index>,<time>` the end of an example that passed with nothing more to say.
 * Everything else is a JSON object, so its line starts with `{`.
 */
export function encodeRecord(record: AnyRecord, mark = RECORD_MARK): string {
  if (record.t === 'start') return `${mark}s${record.seq},${record.i},${record.at}\n`;
  if (record.t === 'end' && isPlainPass(record.r)) return `${mark}p${record.seq},${record.r.index},${record.r.time}\n`;
  return mark + JSON.stringify(record) + '\n';
}

/** Exactly `{ index, status: 'passed', outcome: 'ok', time }`: what the `p` form carries. */
function isPlainPass(r: ExampleResult): boolean {
  let keys = 0;
  for (const key in r) if (Object.hasOwn(r, key)) keys++;
  return keys === 4 && r.status === 'passed' && r.outcome === 'ok' && typeof r.index === 'number' && typeof r.time === 'number';
}

const START = 0x73; // s
const PASS = 0x70; // p
const COMMA = 0x2c;

/**
 * The compact forms (see encodeRecord) in data[start, end); undefined when that is not one of them or is
 * malformed. Read in place: no Buffer view is made per record.
 */
function decodeCompact(data: Buffer, start: number, end: number): RecordOf<'start' | 'end'> | undefined {
  const kind = data[start];
  if (kind !== START && kind !== PASS) return undefined;
  let first = -1;
  let second = -1;
  for (let k = start + 1; k < end && second < 0; k++) {
    if (data[k] !== COMMA) continue;
    if (first < 0) first = k;
    else second = k;
  }
  if (second < 0 || second + 1 === end) return undefined;
  const seq = digits(data, start + 1, first);
  const index = digits(data, first + 1, second);
  // A time is any JavaScript number's text (1e-7 included): Number() reads back the very same number.
  const last = kind === START ? digits(data, second + 1, end) : Number(data.toString('latin1', second + 1, end));
  if (Number.isNaN(seq) || Number.isNaN(index) || Number.isNaN(last)) return undefined;
  return kind === START
    ? { t: 'start', seq, i: index, at: last }
    : { t: 'end', seq, r: { index, status: 'passed', outcome: 'ok', time: last } };
}

/** The decimal integer in body[from, to); NaN when it is empty or holds anything but digits. */
function digits(body: Buffer, from: number, to: number): number {
  if (from >= to) return NaN;
  let n = 0;
  for (let k = from; k < to; k++) {
    const d = body[k] - 0x30;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Splits a byte stream into records and the raw output between them, in order. Chunks may end anywhere
 * (inside a marker, a record or a UTF-8 sequence); a record is decoded only once complete, so a torn last
 * record (the writer died mid-write) is never delivered. A record that is not valid JSON, not a valid
 * record, or not of the channel's `kinds` goes to `onGarbage` rather than being thrown or delivered.
 * `mark`: what starts a record (recordMark of the worker's key).
 */
export class RecordDecoder<K extends RecordKind> {
  /** Bytes of a record whose newline has not arrived yet (only ever a record, never output). */
  private record: Buffer[] = [];
  private recordLength = 0;
  private inRecord = false;
  /** The end of the last chunk when it could be the start of a marker. */
  private carry: Buffer = Buffer.alloc(0);
  private readonly mark: Buffer;
  private readonly check: Check<RecordOf<K>>;
  /** The channel carries start / end records (the compact forms are checked as they are read). */
  private readonly starts: boolean;
  private readonly ends: boolean;

  constructor(
    kinds: readonly K[],
    private readonly onRecord: (record: RecordOf<K>) => void,
    private readonly onOutput: (bytes: Buffer) => void = () => {},
    private readonly onGarbage: (text: string) => void = () => {},
    mark = RECORD_MARK,
  ) {
    this.mark = Buffer.from(mark, 'latin1');
    this.check = recordCheck(kinds);
    this.starts = kinds.some((kind) => kind === 'start');
    this.ends = kinds.some((kind) => kind === 'end');
  }

  push(chunk: Buffer | string): void {
    let data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let at = 0;
    if (this.inRecord) {
      // Inside a record: only its newline matters (a 10 MB record costs one scan per chunk).
      const nl = data.indexOf(NEWLINE);
      if (nl < 0) return this.hold(data);
      this.record.push(data.subarray(0, nl));
      const whole = Buffer.concat(this.record);
      this.deliver(whole, 0, whole.length);
      this.record = [];
      this.recordLength = 0;
      this.inRecord = false;
      at = nl + 1;
    } else if (this.carry.length > 0) {
      data = Buffer.concat([this.carry, data]);
      this.carry = Buffer.alloc(0);
    }
    while (at < data.length) {
      // Records usually follow each other: check for a marker right here before searching for one.
      const mark = markAt(data, at, this.mark) ? at : data.indexOf(this.mark, at);
      if (mark < 0) {
        const keep = partialMark(data, at, this.mark);
        if (data.length - keep > at) this.onOutput(data.subarray(at, data.length - keep));
        this.carry = Buffer.from(data.subarray(data.length - keep));
        return;
      }
      if (mark > at) this.onOutput(data.subarray(at, mark));
      const body = mark + this.mark.length;
      const nl = data.indexOf(NEWLINE, body);
      if (nl < 0) return this.hold(data.subarray(body));
      this.deliver(data, body, nl);
      at = nl + 1;
    }
  }

  /** Bytes held back: an incomplete record, or what may be the start of a marker. */
  get pendingLength(): number {
    return this.recordLength + this.carry.length;
  }

  private hold(part: Buffer): void {
    // Copied: the caller may reuse its buffer for the next read.
    this.record.push(Buffer.from(part));
    this.recordLength += part.length;
    this.inRecord = true;
  }

  /** The record whose text is data[start, end). */
  private deliver(data: Buffer, start: number, end: number): void {
    // The compact forms are checked as they are read (digits and a number); only their kind is left.
    const compact = decodeCompact(data, start, end);
    if (compact && this.accepts(compact)) return this.onRecord(compact);
    const text = data.toString('utf8', start, end);
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      this.onGarbage(text);
      return;
    }
    if (this.check(record)) this.onRecord(record);
    else this.onGarbage(text);
  }

  private accepts(record: RecordOf<'start' | 'end'>): record is RecordOf<K> & RecordOf<'start' | 'end'> {
    return record.t === 'start' ? this.starts : this.ends;
  }
}

/** data holds the whole marker at `at`. */
function markAt(data: Buffer, at: number, mark: Buffer): boolean {
  for (let k = 0; k < mark.length; k++) if (data[at + k] !== mark[k]) return false;
  return true;
}

/** How many bytes at the end of `data` (from `from` on) are a proper prefix of the marker. */
function partialMark(data: Buffer, from: number, mark: Buffer): number {
  for (let keep = Math.min(mark.length - 1, data.length - from); keep > 0; keep--) {
    if (data.subarray(data.length - keep).equals(mark.subarray(0, keep))) return keep;
  }
  return 0;
}
