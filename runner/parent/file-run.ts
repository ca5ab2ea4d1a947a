// One file on its slot's worker, from the `run` command to its last event. It turns the worker's records
// into RunEvents, keeps the clocks (example limit, file limit) and the memory watch, and when something
// goes wrong — a limit passes, the worker dies or breaks the protocol — it reports the example that was
// running with the diagnosis, kills the worker's process tree, reports the rest of that example's block as
// not run (its names died with the worker), and goes on with the file's next block in a fresh worker (a
// block starts from a fresh namespace: it needs nothing from the dead one). The file's own limit and a
// stopped run end the file: the rest of it is not run.
import type { Incident, RunEvents } from '../../src/events.js';
import { blockEndAfter, closeRest, exampleWhere, type Example, type ExampleResult, type SourceFile } from '../../src/model.js';
import { diagnose } from '../diagnosis/diagnose.js';
import { nativeStack } from '../diagnosis/native-stack.js';
import { loadWebSocket } from '../diagnosis/remote-stack.js';
import { indent } from '../../src/display.js';
import { OUTPUT_LIMIT, blockEndedNote, makeIncident, runningOutcome, whereText, type IncidentFacts } from '../../src/incidents.js';
import { limitOf, memlimitBytes, type RunnerOptions } from '../../src/options.js';
import type { ResultRecord } from '../protocol.js';
import { resultWarnings } from '../../src/execute/policy.js';
import type { WorkerExit, WorkerHandle } from './worker-handle.js';

export type FileRunEnd = 'done' | 'left-running' | 'error' | 'timeout' | 'file-timeout' | 'memory' | 'crash' | 'interrupted';

export interface FileRunTuning {
  /** Slack after a limit before the parent acts (the worker's own result may be on its way), ms. */
  hangGraceMs: number;
  /** How long the worker's inspector gets to give its JavaScript stack, ms. */
  stackWaitMs: number;
  /** When the native stack tool (eu-stack, gdb) starts beside the inspector if it has not answered yet, ms. */
  nativeAfterMs: number;
  /** Parent-side RSS (and output) polling period, ms. */
  memoryPollMs: number;
  /**
   * Bytes a worker may write to stdout/stderr while it runs one file. Its output goes to a file, so an
   * example printing in a loop until its time limit would otherwise fill the disk.
   */
  outputLimit: number;
}

/** How long before an example's limit the inspector's client is loaded (a report then need not wait for it), ms. */
const STACK_LEAD_MS = 300;

export const DEFAULT_FILE_RUN_TUNING: FileRunTuning = { hangGraceMs: 50, stackWaitMs: 500, nativeAfterMs: 150, memoryPollMs: 100, outputLimit: OUTPUT_LIMIT };

type Limit = 'timeout' | 'file-timeout' | 'memory' | 'output';

export class FileRun {
  private readonly examples: Example[];
  private readonly ended = new Set<number>();
  private current?: { index: number; startedAt: number; deadline: number; outputMark: number };
  private lastEnded?: number;
  private seq = 0;
  private readonly startedAt = Date.now();
  private exampleTimer?: NodeJS.Timeout;
  private timerDue = 0;
  private fileTimer?: NodeJS.Timeout;
  private watchTimer?: NodeJS.Timeout;
  /** Size of the worker's log when this file started. */
  private logStart = 0;
  /**
   * Set once the worker's part is sealed (the file finished, or the worker is being diagnosed/killed): its
   * later records are ignored. A fresh worker that goes on with the file unseals it.
   */
  private sealed = false;
  /** The file's deadline (its own limit), across the workers it runs on; Infinity = none. */
  private fileDeadline = Infinity;
  /** The run is being stopped: the file does not go on in a fresh worker. */
  private stopping = false;
  private fatal?: string;
  private resolveEnd!: (end: FileRunEnd) => void;
  readonly ended$: Promise<FileRunEnd> = new Promise((resolve) => {
    this.resolveEnd = resolve;
  });

  constructor(
    private readonly file: SourceFile,
    private handle: WorkerHandle,
    private readonly options: RunnerOptions,
    private readonly events: RunEvents,
    private readonly tuning: FileRunTuning,
    /** Called on every failed example (for --exitfirst). */
    private readonly onFailure: () => void,
    /**
     * A fresh worker in place of `dead` (killed at an incident), to go on with the file's later blocks;
     * undefined when the run is stopping (--exitfirst, a stop signal) and the rest is not run.
     */
    private readonly replace: (dead: WorkerHandle) => WorkerHandle | undefined = () => undefined,
  ) {
    this.examples = file.blocks.flatMap((block) => block.examples);
  }

  private get slot(): number {
    return this.handle.slot;
  }

  /** The worker the file ran on last (the one its end is about). */
  get worker(): WorkerHandle {
    return this.handle;
  }

  start(): Promise<FileRunEnd> {
    this.events.fileStart(this.file, this.slot);
    if (this.options.fileTimeout > 0) {
      this.fileDeadline = this.startedAt + this.options.fileTimeout * 1000 + this.tuning.hangGraceMs;
      this.fileTimer = setTimeout(() => void this.limitPassed('file-timeout'), this.fileDeadline - Date.now());
    }
    this.attach(this.options.only);
    return this.ended$;
  }

  /** Run the file (`only`: these of its examples) on the current worker. */
  private attach(only: number[] | undefined): void {
    const handle = this.handle;
    this.sealed = false;
    this.current = undefined;
    this.fatal = undefined;
    handle.onResult = (record) => {
      if (handle === this.handle && record.t !== 'ready' && record.seq === this.seq) this.onResult(record);
    };
    handle.onBroken = (what) => {
      if (handle === this.handle) void this.protocolBroken(what);
    };
    const memlimit = memlimitBytes(this.options);
    // A fresh worker going on with the file (`only` left after an incident) takes it over from its first example.
    const from = only === this.options.only ? 0 : (only ?? []).reduce((first, index) => Math.min(first, index), this.examples.length);
    this.seq = handle.run(this.file, only === this.options.only ? this.options : { ...this.options, only }, from);
    void handle.exited.then((exit) => {
      if (handle === this.handle) this.onExit(exit);
    });
    this.logStart = handle.logBytes;
    this.watchTimer = setInterval(() => {
      if (this.current && this.current.deadline - Date.now() < STACK_LEAD_MS) void loadWebSocket();
      const written = this.handle.logBytes - this.logStart;
      if (written > this.tuning.outputLimit) return void this.limitPassed('output', written);
      const rss = this.handle.rss();
      if (rss === undefined) return;
      this.events.memory?.(this.slot, rss);
      if (memlimit > 0 && rss > memlimit) void this.limitPassed('memory', rss);
    }, this.tuning.memoryPollMs);
    // The file's limit passed while the last worker was being killed.
    if (Date.now() >= this.fileDeadline) void this.limitPassed('file-timeout');
  }

  // ---- records ----

  private onResult(record: Exclude<ResultRecord, { t: 'ready' }>): void {
    if (record.t === 'fatal') {
      this.fatal = record.message;
      return;
    }
    if (this.sealed) return;
    switch (record.t) {
      case 'start':
        this.exampleStarted(record.i, record.at);
        break;
      case 'end':
        this.exampleEnded(record.r);
        break;
      case 'warning':
        this.events.warning(this.file, record.message, record.i);
        break;
      case 'done':
        // A pipe closed during the file: its incident (exit or broken protocol) is on its way. Bytes the file
        // wrote into the command pipe may be read in this same turn of the event loop, after its log: the
        // file ends on the next turn, unless they broke the protocol, which is then this file's incident.
        if (this.handle.pipeLost) return;
        setImmediate(() => {
          if (this.handle.pipeLost || this.handle.broken) return;
          this.finish(record.retire ? 'left-running' : 'done');
        });
        break;
      case 'error':
        this.failFile(record.message);
        break;
    }
  }

  /** `at`: when the worker started it, by its clock (the log is read in bulk, so later than that). */
  private exampleStarted(index: number, at: number): void {
    if (index < 0 || index >= this.examples.length || this.ended.has(index)) return;
    const limit = this.limitSeconds(index);
    const deadline = limit > 0 ? at + limit * 1000 + this.tuning.hangGraceMs : Infinity;
    this.current = { index, startedAt: at, deadline, outputMark: this.handle.output.mark() };
    this.events.exampleStart(this.file, index, this.slot);
    this.armExampleTimer();
  }

  /**
   * One timer for the example clock, not one per example: when it fires it checks whichever example is
   * running then, and re-arms for that one's deadline.
   */
  private armExampleTimer(): void {
    const current = this.current;
    if (!current || current.deadline === Infinity || this.sealed) return;
    if (this.exampleTimer) {
      if (this.timerDue <= current.deadline) return;
      clearTimeout(this.exampleTimer);
    }
    this.timerDue = current.deadline;
    this.exampleTimer = setTimeout(this.checkClock, Math.max(0, current.deadline - Date.now()));
  }

  private readonly checkClock = (): void => {
    if (this.sealed) return;
    if (this.current && this.current.deadline <= Date.now()) {
      this.handle.readLog(); // its result may be written and not yet read
      if (this.sealed) return;
      if (this.current && this.current.deadline <= Date.now()) return void this.limitPassed('timeout');
    }
    this.exampleTimer = undefined;
    this.armExampleTimer();
  };

  private exampleEnded(result: ExampleResult): void {
    const index = result.index;
    if (index < 0 || index >= this.examples.length || this.ended.has(index)) return;
    if (this.current?.index === index && result.status === 'failed') {
      // What native code wrote straight to the worker's stdout/stderr is not compared, but a failure
      // report shows it: the part that arrived while this example ran.
      const written = this.handle.output.since(this.current.outputMark);
      if (written) result = { ...result, note: `${result.note ? result.note + '\n' : ''}Written straight to stdout/stderr:\n${indent(written)}` };
    }
    if (this.current?.index === index) this.current = undefined;
    this.ended.add(index);
    if (result.status === 'passed' || result.status === 'failed') this.lastEnded = index;
    this.events.exampleEnd(this.file, result);
    for (const warning of resultWarnings(result, this.options)) this.events.warning(this.file, warning, index);
    if (result.status === 'failed') this.onFailure();
  }

  private limitSeconds(index: number): number {
    return limitOf(this.examples[index], this.options);
  }

  private placeOf(index: number | undefined): string | undefined {
    const example = index === undefined ? undefined : this.examples[index];
    return example && exampleWhere(example);
  }

  private where(): string {
    return whereText(this.placeOf(this.current?.index), this.placeOf(this.lastEnded));
  }

  // ---- endings ----

  private seal(): void {
    this.sealed = true;
    clearTimeout(this.exampleTimer);
    this.exampleTimer = undefined;
    clearInterval(this.watchTimer);
  }

  /** Every example without a result becomes notrun; then fileEnd. */
  private closeFile(end: FileRunEnd): void {
    clearTimeout(this.fileTimer);
    closeRest(this.file, this.ended, (result) => this.events.exampleEnd(this.file, result));
    this.events.fileEnd(this.file, { time: (Date.now() - this.startedAt) / 1000, worker: this.slot });
    this.resolveEnd(end);
  }

  /**
   * After the incident of example `at` (undefined: between examples), on a worker that is gone: the rest of
   * that example's block is not run; the file's later blocks run in a fresh worker. The run being stopped
   * ends the file instead.
   */
  private goOn(end: FileRunEnd, at: number | undefined): void {
    const next = this.nextToRun();
    if (next === undefined) return this.closeFile(end);
    // Between examples, the block that lost its names is the one of the last that ran, if the next is in it.
    this.closeBlock(at ?? (this.lastEnded !== undefined && blockEndAfter(this.file, this.lastEnded) > next ? this.lastEnded : undefined));
    // Only what the run chose (`only`) is worth a fresh worker: the rest closes as not run with the file.
    const only = (this.options.only ?? this.examples.map((_, index) => index)).filter((index) => !this.ended.has(index));
    const rest = only.length === 0 || this.stopping ? undefined : this.replace(this.handle);
    if (!rest) return this.closeFile(end);
    this.handle = rest;
    this.attach(only);
  }

  /** The rest of the block of example `at`, stopped by an incident: not run, saying why. */
  private closeBlock(at: number | undefined): void {
    if (at === undefined) return;
    const note = blockEndedNote(this.placeOf(at)!);
    closeRest(this.file, this.ended, (result) => this.events.exampleEnd(this.file, result), { from: at + 1, to: blockEndAfter(this.file, at), note });
  }

  /** The first example without a result. */
  private nextToRun(): number | undefined {
    for (let index = 0; index < this.examples.length; index++) if (!this.ended.has(index)) return index;
    return undefined;
  }

  private finish(end: FileRunEnd): void {
    this.seal();
    this.closeFile(end);
  }

  /** The running example (if any) fails with the incident's outcome and message; the incident follows it. */
  private failCurrent(incident: Incident): void {
    if (!this.current) return;
    const { index, startedAt } = this.current;
    this.ended.add(index);
    this.events.exampleEnd(this.file, { index, status: 'failed', outcome: runningOutcome(incident), note: incident.message, time: (Date.now() - startedAt) / 1000 });
    this.onFailure();
  }

  private failFile(message: string): void {
    this.seal();
    const incident = makeIncident({ kind: 'cannot-run', error: message }, this.where(), { index: this.current?.index });
    this.failCurrent(incident);
    this.events.incident(this.file, incident);
    this.closeFile('error');
  }

  /** A limit passed: name the example, take its stacks and process tree, kill, report. `amount`: the RSS or output that passed it. */
  private async limitPassed(limit: Limit, amount?: number): Promise<void> {
    // A worker that has just died is reported as the crash it is (onExit), not as a timeout.
    if (this.sealed || this.handle.hasExited) return;
    this.handle.readLog(); // the latest records: which example runs now, or that the file just ended
    if (this.sealed) return;
    if (limit === 'timeout' && !this.current) return; // it ended just now
    this.seal();
    const decidedAt = Date.now();
    const running = this.current;
    const where = this.where();
    const rss = limit === 'memory' ? (amount ?? this.handle.rss() ?? 0) : 0;
    const diagnosis = await diagnose({
      pid: this.handle.pid,
      js: () => this.handle.jsStack(this.tuning.stackWaitMs),
      native: this.options.gdb ? () => nativeStack(this.handle.pid) : undefined,
      nativeAfterMs: this.tuning.nativeAfterMs,
      gone: () => this.handle.exit !== undefined,
    });
    const killed = this.handle.kill();
    const facts: IncidentFacts =
      limit === 'timeout'
        ? { kind: 'timeout', limitSeconds: this.limitSeconds(running!.index), idle: diagnosis.idle }
        : limit === 'file-timeout'
          ? { kind: 'file-timeout', limitSeconds: this.options.fileTimeout }
          : limit === 'output'
            ? { kind: 'output', written: amount ?? 0, limit: this.tuning.outputLimit }
            : { kind: 'memory', rss, limit: memlimitBytes(this.options) };
    const incident = makeIncident(facts, where, {
      index: running?.index,
      elapsed: running ? (decidedAt - running.startedAt) / 1000 : (decidedAt - this.startedAt) / 1000,
      jsStack: diagnosis.jsStack,
      nativeStack: diagnosis.nativeStack,
      processTree: diagnosis.processTree,
      output: this.handle.output.text() || undefined,
    });
    this.failCurrent(incident);
    this.events.incident(this.file, incident);
    await killed; // no process of this file survives its report
    if (limit === 'file-timeout') {
      this.closeBlock(running?.index);
      this.closeFile('file-timeout');
    } else this.goOn(incident.kind as FileRunEnd, running?.index);
  }

  /** The worker exited while the file was running. */
  private onExit(exit: WorkerExit): void {
    if (this.sealed) return;
    this.seal();
    const running = this.current;
    const output = this.handle.output.text();
    const error = this.handle.error ? `${this.handle.error.message}\n` : '';
    const incident = makeIncident({ kind: 'exit', exit: { code: exit.code, signal: exit.signal, fatal: this.fatal, output } }, this.where(), {
      index: this.current?.index,
      elapsed: this.current ? (Date.now() - this.current.startedAt) / 1000 : undefined,
      jsStack: this.fatal?.split('\n').slice(1).join('\n') || undefined,
      output: error + output || undefined,
    });
    this.failCurrent(incident);
    this.events.incident(this.file, incident);
    this.goOn('crash', running?.index);
  }

  /**
   * The worker broke the protocol (see WorkerHandle.onBroken), which its handle kills it for: an incident
   * of this file, at the example that was running, reported at once (not when a limit passes).
   */
  private async protocolBroken(what: string): Promise<void> {
    if (this.sealed) return;
    this.seal();
    const running = this.current;
    const incident = makeIncident({ kind: 'protocol', what }, this.where(), {
      index: running?.index,
      elapsed: running ? (Date.now() - running.startedAt) / 1000 : undefined,
      output: this.handle.output.text() || undefined,
    });
    this.failCurrent(incident);
    this.events.incident(this.file, incident);
    await this.handle.kill();
    this.goOn('crash', running?.index);
  }

  /** Ctrl-C: stop the worker; the running example and the rest are not run. */
  async interrupt(): Promise<void> {
    this.stopping = true;
    if (this.sealed) return;
    this.handle.readLog(); // what the worker has already logged counts: results, or the file's end
    if (this.sealed) return;
    this.seal();
    const running = this.current;
    const killed = this.handle.kill();
    const incident = makeIncident({ kind: 'interrupted' }, this.where(), { index: running?.index });
    if (running) {
      this.ended.add(running.index);
      this.events.exampleEnd(this.file, { index: running.index, status: 'notrun', outcome: 'notrun', note: incident.message, time: (Date.now() - running.startedAt) / 1000 });
    }
    this.events.incident(this.file, incident);
    await killed;
    this.closeFile('interrupted');
  }
}
