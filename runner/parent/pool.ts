// The worker pool (default mode): files run in forked worker processes, at most `jobs` at a time
// (p-limit), each on a numbered slot. A worker killed at an incident is replaced on its slot at once, and
// the file goes on there from its next block (FileRun). A slot keeps its worker from file to file unless
// the file ended badly (the worker was killed), --isolate asks for a fresh worker per file, or the worker has grown past half its
// memory budget (a fat worker is replaced before it hits the limit mid-file). SIGINT / SIGTERM / SIGHUP stop the run:
// every worker tree is killed and what did not run is reported as not run.
import pLimit from 'p-limit';
import type { RunEvents } from '../../src/events.js';
import { closeRest, countExamples, type SourceFile } from '../../src/model.js';
import { DEFAULT_FILE_RUN_TUNING, FileRun, type FileRunEnd, type FileRunTuning } from './file-run.js';
import { stopSignals } from '../signals.js';
import { memlimitBytes, type RunnerOptions, type RunnerOutcome } from '../../src/options.js';
import type { BlasInfo } from '../protocol.js';
import { WorkerHandle, type WorkerReady, type WorkerSpawnOptions } from './worker-handle.js';

/** Knobs for tests and benchmarks, not user options. */
export interface PoolTuning extends Partial<FileRunTuning> {
  /** Node flags for workers (e.g. a small --max-old-space-size). */
  execArgv?: string[];
  /** Extra worker environment. */
  env?: Record<string, string>;
  /** Replacement worker module. */
  workerModule?: string;
  /** Stop on SIGINT/SIGTERM/SIGHUP while running (default true). */
  handleSignals?: boolean;
  /** The examples of a file to run (flat indices; undefined = all): `mtest bisect`'s replays, `FILE:LINE` and `-k`. */
  only?: (file: SourceFile) => number[] | undefined;
}

/** Which files one worker process ran, in order — what `mtest bisect` needs to replay a worker's history. */
export interface WorkerRecord {
  /** Slot number (the `worker` of RunEvents). */
  worker: number;
  pid: number;
  files: string[];
  /**
   * Per file of `files`, the flat index of the first example this process ran of it; only when one is not
   * 0 (a fresh worker that took a file over after an incident in an earlier block).
   */
  from?: number[];
  /** How the process ended: `code 0`, `SIGKILL`… (undefined if still running, which does not happen). */
  exit?: string;
}

export interface PoolOutcome extends RunnerOutcome {
  workers: WorkerRecord[];
}

/** How long the header waits for the first worker to name the engine's BLAS (it takes ~0.1 s). */
const BLAS_WAIT_MS = 1000;

/**
 * Workers started before the files are known, so that their boot overlaps discovery and parsing in the
 * parent. The pool adopts them by slot; whatever it does not adopt is retired with the run.
 */
export class PrestartedWorkers {
  private readonly handles = new Map<number, WorkerHandle>();
  /** Slot 1's worker, kept after the pool takes it: it names the BLAS. */
  private readonly first?: WorkerHandle;

  constructor(count: number, spawn: WorkerSpawnOptions) {
    for (let slot = 1; slot <= count; slot++) this.handles.set(slot, new WorkerHandle(slot, { ...spawn, nameBlas: slot === 1 }));
    this.first = this.handles.get(1);
  }

  /**
   * What the first worker said when it was ready: the engine's BLAS as it loaded it (none when the prelude
   * has no engine), or why the prelude could not be loaded. Undefined when it is not ready within `waitMs`
   * (a prelude module that never finishes loading must not keep the run from starting; its files then
   * fail on their own limits).
   */
  ready(waitMs = BLAS_WAIT_MS): Promise<WorkerReady | undefined> {
    if (!this.first) return Promise.resolve(undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, waitMs, undefined);
    });
    return Promise.race([this.first.ready, late]).finally(() => clearTimeout(timer));
  }

  /** The worker started for `slot`, once. */
  take(slot: number): WorkerHandle | undefined {
    const handle = this.handles.get(slot);
    this.handles.delete(slot);
    return handle;
  }

  /** Let the ones nobody took go. */
  release(): Promise<void> {
    const left = [...this.handles.values()];
    this.handles.clear();
    return Promise.all(left.map((handle) => handle.retire())).then(() => {});
  }
}

/** What a worker of this run is started with. */
export function spawnOptions(options: Pick<RunnerOptions, 'blasThreads' | 'prelude'>, tuning: PoolTuning = {}): WorkerSpawnOptions {
  return { blasThreads: options.blasThreads, prelude: options.prelude, execArgv: tuning.execArgv, env: tuning.env, workerModule: tuning.workerModule };
}

/** Endings after which the worker is not trusted with another file (killed, or left with something running). */
const BAD_ENDS = new Set<FileRunEnd>(['timeout', 'file-timeout', 'memory', 'crash', 'interrupted', 'left-running']);

export class WorkerPool {
  private readonly workers = new Map<number, WorkerHandle>();
  private readonly everyWorker: WorkerHandle[] = [];
  private readonly running = new Set<FileRun>();
  private readonly retiring = new Set<Promise<void>>();
  private interrupted = false;
  private stopped = false;
  private readonly tuning: FileRunTuning;

  constructor(
    private readonly options: RunnerOptions,
    private readonly events: RunEvents,
    private readonly poolTuning: PoolTuning = {},
    private readonly prestarted?: PrestartedWorkers,
  ) {
    this.tuning = { ...DEFAULT_FILE_RUN_TUNING, ...poolTuning };
  }

  async run(files: SourceFile[]): Promise<PoolOutcome> {
    // In the order given: the schedule stage (src/schedule) puts the slowest first.
    const order = files;
    const jobs = Math.max(1, Math.min(this.options.jobs, order.length || 1));
    const limit = pLimit(jobs);
    const freeSlots = Array.from({ length: jobs }, (_, i) => jobs - i);
    const unsubscribe = (this.poolTuning.handleSignals ?? true) ? stopSignals.subscribe(() => void this.interrupt()) : undefined;
    try {
      await Promise.all(
        order.map((file) =>
          limit(async () => {
            if (this.stopped) return this.reportNotRun(file);
            const slot = freeSlots.pop()!;
            try {
              await this.runFile(slot, file);
            } finally {
              freeSlots.push(slot);
            }
          }),
        ),
      );
    } finally {
      unsubscribe?.();
      for (const [slot, handle] of this.workers) {
        this.workers.delete(slot);
        this.retire(handle);
      }
      await Promise.all([...this.retiring, this.prestarted?.release()]);
    }
    return {
      interrupted: this.interrupted,
      workers: this.everyWorker.map((handle) => ({
        worker: handle.slot,
        pid: handle.pid,
        files: [...handle.files],
        ...(handle.from.some((index) => index > 0) && { from: [...handle.from] }),
        exit: handle.exit ? (handle.exit.signal ?? `code ${handle.exit.code}`) : undefined,
      })),
    };
  }

  /** PID of the worker now on `slot` (for tests and diagnostics). */
  pidOf(slot: number): number | undefined {
    return this.workers.get(slot)?.pid;
  }

  /** Stop the run: no new file starts, every running worker tree is killed. */
  async interrupt(): Promise<void> {
    this.interrupted = true;
    this.stopped = true;
    await Promise.all([...this.running].map((run) => run.interrupt()));
  }

  private async runFile(slot: number, file: SourceFile): Promise<void> {
    if (countExamples(file) === 0) {
      this.events.fileStart(file, slot);
      this.events.fileEnd(file, { time: 0, worker: slot });
      return;
    }
    let handle = this.workers.get(slot);
    if (!handle || !handle.alive) {
      handle = this.spawn(slot);
      this.workers.set(slot, handle);
    }
    const options = this.poolTuning.only ? { ...this.options, only: this.poolTuning.only(file) } : this.options;
    const run = new FileRun(
      file,
      handle,
      options,
      this.events,
      this.tuning,
      () => {
        if (this.options.exitFirst) this.stopped = true;
      },
      (dead) => {
        if (this.stopped) return undefined;
        this.retire(dead);
        const fresh = this.spawn(slot);
        this.workers.set(slot, fresh);
        return fresh;
      },
    );
    this.running.add(run);
    let end: FileRunEnd;
    try {
      end = await run.start();
    } finally {
      this.running.delete(run);
    }
    handle = run.worker;
    if (BAD_ENDS.has(end) || this.options.isolate || this.overBudget(handle)) {
      this.workers.delete(slot);
      this.retire(handle);
    }
  }

  /** Past half its memory budget after a file: replace it before it reaches the limit in the middle of one. */
  private overBudget(handle: WorkerHandle): boolean {
    if (this.options.memlimit <= 0) return false;
    const rss = handle.rss();
    return rss !== undefined && rss > memlimitBytes(this.options) / 2;
  }

  private spawn(slot: number): WorkerHandle {
    const early = this.prestarted?.take(slot);
    const handle = early?.alive ? early : new WorkerHandle(slot, spawnOptions(this.options, this.poolTuning));
    if (early && early !== handle) void early.kill();
    this.everyWorker.push(handle);
    return handle;
  }

  /** Let a worker go in the background; the run does not end before it is gone. */
  private retire(handle: WorkerHandle): void {
    const done = (handle.exit ? handle.exited.then(() => {}) : handle.retire()).finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }

  /** A file that will not run (after --exitfirst or Ctrl-C): every example is reported as not run. */
  private reportNotRun(file: SourceFile): void {
    this.events.fileStart(file, 0);
    closeRest(file, new Set(), (result) => this.events.exampleEnd(file, result));
    this.events.fileEnd(file, { time: 0, worker: 0 });
  }
}

/** Run `files` in worker processes; every example of every file gets exactly one exampleEnd. */
export function runWorkers(files: SourceFile[], options: RunnerOptions, events: RunEvents, tuning?: PoolTuning, prestarted?: PrestartedWorkers): Promise<PoolOutcome> {
  return new WorkerPool(options, events, tuning, prestarted).run(files);
}
