// How a notebook's kernel ran its cells, so that a notebook is checked against what that kernel printed:
// how a cell's value is displayed, whether a returned promise is awaited, whether the completion value of a
// block or an `if` counts, how a thrown error is written, and what the namespace holds besides the cell's
// own names. Documents that are not notebooks, and notebooks of other kernels, keep mtest's own rules.
import { formatWithOptions, inspect } from 'node:util';
import type { KernelName, TypeDiagnostic } from '../model.js';
import { displayThrown, displayValue } from '../display.js';
import { denoJupyter } from './deno-jupyter.js';

export interface KernelProfile {
  /** The cell's value as the kernel displays it; undefined = nothing is displayed. */
  display(value: unknown): string | undefined;
  /** A returned promise is awaited and its value displayed (else the promise itself is displayed). */
  awaitValue: boolean;
  /** The completion value of a last statement that is a block, `if`, loop or `try` is the cell's value (REPL style). */
  completionValue: boolean;
  /** What a thrown value adds to the output. */
  thrown(value: unknown): string;
  /** JSX is accepted in cells. */
  jsx: boolean;
  /** Names the kernel defines in every notebook (Deno's timers and console, IJavascript's `$$`). */
  globals(notebookPath: string): Record<string, unknown>;
  /** The kernel has no `require` (Deno); the others have Node's, from the notebook's folder. */
  noRequire?: boolean;
  /** Modules the kernel itself provides (tslab's `tslab`), by specifier. */
  modules?: Record<string, () => unknown>;
  /** Output the kernel shows once the cell is done (the last state of displays it updated); called once per cell. */
  settled?(): string;
  /**
   * Called when a cell's code has returned: a promise when the cell asked to finish later (IJavascript's
   * `$$.async()`), settled with the value to display (undefined: none) or rejected with the error.
   */
  finishesLater?(): Promise<unknown> | undefined;
  /**
   * The kernel type-checks every cell and does not run one with type errors, printing them instead
   * (tslab); the text it prints.
   */
  typeErrors?(diagnostics: TypeDiagnostic[]): string;
}

/** Node's console.log: strings raw, everything else util.inspect at its default depth (2). */
function consoleLog(value: unknown): string {
  return formatWithOptions({ colors: false }, value);
}

/** Stack lines of a printed error (`    at f (file:1:2)`): they name the kernel's own frames, not comparable. */
const STACK_LINE = /^[ \t]+at .*(?:\n|$)/gm;

/**
 * console.error(err) without the stack lines: an error's first stack line (`Error: boom`, which is what
 * Error.prototype.toString gives), anything else as console.error prints it.
 */
function consoleError(value: unknown): string {
  if (value instanceof Error) return Error.prototype.toString.call(value);
  return consoleLog(value).replace(STACK_LINE, '').replace(/\n+$/, '');
}

/**
 * The `tslab` module tslab's kernel gives its notebooks: display.text (and raw text/plain) prints, as the
 * notebook stores text/plain; HTML, images and the rest store nothing mtest compares. A display made by
 * newDisplay() is updated in place in Jupyter: its last text is shown when the cell is done.
 */
function tslabModule(): unknown {
  const show = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  const ignore = (): void => {};
  const make = (text: (s: string) => void) => ({
    javascript: ignore, html: ignore, markdown: ignore, latex: ignore, svg: ignore, png: ignore, jpeg: ignore, gif: ignore, pdf: ignore,
    text: (s: string) => text(String(s)),
    raw: (type: string, b: string | Uint8Array) => (type === 'text/plain' ? text(typeof b === 'string' ? b : Buffer.from(b).toString('utf8')) : undefined),
  });
  const newDisplay = () => {
    const slot = { text: undefined as string | undefined };
    updatedDisplays.push(slot);
    return make((s) => (slot.text = s));
  };
  const module: Record<string, unknown> = { versions: { tslab: 'mtest', typescript: '', node: process.version }, display: make(show), newDisplay };
  module.default = module; // `import tslab from 'tslab'`, as esModuleInterop reads a CommonJS module
  return Object.freeze(module);
}

/** Displays made by tslab's newDisplay() during the current cell, in order. */
let updatedDisplays: { text?: string }[] = [];

function settledDisplays(): string {
  const shown = updatedDisplays.flatMap((d) => (d.text === undefined ? [] : [d.text.endsWith('\n') ? d.text : d.text + '\n']));
  updatedDisplays = [];
  return shown.join('');
}

const TSLAB_MODULES: Record<string, () => unknown> = { tslab: tslabModule };

const DENO_DISPLAY = Symbol.for('Jupyter.display');

/**
 * Deno's inspect: Node's layout with strings quoted Deno's way. Deno takes the first of `"`, `'`, `` ` ``
 * the string does not hold (else `"`, escaped); Node starts from `'`. Every string literal in Node's output
 * is read back and quoted again.
 */
export function denoInspect(value: unknown): string {
  if (typeof value === 'string') return denoQuote(value);
  return requote(inspect(denoShape(value), { colors: false, depth: 4, breakLength: 80 }));
}

/** An object that Node's inspect shows as `Name { …fields }`. */
function named(name: string, fields: Record<string, unknown>): object {
  // inspect names an object after the first constructor in its chain that it is an instance of
  const constructor = Object.defineProperty(function () {}, 'name', { value: name });
  const prototype = Object.create(null, { constructor: { value: constructor } }) as object;
  constructor.prototype = prototype;
  return Object.assign(Object.create(prototype), fields);
}

/** The web classes Deno shows by their fields, in Deno's order (Node shows them otherwise). */
function denoShape(value: unknown): unknown {
  if (value instanceof URL) {
    const { href, origin, protocol, username, password, host, hostname, port, pathname, hash, search } = value;
    return named('URL', { href, origin, protocol, username, password, host, hostname, port, pathname, hash, search });
  }
  if (value instanceof Headers) return named('Headers', Object.fromEntries(value.entries()));
  if (value instanceof Request) {
    return named('Request', { bodyUsed: value.bodyUsed, headers: denoShape(value.headers), method: value.method, redirect: value.redirect, url: value.url });
  }
  return value;
}

/**
 * Deno's console.table: an `(idx)` column, a column per key of the rows that are objects, `Values` for the
 * rows that are not; numbers right-aligned, everything else left; strings quoted Deno's way.
 */
export function denoTable(data: unknown): string {
  if (data === null || typeof data !== 'object') return denoFormat([data]);
  const entries: [unknown, unknown][] = Array.isArray(data) ? data.map((v, k) => [k, v]) : Object.entries(data);
  const keys: string[] = [];
  let values = false;
  for (const [, row] of entries) {
    if (row !== null && typeof row === 'object') {
      for (const key of Object.keys(row)) if (!keys.includes(key)) keys.push(key);
    } else values = true;
  }
  const header = ['(idx)', ...keys, ...(values ? ['Values'] : [])];
  const cell = (v: unknown): [string, boolean] => [typeof v === 'string' ? denoQuote(v) : denoInspect(v), typeof v === 'number' || typeof v === 'bigint'];
  const rows = entries.map(([index, row]): [string, boolean][] => {
    const isObject = row !== null && typeof row === 'object';
    const own = (key: string): [string, boolean] => (isObject && Object.hasOwn(row, key) ? cell((row as Record<string, unknown>)[key]) : ['', false]);
    return [[String(index), typeof index === 'number'], ...keys.map(own), ...(values ? [isObject ? ['', false] as [string, boolean] : cell(row)] : [])];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i][0].length)));
  const line = (l: string, m: string, r: string) => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r + '\n';
  const row = (cells: [string, boolean][]) => '│' + cells.map(([text, right], i) => ` ${right ? text.padStart(widths[i]) : text.padEnd(widths[i])} `).join('│') + '│\n';
  return line('┌', '┬', '┐') + row(header.map((h) => [h, false])) + line('├', '┼', '┤') + rows.map(row).join('') + line('└', '┴', '┘');
}

const QUOTES = ['"', "'", '`'];

function denoQuote(text: string): string {
  const quote = QUOTES.find((q) => !text.includes(q)) ?? '"';
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };

/** Node's quoted strings in inspect output, re-quoted for Deno. */
function requote(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const q = text[i];
    if (q !== "'" && q !== '"' && q !== '`') {
      out += q;
      i++;
      continue;
    }
    let j = i + 1;
    let value = '';
    let closed = false;
    while (j < text.length) {
      const c = text[j];
      if (c === '\\' && j + 1 < text.length) {
        const e = text[j + 1];
        if (e === 'x') {
          value += String.fromCharCode(parseInt(text.slice(j + 2, j + 4), 16));
          j += 4;
        } else if (e === 'u') {
          value += String.fromCharCode(parseInt(text.slice(j + 2, j + 6), 16));
          j += 6;
        } else {
          value += ESCAPES[e] ?? e;
          j += 2;
        }
        continue;
      }
      if (c === q) {
        closed = true;
        break;
      }
      if (c === '\n') break;
      value += c;
      j++;
    }
    if (!closed) {
      out += q;
      i++;
      continue;
    }
    out += denoQuote(value);
    i = j + 1;
  }
  return out;
}

/** Deno's display: a `Symbol.for("Jupyter.display")` method's bundle first (its text/plain), else Deno's inspect. */
function denoDisplay(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as Record<symbol, unknown>)[DENO_DISPLAY] === 'function') {
    const bundle = (value as Record<symbol, () => unknown>)[DENO_DISPLAY]();
    const plain = bundle !== null && typeof bundle === 'object' ? (bundle as Record<string, unknown>)['text/plain'] : undefined;
    return typeof plain === 'string' ? plain : undefined;
  }
  return denoInspect(value);
}

/**
 * Deno's console.log: strings raw, every other argument through Deno's inspect; a first string with `%`
 * directives is Node's format (`%c` drops its CSS, as in Deno).
 */
function denoFormat(args: unknown[]): string {
  if (typeof args[0] === 'string' && args[0].includes('%')) return formatWithOptions({ colors: false }, ...args) + '\n';
  return args.map((a) => (typeof a === 'string' ? a : denoInspect(a))).join(' ') + '\n';
}

/**
 * What Deno's kernel defines differently from Node: timers return numbers (the web's API), where Node's
 * return Timeout objects; console.log and its kin quote strings inside values Deno's way, console.table
 * draws Deno's table. The rest of the console (time, group…) is Node's.
 */
function denoGlobals(): Record<string, unknown> {
  const console = Object.create(globalThis.console) as Console;
  for (const name of ['log', 'info', 'debug'] as const) console[name] = (...args: unknown[]) => void process.stdout.write(denoFormat(args));
  for (const name of ['warn', 'error'] as const) console[name] = (...args: unknown[]) => void process.stderr.write(denoFormat(args));
  console.table = (data: unknown) => void process.stdout.write(denoTable(data));
  const show = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  return {
    console,
    // only what a notebook uses to display; Deno's other APIs fail as undefined
    Deno: { jupyter: denoJupyter(denoInspect, show) },
    setTimeout: (...args: Parameters<typeof setTimeout>) => Number(setTimeout(...args)),
    setInterval: (...args: Parameters<typeof setInterval>) => Number(setInterval(...args)),
  };
}

const MTEST: KernelProfile = {
  display: (value) => (value === undefined ? undefined : displayValue(value)),
  awaitValue: true,
  completionValue: false,
  thrown: displayThrown,
  jsx: false,
  globals: () => ({}),
};

/** tslab and jslab: `console.log(value)` unless it is null or undefined; errors through console.error; type errors stop a cell. */
const TSLAB: KernelProfile = {
  display: (value) => (value == null ? undefined : consoleLog(value)),
  awaitValue: false,
  completionValue: false,
  thrown: consoleError,
  jsx: false,
  globals: () => ({}),
  modules: TSLAB_MODULES,
  settled: settledDisplays,
};

/** tslab's `%d:%d - %s` on stderr, one line per message of each diagnostic's chain. */
function tslabTypeErrors(diagnostics: TypeDiagnostic[]): string {
  return diagnostics.flatMap((d) => d.messages.map((m) => `${d.line}:${d.column} - ${m}\n`)).join('');
}

/**
 * The cell that called IJavascript's `$$.async()`: `requested` until the cell's code returns, `waiting` until
 * the notebook sends its result (from a timer or a promise, after the code returned).
 */
interface AsyncCell {
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}
let requested: AsyncCell | undefined;
let waiting: AsyncCell | undefined;

function laterCell(): Promise<unknown> | undefined {
  const cell = requested;
  requested = undefined;
  return cell?.promise;
}

/**
 * IJavascript's `$$`: `$$.async()` makes the cell end when `$$.sendResult(value)` (shown as a value),
 * `$$.sendError(error)`, `$$.done()` or a display call comes; displays (`$$.html`, `$$.png`, `$$.mime`…) print
 * the text/plain of what they send, the rest of the bundle stores nothing mtest compares.
 */
function ijavascriptGlobals(): Record<string, unknown> {
  const show = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  const finish = (value?: unknown): void => {
    waiting?.resolve(value);
    waiting = undefined;
  };
  const displays = (ends: boolean) => {
    const mime = (bundle: Record<string, unknown>): void => {
      if (typeof bundle?.['text/plain'] === 'string') show(bundle['text/plain'] as string);
      if (ends) finish();
    };
    return {
      mime,
      text: (text: string) => mime({ 'text/plain': String(text) }),
      html: () => mime({}), svg: () => mime({}), png: () => mime({}), jpeg: () => mime({}), json: () => mime({}),
      clear: () => {},
    };
  };
  const $$ = {
    ...displays(true),
    async: () => {
      if (requested) return;
      let resolve!: (value: unknown) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<unknown>((yes, no) => ((resolve = yes), (reject = no)));
      requested = waiting = { promise, resolve, reject };
    },
    sendResult: (value: unknown) => finish(value),
    sendError: (error: unknown) => {
      waiting?.reject(error);
      waiting = undefined;
    },
    done: () => finish(),
    display: () => displays(false),
  };
  return { $$ };
}

const PROFILES: Record<KernelName, KernelProfile> = {
  tslab: { ...TSLAB, typeErrors: tslabTypeErrors },
  // jslab is tslab for JavaScript: it type-checks JavaScript cells too
  jslab: { ...TSLAB, typeErrors: tslabTypeErrors },
  // IJavascript shows util.inspect of the completion value (undefined hidden, as its installer sets up),
  // a returned promise as it is (`Promise { <pending> }`)
  ijavascript: {
    ...MTEST,
    display: (value) => (value === undefined ? undefined : inspect(value, { colors: false })),
    awaitValue: false,
    completionValue: true,
    globals: ijavascriptGlobals,
    finishesLater: laterCell,
  },
  deno: { display: denoDisplay, awaitValue: false, completionValue: true, thrown: displayThrown, jsx: true, globals: denoGlobals, noRequire: true },
  typescript: MTEST,
  javascript: MTEST,
};

/** The profile of a file: its notebook kernel's, else mtest's own. */
export function kernelProfile(kernel: KernelName | undefined): KernelProfile {
  return kernel ? PROFILES[kernel] : MTEST;
}

export const MTEST_PROFILE = MTEST;
