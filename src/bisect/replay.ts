// One replay: a list of files, each running a chosen subset of its examples, in one fresh process, in
// order; the last one holds the example under study. With workers, the pool runs them (one slot, the given
// order), so limits, kills and crashes behave as in the recorded run. Under --serial, a child process runs
// them as `--serial` runs files — inside one process — so what one replay leaves behind never reaches the
// next.
import { fork } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Incident } from '../events.js';
import type { ExampleResult, Outcome, SourceFile } from '../model.js';
import type { RunnerOptions } from '../options.js';
import { count, isSourceFile, list, shape } from '../checks.js';
import { isRunnerOptions, RecordDecoder, REPLAY_RECORDS, type RecordOf } from '../../runner/protocol.js';
import { deferExtraCaCerts } from '../../runner/extra-ca.js';
import { WorkerStartError } from '../../runner/parent/worker-handle.js';

export interface ReplayStep {
  file: SourceFile;
  /** Flat indices to run; undefined = every example. */
  only?: number[];
}

export interface Observed {
  /** The studied example's result (undefined when it never got to run). */
  result?: ExampleResult;
  /** Per step, the examples that ran (passed or failed). */
  ran: number[][];
  /** Every step ran in the same process (a crash before the last file breaks the sequence). */
  intact: boolean;
  interrupted: boolean;
}

export type Replay = (steps: ReplayStep[], target: number) => Promise<Observed>;

/** A replay that could not run at all (not a result about the example). */
export class ReplayError extends Error {}

/** Replays in worker processes, through the pool. */
export function poolReplay(options: RunnerOptions): Replay {
  return async (steps, target) => {
    const [{ runWorkers }, { RecordingEvents }] = await Promise.all([import('../../runner/parent/pool.js'), import('../recording-events.js')]);
    const events = new RecordingEvents();
    const only = new Map(steps.map((s) => [s.file, s.only]));
    const outcome = await runWorkers(
      steps.map((s) => s.file),
      { ...options, jobs: 1 },
      events,
      { only: (file) => only.get(file) },
    );
    const records = steps.map((s) => events.files.get(s.file.path));
    const last = records[records.length - 1];
    return {
      result: last?.results.get(target),
      ran: records.map((r) => [...(r?.results.values() ?? [])].filter((x) => x.status === 'passed' || x.status === 'failed').map((x) => x.index)),
      intact: outcome.workers.length === 1 && outcome.workers[0].files.length === steps.length,
      interrupted: outcome.interrupted,
    };
  };
}

/**
 * What the serial child writes to its records file, in the worker protocol's encoding (with writeSync, so a
 * killed child loses nothing): each example's start and end, `seq` being the step; and, when the watchdog
 * had to end the child (a hang it could not interrupt), the incident it ended it for.
 */
export type ChildRecord = RecordOf<(typeof REPLAY_RECORDS)[number]>;

/** The child's plan (a JSON file): the steps' files, the examples each runs (null = all), the run's options. */
export interface ChildPlan {
  files: SourceFile[];
  only: (number[] | null)[];
  options: RunnerOptions;
}

export const isChildPlan = shape<ChildPlan>({
  files: list(isSourceFile),
  only: list((v): v is number[] | null => v === null || list(count)(v)),
  options: isRunnerOptions,
});

const CHILD = fileURLToPath(new URL('./serial-child.js', import.meta.url));
/** Kept of the child's stderr: the watchdog's report of a hang it had to end the process for. */
const STDERR_TAIL = 16384;

/** Replays under --serial: each in a fresh child process that runs the files as --serial does. */
export function serialReplay(options: RunnerOptions): Replay {
  return async (steps, target) => {
    let dir: string;
    try {
      dir = mkdtempSync(path.join(tmpdir(), 'mtest-bisect-'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new WorkerStartError(`cannot create a replay's folder in ${tmpdir()} (${code}); set TMPDIR to a writable folder`);
    }
    try {
      const planFile = path.join(dir, 'plan.json');
      const outFile = path.join(dir, 'records.jsonl');
      const plan: ChildPlan = { files: steps.map((s) => s.file), only: steps.map((s) => s.only ?? null), options };
      writeFileSync(planFile, JSON.stringify(plan));
      closeSync(openSync(outFile, 'w'));
      const threads = String(options.blasThreads);
      const child = fork(CHILD, [planFile, outFile], {
        env: deferExtraCaCerts({ ...process.env, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads }),
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
      });
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_TAIL);
      });
      let interrupted = false;
      const onSignal = (): void => {
        interrupted = true;
        child.kill('SIGKILL');
      };
      process.on('SIGINT', onSignal);
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      process.removeListener('SIGINT', onSignal);
      const records = readFileSync(outFile);
      if (records.length === 0 && !interrupted && (exit.code !== 0 || exit.signal)) throw new ReplayError(`a --serial replay ended before its first example: ${stderr.trim() || `exit ${exit.signal ?? exit.code}`}`);
      return observe(records, steps.length, target, exit, stderr, interrupted);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** The outcome of the studied example when the watchdog ended the child for this incident while it ran. */
const ENDED_BY: Record<Incident['kind'], Outcome | undefined> = { timeout: 'timeout', 'file-timeout': 'timeout', memory: 'memory', crash: 'crash', interrupted: undefined };

/**
 * What a --serial replay showed, from its child's records. Anything in the file that is not a record the
 * child sends (a torn last record aside) makes the replay unusable: a ReplayError, one line.
 */
export function observe(records: Buffer, count: number, target: number, exit: { code: number | null; signal: string | null }, stderr: string, interrupted: boolean): Observed {
  const ran: number[][] = Array.from({ length: count }, () => []);
  let result: ExampleResult | undefined;
  let running: { k: number; i: number } | undefined;
  let ended: Incident | undefined;
  let reached = -1;
  let unreadable: string | undefined;
  const decoder = new RecordDecoder(
    REPLAY_RECORDS,
    (record) => {
      if (record.seq >= count) {
        unreadable ??= `a step the replay does not have (${record.seq + 1} of ${count})`;
        return;
      }
      reached = Math.max(reached, record.seq);
      if (record.t === 'incident') {
        ended = record.incident;
      } else if (record.t === 'start') {
        running = { k: record.seq, i: record.i };
      } else {
        running = undefined;
        if (record.r.status === 'passed' || record.r.status === 'failed') ran[record.seq].push(record.r.index);
        if (record.seq === count - 1 && record.r.index === target) result = record.r;
      }
    },
    (bytes) => (unreadable ??= JSON.stringify(bytes.toString('utf8', 0, 200))),
    (text) => (unreadable ??= JSON.stringify(text.slice(0, 200))),
  );
  decoder.push(records);
  if (unreadable) throw new ReplayError(`a --serial replay wrote a record mtest cannot read: ${unreadable}`);
  // The watchdog ends the process when a hang cannot be interrupted: the example running then is the one.
  if (!result && running && running.k === count - 1 && running.i === target && (exit.code !== 0 || exit.signal)) {
    const outcome = ended ? ENDED_BY[ended.kind] : 'crash';
    const note = ended?.message ?? stderr.trim().split('\n').find((l) => l.startsWith('mtest: ')) ?? `exit ${exit.signal ?? exit.code}`;
    if (outcome) result = { index: target, status: 'failed', outcome, time: ended?.elapsed ?? 0, note };
  }
  const completed = exit.code === 0 && !exit.signal;
  return { result, ran, intact: completed || reached === count - 1, interrupted };
}
