// Source → callable example functions. A block's examples are compiled together, in one Function whose
// text mirrors the document: each example becomes an inner function starting at its own line, so stack
// traces name document lines and V8 pays its per-compile cost once per block instead of once per example.
// Anything the batch cannot take (a syntax error, a wrong quick guess) falls back to one example at a time.
import type { Example } from '../model.js';
import { instantiate, NS_PARAM, type ExampleFunction } from './evaluate.js';
import { compileExample, ExampleSyntaxError, quickCompile, type CompiledExample } from './transform.js';

export type Prepared = { compiled: CompiledExample; fn: ExampleFunction } | { error: ExampleSyntaxError };

/** One example on its own: quick path first (no parse); a wrong guess fails to compile and takes the full path. */
export function prepareExample(example: Example, filename: string): Prepared {
  const where = { filename, line: example.line };
  const quick = quickCompile(example.source);
  if (quick) {
    try {
      return { compiled: quick, fn: instantiate(quick, where) };
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
    }
  }
  try {
    const compiled = compileExample(example.source);
    try {
      return { compiled, fn: instantiate(compiled, where) };
    } catch (err) {
      // acorn accepted what V8 rejects (rare: early errors acorn does not check)
      if (err instanceof SyntaxError) return { error: new ExampleSyntaxError(err.message, 1) };
      throw err;
    }
  } catch (err) {
    if (err instanceof ExampleSyntaxError) return { error: err };
    throw err;
  }
}

/** Lines the Function constructor puts before the body: `function anonymous(ns\n) {\n`. */
const HEADER_LINES = 2;

/**
 * Prepare the examples of one block that will run (`runs[k]`), bound to the block's namespace. Entries
 * for examples that do not run are undefined.
 */
export function prepareBlock(examples: Example[], runs: boolean[], filename: string, ns: Record<string, unknown>): (Prepared | undefined)[] {
  const compiled: (CompiledExample | ExampleSyntaxError | undefined)[] = examples.map((ex, k) => {
    if (!runs[k]) return undefined;
    const quick = quickCompile(ex.source);
    if (quick) return quick;
    try {
      return compileExample(ex.source);
    } catch (err) {
      if (err instanceof ExampleSyntaxError) return err;
      throw err;
    }
  });
  const batch = compileBatch(examples, compiled, filename, ns);
  return examples.map((ex, k) => {
    const c = compiled[k];
    if (c === undefined) return undefined;
    if (c instanceof ExampleSyntaxError) return { error: c };
    const fn = batch?.get(k);
    return fn ? { compiled: c, fn } : prepareExample(ex, filename);
  });
}

function compileBatch(examples: Example[], compiled: (CompiledExample | ExampleSyntaxError | undefined)[], filename: string, ns: Record<string, unknown>): Map<number, ExampleFunction> | undefined {
  const order: number[] = [];
  let text = `with (${NS_PARAM}) { return [`;
  let line = HEADER_LINES + 1;
  for (let k = 0; k < examples.length; k++) {
    const c = compiled[k];
    if (c === undefined || c instanceof ExampleSyntaxError) continue;
    const gap = examples[k].line - line;
    if (gap > 0) text += '\n'.repeat(gap);
    line += Math.max(gap, 0);
    text += `${c.async ? 'async ' : ''}function () { ${c.body}\n},`;
    line += countLines(c.body);
    order.push(k);
  }
  if (order.length < 2) return undefined; // nothing to share
  text += `] }\n//# sourceURL=${filename}`;
  let fns: ExampleFunction[];
  try {
    fns = new Function(NS_PARAM, text)(ns) as ExampleFunction[];
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
  return new Map(order.map((k, j) => [k, fns[j]]));
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
