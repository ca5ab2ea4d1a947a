// One worker process as the pool sees it: forked with two extra pipes (results, watchdog), its records
// decoded as they stream in, the tail of its raw output kept, and its end observed — after the pipes have
// been drained, so a result written just before a crash is never lost.
import type { SourceFile } from '../src/model.js';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { killTree } from './kill.js';
import { OutputTail } from './output-tail.js';
import {
  RecordDecoder,
  WORKER_STDIO,
  RESULT_FD,
  WATCHDOG_FD,
  type ResultRecord,
  type WatchdogRecord,
  type WireExecuteOptions,
  type WorkerCommand,
} from './protocol.js';

export interface WorkerSpawnOptions {
  /** Exported as OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS. */
  blasThreads: number;
  /** Node flags for the worker (tests: a small --max-old-space-size). */
  execArgv?: string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** The worker module (default: worker.js next to this file). */
  workerModule?: string;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How long to wait, after the worker exits, for its pipes to deliver what it wrote (they close at once
 * unless a process it started still holds them open). */
const DRAIN_MS = 150;

export class WorkerHandle {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Paths of the files this worker was given, in order (for `mtest bisect`). */
  readonly files: string[] = [];
  readonly output = new OutputTail();
  /** Resolves once the worker has exited and its pipes are drained. */
  readonly exited: Promise<WorkerExit>;
  exit?: WorkerExit;
  /** Last startup or IPC error. */
  error?: Error;
  onResult: (record: ResultRecord) => void = () => {};
  onWatchdog: (record: WatchdogRecord) => void = () => {};
  private seq = 0;
  private killing?: Promise<void>;
  /** The worker has attached its IPC listener (a command sent earlier could be dropped). */
  private readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    readonly slot: number,
    spawn: WorkerSpawnOptions,
  ) {
    const threads = String(spawn.blasThreads);
    const modulePath = spawn.workerModule ?? fileURLToPath(new URL('./worker.js', import.meta.url));
    this.child = fork(modulePath, [], {
      // Only the thread counts are set; everything else (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE…) passes through.
      env: { ...process.env, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads, ...spawn.env },
      execArgv: spawn.execArgv ?? [],
      stdio: [...WORKER_STDIO],
      // Its own process group: a terminal Ctrl-C reaches mtest only (which then stops every worker), and
      // killing the group also reaches what the worker started, even after the worker itself has died.
      detached: true,
      serialization: 'json',
    });
    this.pid = this.child.pid ?? -1;
    const results = new RecordDecoder<ResultRecord>((r) => {
      if (r.t === 'ready') this.markReady();
      else this.onResult(r);
    });
    const watchdog = new RecordDecoder<WatchdogRecord>((r) => this.onWatchdog(r));
    const stdio = this.child.stdio as unknown as (Readable | null)[];
    const resultStream = stdio[RESULT_FD];
    const watchdogStream = stdio[WATCHDOG_FD];
    resultStream?.on('data', (chunk: Buffer) => results.push(chunk));
    watchdogStream?.on('data', (chunk: Buffer) => watchdog.push(chunk));
    for (const stream of [this.child.stdout, this.child.stderr]) stream?.on('data', (chunk: Buffer) => this.output.push(chunk));
    this.child.on('error', (error) => {
      this.error = error;
    });
    const ended = (stream: Readable | null | undefined): Promise<void> =>
      new Promise((resolve) => {
        if (!stream || stream.readableEnded || stream.destroyed) return resolve();
        stream.once('close', resolve);
        stream.once('end', resolve);
      });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        const exit = { code, signal };
        const drained = Promise.all([ended(resultStream), ended(watchdogStream)]);
        const cap = new Promise((r) => setTimeout(r, DRAIN_MS));
        void Promise.race([drained, cap]).then(() => {
          this.exit = exit;
          // Whatever it started and left behind (its process group) goes with it.
          try {
            process.kill(-this.pid, 'SIGKILL');
          } catch {
            // nothing left
          }
          for (const stream of [resultStream, watchdogStream, this.child.stdout, this.child.stderr]) stream?.destroy();
          resolve(exit);
        });
      });
    });
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    live.add(this);
    void this.exited.then(() => {
      live.delete(this);
      this.markReady(); // nothing waits for a dead worker
    });
  }

  /** The process has exited (its pipes may still be draining; `exit` is set once they are). */
  get hasExited(): boolean {
    return this.exit !== undefined || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get alive(): boolean {
    return this.exit === undefined && this.killing === undefined;
  }

  /** Start a file; returns its sequence number (echoed in every record about it). */
  run(file: SourceFile, options: WireExecuteOptions, fileTimeout: number, memlimit: number): number {
    const seq = ++this.seq;
    this.files.push(file.path);
    this.output.clear();
    this.send({ t: 'run', seq, path: file.path, file, options, fileTimeout, memlimit });
    return seq;
  }

  /** Kill the worker and everything it started (SIGTERM, SIGKILL after 2 s); resolves when all are gone. */
  kill(): Promise<void> {
    this.killing ??= (async () => {
      if (this.exit === undefined) await killTree(this.pid);
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // the group is empty
      }
      await this.exited;
    })();
    return this.killing;
  }

  /** Ask the worker to exit between files; kill it if it does not within a second. */
  async retire(): Promise<void> {
    if (this.exit) return;
    this.send({ t: 'exit' });
    const timer = setTimeout(() => void this.kill(), 1000);
    await this.exited;
    clearTimeout(timer);
  }

  private send(command: WorkerCommand): void {
    void this.ready.then(() => {
      if (!this.child.connected) return; // it died; its exit reports why
      this.child.send(command, (error) => {
        if (error) this.error = error;
      });
    });
  }
}

// Never let mtest exit leaving a worker behind (whatever the exit path): one listener for all of them.
// A worker whose pool was SIGKILLed notices through its watchdog thread (it has been orphaned) and ends.
const live = new Set<WorkerHandle>();
process.on('exit', () => {
  for (const handle of live) {
    try {
      process.kill(-handle.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});
