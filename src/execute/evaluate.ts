// Runs one compiled example inside its block's namespace, in this realm (so `instanceof` works exactly as
// in a normal module), and collects what it produced: output, then the displayed value or the exception.
import vm from 'node:vm';
import { displayThrown, displayValue } from '../display.js';
import { OutputCapture } from './capture.js';
import type { CompiledExample } from './transform.js';

/** The global slot through which the generated code receives its namespace. */
const NAMESPACE_SLOT = '__mtest$namespace';

export interface Evaluation {
  /** Output, displayed value or `Uncaught …` line, in order. */
  got: string;
  threw: boolean;
  /** The in-process time limit fired (serial mode only). */
  timedOut: boolean;
}

export interface EvaluateContext {
  /** Absolute path, for stack traces. */
  filename: string;
  /** 1-based line of the example's first source line. */
  line: number;
  /** In-process limit in ms; 0 = none (workers: the parent enforces limits). */
  limitMs: number;
}

const capture = new OutputCapture();

function isInterrupt(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ERR_SCRIPT_EXECUTION_TIMEOUT' || code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED';
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : text + '\n';
}

export async function evaluate(compiled: CompiledExample, namespace: Record<string, unknown>, ctx: EvaluateContext): Promise<Evaluation> {
  for (const name of compiled.declared) if (!(name in namespace)) namespace[name] = undefined;
  const code = `(async function (__mtest$ns) { with (__mtest$ns) { ${compiled.body}\n} })(globalThis.${NAMESPACE_SLOT})`;
  (globalThis as Record<string, unknown>)[NAMESPACE_SLOT] = namespace;
  const options: vm.RunningScriptOptions & { lineOffset: number } = { filename: ctx.filename, lineOffset: ctx.line - 1 };
  // vm's own timeout interrupts a synchronous loop; the part after the first `await` is raced below.
  if (ctx.limitMs > 0) options.timeout = ctx.limitMs;
  let value: unknown;
  let thrown: unknown;
  let threw = false;
  let timedOut = false;
  capture.start();
  try {
    const promise = vm.runInThisContext(code, options) as Promise<unknown>;
    value = ctx.limitMs > 0 ? await raceLimit(promise, ctx.limitMs) : await promise;
  } catch (err) {
    if (err === LIMIT || isInterrupt(err)) timedOut = true;
    else {
      threw = true;
      thrown = err;
    }
  } finally {
    (globalThis as Record<string, unknown>)[NAMESPACE_SLOT] = undefined;
  }
  let got = withNewline(capture.stop());
  if (threw) got += displayThrown(thrown) + '\n';
  else if (!timedOut && compiled.returnsValue && value !== undefined) got += displayValue(value) + '\n';
  return { got, threw, timedOut };
}

const LIMIT = Symbol('time limit');

function raceLimit<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(LIMIT), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
