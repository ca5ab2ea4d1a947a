// One worker process as the pool sees it: started with its record log (also its stdout and stderr), a
// command pipe and a doorbell pipe; its records (those with its key) and raw output decoded in order as the
// log is read, the tail of that output kept, its JavaScript stack taken on demand (inspector), and its end
// observed — after the log has been read to its end, so a result written just before a crash is never
// lost. A record that is not valid, anything written back into the command pipe, or a pipe that closes
// while the worker lives is reported at once (onBroken): the worker is no longer to be trusted.
import type { SourceFile } from '../../src/model.js';
import type { RunnerOptions } from '../../src/options.js';
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { deferExtraCaCerts } from '../extra-ca.js';
import { isAlive, killTree } from '../kill.js';
import { OutputTail } from './output-tail.js';
import { RssReader } from '../memory.js';
import { inspectorUrlIn, mayHoldInspectorBanner, remoteStack, withoutInspectorBanner } from '../diagnosis/remote-stack.js';
import {
  RecordDecoder,
  COMMAND_FD,
  DOORBELL_FD,
  recordMark,
  POLL_MS,
  NAME_BLAS_ENV,
  PRELUDE_ENV,
  type BlasInfo,
  workerStdio,
  type ResultRecord,
  type WorkerCommand,
  encodeCommand,
  workerOptions,
  WORKER_RECORDS,
} from '../protocol.js';

/** A worker cannot be started here (its log file cannot be created, …): one line for the user, the machine's fault. */
export class WorkerStartError extends Error {}

export interface WorkerSpawnOptions {
  /** Exported as OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS. */
  blasThreads: number;
  /** Node flags for the worker (tests: a small --max-old-space-size). */
  execArgv?: string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** The worker module (default: worker.js next to this file). */
  workerModule?: string;
  /** The prelude, loaded by the worker before it reports ready (so while the parent parses). */
  prelude?: string[];
  /**
   * Report the engine's BLAS when ready (the header's). Only the first worker is asked: reading it loads
   * OpenBLAS, which the others then load only when an example first uses the engine.
   */
  nameBlas?: boolean;
}

/** What a worker says when it is ready: its engine's BLAS, or why its prelude could not be loaded. */
export interface WorkerReady {
  blas?: BlasInfo;
  preludeError?: string;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * How long a pipe may have been closed before the worker's exit is seen: a process that exits closes its
 * descriptors a moment before it becomes a zombie. Still alive after that, it closed the pipe itself.
 */
const PIPE_CLOSED_GRACE_MS = 200;

/** How long to wait, after the worker exits, for its pipes to deliver what it wrote (they close at once
 * unless a process it started still holds them open). */
const DRAIN_MS = 150;

/** The key that makes a worker's records its own: 128 random bits as 32 hex digits. */
export function newRecordKey(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Node flags of every worker. The inspector opens only on SIGUSR1 (when a stack is wanted), on a free
 * loopback port. One V8 helper thread instead of Node's 4 (as bin/mtest.js gives mtest itself): with fewer
 * optimising compiles at once a process holds less memory at the same CPU and wall time (figures:
 * test/bench/README.md). Workers already take every core between them.
 */
const WORKER_NODE_FLAGS = ['--inspect-port=127.0.0.1:0', '--v8-pool-size=1'];

/** One read of a log takes at most this much; shared, since what is decoded from it is copied out. */
const READ_CHUNK = 1 << 20;
let readBuffer: Buffer | undefined;
const READ_ROUNDS = 64;

/**
 * A fresh, already unlinked log file: the parent keeps a descriptor to read it, the worker gets one to
 * append to. Nothing is left on disk whatever happens to either process.
 */
function openLog(): { readFd: number; appendFd: number } {
  let dir: string;
  try {
    dir = fs.mkdtempSync(join(tmpdir(), 'mtest-'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new WorkerStartError(`cannot create a worker's log file in ${tmpdir()} (${code}); set TMPDIR to a writable folder`);
  }
  const path = join(dir, 'worker.log');
  try {
    const appendFd = fs.openSync(path, 'a');
    const readFd = fs.openSync(path, 'r');
    return { readFd, appendFd };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export class WorkerHandle {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Paths of the files this worker was given, in order (for `mtest bisect`). */
  readonly files: string[] = [];
  /**
   * Per file of `files`, the flat index of the example it was given the file from: 0, unless it took the
   * file over from a worker killed at an incident (the earlier blocks ran in that one).
   */
  readonly from: number[] = [];
  readonly output = new OutputTail();
  /** Resolves once the worker has exited and its pipes are drained. */
  readonly exited: Promise<WorkerExit>;
  exit?: WorkerExit;
  /** Last startup or command pipe error. */
  error?: Error;
  onResult: (record: ResultRecord) => void = () => {};
  /**
   * The worker broke the protocol (a record that is not valid, a write into its command pipe, a pipe it
   * closed while alive): `what` says how. The handle kills the worker after calling this.
   */
  onBroken: (what: string) => void = () => {};
  /** Why the worker broke the protocol, once it has. */
  broken?: string;
  /**
   * A pipe of the worker's that closed (it is exiting, or it broke the protocol: which one is known
   * PIPE_CLOSED_GRACE_MS later, through `exited` or onBroken). A file that ends meanwhile waits for that.
   */
  pipeLost?: string;
  private readonly commands: Writable | null;
  private readonly memory: RssReader;
  /** Where the worker's inspector listens, once it has been asked to open it (SIGUSR1). */
  private inspectorUrl?: string;
  private seq = 0;
  private killing?: Promise<void>;
  /** The log: read from `logOffset` on, through `decoder`. */
  private readonly logFd: number;
  private logOffset = 0;
  private readonly decoder: RecordDecoder<ResultRecord['t']>;
  private readonly poll: NodeJS.Timeout;
  /**
   * The worker has read its key from the command pipe and loaded its prelude; with the engine's BLAS
   * when the prelude holds the engine (undefined too for a dead worker).
   */
  readonly ready: Promise<WorkerReady | undefined>;
  private markReady!: (ready?: WorkerReady) => void;

  constructor(
    readonly slot: number,
    spawn: WorkerSpawnOptions,
  ) {
    const threads = String(spawn.blasThreads);
    const modulePath = spawn.workerModule ?? fileURLToPath(new URL('../worker/worker.js', import.meta.url));
    const log = openLog();
    this.logFd = log.readFd;
    try {
      this.child = spawnProcess(process.execPath, [...WORKER_NODE_FLAGS, ...(spawn.execArgv ?? []), modulePath], {
        // Only the thread counts are set; everything else (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE…) passes through.
        env: deferExtraCaCerts({
          ...process.env,
          OPENBLAS_NUM_THREADS: threads,
          OMP_NUM_THREADS: threads,
          MKL_NUM_THREADS: threads,
          ...(spawn.prelude ? { [PRELUDE_ENV]: JSON.stringify(spawn.prelude) } : {}),
          ...(spawn.nameBlas ? { [NAME_BLAS_ENV]: '1' } : {}),
          ...spawn.env,
        }),
        stdio: workerStdio(log.appendFd),
        // Its own process group: a terminal Ctrl-C reaches mtest only (which then stops every worker), and
        // killing the group also reaches what the worker started, even after the worker itself has died.
        detached: true,
      });
    } finally {
      fs.closeSync(log.appendFd);
    }
    this.pid = this.child.pid ?? -1;
    this.memory = new RssReader(this.pid);
    const key = newRecordKey();
    this.decoder = new RecordDecoder(
      WORKER_RECORDS,
      (r) => {
        if (this.broken) return; // nothing it says is trusted any more
        if (r.t === 'ready') this.markReady({ blas: r.blas, preludeError: r.preludeError });
        else this.onResult(r);
      },
      (bytes) => this.outputArrived(bytes),
      (text) => this.breaks(`it wrote a record mtest cannot read: ${JSON.stringify(text.slice(0, 200))}`, true),
      recordMark(key),
    );
    const pipes = this.child.stdio as unknown as (Readable | null)[];
    const doorbell = pipes[DOORBELL_FD];
    doorbell?.on('data', () => this.readLog());
    doorbell?.on('end', () => this.pipeClosed('its doorbell pipe (descriptor 4)'));
    const commands = pipes[COMMAND_FD] as (Readable & Writable) | null;
    this.commands = commands;
    // The worker only reads this pipe: whatever comes back was written by an example.
    commands?.on('data', (bytes: Buffer) => this.breaks(`something in it wrote into mtest's command pipe (descriptor 3): ${JSON.stringify(bytes.toString('utf8', 0, 200))}`));
    commands?.on('end', () => this.pipeClosed("mtest's command pipe (descriptor 3)"));
    commands?.on('error', (error) => {
      this.error = error;
    });
    commands?.write(encodeCommand({ t: 'key', key }));
    // The clocks, the status line and the trace see a busy worker's progress this often; the doorbell
    // brings the end of a file at once.
    this.poll = setInterval(() => this.readLog(), POLL_MS);
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
        const drained = ended(doorbell);
        const cap = new Promise((r) => setTimeout(r, DRAIN_MS));
        void Promise.race([drained, cap]).then(() => {
          clearInterval(this.poll);
          this.readLog(true);
          fs.closeSync(this.logFd);
          this.memory.close();
          this.exit = exit;
          // Whatever it started and left behind (its process group) goes with it.
          try {
            process.kill(-this.pid, 'SIGKILL');
          } catch {
            // nothing left
          }
          doorbell?.destroy();
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
      this.markReady(undefined); // nothing waits for a dead worker
    });
  }

  /** The worker closed one of its pipes; unless it is exiting (it is then not alive a moment later), it broke. */
  private pipeClosed(which: string): void {
    if (this.exit || this.killing) return;
    this.pipeLost = which;
    setTimeout(() => {
      if (this.exit || this.killing || this.hasExited || !isAlive(this.pid)) return;
      this.breaks(`it closed ${which}`);
    }, PIPE_CLOSED_GRACE_MS);
  }

  /** The worker broke the protocol: say so once, then kill it (a file running on it reports the incident). */
  private breaks(what: string, inDecoder = false): void {
    if (this.broken || this.exit) return;
    // What it logged before counts (which example was running); what it logs after does not.
    if (!inDecoder) this.readLog();
    if (this.broken) return;
    this.broken = what;
    // Not from inside the decoder (a bad record is found while the log is being read).
    setImmediate(() => {
      this.onBroken(what);
      void this.kill();
    });
  }

  /**
   * The main thread's JavaScript stack, through the inspector; undefined when it does not answer within
   * `timeoutMs` (the thread is inside native code) or the worker is gone.
   */
  jsStack(timeoutMs: number): Promise<string | undefined> {
    if (this.exit) return Promise.resolve(undefined);
    return remoteStack(this.pid, () => {
      this.readLog();
      return this.inspectorUrl;
    }, timeoutMs);
  }

  /** Raw output between records: kept for reports, except Node's inspector banner (ours, not the example's). */
  private outputArrived(bytes: Buffer): void {
    if (mayHoldInspectorBanner(bytes)) {
      const text = bytes.toString('utf8');
      // The latest: an example may have opened (and closed) an inspector of its own before.
      this.inspectorUrl = inspectorUrlIn(text) ?? this.inspectorUrl;
      const rest = withoutInspectorBanner(text);
      if (rest) this.output.push(Buffer.from(rest));
      return;
    }
    this.output.push(Buffer.from(bytes));
  }

  /** The worker's resident set size in bytes; undefined once it has exited. */
  rss(): number | undefined {
    return this.memory.read();
  }

  /** Bytes the worker has written to its log (records and output), read or not. */
  get logBytes(): number {
    if (this.exit) return this.logOffset;
    try {
      return fs.fstatSync(this.logFd).size;
    } catch {
      return this.logOffset;
    }
  }

  /** Deliver what the worker has appended to its log since the last read, in order (all of it when asked). */
  readLog(toTheEnd = false): void {
    if (this.exit) return;
    const buffer = (readBuffer ??= Buffer.allocUnsafe(READ_CHUNK));
    // At most READ_ROUNDS chunks per call: a worker printing in a loop must not keep the parent (and its
    // clocks) from ever getting back to the event loop.
    for (let round = 0; toTheEnd || round < READ_ROUNDS; round++) {
      let n: number;
      try {
        n = fs.readSync(this.logFd, buffer, 0, READ_CHUNK, this.logOffset);
      } catch {
        return;
      }
      if (n <= 0) return;
      this.logOffset += n;
      this.decoder.push(buffer.subarray(0, n));
      if (n < READ_CHUNK) return;
    }
  }

  /** The process has exited (its pipes may still be draining; `exit` is set once they are). */
  get hasExited(): boolean {
    return this.exit !== undefined || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get alive(): boolean {
    return this.exit === undefined && this.killing === undefined;
  }

  /** Start a file (`from`: the example it takes the file over from); returns its sequence number (echoed in every record about it). */
  run(file: SourceFile, options: RunnerOptions, from = 0): number {
    const seq = ++this.seq;
    this.files.push(file.path);
    this.from.push(from);
    this.output.clear();
    this.send({ t: 'run', seq, file, options: workerOptions(options) });
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
      const pipe = this.commands;
      if (!pipe || pipe.destroyed || !pipe.writable || this.exit) return; // it died or broke; that is reported
      pipe.write(encodeCommand(command));
    });
  }
}

// Never let mtest exit leaving a worker behind (whatever the exit path): one listener for all of them.
// A worker whose pool was SIGKILLed dies with it: PR_SET_PDEATHSIG through the guard addon (an idle one
// also ends when its command pipe does).
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
