// --baseline FILE: an earlier --json report. A failure (or incident) at an example whose file and source
// text failed there too is a known failure: reported as such, no exit bit. Lines may have moved since; the
// source identifies the example.
import type { Incident } from '../events.js';
import { exampleAt, type SourceFile } from '../model.js';
import { readJsonReport } from './machine.js';
import type { KnownFailures } from './summary.js';

const key = (path: string, source: string): string => `${path}\0${source}`;

export class Baseline implements KnownFailures {
  private readonly failing = new Set<string>();
  /** Files with an incident no example carries (a worker that died between examples). */
  private readonly fileIncidents = new Set<string>();

  /** Throws ReportError (one line) when FILE is not a --json report. */
  constructor(file: string) {
    const report = readJsonReport(file);
    for (const entry of report.files) {
      for (const ex of entry.examples) if (ex.status === 'failed' && ex.source !== undefined) this.failing.add(key(entry.path, ex.source));
      for (const inc of entry.incidents ?? []) if (inc.index === undefined && inc.kind !== 'interrupted') this.fileIncidents.add(entry.path);
    }
  }

  example(file: SourceFile, index: number): boolean {
    const ex = exampleAt(file, index);
    return ex !== undefined && this.failing.has(key(file.path, ex.source));
  }

  incident(file: SourceFile, incident: Incident): boolean {
    return incident.index === undefined ? this.fileIncidents.has(file.path) : this.example(file, incident.index);
  }
}
