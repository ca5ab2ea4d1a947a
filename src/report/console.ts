// The console report, modelled on `sage -t`. Each file's section is written when the file ends,
// so parallel workers never interleave; warnings go out at once (they matter while a run is slow).
import type { FileSummary, Incident, RunEvents } from '../events.js';
import { exampleAt, exampleWhere, type ExampleResult, type SourceFile } from '../model.js';
import { DASHES, formatFailure, formatIncident, linePath, plural, printable, rerunCommand, seconds, STARS } from './format.js';
import type { RunSummary } from './summary.js';
import { closingLine } from './tally.js';
import type { Output } from './output.js';
import type { RunEnd } from './run-report.js';

export type { Output } from './output.js';

export class ConsoleReporter implements RunEvents {
  constructor(
    private readonly summary: RunSummary,
    private readonly io: Output,
    /** ANSI colour in diffs: the output is a terminal. */
    private readonly colour = false,
    /** How the user started mtest, for the rerun lines (`npx mtest`). */
    private readonly command = 'mtest',
  ) {}

  header(lines: string[]): void {
    this.io.out(lines.join('\n') + '\n');
  }

  fileStart(): void {}
  exampleStart(): void {}
  exampleEnd(): void {}
  incident(): void {}

  warning(file: SourceFile, message: string, index?: number): void {
    const example = index === undefined ? undefined : exampleAt(file, index);
    const line = index === undefined ? '' : `, ${example ? exampleWhere(example) : 'line ?'}`;
    this.io.err(`Warning: ${printable(file.path)}${line}: ${message}\n`);
  }

  fileEnd(file: SourceFile, summary: FileSummary): void {
    const t = this.summary.tally(file);
    const out: string[] = [rerunCommand(this.command, file.path)];
    for (const e of file.errors) out.push(`${linePath(e.file)}:${e.line}: ${e.message}`);
    const byIndex = new Map<number, Incident>();
    for (const inc of t.incidents) if (inc.index !== undefined) byIndex.set(inc.index, inc);
    for (const r of t.failures) out.push(STARS, formatFailure(file, r, byIndex.get(r.index), { colour: this.colour, known: t.known.has(r.index), command: this.command }));
    const attached = new Set(t.failures.map((r: ExampleResult) => r.index));
    for (const inc of t.incidents) if (inc.index === undefined || !attached.has(inc.index)) out.push(STARS, formatIncident(file, inc, { known: t.knownIncidents.has(inc) }));
    if (t.failures.length > 0 || t.incidents.length > 0) out.push(STARS);
    const ran = t.counts.passed + t.counts.failed;
    const failed = t.counts.failed > 0 ? `, ${plural(t.counts.failed, 'failure')}` : '';
    const notrun = t.counts.notrun > 0 ? `, ${t.counts.notrun} not run` : '';
    out.push(`    [${plural(ran, 'test')}${failed}${notrun}, ${seconds(summary.time)}]`);
    this.io.out(out.join('\n') + '\n');
  }

  /** The end of the report: failing files, total time, and the closing line. */
  footer(totalSeconds: number, end: RunEnd): void {
    const lines = [DASHES];
    const failing = [...this.summary.finished].filter((t) => t.reason() !== undefined);
    const totals = this.summary.totals;
    const ran = totals.passed + totals.failed;
    if (end.interrupted) lines.push('mtest was interrupted; the results below are partial.');
    // Only a run that tested something and found nothing wrong passed.
    if (failing.length === 0 && !end.interrupted && !end.inputErrors && ran > 0 && totals.notrun === 0) lines.push('All tests passed!');
    else if (ran === 0 && !end.interrupted) lines.push(end.inputErrors ? 'No examples were run: see the errors above.' : 'No examples were run.');
    for (const t of failing) lines.push(`${rerunCommand(this.command, t.file.path)}  # ${t.reason()}`);
    lines.push(DASHES, `Total time for all tests: ${totalSeconds.toFixed(1)} seconds`, closingLine(this.summary.totals));
    this.io.out(lines.join('\n') + '\n');
  }
}
