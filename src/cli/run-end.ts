// How the test command ends a run's report, whoever ends it: what the run leaves behind once its results
// are complete (the stored timings, the workers' record `mtest bisect` reads), and the report of a --serial
// run rebuilt elsewhere — its watchdog thread, or its main thread once mtest's own promises stopped
// settling — which the runner loads by this module's URL (a thread can be given data, not a callback).
import type { RunnerOptions, RunnerOutcome } from '../options.js';
import type { ReopenedReport, ReportHandoff, ReportReopener } from '../../runner/serial/finish.js';
import { count, flag, list, mapOf, num, oneOf, optional, shape, text } from '../checks.js';
import { isRunnerOptions } from '../../runner/protocol.js';
import { saveWorkers, WorkerHistory } from '../bisect/record.js';
import { countExamples, type FileSubset, type SourceFile } from '../model.js';
import type { Output } from '../report/output.js';
import { DescriptorWriter } from '../util/descriptor-write.js';
import { RunReport, type ReportOptions, type ReportPlan, type RunIdentity } from '../report/run-report.js';
import type { RunSummary } from '../report/summary.js';
import { Baseline } from '../report/baseline.js';
import { statsProblem, storeStats } from '../schedule/stats.js';

/** What a --serial run's report needs to be rebuilt from its journal: plain data. */
export interface ReopenData {
  report: ReportPlan;
  runner: RunnerOptions;
  /** Where mtest started: the stored timings and the workers' record are relative to it. */
  cwd: string;
}

/** ReopenData as the watchdog thread was given it: checked, as anything crossing a thread boundary. */
const isReopenData = shape<ReopenData>({
  report: shape<ReportPlan>({
    options: shape<ReportOptions>({
      json: optional(text),
      junit: optional(text),
      base: optional(text),
      format: optional(oneOf('console', 'github')),
      colour: flag,
      baseline: optional(text),
      shard: optional(text),
      order: optional(mapOf(count)),
      command: optional(text),
      keepResults: optional(flag),
      html: optional(text),
      memoryMarkMB: optional(num),
      subsets: optional(mapOf(shape<FileSubset>({ run: list(count), counted: list(count) }))),
      replayed: optional(flag),
    }),
    identity: shape<RunIdentity>({ id: text, randomSeed: num, startedAt: num }),
    inputErrors: flag,
    fds: shape({ out: count, err: count }),
    statsPath: optional(text),
  }),
  runner: isRunnerOptions,
  cwd: text,
});

/** The stored timings (`statsPath`; undefined: none are stored) and the workers' record, once the run ended. */
export function leftBehind(
  summary: RunSummary, history: WorkerHistory, run: { id: string; statsPath?: string; runner: RunnerOptions; outcome: RunnerOutcome; cwd: string },
): (string | undefined)[] {
  const problems = [saveWorkers(run.cwd, history.record(run.id, run.runner, run.outcome, run.cwd))];
  if (run.statsPath !== undefined) {
    try {
      storeStats(run.statsPath, summary, run.cwd);
    } catch (err) {
      problems.push(statsProblem(run.statsPath, err));
    }
  }
  return problems;
}

/** The handoff the --serial runner is given: this module, and `data`. */
export function reportHandoff(data: ReopenData): ReportHandoff {
  return { module: import.meta.url, data, reportFd: data.report.fds.err };
}

/** ReportReopener: the run's report again, fed the journal by the runner, ended as every run's is. */
export const reopenReport: ReportReopener['reopenReport'] = (files: SourceFile[], given: unknown): ReopenedReport => {
  if (!isReopenData(given)) throw new TypeError('the report data handed to the --serial watchdog is not the command\'s');
  const { report: plan, runner, cwd } = given;
  const stdout = new DescriptorWriter(plan.fds.out);
  const stderr = new DescriptorWriter(plan.fds.err);
  let muted = true;
  const io: Output = {
    out: (text) => muted || stdout.write(text),
    err: (text) => muted || stderr.write(text),
  };
  const history = new WorkerHistory();
  const report = new RunReport(files, plan.options, io, plan.identity, [history], knownFailures(plan.options.baseline, io));
  return {
    events: report.events,
    live: () => (muted = false),
    say: (line) => stderr.write(line),
    counted: (file) => plan.options.subsets?.get(file.path)?.counted.length ?? countExamples(file),
    finish: ({ interrupted }) =>
      report.finish({ interrupted, inputErrors: plan.inputErrors }, 0, () =>
        leftBehind(report.summary, history, { id: plan.identity.id, statsPath: plan.statsPath, runner, outcome: { interrupted }, cwd }),
      ),
  };
};

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
