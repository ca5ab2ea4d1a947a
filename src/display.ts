// How values and thrown errors look in `got`: util.inspect with fixed options, Node REPL style
// for exceptions. Pure; shared by the evaluator and the --debug REPL.
import { inspect, type InspectOptions } from 'node:util';

export const INSPECT_OPTIONS: InspectOptions = Object.freeze({ colors: false, depth: 4, breakLength: 80 });

export function displayValue(value: unknown): string {
  return inspect(value, INSPECT_OPTIONS);
}

/**
 * `Uncaught RangeError: matrix is singular` for errors; `Uncaught <inspect(value)>` for anything else.
 * Never throws: a thrown value whose display throws (a Proxy whose traps throw, a throwing getter) is
 * named with what its display threw.
 */
export function displayThrown(value: unknown): string {
  try {
    return thrownText(value);
  } catch (error) {
    return `Uncaught <a value that could not be displayed: ${describeError(error)}>`;
  }
}

function thrownText(value: unknown): string {
  if (value instanceof Error || (value !== null && typeof value === 'object' && 'message' in value && 'name' in value && 'stack' in value)) {
    const err = value as Error;
    const name = err.name || err.constructor?.name || 'Error';
    return err.message === '' ? `Uncaught ${name}` : `Uncaught ${name}: ${err.message}`;
  }
  return `Uncaught ${displayValue(value)}`;
}

/**
 * One line about a thrown value, for mtest's own messages (stray exceptions, fatal errors); never throws,
 * whatever the value's getters, traps or prototype do. `stack`: the stack when it is an Error that has one.
 */
export function describeError(value: unknown, stack = false): string {
  try {
    if (value instanceof Error) {
      if (stack && typeof value.stack === 'string') return value.stack;
      return `${String(value.name)}: ${String(value.message)}`;
    }
    return typeof value === 'string' ? value : inspect(value, INSPECT_OPTIONS);
  } catch {
    try {
      return `a thrown ${Object.prototype.toString.call(value)} that could not be displayed`;
    } catch {
      return 'a thrown value that could not be displayed';
    }
  }
}

/** The line that stands for what a bounded text left out. */
export function leftOut(characters: number): string {
  return `\n… [${characters} characters left out] …\n`;
}

/** `text` cut to its head and tail when longer than `keep` characters, saying how much was left out. */
export function bounded(text: string, keep: number): string {
  if (text.length <= keep) return text;
  const half = Math.floor(keep / 2);
  return text.slice(0, half) + leftOut(text.length - 2 * half) + text.slice(-half);
}

/** Every non-empty line of `text` indented (a final newline dropped): how reports nest text. */
export function indent(text: string, by = '    '): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return body
    .split('\n')
    .map((l) => (l === '' ? '' : by + l))
    .join('\n');
}
