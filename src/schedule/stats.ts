// Stored timings (`.mtest/stats.json`): what the previous runs learned about each file — wall time,
// examples, failures, and whether it timed out or crashed. The schedule orders and splits files by them,
// and `--failed` selects by them. Entries of files not in a run are kept.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Incident } from '../events.js';
import { linkTarget, reason, writeAtomically } from '../util/atomic-write.js';
import { withLock } from '../util/file-lock.js';
import type { RunSummary } from '../report/summary.js';
import { makeStateDirFor, projectRoot, stateFile } from '../project.js';

/** Where the stats are kept unless --stats-path says otherwise: `.mtest/stats.json` at the project root. */
export function defaultStatsPath(cwd: string): string {
  return stateFile(cwd, 'stats.json');
}

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
  return { version: 1, files: Object.create(null) as Record<string, FileStats> };
}

/**
 * Stored paths are relative to the project root (runs from different folders share them); in memory they
 * are as the run names its files, relative to its working directory.
 */
function rebased(stats: Stats, from: string, to: string): Stats {
  if (path.resolve(from) === path.resolve(to)) return stats;
  const files: Record<string, FileStats> = Object.create(null);
  for (const [name, entry] of Object.entries(stats.files)) files[path.relative(to, path.resolve(from, name)).split(path.sep).join('/')] = entry;
  return { version: 1, files };
}

/** Read the stats (paths as seen from `cwd`); a missing file is empty stats, a damaged one too, with a one-line warning. */
export function readStats(file: string, cwd = process.cwd()): { stats: Stats; warning?: string } {
  const read = readStoredStats(file);
  return { ...read, stats: rebased(read.stats, projectRoot(cwd), cwd) };
}

function readStoredStats(file: string): { stats: Stats; warning?: string } {
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
    // keyed by path: no prototype, so that no file name (`__proto__`, `constructor.md`) means anything else
    const files: Record<string, FileStats> = Object.create(null);
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

/** Write the stats (paths as seen from `cwd`). */
export function writeStats(file: string, stats: Stats, cwd = process.cwd()): void {
  makeStateDirFor(file);
  const stored = rebased(stats, cwd, projectRoot(cwd));
  // Sorted keys: the file diffs well and does not depend on which worker finished first.
  const files: Record<string, FileStats> = Object.create(null);
  for (const name of Object.keys(stored.files).sort()) files[name] = stored.files[name];
  // a stats file linked from elsewhere (shared between checkouts) stays linked
  writeAtomically(file, JSON.stringify({ version: 1, files }, null, 1) + '\n', { followLink: true });
}

/**
 * Store a run's timings: under a lock, the file as it is now — another run in the same directory may have
 * stored its own since this one read it — with this run's files' entries replaced. Throws WriteError.
 */
export function storeStats(file: string, summary: Pick<RunSummary, 'finished' | 'fileTimes'>, cwd = process.cwd()): void {
  makeStateDirFor(file);
  // the lock goes beside the file itself, so that checkouts sharing it through links share the lock
  withLock(linkTarget(file), () => writeStats(file, updatedStats(readStats(file, cwd).stats, summary), cwd));
}

/** The one line a run prints when its timings cannot be stored. */
export function statsProblem(file: string, error: unknown): string {
  return `cannot store timings in ${file}: ${reason(error)}`;
}

/** True when the stored run of this file failed, timed out or crashed. */
export function failedBefore(entry: FileStats | undefined): boolean {
  return entry !== undefined && (entry.failures > 0 || entry.incident !== undefined);
}

/**
 * The stats after a run: `previous` with the entries of this run's files replaced, from what the run's
 * summary already counted (no bookkeeping of its own per example). A file none of whose examples ran (a
 * stopped run) and a file stopped by Ctrl-C keep their previous entry.
 */
export function updatedStats(previous: Stats, summary: Pick<RunSummary, 'finished' | 'fileTimes'>): Stats {
  const files: Record<string, FileStats> = Object.assign(Object.create(null), previous.files);
  for (const tally of summary.finished) {
    const c = tally.counts;
    const incident = tally.incidents.find((i) => i.kind !== 'interrupted');
    if (tally.incidents.some((i) => i.kind === 'interrupted') || (c.passed + c.failed === 0 && !incident)) continue;
    const entry: FileStats = { time: summary.fileTimes.get(tally.file.path) ?? 0, examples: c.passed + c.failed + c.skipped + c.notrun, failures: c.failed };
    if (incident) entry.incident = incident.kind;
    files[tally.file.path] = entry;
  }
  return { version: 1, files };
}
