// Directives: the `// …` comment on an example's first source line, read as Sage's `parse_optional_tags`
// and `parse_tolerance` read `# …` (with `//` for `#`), plus mtest's own `timeout S`.
//
// - Tags: a directive word follows a character that is neither a letter nor a space (the comment marker
//   itself, a comma, a second `//`), after optional spaces: `long time`, `not tested`, `not implemented`,
//   `known bug` (optionally `linux`/`macos`: a bug of that platform only), `py2`, and `optional`/`needs`
//   followed (after spaces, `:` or `-`) by tag names: words and dots, an optional `!` (the tag must be
//   absent), each with an optional `(explanation)`; the names end at anything else, a comma included:
//   `needs a b, long time`. So `// x.  // needs engine` reads the tag after the second marker, and
//   `// not tested - takes ~ 1min` reads `not tested`, as Sage does; prose (`// Not a modular form`) reads
//   nothing.
// - `random` anywhere in the comment (case-insensitive) accepts any output; otherwise the first
//   `tol`/`tolerance`, `rel tol`, `abs tol` (also `relative`, `absolute`) with an optional ε (default 1e-15).
// - A comment is a bad directive only where it is clearly meant as one: a tolerance or `timeout` placed
//   as a directive whose value is not a non-negative number (`// tol abc`, `// timeout soon`).
// Deliberate differences: ε may be written `1E-3` (Sage's pattern would read `1`), and a sentence's final
// dot after ε (`tol 1e-9.`) is not part of it.
import { emptyDirectives, type Directives } from '../model.js';
import { findLineComment } from './js-lexer.js';

export const DEFAULT_TOLERANCE = 1e-15;

/** Sage's special tags, in the order its alternation tries them. */
const COMMANDS = ['py2', 'long time', 'not implemented', 'not tested', 'optional', 'needs', 'known bug'] as const;
type Command = (typeof COMMANDS)[number];

/** Words that may follow a tolerance as the next directive (not taken for a bad ε). */
const DIRECTIVE_WORDS = new Set(['py2', 'long', 'not', 'optional', 'needs', 'known', 'random', 'timeout', 'tol', 'tolerance', 'rel', 'relative', 'abs', 'absolute']);

const NUMBER = /^\+?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const TOLERANCE = /\b((?:abs(?:olute)?)|(?:rel(?:ative)?))? *?tol(?:erance)?\b( +[0-9.eE+-]+)?/;
const RANDOM = /random/i;
const WORD_CHAR = /[\p{L}\p{N}_]/u;

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

function isSpace(c: string | undefined): boolean {
  return c !== undefined && /\s/.test(c);
}

function isAsciiLetter(c: string): boolean {
  const k = c.charCodeAt(0) | 0x20;
  return k >= 97 && k <= 122;
}

/** A position where a directive may start: after a character that is neither a letter nor a space. */
function directivePositions(text: string): number[] {
  const out: number[] = [];
  for (let p = 0; p < text.length; p++) {
    const c = text[p];
    if (c === ' ' || isAsciiLetter(c)) continue;
    let q = p + 1;
    while (isSpace(text[q])) q++;
    out.push(q);
  }
  return out;
}

interface Tags {
  names: string[];
  end: number;
}

/** Tag names after `optional`/`needs` from `at`: words and dots with an optional `!`, each with an optional `( … )`. */
function readTags(text: string, at: number): Tags {
  const names: string[] = [];
  let q = at;
  for (;;) {
    const start = q;
    let name = '';
    for (;;) {
      if (text[q] === '.') { name += '.'; q++; continue; }
      const bang = text[q] === '!' ? 1 : 0;
      const c = text[q + bang];
      if (c !== undefined && WORD_CHAR.test(c)) { name += text.slice(q, q + bang + 1); q += bang + 1; continue; }
      break;
    }
    while (isSpace(text[q])) q++;
    if (text[q] === '(') {
      const close = text.indexOf(')', q + 1);
      if (close >= 0) q = close + 1;
    }
    while (isSpace(text[q])) q++;
    const tag = name.trim().toLowerCase();
    if (tag) names.push(tag);
    if (q === start) return { names, end: q };
  }
}

/** Sage's tag reading over a whole comment: matches never overlap, the next one is sought after the last. */
function readCommands(text: string, directives: Directives): void {
  let from = 0;
  for (let p = 0; p < text.length; p++) {
    if (p < from) continue;
    const c = text[p];
    if (c === ' ' || isAsciiLetter(c)) continue;
    let q = p + 1;
    while (isSpace(text[q])) q++;
    const lower = text.slice(q, q + 15).toLowerCase();
    const command = COMMANDS.find((cmd) => lower.startsWith(cmd)) as Command | undefined;
    if (!command) continue;
    q += command.length;
    while (isSpace(text[q]) || text[q] === ':' || text[q] === '-') q++;
    const tags = readTags(text, q);
    from = tags.end;
    p = from - 1;
    switch (command) {
      case 'long time': directives.longTime = true; break;
      case 'not tested': case 'not implemented': directives.notTested ??= command; break;
      case 'known bug': {
        directives.knownBug = true;
        const on = tags.names[0];
        if (on?.startsWith('linux')) directives.knownBugOn = 'linux';
        else if (on?.startsWith('macos')) directives.knownBugOn = 'macos';
        break;
      }
      case 'py2': addTag(directives, 'py2'); break;
      default: for (const tag of tags.names) addTag(directives, tag);
    }
  }
}

function addTag(directives: Directives, tag: string): void {
  if (!directives.needs.includes(tag)) directives.needs.push(tag);
}

/**
 * What a bad ε looks like: the tolerance is followed by one lone word (up to the end of the comment, a comma
 * or another `//`) that starts with a letter and is no directive: `// tol abc`, not `// tolerance of the fit`.
 */
function badEpsilon(text: string, end: number): string | undefined {
  const m = /^\s*([^\s,;()]+)\s*(?:$|,|\/\/)/.exec(text.slice(end));
  if (!m || !isAsciiLetter(m[1][0])) return undefined;
  return DIRECTIVE_WORDS.has(m[1].toLowerCase()) ? undefined : m[1];
}

function readTolerance(text: string, directives: Directives, positions: number[], fail: (why: string) => void): void {
  const m = TOLERANCE.exec(text);
  if (!m) return;
  const kind = m[1] === undefined ? 'tol' : m[1].startsWith('rel') ? 'rel' : 'abs';
  let raw = m[2]?.trim();
  if (raw !== undefined && raw.endsWith('.') && !NUMBER.test(raw)) raw = raw.slice(0, -1);
  const placed = positions.includes(m.index);
  if (raw === undefined) {
    const word = placed ? badEpsilon(text, m.index + m[0].length) : undefined;
    if (word !== undefined) return fail(`tolerance must be a non-negative number, not '${word}'`);
    directives.tolerance = { kind, epsilon: DEFAULT_TOLERANCE };
    return;
  }
  if (!NUMBER.test(raw)) return fail(`tolerance must be a non-negative number, not '${raw}'`);
  directives.tolerance = { kind, epsilon: Number(raw) };
}

/** mtest's own `timeout S` (S ≥ 0 seconds, an `s` suffix allowed), where a directive may start. */
function readTimeout(text: string, directives: Directives, positions: number[], fail: (why: string) => void): void {
  for (const at of positions) {
    if (text.slice(at, at + 7).toLowerCase() !== 'timeout' || WORD_CHAR.test(text[at + 7] ?? '')) continue;
    const m = /^\s+(\S+?)s?(?=$|[\s,;)])/i.exec(text.slice(at + 7));
    if (!m || !NUMBER.test(m[1])) return fail('timeout needs a non-negative number of seconds');
    directives.timeout = Number(m[1]);
    return;
  }
}

/**
 * Parse a comment's text (without `//`). Returns null when it holds no directive (prose); otherwise the
 * directives, with `errors` holding one message when a directive clearly meant as one did not parse.
 */
export function parseDirectiveText(text: string): Directives | null {
  const original = text.trim();
  // The comment marker Sage's grammar sees before the first word.
  const comment = `/${original}`;
  const directives = emptyDirectives();
  const fail = (why: string): void => {
    directives.errors.push(`bad directive '${original}': ${why}`);
  };
  const positions = directivePositions(comment);
  readCommands(comment, directives);
  if (RANDOM.test(original)) directives.random = true;
  else readTolerance(comment, directives, positions, fail);
  if (directives.errors.length === 0) readTimeout(comment, directives, positions, fail);
  const found = Object.keys(directives).some((key) => key !== 'needs' && key !== 'errors') || directives.needs.length > 0 || directives.errors.length > 0;
  return found ? directives : null;
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
  const knownBugOn = own.knownBugOn ?? outer.knownBugOn;
  if (knownBugOn !== undefined) merged.knownBugOn = knownBugOn;
  if (outer.random || own.random) merged.random = true;
  if (outer.raises || own.raises) merged.raises = true;
  const tolerance = own.tolerance ?? outer.tolerance;
  if (tolerance !== undefined) merged.tolerance = tolerance;
  const timeout = own.timeout ?? outer.timeout;
  if (timeout !== undefined) merged.timeout = timeout;
  return merged;
}
