// The mtest command: sources → examples → schedule → execute → check → report, wired together here and
// nowhere else. Returns the exit status (SPEC §7) instead of exiting, so tests can call it.
import { randomBytes, randomInt } from 'node:crypto';
import { statSync } from 'node:fs';
import { availableParallelism, platform, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { RunEvents } from '../events.js';
import { countExamples, type SourceFile } from '../model.js';
import { BUILTIN_ENGINE, isBuiltinEngine } from '../execute/modules.js';
import { ConsoleReporter, type Output } from '../report/console.js';
import { plural, seconds } from '../report/format.js';
import type { TypecheckGate, TypecheckThread } from '../typecheck/gate.js';
import { seededRandom } from '../execute/namespace.js';
import { githubAnnotations, jsonReport, junitReport, writeAtomically } from '../report/machine.js';
import { EventFanout, RunSummary } from '../report/summary.js';
import { EXIT } from '../report/tally.js';
import { StatusLine } from '../report/status-line.js';
import { TraceReporter } from '../report/trace.js';
import type { RunnerOptions, RunnerOutcome } from '../../runner/options.js';
import type { BlasInfo } from '../../runner/protocol.js';
import type { PrestartedWorkers } from '../../runner/pool.js';
import { WorkerStartError } from '../../runner/errors.js';
import { ConfigError, loadConfig, type FileConfig } from './config.js';
import { listExamples } from './list.js';
import { parseArgs, usage, type CliOptions } from './options.js';
import { collectSources } from './collect.js';
import { pathToFileURL } from 'node:url';

// The streams' own write functions, taken before any example runs: an example's output capture replaces
// process.stdout.write while it runs, and the report must never end up inside an example's output.
const writeOut = process.stdout.write.bind(process.stdout);
const writeErr = process.stderr.write.bind(process.stderr);
export const stdio: Output = {
  out: (t) => void writeOut(t),
  err: (t) => void writeErr(t),
};

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
    optional: new Set([...detected, ...(cli.optional ?? config.optional ?? [])]),
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
    gdb: cli.gdb ?? true,
    serial,
    debug: Boolean(cli.debug),
    verbose: Boolean(cli.verbose || cli.debug),
    exitFirst: Boolean(cli.exitFirst),
    warnLong: cli.warnLong,
  };
}

/** Deterministic shuffle for --randorder (the same generator that reseeds Math.random in examples). */
function shuffle<T>(items: T[], seed: number): T[] {
  const rand = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

async function runFiles(files: SourceFile[], options: RunnerOptions, events: RunEvents, prestarted?: PrestartedWorkers): Promise<RunnerOutcome> {
  if (options.serial) {
    const { runSerial } = await import('../../runner/serial.js');
    return runSerial(files, options, events);
  }
  const { runWorkers } = await import('../../runner/pool.js');
  return runWorkers(files, options, events, undefined, prestarted);
}

/** The number of paths when every one is a file; undefined when a directory (or nothing) is among them. */
function fileArgumentCount(paths: string[], cwd: string): number | undefined {
  return paths.every((p) => statSync(resolve(cwd, p), { throwIfNoEntry: false })?.isFile()) ? paths.length : undefined;
}

/**
 * Start the workers before the files are found and parsed, so that their boot overlaps that work. As many
 * as the run will use (see resolveOptions).
 */
async function prestartWorkers(cli: CliOptions, config: FileConfig, fileArguments: number | undefined): Promise<PrestartedWorkers | undefined> {
  const options = resolveOptions(cli, config, [], fileArguments);
  if (options.serial) return undefined;
  const { PrestartedWorkers, spawnOptions } = await import('../../runner/pool.js');
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
  if (args.command === 'doctor') {
    const { doctor } = await import('../../runner/doctor.js');
    io.out(await doctor());
    return 0;
  }
  let config: FileConfig;
  try {
    config = loadConfig(cwd).config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`mtest: ${err.message}\n`);
    return EXIT.usage;
  }
  if (args.paths.length === 0) {
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
    const fileArguments = fileArgumentCount(args.paths, cwd);
    prestarted = args.command === 'test' ? await prestartWorkers(args.options, config, fileArguments) : undefined;
    const collected = await collectSources(args.paths, config, cwd);
    for (const e of [...collected.notices, ...collected.errors]) io.err(`mtest: ${e.file}${e.line > 0 ? `:${e.line}` : ''}: ${e.message}\n`);
    const inputBits = collected.errors.length > 0 ? EXIT.usage : 0;
    if (args.command === 'list') {
      io.out(listExamples(collected.files, args.options.json !== undefined));
      return inputBits;
    }
    return inputBits | (await runTests(args.options, config, collected.files, io, fileArguments, prestarted, typecheck));
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
  const blasText = blas ? `BLAS: ${blas.library} ${blas.version}, ${plural(options.blasThreads, 'thread')} per ${options.serial ? 'process' : 'worker'}` : 'BLAS: not loaded';
  return [
    `Running doctests with ID ${id}.`,
    `Using --optional=${[...options.optional].join(',')}  --random-seed=${options.randomSeed}`,
    `Doctesting ${plural(fileCount, 'file')} ${where} (${blasText}).`,
  ];
}

/** schedule → execute → report for the collected files; returns the exit bits of the run. */
async function runTests(
  cli: CliOptions,
  config: FileConfig,
  collected: SourceFile[],
  io: Output,
  fileArguments: number | undefined,
  prestarted?: PrestartedWorkers,
  typecheckThread?: TypecheckThread,
): Promise<number> {
  const started = process.hrtime.bigint();
  const prelude = cli.prelude ?? config.prelude ?? ['builtin'];
  const serial = Boolean(cli.serial || cli.debug);
  // With workers, the first one names the engine's BLAS: it loads the prelude while this process parses.
  // Only if it could not does this process load the engine, just to name it, and never computes: one BLAS
  // thread, because OpenBLAS's extra threads spin for a while (~13 % of a core here) and would take CPU
  // from the workers. Workers get their own count explicitly.
  if (!serial) process.env.OPENBLAS_NUM_THREADS = '1';
  const blas = (await prestarted?.blas()) ?? (await blasInfo(prelude));
  const options = resolveOptions(cli, config, detectedTags(blas), fileArguments);
  let files = collected.filter((f) => countExamples(f) > 0 || f.errors.length > 0);
  if (cli.randorder !== undefined) files = shuffle(files, cli.randorder);

  const id = runId();
  const summary = new RunSummary(Boolean(cli.json || cli.junit));
  // On a terminal, a live status line; every other line clears it first. Not with a trace (it is the status).
  const status = io === stdio && cli.status !== false && !options.verbose && StatusLine.wanted() ? new StatusLine(files.length) : undefined;
  const out: Output = status ? { out: status.wrap(io.out), err: status.wrap(io.err) } : io;
  const reporter = new ConsoleReporter(summary, out);
  const sinks: RunEvents[] = [summary, reporter];
  if (status) sinks.push(status);
  if (options.verbose) sinks.push(new TraceReporter(1, !options.serial));
  reporter.header(headerLines(id, options, files.length, blas));
  if (options.serial && blas) await setSerialBlasThreads(options.blasThreads);

  let outcome: RunnerOutcome = { interrupted: false };
  let bits = 0;
  let events: RunEvents = new EventFanout(sinks);
  let typecheck: TypecheckGate | undefined;
  if (typecheckThread) {
    const { TypecheckGate } = await import('../typecheck/gate.js');
    typecheck = new TypecheckGate(events, files, typecheckThread.check(files, options));
    events = typecheck;
  }
  try {
    outcome = await runFiles(files, options, events, prestarted);
  } catch (err) {
    if (err instanceof WorkerStartError) {
      io.err(`mtest: ${err.message}\n`);
      bits |= EXIT.usage;
    } else {
      io.err(`mtest: internal error: ${(err as Error)?.stack ?? err}\n`);
      bits |= EXIT.internal;
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
  summary.markUnstarted(files);
  const total = Number(process.hrtime.bigint() - started) / 1e9;
  reporter.footer(total, outcome.interrupted);
  bits |= summary.exitBits;
  if (outcome.interrupted) bits |= EXIT.interrupted;
  const info = { id, randomSeed: options.randomSeed, time: total };
  try {
    if (cli.json) writeAtomically(cli.json, jsonReport(summary, info));
    if (cli.junit) writeAtomically(cli.junit, junitReport(summary, info));
  } catch (err) {
    io.err(`mtest: cannot write report: ${(err as Error).message}\n`);
    bits |= EXIT.usage;
  }
  if (cli.format === 'github') io.out(githubAnnotations(summary));
  return bits;
}

async function setSerialBlasThreads(n: number): Promise<void> {
  try {
    const engine = (await import(pathToFileURL(BUILTIN_ENGINE).href)) as { setBlasThreads?: (n: number) => void };
    engine.setBlasThreads?.(n);
  } catch {
    // the header already said the engine is not loaded
  }
}
