// The end of a --serial run that its main thread cannot reach: the journal is replayed into a fresh report
// (muted: the main thread already wrote what it reflects), the example that was running ends with the
// incident, the rest of its file and every file not started are not run, and the report is finished as
// any run's is — failure block, summary, closing line, --json/--junit. Then the process ends with the run's
// exit bits, never by a signal of its own. Called from the watchdog thread, or from the main thread when
// mtest's own promises stopped settling.
//
// The report is the command's business, not the runner's: the command names, in plain data a thread can
// be given, the module that reopens its report (ReportReopener) and what that module needs.
import type { Incident, RunEvents } from '../../src/events.js';
import { blockEndAfter, closeRest, countExamples, exampleAt, exampleWhere, type ExampleResult, type SourceFile } from '../../src/model.js';
import { blockEndedNote, runningOutcome, serialEndedMessage } from '../../src/incidents.js';
import { readJournal } from './journal.js';
import { processAddon } from '../process-addon.js';

/** How the command finishes its report of a --serial run elsewhere: plain data. */
export interface ReportHandoff {
  /** URL of a module exporting `reopenReport` (ReportReopener). */
  module: string;
  /** What that module needs to rebuild the run's report; the runner only passes it on. */
  data: unknown;
  /** The descriptor mtest's own lines go to (its stderr). */
  reportFd: number;
}

/** The handoff with mtest's own umask (an example may have changed the process's). */
export type FinishPlan = ReportHandoff & { umask: number };

/** A report rebuilt from the journal, and how to end it. */
export interface ReopenedReport {
  /** Takes the run's events; muted until `live()` (the journal's part was written by the main thread). */
  events: RunEvents;
  live(): void;
  /** Writes a line of mtest's own to its stderr. */
  say(line: string): void;
  /** How many of a file's examples the report counts (a run may select some of them). */
  counted(file: SourceFile): number;
  /** Ends the report as every run's ends; returns the run's exit bits. */
  finish(end: { interrupted: boolean }): number;
}

/** What the module named by the handoff exports. */
export interface ReportReopener {
  reopenReport(files: SourceFile[], data: unknown): ReopenedReport;
}

/** Why the run ends here, as an incident of the file that was running (`index`: the running example). */
export interface Ending {
  incident: Incident;
  /** Seconds the running example had run. */
  elapsed?: number;
  /** Seconds the running file had run. */
  fileSeconds?: number;
}

/** Write the rest of the report from the journal; returns the run's exit bits. */
export async function finishFromJournal(journal: SharedArrayBuffer, plan: FinishPlan, ending: Ending): Promise<number> {
  // The report's files are written with mtest's umask, not one the stuck example set (from this thread too).
  processAddon()?.umask(plan.umask);
  const { reopenReport } = (await import(plan.module)) as ReportReopener;
  const contents = readJournal(journal);
  const report = reopenReport(contents.files, plan.data);
  const open = contents.replay(report.events);
  report.live();
  for (const line of contents.unreadable) report.say(`mtest: ${line}\n`);
  const { incident } = ending;
  if (open) {
    const index = incident.index;
    if (index !== undefined && !open.ended.has(index)) {
      const time = ending.elapsed ?? 0;
      const outcome = runningOutcome(incident);
      const result: ExampleResult = { index, status: outcome === 'notrun' ? 'notrun' : 'failed', outcome, note: incident.message, time };
      report.events.exampleEnd(open.file, result);
      open.ended.add(index);
    }
    report.events.incident(open.file, incident);
    const close = (result: ExampleResult): void => report.events.exampleEnd(open.file, result);
    const example = index === undefined ? undefined : exampleAt(open.file, index);
    // The rest of its block as in every mode; the rest of the file because this process cannot go on.
    if (example) closeRest(open.file, open.ended, close, { from: index! + 1, to: blockEndAfter(open.file, index!), note: blockEndedNote(exampleWhere(example)) });
    const before = open.ended.size;
    closeRest(open.file, open.ended, close);
    report.events.fileEnd(open.file, { time: ending.fileSeconds ?? 0, worker: 0 });
    if (incident.kind !== 'interrupted') {
      // What a worker would have gone on with: the rest of this file and every file after it.
      let lost = open.ended.size - before;
      for (const later of contents.files.slice(contents.files.indexOf(open.file) + 1)) lost += report.counted(later);
      if (lost > 0) report.say(`mtest: ${serialEndedMessage(lost, incident.kind === 'crash' ? incident.signal : undefined)}\n`);
    }
  } else {
    report.say(`mtest: ${incident.message}\n`);
  }
  return report.finish({ interrupted: incident.kind === 'interrupted' });
}
