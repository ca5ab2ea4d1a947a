// Checking an annotation-style example (`// returns ~2.363`, `// x => [ 2, 1 ]`, `// => 'Hello'`,
// `// throws <TypeError>`) against what its code did: values are compared as values (./values.ts), and
// what is reported as got is each annotation rewritten with the actual value, in the annotation's notation.
import { displayThrown } from '../display.js';
import type { Annotation } from '../model.js';
import { ellipsisMatch, squash } from './checker.js';
import { className, matches, parsePattern, PatternError, quote, writeValue, type Pattern } from './values.js';

/** What the example's code did, as the evaluator saw it. */
export interface Observed {
  /** Everything written to the console and the standard streams. */
  output: string;
  threw: boolean;
  /** The exception, when it threw. */
  error?: unknown;
  /** The last expression statement's value. */
  value?: unknown;
  /** A name's value after the code (`returns` of an assigned variable, `NAME =>`). */
  lookup(name: string): unknown;
}

export interface AnnotationCheck {
  ok: boolean;
  /** The annotations as the values would have them written (`returns ~2.364`). */
  got: string;
  note?: string;
}

/** mathjs writes a type before the value (`// returns Complex -2 + 4i`, `// returns number 5`). */
const LEADING_TYPE = /^([A-Za-z][\w]*)\s+(\S[\s\S]*)$/;

function readPattern(text: string): Pattern | undefined {
  try {
    return parsePattern(text);
  } catch (err) {
    if (err instanceof PatternError) return undefined;
    throw err;
  }
}

/** A value's text against a written one: spacing ignored (`3.2 -2.8i` is `3.2 - 2.8i`), `...` any text. */
function sameText(written: string, shownText: string): boolean {
  const w = written.replace(/\s+/g, '');
  const g = shownText.replace(/\s+/g, '');
  return w === g || ellipsisMatch(w, g);
}

/** A value as a library's own `toString` shows it (mathjs Complex, Unit, Matrix), for textual wants. */
function shown(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return JSON.stringify(value);
  // mathjs's objects format themselves as its documentation shows them (14 significant digits)
  const formatted = value as { format?: unknown } | null;
  if (formatted !== null && typeof formatted === 'object' && typeof formatted.format === 'function') {
    try {
      const s = (formatted.format as (o: unknown) => unknown).call(value, { precision: 14 });
      if (typeof s === 'string') return s;
    } catch {
      // not mathjs's format: the value's own string below
    }
  }
  if (value !== null && typeof value === 'object' && typeof (value as { toString?: unknown }).toString === 'function') {
    const s = String(value);
    if (s !== '[object Object]') return s;
  }
  return String(value);
}

/** `type` names the value's type or class, loosely (mathjs: `number`, `Array`, `Complex`, `DenseMatrix`). */
function namesType(type: string, value: unknown): boolean {
  const lower = type.toLowerCase();
  if (['number', 'string', 'boolean', 'bigint'].includes(lower)) return typeof value === lower;
  if (lower === 'array') return Array.isArray(value);
  if (value === null || typeof value !== 'object') return false;
  const tagged = value as { type?: unknown; [k: string]: unknown };
  return tagged.type === type || tagged[`is${type}`] === true || className(value).includes(type);
}

/** Does `value` satisfy the written `text`? */
function valueMatches(text: string, value: unknown): boolean {
  if (text === '') return true;
  const pattern = readPattern(text);
  if (pattern) return matches(pattern, value) || (pattern.kind === 'array' && matches(pattern, asArray(value)));
  const typed = LEADING_TYPE.exec(text);
  if (typed && namesType(typed[1], value)) {
    const rest = readPattern(typed[2]);
    if (rest && (matches(rest, value) || (rest.kind === 'array' && matches(rest, asArray(value))))) return true;
    return sameText(typed[2], shown(value));
  }
  return sameText(text, shown(value));
}

/** A matrix object's entries as nested arrays (mathjs's `toArray()`), for an annotation written as an array. */
function asArray(value: unknown): unknown {
  const m = value as { toArray?: unknown } | null;
  return m !== null && typeof m === 'object' && typeof m.toArray === 'function' ? (m.toArray as () => unknown)() : value;
}

/** A value written as a textual annotation with a leading type word would write it (`Complex 3 - 3i`). */
function writeTextual(text: string, value: unknown): string {
  const typed = LEADING_TYPE.exec(text);
  if (typed && !readPattern(typed[2])) {
    const type = value !== null && typeof value === 'object' ? String((value as { type?: unknown }).type ?? (value as object).constructor?.name ?? typed[1]) : typeof value;
    return `${type} ${shown(value)}`;
  }
  return writeValue(value, typed ? readPattern(typed[2]) : undefined);
}

/** Printed output against `text`: a quoted string is the text printed; anything else is read as a value. */
function outputMatches(text: string, output: string): boolean {
  const printed = output.replace(/\n$/, '');
  const candidates = [printed];
  // the last line alone: the annotation documents the statement right before it
  const lines = printed.split('\n');
  if (lines.length > 1) candidates.push(lines[lines.length - 1]);
  const pattern = readPattern(text);
  for (const candidate of candidates) {
    if (pattern) {
      if (matchesPrinted(pattern, candidate)) return true;
    } else if (squash(candidate) === squash(text)) return true;
  }
  return false;
}

function matchesPrinted(pattern: Pattern, printed: string): boolean {
  if (pattern.kind === 'either') return pattern.options.some((o) => matchesPrinted(o, printed));
  if (pattern.kind === 'string') return matches(pattern, printed);
  if (pattern.kind === 'any') return true;
  // what console.log showed of a value (`3.14`, `[ 1, 2 ]`, `true`) read back as one
  const value = readPrinted(printed);
  return value !== NOT_A_VALUE && matches(pattern, value);
}

const NOT_A_VALUE = Symbol('not a value');

/** `Float64Array(3) [ 1, 2, 3 ]`: how util.inspect (console.log) shows a typed array. */
const PRINTED_TYPED_ARRAY = /^([A-Z]\w*Array)\(\d+\) (\[[\s\S]*\])$/;

function readPrinted(printed: string): unknown {
  const typed = PRINTED_TYPED_ARRAY.exec(printed.trim());
  if (typed) {
    const ctor = (globalThis as Record<string, unknown>)[typed[1]];
    const items = readPattern(typed[2]);
    if (typeof ctor === 'function' && items) {
      const values = literal(items);
      if (Array.isArray(values)) return new (ctor as new (v: unknown[]) => unknown)(values);
    }
  }
  const p = readPattern(printed);
  return p ? literal(p) : NOT_A_VALUE;
}

function literal(p: Pattern): unknown {
  switch (p.kind) {
    case 'number': return p.value;
    case 'string': return p.value;
    case 'literal': return p.value;
    case 'array': return p.items.map(literal);
    case 'object': return Object.fromEntries(p.entries.map(([k, v]) => [k, literal(v)]));
    default: return NOT_A_VALUE;
  }
}

/** The class name of a thrown value (`TypeError`), or its display. */
function errorName(error: unknown): string {
  if (error instanceof Error || (error !== null && typeof error === 'object' && 'name' in error)) return String((error as Error).name || (error as object).constructor?.name || 'Error');
  return typeof error;
}

function errorIs(error: unknown, name: string): boolean {
  if (error === null || typeof error !== 'object') return false;
  return (error as Error).name === name || className(error).includes(name);
}

/** `throws`, `throws <TypeError>`, `throws TypeError`, `throws TypeError: message` (message: a prefix). */
function throwsMatches(text: string, error: unknown): boolean {
  if (text === '' || text === '...') return true;
  return text.split('||').some((option) => {
    // `throws RangeError as the matrix is singular`: words after the class explain, a `:` gives the message
    const m = /^<?([\w$.]+)>?(?::\s*([\s\S]*)|\s[\s\S]*)?$/.exec(option.trim());
    if (!m) return false;
    if (!errorIs(error, m[1])) return false;
    if (m[2] === undefined) return true;
    const message = String((error as Error).message ?? '');
    const want = m[2].replace(/^['"]|['"]$/g, '');
    return message.startsWith(want) || squash(message) === squash(want);
  });
}

function written(a: Annotation, value: string): string {
  return `${a.marker} ${value}`.trimEnd();
}

function throwsText(error: unknown): string {
  return `<${errorName(error)}>`;
}

/** Check every annotation of an example against what its code did. */
export function checkAnnotations(annotations: Annotation[], seen: Observed): AnnotationCheck {
  const expectsThrow = annotations.some((a) => a.kind === 'throws');
  if (seen.threw && !expectsThrow) {
    return { ok: false, got: seen.output + displayThrown(seen.error) + '\n' };
  }
  const lines: string[] = [];
  let ok = true;
  for (const a of annotations) {
    let good: boolean;
    let actual: string;
    if (a.kind === 'throws') {
      good = seen.threw && (a.exemplary || throwsMatches(a.value, seen.error));
      actual = seen.threw ? written(a, throwsText(seen.error)) : `returns ${writeValue(seen.value)}`;
    } else if (a.kind === 'prints') {
      good = a.exemplary || outputMatches(a.value, seen.output);
      actual = written(a, printedText(a.value, seen.output));
    } else {
      const value = a.target !== undefined ? seen.lookup(a.target) : seen.value;
      good = a.exemplary || valueMatches(a.value, value);
      const pattern = readPattern(a.value);
      actual = written(a, pattern ? writeValue(value, pattern) : writeTextual(a.value, value));
    }
    if (!good) ok = false;
    lines.push(good ? written(a, a.value) : actual);
  }
  return { ok, got: lines.join('\n') + (lines.length > 0 ? '\n' : '') };
}

/** Printed output written as a `=>` annotation: quoted when the annotation quotes. */
function printedText(want: string, output: string): string {
  const printed = output.replace(/\n$/, '');
  if (/^\s*'/.test(want) && !printed.includes('\n')) return quote(printed);
  // a value console.log showed, written in the annotation's notation (`<Float64Array>[ 2.0, 4.0 ]`)
  const pattern = readPattern(want);
  const value = pattern && pattern.kind !== 'string' ? readPrinted(printed) : NOT_A_VALUE;
  return value === NOT_A_VALUE ? printed : writeValue(value, pattern);
}
