// `mtest merge A.json B.json …`: the shards' --json reports → the report one unsharded run prints (failure
// blocks, failing files, closing line), --json/--junit/annotations when asked, and the union of the exit
// bits. The reports are replayed as RunEvents into the same reporters a run uses, so nothing is formatted
// twice.
import { EventFanout, type Incident } from '../events.js';
import { emptyDirectives, type Block, type ExampleResult, type SourceFile } from '../model.js';
import type { Output } from './console.js';
import { plural, printable } from './format.js';
import { readJsonReport, ReportError, type JsonFile, type JsonReport, type MachineTargets } from './machine.js';
import { RunReport } from './run-report.js';
import type { KnownFailures } from './summary.js';
import { EXIT } from './tally.js';
import { statsProblem, storeStats } from '../schedule/stats.js';

/** A SourceFile rebuilt from a report's entry: blocks and examples in the flat-index order of the run. */
export function fileFromReport(entry: JsonFile): SourceFile {
  const blocks: Block[] = [];
  for (const ex of entry.examples) {
    const name = ex.block ?? entry.path;
    let block = blocks[blocks.length - 1];
    if (!block || block.name !== name) {
      block = { name, line: ex.line ?? 0, examples: [] };
      blocks.push(block);
    }
    block.examples.push({ source: ex.source ?? '', want: ex.want ?? '', line: ex.line ?? 0, indent: 0, directives: emptyDirectives() });
  }
  return { path: entry.path, kind: 'text', blocks, tags: [], errors: entry.errors ?? [] };
}

/** Known failures as the reports marked them. */
class MarkedKnown implements KnownFailures {
  readonly entries = new Map<SourceFile, JsonFile>();
  example(file: SourceFile, index: number): boolean {
    return this.entries.get(file)?.examples[index]?.known === true;
  }
  incident(_file: SourceFile, incident: Incident): boolean {
    return (incident as { known?: boolean }).known === true;
  }
}

/** A merge of shards must have each shard of one split once: a lost shard's files would go unreported. */
export function missingShards(shards: (string | undefined)[]): string | undefined {
  const given = shards.filter((s): s is string => s !== undefined);
  if (given.length === 0) return undefined;
  const counts = new Set(given.map((s) => s.split('/')[1]));
  if (counts.size > 1) return `the reports are shards of different splits (${given.join(', ')})`;
  const n = Number([...counts][0]);
  const lost = Array.from({ length: n }, (_, i) => `${i + 1}/${n}`).filter((s) => !given.includes(s));
  if (lost.length > 0) return `shard${lost.length > 1 ? 's' : ''} ${lost.join(', ')} missing: their files are not in this report`;
  if (new Set(given).size < given.length) return `a shard is given twice (${given.join(', ')})`;
  return undefined;
}

/**
 * `statsPath`: the stored timings to update from the reports, as the unsharded run would have (so the
 * merge job of a CI matrix can keep them for the next split).
 */
export async function mergeReports(
  paths: string[], targets: MachineTargets & { format?: 'console' | 'github'; command?: string }, io: Output, colour = false, statsPath?: string, cwd = process.cwd(),
): Promise<number> {
  if (paths.length === 0) {
    io.err('mtest: merge needs the --json reports of the shards (mtest merge A.json B.json …)\n');
    return EXIT.usage;
  }
  let bits = 0;
  const reports: { path: string; report: JsonReport }[] = [];
  for (const path of paths) {
    try {
      reports.push({ path, report: readJsonReport(path) });
    } catch (err) {
      if (!(err instanceof ReportError)) throw err;
      io.err(`mtest: ${err.message}\n`);
      bits |= EXIT.usage;
    }
  }
  const entries: JsonFile[] = [];
  const from = new Map<string, string>();
  for (const { path, report } of reports) {
    bits |= report.exitBits ?? 0;
    for (const entry of report.files) {
      const earlier = from.get(entry.path);
      if (earlier !== undefined) {
        io.err(`mtest: ${printable(entry.path)} is in both ${printable(earlier)} and ${printable(path)}; the first is kept\n`);
        bits |= EXIT.usage;
        continue;
      }
      from.set(entry.path, path);
      entries.push(entry);
    }
  }
  const missing = missingShards(reports.map(({ report }) => report.shard));
  if (missing) {
    io.err(`mtest: ${missing}\n`);
    bits |= EXIT.usage;
  }
  // The order an unsharded run takes (recorded by each shard), then by path.
  entries.sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const known = new MarkedKnown();
  const files = entries.map((entry) => {
    const file = fileFromReport(entry);
    known.entries.set(file, entry);
    return file;
  });
  const order = new Map<string, number>();
  for (const entry of entries) if (entry.order !== undefined) order.set(entry.path, entry.order);
  const identity = { id: reports.map(({ report }) => report.id).join('+'), randomSeed: reports[0]?.report.randomSeed ?? 0, startedAt: Date.now() };
  const { json, junit, html, base, format, command } = targets;
  const report = new RunReport(files, { json, junit, html, base, format, command, colour, order, replayed: true }, io, identity, [], known);
  const shards = reports.map(({ report }) => report.shard).filter(Boolean);
  report.console.header([`Merging ${plural(reports.length, 'report')}${shards.length ? ` (shards ${shards.join(', ')})` : ''}: ${plural(entries.length, 'file')}.`]);
  const events = report.events;
  entries.forEach((entry, n) => {
    const file = files[n];
    events.fileStart(file, 0);
    for (const incident of entry.incidents ?? []) events.incident(file, incident);
    entry.examples.forEach((ex, index) => {
      const result: ExampleResult = { index, status: ex.status, outcome: ex.outcome, got: ex.got, note: ex.note, time: ex.time ?? 0, rssDelta: ex.rssDelta };
      events.exampleEnd(file, result);
    });
    events.fileEnd(file, { time: entry.time ?? entry.examples.reduce((t, ex) => t + (ex.time ?? 0), 0), worker: 0 });
  });
  // The shards ran side by side: the merged run took as long as the slowest one.
  const seconds = Math.max(0, ...reports.map(({ report }) => report.time ?? 0));
  const store = (): (string | undefined)[] => {
    if (statsPath === undefined || reports.length === 0) return [];
    try {
      storeStats(statsPath, report.summary, cwd);
      return [];
    } catch (err) {
      return [statsProblem(statsPath, err)];
    }
  };
  return report.finish({ interrupted: (bits & EXIT.interrupted) !== 0, inputErrors: false, seconds }, bits, store);
}
