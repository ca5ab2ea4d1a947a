// TypeScript/JavaScript sources: examples live in comments. One `/* */` or `/** */` comment, or one run of
// `//` comments on consecutive lines, is one block, named after the declaration that follows it.
import type { Block, InputError } from '../model.js';
import { lex, type Comment, type Token } from '../parsing/js-lexer.js';
import { DEFAULT_PROMPTS, parseExamples, promptSyntax } from '../parsing/examples.js';
import { LineIndex } from './lines.js';

export interface ScriptOptions {
  prompts?: readonly string[];
}

export function extractScriptBlocks(
  text: string, file: string, opts: ScriptOptions = {},
): { blocks: Block[]; errors: InputError[] } {
  const prompts = opts.prompts ?? DEFAULT_PROMPTS;
  const firstPrompts = prompts.map((p) => promptSyntax(p).ps1);
  // Most scripts (and every minified bundle) hold no prompt at all: one linear search instead of lexing
  // the whole file, whose tokens cost ~50 bytes per character of a minified file.
  if (!mayHoldPrompt(text, firstPrompts)) return { blocks: [], errors: [] };
  const { tokens, comments } = lex(text);
  const lines = new LineIndex(text);
  const blocks: Block[] = [];
  const errors: InputError[] = [];
  const prompted = new PromptFinder(text, firstPrompts);
  const groups = groupComments(comments, lines);
  const prefixes = scopePrefixes(tokens, groups);

  groups.forEach((group, g) => {
    const first = group[0];
    const last = group[group.length - 1];
    if (first.kind === 'block' && !first.terminated) {
      errors.push({ file, line: lines.lineOf(first.start), message: 'unterminated /* comment' });
      return;
    }
    if (!prompted.has(first.start, last.end)) return;
    const line = lines.lineOf(first.start);
    const body = first.kind === 'block' ? blockCommentText(text, first) : lineCommentsText(text, group);
    // doc comments often hold fenced code (TSDoc `@example`) and tag lines right after an output
    const parsed = parseExamples(body, line, { file, prompts, stopAtFences: true, stopAtJsdocTags: true });
    errors.push(...parsed.errors);
    if (parsed.examples.length === 0) return;
    const prefix = prefixes[g];
    // a comment after code on its line documents that code, not the next declaration
    const declared = prefix === null || !first.ownLine ? null : declarationName(tokens, last.nextToken, prefix !== '');
    const name = declared === null ? `${file}:${line}` : prefix ? `${prefix}.${declared}` : declared;
    blocks.push({ name, line, examples: parsed.examples });
  });
  return { blocks, errors };
}

/**
 * Could `text` hold an example? A prompt in a comment is preceded by the line's start, white space, or
 * comment decoration (`*`, `/`), and followed by a space or the line's end; code such as `x>>>0` is not.
 */
function mayHoldPrompt(text: string, prompts: string[]): boolean {
  const alternatives = prompts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return new RegExp(`(?:^|[\\s*/])(?:${alternatives})(?=[ \\r]|$)`, 'm').test(text);
}

/**
 * Does a prompt occur in [start, end)? Queried with increasing ranges, so each prompt's text is searched
 * once over the whole file (a plain indexOf per comment would rescan to the end of the file every time).
 */
class PromptFinder {
  private readonly next: number[];

  constructor(private readonly text: string, private readonly prompts: string[]) {
    this.next = prompts.map(() => -1);
  }

  has(start: number, end: number): boolean {
    let found = false;
    this.prompts.forEach((prompt, p) => {
      if (this.next[p] !== Infinity && this.next[p] < start) {
        const at = this.text.indexOf(prompt, start);
        this.next[p] = at < 0 ? Infinity : at;
      }
      if (this.next[p] < end) found = true;
    });
    return found;
  }
}

/** Block comments alone; `//` comments on their own lines joined into runs over consecutive lines. */
function groupComments(comments: Comment[], lines: LineIndex): Comment[][] {
  const groups: Comment[][] = [];
  let run: Comment[] | null = null;
  let runLine = -1;
  for (const comment of comments) {
    if (comment.kind === 'line' && comment.ownLine) {
      const line = lines.lineOf(comment.start);
      if (run && line === runLine + 1) run.push(comment);
      else groups.push((run = [comment]));
      runLine = line;
    } else {
      groups.push([comment]);
      run = null;
    }
  }
  return groups;
}

/** Remove the common indentation (spaces and tabs) of the non-blank lines. */
function dedent(lines: string[]): string[] {
  let common = Infinity;
  for (const line of lines) {
    let k = 0;
    while (k < line.length && (line[k] === ' ' || line[k] === '\t')) k++;
    if (k < line.length && k < common) common = k;
  }
  return common === Infinity || common === 0 ? lines : lines.map((line) => line.slice(common));
}

function lineCommentsText(text: string, group: Comment[]): string {
  return dedent(group.map((c) => text.slice(c.start + 2, c.end))).join('\n');
}

/**
 * The inside of a block comment, one entry per line of the file. The `*` decoration of JSDoc-style comments
 * is removed only when every non-blank line after the first has it, so an undecorated comment keeps an
 * output line that starts with `*`.
 */
function blockCommentText(text: string, comment: Comment): string {
  const lines = text.slice(comment.start + 2, comment.end - 2).split('\n');
  let k = 0;
  while (k < lines[0].length && lines[0][k] === '*') k++;
  lines[0] = lines[0].slice(k);
  // the space before a closing `*/` is decoration, not part of a source or want line
  lines[lines.length - 1] = lines[lines.length - 1].trimEnd();
  let decorated = lines.length > 1;
  for (let i = 1; i < lines.length && decorated; i++) {
    const trimmed = lines[i].trimStart();
    if (trimmed !== '' && trimmed[0] !== '*') decorated = false;
  }
  if (decorated) {
    for (let i = 1; i < lines.length; i++) {
      const star = lines[i].indexOf('*');
      if (star >= 0) lines[i] = lines[i].slice(star + 1);
    }
  }
  return dedent(lines).join('\n');
}

interface Scope {
  /** Depth of the `{` that opened it. */
  depth: number;
  /** Name of a class, interface, enum or namespace body; null for any other brace. */
  name: string | null;
}

const SCOPE_KEYWORDS = new Set(['class', 'interface', 'enum', 'namespace', 'module']);

/**
 * For each comment group: '' at top level, `A.B` directly inside the body of named scopes A then B, or null
 * anywhere else (function bodies, object literals, argument lists). One pass over the tokens.
 */
function scopePrefixes(tokens: Token[], groups: Comment[][]): (string | null)[] {
  const prefixes: (string | null)[] = [];
  const stack: Scope[] = [];
  let pending: { name: string | null; depth: number } | null = null;
  let t = 0;
  const advanceTo = (end: number): void => {
    for (; t < end; t++) {
      const token = tokens[t];
      if (token.kind === 'ident' && SCOPE_KEYWORDS.has(token.value) && tokens[t - 1]?.value !== '.') {
        const next = tokens[t + 1];
        if (token.value === 'class' || (next && next.kind === 'ident')) {
          pending = { name: scopeName(tokens, t + 1, token.value === 'class' && tokens[t - 1]?.value === 'default'), depth: token.depth };
        }
      } else if (token.kind === 'punct') {
        if (token.value === '{') {
          const named: { name: string | null; depth: number } | null = pending;
          const opensBody = named !== null && named.depth === token.depth && opensScopeBody(tokens[t - 1]);
          stack.push({ depth: token.depth, name: opensBody ? named.name : null });
          if (opensBody) pending = null;
        } else if (token.value === '}') {
          if (stack.length > 0 && stack[stack.length - 1].depth === token.depth) stack.pop();
        } else if (token.value === ';' && pending && pending.depth === token.depth) {
          pending = null;
        }
      }
    }
  };
  for (const group of groups) {
    const first = group[0];
    advanceTo(first.nextToken);
    let prefix: string | null = '';
    if (first.depth !== stack.length) prefix = null;
    else for (const scope of stack) {
      if (scope.name === null) { prefix = null; break; }
      prefix = prefix ? `${prefix}.${scope.name}` : scope.name;
    }
    prefixes.push(prefix);
  }
  return prefixes;
}

/**
 * Does a `{` after this token open the pending class/namespace body? Not when it starts a type literal in
 * the heritage clause: `class A extends B<{ x: number }> {`, `implements C, { … }`.
 */
function opensScopeBody(previous: Token | undefined): boolean {
  if (!previous) return false;
  if (previous.kind === 'ident') return true;
  return previous.kind === 'punct' && (previous.value === '>' || previous.value === ')' || previous.value === ']');
}

/** Name after `class`/`namespace`…: `A` or `A.B.C`; `default` for `export default class {`; null if none. */
function scopeName(tokens: Token[], t: number, isDefault: boolean): string | null {
  const first = tokens[t];
  if (!first || first.kind !== 'ident' || first.value === 'extends' || first.value === 'implements') {
    return isDefault ? 'default' : null;
  }
  let name = first.value;
  while (tokens[t + 1]?.value === '.' && tokens[t + 2]?.kind === 'ident') {
    name += '.' + tokens[t + 2].value;
    t += 2;
  }
  return name;
}

/** Words that may precede a declaration's name. */
const MODIFIERS = new Set([
  'export', 'default', 'declare', 'abstract', 'public', 'private', 'protected', 'static', 'readonly',
  'override', 'async', 'accessor', 'function', 'class', 'interface', 'type', 'enum', 'namespace', 'module',
  'const', 'let', 'var', 'get', 'set',
]);

/** A modifier word is only a modifier when something name-like follows (`get(i, j)` is a method named get). */
function followedByName(tokens: Token[], t: number): boolean {
  const next = tokens[t + 1];
  if (!next) return false;
  return next.kind === 'ident' || next.kind === 'private' || next.kind === 'string' ||
    (next.kind === 'punct' && (next.value === '[' || next.value === '*' || next.value === '{'));
}

/**
 * Name of the declaration starting at token `t`: `det` for `export function det`, `foo` for
 * `export const foo =`, `default` for an anonymous default export. Inside a class-like body any member
 * name counts; at top level a declaration keyword is required (a bare statement is not a declaration).
 */
function declarationName(tokens: Token[], t: number, inScopeBody: boolean): string | null {
  // decorators: @name, @a.b, @name(…)
  while (tokens[t]?.value === '@' && tokens[t].kind === 'punct') {
    t++;
    while (tokens[t]?.kind === 'ident' && tokens[t + 1]?.value === '.') t += 2;
    if (tokens[t]?.kind === 'ident') t++;
    if (tokens[t]?.value === '(' && tokens[t].kind === 'punct') {
      const depth = tokens[t].depth;
      t++;
      while (t < tokens.length && !(tokens[t].value === ')' && tokens[t].depth === depth)) t++;
      t++;
    }
  }
  let sawKeyword = false;
  let sawDefault = false;
  for (; t < tokens.length; t++) {
    const token = tokens[t];
    if (token.kind === 'ident' && MODIFIERS.has(token.value)) {
      const isAlwaysModifier = token.value === 'export' || token.value === 'default' || token.value === 'function';
      if (!isAlwaysModifier && !followedByName(tokens, t)) break;
      if (token.value === 'default') sawDefault = true;
      sawKeyword = true;
    } else if (token.kind === 'punct' && token.value === '*' && sawKeyword) {
      // generator: function* name
    } else break;
  }
  const token = tokens[t];
  if (token && (token.kind === 'ident' || token.kind === 'private') && (sawKeyword || inScopeBody)) {
    return token.value;
  }
  return sawDefault ? 'default' : null;
}
