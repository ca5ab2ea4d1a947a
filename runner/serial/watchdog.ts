// The watchdog of --serial / --debug: a worker_threads thread inside mtest itself, which runs the examples.
// (Pool workers have none: their parent watches the clock and takes their stacks through the inspector.)
// The main thread only stores "example N started at T with limit L" into shared memory (Heartbeat); the
// thread watches it and, when a limit passes, does what the main thread no longer can: take its JavaScript
// stack through the inspector, its native stack through gdb, and —
//   serial mode: interrupt a synchronous example through the guard addon (interrupt.ts), then, if
//                the example is still running 1 s later (native code, a loop in a promise job), print
//                file, line, source and stacks to stderr and end the process (children first);
//   debug mode:  only warn (`still running line N after 60 s` with the stack).
import { Worker } from 'node:worker_threads';
import type { Example } from '../../src/model.js';
import { Heartbeat } from './heartbeat.js';

export type WatchdogMode = 'serial' | 'debug';

/** Which limit passed. */
export type StackReason = 'timeout' | 'file-timeout' | 'memory';

export interface WatchdogConfig {
  mode: WatchdogMode;
  /** Use gdb for a native stack when the inspector does not answer. */
  gdb: boolean;
  /** serial: the mtest_guard addon whose `interrupt()` ends a guarded synchronous example at its limit. */
  guardAddon?: string;
  /** Where reports go (default stderr, 2). */
  reportFd?: number;
  /** How often the thread looks at the heartbeat, ms. */
  pollMs?: number;
}

/** What the thread receives. */
export interface WatchdogThreadData {
  buffer: SharedArrayBuffer;
  mode: WatchdogMode;
  gdb: boolean;
  guardAddon?: string;
  reportFd: number;
  pollMs: number;
}

/** What a serial report quotes of an example. */
export interface ExampleDescription {
  line: number;
  source: string;
}

/**
 * Main thread → watchdog thread, once per file, so a report can quote the running example: the heartbeat's
 * example index picks it out. One message per file, not per example.
 */
export type WatchdogMessage = { t: 'file'; id: number; path: string; examples: ExampleDescription[] };

let current: Watchdog | undefined;

export class Watchdog {
  readonly heartbeat = new Heartbeat();
  private readonly thread: Worker;
  private fileId = 0;

  private constructor(readonly config: WatchdogConfig) {
    const data: WatchdogThreadData = {
      buffer: this.heartbeat.buffer,
      mode: config.mode,
      gdb: config.gdb,
      guardAddon: config.guardAddon,
      reportFd: config.reportFd ?? 2,
      pollMs: config.pollMs ?? 20,
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
   * A file starts.
   * `fileTimeout` in seconds and `memlimit` in bytes; 0 = none. `examples`, in the file's order, are what
   * a report quotes.
   */
  fileStarted(path: string, fileTimeout: number, memlimit: number, examples: ExampleDescription[] = []): void {
    const id = ++this.fileId;
    // Posted before the file's first heartbeat, so the thread has the descriptions before any deadline.
    this.post({ t: 'file', id, path, examples });
    this.heartbeat.fileStarted(id, fileTimeout * 1000, memlimit);
  }

  /** Example `index` starts; its limit is its `// timeout S` directive, else `defaultTimeout` seconds (0 = none). */
  exampleStarted(index: number, example: Example, defaultTimeout: number): void {
    const limit = example.directives.timeout ?? defaultTimeout;
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

  private post(message: WatchdogMessage): void {
    this.thread.postMessage(message);
  }
}

