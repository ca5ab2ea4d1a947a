// Which file runs when, and where: slowest first by the stored timings (a long file must not start last
// and leave the other workers idle), the split into shards, and --randorder's shuffle.
import { seededRandom } from '../execute/namespace.js';
import { countExamples, type SourceFile } from '../model.js';
import type { Stats } from './stats.js';

/** What the schedule orders: a parsed file, or a path known only from the stored timings. */
export interface Schedulable {
  path: string;
}

/** Example count of a parsed file (the default measure of files without stored timings). */
const examplesIn = (item: Schedulable): number => countExamples(item as SourceFile);

/** Seconds per example assumed when no stored file gives a better figure. */
const DEFAULT_EXAMPLE_SECONDS = 0.001;

/**
 * The expected wall time of each file: its stored time, or for a file without one its examples times the
 * stored mean time per example. Without any stored timings this orders by example count.
 */
export function estimates<T extends Schedulable>(files: T[], stats: Stats, count: (item: T) => number = examplesIn): Map<T, number> {
  let time = 0;
  let examples = 0;
  for (const entry of Object.values(stats.files)) {
    time += entry.time;
    examples += entry.examples;
  }
  const perExample = examples > 0 && time > 0 ? time / examples : DEFAULT_EXAMPLE_SECONDS;
  const out = new Map<T, number>();
  for (const file of files) out.set(file, stats.files[file.path]?.time ?? count(file) * perExample);
  return out;
}

/** Files that timed out or crashed last time first, then by expected time, longest first; ties by path. */
export function slowestFirst<T extends Schedulable>(files: T[], stats: Stats, count: (item: T) => number = examplesIn): T[] {
  const weight = estimates(files, stats, count);
  const slow = (f: T): number => (stats.files[f.path]?.incident ? 1 : 0);
  return [...files].sort((a, b) => slow(b) - slow(a) || weight.get(b)! - weight.get(a)! || compare(a.path, b.path));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

/** `i/n` with 1 ≤ i ≤ n; undefined when the text is not one. */
export function parseShard(text: string): ShardSpec | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && count >= 1 && index <= count ? { index, count } : undefined;
}

/**
 * The files of every shard, each file in exactly one. Longest-processing-time-first: files by expected
 * time, longest first, each to the shard with the least expected time so far (the lowest index on a tie).
 * The result depends only on the paths, the stored timings and, for files without one, their example
 * counts, so every machine of a CI matrix computes the same split. Within a shard the files keep the order of `files`.
 */
export function splitShards<T extends Schedulable>(files: T[], stats: Stats, shardCount: number, count: (item: T) => number = examplesIn): T[][] {
  const weight = estimates(files, stats, count);
  const byWeight = [...files].sort((a, b) => weight.get(b)! - weight.get(a)! || compare(a.path, b.path));
  const load = new Array<number>(shardCount).fill(0);
  const shardOf = new Map<T, number>();
  for (const file of byWeight) {
    let best = 0;
    for (let s = 1; s < shardCount; s++) if (load[s] < load[best]) best = s;
    // A file without any weight still moves on, so a list of empty files is spread too.
    load[best] += Math.max(weight.get(file)!, 1e-9);
    shardOf.set(file, best);
  }
  const shards: T[][] = Array.from({ length: shardCount }, () => []);
  for (const file of files) shards[shardOf.get(file)!].push(file);
  return shards;
}

/** Deterministic Fisher–Yates shuffle (the generator that reseeds Math.random in examples). */
export function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * --randorder SEED: the files in a random order, and inside each file its blocks, as Sage shuffles
 * docstrings. A shuffled file is a new SourceFile whose flat example indices follow its new block order,
 * which is how every report maps an index back to its example. Examples inside a block keep their order:
 * they share a namespace.
 */
export function randomOrder(files: SourceFile[], seed: number): SourceFile[] {
  const rand = seededRandom(seed);
  return shuffle(files, rand).map((file) => (file.blocks.length < 2 ? file : { ...file, blocks: shuffle(file.blocks, rand) }));
}
