// The end of a --serial run that its main thread cannot reach: the journal is replayed into a fresh report
// (muted: the main thread already wrote what it reflects), the example that was running ends with the
// incident, the rest of its file and every file not started are not run, and the report is finished as
// any run's is — failure block, summary, closing line, --json/--junit. Then the process ends with the run's
// exit bits, never by a signal of its own. Called from the watchdog thread, or from the main thread when
// mtest's own promises stopped settling.
import type { Incident } from '../../src/events.js';
import { blockEndAfter, closeRest, countExamples, exampleAt, exampleWhere, type ExampleResult } from '../../src/model.js';
import { blockEndedNote, serialEndedMessage } from '../../src/incidents.js';
import { ReportWriter, type Output } from '../../src/report/output.js';
import { RunReport, type ReportPlan } from '../../src/report/run-report.js';
import { readJournal } from './journal.js';
import { processAddon } from '../process-addon.js';
import { saveWorkers, WorkerHistory } from '../../src/bisect/record.js';
import type { RunnerOptions } from '../options.js';
import { Baseline } from '../../src/schedule/baseline.js';
import { statsProblem, storeStats } from '../../src/schedule/stats.js';

/**
 * The report's plan without the files (the journal holds them), with the run's options and working
 * directory for the record `mtest bisect` reads, and mtest's own umask (an example may have changed it).
 */
export type FinishPlan = Omit<ReportPlan, 'files'> & { runner: RunnerOptions; cwd: string; umask: number };

/** Why the run ends here, as an incident of the file that was running (`index`: the running example). */
export interface Ending {
  incident: Incident;
  /** Seconds the running example had run. */
  elapsed?: number;
  /** Seconds the running file had run. */
  fileSeconds?: number;
}

/** Write the rest of the report from the journal; returns the run's exit bits. */
export function finishFromJournal(journal: SharedArrayBuffer, plan: FinishPlan, ending: Ending): number {
  // The report's files are written with mtest's umask, not one the stuck example set (from this thread too).
  processAddon()?.umask(plan.umask);
  const stdout = new ReportWriter(plan.fds.out);
  const stderr = new ReportWriter(plan.fds.err);
  let muted = true;
  const io: Output = {
    out: (text) => muted || stdout.write(text),
    err: (text) => muted || stderr.write(text),
  };
  const contents = readJournal(journal);
  const history = new WorkerHistory();
  const report = new RunReport(contents.files, plan.options, io, plan.identity, [history], knownFailures(plan.options.baseline, io));
  const open = contents.replay(report.events);
  muted = false;
  const { incident } = ending;
  if (open) {
    const index = incident.index;
    if (index !== undefined && !open.ended.has(index)) {
      const time = ending.elapsed ?? 0;
      const result: ExampleResult =
        incident.kind === 'interrupted'
          ? { index, status: 'notrun', outcome: 'notrun', note: incident.message, time }
          : { index, status: 'failed', outcome: incident.kind === 'memory' ? 'memory' : incident.kind === 'crash' ? 'crash' : 'timeout', note: incident.message, time };
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
      for (const later of contents.files.slice(contents.files.indexOf(open.file) + 1)) lost += plan.options.subsets?.get(later.path)?.counted.length ?? countExamples(later);
      if (lost > 0) stderr.write(`mtest: ${serialEndedMessage(lost, incident.kind === 'crash' ? incident.signal : undefined)}\n`);
    }
  } else {
    stderr.write(`mtest: ${incident.message}\n`);
  }
  const store = (): (string | undefined)[] => {
    const problems = [saveWorkers(plan.cwd, history.record(plan.identity.id, plan.runner, { interrupted: incident.kind === 'interrupted' }))];
    if (plan.statsPath) {
      try {
        storeStats(plan.statsPath, report.summary);
      } catch (err) {
        problems.push(statsProblem(plan.statsPath, err));
      }
    }
    return problems;
  };
  const bits = report.finish({ interrupted: incident.kind === 'interrupted', inputErrors: plan.inputErrors }, 0, store);
  return bits;
}

/** The run's --baseline, read again here (its failures are known ones). */
function knownFailures(baseline: string | undefined, io: Output): Baseline | undefined {
  if (!baseline) return undefined;
  try {
    return new Baseline(baseline);
  } catch (err) {
    io.err(`mtest: ${(err as Error).message}\n`);
    return undefined;
  }
}
