// A RunEvents sink that keeps everything a run reported and checks the contract every runner owes its
// reporters: each file starts once and ends once, and every example gets exactly one exampleEnd, inside its
// file's start and end. `mtest bisect` replays runs through it; the fault-injection tests check runners with it.
import type { FileSummary, Incident, RunEvents } from './events.js';
import { countExamples, type ExampleResult, type SourceFile, type Status } from './model.js';

export interface FileRecord {
  file: SourceFile;
  worker?: number;
  started: number[];
  results: Map<number, ExampleResult>;
  incidents: Incident[];
  warnings: { message: string; index?: number }[];
  summary?: FileSummary;
  /** Date.now() of each event kind, for latency measurements. */
  times: { fileStart?: number; exampleStart: Map<number, number>; incident: number[]; fileEnd?: number };
}

export class RecordingEvents implements RunEvents {
  readonly files = new Map<string, FileRecord>();
  readonly violations: string[] = [];
  /** Optional hooks (a test kills a worker when a given example starts). */
  onExampleStart?: (file: SourceFile, index: number, worker: number) => void;

  private record(file: SourceFile, event: string): FileRecord {
    const record = this.files.get(file.path);
    if (!record) {
      this.violations.push(`${event} for ${file.path} before its fileStart`);
      this.fileStart(file, -1);
      return this.files.get(file.path)!;
    }
    if (record.summary) this.violations.push(`${event} for ${file.path} after its fileEnd`);
    return record;
  }

  fileStart(file: SourceFile, worker: number): void {
    if (this.files.has(file.path)) this.violations.push(`second fileStart for ${file.path}`);
    this.files.set(file.path, {
      file,
      worker,
      started: [],
      results: new Map(),
      incidents: [],
      warnings: [],
      times: { fileStart: Date.now(), exampleStart: new Map(), incident: [] },
    });
  }

  exampleStart(file: SourceFile, index: number, worker: number): void {
    const record = this.record(file, 'exampleStart');
    record.started.push(index);
    record.times.exampleStart.set(index, Date.now());
    this.onExampleStart?.(file, index, worker);
  }

  exampleEnd(file: SourceFile, result: ExampleResult): void {
    const record = this.record(file, 'exampleEnd');
    if (record.results.has(result.index)) this.violations.push(`second exampleEnd for ${file.path} #${result.index}`);
    if (result.index < 0 || result.index >= countExamples(file)) this.violations.push(`exampleEnd for ${file.path} #${result.index}: no such example`);
    record.results.set(result.index, result);
  }

  incident(file: SourceFile, incident: Incident): void {
    const record = this.record(file, 'incident');
    record.incidents.push(incident);
    record.times.incident.push(Date.now());
  }

  warning(file: SourceFile, message: string, index?: number): void {
    this.record(file, 'warning').warnings.push({ message, index });
  }

  fileEnd(file: SourceFile, summary: FileSummary): void {
    const record = this.record(file, 'fileEnd');
    record.summary = summary;
    record.times.fileEnd = Date.now();
    const total = countExamples(file);
    for (let index = 0; index < total; index++) {
      if (!record.results.has(index)) this.violations.push(`${file.path} #${index} ended without an exampleEnd`);
    }
  }

  /** Results of `path` by status. */
  counts(path: string): Record<Status, number> {
    const counts: Record<Status, number> = { passed: 0, failed: 0, skipped: 0, notrun: 0 };
    for (const result of this.files.get(path)?.results.values() ?? []) counts[result.status]++;
    return counts;
  }

  /** Files given but never ended, plus contract violations. */
  problems(expected: SourceFile[]): string[] {
    const problems = [...this.violations];
    for (const file of expected) {
      const record = this.files.get(file.path);
      if (!record) problems.push(`${file.path} never started`);
      else if (!record.summary) problems.push(`${file.path} never ended`);
    }
    return problems;
  }
}
