// The watchdog: a worker_threads thread inside the process that runs examples (a pool worker, or mtest
// itself under --serial / --debug). The main thread only stores "example N started at T with limit L" into
// shared memory (Heartbeat); the thread watches it and, when a limit passes, does what the main thread no
// longer can: take its JavaScript stack through the inspector, its native stack through gdb, and —
//   worker mode: write the stack to the watchdog pipe; the parent decides and kills;
//   serial mode: SIGINT once (interrupts a synchronous loop inside vm with breakOnSigint), then, if the
//                example is still running 1 s later, print file, line, source and stacks to stderr and end
//                the process (children first);
//   debug mode:  only warn (`still running line N after 60 s` with the stack).
import { Worker } from 'node:worker_threads';
import type { Example } from '../src/model.js';
import { Heartbeat } from './heartbeat.js';

export type WatchdogMode = 'worker' | 'serial' | 'debug';

export interface WatchdogConfig {
  mode: WatchdogMode;
  /** Use gdb for a native stack when the inspector does not answer. */
  gdb: boolean;
  /** serial: send SIGINT first, to interrupt a synchronous loop running inside vm with breakOnSigint. */
  interruptSync?: boolean;
  /** Where reports go: the watchdog pipe in a worker, stderr (2) otherwise. */
  reportFd?: number;
  /** End this process when its parent goes away (a worker whose pool died must not linger). */
  exitWhenOrphaned?: boolean;
  /** How often the thread looks at the heartbeat, ms. */
  pollMs?: number;
}

/** What the thread receives. */
export interface WatchdogThreadData {
  buffer: SharedArrayBuffer;
  mode: WatchdogMode;
  gdb: boolean;
  interruptSync: boolean;
  reportFd: number;
  exitWhenOrphaned: boolean;
  pollMs: number;
  parentPid: number;
}

/** Main thread → watchdog thread, so a serial report can quote the example (serial and debug modes only). */
export type WatchdogMessage =
  | { t: 'file'; id: number; path: string }
  | { t: 'example'; id: number; index: number; line: number; source: string };

let current: Watchdog | undefined;

export class Watchdog {
  readonly heartbeat = new Heartbeat();
  private readonly thread: Worker;
  private fileId = 0;
  private readonly describes: boolean;
  private sigintGuard?: () => void;

  private constructor(readonly config: WatchdogConfig) {
    const data: WatchdogThreadData = {
      buffer: this.heartbeat.buffer,
      mode: config.mode,
      gdb: config.gdb,
      interruptSync: config.interruptSync ?? false,
      reportFd: config.reportFd ?? 2,
      exitWhenOrphaned: config.exitWhenOrphaned ?? false,
      pollMs: config.pollMs ?? 20,
      parentPid: process.ppid,
    };
    this.describes = config.mode !== 'worker';
    this.thread = new Worker(new URL('./watchdog-thread.js', import.meta.url), {
      workerData: data,
      // The thread must not hold the process open, nor take its inspector or stdio along.
      stdout: false,
      stderr: false,
    });
    this.thread.unref();
    if (data.interruptSync) this.installSigintGuard();
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
   * A file starts. `id` identifies it in watchdog records (the pool's run sequence number in a worker).
   * `fileTimeout` in seconds and `memlimit` in bytes; 0 = none.
   */
  fileStarted(path: string, fileTimeout: number, memlimit: number, id = this.fileId + 1): void {
    this.fileId = id;
    if (this.describes) this.post({ t: 'file', id, path });
    this.heartbeat.fileStarted(id, fileTimeout * 1000, memlimit);
  }

  /** Example `index` starts; its limit is its `// timeout S` directive, else `defaultTimeout` seconds (0 = none). */
  exampleStarted(index: number, example: Example, defaultTimeout: number): void {
    const limit = example.directives.timeout ?? defaultTimeout;
    const id = this.heartbeat.nextExampleId();
    // Post before publishing, so the thread has the description by the time it can see a deadline.
    if (this.describes) this.post({ t: 'example', id, index, line: example.line, source: example.source });
    this.heartbeat.exampleStarted(id, index, limit > 0 ? limit * 1000 : 0);
  }

  exampleEnded(): void {
    this.heartbeat.exampleEnded();
  }

  fileEnded(): void {
    this.heartbeat.fileEnded();
  }

  /**
   * True when the SIGINT just received came from this watchdog interrupting a synchronous example, not
   * from the user: a Ctrl-C handler calls this and ignores such a signal.
   */
  isSelfInterrupt(): boolean {
    return this.heartbeat.recentSelfInterrupt();
  }

  async stop(): Promise<void> {
    if (current === this) current = undefined;
    if (this.sigintGuard) process.removeListener('SIGINT', this.sigintGuard);
    await this.thread.terminate();
  }

  /**
   * The watchdog's SIGINT must never kill the process by default action (it may arrive while no vm call
   * with breakOnSigint is active, e.g. while an async example awaits). This listener swallows it; a real
   * SIGINT with no other listener keeps its default meaning.
   */
  private installSigintGuard(): void {
    const guard = (): void => {
      if (this.isSelfInterrupt()) return;
      if (process.listenerCount('SIGINT') === 1) {
        process.removeListener('SIGINT', guard);
        process.kill(process.pid, 'SIGINT');
      }
    };
    this.sigintGuard = guard;
    process.on('SIGINT', guard);
  }

  private post(message: WatchdogMessage): void {
    this.thread.postMessage(message);
  }
}

/** For a Ctrl-C handler: was this SIGINT sent by the watchdog to interrupt a synchronous example? */
export function isWatchdogInterrupt(): boolean {
  return current?.isSelfInterrupt() ?? false;
}
