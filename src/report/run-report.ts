// One run's report: the sinks every run has (summary, console) plus any the caller adds, and how a run
// ends — files that never started accounted as not run, the footer with the closing line last, the
// machine-readable files, the annotations — and the exit bits. Every run ends here: the mtest command's,
// a --serial run its watchdog thread finishes from the journal when the main thread is stuck (replayed
// into a second one), and `mtest merge`'s (the shards' reports replayed into one).
import { EventFanout, type RunEvents } from '../events.js';
import type { FileSubset, SourceFile } from '../model.js';
import { ConsoleReporter } from './console.js';
import { githubAnnotations, githubWanted, jsonReport, writeMachineReports, type JsonReport, type RunInfo } from './machine.js';
import type { Output } from './output.js';
import { RunSummary, SubsetEvents, type KnownFailures } from './summary.js';
import { EXIT } from './tally.js';
import { isMainThread } from 'node:worker_threads';
import { TimelineRecorder } from './timeline.js';

/** What the command line asked of the report: plain data, so a thread can be given it. */
export interface ReportOptions {
  json?: string;
  junit?: string;
  /** Where mtest started: --json and --junit are written relative to it, whatever the working directory is then. */
  base?: string;
  format?: 'console' | 'github';
  /** ANSI colour in diffs (a terminal). */
  colour: boolean;
  /** --baseline, resolved: the earlier report whose failures are known ones. */
  baseline?: string;
  /** `i/n` when this run is one shard. */
  shard?: string;
  /** Each file's position in the unsharded order (the JSON report records it for `mtest merge`). */
  order?: Map<string, number>;
  /** How the user started mtest (`mtest`, `npx mtest`): rerun lines repeat it. */
  command?: string;
  /** Keep every result for `json()` (the programmatic API), as a --json report does. */
  keepResults?: boolean;
  /** `--html FILE`. */
  html?: string;
  /** The page marks examples that grew their process by this many MB (--trace-memory's threshold, else 50). */
  memoryMarkMB?: number;
  /** Files the run selects examples of (`FILE:LINE`, `-k`), by path: only those are reported and counted. */
  subsets?: Map<string, FileSubset>;
  /**
   * The events replay finished reports (`mtest merge`): when each example ran is not in them, so the
   * --html page has no timeline and no memory to draw.
   */
  replayed?: boolean;
}

export interface RunIdentity {
  id: string;
  randomSeed: number;
  /** Date.now() when the run started. */
  startedAt: number;
}

/** What it takes to build this run's report again elsewhere (the --serial watchdog thread), besides its files: plain data. */
export interface ReportPlan {
  options: ReportOptions;
  identity: RunIdentity;
  inputErrors: boolean;
  /** The descriptors mtest's own stdout and stderr are written to. */
  fds: { out: number; err: number };
  /** Where the run's timings are stored. */
  statsPath?: string;
}

export interface RunEnd {
  interrupted: boolean;
  /** Paths or files that could not be read or parsed (already reported, one line each). */
  inputErrors: boolean;
  /** The run's wall time when it is not this report's own (merged shards ran side by side), seconds. */
  seconds?: number;
}

export class RunReport {
  readonly summary: RunSummary;
  readonly console: ConsoleReporter;
  readonly events: RunEvents;
  private readonly timeline?: TimelineRecorder;

  constructor(
    private readonly files: SourceFile[],
    private readonly options: ReportOptions,
    private readonly io: Output,
    private readonly identity: RunIdentity,
    extraSinks: RunEvents[] = [],
    known?: KnownFailures,
  ) {
    this.summary = new RunSummary(Boolean(options.json || options.junit || options.html || options.keepResults), known);
    this.console = new ConsoleReporter(this.summary, io, options.colour, options.command);
    // The serial process's memory is sampled where its examples run: on the main thread, as they end.
    this.timeline = options.html ? new TimelineRecorder(identity.startedAt, isMainThread) : undefined;
    const fanout = new EventFanout([this.summary, this.console, ...extraSinks, ...(this.timeline && !options.replayed ? [this.timeline] : [])]);
    this.events = options.subsets?.size ? new SubsetEvents(options.subsets, fanout) : fanout;
  }

  /**
   * Ends the report; returns the exit bits it found (results, incidents, input, interruption), with
   * `known` (bits the caller found itself) recorded in the JSON report too. `store` saves what the run
   * leaves behind (timings, the workers' record) once the results are complete, and returns a line for each
   * thing it could not save. Every file is written before the footer, so that the closing line is the last
   * line whatever could not be written.
   */
  finish(end: RunEnd, known = 0, store: () => (string | undefined)[] = () => []): number {
    this.summary.markUnstarted(this.files, this.options.subsets);
    const seconds = end.seconds ?? (Date.now() - this.identity.startedAt) / 1000;
    let bits = this.summary.exitBits | known;
    if (end.interrupted) bits |= EXIT.interrupted;
    if (end.inputErrors) bits |= EXIT.usage;
    const { id, randomSeed } = this.identity;
    const info = { id, randomSeed, time: seconds, exitBits: bits, shard: this.options.shard, order: this.options.order };
    this.info = info;
    const written = writeMachineReports(this.summary, info, this.options, this.timeline && { timeline: this.timeline, memoryMarkMB: this.options.memoryMarkMB ?? 50 });
    const problems = [...written.problems, ...store()];
    if (githubWanted(this.options.format)) this.io.out(githubAnnotations(this.summary));
    for (const problem of problems) if (problem) this.io.err(`mtest: ${problem}\n`);
    this.console.footer(seconds, end);
    return bits | written.bits;
  }

  private info?: RunInfo;

  /** The finished run as the --json report holds it. */
  json(): JsonReport | undefined {
    return this.info && (JSON.parse(jsonReport(this.summary, this.info)) as JsonReport);
  }
}
