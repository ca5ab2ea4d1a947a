// The schedule stage, between sources and execute: from the collected files, the options and the stored
// timings to the ordered list of files this run (or this shard) executes. Workers take the files in this
// order, as does --serial. It also carries what the run reports against: the known failures of
// --baseline, the global order a merge prints in, and the timings to store afterwards.
import { relative, resolve } from 'node:path';
import { countExamples, type FileSubset, type SourceFile } from '../model.js';
import { printable } from '../report/format.js';
import { ReportError } from '../report/machine.js';
import type { KnownFailures } from '../report/summary.js';
import { EXIT } from '../report/tally.js';
import { Baseline } from '../report/baseline.js';
import { randomOrder, slowestFirst, splitShards, type ShardSpec } from './order.js';
import { changedFiles, isChanged, SelectionError } from './select.js';
import { selectIn, type Selection } from './selection.js';
import { defaultStatsPath, failedBefore, readStats, type Stats } from './stats.js';

export { parseShard, type ShardSpec } from './order.js';

export interface ScheduleOptions {
  failed?: boolean;
  new?: boolean;
  baseline?: string;
  shard?: ShardSpec;
  randorder?: number;
  statsPath?: string;
  passWithNoExamples?: boolean;
  /** `FILE:LINE` and `-k`: the examples to run inside the files. */
  selection?: Selection;
}

export interface Plan {
  /** The files this run executes, in the order they are to start. */
  files: SourceFile[];
  /** Every selected file's position in the unsharded order (the JSON report records it for `mtest merge`). */
  order: Map<string, number>;
  /** `i/n` when this run is one shard. */
  shard?: string;
  known?: KnownFailures;
  /** Where the stats are stored. */
  statsPath: string;
  /** The files a selection runs in part (by path): what runs, what counts. The others run whole. */
  subsets: Map<string, FileSubset>;
}

/** A found path, parsed when the schedule needs it. */
interface Candidate {
  path: string;
  file?: SourceFile | null;
}

/**
 * Plan the run, or say why there is nothing to run: a number is the exit bits to stop with, after the
 * one-line messages given to `say` (notes go there too). `paths` are the files found (not read yet): a file
 * is parsed only when it runs here, or when it has no stored timing and its example count is needed to
 * split the shards — so a shard or a --failed run does not parse the whole tree.
 */
export function planRun(
  paths: string[], load: (path: string) => SourceFile | null, options: ScheduleOptions, where: string[], cwd: string, say: (line: string) => void,
): Plan | number {
  const statsPath = options.statsPath !== undefined ? resolve(cwd, options.statsPath) : defaultStatsPath(cwd);
  const read = readStats(statsPath, cwd);
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

  let candidates: Candidate[] = paths.map((path) => ({ path }));
  if (options.failed) {
    const failed = candidates.filter((c) => failedBefore(stats.files[c.path]));
    if (failed.length > 0) candidates = failed;
    else say(`--failed: no failures stored in ${relative(cwd, statsPath) || statsPath} for these files; running all of them`);
  }
  if (options.new) {
    try {
      const changed = changedFiles(cwd);
      candidates = candidates.filter((c) => isChanged(changed, cwd, c.path));
    } catch (err) {
      if (!(err instanceof SelectionError)) throw err;
      say(err.message);
      return EXIT.usage;
    }
    if (candidates.length === 0) say('--new: git sees no changed files here');
  }
  const subsets = new Map<string, FileSubset>();
  const parsed = (c: Candidate): SourceFile | null => {
    if (c.file !== undefined) return c.file;
    c.file = load(c.path);
    if (c.file && options.selection) {
      // A `FILE:LINE` that names no example is that file's bad input, reported with its other problems.
      const { subset, errors } = selectIn(c.file, options.selection, cwd);
      c.file.errors.push(...errors);
      if (subset !== undefined) subsets.set(c.file.path, subset ?? { run: [], counted: [] });
    }
    return c.file;
  };
  const selectedCount = (f: SourceFile): number => subsets.get(f.path)?.counted.length ?? countExamples(f);
  // Files that cannot run here are left out: opted out (nodoctest), or nothing to run and nothing to report.
  const runnable = (c: Candidate): boolean => {
    const f = parsed(c);
    return f !== null && (selectedCount(f) > 0 || f.errors.length > 0);
  };
  if (!options.shard) candidates = candidates.filter(runnable);
  else candidates = candidates.filter((c) => stats.files[c.path] !== undefined || runnable(c));
  const count = (c: Candidate): number => (c.file ? countExamples(c.file) : 0); // only files without stats need it, and they are parsed

  candidates = slowestFirst(candidates, stats, count);
  const order = new Map(candidates.map((c, i) => [c.path, i]));
  let shard: string | undefined;
  if (options.shard) {
    shard = `${options.shard.index}/${options.shard.count}`;
    const all = candidates.length;
    candidates = splitShards(candidates, stats, options.shard.count, count)[options.shard.index - 1].filter(runnable);
    say(`shard ${shard}: ${candidates.length} of ${all} files`);
  }
  let files = candidates.map((c) => c.file!);
  // Nothing found is an error (a wrong path, a wrong include); a selection that leaves nothing is not.
  const selected = Boolean(options.shard || options.new || options.failed);
  if (files.length > 0 ? !files.some((f) => selectedCount(f) > 0) : !selected) {
    // A file that could not be read has said so already.
    if (!files.some((f) => f.errors.length > 0)) say(`no examples ${options.selection?.keyword ? 'match -k' : 'found'} in ${where.length > 0 ? where.map(printable).join(', ') : '.'}`);
    if (!options.passWithNoExamples) return EXIT.usage;
  }
  if (options.randorder !== undefined) {
    files = randomOrder(files, options.randorder);
    // Shuffled blocks move the flat indices: select again in the order the file now runs in.
    for (const file of files) if (subsets.has(file.path)) subsets.set(file.path, selectIn(file, options.selection!, cwd).subset ?? { run: [], counted: [] });
  }

  return {
    files,
    order,
    shard,
    known,
    statsPath,
    subsets,
  };
}
