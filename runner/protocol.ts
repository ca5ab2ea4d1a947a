// The one protocol between the pool (parent) and a worker process.
//
// Worker → parent travels as newline-delimited JSON records over two dedicated pipes written with
// fs.writeSync, never over IPC: process.send is asynchronous and a queued message is lost when the worker
// dies right after, and nothing can be sent while the main thread is stuck.
//   fd 4 (RESULT_FD): written by the worker's main thread — one record before and one after every example.
//   fd 5 (WATCHDOG_FD): written by the worker's watchdog thread — stacks, taken when a limit is passed.
// Two pipes, so a large record from one thread is never interleaved with a record from the other.
// Parent → worker commands ("run this file") go over IPC: the worker is idle when it receives them.
import { StringDecoder } from 'node:string_decoder';
import type { ExampleResult, SourceFile } from '../src/model.js';


export const RESULT_FD = 4;
export const WATCHDOG_FD = 5;
/** stdio for child_process.fork: stdin is /dev/null (an example reading stdin sees EOF, never hangs). */
export const WORKER_STDIO = ['ignore', 'pipe', 'pipe', 'ipc', 'pipe', 'pipe'] as const;

/** ExecuteOptions as plain JSON (a Set does not survive IPC). */
export interface WireExecuteOptions {
  optional: string[];
  long: boolean;
  randomSeed: number;
  timeout: number;
  prelude: string[];
  initial: boolean;
  only?: number[];
  measureMemory?: boolean;
  /** Configured prompts: the worker must find the same examples as the parent. */
  prompts?: string[];
}

/** Parent → worker, over IPC. */
export type WorkerCommand =
  | {
      t: 'run';
      /** Sequence number of this file on this worker; echoed in every record so stale records are ignored. */
      seq: number;
      path: string;
      /**
       * The file as the parent parsed it: the worker runs exactly these examples (no second parse that
       * could differ, and no second parse to pay for). Absent: the worker parses `path` itself.
       */
      file?: SourceFile;
      options: WireExecuteOptions;
      /** Per-file limit in seconds (0 = none); the watchdog takes a stack when it passes. */
      fileTimeout: number;
      /** RSS limit in bytes (0 = none); the watchdog takes a stack when it passes. */
      memlimit: number;
    }
  | { t: 'exit' };

/** Worker main thread → parent, on RESULT_FD. */
export type ResultRecord =
  /** The worker is up and its watchdog thread is running. */
  | { t: 'ready'; pid: number }
  /** The worker parsed the file; `examples` is its own count (it re-parses). */
  | { t: 'file'; seq: number; examples: number }
  /** Example `i` is about to run. Written before any of its code runs. */
  | { t: 'start'; seq: number; i: number }
  /** Example finished (any status); `rss` is the worker's RSS in bytes after it. */
  | { t: 'end'; seq: number; r: ExampleResult; rss?: number }
  /** The file finished normally. */
  | { t: 'done'; seq: number }
  /** The file could not be run at all (unreadable, executor threw); its examples are reported notrun. */
  | { t: 'error'; seq: number; message: string }
  /** An exception nobody handled (timer callback, unhandled rejection) is about to end the worker. */
  | { t: 'fatal'; seq: number; message: string };

/** Why the watchdog took a stack. */
export type StackReason = 'timeout' | 'file-timeout' | 'memory';

/** Worker watchdog thread → parent, on WATCHDOG_FD. */
export type WatchdogRecord =
  /**
   * The limit `reason` passed while example `i` was running. `js` is the main thread's JavaScript stack
   * when the inspector answered; absent when it did not (the thread is inside native code).
   */
  | { t: 'stack'; seq: number; i: number; reason: StackReason; js?: string; ms: number; rss: number };

export type AnyRecord = ResultRecord | WatchdogRecord;

/** One record → one line. JSON escapes newlines inside strings, so a record never spans lines. */
export function encodeRecord(record: AnyRecord): string {
  return JSON.stringify(record) + '\n';
}

/**
 * Splits a byte stream into records. Chunks may end anywhere (even inside a UTF-8 sequence); a line is
 * decoded only once complete, and a torn last line (the writer died mid-write) is never delivered.
 * A line that is not valid JSON is handed to `onGarbage` rather than thrown.
 */
export class RecordDecoder<R = AnyRecord> {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly onRecord: (record: R) => void,
    private readonly onGarbage: (line: string) => void = () => {},
  ) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let start = 0;
    let nl = text.indexOf('\n');
    if (nl < 0) {
      this.pending += text;
      return;
    }
    // Join only the pending prefix with the first line, so a 10 MB record arriving in 64 KB chunks costs
    // one concatenation per chunk rather than a rescan of everything received so far.
    let line = this.pending + text.slice(0, nl);
    this.pending = '';
    for (;;) {
      this.deliver(line);
      start = nl + 1;
      nl = text.indexOf('\n', start);
      if (nl < 0) break;
      line = text.slice(start, nl);
    }
    this.pending = text.slice(start);
  }

  /** Bytes of an incomplete record still waiting for its newline. */
  get pendingLength(): number {
    return this.pending.length;
  }

  private deliver(line: string): void {
    if (line.length === 0) return;
    let record: R;
    try {
      record = JSON.parse(line) as R;
    } catch {
      this.onGarbage(line);
      return;
    }
    this.onRecord(record);
  }
}
