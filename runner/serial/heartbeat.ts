// The shared memory between a process's main thread (which runs examples) and its watchdog thread.
// The main thread writes which example is running and since when — a few stores, no system call — and the
// watchdog thread reads it at any time, even while the main thread is stuck in a loop or in native code.
// A seqlock keeps a reader from seeing half of an update.

const I_VERSION = 0; // seqlock: odd while the main thread is writing
const I_INDEX = 1; // flat index of the running example, -1 when none
const I_EXAMPLE = 2; // counts example starts: identifies one run of one example
const I_FILE = 3; // number of the running file in the run (its place in the journal) + 1
const I_SIGNALS_SEEN = 4; // stop signals the process received (written by the watchdog thread)
const I_SIGNALS_HANDLED = 5; // of those, how many the main thread has acted on
const I_STOPPED_EXAMPLE = 6; // the example (I_EXAMPLE) the watchdog stopped at a limit other than its own time limit
const I_STOP_REASON = 7; // which: STOP_MEMORY or STOP_FILE_LIMIT
const INT_SLOTS = 8;

const F_EXAMPLE_START = 0; // Date.now() at example start
const F_EXAMPLE_LIMIT = 1; // ms, 0 = none
const F_FILE_START = 2;
const F_FILE_LIMIT = 3; // ms, 0 = none
const F_MEMLIMIT = 4; // bytes, 0 = none
const F_MEMORY_RSS = 5; // the RSS that passed the memory limit
const FLOAT_SLOTS = 6;

const STOP_MEMORY = 1;
const STOP_FILE_LIMIT = 2;

/** Why the watchdog stopped the example that ran last, other than at its own time limit. */
export type Stop = { reason: 'memory'; rss: number; limit: number } | { reason: 'file-timeout'; limitMs: number };

export const HEARTBEAT_BYTES = INT_SLOTS * 4 + FLOAT_SLOTS * 8;

export interface HeartbeatSnapshot {
  index: number;
  example: number;
  file: number;
  exampleStart: number;
  exampleLimitMs: number;
  fileStart: number;
  fileLimitMs: number;
  memlimit: number;
}

export class Heartbeat {
  readonly ints: Int32Array;
  readonly floats: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(HEARTBEAT_BYTES)) {
    this.ints = new Int32Array(buffer, 0, INT_SLOTS);
    this.floats = new Float64Array(buffer, INT_SLOTS * 4, FLOAT_SLOTS);
    if (Atomics.load(this.ints, I_EXAMPLE) === 0 && Atomics.load(this.ints, I_FILE) === 0) {
      Atomics.store(this.ints, I_INDEX, -1);
    }
  }

  // ---- main thread ----

  fileStarted(id: number, fileLimitMs: number, memlimit: number): void {
    this.write(() => {
      this.ints[I_FILE] = id;
      this.ints[I_INDEX] = -1;
      this.floats[F_FILE_START] = Date.now();
      this.floats[F_FILE_LIMIT] = fileLimitMs;
      this.floats[F_MEMLIMIT] = memlimit;
    });
  }

  /** The id the next exampleStarted will publish (only the main thread writes it). */
  nextExampleId(): number {
    return this.ints[I_EXAMPLE] + 1;
  }

  exampleStarted(id: number, index: number, limitMs: number): void {
    this.write(() => {
      this.ints[I_EXAMPLE] = id;
      this.ints[I_INDEX] = index;
      this.floats[F_EXAMPLE_START] = Date.now();
      this.floats[F_EXAMPLE_LIMIT] = limitMs;
    });
  }

  exampleEnded(): void {
    this.write(() => {
      this.ints[I_INDEX] = -1;
    });
  }

  fileEnded(): void {
    this.write(() => {
      this.ints[I_INDEX] = -1;
      this.floats[F_FILE_LIMIT] = 0;
      this.floats[F_MEMLIMIT] = 0;
    });
  }

  private write(update: () => void): void {
    Atomics.add(this.ints, I_VERSION, 1);
    update();
    Atomics.add(this.ints, I_VERSION, 1);
  }

  /** The main thread acted on every stop signal seen so far (`count`: the process's own count, if known). */
  signalsHandled(count?: number): void {
    Atomics.store(this.ints, I_SIGNALS_HANDLED, Math.max(count ?? 0, Atomics.load(this.ints, I_SIGNALS_SEEN)));
  }

  /** Why the watchdog stopped the example that ran last, if it stopped it past the memory or file limit. */
  stopped(): Stop | undefined {
    if (Atomics.load(this.ints, I_STOPPED_EXAMPLE) !== this.ints[I_EXAMPLE]) return undefined;
    return Atomics.load(this.ints, I_STOP_REASON) === STOP_MEMORY
      ? { reason: 'memory', rss: this.floats[F_MEMORY_RSS], limit: this.floats[F_MEMLIMIT] }
      : { reason: 'file-timeout', limitMs: this.floats[F_FILE_LIMIT] };
  }

  // ---- watchdog thread ----

  /** Example `example` passed the memory limit with `rss` (the main thread stops it). */
  exceededMemory(example: number, rss: number): void {
    this.floats[F_MEMORY_RSS] = rss;
    Atomics.store(this.ints, I_STOP_REASON, STOP_MEMORY);
    Atomics.store(this.ints, I_STOPPED_EXAMPLE, example);
  }

  /** Example `example` was running when its file passed its limit (the main thread stops it). */
  passedFileLimit(example: number): void {
    Atomics.store(this.ints, I_STOP_REASON, STOP_FILE_LIMIT);
    Atomics.store(this.ints, I_STOPPED_EXAMPLE, example);
  }

  signalsSeen(count: number): void {
    Atomics.store(this.ints, I_SIGNALS_SEEN, count);
  }

  /** Stop signals seen that the main thread has not acted on. */
  unhandledSignals(): number {
    return Atomics.load(this.ints, I_SIGNALS_SEEN) - Atomics.load(this.ints, I_SIGNALS_HANDLED);
  }

  read(): HeartbeatSnapshot {
    for (;;) {
      const before = Atomics.load(this.ints, I_VERSION);
      if (before & 1) continue; // a write is in progress: a few stores, spin
      const snapshot: HeartbeatSnapshot = {
        index: this.ints[I_INDEX],
        example: this.ints[I_EXAMPLE],
        file: this.ints[I_FILE],
        exampleStart: this.floats[F_EXAMPLE_START],
        exampleLimitMs: this.floats[F_EXAMPLE_LIMIT],
        fileStart: this.floats[F_FILE_START],
        fileLimitMs: this.floats[F_FILE_LIMIT],
        memlimit: this.floats[F_MEMLIMIT],
      };
      if (Atomics.load(this.ints, I_VERSION) === before) return snapshot;
    }
  }
}
