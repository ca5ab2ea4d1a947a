// The programmatic API: `import { run } from 'mtest-doctest'`. A run is the command line's run (same
// options, checks, workers and report), with the report captured instead of printed unless asked.
import { resolve } from 'node:path';
import type { RunReport } from './report/run-report.js';
import type { JsonReport } from './report/machine.js';
import type { CliOptions } from './cli/options.js';
import type { Output } from './report/output.js';

export type { JsonReport, JsonFile, JsonExample } from './report/machine.js';

/** The command line's long options in camelCase (`--file-timeout 9` is `fileTimeout: 9`). */
export type RunOptions = Omit<CliOptions, 'shard' | 'watch' | 'clear'> & {
  /** `--shard i/n`: `'2/4'` or `{ index: 2, count: 4 }`. */
  shard?: string | { index: number; count: number };
  /**
   * The working directory the paths, the configuration and `.mtest/` are found from (default: the
   * process's). The process works from it while the run lasts, as the command would.
   */
  cwd?: string;
  /** Also write the report to this process's stdout and stderr as it is made (default: only captured). */
  echo?: boolean;
};

export interface RunResult {
  passed: number;
  failed: number;
  skipped: number;
  notRun: number;
  /** The command's exit status: 0, or the OR of 1 failure, 2 usage, 4 timeout, 8 bad exit, 16 signal, 64 internal, 128 interrupted. */
  exitCode: number;
  /** The console report (stdout), and mtest's one-line messages (stderr). */
  output: string;
  errors: string;
  /** Every example's result, as `--json` writes it; undefined when nothing ran (bad options, no examples). */
  report?: JsonReport;
}

/** Run the examples of `paths` (files or folders) as `mtest PATH…` would. Rejects only on mtest's own errors. */
export async function run(paths: string[] = [], options: RunOptions = {}): Promise<RunResult> {
  const { cwd = process.cwd(), echo = false, ...cli } = options;
  const [{ main }, { argsFromOptions }] = await Promise.all([import('./cli/main.js'), import('./cli/options.js')]);
  let output = '';
  let errors = '';
  const io: Output = {
    out: (text) => {
      output += text;
      if (echo) process.stdout.write(text);
    },
    err: (text) => {
      errors += text;
      if (echo) process.stderr.write(text);
    },
  };
  // --watch never ends by itself: it is the command line's.
  const { watch: _watch, clear: _clear, ...rest } = cli as RunOptions & { watch?: unknown; clear?: unknown };
  const { argv, errors: optionErrors } = argsFromOptions(rest as Record<string, unknown>);
  if (_watch !== undefined || _clear !== undefined) optionErrors.push("watch is for the command line (mtest --watch); run() runs once");
  if (optionErrors.length > 0) {
    for (const e of optionErrors) io.err(`mtest: ${e}\n`);
    return { passed: 0, failed: 0, skipped: 0, notRun: 0, exitCode: 2, output, errors };
  }
  // The run works from `cwd` as the command does from where it is started: this process's working directory
  // (which the workers inherit) is `cwd` until the run ends.
  const started = process.cwd();
  const target = resolve(started, cwd);
  if (target !== started) {
    try {
      process.chdir(target);
    } catch (err) {
      io.err(`mtest: run(): cannot work from ${target}: ${(err as Error).message}\n`);
      return { passed: 0, failed: 0, skipped: 0, notRun: 0, exitCode: 2, output, errors };
    }
  }
  let finished: RunReport | undefined;
  let exitCode: number;
  try {
    exitCode = await main(['test', ...argv, '--', ...paths], io, target, (report) => (finished = report));
  } finally {
    if (target !== started) process.chdir(started);
  }
  const totals = finished?.summary.totals;
  return {
    passed: totals?.passed ?? 0,
    failed: totals?.failed ?? 0,
    skipped: totals?.skipped ?? 0,
    notRun: totals?.notrun ?? 0,
    exitCode,
    output,
    errors,
    report: finished?.json(),
  };
}
