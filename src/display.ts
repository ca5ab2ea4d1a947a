// How values and thrown errors look in `got`: util.inspect with fixed options, Node REPL style
// for exceptions. Pure; shared by the evaluator and the --debug REPL.
import { inspect, type InspectOptions } from 'node:util';

export const INSPECT_OPTIONS: InspectOptions = Object.freeze({ colors: false, depth: 4, breakLength: 80 });

export function displayValue(value: unknown): string {
  return inspect(value, INSPECT_OPTIONS);
}

/** `Uncaught RangeError: matrix is singular` for errors; `Uncaught <inspect(value)>` for anything else. */
export function displayThrown(value: unknown): string {
  if (value instanceof Error || (value !== null && typeof value === 'object' && 'message' in value && 'name' in value && 'stack' in value)) {
    const err = value as Error;
    const name = err.name || err.constructor?.name || 'Error';
    return err.message === '' ? `Uncaught ${name}` : `Uncaught ${name}: ${err.message}`;
  }
  return `Uncaught ${displayValue(value)}`;
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
