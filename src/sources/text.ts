// Markdown and plain-text documents: examples anywhere in the text (fenced code blocks included); the whole
// file is one block (notebook semantics), named by the file path.
import type { Block, InputError } from '../model.js';
import { parseExamples } from '../parsing/examples.js';

export interface TextOptions {
  prompts?: readonly string[];
  /** Markdown: a code fence line (```` ``` ````, `~~~`) ends a want, so a closing fence is not expected output. */
  markdown?: boolean;
}

export function extractTextBlocks(
  text: string, file: string, opts: TextOptions = {},
): { blocks: Block[]; errors: InputError[] } {
  const parsed = parseExamples(text, 1, { file, prompts: opts.prompts, stopAtFences: opts.markdown === true });
  const blocks = parsed.examples.length > 0 ? [{ name: file, line: 1, examples: parsed.examples }] : [];
  return { blocks, errors: parsed.errors };
}
