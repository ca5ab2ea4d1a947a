// Markdown and plain-text documents: examples anywhere in the text (fenced code blocks included); the whole
// file is one block (notebook semantics), named by the file path. In Markdown, JavaScript and TypeScript
// fences without prompts are read the JavaScript way (`// returns …` annotations after the code).
import type { Block, Example, InputError } from '../model.js';
import { hasAnnotation, parseAnnotatedCode, setupExample, type CodeLine } from '../parsing/annotations.js';
import { DEFAULT_PROMPTS, parseExamples, promptSyntax } from '../parsing/examples.js';

export interface TextOptions {
  prompts?: readonly string[];
  /** Markdown: a code fence line (```` ``` ````, `~~~`) ends a want, so a closing fence is not expected output. */
  markdown?: boolean;
}

export function extractTextBlocks(
  text: string, file: string, opts: TextOptions = {},
): { blocks: Block[]; errors: InputError[] } {
  const parsed = parseExamples(text, 1, { file, prompts: opts.prompts, stopAtFences: opts.markdown === true });
  let examples = parsed.examples;
  const errors = parsed.errors;
  if (opts.markdown === true) {
    const annotated = annotatedFences(text, file, opts.prompts ?? DEFAULT_PROMPTS, errors);
    if (annotated.length > 0) examples = [...examples, ...annotated].sort((a, b) => a.line - b.line);
  }
  const blocks = examples.length > 0 ? [{ name: file, line: 1, examples }] : [];
  return { blocks, errors };
}

const FENCE = /^([ \t]*)(`{3,}|~{3,})[ \t]*([^`\s]*)/;
const SCRIPT_LANGUAGES = new Set(['js', 'javascript', 'ts', 'typescript', 'mjs', 'cjs']);
const HTML_COMMENT = /^\s*<!--.*-->\s*$/;

/** Whether the fence opening at `index` is preceded (past blank lines and other HTML comments) by `<!-- run-disable -->`. */
function runDisabled(lines: string[], index: number): boolean {
  for (let i = index - 1; i >= 0; i--) {
    const line = lines[i];
    if (line.trim() === '') continue;
    if (!HTML_COMMENT.test(line)) return false;
    if (/<!--\s*run-disable\s*-->/.test(line)) return true;
  }
  return false;
}

/**
 * Examples of the JavaScript/TypeScript fences holding no prompt. Code of a fence after its last
 * annotation runs before the next fence's examples (one namespace per document); code after the last
 * annotation of the document is not an example.
 */
function annotatedFences(text: string, file: string, prompts: readonly string[], errors: InputError[]): Example[] {
  if (!/(?:returns|=>|throws|outputs)/.test(text)) return [];
  const lines = text.split('\n');
  const ps1s = prompts.map((p) => promptSyntax(p).ps1);
  const examples: Example[] = [];
  let lastAnnotated = -1;
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, marker, info] = open;
    let end = i + 1;
    const closing = new RegExp(`^[ \\t]*${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`);
    while (end < lines.length && !closing.test(lines[end])) end++;
    const language = info.toLowerCase().split(/[{,]/)[0];
    const body: CodeLine[] = [];
    for (let k = i + 1; k < end; k++) {
      // a fence indented in a list: its lines carry the fence's indentation
      const line = lines[k].startsWith(indent) ? lines[k].slice(indent.length) : lines[k].trimStart();
      body.push({ text: line, line: k + 1 });
    }
    const hasPrompt = body.some(({ text: t }) => ps1s.some((p) => t.trimStart().startsWith(p + ' ') || t.trim() === p));
    if (SCRIPT_LANGUAGES.has(language) && !hasPrompt && !runDisabled(lines, i)) {
      const texts = body.map((l) => l.text);
      if (hasAnnotation(texts)) {
        const parsed = parseAnnotatedCode(body, file);
        errors.push(...parsed.errors);
        examples.push(...parsed.examples);
        if (parsed.examples.length > 0) lastAnnotated = examples.length;
        const rest = setupExample(parsed.pending);
        if (rest) examples.push(rest);
      } else {
        const setup = setupExample(body);
        if (setup) examples.push(setup);
      }
    }
    i = end;
  }
  return examples.slice(0, Math.max(0, lastAnnotated));
}
