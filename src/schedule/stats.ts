// Stored timings (`.mtest/stats.json`): what the previous runs learned about each file — wall time,
// examples, failures, and whether it timed out or crashed. The schedule orders and splits files by them,
// and `--failed` selects by them. Entries of files not in a run are kept.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FileSummary, Incident, RunEvents } from '../events.js';
import type { ExampleResult, SourceFile } from '../model.js';
import { writeAtomically } from '../report/machine.js';

export const DEFAULT_STATS_PATH = path.join('.mtest', 'stats.json');

export interface FileStats {
  /** Wall time of the file's last run, seconds. */
  time: number;
  examples: number;
  failures: number;
  /** Set when the file's process timed out, crashed or passed a limit: the file counts as very slow. */
  incident?: Incident['kind'];
}

export interface Stats {
  version: 1;
  files: Record<string, FileStats>;
}

export function emptyStats(): Stats {
  return { version: 1, files: {} };
}

/** Read the stats; a missing file is empty stats, a damaged one too, with a one-line warning. */
export function readStats(file: string): { stats: Stats; warning?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { stats: emptyStats() } : { stats: emptyStats(), warning: `${file}: cannot read stored timings (${code}); ignored` };
  }
  try {
    const raw = JSON.parse(text) as Partial<Stats>;
    if (!raw || typeof raw !== 'object' || typeof raw.files !== 'object' || raw.files === null) throw new Error('no "files" object');
    const files: Record<string, FileStats> = {};
    for (const [name, entry] of Object.entries(raw.files)) {
      if (entry && typeof entry === 'object' && Number.isFinite(entry.time) && entry.time >= 0) {
        files[name] = { time: entry.time, examples: Number(entry.examples) || 0, failures: Number(entry.failures) || 0, ...(entry.incident ? { incident: entry.incident } : {}) };
      }
    }
    return { stats: { version: 1, files } };
  } catch (err) {
    return { stats: emptyStats(), warning: `${file}: stored timings are not valid (${(err as Error).message.split('\n')[0]}); ignored` };
  }
}

export function writeStats(file: string, stats: Stats): void {
  mkdirSync(path.dirname(file), { recursive: true });
  // Sorted keys: the file diffs well and does not depend on which worker finished first.
  const files: Record<string, FileStats> = {};
  for (const name of Object.keys(stats.files).sort()) files[name] = stats.files[name];
  writeAtomically(file, JSON.stringify({ version: 1, files }, null, 1) + '\n');
}

/** True when the stored run of this file failed, timed out or crashed. */
export function failedBefore(entry: FileStats | undefined): boolean {
  return entry !== undefined && (entry.failures > 0 || entry.incident !== undefined);
}

/**
 * A RunEvents sink that measures this run's files; `merged(previous)` is the new stats. A file none of
 * whose examples ran (a stopped run) and a file stopped by Ctrl-C keep their previous entry.
 */
export class StatsRecorder implements RunEvents {
  private readonly seen = new Map<string, { entry: FileStats; ran: boolean; interrupted: boolean }>();

  private state(file: SourceFile) {
    let s = this.seen.get(file.path);
    if (!s) {
      s = { entry: { time: 0, examples: 0, failures: 0 }, ran: false, interrupted: false };
      this.seen.set(file.path, s);
    }
    return s;
  }

  fileStart(file: SourceFile): void {
    this.state(file);
  }
  exampleStart(): void {}
  exampleEnd(file: SourceFile, result: ExampleResult): void {
    const s = this.state(file);
    s.entry.examples++;
    if (result.status === 'failed') s.entry.failures++;
    if (result.status === 'passed' || result.status === 'failed') s.ran = true;
  }
  incident(file: SourceFile, incident: Incident): void {
    const s = this.state(file);
    if (incident.kind === 'interrupted') s.interrupted = true;
    else s.entry.incident ??= incident.kind;
  }
  warning(): void {}
  fileEnd(file: SourceFile, summary: FileSummary): void {
    this.state(file).entry.time = summary.time;
  }

  merged(previous: Stats): Stats {
    const files = { ...previous.files };
    for (const [name, s] of this.seen) if ((s.ran || s.entry.incident) && !s.interrupted) files[name] = s.entry;
    return { version: 1, files };
  }
}
