// Machine-readable reports: `--json FILE`, `--junit FILE`, and `--format github` annotations.
// All three are built from the run's events after the fact; none reaches into a runner.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Incident } from '../events.js';
import { blockAt, exampleAt, exampleLocation, exampleWhere, type ExampleResult, type InputError, type SourceFile } from '../model.js';
import { EXIT, type Counts } from './tally.js';
import { normalizeWant } from '../check/checker.js';
import type { RunSummary } from './summary.js';
import { escapeControl, formatFailure } from './format.js';
import { reason, writeAtomically } from '../util/atomic-write.js';
import { htmlReport } from './html.js';
import type { TimelineRecorder } from './timeline.js';

export interface RunInfo {
  id: string;
  randomSeed: number;
  time: number;
  /** The run's exit bits as far as the run itself knows them (a merge ORs them). */
  exitBits?: number;
  /** `i/n` when the run was one shard. */
  shard?: string;
  /** Each file's position in the order an unsharded run takes (a merge prints the files in it). */
  order?: Map<string, number>;
}

/** One example of a `--json` report. */
export interface JsonExample {
  file: string;
  block?: string;
  line?: number;
  source?: string;
  status: ExampleResult['status'];
  outcome: ExampleResult['outcome'];
  time: number;
  want?: string;
  got?: string;
  note?: string;
  rssDelta?: number;
  /** A known failure (`--baseline`). */
  known?: boolean;
}

export interface JsonFile {
  path: string;
  errors: InputError[];
  counts: Counts;
  incidents: (Incident & { known?: boolean })[];
  examples: JsonExample[];
  time?: number;
  order?: number;
}

/** A `--json` report, as `mtest merge` and `--baseline` read it back. */
export interface JsonReport {
  id: string;
  randomSeed: number;
  time: number;
  totals: Counts;
  exitBits?: number;
  shard?: string;
  files: JsonFile[];
}

export class ReportError extends Error {}

const STATUSES = new Set<unknown>(['passed', 'failed', 'skipped', 'notrun']);

/** Read a `--json` report back; a file that is not one is a ReportError with one line. */
export function readJsonReport(file: string): JsonReport {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReportError(`${file}: ${code ? `cannot read (${code})` : `not JSON (${(err as Error).message.split('\n')[0]})`}`);
  }
  const report = raw as JsonReport;
  if (!report || typeof report !== 'object' || !Array.isArray(report.files)) throw new ReportError(`${file}: not an mtest --json report (no "files" list)`);
  for (const f of report.files) {
    if (!f || typeof f.path !== 'string' || !Array.isArray(f.examples) || !Array.isArray(f.incidents ?? []) || !Array.isArray(f.errors ?? [])) {
      throw new ReportError(`${file}: not an mtest --json report (a file entry without path or examples)`);
    }
    for (const ex of f.examples) {
      if (!ex || !STATUSES.has(ex.status) || typeof ex.outcome !== 'string') throw new ReportError(`${file}: not an mtest --json report (an example of ${f.path} without a status)`);
    }
  }
  return report;
}

export function jsonReport(summary: RunSummary, info: RunInfo): string {
  const files = summary.finished.map((t): JsonFile => ({
    path: t.file.path,
    time: summary.fileTimes.get(t.file.path),
    order: info.order?.get(t.file.path),
    errors: t.file.errors,
    counts: t.counts,
    incidents: t.incidents.map((inc) => (t.knownIncidents.has(inc) ? { ...inc, known: true } : inc)),
    examples: [...resultsOf(summary, t.file)].map(({ result }): JsonExample => {
      const ex = exampleAt(t.file, result.index);
      return {
        file: t.file.path,
        block: blockAt(t.file, result.index)?.name,
        ...(ex ? exampleLocation(ex) : {}),
        source: ex?.source,
        status: result.status,
        outcome: result.outcome,
        time: result.time,
        want: ex ? normalizeWant(ex.want) : undefined,
        got: result.got,
        note: result.note,
        rssDelta: result.rssDelta,
        known: t.known.has(result.index) || undefined,
      };
    }),
  }));
  const report: JsonReport = { id: info.id, randomSeed: info.randomSeed, time: info.time, totals: summary.totals, exitBits: info.exitBits, shard: info.shard, files };
  return JSON.stringify(report, null, 1) + '\n';
}

/** Every result of a file in index order (the summary keeps failures; passes are re-derived from counts). */
function* resultsOf(summary: RunSummary, file: SourceFile) {
  const all = summary.results.get(file) ?? [];
  for (const result of [...all].sort((a, b) => a.index - b.index)) yield { result };
}

/** Characters XML 1.0 does not allow in a document, even as references: C0 controls but tab and line ends, U+FFFE, U+FFFF, unpaired surrogates. */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text as XML attribute or element content; characters XML cannot hold are written as escapes (`\x01`, `\uffff`). */
function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(NOT_XML, escapeControl);
}

export function junitReport(summary: RunSummary, info: RunInfo): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const t = summary.totals;
  out.push(`<testsuites name="mtest" tests="${t.passed + t.failed + t.skipped + t.notrun}" failures="${t.failed}" skipped="${t.skipped + t.notrun}" time="${info.time.toFixed(3)}">`);
  for (const tally of summary.finished) {
    const file = tally.file;
    const c = tally.counts;
    const byIndex = new Map<number, Incident>();
    for (const inc of tally.incidents) if (inc.index !== undefined) byIndex.set(inc.index, inc);
    out.push(`  <testsuite name="${xml(file.path)}" tests="${c.passed + c.failed + c.skipped + c.notrun}" failures="${c.failed}" skipped="${c.skipped + c.notrun}">`);
    for (const { result } of resultsOf(summary, file)) {
      const ex = exampleAt(file, result.index);
      const name = `${blockAt(file, result.index)?.name ?? file.path}, ${ex ? exampleWhere(ex) : 'line ?'}`;
      const head = `    <testcase classname="${xml(file.path)}" name="${xml(name)}" file="${xml(file.path)}" line="${ex?.line ?? 0}" time="${result.time.toFixed(4)}"`;
      if (result.status === 'passed') out.push(`${head}/>`);
      else if (result.status === 'failed') {
        const text = formatFailure(file, result, byIndex.get(result.index));
        out.push(`${head}>`, `      <failure message="${xml(result.outcome)}">${xml(text)}</failure>`, '    </testcase>');
      } else out.push(`${head}>`, `      <skipped message="${xml(result.note ?? result.status)}"/>`, '    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

/**
 * A workflow command's data, escaped as GitHub documents (`%`, CR, LF); other control characters (an ANSI
 * escape in a file name) as text escapes, so that nothing of a name reaches the log raw.
 */
function ghEscape(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/g, escapeControl);
}

/** A workflow command's property value: `,` and `:` end it unless escaped. */
function ghProperty(s: string): string {
  return ghEscape(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** GitHub Actions workflow commands, one `::error` per failed example or incident. */
export function githubAnnotations(summary: RunSummary): string {
  const lines: string[] = [];
  for (const tally of summary.finished) {
    const file = tally.file;
    const byIndex = new Map<number, Incident>();
    for (const inc of tally.incidents) if (inc.index !== undefined) byIndex.set(inc.index, inc);
    for (const r of tally.failures) {
      // The line of the file (in a notebook, where the cell's source line is stored): the annotation lands there.
      const ex = exampleAt(file, r.index);
      const line = ex?.line ?? 1;
      const known = tally.known.has(r.index);
      // A known failure does not fail the job: a warning, so it stays visible in the diff view.
      const level = known ? 'warning' : 'error';
      const title = ghProperty(`mtest ${r.outcome}${ex?.cell === undefined ? '' : ` (${exampleWhere(ex)})`}${known ? ' (failed in baseline)' : ''}`);
      lines.push(`::${level} file=${ghProperty(file.path)},line=${line},title=${title}::${ghEscape(formatFailure(file, r, byIndex.get(r.index), { known }))}`);
    }
    for (const e of file.errors) lines.push(`::error file=${ghProperty(e.file)},line=${Math.max(1, e.line)},title=mtest bad input::${ghEscape(e.message)}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** `--format github`, or inside GitHub Actions (which sets GITHUB_ACTIONS=true) unless --format says otherwise. */
export function githubWanted(format: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return format === 'github' || (format === undefined && env.GITHUB_ACTIONS === 'true');
}

export interface MachineTargets {
  json?: string;
  junit?: string;
  html?: string;
  /**
   * The directory the paths are relative to (where mtest started): examples may change the working
   * directory before the reports are written. Messages name the paths as given.
   */
  base?: string;
}

/** What the --html page needs beyond the summary. */
export interface PageInputs {
  timeline: TimelineRecorder;
  memoryMarkMB: number;
}

/**
 * The files at the end of a run (or a merge): --json, --junit, --html (a run's: it needs the timeline),
 * each written atomically (a reader, or a later `mtest merge`, never sees half a report) and each whether
 * or not the others could be. Returns the exit bits of writing them and a line for each that could not be
 * written, for the caller to print before the footer (the closing line stays last).
 */
export function writeMachineReports(summary: RunSummary, info: RunInfo, targets: MachineTargets, page?: PageInputs): { bits: number; problems: string[] } {
  const problems: string[] = [];
  const write = (file: string | undefined, build: () => string): void => {
    if (!file) return;
    try {
      writeAtomically(targets.base === undefined ? file : path.resolve(targets.base, file), build());
    } catch (e) {
      problems.push(`cannot write report ${file}: ${reason(e)}`);
    }
  };
  write(targets.json, () => jsonReport(summary, info));
  write(targets.junit, () => junitReport(summary, info));
  if (page) write(targets.html, () => htmlReport(summary, info, page.timeline, { memoryMarkMB: page.memoryMarkMB }));
  return { bits: problems.length > 0 ? EXIT.usage : 0, problems };
}
