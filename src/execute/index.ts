// executeFile: run one file's examples in this process, block by block, and report every example before
// and after it runs. The serial runner calls it directly; a worker process calls the same function and
// forwards the events to its parent, so both modes evaluate examples identically.
import path from 'node:path';
import { checkAnnotations } from '../check/annotations.js';
import { OutputChecker } from '../check/checker.js';
import { closeRest, exampleWhere, notRun, type Example, type ExampleResult, type SourceFile } from '../model.js';
import type { ExecuteEvents } from '../events.js';
import { limitOf, type ExecuteOptions } from '../options.js';
import { prepareBlock, type Prepared } from './compile.js';
import { evaluate, type Evaluation, type SyncGuard } from './evaluate.js';
import { isDeclarationFile } from '../sources/kinds.js';
import { documentBindings, isCommonJsScript } from './document-scope.js';
import { examplesUseExports, importOwnExports, loadPrelude, namesAny } from './modules.js';
import type { CompileOptions } from './transform.js';
import { DenoKernel } from './deno.js';
import { kernelProfile, type KernelProfile } from './kernels.js';
import { createNamespace, reseed } from './namespace.js';
import { skipReason } from './policy.js';
import { OUTPUT_LIMIT, blockEndedNote, makeIncident, outputMessage, whereText } from '../incidents.js';

export type { ExecuteEvents } from '../events.js';
export type { ExecuteOptions } from '../options.js';
export { INTERRUPTED, releaseOutput, type SyncGuard } from './evaluate.js';

/** What a runner lends the evaluation stage (not data: it cannot cross a process boundary). */
export interface ExecuteHooks {
  /** Interrupts a synchronous example past its limit (serial mode). */
  guard?: SyncGuard;
  /** Asked before each example: true ends the file here, the rest reported as not run (a stop signal). */
  stopRequested?(): boolean;
  /**
   * Asked after every example that ran: the runner's own account of how it ended when the runner stopped
   * it (process.exit or process.abort called under --serial, the memory or the file's limit), which
   * replaces its result.
   */
  stoppedBy?(): { outcome: 'crash' | 'memory' | 'timeout'; note: string } | undefined;
  /** See EvaluateContext.abandoned: the runner stops waiting for an awaited example (serial mode). */
  abandoned?(): Promise<void>;
  /** Awaited when a stopped example ended its block and the block's names were dropped (memory may be freed now). */
  blockDropped?(): void | Promise<void>;
  /** Awaited after a failed example, with its block's namespace (--debug opens a REPL there). */
  onFailure?(namespace: Record<string, unknown>, example: Example, result: ExampleResult): Promise<void>;
}

const checker = new OutputChecker();

function elapsed(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Synchronous for a synchronous example; a promise only when the example's value had to be awaited. */
function runExample(index: number, example: Example, prepared: Prepared | undefined, ns: Record<string, unknown>, options: ExecuteOptions, hooks: ExecuteHooks, profile: KernelProfile, deno?: DenoKernel): ExampleResult | Promise<ExampleResult> {
  const start = process.hrtime.bigint();
  const rssBefore = options.measureMemory ? process.memoryUsage.rss() : 0;
  const finish = (r: Omit<ExampleResult, 'index' | 'time'>): ExampleResult => {
    const result: ExampleResult = { index, time: elapsed(start), ...r };
    if (options.measureMemory) result.rssDelta = process.memoryUsage.rss() - rssBefore;
    return result;
  };
  if (example.directives.errors.length > 0) {
    return finish({ status: 'failed', outcome: 'error', note: example.directives.errors.join('\n') });
  }
  if (example.typeDiagnostics && profile.typeErrors) {
    // the kernel printed the type errors instead of running the cell
    const got = profile.typeErrors(example.typeDiagnostics);
    const check = checker.check(example.want, got, example.directives);
    return finish(check.ok ? { status: 'passed', outcome: 'ok' } : { status: 'failed', outcome: 'mismatch', got, note: check.note });
  }
  if (!prepared) throw new Error(`example at line ${example.line} was not prepared`);
  if ('error' in prepared) {
    const err = prepared.error;
    return finish({ status: 'failed', outcome: 'error', got: `Uncaught SyntaxError: ${err.message}\n`, note: `Syntax error at ${exampleWhere(example, err.exampleLine - 1)}` });
  }
  const { compiled, fn } = prepared;
  const limit = options.interruptSync ? limitOf(example, options) : 0;
  const judge = (ev: Evaluation): ExampleResult => {
    const result = verdict(ev);
    if (ev.warnings) result.warnings = ev.warnings;
    return result;
  };
  const verdict = (ev: Evaluation): ExampleResult => {
    if (ev.outputLimit !== undefined) return finish({ status: 'failed', outcome: 'memory', got: ev.got, note: outputMessage(ev.outputLimit, OUTPUT_LIMIT, whereText(exampleWhere(example), undefined)) });
    if (ev.timedOut) return finish({ status: 'failed', outcome: 'timeout', got: ev.got, note: makeIncident({ kind: 'timeout', limitSeconds: limit, idle: ev.idle }, whereText(exampleWhere(example), undefined)).message });
    if (example.annotations) {
      const missing = ev.threw ? missingModule(ev.value) : undefined;
      // a module the documentation uses but that is not installed (a package's dev dependency): as with a
      // missing optional feature, skipped, and so is the rest of its block (whose names it would define)
      if (missing) return finish({ status: 'skipped', outcome: 'skipped', note: `needs ${missing}, which cannot be found` });
      const seen = checkAnnotations(example.annotations, { output: ev.output ?? '', threw: ev.threw, error: ev.threw ? ev.value : undefined, value: ev.threw ? undefined : ev.value, lookup: (name) => lookup(ns, name) });
      if (seen.ok) return finish({ status: 'passed', outcome: 'ok' });
      return finish({ status: 'failed', outcome: ev.threw && !example.annotations.some((a) => a.kind === 'throws') ? 'exception' : 'mismatch', got: seen.got, note: seen.note });
    }
    const check = checker.check(example.want, ev.got, example.directives, ev.threw);
    if (check.ok) return finish({ status: 'passed', outcome: 'ok' });
    // a `raises` cell was meant to throw: what it printed is compared, not reported as an exception
    return finish({ status: 'failed', outcome: ev.threw && !example.directives.raises ? 'exception' : 'mismatch', got: ev.got, note: check.note });
  };
  const ev = deno ? deno.evaluate(compiled, limit * 1000) : evaluate(fn, compiled, ns, { limitMs: limit * 1000, guard: hooks.guard, profile, abandoned: hooks.abandoned });
  return ev instanceof Promise ? ev.then(judge) : judge(ev);
}

/**
 * Run a file's examples. A notebook runs as its kernel ran it (kernels.ts), in the notebook's folder (where
 * the kernel started), with no prelude unless one was asked for.
 */
export async function executeFile(file: SourceFile, options: ExecuteOptions, events: ExecuteEvents, hooks: ExecuteHooks = {}): Promise<void> {
  if (file.kind !== 'notebook') return executeExamples(file, options, events, hooks);
  const filename = path.resolve(file.path);
  const prelude = options.notebookPrelude ?? [];
  // loaded (and cached) from the working directory, as for every other file; a failure is reported below
  await loadPrelude(prelude).catch(() => undefined);
  const cwd = process.cwd();
  process.chdir(path.dirname(filename));
  try {
    await executeExamples({ ...file, path: filename }, { ...options, prelude }, events, hooks, kernelProfile(file.kernel));
  } finally {
    process.chdir(cwd);
  }
}

async function executeExamples(file: SourceFile, options: ExecuteOptions, events: ExecuteEvents, hooks: ExecuteHooks, profile?: KernelProfile): Promise<void> {
  const filename = path.resolve(file.path);
  const only = options.only ? new Set(options.only) : undefined;
  const compileOptions: CompileOptions = profile ? { completion: profile.completionValue, jsx: profile.jsx, keepPromise: !profile.awaitValue } : {};
  let setupError: string | undefined;
  let prelude: Record<string, unknown> = {};
  let ownExports: Record<string, unknown> = {};
  try {
    prelude = await loadPrelude(options.prelude);
  } catch (err) {
    setupError = String((err as Error)?.message ?? err);
  }
  // a declaration file declares another module's exports (see documentBindings); it has none to import
  const sources = file.kind === 'script' && !isDeclarationFile(filename) ? runnableSources(file, options, isCommonJsScript(filename)) : [];
  if (!setupError && sources.length > 0 && examplesUseExports(filename, sources)) {
    try {
      ownExports = await importOwnExports(file.path);
    } catch (err) {
      setupError = `cannot import ${file.path}: ${String((err as Error)?.message ?? err).split('\n')[0]}`;
    }
  }
  const annotated = file.blocks.some((b) => b.examples.some((ex) => ex.annotations));
  const scope = annotated && !setupError ? documentBindings(file, filename) : undefined;
  if (!setupError && profile?.typeErrors) setupError = await typecheckCells(file, options);
  const deno = file.deno && !setupError ? new DenoKernel(file.deno, filename) : undefined;
  try {
    await runBlocks(file, options, events, hooks, { profile, deno, setupError, prelude, ownExports, compileOptions, only, scope });
  } finally {
    await deno?.close();
  }
}

interface FileSetup {
  profile?: KernelProfile;
  deno?: DenoKernel;
  setupError?: string;
  prelude: Record<string, unknown>;
  ownExports: Record<string, unknown>;
  compileOptions: CompileOptions;
  only?: Set<number>;
  /** What annotation-style examples see of their document (documentBindings). */
  scope?: ReturnType<typeof documentBindings>;
}

async function runBlocks(file: SourceFile, options: ExecuteOptions, events: ExecuteEvents, hooks: ExecuteHooks, setup: FileSetup): Promise<void> {
  const { profile, deno, setupError, prelude, ownExports, compileOptions, only, scope } = setup;
  const filename = path.resolve(file.path);
  let index = 0;
  const ended = new Set<number>();
  const end = (result: ExampleResult): void => {
    ended.add(result.index);
    events.exampleEnd(result);
  };
  for (const block of file.blocks) {
    const ns = createNamespace(prelude, ownExports, filename, { globals: profile?.globals(filename), modules: profile?.modules, noRequire: profile?.noRequire });
    if (scope?.bindings) Object.assign(ns, scope.bindings);
    reseed(options.randomSeed, prelude);
    let blockFailed = false;
    const missing = new MissingNames();
    const first = index;
    const runs = block.examples.map((ex, k) => (!only || only.has(first + k)) && ex.directives.errors.length === 0 && skipReason(ex.directives, file.tags, options) === undefined);
    const prepared = setupError ? [] : prepareBlock(block.examples, runs.map((r, k) => r && !(profile?.typeErrors && block.examples[k].typeDiagnostics)), filename, ns, compileOptions);
    const blockEnd = first + block.examples.length;
    index = blockEnd;
    for (const [k, example] of block.examples.entries()) {
      const i = first + k;
      if (only && !only.has(i)) {
        end(notRun(i));
        continue;
      }
      // the module an annotation-style example documents is absent (an unbuilt native addon, a dependency
      // not installed): as with a missing optional feature, the example is skipped, saying what is missing
      const skip = skipReason(example.directives, file.tags, options) ?? (example.annotations ? scope?.unavailable ?? missing.reason(example, prepared[k]) : undefined);
      if (skip !== undefined && example.directives.errors.length === 0) {
        end({ index: i, status: 'skipped', outcome: 'skipped', note: skip, time: 0 });
        continue;
      }
      if ((blockFailed && options.initial) || hooks.stopRequested?.()) {
        end(notRun(i));
        continue;
      }
      events.exampleStart(i, example);
      const outcome = setupError
        ? { index: i, status: 'failed' as const, outcome: 'error' as const, note: setupError, time: 0 }
        : runExample(i, example, prepared[k], ns, options, hooks, profile ?? kernelProfile(undefined), deno);
      // A synchronous example still yields once: promise jobs it left behind run before the next example
      // (outside any capture), as they always did.
      let result = outcome instanceof Promise ? await outcome : ((await null), outcome);
      const stopped = hooks.stoppedBy?.();
      if (stopped) result = { index: i, status: 'failed', outcome: stopped.outcome, got: result.got, note: stopped.note, time: result.time };
      if (result.status === 'failed') blockFailed = true;
      if (example.annotations) missing.after(result, prepared[k]);
      end(result);
      if (stopped || result.outcome === 'timeout') {
        // Stopped halfway: the block's names are in an unknown state, as they are lost with a killed worker.
        closeRest(file, ended, events.exampleEnd, { from: i + 1, to: blockEnd, note: blockEndedNote(exampleWhere(example)) });
        for (const name of Object.keys(ns)) delete ns[name];
        await hooks.blockDropped?.();
        break;
      }
      if (result.status === 'failed' && hooks.onFailure) await hooks.onFailure(ns, example, result);
    }
  }
}

/**
 * Names an example could not define because a module it requires is not installed: later examples of the
 * block that use them (without defining them first) are skipped for the same reason.
 */
class MissingNames {
  private readonly names = new Set<string>();
  private why = '';

  /** Why `example` cannot run, if it uses a missing name; its own names then go missing too. */
  reason(example: Example, prepared: Prepared | undefined): string | undefined {
    if (this.names.size === 0 || !prepared || 'error' in prepared) return undefined;
    const declared = prepared.compiled.declared;
    const uses = new Set([...this.names].filter((n) => !declared.includes(n)));
    if (!namesAny(example.source, uses)) {
      for (const name of declared) this.names.delete(name);
      return undefined;
    }
    for (const name of declared) this.names.add(name);
    return this.why;
  }

  after(result: ExampleResult, prepared: Prepared | undefined): void {
    if (result.status !== 'skipped' || !result.note?.startsWith('needs ') || !prepared || 'error' in prepared) return;
    for (const name of prepared.compiled.declared) this.names.add(name);
    this.why = result.note;
  }
}

/** The package a `require` could not find (`MODULE_NOT_FOUND` for a bare name), if that is what `error` is. */
function missingModule(error: unknown): string | undefined {
  const e = error as NodeJS.ErrnoException | undefined;
  if (e?.code !== 'MODULE_NOT_FOUND' && e?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const name = /Cannot find (?:module|package) '([^']+)'/.exec(String(e.message))?.[1];
  return name && !name.startsWith('.') && !name.startsWith('/') ? name : undefined;
}

/** `name` or `a.b.c` after an example: the block's names first, then globals. */
function lookup(ns: Record<string, unknown>, name: string): unknown {
  const [head, ...rest] = name.split('.');
  let value: unknown = head in ns ? ns[head] : (globalThis as Record<string, unknown>)[head];
  for (const key of rest) value = value === null || value === undefined ? undefined : (value as Record<string, unknown>)[key];
  return value;
}

/**
 * A kernel that type-checks its cells (tslab): the examples with type errors get them (typeDiagnostics), as
 * --typecheck finds them, with the notebook's prelude and the notebook's folder as the project. Without the
 * typescript package nothing is checked; a check that fails says so for every example.
 */
async function typecheckCells(file: SourceFile, options: ExecuteOptions): Promise<string | undefined> {
  const { prepareTypechecker } = await import('../typecheck/index.js');
  const checker = prepareTypechecker({ prelude: options.prelude, cwd: process.cwd(), tslab: true });
  if (!checker) return undefined;
  const result = checker.check([file], { optional: options.optional, long: options.long });
  return result.error;
}

function runnableSources(file: SourceFile, options: ExecuteOptions, commonJs: boolean): string[] {
  const out: string[] = [];
  // annotation-style examples of a CommonJS script reach its code through documentBindings instead
  for (const block of file.blocks) for (const ex of block.examples) if (!(ex.annotations && commonJs) && skipReason(ex.directives, file.tags, options) === undefined) out.push(ex.source);
  return out;
}
