// The mtest command: reads the command line and the configuration, starts the workers, then hands over to
// the command itself (run.ts wires the stages: sources → examples → schedule → execute → check → report).
// Everything the run needs beyond starting workers is loaded only after they are starting, so that their
// boot overlaps loading it. Returns the exit status instead of exiting, so tests can call it.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { Output } from '../report/output.js';
import { EXIT } from '../incidents.js';
import type { TypecheckThread } from '../typecheck/gate.js';
import type { Discovered } from '../sources/discover.js';
import type { PrestartedWorkers } from '../../runner/parent/pool.js';
import type { RunObserver } from './run.js';
import { ConfigError, loadConfig, type FileConfig } from './config.js';
import { colourWanted, commandName, stdio } from './io.js';
import { parseArgs, usage, type CliOptions, type ParsedArgs } from './options.js';
import { fileArgumentCount, resolveOptions, runsExamplesInProcess } from './resolve.js';
import type { ResolvedOptions } from '../options.js';
import { splitTargets } from '../schedule/selection.js';

export { stdio };

/**
 * Start the workers before the files are parsed, so that their boot overlaps that work. As many as the
 * run will use (see resolveOptions).
 */
async function prestartWorkers(options: ResolvedOptions): Promise<PrestartedWorkers | undefined> {
  if (options.serial) return undefined;
  const { PrestartedWorkers, spawnOptions } = await import('../../runner/parent/pool.js');
  return new PrestartedWorkers(options.jobs, spawnOptions(options));
}

/**
 * For a process that runs no example itself (every mode but --serial and --debug): V8's young generation
 * stays at its first size. It otherwise doubles up to 16 MiB of semi-spaces while the parsed documents and
 * the results survive its collections, which only raises the peak RSS. Where examples run, a small young
 * generation costs CPU, so that process keeps V8's default (figures: test/bench/README.md). V8 reads the
 * factor each time it would grow the space.
 */
function keepYoungGenerationSmall(args: ParsedArgs): void {
  if (runsExamplesInProcess(args.options)) return;
  setFlagsFromString('--semi-space-growth-factor=1');
}

export async function main(argv: string[], io: Output = stdio, cwd = process.cwd(), observe?: RunObserver): Promise<number> {
  const args = parseArgs(argv);
  keepYoungGenerationSmall(args);
  if (args.errors.length > 0) {
    for (const e of args.errors) io.err(`mtest: ${e}\n`);
    return EXIT.usage;
  }
  if (args.command === 'help') {
    io.out(usage());
    return 0;
  }
  if (args.command === 'version') {
    io.out('mtest 0.1.0\n');
    return 0;
  }
  if (args.command === 'bisect') return bisectCommand(args, io, cwd);
  if (args.command === 'doctor') {
    const { doctor } = await import('./doctor.js');
    io.out(await doctor(resolveOptions({}, {})));
    return 0;
  }
  if (args.command === 'merge') return mergeCommand(args.paths, args.options, io, cwd);
  const split = splitTargets(args.paths, cwd);
  args.paths = split.paths;
  args.targets = split.targets;
  let config: FileConfig;
  try {
    config = loadConfig(cwd).config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`mtest: ${err.message}\n`);
    return EXIT.usage;
  }
  // No paths: the configuration's `include` globs, applied to the working directory; with --failed, the
  // files of the stored runs.
  if (args.paths.length === 0 && !config.include?.length) {
    const stored = args.options.failed ? await storedPaths(args.options, cwd) : [];
    if (stored.length === 0) {
      io.err(`mtest: ${noPathsHint(cwd, args.options.failed)}\n`);
      return EXIT.usage;
    }
    args.paths.push(...stored);
  }
  if (args.options.watch) {
    if (args.options.typecheck) {
      io.err('mtest: --watch does not take --typecheck (run it once: mtest --typecheck PATH)\n');
      return EXIT.usage;
    }
    return (await import('../watch/index.js')).watch(args, config, io, cwd, { clear: args.options.clear });
  }
  let prestarted: PrestartedWorkers | undefined;
  let typecheck: TypecheckThread | undefined;
  try {
    // How many files the run has at most, before any worker starts (no more workers than files): the
    // paths when each is a file, else what discovery finds (walking a tree takes milliseconds; it is not
    // walked again).
    let files = args.paths.length > 0 ? fileArgumentCount(args.paths, cwd) : undefined;
    let found: Discovered | undefined;
    if (args.command === 'test' && files === undefined && !runsExamplesInProcess(args.options)) {
      const { findSources } = await import('./find.js');
      found = await findSources(args.paths, config, cwd);
      files = found.files.length;
    }
    const options = resolveOptions(args.options, config, files);
    // --typecheck loads TypeScript and its library in a thread while the files are parsed
    if (args.command === 'test' && options.typecheck) {
      const problem = (await import('../typecheck/load.js')).typescriptProblem(cwd);
      if (problem) {
        io.err(`mtest: ${problem}\n`);
        return EXIT.usage;
      }
      const { TypecheckThread } = await import('../typecheck/gate.js');
      typecheck = new TypecheckThread({ cwd, prelude: options.prelude });
    }
    prestarted = args.command === 'test' ? await prestartWorkers(options) : undefined;
    const { runCommand } = await import('./run.js');
    return await runCommand(args, config, io, cwd, options, prestarted, typecheck, observe, found);
  } catch (err) {
    // imported here: main reaches no runner/parent module before the workers have started
    const { WorkerStartError } = await import('../../runner/parent/worker-handle.js');
    if (!(err instanceof WorkerStartError)) throw err;
    io.err(`mtest: ${err.message}\n`);
    return EXIT.usage;
  } finally {
    typecheck?.close();
    await prestarted?.release();
  }
}

/** The files the stored timings know that are still there: what `--failed` alone reruns from. */
async function storedPaths(cli: CliOptions, cwd: string): Promise<string[]> {
  const { defaultStatsPath, readStats } = await import('../schedule/stats.js');
  const file = cli.statsPath !== undefined ? resolve(cwd, cli.statsPath) : defaultStatsPath(cwd);
  return Object.keys(readStats(file, cwd).stats.files).filter((name) => existsSync(resolve(cwd, name)));
}

/** What to try when no path was given: the folders of this project where documents usually are. */
function noPathsHint(cwd: string, failed?: boolean): string {
  const command = commandName();
  const folders = ['docs', 'doc', 'src', 'lib', 'notebooks', 'examples'].filter((d) => existsSync(join(cwd, d)));
  const tries = [...folders.map((d) => `${command} ${d}/`), `${command} -t FILE`];
  const why = failed ? 'no paths given, and no stored run to take them from' : 'no paths given';
  return `${why} (try: ${tries.join(', ')})`;
}

async function mergeCommand(paths: string[], cli: CliOptions, io: Output, cwd: string): Promise<number> {
  const [{ mergeReports }, { defaultStatsPath }] = await Promise.all([import('../report/merge.js'), import('../schedule/stats.js')]);
  return mergeReports(paths, { ...cli, command: commandName() }, io, colourWanted(io), cli.statsPath !== undefined ? resolve(cwd, cli.statsPath) : defaultStatsPath(cwd), cwd);
}

/** `mtest bisect FILE:LINE [--serial]`. */
async function bisectCommand(args: ParsedArgs, io: Output, cwd: string): Promise<number> {
  const others = Object.keys(args.options).filter((key) => key !== 'serial');
  if (args.paths.length !== 1 || others.length > 0) {
    io.err('mtest: usage: mtest bisect FILE:LINE [--serial]\n');
    return EXIT.usage;
  }
  const { bisect } = await import('../bisect/index.js');
  return bisect(args.paths[0], Boolean(args.options.serial), io, cwd);
}

