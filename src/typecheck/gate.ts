// Runs --typecheck in a worker thread while the examples run, and holds the run's events back until the
// check is done, so that an example with type errors is reported failed (with them) although it ran
// (later examples may need its names).
import { Worker } from 'node:worker_threads';
import type { FileSummary, Incident, RunEvents } from '../events.js';
import type { ExampleResult, SourceFile } from '../model.js';
import type { SkipPolicy } from '../execute/policy.js';
import { failedCheck, isThreadOutput, type ThreadOutput, type ThreadRequest, type ThreadSetup } from './messages.js';

/** A --typecheck thread, started early; `check` sends it the files once they are parsed. */
export class TypecheckThread {
  private readonly worker: Worker;
  private readonly outcome: Promise<ThreadOutput>;
  private settle!: (output: ThreadOutput) => void;

  /** `module`: the thread's code (a test's stand-in). */
  constructor(setup: ThreadSetup, module = new URL('./thread.js', import.meta.url)) {
    this.outcome = new Promise((resolve) => (this.settle = resolve));
    this.worker = new Worker(module, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
    this.worker.unref(); // never what keeps mtest alive
    const failed = (why: string): void => this.settle(failedCheck(`--typecheck failed: ${why}`));
    this.worker.once('message', (output: unknown) => (isThreadOutput(output) ? this.settle(output) : failed('its thread sent an answer mtest cannot read')));
    this.worker.once('error', (error) => failed(error?.message ?? String(error)));
    this.worker.once('exit', (code) => failed(`its thread exited with code ${code}`));
  }

  /** Check these files (the examples that run by `policy`); resolves when done. */
  check(files: SourceFile[], policy: SkipPolicy): Promise<ThreadOutput> {
    const request: ThreadRequest = { files, optional: [...policy.optional], long: policy.long };
    this.worker.postMessage(request);
    return this.outcome;
  }

  close(): void {
    void this.worker.terminate();
  }
}

/** The outcomes a type error replaces: the example ran to its end (not skipped, timed out or crashed). */
const REPLACED = new Set(['ok', 'mismatch', 'exception', 'error']);

export class TypecheckGate implements RunEvents {
  private queue: (() => void)[] | undefined = [];
  private errors = new Map<SourceFile, Map<number, string[]>>();
  private abandoned!: (output: ThreadOutput) => void;
  readonly done: Promise<ThreadOutput>;

  constructor(private readonly sink: RunEvents, files: SourceFile[], pending: Promise<ThreadOutput>) {
    const abandoned = new Promise<ThreadOutput>((resolve) => (this.abandoned = resolve));
    this.done = Promise.race([pending, abandoned]).then((output) => {
      for (const [f, index, errors] of output.errors) {
        const file = files[f];
        if (!file) continue;
        if (!this.errors.has(file)) this.errors.set(file, new Map());
        this.errors.get(file)!.set(index, errors);
      }
      const queued = this.queue ?? [];
      this.queue = undefined;
      for (const event of queued) event();
      return output;
    });
  }

  /** Stop waiting for the check (an interrupted run): the events held back go out as they are. */
  abandon(): void {
    this.abandoned(failedCheck('--typecheck: not finished (the run was interrupted)'));
  }

  private pass(event: () => void): void {
    if (this.queue) this.queue.push(event);
    else event();
  }

  private judged(file: SourceFile, result: ExampleResult): ExampleResult {
    const errors = this.errors.get(file)?.get(result.index);
    if (!errors || !REPLACED.has(result.outcome)) return result;
    return { index: result.index, status: 'failed', outcome: 'error', note: errors.join('\n'), time: result.time, ...(result.rssDelta === undefined ? {} : { rssDelta: result.rssDelta }) };
  }

  fileStart(file: SourceFile, worker: number): void {
    this.pass(() => this.sink.fileStart(file, worker));
  }
  exampleStart(file: SourceFile, index: number, worker: number): void {
    this.pass(() => this.sink.exampleStart(file, index, worker));
  }
  exampleEnd(file: SourceFile, result: ExampleResult): void {
    this.pass(() => this.sink.exampleEnd(file, this.judged(file, result)));
  }
  incident(file: SourceFile, incident: Incident): void {
    this.pass(() => this.sink.incident(file, incident));
  }
  warning(file: SourceFile, message: string, index?: number): void {
    this.pass(() => this.sink.warning(file, message, index));
  }
  fileEnd(file: SourceFile, summary: FileSummary): void {
    this.pass(() => this.sink.fileEnd(file, summary));
  }
  memory(worker: number, rss: number): void {
    this.pass(() => this.sink.memory?.(worker, rss));
  }
}
