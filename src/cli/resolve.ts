// The run's options, resolved once from the command line, the configuration file and the machine; the
// result travels whole to every worker.
import { randomInt } from 'node:crypto';
import { statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { plural } from '../report/words.js';
import { resolve } from 'node:path';
import type { RunnerOptions } from '../options.js';
import type { FileConfig } from './config.js';
import type { CliOptions } from './options.js';

/** --serial and --debug run the examples inside mtest itself; every other mode in worker processes. */
export function runsExamplesInProcess(cli: CliOptions): boolean {
  return Boolean(cli.serial || cli.debug);
}

/**
 * What a worker holds before it runs anything, in MB: ~55 MB of RSS measured with the engine loaded.
 * Workers past what the machine's memory holds at this size would only swap or be killed.
 */
const WORKER_MB = 64;

/**
 * How many workers the run starts: as asked (-p, `jobs`, else one per CPU), but no more than the files to
 * test (`files`, when known before the workers start) nor than the memory holds. A cap on a number the
 * user gave comes with a one-line note saying why.
 */
export function workerCount(cli: CliOptions, config: FileConfig, files?: number): { jobs: number; note?: string } {
  if (runsExamplesInProcess(cli)) return { jobs: 1 };
  const requested = cli.jobs ?? config.jobs ?? availableParallelism();
  const byMemory = Math.max(1, Math.floor(totalmem() / 1048576 / WORKER_MB));
  let jobs = requested;
  let why = '';
  if (files !== undefined && files < jobs) {
    jobs = Math.max(1, files);
    why = `${plural(files, 'file')} to test`;
  }
  if (byMemory < jobs) {
    jobs = byMemory;
    why = `memory for ${byMemory}`;
  }
  const asked = cli.jobs !== undefined ? `-p ${cli.jobs}` : config.jobs !== undefined ? `jobs ${config.jobs}` : undefined;
  return { jobs, note: asked && jobs < requested ? `${asked}: ${plural(jobs, 'worker')} (${why})` : undefined };
}

/**
 * `files`: how many files the run has at most, known before the workers start (the paths when each is a
 * file, else what discovery found). The run then uses no more workers than that, and each worker's share
 * of the machine (BLAS threads, memory) follows: one file gets every core's BLAS thread instead of a share
 * for idle workers.
 */
export function resolveOptions(cli: CliOptions, config: FileConfig, detected: string[], files?: number): RunnerOptions {
  const cpus = availableParallelism();
  const serial = runsExamplesInProcess(cli);
  const { jobs } = workerCount(cli, config, files);
  return {
    optional: [...new Set([...detected, ...(cli.optional ?? config.optional ?? [])])],
    long: Boolean(cli.long),
    randomSeed: cli.randomSeed ?? randomInt(0, 2 ** 31 - 1),
    timeout: cli.timeout ?? config.timeout ?? 60,
    interruptSync: serial && !cli.debug,
    prelude: cli.prelude ?? config.prelude ?? ['builtin'],
    notebookPrelude: cli.prelude ?? config.prelude ?? [],
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

