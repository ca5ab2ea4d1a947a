// One file → SourceFile: read, decode, honour `nodoctest` and file-level tags, and hand the text to the
// extractor for its kind. Bad input never throws: it becomes `errors` entries, one line each.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Block, InputError, SourceFile, SourceKind } from '../model.js';
import { parseDirectiveText } from '../parsing/directives.js';
import { decodeSource } from './decode.js';
import { sourceKind } from './kinds.js';
import { extractNotebookBlocks } from './notebook.js';
import { extractScriptBlocks } from './script.js';
import { extractTextBlocks } from './text.js';

export interface LoadOptions {
  /** Prompts; default `['sage:', '>>>']`. */
  prompts?: readonly string[];
  /** Directory a relative `path` is read from; default the process's working directory. */
  cwd?: string;
  /** Files larger than this many MB are not read (0 or undefined: no limit); a run's is --max-file-size's. */
  maxFileSize?: number;
}


/** Lines that may mark a whole file (`nodoctest`, `mtest:` tags), as in Sage. */
const HEADER_LINES = 10;

// `// mtest: …`, `# mtest: …`, `<!-- mtest: … -->`, ` * mtest: …` or `/* mtest: … */` at the start of a line.
const FILE_DIRECTIVE = /^\s*(?:\/\/+|#+|<!--|\/\*+|\*+)\s*mtest:(.*)$/i;

/** Returns null when the file opts out with `nodoctest` in its first 10 lines. */
export function loadSource(path: string, opts: LoadOptions = {}): SourceFile | null {
  const kind: SourceKind = sourceKind(path) ?? 'text';
  const file: SourceFile = { path, kind, blocks: [], tags: [], errors: [] };
  const fail = (line: number, message: string): SourceFile => {
    file.errors.push({ file: path, line, message });
    return file;
  };

  let bytes: Uint8Array;
  try {
    const absolute = resolve(opts.cwd ?? '.', path);
    const limit = opts.maxFileSize ?? 0;
    const size = statSync(absolute).size;
    if (limit > 0 && size > limit * 1048576) {
      // a notice, not an error: a generated file in the tree is no fault of the run
      file.notices = [{ file: path, line: 0, message: `${(size / 1048576).toFixed(1)} MB, over the ${limit} MB limit on a file to scan (--max-file-size MB, or "maxFileSize" in the configuration); skipped` }];
      return file;
    }
    bytes = readFileSync(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(0, `cannot read file${code ? ` (${code})` : ''}`);
  }
  const decoded = decodeSource(bytes);
  if (!decoded.ok) return fail(decoded.line, decoded.message);
  const text = decoded.text;
  if (decoded.badUtf8) {
    const { byte, offset } = decoded.badUtf8;
    file.errors.push({
      file: path,
      line: decoded.badUtf8.line,
      message: `invalid UTF-8 (byte 0x${byte.toString(16).padStart(2, '0')} at offset ${offset})`,
    });
  }

  const header = headerLines(text);
  if (header.some((line) => line.includes('nodoctest'))) return null;
  readFileTags(header, path, file.tags, file.errors);

  let extracted: { blocks: Block[]; errors: InputError[] };
  if (kind === 'notebook') {
    const notebook = extractNotebookBlocks(text, path, { prompts: opts.prompts });
    if (notebook.notices.length > 0) file.notices = notebook.notices;
    if (notebook.language) file.language = notebook.language;
    if (notebook.kernel) file.kernel = notebook.kernel;
    extracted = notebook;
  } else if (kind === 'script') extracted = extractScriptBlocks(text, path, { prompts: opts.prompts });
  else extracted = extractTextBlocks(text, path, { prompts: opts.prompts, markdown: kind === 'markdown' });
  file.blocks = extracted.blocks;
  file.errors.push(...extracted.errors);
  return file;
}

function headerLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (lines.length < HEADER_LINES && start <= text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    lines.push(text.slice(start, end));
    if (nl < 0) break;
    start = nl + 1;
  }
  return lines;
}

/** File-level `mtest: optional - A, B` / `mtest: needs A B`: tags applying to every example of the file. */
function readFileTags(header: string[], path: string, tags: string[], errors: InputError[]): void {
  header.forEach((line, index) => {
    const match = FILE_DIRECTIVE.exec(line);
    if (!match) return;
    const body = match[1].replace(/(?:-->|\*\/)\s*$/, '').trim();
    const directives = parseDirectiveText(body);
    const onlyTags = directives !== null && directives.errors.length === 0 && directives.needs.length > 0 &&
      Object.keys(directives).every((key) => key === 'needs' || key === 'errors');
    if (!onlyTags) {
      const why = directives?.errors[0] ?? `file-level directive must be 'optional - TAGS' or 'needs TAGS', not '${body}'`;
      errors.push({ file: path, line: index + 1, message: why });
      return;
    }
    for (const tag of directives.needs) if (!tags.includes(tag)) tags.push(tag);
  });
}
