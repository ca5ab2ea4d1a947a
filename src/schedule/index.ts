// The schedule stage, between sources and execute: from the collected files, the options and the stored
// timings to the ordered list of files this run (or this shard) executes. Workers take the files in this
// order, as does --serial. It also carries what the run reports against: the known failures of
// --baseline, the global order a merge prints in, and the timings to store afterwards.
import { resolve } from 'node:path';
import { countExamples, type SourceFile } from '../model.js';
import { ReportError } from '../report/machine.js';
import type { KnownFailures } from '../report/summary.js';
import { EXIT } from '../report/tally.js';
import { Baseline } from './baseline.js';
import { randomOrder, slowestFirst, splitShards, type ShardSpec } from './order.js';
import { SelectionError, selectFailed, selectNew } from './select.js';
import { DEFAULT_STATS_PATH, readStats, StatsRecorder, writeStats, type Stats } from './stats.js';

export { parseShard, type ShardSpec } from './order.js';

export interface ScheduleOptions {
  failed?: boolean;
  new?: boolean;
  baseline?: string;
  shard?: ShardSpec;
  randorder?: number;
  statsPath?: string;
  passWithNoExamples?: boolean;
}

export interface Plan {
  /** The files this run executes, in the order they are to start. */
  files: SourceFile[];
  /** Every selected file's position in the unsharded order (the JSON report records it for `mtest merge`). */
  order: Map<string, number>;
  /** `i/n` when this run is one shard. */
  shard?: string;
  known?: KnownFailures;
  /** A RunEvents sink: add it to the run's sinks; `saveStats` stores what it measured. */
  recorder: StatsRecorder;
  /** Write the stats of this run (entries of other files kept); a one-line warning when it cannot. */
  saveStats(): string | undefined;
}

/**
 * Plan the run, or say why there is nothing to run: a number is the exit bits to stop with, after the
 * one-line messages given to `say` (notes go there too).
 */
export function planRun(collected: SourceFile[], options: ScheduleOptions, where: string[], cwd: string, say: (line: string) => void): Plan | number {
  let files = collected.filter((f) => countExamples(f) > 0 || f.errors.length > 0);
  if (!collected.some((f) => countExamples(f) > 0)) {
    say(`no examples found in ${where.length > 0 ? where.join(', ') : '.'}`);
    if (!options.passWithNoExamples) return EXIT.usage;
  }
  const statsPath = resolve(cwd, options.statsPath ?? DEFAULT_STATS_PATH);
  const read = readStats(statsPath);
  if (read.warning) say(read.warning);
  const stats: Stats = read.stats;

  let known: KnownFailures | undefined;
  if (options.baseline !== undefined) {
    try {
      known = new Baseline(resolve(cwd, options.baseline));
    } catch (err) {
      if (!(err instanceof ReportError)) throw err;
      say(`--baseline: ${err.message}`);
      return EXIT.usage;
    }
  }
  if (options.failed) {
    const selected = selectFailed(files, stats, options.statsPath ?? DEFAULT_STATS_PATH);
    if (selected.note) say(selected.note);
    files = selected.files;
  }
  if (options.new) {
    try {
      files = selectNew(files, cwd);
    } catch (err) {
      if (!(err instanceof SelectionError)) throw err;
      say(err.message);
      return EXIT.usage;
    }
    if (files.length === 0) say('--new: no changed files with examples');
  }

  files = slowestFirst(files, stats);
  const order = new Map(files.map((f, i) => [f.path, i]));
  let shard: string | undefined;
  if (options.shard) {
    shard = `${options.shard.index}/${options.shard.count}`;
    const all = files.length;
    files = splitShards(files, stats, options.shard.count)[options.shard.index - 1];
    say(`shard ${shard}: ${files.length} of ${all} files`);
  }
  if (options.randorder !== undefined) files = randomOrder(files, options.randorder);

  const recorder = new StatsRecorder();
  return {
    files,
    order,
    shard,
    known,
    recorder,
    saveStats() {
      try {
        writeStats(statsPath, recorder.merged(readStats(statsPath).stats));
        return undefined;
      } catch (err) {
        return `cannot store timings in ${statsPath}: ${(err as Error).message}`;
      }
    },
  };
}
