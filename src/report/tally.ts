// Counts and exit status of a run, fed by the same events the reporters see.
import type { Incident } from '../events.js';
import { EXIT, incidentReason } from '../incidents.js';
import type { ExampleResult, SourceFile } from '../model.js';

export { EXIT, incidentBits } from '../incidents.js';

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  notrun: number;
}

export function emptyCounts(): Counts {
  return { passed: 0, failed: 0, skipped: 0, notrun: 0 };
}

export function addResult(counts: Counts, result: ExampleResult): void {
  counts[result.status]++;
}

/** The closing line: exactly `N passed, N failed, N skipped` (+ `, N not run` when some were not run). */
export function closingLine(c: Counts): string {
  const line = `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
  return c.notrun > 0 ? `${line}, ${c.notrun} not run` : line;
}

/** Exit bits contributed by one example result (incidents carry their own bits). */
export function resultBits(result: ExampleResult): number {
  if (result.status !== 'failed') return 0;
  if (result.outcome === 'timeout' || result.outcome === 'memory') return EXIT.timeout;
  if (result.outcome === 'crash') return 0;
  return EXIT.failure;
}

/** Per-file bookkeeping shared by reporters. */
export class FileTally {
  readonly counts = emptyCounts();
  readonly failures: ExampleResult[] = [];
  readonly incidents: Incident[] = [];
  /** Indices of failures, and incidents, that are known failures (`--baseline`). */
  readonly known = new Set<number>();
  readonly knownIncidents = new Set<Incident>();
  constructor(readonly file: SourceFile) {}

  add(result: ExampleResult): void {
    addResult(this.counts, result);
    if (result.status === 'failed') this.failures.push(result);
  }

  /** Sage's `# …` reason after the file in the summary, or undefined when the file passed. */
  reason(): string | undefined {
    const crash = this.incidents.find((i) => i.kind !== 'interrupted');
    if (crash) return incidentReason(crash) + (this.knownIncidents.has(crash) ? KNOWN : '');
    const failed = this.failures.filter((r) => r.outcome !== 'crash');
    if (failed.length > 0) {
      const known = failed.every((r) => this.known.has(r.index)) ? KNOWN : '';
      return `${failed.length} doctest${failed.length === 1 ? '' : 's'} failed${known}`;
    }
    if (this.file.errors.length > 0) return 'bad input';
    return undefined;
  }
}

/** What Sage appends to a failure that the baseline run had too. */
export const KNOWN = ' [failed in baseline]';
