// The test and list commands, wired stage by stage: sources → examples → schedule → execute → check →
// report. Loaded by main once the workers are starting, so that their boot overlaps loading all of this.
import { randomBytes } from 'node:crypto';
import { platform } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunEvents } from '../events.js';
import type { FileSubset, InputError, SourceFile } from '../model.js';
import { BUILTIN_ENGINE, isBuiltinEngine, loadPrelude } from '../execute/modules.js';
import type { Output } from '../report/output.js';
import { plural, printable, seconds } from '../report/format.js';
import { RunReport, type ReportOptions, type RunIdentity } from '../report/run-report.js';
import type { TypecheckGate, TypecheckThread } from '../typecheck/gate.js';
import { EXIT } from '../report/tally.js';
import { StatusLine } from '../report/status-line.js';
import { TraceReporter } from '../report/trace.js';
import type { ReportingOptions, ResolvedOptions, RunnerOptions, RunnerOutcome, SchedulingOptions } from '../options.js';
import { findDeno, NO_DENO } from './deno.js';
import type { BlasInfo } from '../../runner/protocol.js';
import type { PrestartedWorkers } from '../../runner/parent/pool.js';
import { WorkerStartError } from '../../runner/parent/worker-handle.js';
import type { FileConfig } from './config.js';
import { colourWanted, commandName, statusStream, stdio } from './io.js';
import { listExamples } from './list.js';
import type { ParsedArgs } from './options.js';
import { withDetectedTags } from './resolve.js';
import type { Discovered } from '../sources/discover.js';
import { WorkerHistory } from '../bisect/record.js';
import type { ReportHandoff } from '../../runner/serial/finish.js';
import { leftBehind, reportHandoff } from './run-end.js';
import { collectSources, findSources, sourceLoader } from './collect.js';
import { planRun, type Plan } from '../schedule/index.js';
import { parseKeyword } from '../schedule/keyword.js';
import { selectIn, type Selection } from '../schedule/selection.js';

/** Told the finished report of a test run (the programmatic API reads its results there). */
export type RunObserver = (report: RunReport) => void;

/** `mtest PATH…` and `mtest list PATH…`, once the configuration is read and the workers are starting. */
export async function runCommand(
  args: ParsedArgs,
  config: FileConfig,
  io: Output,
  cwd: string,
  options: ResolvedOptions,
  prestarted: PrestartedWorkers | undefined,
  typecheck: TypecheckThread | undefined,
  observe?: RunObserver,
  discovered?: Discovered,
): Promise<number> {
  const notice = (e: InputError): string => `mtest: ${printable(e.file)}${e.line > 0 ? `:${e.line}` : ''}: ${e.message}\n`;
  const inputErrors = (errors: InputError[]): number => {
    for (const e of errors) io.err(notice(e));
    return errors.length > 0 ? EXIT.usage : 0;
  };
  const selection = selectionOf(args);
  if (args.command === 'list') {
    const collected = await collectSources(args.paths, config, cwd, options.maxFileSize);
    const subsets = new Map<SourceFile, FileSubset>();
    if (selection) {
      for (const file of collected.files) {
        const { subset, errors } = selectIn(file, selection, cwd);
        collected.errors.push(...errors);
        if (subset !== undefined) subsets.set(file, subset ?? { run: [], counted: [] });
      }
    }
    const inputBits = inputErrors(collected.errors);
    for (const e of collected.notices) io.err(notice(e));
    io.out(listExamples(collected.files.filter((f) => subsets.get(f)?.counted.length !== 0), options.json !== undefined, (f) => subsets.get(f)?.counted));
    return inputBits;
  }
  const found = discovered ?? (await findSources(args.paths, config, cwd));
  const notes: string[] = [];
  const where = args.paths.length > 0 ? args.paths : config.include!;
  const load = sourceLoader(config, cwd, options.maxFileSize);
  // one-line notices (a notebook of another language) set no exit bit
  const loaded: SourceFile[] = [];
  const loader = (path: string) => {
    const file = load(path);
    if (file) loaded.push(file);
    for (const e of file?.notices ?? []) notes.push(notice(e));
    if (file?.kernel === 'deno') {
      const deno = findDeno(resolve(cwd, file.path));
      if (deno) file.deno = deno;
      else notes.push(`mtest: ${file.path}: ${NO_DENO}\n`);
    }
    return file;
  };
  const plan = planRun(found.files, loader, { ...scheduleOptions(options), selection }, where, cwd, (line) => notes.push(`mtest: ${line}\n`));
  // the problems of the files this run takes (a shard reports its own files' only; nothing to run: all)
  const inputBits = inputErrors([...found.errors, ...(typeof plan === 'number' ? loaded : plan.files).flatMap((f) => f.errors)]);
  for (const note of notes) io.err(note);
  if (typeof plan === 'number') return inputBits | plan;
  return inputBits | (await runTests(options, config, plan, io, inputBits !== 0, prestarted, cwd, typecheck, observe));
}

/** `FILE:LINE` and `-k` (already checked by the option parser); undefined when the run selects nothing. */
function selectionOf(args: ParsedArgs): Selection | undefined {
  const targets = args.targets ?? [];
  if (targets.length === 0 && args.options.keyword === undefined) return undefined;
  return { targets, keyword: args.options.keyword === undefined ? undefined : parseKeyword(args.options.keyword) };
}

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

async function runFiles(files: SourceFile[], options: RunnerOptions, events: RunEvents, prestarted: PrestartedWorkers | undefined, report: ReportHandoff, subsets: Map<string, FileSubset>): Promise<RunnerOutcome> {
  const only = subsets.size > 0 ? (file: SourceFile) => subsets.get(file.path)?.run : undefined;
  if (options.serial) {
    const { runSerial } = await import('../../runner/serial/serial.js');
    return runSerial(files, options, events, undefined, report, only);
  }
  const { runWorkers } = await import('../../runner/parent/pool.js');
  return runWorkers(files, options, events, { only }, prestarted);
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
  resolved: ResolvedOptions,
  config: FileConfig,
  plan: Plan,
  io: Output,
  inputErrors: boolean,
  prestarted: PrestartedWorkers | undefined,
  cwd: string,
  typecheckThread?: TypecheckThread,
  observe?: RunObserver,
): Promise<number> {
  const startedAt = Date.now();
  const { prelude, serial } = resolved;
  // With workers, the first one names the engine's BLAS: it loads the prelude while this process parses.
  // Only if it could not does this process load the engine, just to name it, and never computes: one BLAS
  // thread, so that it starts no thread of OpenBLAS's for nothing. Workers get their own count explicitly.
  if (!serial) process.env.OPENBLAS_NUM_THREADS = '1';
  const ready = await prestarted?.ready();
  const blas = ready?.blas ?? (await blasInfo(prelude));
  const options = withDetectedTags(resolved, detectedTags(blas));
  if (options.workersNote) io.err(`mtest: ${options.workersNote}\n`);
  const files = plan.files;

  const identity: RunIdentity = { id: runId(), randomSeed: options.randomSeed, startedAt };
  // Written from `cwd` (base): an example under --serial may change the working directory before they are.
  const reportOptions: ReportOptions = {
    json: options.json, junit: options.junit, html: options.html, base: resolve(cwd), memoryMarkMB: options.traceMemory, format: options.format, colour: colourWanted(io),
    baseline: options.baseline && resolve(cwd, options.baseline), shard: plan.shard, order: plan.order, command: commandName(), keepResults: observe !== undefined,
    subsets: plan.subsets,
  };
  // On a terminal, a live status line; every other line clears it first. Not with a trace (it is the status).
  const status = io === stdio && options.status && !options.verbose && StatusLine.wanted() ? new StatusLine(files.length, statusStream()) : undefined;
  const out: Output = status ? { out: status.wrap(io.out), err: status.wrap(io.err) } : io;
  const history = new WorkerHistory();
  const sinks: RunEvents[] = [history];
  if (status) sinks.push(status);
  if (options.verbose) sinks.push(new TraceReporter(io.out, !options.serial));
  const report = new RunReport(files, reportOptions, out, identity, sinks, plan.known);
  report.console.header(headerLines(identity.id, options, files.length, blas));

  let outcome: RunnerOutcome = { interrupted: false };
  // A file run in part says nothing about its time or whether it fails: no timings are stored.
  const statsPath = plan.subsets.size > 0 ? undefined : plan.statsPath;
  let bits = 0;
  let typecheck: TypecheckGate | undefined;
  // A prelude that cannot be loaded would fail every example the same way: one line, and nothing runs.
  const preludeError = serial ? await preludeProblem(prelude) : ready?.preludeError;
  if (preludeError) {
    io.err(`mtest: ${preludeError}\n`);
    bits |= EXIT.usage;
  } else {
    if (options.serial && blas) await setSerialBlasThreads(options.blasThreads);
    const handoff = reportHandoff({ report: { options: reportOptions, identity, inputErrors, fds: { out: stdio.stdout.fd, err: stdio.stderr.fd }, statsPath }, runner: options, cwd });
    try {
      let events = await fixing(options, config, files, report.events, out, cwd);
      if (typecheckThread) {
        const { TypecheckGate } = await import('../typecheck/gate.js');
        typecheck = new TypecheckGate(events, files, typecheckThread.check(files, options));
        events = typecheck;
      }
      outcome = await runFiles(files, options, events, prestarted, handoff, plan.subsets);
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
  const store = () => leftBehind(report.summary, history, { id: identity.id, statsPath, runner: options, outcome, cwd });
  bits |= report.finish({ interrupted: outcome.interrupted, inputErrors }, bits, store);
  observe?.(report);
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

function scheduleOptions(options: SchedulingOptions & Pick<ReportingOptions, 'baseline'>) {
  return { failed: options.failed, new: options.newOnly, baseline: options.baseline, shard: options.shard, randorder: options.randorder, statsPath: options.statsPath, passWithNoExamples: options.passWithNoExamples };
}

/** --fix: a filter in front of the reporters that rewrites wants when a file ends. */
async function fixing(options: Pick<ReportingOptions, 'fix'>, config: FileConfig, files: SourceFile[], events: RunEvents, out: Output, cwd: string): Promise<RunEvents> {
  if (!options.fix) return events;
  const { FixingEvents } = await import('../fix/index.js');
  return new FixingEvents(files, events, { cwd, prompts: config.prompts, say: (line) => out.out(`${line}\n`) });
}

async function setSerialBlasThreads(n: number): Promise<void> {
  try {
    const engine = (await import(pathToFileURL(BUILTIN_ENGINE).href)) as { setBlasThreads?: (n: number) => void };
    engine.setBlasThreads?.(n);
  } catch {
    // the header already said the engine is not loaded
  }
}

