// Runs one compiled example inside its block's namespace, in this realm (so `instanceof` works exactly as
// in a normal module), and collects what it produced: output, then the displayed value or the exception.
import { bounded } from '../display.js';
import { KEEP, OutputCapture } from './capture.js';
import { MTEST_PROFILE, type KernelProfile } from './kernels.js';
import { repairRealm } from './realm.js';
import type { CompiledExample } from './transform.js';

export interface Evaluation {
  /** Output, displayed value or `Uncaught …` line, in order. */
  got: string;
  threw: boolean;
  /** The in-process time limit fired (serial mode only). */
  timedOut: boolean;
  /**
   * The limit fired while the example awaited: this thread was free to run the timer, so the process was
   * idle in its event loop, as a worker's native stack shows it at its limit.
   */
  idle?: boolean;
  /** What mtest had to repair in the shared realm after the example (repairRealm). */
  warnings?: string[];
  /** Characters written past the output limit: the example was stopped there. */
  outputLimit?: number;
  /** What was written before the value or exception (annotation-style examples compare it). */
  output?: string;
  /** The last expression's value, or the exception when it threw (compared as values by annotations). */
  value?: unknown;
}

/** What a SyncGuard returns when it had to interrupt the call. */
export const INTERRUPTED: unique symbol = Symbol('interrupted');

/**
 * Runs the synchronous part of an example so that it can be interrupted after `limitMs` (0: no limit) or
 * when the runner must stop it (serial mode). Provided by the runner (it owns threads and time); workers
 * run without one and are killed instead.
 */
export interface SyncGuard {
  call(fn: (ns: Record<string, unknown>) => unknown, ns: Record<string, unknown>, limitMs: number): unknown | typeof INTERRUPTED;
}

export interface EvaluateContext {
  /** In-process limit in ms; 0 = none. */
  limitMs: number;
  guard?: SyncGuard;
  /** How the value and a thrown error are displayed, and whether a returned promise is awaited (default: mtest's). */
  profile?: KernelProfile;
  /**
   * Called when the example's value must be awaited: settles when the runner stops waiting for it before
   * its limit (serial mode, past the memory or the file's limit); the example then ends as interrupted.
   */
  abandoned?: () => Promise<void>;
}

const capture = new OutputCapture();

/**
 * Give process.stdout/stderr back when an example is abandoned while it runs (Ctrl-C under --serial
 * stops waiting for it): its capture would otherwise swallow everything written after.
 */
export function releaseOutput(): void {
  capture.stop();
}

/** A compiled example, bound to its block's namespace (the argument is only for the guard's sake). */
export type ExampleFunction = (ns: Record<string, unknown>) => unknown;

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : text + '\n';
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Run one example. Synchronous when the example is (most are): no promise is made and nothing is awaited,
 * which keeps the per-example cost and the work of the optimizing compiler small; a thenable result is
 * awaited (under the time limit when there is one).
 */
export function evaluate(fn: ExampleFunction, compiled: CompiledExample, namespace: Record<string, unknown>, ctx: EvaluateContext): Evaluation | Promise<Evaluation> {
  for (const name of compiled.declared) if (!(name in namespace)) namespace[name] = undefined;
  const profile = ctx.profile ?? MTEST_PROFILE;
  let value: unknown;
  capture.start();
  try {
    // Guarded even without a limit: the runner may have to end the call for another reason (process.exit).
    value = ctx.guard ? ctx.guard.call(fn, namespace, ctx.limitMs) : fn(namespace);
  } catch (err) {
    profile.finishesLater?.(); // a cell that threw does not end later
    return evaluation(compiled, profile, err, 'threw', repairRealm());
  }
  // Before mtest runs any code of its own (isThenable included).
  const repaired = repairRealm();
  if (value === INTERRUPTED) return evaluation(compiled, profile, undefined, 'timedOut', repaired);
  // the cell asked to end later (IJavascript's $$.async()): what it sends then is its value
  const later = profile.finishesLater?.();
  if (later) return settle(later, { ...compiled, returnsValue: true, boxed: false }, profile, ctx, repaired);
  // An async example's own promise is always awaited; the value it returns only when the kernel awaited it.
  let thenable = false;
  if (!compiled.async && profile.awaitValue) {
    try {
      thenable = isThenable(value);
    } catch (err) {
      // A `then` getter that throws: what awaiting the value would have thrown.
      return evaluation(compiled, profile, err, 'threw', repaired);
    }
  }
  if (compiled.async || thenable) return settle(value as PromiseLike<unknown>, compiled, profile, ctx, repaired);
  return evaluation(compiled, profile, value, 'returned', repaired);
}

async function settle(promise: PromiseLike<unknown>, compiled: CompiledExample, profile: KernelProfile, ctx: EvaluateContext, repaired: string[] | undefined): Promise<Evaluation> {
  const abandoned = ctx.abandoned?.();
  const wait = <T>(p: PromiseLike<T>): Promise<T> => (ctx.limitMs > 0 || abandoned ? raceLimit(p, ctx.limitMs, abandoned) : Promise.resolve(p));
  try {
    let value = await wait(promise);
    if (compiled.boxed) {
      value = (value as [unknown] | undefined)?.[0];
      if (profile.awaitValue && isThenable(value)) value = await wait(value);
    }
    return evaluation(compiled, profile, value, 'returned', joined(repaired, repairRealm()));
  } catch (err) {
    const result = evaluation(compiled, profile, err === LIMIT ? undefined : err, err === LIMIT ? 'timedOut' : 'threw', joined(repaired, repairRealm()));
    if (err === LIMIT) result.idle = true;
    return result;
  }
}

function joined(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  return a && b ? [...a, ...b] : (a ?? b);
}

/**
 * Stop capturing; the output, then the displayed value or the exception, as the kernel shows them. A value
 * whose display throws (a throwing `inspect.custom`, a Proxy whose traps throw) is the example's exception,
 * as a failing repr is in Python's doctest: the example fails with it and the run goes on.
 */
function evaluation(compiled: CompiledExample, profile: KernelProfile, value: unknown, how: 'returned' | 'threw' | 'timedOut', warnings: string[] | undefined): Evaluation {
  const output = withNewline(capture.stop());
  let got = output;
  if (profile.settled) got += profile.settled();
  if (how === 'returned' && compiled.returnsValue) {
    try {
      const shown = profile.display(value);
      if (shown !== undefined) got += shown + '\n';
    } catch (err) {
      how = 'threw';
      value = err;
    }
  }
  if (how === 'threw') got += profile.thrown(value) + '\n';
  const result: Evaluation = { got: bounded(got, KEEP), threw: how === 'threw', timedOut: how === 'timedOut', output };
  if (how === 'threw' || compiled.returnsValue) result.value = value;
  if (warnings) result.warnings = warnings;
  if (capture.overLimit) result.outputLimit = capture.written;
  return result;
}

const LIMIT = Symbol('time limit');

/** `promise`, unless `ms` (0: no limit) pass or `abandoned` settles first: then LIMIT is thrown. */
function raceLimit<T>(promise: PromiseLike<T>, ms: number, abandoned?: Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    if (ms > 0) timer = setTimeout(() => reject(LIMIT), ms);
    void abandoned?.then(() => reject(LIMIT));
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
