// The run's options, resolved once from the command line, the configuration file and the machine; the
// result travels whole to every worker.
import { randomInt } from 'node:crypto';
import { statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { RunnerOptions } from '../../runner/options.js';
import type { FileConfig } from './config.js';
import type { CliOptions } from './options.js';

/** --serial and --debug run the examples inside mtest itself; every other mode in worker processes. */
export function runsExamplesInProcess(cli: CliOptions): boolean {
  return Boolean(cli.serial || cli.debug);
}

/**
 * `fileArguments`: how many paths were given when every one is a file (`mtest -t a.ts`), known before
 * discovery. The run then uses no more workers than that, and each worker's share of the machine (BLAS
 * threads, memory) follows: one file gets every core's BLAS thread instead of a share for idle workers.
 */
export function resolveOptions(cli: CliOptions, config: FileConfig, detected: string[], fileArguments?: number): RunnerOptions {
  const cpus = availableParallelism();
  const serial = runsExamplesInProcess(cli);
  const requested = serial ? 1 : (cli.jobs ?? config.jobs ?? cpus);
  const jobs = fileArguments === undefined ? requested : Math.max(1, Math.min(requested, fileArguments));
  return {
    optional: [...new Set([...detected, ...(cli.optional ?? config.optional ?? [])])],
    long: Boolean(cli.long),
    randomSeed: cli.randomSeed ?? randomInt(0, 2 ** 31 - 1),
    timeout: cli.timeout ?? config.timeout ?? 60,
    interruptSync: serial && !cli.debug,
    prelude: cli.prelude ?? config.prelude ?? ['builtin'],
    initial: Boolean(cli.initial),
    jobs,
    isolate: Boolean(cli.isolate),
    blasThreads: cli.blasThreads ?? Math.max(1, Math.floor(cpus / jobs)),
    fileTimeout: cli.fileTimeout ?? 600,
    memlimit: cli.memlimit ?? Math.floor(totalmem() / 1048576 / jobs),
    traceMemory: cli.traceMemory,
    // --html marks the examples that grew their process
    measureMemory: cli.traceMemory !== undefined || Boolean(cli.verbose || cli.debug || cli.html),
    gdb: cli.gdb ?? true,
    serial,
    debug: Boolean(cli.debug),
    verbose: Boolean(cli.verbose || cli.debug),
    exitFirst: Boolean(cli.exitFirst),
    warnLong: cli.warnLong,
  };
}

/** The number of paths when every one is a file; undefined when a directory (or nothing) is among them. */
export function fileArgumentCount(paths: string[], cwd: string): number | undefined {
  const isFile = (p: string): boolean => {
    try {
      return statSync(resolve(cwd, p), { throwIfNoEntry: false })?.isFile() ?? false;
    } catch {
      return false; // unreadable: discovery reports it
    }
  };
  return paths.every(isFile) ? paths.length : undefined;
}

