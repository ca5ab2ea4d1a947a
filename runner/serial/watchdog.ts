// The watchdog of --serial / --debug: a worker_threads thread inside mtest itself, which runs the examples.
// (Pool workers have none: their parent watches the clock and takes their stacks through the inspector.)
// The main thread only stores "example N of file F started at T with limit L" into shared memory
// (Heartbeat) and appends what it reports to the run's journal; the thread watches the heartbeat, the
// process's memory and its stop signals, and when a limit passes does what the main thread no longer can:
// take its JavaScript stack through the inspector, its native stack through gdb (posix_spawn: nothing
// forks here while BLAS threads may run), and —
//   serial mode: interrupt a synchronous example through the guard addon (interrupt.ts); if the example
//                is still running after a grace (native code, a loop in a promise job), finish the whole
//                report from the journal, kill every process the examples started, and end the process
//                with the run's exit bits (finish.ts);
//   debug mode:  only warn (`still running line N after 60 s` with the stack).
import { Worker } from 'node:worker_threads';
import { count, flag, num, oneOf, optional, sharedMemory, shape, text } from '../../src/checks.js';
import type { FinishPlan } from './finish.js';
import { Heartbeat, HEARTBEAT_BYTES } from './heartbeat.js';

export type WatchdogMode = 'serial' | 'debug';

/** Why the watchdog acts: a limit passed, a stop signal the main thread could not act on, or its crash. */
export type StackReason = 'timeout' | 'file-timeout' | 'memory' | 'interrupted' | 'crash';

export interface WatchdogConfig {
  mode: WatchdogMode;
  /** Take a native stack (eu-stack, gdb) when the inspector does not answer. */
  gdb: boolean;
  /** serial: the mtest_guard addon whose `interrupt()` ends a guarded synchronous example at its limit. */
  guardAddon?: string;
  /** Where reports go (default stderr, 2). */
  reportFd?: number;
  /** How often the thread looks at the heartbeat, ms. */
  pollMs?: number;
  /** The run's journal and report plan: with them, a run the main thread cannot end is ended here, whole. */
  journal?: SharedArrayBuffer;
  plan?: FinishPlan;
  /** Without a plan: where the incident the run is ended for goes, as a protocol record (a bisect replay). */
  recordFd?: number;
}

/** What the thread receives. */
export interface WatchdogThreadData {
  buffer: SharedArrayBuffer;
  mode: WatchdogMode;
  gdb: boolean;
  guardAddon?: string;
  reportFd: number;
  pollMs: number;
  journal?: SharedArrayBuffer;
  plan?: FinishPlan;
  recordFd?: number;
}

/** The report's data is the command's: the module that reopens the report checks it (runner/serial/finish.ts). */
const isFinishPlan = shape<FinishPlan>({
  module: text,
  data: (v): v is unknown => v !== undefined,
  reportFd: count,
  umask: count,
});

/** The thread's data as it arrived (it is checked there, as anything crossing a thread boundary). */
export const isWatchdogThreadData = shape<WatchdogThreadData>({
  buffer: (v): v is SharedArrayBuffer => sharedMemory(v) && v.byteLength === HEARTBEAT_BYTES,
  mode: oneOf('serial', 'debug'),
  gdb: flag,
  guardAddon: optional(text),
  reportFd: count,
  pollMs: (v): v is number => num(v) && v > 0,
  journal: optional(sharedMemory),
  plan: optional(isFinishPlan),
  recordFd: optional(count),
});

let current: Watchdog | undefined;

export class Watchdog {
  readonly heartbeat = new Heartbeat();
  private readonly thread: Worker;

  private constructor(readonly config: WatchdogConfig) {
    const data: WatchdogThreadData = {
      buffer: this.heartbeat.buffer,
      mode: config.mode,
      gdb: config.gdb,
      guardAddon: config.guardAddon,
      reportFd: config.reportFd ?? 2,
      pollMs: config.pollMs ?? 20,
      journal: config.journal,
      plan: config.plan,
      recordFd: config.recordFd,
    };
    this.thread = new Worker(new URL('./watchdog-thread.js', import.meta.url), {
      workerData: data,
      // The thread must not hold the process open, nor take its inspector or stdio along.
      stdout: false,
      stderr: false,
    });
    this.thread.unref();
    this.thread.on('error', (error) => {
      process.stderr.write(`mtest: watchdog thread failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    });
  }

  /** Start the watchdog of this process (one per process; a second call returns the first). */
  static start(config: WatchdogConfig): Watchdog {
    current ??= new Watchdog(config);
    return current;
  }

  /** The running watchdog of this process, if any. */
  static get current(): Watchdog | undefined {
    return current;
  }

  /**
   * File number `n` of the run (its place in the journal) starts. `fileTimeout` in seconds and `memlimit`
   * in bytes; 0 = none.
   */
  fileStarted(n: number, fileTimeout: number, memlimit: number): void {
    this.heartbeat.fileStarted(n + 1, fileTimeout * 1000, memlimit);
  }

  /** Example `index` starts, with its time limit in seconds (0 = none). */
  exampleStarted(index: number, limit: number): void {
    this.heartbeat.exampleStarted(this.heartbeat.nextExampleId(), index, limit > 0 ? limit * 1000 : 0);
  }

  exampleEnded(): void {
    this.heartbeat.exampleEnded();
  }

  fileEnded(): void {
    this.heartbeat.fileEnded();
  }

  async stop(): Promise<void> {
    if (current === this) current = undefined;
    await this.thread.terminate();
  }
}

