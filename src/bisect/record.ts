// `.mtest/workers.json`: what every run leaves for `mtest bisect` — per worker process, the files it ran in
// order (from which example, for a file it took over after an incident) and the examples that failed there, and the options that shape a worker. The last few runs are
// kept, newest first, so that running the failing file by itself afterwards (the first thing one tries)
// does not lose the run it failed in. Written atomically at the end of a run; a run that cannot write it
// still reports as usual (one warning line).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FileSummary, Incident, RunEvents } from '../events.js';
import { exampleAt, type ExampleResult, type Outcome, type SourceFile } from '../model.js';
import { linkTarget, reason, writeAtomically } from '../util/atomic-write.js';
import { withLock } from '../util/file-lock.js';
import type { RunnerOptions, RunnerOutcome } from '../options.js';
import type { WorkerRecord } from '../../runner/parent/pool.js';
import { makeStateDirFor, STATE_DIR, stateFile } from '../project.js';
import { count, isObject, list, text } from '../checks.js';

/** The record's place in the project's `.mtest/` folder, as messages name it. */
export const WORKERS_FILE = path.join(STATE_DIR, 'workers.json');
/** Runs kept in the file. */
export const KEPT_RUNS = 10;

/** An example that failed in the recorded run: what a replay has to show again. */
export interface RecordedFailure {
  file: string;
  line: number;
  index: number;
  outcome: Outcome;
  /** What it printed, when short; otherwise its digest (`gotDigest`), enough to recognise it again. */
  got?: string;
  gotDigest?: string;
}

/** Longer outputs are kept as a digest: a run that floods its output must not flood the record. */
const GOT_KEPT = 64 * 1024;

export function gotDigest(got: string): string {
  return createHash('sha256').update(got).digest('hex');
}

/** The options a replay reuses: everything that decides what a worker runs and how. */
export type RecordedOptions = Pick<RunnerOptions, 'jobs' | 'blasThreads' | 'prelude' | 'randomSeed' | 'timeout' | 'fileTimeout' | 'memlimit' | 'optional' | 'long' | 'initial' | 'isolate'> & {
  mode: 'workers' | 'serial';
};

export interface RecordedWorker {
  /** Slot number (0 under --serial: mtest's own process). */
  worker: number;
  pid?: number;
  /** Paths as the run named them, in the order this process ran them. */
  files: string[];
  /**
   * Per file of `files`, the flat index of the first example this process ran of it: a fresh worker that
   * took a file over after an incident ran it from its next block on. Absent when every file ran from its
   * start (and in records written before it existed).
   */
  from?: number[];
  exit?: string;
  failures: RecordedFailure[];
}

export interface WorkersFile {
  version: 1;
  /** Newest first. */
  runs: WorkersRecord[];
}

export interface WorkersRecord {
  id: string;
  /** The run's working directory: the files' paths are relative to it. */
  cwd?: string;
  options: RecordedOptions;
  workers: RecordedWorker[];
}

/** A RunEvents sink: the order files started in (the serial run's history) and what failed. */
export class WorkerHistory implements RunEvents {
  private readonly order: string[] = [];
  private readonly failures = new Map<string, RecordedFailure[]>();

  fileStart(file: SourceFile): void {
    this.order.push(file.path);
  }
  exampleStart(): void {}
  exampleEnd(file: SourceFile, result: ExampleResult): void {
    if (result.status !== 'failed') return;
    const failure: RecordedFailure = { file: file.path, line: exampleAt(file, result.index)?.line ?? 0, index: result.index, outcome: result.outcome };
    if (result.got !== undefined && result.got.length > GOT_KEPT) failure.gotDigest = gotDigest(result.got);
    else failure.got = result.got;
    const list = this.failures.get(file.path);
    if (list) list.push(failure);
    else this.failures.set(file.path, [failure]);
  }
  incident(_file: SourceFile, _incident: Incident): void {}
  warning(): void {}
  fileEnd(_file: SourceFile, _summary: FileSummary): void {}

  record(id: string, options: RunnerOptions, outcome: RunnerOutcome, cwd = process.cwd()): WorkersRecord {
    // Under --serial the one "worker" is this process; files never started (slot 0 too) are not in `order`.
    const processes: Omit<RecordedWorker, 'failures'>[] = options.serial
      ? [{ worker: 0, pid: process.pid, files: this.order }]
      : ((outcome as { workers?: WorkerRecord[] }).workers ?? []);
    // Where each process's part of a file starts: a failure belongs to the process whose part holds it.
    const starts = new Map<string, number[]>();
    for (const p of processes) for (const [k, f] of p.files.entries()) starts.set(f, [...(starts.get(f) ?? []), p.from?.[k] ?? 0]);
    const failuresOf = (p: Omit<RecordedWorker, 'failures'>): RecordedFailure[] =>
      p.files.flatMap((f, k) => {
        const from = p.from?.[k] ?? 0;
        const to = Math.min(...(starts.get(f) ?? []).filter((start) => start > from));
        return (this.failures.get(f) ?? []).filter((failure) => failure.index >= from && failure.index < to);
      });
    return {
      id,
      cwd: path.resolve(cwd),
      options: {
        mode: options.serial ? 'serial' : 'workers',
        jobs: options.jobs,
        blasThreads: options.blasThreads,
        prelude: options.prelude,
        randomSeed: options.randomSeed,
        timeout: options.timeout,
        fileTimeout: options.fileTimeout,
        memlimit: options.memlimit,
        optional: options.optional,
        long: options.long,
        initial: options.initial,
        isolate: options.isolate,
      },
      workers: processes.map((p) => ({ ...p, failures: failuresOf(p) })),
    };
  }
}

/**
 * Add the record to the project's file (the project that `cwd` is in; under a lock, to the file as it is
 * now: two runs in one project both keep theirs); the message of what went wrong, if anything did.
 */
export function saveWorkers(cwd: string, record: WorkersRecord): string | undefined {
  try {
    const file = stateFile(cwd, 'workers.json');
    makeStateDirFor(file);
    withLock(linkTarget(file), () => {
      const previous = loadWorkers(cwd);
      const runs = [record, ...(typeof previous === 'string' ? [] : previous.runs)].slice(0, KEPT_RUNS);
      writeAtomically(file, JSON.stringify({ version: 1, runs } satisfies WorkersFile) + '\n', { followLink: true });
    });
    return undefined;
  } catch (err) {
    return `cannot record the workers' files in ${WORKERS_FILE}: ${reason(err)}`;
  }
}

const isStrings = list(text);

/** What is wrong with a recorded run (a hand-edited or damaged file), in a few words; undefined if nothing. */
function runProblem(run: unknown, r: number): string | undefined {
  if (!isObject(run) || typeof run.id !== 'string' || !isObject(run.options) || !Array.isArray(run.workers)) return `run ${r + 1} is not a run`;
  const o = run.options;
  const numbers = ['jobs', 'blasThreads', 'randomSeed', 'timeout', 'fileTimeout', 'memlimit'].every((k) => typeof o[k] === 'number' && Number.isFinite(o[k]));
  const flags = ['long', 'initial', 'isolate'].every((k) => typeof o[k] === 'boolean');
  if (!numbers || !flags || (o.mode !== 'workers' && o.mode !== 'serial') || !isStrings(o.prelude) || !isStrings(o.optional)) return `run ${r + 1}: its options are not all there`;
  for (const [w, worker] of run.workers.entries()) {
    if (!isObject(worker) || !isStrings(worker.files)) return `run ${r + 1}, worker ${w + 1}: "files" is not a list of paths`;
    if (worker.from !== undefined && !(list(count)(worker.from) && worker.from.length === worker.files.length)) {
      return `run ${r + 1}, worker ${w + 1}: "from" is not a list of example indices, one per file`;
    }
    const failures = worker.failures;
    if (!Array.isArray(failures) || !failures.every((f) => isObject(f) && typeof f.file === 'string' && Number.isInteger(f.line) && Number.isInteger(f.index) && typeof f.outcome === 'string')) {
      return `run ${r + 1}, worker ${w + 1}: "failures" is not a list of failures`;
    }
  }
  return undefined;
}

/** The recorded runs, or a one-line reason why there are none. */
export function loadWorkers(cwd: string): WorkersFile | string {
  let text: string;
  try {
    text = readFileSync(stateFile(cwd, 'workers.json'), 'utf8');
  } catch {
    return `no recorded run here (${WORKERS_FILE} is written by every run of mtest; run the tests first)`;
  }
  try {
    const file = JSON.parse(text) as WorkersFile;
    if (file?.version !== 1 || !Array.isArray(file.runs)) throw new Error('unknown layout');
    const problem = file.runs.map(runProblem).find(Boolean);
    if (problem) throw new Error(problem);
    return file;
  } catch (err) {
    return `${WORKERS_FILE}: cannot read it (${(err as Error).message}); run the tests again`;
  }
}
