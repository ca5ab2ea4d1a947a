// A small JavaScript/TypeScript lexer: just enough to tell comments from code. Strings, template literals
// (with `${…}` nesting) and regular-expression literals are skipped so that `//` or `/*` inside them is not
// taken for a comment. Regex-versus-division is decided by the previous significant token, the usual
// heuristic. Linear time, no regular expressions on the hot path, never throws.

export type TokenKind = 'ident' | 'punct' | 'string' | 'template' | 'regex' | 'number' | 'private';

export interface Token {
  kind: TokenKind;
  /** Identifier or punctuator text; for literals only the start is meaningful. */
  value: string;
  start: number;
  /** Bracket nesting depth (`(`, `[`, `{`, `${`) at the token; a closer has its opener's depth. */
  depth: number;
}

export interface Comment {
  kind: 'line' | 'block';
  /** Offset of the `//` or `/*`. */
  start: number;
  /** Offset just past the comment (past `*\/`, or at the newline ending a line comment). */
  end: number;
  /** Only whitespace precedes the comment on its line. */
  ownLine: boolean;
  /** Index in `tokens` of the first code token after the comment. */
  nextToken: number;
  /** Brace depth at the comment (see Token.depth). */
  depth: number;
  /** False for a block comment that runs to the end of the text. */
  terminated: boolean;
}

export interface LexResult {
  tokens: Token[];
  comments: Comment[];
}

/** Keywords after which a `/` starts a regular expression even though they look like identifiers. */
const REGEX_AFTER_KEYWORD = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else',
  'yield', 'await', 'extends',
]);

const enum Ch {
  Tab = 9, Newline = 10, CR = 13, Space = 32, Bang = 33, DoubleQuote = 34, Hash = 35, Dollar = 36,
  SingleQuote = 39, OpenParen = 40, CloseParen = 41, Star = 42, Plus = 43, Minus = 45, Dot = 46, Slash = 47,
  Zero = 48, Nine = 57, OpenBracket = 91, Backslash = 92, CloseBracket = 93, Underscore = 95, Backtick = 96,
  OpenBrace = 123, CloseBrace = 125,
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === Ch.Underscore || c === Ch.Dollar || c >= 0x80;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= Ch.Zero && c <= Ch.Nine);
}

function isDigit(c: number): boolean {
  return c >= Ch.Zero && c <= Ch.Nine;
}

function isSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab || c === Ch.Newline || c === Ch.CR || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff;
}

/** Can a `/` after this token start a regular expression? */
function regexAllowedAfter(prev: Token | undefined): boolean {
  if (!prev) return true;
  switch (prev.kind) {
    case 'ident':
      return REGEX_AFTER_KEYWORD.has(prev.value);
    case 'punct':
      return !(prev.value === ')' || prev.value === ']' || prev.value === '}' || prev.value === '++' || prev.value === '--');
    default:
      return false;
  }
}

/** End offset of a '…' or "…" string starting at `start`; an unescaped newline ends it (recovery). */
function skipQuoted(text: string, start: number, quote: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === quote) return i + 1;
    if (c === Ch.Backslash) i += 2;
    else if (c === Ch.Newline) return i;
    else i++;
  }
  return text.length;
}

/**
 * Scan template text from `i` (just inside a backtick or just after the `}` closing a substitution).
 * Returns the offset after the closing backtick, or after `${` with `substitution` true.
 */
function skipTemplateText(text: string, i: number): { end: number; substitution: boolean } {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === Ch.Backtick) return { end: i + 1, substitution: false };
    if (c === Ch.Backslash) i += 2;
    else if (c === Ch.Dollar && text.charCodeAt(i + 1) === Ch.OpenBrace) return { end: i + 2, substitution: true };
    else i++;
  }
  return { end: text.length, substitution: false };
}

/** End offset of a regex literal starting at `start`, or -1 when the line ends first (then it was a division). */
function skipRegex(text: string, start: number): number {
  let i = start + 1;
  let inClass = false;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === Ch.Newline || c === Ch.CR) return -1;
    if (c === Ch.Backslash) i += 2;
    else if (c === Ch.OpenBracket) { inClass = true; i++; }
    else if (c === Ch.CloseBracket) { inClass = false; i++; }
    else if (c === Ch.Slash && !inClass) {
      i++;
      while (i < text.length && isIdentPart(text.charCodeAt(i))) i++; // flags
      return i;
    } else i++;
  }
  return -1;
}

function skipNumber(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isIdentPart(c) || c === Ch.Dot) {
      // exponent sign: 1e-3, 1E+3 (not in hex literals, where e is a digit and no sign follows anyway)
      if ((c === 101 || c === 69) && (text.charCodeAt(i + 1) === Ch.Plus || text.charCodeAt(i + 1) === Ch.Minus)) i += 2;
      else i++;
    } else break;
  }
  return i;
}

export function lex(text: string): LexResult {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  /** Brace depths at which a template substitution `${` was opened, innermost last. */
  const templateStack: number[] = [];
  let depth = 0;
  let lineHasCode = false;
  let noRegexBefore = 0;
  let i = 0;
  const n = text.length;
  if (text.startsWith('#!')) {
    const nl = text.indexOf('\n');
    i = nl < 0 ? n : nl;
  }
  const push = (kind: TokenKind, value: string, start: number, tokenDepth = depth): void => {
    tokens.push({ kind, value, start, depth: tokenDepth });
    lineHasCode = true;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === Ch.Newline) { lineHasCode = false; i++; continue; }
    if (isSpace(c)) { i++; continue; }
    if (c === Ch.Slash) {
      const next = text.charCodeAt(i + 1);
      if (next === Ch.Slash) {
        const nl = text.indexOf('\n', i);
        const end = nl < 0 ? n : nl;
        comments.push({ kind: 'line', start: i, end, ownLine: !lineHasCode, nextToken: -1, depth, terminated: true });
        i = end;
        continue;
      }
      if (next === Ch.Star) {
        const close = text.indexOf('*/', i + 2);
        const end = close < 0 ? n : close + 2;
        comments.push({ kind: 'block', start: i, end, ownLine: !lineHasCode, nextToken: -1, depth, terminated: close >= 0 });
        i = end;
        continue;
      }
      if (i >= noRegexBefore && regexAllowedAfter(tokens[tokens.length - 1])) {
        const end = skipRegex(text, i);
        if (end > 0) { push('regex', '/', i); i = end; continue; }
        // Not a regex after all. Rescanning the rest of this line for every later `/` could be quadratic
        // on a long (minified) line, so the rest of the line reads `/` as division.
        const nl = text.indexOf('\n', i);
        noRegexBefore = nl < 0 ? n : nl;
      }
      push('punct', '/', i);
      i++;
      continue;
    }
    if (c === Ch.SingleQuote || c === Ch.DoubleQuote) {
      push('string', text[i], i);
      i = skipQuoted(text, i, c);
      continue;
    }
    if (c === Ch.Backtick) {
      push('template', '`', i);
      const scan = skipTemplateText(text, i + 1);
      i = scan.end;
      if (scan.substitution) { templateStack.push(depth); depth++; }
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      push('ident', text.slice(start, i), start);
      continue;
    }
    if (isDigit(c) || (c === Ch.Dot && isDigit(text.charCodeAt(i + 1)))) {
      push('number', '0', i);
      i = skipNumber(text, i);
      continue;
    }
    if (c === Ch.Hash && isIdentStart(text.charCodeAt(i + 1))) {
      const start = i;
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      push('private', text.slice(start, i), start);
      continue;
    }
    if (c === Ch.OpenBrace || c === Ch.OpenParen || c === Ch.OpenBracket) {
      push('punct', text[i], i);
      depth++;
      i++;
      continue;
    }
    if (c === Ch.CloseBrace || c === Ch.CloseParen || c === Ch.CloseBracket) {
      if (depth > 0) depth--;
      if (c === Ch.CloseBrace && templateStack.length > 0 && templateStack[templateStack.length - 1] === depth) {
        // end of a `${…}` substitution: back inside the template's text
        templateStack.pop();
        const scan = skipTemplateText(text, i + 1);
        i = scan.end;
        if (scan.substitution) { templateStack.push(depth); depth++; }
        lineHasCode = true;
        continue;
      }
      push('punct', text[i], i);
      i++;
      continue;
    }
    if ((c === Ch.Plus || c === Ch.Minus) && text.charCodeAt(i + 1) === c) {
      push('punct', text.slice(i, i + 2), i);
      i += 2;
      continue;
    }
    push('punct', text[i], i);
    i++;
  }
  // Attach each comment to the first token after it (comments and tokens are both in text order).
  let t = 0;
  for (const comment of comments) {
    while (t < tokens.length && tokens[t].start < comment.end) t++;
    comment.nextToken = t;
  }
  return { tokens, comments };
}

/**
 * Offset of the first `//` line comment in `line` that is not inside a string, template or regex literal
 * (or inside a block comment), or -1.
 */
export function findLineComment(line: string): number {
  if (!line.includes('//')) return -1;
  for (const comment of lex(line).comments) if (comment.kind === 'line') return comment.start;
  return -1;
}
