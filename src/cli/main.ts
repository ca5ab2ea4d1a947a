// The mtest command: sources → examples → schedule → execute → check → report, wired together here and
// nowhere else. Returns the exit status instead of exiting, so tests can call it.
import { randomBytes, randomInt } from 'node:crypto';
import { statSync } from 'node:fs';
import { availableParallelism, platform, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { RunEvents } from '../events.js';
import type { InputError, SourceFile } from '../model.js';
import { BUILTIN_ENGINE, isBuiltinEngine, loadPrelude } from '../execute/modules.js';
import { reportOutput, type Output } from '../report/output.js';
import { processAddon } from '../../runner/process-addon.js';
import { plural } from '../report/format.js';
import { RunReport, type ReportOptions, type ReportPlan, type RunIdentity } from '../report/run-report.js';
import { seconds } from '../report/format.js';
import type { TypecheckGate, TypecheckThread } from '../typecheck/gate.js';
import { EXIT } from '../report/tally.js';
import { StatusLine, type StatusStream } from '../report/status-line.js';
import { TraceReporter } from '../report/trace.js';
import type { RunnerOptions, RunnerOutcome } from '../../runner/options.js';
import type { BlasInfo } from '../../runner/protocol.js';
import type { PrestartedWorkers } from '../../runner/parent/pool.js';
import { WorkerStartError } from '../../runner/errors.js';
import { ConfigError, loadConfig, type FileConfig } from './config.js';
import { listExamples } from './list.js';
import { parseArgs, usage, type CliOptions, type ParsedArgs } from './options.js';
import { saveWorkers, WorkerHistory } from '../bisect/record.js';
import { collectSources, findSources, sourceLoader } from './collect.js';
import { pathToFileURL } from 'node:url';
import { planRun, type Plan } from '../schedule/index.js';

// mtest's own stdout and stderr, taken before any example runs: synchronous writes to private copies of
// descriptors 1 and 2, so the report never ends up inside an example's output capture, survives an example
// that closes those descriptors, and is out of the process before it exits.
export const stdio = reportOutput((fd) => processAddon()?.dup(fd) ?? -1);

function runId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}-${p(now.getMinutes())}-${p(now.getSeconds())}`;
  return `${date}-${randomBytes(3).toString('hex')}`;
}

/** The built-in engine's BLAS facts for the header; undefined when the engine is not in use or not built. */
async function blasInfo(prelude: string[]): Promise<BlasInfo | undefined> {
  if (!prelude.some(isBuiltinEngine)) return undefined;
  try {
    const engine = (await import(pathToFileURL(BUILTIN_ENGINE).href)) as { blasConfig?: () => BlasInfo };
    return engine.blasConfig?.();
  } catch {
    return undefined;
  }
}

/** Tags enabled without asking: the platform, and `engine` when the built-in engine loads. */
function detectedTags(blas: BlasInfo | undefined): string[] {
  const tags = [platform() as string];
  if (blas) tags.unshift('engine');
  return tags;
}

/**
 * `fileArguments`: how many paths were given when every one is a file (`mtest -t a.ts`), known before
 * discovery. The run then uses no more workers than that, and each worker's share of the machine (BLAS
 * threads, memory) follows: one file gets every core's BLAS thread instead of a share for idle workers.
 */
export function resolveOptions(cli: CliOptions, config: FileConfig, detected: string[], fileArguments?: number): RunnerOptions {
  const cpus = availableParallelism();
  const serial = Boolean(cli.serial || cli.debug);
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
    measureMemory: cli.traceMemory !== undefined || Boolean(cli.verbose || cli.debug),
    gdb: cli.gdb ?? true,
    serial,
    debug: Boolean(cli.debug),
    verbose: Boolean(cli.verbose || cli.debug),
    exitFirst: Boolean(cli.exitFirst),
    warnLong: cli.warnLong,
  };
}

async function runFiles(files: SourceFile[], options: RunnerOptions, events: RunEvents, prestarted: PrestartedWorkers | undefined, plan: ReportPlan): Promise<RunnerOutcome> {
  if (options.serial) {
    const { runSerial } = await import('../../runner/serial/serial.js');
    return runSerial(files, options, events, undefined, plan);
  }
  const { runWorkers } = await import('../../runner/parent/pool.js');
  return runWorkers(files, options, events, undefined, prestarted);
}

/** The number of paths when every one is a file; undefined when a directory (or nothing) is among them. */
function fileArgumentCount(paths: string[], cwd: string): number | undefined {
  const isFile = (p: string): boolean => {
    try {
      return statSync(resolve(cwd, p), { throwIfNoEntry: false })?.isFile() ?? false;
    } catch {
      return false; // unreadable: discovery reports it
    }
  };
  return paths.every(isFile) ? paths.length : undefined;
}

/**
 * Start the workers before the files are found and parsed, so that their boot overlaps that work. As many
 * as the run will use (see resolveOptions).
 */
async function prestartWorkers(cli: CliOptions, config: FileConfig, fileArguments: number | undefined): Promise<PrestartedWorkers | undefined> {
  const options = resolveOptions(cli, config, [], fileArguments);
  if (options.serial) return undefined;
  const { PrestartedWorkers, spawnOptions } = await import('../../runner/parent/pool.js');
  return new PrestartedWorkers(options.jobs, spawnOptions(options));
}

export async function main(argv: string[], io: Output = stdio, cwd = process.cwd()): Promise<number> {
  const args = parseArgs(argv);
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
    const { doctor } = await import('../../runner/doctor.js');
    io.out(await doctor());
    return 0;
  }
  if (args.command === 'merge') return mergeCommand(args.paths, args.options, io, cwd);
  let config: FileConfig;
  try {
    config = loadConfig(cwd).config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`mtest: ${err.message}\n`);
    return EXIT.usage;
  }
  // No paths: the configuration's `include` globs, applied to the working directory.
  if (args.paths.length === 0 && !config.include?.length) {
    io.err(`mtest: no paths given (try: mtest -t FILE, mtest examples/)\n`);
    return EXIT.usage;
  }
  let prestarted: PrestartedWorkers | undefined;
  let typecheck: TypecheckThread | undefined;
  try {
    // --typecheck loads TypeScript and its library in a thread while the files are found and parsed
    if (args.command === 'test' && args.options.typecheck) {
      const { TypecheckThread } = await import('../typecheck/gate.js');
      typecheck = new TypecheckThread({ cwd, prelude: args.options.prelude ?? config.prelude ?? ['builtin'] });
    }
    const fileArguments = args.paths.length > 0 ? fileArgumentCount(args.paths, cwd) : undefined;
    prestarted = args.command === 'test' ? await prestartWorkers(args.options, config, fileArguments) : undefined;
    const inputErrors = (errors: InputError[]): number => {
      for (const e of errors) io.err(`mtest: ${e.file}${e.line > 0 ? `:${e.line}` : ''}: ${e.message}\n`);
      return errors.length > 0 ? EXIT.usage : 0;
    };
    if (args.command === 'list') {
      const collected = await collectSources(args.paths, config, cwd);
      const inputBits = inputErrors(collected.errors);
      io.out(listExamples(collected.files, args.options.json !== undefined));
      return inputBits;
    }
    const found = await findSources(args.paths, config, cwd);
    const notes: string[] = [];
    const where = args.paths.length > 0 ? args.paths : config.include!;
    const load = sourceLoader(config, cwd);
    // one-line notices (a notebook of another language) set no exit bit
    const loaded: SourceFile[] = [];
    const loader = (path: string) => {
      const file = load(path);
      if (file) loaded.push(file);
      for (const e of file?.notices ?? []) notes.push(`mtest: ${e.file}${e.line > 0 ? `:${e.line}` : ''}: ${e.message}\n`);
      return file;
    };
    const plan = planRun(found.files, loader, scheduleOptions(args.options), where, cwd, (line) => notes.push(`mtest: ${line}\n`));
    // the problems of the files this run takes (a shard reports its own files' only; nothing to run: all)
    const inputBits = inputErrors([...found.errors, ...(typeof plan === 'number' ? loaded : plan.files).flatMap((f) => f.errors)]);
    for (const note of notes) io.err(note);
    if (typeof plan === 'number') return inputBits | plan;
    return inputBits | (await runTests(args.options, config, plan, io, fileArguments, inputBits !== 0, prestarted, cwd, typecheck));
  } catch (err) {
    if (!(err instanceof WorkerStartError)) throw err;
    io.err(`mtest: ${err.message}\n`);
    return EXIT.usage;
  } finally {
    typecheck?.close();
    await prestarted?.release();
  }
}

function headerLines(id: string, options: RunnerOptions, fileCount: number, blas: BlasInfo | undefined): string[] {
  const where = options.serial ? 'serially' : `using ${plural(options.jobs, 'worker')}`;
  const blasText = blas ? `BLAS: ${blas.library} ${blas.version}${blas.coretype ? ` (${blas.coretype} kernels)` : ''}, ${plural(options.blasThreads, 'thread')} per ${options.serial ? 'process' : 'worker'}` : 'BLAS: not loaded';
  return [
    `Running doctests with ID ${id}.`,
    `Using --optional=${options.optional.join(',')}  --random-seed=${options.randomSeed}`,
    `Doctesting ${plural(fileCount, 'file')} ${where} (${blasText}).`,
  ];
}

/** schedule → execute → report for the collected files; returns the exit bits of the run. */
async function runTests(
  cli: CliOptions,
  config: FileConfig,
  plan: Plan,
  io: Output,
  fileArguments: number | undefined,
  inputErrors: boolean,
  prestarted: PrestartedWorkers | undefined,
  cwd: string,
  typecheckThread?: TypecheckThread,
): Promise<number> {
  const startedAt = Date.now();
  const prelude = cli.prelude ?? config.prelude ?? ['builtin'];
  const serial = Boolean(cli.serial || cli.debug);
  // With workers, the first one names the engine's BLAS: it loads the prelude while this process parses.
  // Only if it could not does this process load the engine, just to name it, and never computes: one BLAS
  // thread, because OpenBLAS's extra threads spin for a while (~13 % of a core here) and would take CPU
  // from the workers. Workers get their own count explicitly.
  if (!serial) process.env.OPENBLAS_NUM_THREADS = '1';
  const ready = await prestarted?.ready();
  const blas = ready?.blas ?? (await blasInfo(prelude));
  const options = resolveOptions(cli, config, detectedTags(blas), fileArguments);
  const files = plan.files;

  const identity: RunIdentity = { id: runId(), randomSeed: options.randomSeed, startedAt };
  const reportOptions: ReportOptions = { json: cli.json, junit: cli.junit, format: cli.format, colour: colourWanted(io), baseline: cli.baseline && resolve(cwd, cli.baseline), shard: plan.shard, order: plan.order };
  // On a terminal, a live status line; every other line clears it first. Not with a trace (it is the status).
  const status = io === stdio && cli.status !== false && !options.verbose && StatusLine.wanted() ? new StatusLine(files.length, statusStream()) : undefined;
  const out: Output = status ? { out: status.wrap(io.out), err: status.wrap(io.err) } : io;
  const history = new WorkerHistory();
  const sinks: RunEvents[] = [history];
  if (status) sinks.push(status);
  if (options.verbose) sinks.push(new TraceReporter(io.out, !options.serial));
  const report = new RunReport(files, reportOptions, out, identity, sinks, plan.known);
  report.console.header(headerLines(identity.id, options, files.length, blas));

  let outcome: RunnerOutcome = { interrupted: false };
  let bits = 0;
  let typecheck: TypecheckGate | undefined;
  // A prelude that cannot be loaded would fail every example the same way: one line, and nothing runs.
  const preludeError = serial ? await preludeProblem(prelude) : ready?.preludeError;
  if (preludeError) {
    io.err(`mtest: ${preludeError}\n`);
    bits |= EXIT.usage;
  } else {
    if (options.serial && blas) await setSerialBlasThreads(options.blasThreads);
    const reportPlan: ReportPlan = { files, options: reportOptions, identity, inputErrors, fds: { out: stdio.stdout.fd, err: stdio.stderr.fd }, statsPath: plan.statsPath };
    try {
      let events = await fixing(cli, config, files, report.events, out, cwd);
      if (typecheckThread) {
        const { TypecheckGate } = await import('../typecheck/gate.js');
        typecheck = new TypecheckGate(events, files, typecheckThread.check(files, options));
        events = typecheck;
      }
      outcome = await runFiles(files, options, events, prestarted, reportPlan);
    } catch (err) {
      if (err instanceof WorkerStartError) {
        io.err(`mtest: ${err.message}\n`);
        bits |= EXIT.usage;
      } else {
        io.err(`mtest: internal error: ${(err as Error)?.stack ?? err}\n`);
        bits |= EXIT.internal;
      }
    }
  }
  if (typecheck) {
    if (outcome.interrupted) typecheck.abandon();
    const checked = await typecheck.done;
    if (checked.error) {
      io.err(`mtest: ${checked.error}\n`);
      if (!outcome.interrupted) bits |= EXIT.usage;
    } else {
      out.out(`Type-checked ${plural(checked.checked, 'example')} in ${seconds(checked.seconds)}: ${plural(checked.failed, 'example')} with type errors.\n`);
    }
  }
  status?.stop();
  bits |= report.finish({ interrupted: outcome.interrupted, inputErrors }, bits);
  const stored = plan.saveStats(report.summary);
  if (stored) io.err(`mtest: ${stored}\n`);
  recordWorkers(history, identity.id, options, outcome, io, cwd);
  return bits;
}

/** Under --serial the prelude is loaded here, before the first file: its error, if it cannot be. */
async function preludeProblem(prelude: string[]): Promise<string | undefined> {
  try {
    await loadPrelude(prelude);
    return undefined;
  } catch (err) {
    return (err as Error)?.message ?? String(err);
  }
}

function scheduleOptions(cli: CliOptions) {
  return { failed: cli.failed, new: cli.newOnly, baseline: cli.baseline, shard: cli.shard, randorder: cli.randorder, statsPath: cli.statsPath, passWithNoExamples: cli.passWithNoExamples };
}

/** Colour (diffs) only on a terminal, and not when NO_COLOR is set. */
function colourWanted(io: Output): boolean {
  return io === stdio && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

/** --fix: a filter in front of the reporters that rewrites wants when a file ends. */
async function fixing(cli: CliOptions, config: FileConfig, files: SourceFile[], events: RunEvents, out: Output, cwd: string): Promise<RunEvents> {
  if (!cli.fix) return events;
  const { FixingEvents } = await import('../fix/index.js');
  return new FixingEvents(files, events, { cwd, prompts: config.prompts, say: (line) => out.out(`${line}\n`) });
}

async function mergeCommand(paths: string[], cli: CliOptions, io: Output, cwd: string): Promise<number> {
  const [{ mergeReports }, { DEFAULT_STATS_PATH }] = await Promise.all([import('../report/merge.js'), import('../schedule/stats.js')]);
  return mergeReports(paths, cli, io, colourWanted(io), resolve(cwd, cli.statsPath ?? DEFAULT_STATS_PATH));
}

/** `.mtest/workers.json`, for `mtest bisect`; a run that cannot write it only says so. */
function recordWorkers(history: WorkerHistory, id: string, options: RunnerOptions, outcome: RunnerOutcome, io: Output, cwd: string): void {
  const problem = saveWorkers(cwd, history.record(id, options, outcome));
  if (problem) io.err(`mtest: ${problem}\n`);
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

async function setSerialBlasThreads(n: number): Promise<void> {
  try {
    const engine = (await import(pathToFileURL(BUILTIN_ENGINE).href)) as { setBlasThreads?: (n: number) => void };
    engine.setBlasThreads?.(n);
  } catch {
    // the header already said the engine is not loaded
  }
}

/** The live status line goes to mtest's own stderr, sized like the terminal. */
function statusStream(): StatusStream {
  return {
    write: (text: string) => stdio.err(text),
    isTTY: true,
    get columns() {
      return process.stderr.columns;
    },
  };
}
