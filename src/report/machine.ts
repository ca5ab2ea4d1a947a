// Machine-readable reports (SPEC §7): `--json FILE`, `--junit FILE`, and `--format github` annotations.
// All three are built from the run's events after the fact; none reaches into a runner.
import { writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { Incident } from '../events.js';
import { blockAt, exampleAt, exampleLocation, exampleWhere, type SourceFile } from '../model.js';
import { normalizeWant } from '../check/checker.js';
import type { RunSummary } from './summary.js';
import { formatFailure } from './format.js';

export interface RunInfo {
  id: string;
  randomSeed: number;
  time: number;
}

/** Write atomically: a reader (or a later `mtest merge`) never sees half a report. */
export function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function jsonReport(summary: RunSummary, info: RunInfo): string {
  const files = summary.finished.map((t) => ({
    path: t.file.path,
    errors: t.file.errors,
    counts: t.counts,
    incidents: t.incidents,
    examples: [...resultsOf(summary, t.file)].map(({ result }) => {
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
      };
    }),
  }));
  return JSON.stringify({ id: info.id, randomSeed: info.randomSeed, time: info.time, totals: summary.totals, files }, null, 1) + '\n';
}

/** Every result of a file in index order (the summary keeps failures; passes are re-derived from counts). */
function* resultsOf(summary: RunSummary, file: SourceFile) {
  const all = summary.results.get(file) ?? [];
  for (const result of [...all].sort((a, b) => a.index - b.index)) yield { result };
}

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
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

function ghEscape(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
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
      const title = ghProperty(ex?.cell === undefined ? `mtest ${r.outcome}` : `mtest ${r.outcome} (${exampleWhere(ex)})`);
      lines.push(`::error file=${file.path},line=${line},title=${title}::${ghEscape(formatFailure(file, r, byIndex.get(r.index)))}`);
    }
    for (const e of file.errors) lines.push(`::error file=${e.file},line=${Math.max(1, e.line)},title=mtest bad input::${ghEscape(e.message)}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
