// Source → callable example functions. A block's examples are compiled together, in one function whose
// text mirrors the document: each example becomes an inner function starting at its own line, so stack
// traces name document lines exactly and V8 pays its per-compile cost once per block, not per example.
// Anything the batch cannot take (a syntax error, a wrong quick guess) falls back to one example at a time.
import vm from 'node:vm';
import type { Example } from '../model.js';
import type { ExampleFunction } from './evaluate.js';
import { quickCompile } from './quick.js';
import { compileExample, ExampleSyntaxError, NS_PARAM, type CompiledExample, type CompileOptions } from './transform.js';

export type Prepared = { compiled: CompiledExample; fn: ExampleFunction } | { error: ExampleSyntaxError };


interface Placed {
  line: number;
  compiled: CompiledExample;
}

/**
 * Compile examples (in line order) into functions bound to `ns`. Each example's function starts on its
 * document line: the text begins at the first example's line (vm.compileFunction's lineOffset, so the
 * cost does not grow with the line number) and is padded with newlines only between examples. A body
 * that ends past the next example's line (quick bodies add a line) starts a new function text there.
 * Throws SyntaxError when any body does not compile.
 */
function compileFunctions(placed: Placed[], filename: string, ns: Record<string, unknown>): ExampleFunction[] {
  const out: ExampleFunction[] = [];
  let text = '';
  let start = 0;
  let line = 0;
  const flush = () => {
    if (!text) return;
    const fns = vm.compileFunction(`${text}] }`, [NS_PARAM], { filename, lineOffset: start - 1 })(ns) as ExampleFunction[];
    for (const fn of fns) out.push(fn);
    text = '';
  };
  for (const { line: at, compiled } of placed) {
    if (!text || at < line) {
      flush();
      text = `with (${NS_PARAM}) { return [`;
      start = line = at;
    } else if (at > line) {
      text += '\n'.repeat(at - line);
      line = at;
    }
    const lines = countLines(compiled.body);
    // A last line that may end in a line comment needs the closing brace on a line of its own.
    const lastLine = compiled.body.slice(compiled.body.lastIndexOf('\n') + 1);
    const own = lastLine.includes('/');
    text += `${compiled.async ? 'async ' : ''}function () { ${compiled.body}${own ? '\n' : ''}},`;
    line += own ? lines : lines - 1;
  }
  flush();
  return out;
}

/** One example on its own: quick path first (no parse); a wrong guess fails to compile and takes the full path. */
export function prepareExample(example: Example, filename: string, ns: Record<string, unknown>, options: CompileOptions = {}): Prepared {
  const quick = quickGuess(example.source, options);
  if (quick) {
    try {
      return { compiled: quick, fn: compileFunctions([{ line: example.line, compiled: quick }], filename, ns)[0] };
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
    }
  }
  let compiled: CompiledExample;
  try {
    compiled = compileExample(example.source, undefined, options);
  } catch (err) {
    if (err instanceof ExampleSyntaxError) return { error: err };
    throw err;
  }
  try {
    return { compiled, fn: compileFunctions([{ line: example.line, compiled }], filename, ns)[0] };
  } catch (err) {
    // acorn accepted what V8 rejects (rare: early errors acorn does not check)
    if (err instanceof SyntaxError) return { error: new ExampleSyntaxError(err.message, 1) };
    throw err;
  }
}

/**
 * Prepare the examples of one block that will run (`runs[k]`), bound to the block's namespace. Entries
 * for examples that do not run are undefined.
 */
export function prepareBlock(examples: Example[], runs: boolean[], filename: string, ns: Record<string, unknown>, options: CompileOptions = {}): (Prepared | undefined)[] {
  const compiled: (CompiledExample | ExampleSyntaxError | undefined)[] = examples.map((ex, k) => {
    if (!runs[k]) return undefined;
    const quick = quickGuess(ex.source, options);
    if (quick) return quick;
    try {
      return compileExample(ex.source, undefined, options);
    } catch (err) {
      if (err instanceof ExampleSyntaxError) return err;
      throw err;
    }
  });
  const order = compiled.flatMap((c, k) => (c === undefined || c instanceof ExampleSyntaxError ? [] : [k]));
  let batch: ExampleFunction[] | undefined;
  if (order.length > 1) {
    try {
      batch = compileFunctions(order.map((k) => ({ line: examples[k].line, compiled: compiled[k] as CompiledExample })), filename, ns);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
    }
  }
  const slot = new Map(order.map((k, j) => [k, j]));
  return examples.map((ex, k) => {
    const c = compiled[k];
    if (c === undefined) return undefined;
    if (c instanceof ExampleSyntaxError) return { error: c };
    return batch ? { compiled: c, fn: batch[slot.get(k)!] } : prepareExample(ex, filename, ns, options);
  });
}

/** The quick path, except a loop where its completion value counts (the quick path displays none). */
function quickGuess(source: string, options: CompileOptions): CompiledExample | undefined {
  return options.completion && /^\s*(?:for|while)\b/.test(source) ? undefined : quickCompile(source);
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
