// OutputChecker: does what an example printed (got) match what the document says (want)?
// Always on, as in Sage: trailing whitespace ignored, runs of whitespace equal, `...` matches any text,
// ANSI escapes removed from got. With a tolerance directive, numbers compare within ε and the text around
// them compares as usual.
import type { Directives, Tolerance } from '../model.js';

export interface CheckResult {
  ok: boolean;
  /** `Tolerance exceeded:` lines, for the failure report. */
  note?: string;
}

// CSI and OSC sequences (colours, cursor moves, hyperlinks).
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const BLANKLINE = /^<BLANKLINE>[ \t]*$/gm;
const WHITESPACE = /\s+/g;
// A number not glued to a word: 3, -2.5, .5, 1e-12, 2.0e+3, Infinity, NaN.
const NUMBER = /(?<![\w.])[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?(?![\w])|(?<![\w.])[+-]?(?:Infinity|NaN|inf|nan)(?![\w])/g;
const NUMBER_MASK = '\u0000';

export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(ANSI, '') : text;
}

export function normalizeWant(want: string): string {
  return want.includes('<BLANKLINE>') ? want.replace(BLANKLINE, '') : want;
}

/** Runs of whitespace as one space, ends trimmed. */
export function squash(text: string): string {
  return text.replace(WHITESPACE, ' ').trim();
}

/** doctest's ELLIPSIS rule: `...` in want matches any text (possibly empty, across lines). */
export function ellipsisMatch(want: string, got: string): boolean {
  if (!want.includes('...')) return want === got;
  const pieces = want.split('...');
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  let start = first.length;
  let end = got.length - last.length;
  if (!got.startsWith(first) || !got.endsWith(last) || start > end) return false;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i];
    const at = got.indexOf(piece, start);
    if (at < 0 || at + piece.length > end) return false;
    start = at + piece.length;
  }
  return true;
}

function textMatches(want: string, got: string): boolean {
  const w = squash(want);
  const g = squash(got);
  return w === g || ellipsisMatch(w, g);
}

function parseNumber(s: string): number {
  const t = s.toLowerCase().replace(/^\+/, '');
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return Number(s);
}

function exponent(x: number): string {
  return Number.isFinite(x) ? x.toExponential(0).replace('e+', 'e') : String(x);
}

/** Compare numbers within tolerance; returns the offending pairs (empty when all are within ε). */
function toleranceFailures(wants: string[], gots: string[], tol: Tolerance): string[] {
  const failures: string[] = [];
  for (let i = 0; i < wants.length; i++) {
    const w = parseNumber(wants[i]);
    const g = parseNumber(gots[i]);
    if (Object.is(w, g) || w === g) continue;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    const diff = Math.abs(g - w);
    const relative = tol.kind !== 'abs' && w !== 0;
    const error = relative ? diff / Math.abs(w) : diff;
    const ok = tol.kind === 'rel' && w === 0 ? g === 0 : error <= tol.epsilon;
    if (!ok) failures.push(`    ${wants[i]} vs ${gots[i]}, tolerance ${exponent(error)} > ${exponent(tol.epsilon)}`);
  }
  return failures;
}

/** Got without its final `Uncaught …` line(s). */
function withoutException(got: string): string {
  const at = got.lastIndexOf('Uncaught ');
  return at === 0 || (at > 0 && got[at - 1] === '\n') ? got.slice(0, at) : got;
}

export class OutputChecker {
  /** `threw` says the example raised (got then ends with `Uncaught …`). */
  check(want: string, got: string, directives: Directives, threw = false): CheckResult {
    const w = normalizeWant(want);
    let g = stripAnsi(got);
    if (directives.raises) {
      // A notebook cell marked `raises`: it must throw; the exception is compared only when the want names one.
      if (!threw) return { ok: false, note: 'Expected an exception (the cell is marked raises); none was raised' };
      if (!/^\s*Uncaught\b/m.test(w)) g = withoutException(g);
      threw = false;
    }
    if (directives.random) return { ok: !threw || squash(w).startsWith('Uncaught') };
    if (!directives.tolerance) return { ok: textMatches(w, g) };
    const wantNumbers = w.match(NUMBER) ?? [];
    const gotNumbers = g.match(NUMBER) ?? [];
    if (wantNumbers.length !== gotNumbers.length) {
      return { ok: false, note: `Tolerance check: expected ${wantNumbers.length} numbers, got ${gotNumbers.length}` };
    }
    const failures = toleranceFailures(wantNumbers, gotNumbers, directives.tolerance);
    if (!textMatches(w.replace(NUMBER, NUMBER_MASK), g.replace(NUMBER, NUMBER_MASK))) return { ok: false };
    if (failures.length > 0) return { ok: false, note: `Tolerance exceeded:\n${failures.join('\n')}` };
    return { ok: true };
  }
}
