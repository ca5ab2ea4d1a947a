// The narrow protocol between whatever runs examples (the serial runner, the worker pool) and whatever
// reports them (console, JSON, JUnit). Runners emit these events; reporters consume them and never reach
// into a runner. The events carry plain data so they can cross a process boundary unchanged.
import type { Example, ExampleResult, SourceFile } from './model.js';

/** Something went wrong with the process running a file, not with an example's output. */
export interface Incident {
  kind: 'timeout' | 'file-timeout' | 'crash' | 'memory' | 'interrupted';
  /** Flat index of the example that was running, when known. */
  index?: number;
  /** One line: `Timed out after 60.0 s while running line 12`, `Killed by SIGSEGV while running line N`… */
  message: string;
  /** Seconds the example had been running. */
  elapsed?: number;
  /** JavaScript stack of the stuck process (V8 inspector), when it answered. */
  jsStack?: string;
  /** Native stack (eu-stack or gdb), when the JavaScript stack could not be had. */
  nativeStack?: string;
  /** `ps`-style tree of the process and its children at the time. */
  processTree?: string;
  /** What the process wrote straight to its file descriptors around the time (tail). */
  output?: string;
  /** For crashes: the signal that killed the process (`SIGSEGV`), or its exit code. Decide the exit bits. */
  signal?: string;
  exitCode?: number;
}

export interface FileSummary {
  /** Wall time of the file in seconds. */
  time: number;
  /** Which worker ran it (0 under --serial). */
  worker: number;
}

export interface RunEvents {
  /** A file is about to run (after parsing). */
  fileStart(file: SourceFile, worker: number): void;
  /** Example `index` of `file` started (used by --verbose traces and the live status line). */
  exampleStart(file: SourceFile, index: number, worker: number): void;
  /** Example finished (any status). Every example of every file gets exactly one of these. */
  exampleEnd(file: SourceFile, result: ExampleResult): void;
  /** The process running the file hung, crashed or grew too large; the file's remaining examples follow as notrun. */
  incident(file: SourceFile, incident: Incident): void;
  /** A warning that does not change any result (slow example, memory growth, still-running in --debug). */
  warning(file: SourceFile, message: string, index?: number): void;
  /** The file is done: every example has had its exampleEnd. */
  fileEnd(file: SourceFile, summary: FileSummary): void;
  /** The resident set size of the process running `worker`'s files, sampled while it runs one (bytes). */
  memory?(worker: number, rss: number): void;
}

/**
 * The seam between a runner and the execute stage, for one file run in *this* process: each example
 * before and after it runs. The serial runner passes it to executeFile directly; a worker forwards it to its
 * parent.
 */
export interface ExecuteEvents {
  /** Called synchronously right before example `index` runs. */
  exampleStart(index: number, example: Example): void;
  /** Called once per example (skipped and notrun included), in order. */
  exampleEnd(result: ExampleResult): void;
}

/** Sends every event to each sink, in order. */
export class EventFanout implements RunEvents {
  constructor(private readonly sinks: RunEvents[]) {}
  fileStart(file: SourceFile, worker: number): void {
    for (const s of this.sinks) s.fileStart(file, worker);
  }
  exampleStart(file: SourceFile, index: number, worker: number): void {
    for (const s of this.sinks) s.exampleStart(file, index, worker);
  }
  exampleEnd(file: SourceFile, result: ExampleResult): void {
    for (const s of this.sinks) s.exampleEnd(file, result);
  }
  incident(file: SourceFile, incident: Incident): void {
    for (const s of this.sinks) s.incident(file, incident);
  }
  warning(file: SourceFile, message: string, index?: number): void {
    for (const s of this.sinks) s.warning(file, message, index);
  }
  fileEnd(file: SourceFile, summary: FileSummary): void {
    for (const s of this.sinks) s.fileEnd(file, summary);
  }
  memory(worker: number, rss: number): void {
    for (const s of this.sinks) s.memory?.(worker, rss);
  }
}
