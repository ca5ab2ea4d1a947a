// The DocTestParser equivalent: find prompts, their continuation lines and their wants in a block's text.
//
// For `>>>` text the result (source, want, line) is the same as Python's `doctest.DocTestParser`, which is
// defined by one regular expression (`_EXAMPLE_RE`) plus the checks `_check_prompt_blank` and
// `_check_prefix`. Here that is a single linear pass over the lines:
// - tabs are expanded to columns of 8 first (Python does `string.expandtabs()`);
// - a prompt is `PS1` after spaces; every following line that is spaces + `PS2` is a continuation line
//   (whatever its indentation: a wrong indentation is an error, as in Python);
// - the want is the following lines up to a line of spaces only, a line starting (after spaces) with any
//   prompt, or the end of the text — and, in Markdown and script comments, a code fence line; in script
//   comments also a JSDoc tag line (`@returns …`);
// - every source line must have exactly the prompt's indentation and a space (or nothing) after its prompt,
//   every want line at least the prompt's indentation. Python raises ValueError for the whole docstring;
//   we report an InputError at the offending line and skip just that example.
// Differences, on purpose: a source made only of blank lines and `//` comments is not an example (Python's
// `_IS_BLANK_OR_COMMENT`, with TypeScript comments and for multi-line sources too), and such a prompt line
// holding a directive (`sage: // needs blas`) applies it to the following examples up to the next blank line.
import type { Directives, Example, InputError } from '../model.js';
import { mergeDirectives, parseDirectives, parseDirectiveText } from './directives.js';

export interface ParseOptions {
  /** File named in InputErrors. */
  file?: string;
  /** Prompts; default `['sage:', '>>>']`. See `promptSyntax` for the continuation. */
  prompts?: readonly string[];
  /** End wants at a Markdown code fence line (```` ``` ```` or `~~~`). */
  stopAtFences?: boolean;
  /** End wants at a JSDoc block tag line (`@returns …`), for examples in doc comments. */
  stopAtJsdocTags?: boolean;
}

export interface ParseResult {
  examples: Example[];
  errors: InputError[];
}

export interface PromptSyntax {
  /** First-line prompt, e.g. `sage:`. */
  ps1: string;
  /** Continuation prompt, e.g. `....:`. */
  ps2: string;
}

export const DEFAULT_PROMPTS: readonly string[] = ['sage:', '>>>'];

/**
 * `sage:` continues with `....:`, `>>>` and `>` with `...`; another prompt with dots of its length ending in its
 * last character (`ts>` → `..>`), or give both separated by a space: `'In: ..:'`.
 */
export function promptSyntax(spec: string): PromptSyntax {
  const parts = spec.trim().split(/\s+/);
  const ps1 = parts[0];
  if (parts.length > 1) return { ps1, ps2: parts[1] };
  // Python and the Node REPL continue with `...`
  if (ps1 === '>>>' || ps1 === '>') return { ps1, ps2: '...' };
  return { ps1, ps2: '.'.repeat(ps1.length - 1) + ps1[ps1.length - 1] };
}

const syntaxCache = new Map<string, PromptSyntax[]>();

function compilePrompts(prompts: readonly string[]): PromptSyntax[] {
  const key = prompts.join('\n');
  let compiled = syntaxCache.get(key);
  if (!compiled) {
    compiled = prompts.filter((p) => p.trim() !== '').map(promptSyntax);
    syntaxCache.set(key, compiled);
  }
  return compiled;
}

/** Python's str.expandtabs(8) for one line: columns restart after '\r'. */
export function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  let column = 0;
  for (const ch of line) {
    if (ch === '\t') {
      const width = 8 - (column % 8);
      out += ' '.repeat(width);
      column += width;
    } else {
      out += ch;
      column = ch === '\r' ? 0 : column + 1;
    }
  }
  return out;
}

function leadingSpaces(line: string): number {
  let k = 0;
  while (k < line.length && line.charCodeAt(k) === 32) k++;
  return k;
}

function promptAt(line: string, column: number, prompts: PromptSyntax[]): PromptSyntax | undefined {
  for (const prompt of prompts) if (line.startsWith(prompt.ps1, column)) return prompt;
  return undefined;
}

/** Nothing or a space follows the prompt at `column` of length `length`. */
function blankAfterPrompt(line: string, column: number, length: number): boolean {
  return line.length <= column + length || line.charCodeAt(column + length) === 32;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isBlankOrComment(sourceLine: string): boolean {
  const k = leadingSpaces(sourceLine);
  return k === sourceLine.length || sourceLine.startsWith('//', k);
}

/** Block-scoped directives (`sage: // needs blas` on a line of its own) waiting for their examples. */
interface Scope {
  directives: Directives;
  line: number;
  used: boolean;
}

export function parseExamples(text: string, firstLine: number, opts: ParseOptions = {}): ParseResult {
  const prompts = compilePrompts(opts.prompts ?? DEFAULT_PROMPTS);
  const file = opts.file ?? '<string>';
  const examples: Example[] = [];
  const errors: InputError[] = [];
  if (prompts.length === 0) return { examples, errors };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) lines[i] = expandTabs(lines[i]);
  const n = lines.length;

  let scopes: Scope[] = [];
  const endScopes = (): void => {
    for (const scope of scopes) {
      if (!scope.used) for (const message of scope.directives.errors) errors.push({ file, line: scope.line, message });
    }
    scopes = [];
  };

  let i = 0;
  while (i < n) {
    const line = lines[i];
    const indent = leadingSpaces(line);
    if (indent === line.length) {
      endScopes();
      i++;
      continue;
    }
    const prompt = promptAt(line, indent, prompts);
    if (!prompt) {
      i++;
      continue;
    }
    let sourceEnd = i + 1;
    while (sourceEnd < n && lines[sourceEnd].startsWith(prompt.ps2, leadingSpaces(lines[sourceEnd]))) sourceEnd++;
    let wantEnd = sourceEnd;
    while (wantEnd < n) {
      const wantLine = lines[wantEnd];
      const k = leadingSpaces(wantLine);
      if (k === wantLine.length || promptAt(wantLine, k, prompts)) break;
      if (opts.stopAtFences && (wantLine.startsWith('```', k) || wantLine.startsWith('~~~', k))) break;
      if (opts.stopAtJsdocTags && wantLine.charCodeAt(k) === 64 && isLetter(wantLine.charCodeAt(k + 1))) break;
      wantEnd++;
    }

    const problem = checkExample(lines, i, sourceEnd, wantEnd, indent, prompt);
    if (problem) {
      errors.push({ file, line: firstLine + problem.index, message: problem.message });
      i = wantEnd;
      continue;
    }

    const sourceLines: string[] = [lines[i].slice(indent + prompt.ps1.length + 1)];
    for (let s = i + 1; s < sourceEnd; s++) sourceLines.push(lines[s].slice(indent + prompt.ps2.length + 1));

    if (sourceLines.every(isBlankOrComment)) {
      // Not an example. A lone directive comment starts a block scope; prose comments are ignored.
      if (sourceLines.length === 1) {
        const comment = sourceLines[0].trim().slice(2);
        const directives = comment ? parseDirectiveText(comment) : null;
        if (directives) scopes.push({ directives, line: firstLine + i, used: false });
      }
      i = wantEnd;
      continue;
    }

    let directives = parseDirectives(sourceLines[0]);
    for (let s = scopes.length - 1; s >= 0; s--) {
      directives = mergeDirectives(scopes[s].directives, directives);
      scopes[s].used = true;
    }
    let want = '';
    if (wantEnd > sourceEnd) {
      // `<BLANKLINE>` is kept as written: the output checker turns it into an empty line.
      const wantLines: string[] = [];
      for (let w = sourceEnd; w < wantEnd; w++) wantLines.push(lines[w].slice(indent));
      want = wantLines.join('\n') + '\n';
    }
    examples.push({ source: sourceLines.join('\n'), want, line: firstLine + i, indent, directives });
    i = wantEnd;
  }
  endScopes();
  return { examples, errors };
}

/** Python's `_check_prompt_blank` and `_check_prefix` for one example: the first offending line, if any. */
function checkExample(
  lines: string[], start: number, sourceEnd: number, wantEnd: number, indent: number, prompt: PromptSyntax,
): { index: number; message: string } | undefined {
  if (!blankAfterPrompt(lines[start], indent, prompt.ps1.length)) {
    return { index: start, message: `no space after prompt '${prompt.ps1}'` };
  }
  for (let s = start + 1; s < sourceEnd; s++) {
    const line = lines[s];
    if (leadingSpaces(line) !== indent) {
      return { index: s, message: `inconsistent leading whitespace in continuation line '${line.trim()}'` };
    }
    if (!blankAfterPrompt(line, indent, prompt.ps2.length)) {
      return { index: s, message: `no space after continuation prompt '${prompt.ps2}'` };
    }
  }
  for (let w = sourceEnd; w < wantEnd; w++) {
    if (leadingSpaces(lines[w]) < indent) {
      return { index: w, message: `inconsistent leading whitespace: expected output indented less than its prompt` };
    }
  }
  return undefined;
}
