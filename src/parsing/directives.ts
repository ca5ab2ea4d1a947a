// Directives (SPEC §3): a `// …` comment at the end of an example's first source line.
//
// Rules (chosen to match what a Sage user writes, while never silently ignoring a typo in a directive):
// - The comment is a directive when its first word (case-insensitive) is a directive keyword: not, long,
//   known, random, optional, needs, tol/tolerance, rel/relative, abs/absolute, timeout. Anything else is
//   prose and ignored (`x = 1  // the answer`). A comment that starts with a keyword must parse completely,
//   otherwise the example gets an error (`// not sure why` → unknown directive 'not sure why').
// - Parenthesised text is an explanation and dropped first: `// long time (about 10 s, on CI)`.
// - Several directives may follow each other, separated by commas or spaces: `// long time, random`.
// - `optional`/`needs` take a tag list that runs to the end of the comment, or to a comma followed by a
//   directive keyword: `optional - a, b` and `needs a b` both give [a, b]; `needs a, long time` gives [a] plus
//   long time; `needs a long` gives [a, long] (put other directives first, or after a comma).
// - Tolerances follow Sage: `tol`, `rel tol`, `abs tol` (also `tolerance`, `relative`, `absolute`), each with an
//   optional non-negative ε (default 1e-15). `timeout S` takes S ≥ 0 seconds (an `s` suffix is allowed).
import { emptyDirectives, type Directives } from '../model.js';
import { findLineComment } from './js-lexer.js';

export const DEFAULT_TOLERANCE = 1e-15;

const KEYWORDS = new Set([
  'not', 'long', 'known', 'random', 'optional', 'needs', 'tol', 'tolerance', 'rel', 'relative', 'abs',
  'absolute', 'timeout',
]);

const NUMBER = /^\+?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/;
const TAG = /^[a-z0-9_][a-z0-9_.+-]*$/;

/** Text of the trailing `// …` comment of a source line (after the slashes, trimmed), or null. */
export function trailingComment(line: string): string | null {
  const at = findLineComment(line);
  return at < 0 ? null : line.slice(at + 2).trim();
}

/** Directives of an example, from its first source line; no comment or prose gives empty directives. */
export function parseDirectives(firstLine: string): Directives {
  const comment = trailingComment(firstLine);
  if (comment === null) return emptyDirectives();
  return parseDirectiveText(comment) ?? emptyDirectives();
}

/** The first word of a comment, lower-cased: the leading run of letters. */
function firstWord(text: string): string {
  let end = 0;
  while (end < text.length) {
    const c = text.charCodeAt(end) | 0x20;
    if (c < 97 || c > 122) break;
    end++;
  }
  return text.slice(0, end).toLowerCase();
}

/** Is this comment text (without the `//`) meant as a directive? */
export function isDirectiveText(text: string): boolean {
  return KEYWORDS.has(firstWord(text.trim()));
}

/** Drop `( … )` explanations (nested parentheses included; an unclosed one runs to the end). */
function dropExplanations(text: string): string {
  if (!text.includes('(')) return text;
  let out = '';
  let depth = 0;
  for (const ch of text) {
    if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (depth === 0) out += ch;
  }
  return out;
}

/** Words, with `,` and `:` as tokens of their own. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let word = '';
  const flush = (): void => {
    if (word) tokens.push(word);
    word = '';
  };
  for (const ch of text) {
    if (ch === ',' || ch === ':') { flush(); tokens.push(ch); }
    else if (ch === ' ' || ch === '\t') flush();
    else word += ch;
  }
  flush();
  return tokens;
}

function parseSeconds(word: string | undefined): number | undefined {
  if (word === undefined) return undefined;
  const digits = word.endsWith('s') ? word.slice(0, -1) : word;
  return NUMBER.test(digits) ? Number(digits) : undefined;
}

/**
 * Parse a comment's text (without `//`). Returns null when it is prose (does not start with a directive
 * keyword); otherwise the directives, with `errors` holding one message when it did not fully parse.
 */
export function parseDirectiveText(text: string): Directives | null {
  const original = text.trim();
  if (!isDirectiveText(original)) return null;
  const directives = emptyDirectives();
  const tokens = tokenize(dropExplanations(original).toLowerCase());
  const fail = (why: string): Directives => {
    directives.errors.push(`bad directive '${original}': ${why}`);
    return directives;
  };
  let p = 0;
  while (p < tokens.length) {
    const word = tokens[p++];
    if (word === ',') continue;
    switch (word) {
      case 'not': {
        const what = tokens[p++];
        if (what !== 'tested' && what !== 'implemented') return fail(`expected 'not tested' or 'not implemented'`);
        directives.notTested = `not ${what}`;
        break;
      }
      case 'long':
        if (tokens[p++] !== 'time') return fail(`expected 'long time'`);
        directives.longTime = true;
        break;
      case 'known':
        if (tokens[p++] !== 'bug') return fail(`expected 'known bug'`);
        directives.knownBug = true;
        break;
      case 'random':
        directives.random = true;
        break;
      case 'rel': case 'relative': case 'abs': case 'absolute': case 'tol': case 'tolerance': {
        let kind: 'tol' | 'rel' | 'abs' = 'tol';
        if (word !== 'tol' && word !== 'tolerance') {
          kind = word.startsWith('rel') ? 'rel' : 'abs';
          const next = tokens[p++];
          if (next !== 'tol' && next !== 'tolerance') return fail(`expected '${word} tol'`);
        }
        let epsilon = DEFAULT_TOLERANCE;
        const arg = tokens[p];
        if (arg !== undefined && arg !== ',' && !KEYWORDS.has(arg)) {
          if (!NUMBER.test(arg)) return fail(`tolerance must be a non-negative number, not '${arg}'`);
          epsilon = Number(arg);
          p++;
        }
        directives.tolerance = { kind, epsilon };
        break;
      }
      case 'timeout': {
        const seconds = parseSeconds(tokens[p]);
        if (seconds === undefined) return fail(`timeout needs a non-negative number of seconds`);
        directives.timeout = seconds;
        p++;
        break;
      }
      case 'optional': case 'needs': {
        // separators Sage allows between the keyword and the tags: `optional - a`, `optional: a`, `needs -- a`
        while (p < tokens.length && (tokens[p] === ':' || /^-+$/.test(tokens[p]))) p++;
        let count = 0;
        while (p < tokens.length) {
          const tag = tokens[p];
          if (tag === ',') {
            if (KEYWORDS.has(tokens[p + 1] ?? '')) break; // a new directive follows
            p++;
            continue;
          }
          if (!TAG.test(tag)) return fail(`bad tag '${tag}'`);
          if (!directives.needs.includes(tag)) directives.needs.push(tag);
          count++;
          p++;
        }
        if (count === 0) return fail(`'${word}' needs at least one tag`);
        break;
      }
      default:
        return fail(`unknown directive '${tokens.slice(p - 1).join(' ')}'`);
    }
  }
  return directives;
}

/** Directives of an example inside the scope of block-scoped ones: the example's own win where they clash. */
export function mergeDirectives(outer: Directives, own: Directives): Directives {
  const merged: Directives = {
    needs: [...outer.needs, ...own.needs.filter((tag) => !outer.needs.includes(tag))],
    errors: [...outer.errors, ...own.errors],
  };
  const notTested = own.notTested ?? outer.notTested;
  if (notTested !== undefined) merged.notTested = notTested;
  if (outer.longTime || own.longTime) merged.longTime = true;
  if (outer.knownBug || own.knownBug) merged.knownBug = true;
  if (outer.random || own.random) merged.random = true;
  const tolerance = own.tolerance ?? outer.tolerance;
  if (tolerance !== undefined) merged.tolerance = tolerance;
  const timeout = own.timeout ?? outer.timeout;
  if (timeout !== undefined) merged.timeout = timeout;
  return merged;
}
