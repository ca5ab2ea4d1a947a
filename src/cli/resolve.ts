// The run's options, resolved once from the command line (or the programmatic API, which is turned into
// one), the configuration file and the machine, by the option table (options.ts); the frozen result is
// what every stage reads.
import { statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { ResolvedOptions } from '../options.js';
import { plural } from '../report/words.js';
import type { FileConfig } from './config.js';
import { defaultOf, OPTIONS, optionSpec, type CliOptions, type DefaultContext } from './options.js';

/** --serial and --debug run the examples inside mtest itself; every other mode in worker processes. */
export function runsExamplesInProcess(cli: CliOptions): boolean {
  return Boolean(cli.serial || cli.debug);
}

/**
 * What a worker holds before it runs anything, in MB: ~55 MB of RSS measured with the engine loaded.
 * Workers past what the machine's memory holds at this size would only swap or be killed.
 */
const WORKER_MB = 64;

/** The machine facts computed defaults depend on. */
export type Machine = Omit<DefaultContext, 'jobs'>;

function thisMachine(): Machine {
  return { cpus: availableParallelism(), totalMB: totalmem() / 1048576 };
}

/** The value given for `key`: the command line's, else the configuration file's when it may set it. */
function given(cli: CliOptions, config: FileConfig, key: keyof CliOptions): unknown {
  const value = cli[key];
  if (value !== undefined || !optionSpec(key)?.config) return value;
  return (config as Record<string, unknown>)[key];
}

/**
 * How many workers the run starts: as asked (-p, `jobs`, else the table's default), but no more than the
 * files to test (`files`, when known before the workers start) nor than the memory holds. A cap on a number
 * the user gave comes with a one-line note saying why.
 */
export function workerCount(cli: CliOptions, config: FileConfig, files?: number, machine: Machine = thisMachine()): { jobs: number; note?: string } {
  if (runsExamplesInProcess(cli)) return { jobs: 1 };
  const requested = (given(cli, config, 'jobs') ?? defaultOf(optionSpec('jobs')!, { ...machine, jobs: 1 })) as number;
  const byMemory = Math.max(1, Math.floor(machine.totalMB / WORKER_MB));
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The options of one run: every option of the table takes the command line's value, else the
 * configuration file's (where it may set one), else the table's default; the rest follows from them.
 * `files`: how many files the run has at most, known before the workers start (the paths when each is a
 * file, else what discovery found). The run then uses no more workers than that, and each worker's share
 * of the machine (BLAS threads, memory) follows: one file gets every core's BLAS thread instead of a share
 * for idle workers.
 */
export function resolveOptions(cli: CliOptions, config: FileConfig, files?: number, machine: Machine = thisMachine()): ResolvedOptions {
  const { jobs, note } = workerCount(cli, config, files, machine);
  const context: DefaultContext = { ...machine, jobs };
  const values: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    if (spec.names.length === 0) continue; // the configuration's own keys are read by the sources stage
    const key = spec.key as keyof CliOptions;
    values[key] = given(cli, config, key) ?? defaultOf(spec, context);
  }
  const debug = values.debug as boolean;
  const serial = runsExamplesInProcess(cli);
  const verbose = Boolean(values.verbose || debug);
  const options = {
    ...(values as Omit<ResolvedOptions, 'jobs' | 'serial' | 'verbose' | 'interruptSync' | 'notebookPrelude' | 'measureMemory' | 'workersNote'>),
    optional: [...new Set(values.optional as string[])],
    jobs,
    serial,
    verbose,
    interruptSync: serial && !debug,
    // a notebook's kernel starts with nothing but its globals unless a prelude is named
    notebookPrelude: (given(cli, config, 'prelude') as string[] | undefined) ?? [],
    // --html marks the examples that grew their process
    measureMemory: values.traceMemory !== undefined || verbose || Boolean(values.html),
    workersNote: note,
  } satisfies ResolvedOptions;
  return deepFreeze(options);
}

/**
 * The options with the tags detected once the first worker (or the engine) answered: the platform, and
 * `engine` when the built-in engine loads. The only field added after the resolve, because it is known
 * only once the workers the resolved options started are up.
 */
export function withDetectedTags(options: ResolvedOptions, detected: string[]): ResolvedOptions {
  return deepFreeze({ ...options, optional: [...new Set([...detected, ...options.optional])] });
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

