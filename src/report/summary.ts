// RunSummary: consumes the run's events and keeps what the end of the report and the exit status need.
import type { FileSummary, Incident, RunEvents } from '../events.js';
import { closeRest, type ExampleResult, type FileSubset, type SourceFile } from '../model.js';
import { withCellFrames } from './format.js';
import { emptyCounts, FileTally, incidentBits, resultBits, type Counts, EXIT } from './tally.js';

/** Failures an earlier run had too (`--baseline`): reported as known, and they set no exit bit. */
export interface KnownFailures {
  example(file: SourceFile, index: number): boolean;
  incident(file: SourceFile, incident: Incident): boolean;
}

export class RunSummary implements RunEvents {
  readonly totals: Counts = emptyCounts();
  readonly files = new Map<SourceFile, FileTally>();
  /** Files in the order they finished. */
  readonly finished: FileTally[] = [];
  /** Every result per file, kept only when a machine-readable report asks for them. */
  readonly results = new Map<SourceFile, ExampleResult[]>();
  exitBits = 0;
  /** Wall time of every file that ended, by path. */
  readonly fileTimes = new Map<string, number>();

  constructor(
    private readonly keepResults = false,
    readonly known?: KnownFailures,
  ) {}

  tally(file: SourceFile): FileTally {
    let t = this.files.get(file);
    if (!t) {
      t = new FileTally(file);
      this.files.set(file, t);
    }
    return t;
  }

  fileStart(file: SourceFile): void {
    this.tally(file);
  }
  exampleStart(): void {}
  exampleEnd(file: SourceFile, result: ExampleResult): void {
    this.tally(file).add(result);
    if (this.keepResults) {
      const list = this.results.get(file);
      if (list) list.push(result);
      else this.results.set(file, [result]);
    }
    this.totals[result.status]++;
    if (result.status === 'failed' && this.known?.example(file, result.index)) {
      this.tally(file).known.add(result.index);
    } else this.exitBits |= resultBits(result);
  }
  incident(file: SourceFile, given: Incident): void {
    const incident = withCellFrames(file, given);
    const tally = this.tally(file);
    tally.incidents.push(incident);
    if (incident.kind !== 'interrupted' && this.known?.incident(file, incident)) {
      tally.knownIncidents.add(incident);
    } else this.exitBits |= incidentBits(incident);
  }
  warning(): void {}
  fileEnd(file: SourceFile, summary: FileSummary): void {
    const t = this.tally(file);
    this.fileTimes.set(file.path, summary.time);
    if (file.errors.length > 0) this.exitBits |= EXIT.usage;
    this.finished.push(t);
  }

  /**
   * Account for files that never started (a run stopped early): all their examples are not run — of a file
   * run in part, those the run counts.
   */
  markUnstarted(files: SourceFile[], subsets?: Map<string, FileSubset>): void {
    for (const file of files) {
      if (this.files.has(file)) continue;
      const t = this.tally(file);
      closeRest(file, new Set(), (result) => this.exampleEnd(file, result), { indices: subsets?.get(file.path)?.counted });
      this.finished.push(t);
    }
  }
}

/**
 * In front of the reporters of a run that selects examples (`FILE:LINE`, `-k`): the results it counts pass,
 * a setup example passes only when it failed (it is reported at its own line), the rest is dropped.
 */
export class SubsetEvents implements RunEvents {
  private readonly sets = new Map<string, { run: Set<number>; counted: Set<number> }>();

  constructor(
    private readonly subsets: Map<string, FileSubset>,
    private readonly inner: RunEvents,
  ) {}

  private of(file: SourceFile): { run: Set<number>; counted: Set<number> } | undefined {
    let sets = this.sets.get(file.path);
    const subset = sets ? undefined : this.subsets.get(file.path);
    if (subset) this.sets.set(file.path, (sets = { run: new Set(subset.run), counted: new Set(subset.counted) }));
    return sets;
  }

  fileStart(file: SourceFile, worker: number): void {
    this.inner.fileStart(file, worker);
  }
  exampleStart(file: SourceFile, index: number, worker: number): void {
    this.inner.exampleStart(file, index, worker);
  }
  exampleEnd(file: SourceFile, result: ExampleResult): void {
    const sets = this.of(file);
    if (!sets || sets.counted.has(result.index) || (sets.run.has(result.index) && result.status === 'failed')) this.inner.exampleEnd(file, result);
  }
  incident(file: SourceFile, incident: Incident): void {
    this.inner.incident(file, incident);
  }
  warning(file: SourceFile, message: string, index?: number): void {
    this.inner.warning(file, message, index);
  }
  fileEnd(file: SourceFile, summary: FileSummary): void {
    this.inner.fileEnd(file, summary);
  }
  memory(worker: number, rss: number): void {
    this.inner.memory?.(worker, rss);
  }
}
