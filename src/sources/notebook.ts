// Jupyter notebooks (nbformat 4) with a TypeScript or JavaScript kernel: the whole notebook is one block,
// its cells run in order in one namespace, as a kernel runs them. Every code cell is an example whose want
// is its stored outputs; Markdown cells are read like a `.md` file. Cell markers and tags (mtest's own and
// nbval's) skip a cell, ignore its output or expect it to raise. Each example keeps its cell, its line in
// the cell, and the line of the file where that source line is stored.
import { stripAnsi } from '../check/checker.js';
import { emptyDirectives, type Block, type Directives, type Example, type InputError, type KernelName } from '../model.js';
import { parseDirectives } from '../parsing/directives.js';
import { parseExamples } from '../parsing/examples.js';
import { parseLocatedJson, type JsonLocations, type JsonValue } from './located-json.js';

export interface NotebookOptions {
  prompts?: readonly string[];
}

export interface NotebookBlocks {
  blocks: Block[];
  errors: InputError[];
  /** One line for a notebook of another language: reported, never an error. */
  notices: InputError[];
  /** `typescript` or `javascript` when the notebook runs. */
  language?: 'typescript' | 'javascript';
  /** The kernel that ran it, when the notebook runs. */
  kernel?: KernelName;
}

type Marker = 'skip' | 'ignore-output' | 'raises' | 'check-output';

/** Whole-line comments that mark a cell: mtest's, and nbval's so that nbval users' notebooks work unchanged. */
const COMMENT_MARKERS: ReadonlyMap<string, Marker> = new Map<string, Marker>([
  ['mtest: skip', 'skip'], ['mtest: ignore-output', 'ignore-output'], ['mtest: raises', 'raises'],
  ['NBVAL_SKIP', 'skip'], ['NBVAL_IGNORE_OUTPUT', 'ignore-output'], ['NBVAL_RAISES_EXCEPTION', 'raises'],
  ['NBVAL_CHECK_OUTPUT', 'check-output'], ['PYTEST_VALIDATE_IGNORE_OUTPUT', 'ignore-output'],
]);

/** The same as cell tags (`metadata.tags`); `raises-exception` is Jupyter's own tag, which nbval honours. */
const TAG_MARKERS: ReadonlyMap<string, Marker> = new Map<string, Marker>([
  ['mtest-skip', 'skip'], ['mtest-ignore-output', 'ignore-output'], ['mtest-raises', 'raises'],
  ['nbval-skip', 'skip'], ['nbval-ignore-output', 'ignore-output'], ['nbval-raises-exception', 'raises'],
  ['nbval-check-output', 'check-output'], ['raises-exception', 'raises'],
]);

type JsonObject = { [key: string]: JsonValue };

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** nbformat's multiline strings: one string, or a list of strings to concatenate (line ends as `\n`). */
function multiline(v: JsonValue | undefined): string | undefined {
  if (typeof v === 'string') return lf(v);
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return lf((v as string[]).join(''));
  return undefined;
}

/** Windows line ends stored inside the JSON strings (the reader turned only the file's own into `\n`). */
function lf(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** The kernel's language, lower-cased: `metadata.kernelspec.language`, else `metadata.language_info.name`. */
export function notebookLanguage(nb: JsonObject): { language?: string; kernel?: string } {
  const metadata = isObject(nb.metadata) ? nb.metadata : {};
  const spec = isObject(metadata.kernelspec) ? metadata.kernelspec : {};
  const info = isObject(metadata.language_info) ? metadata.language_info : {};
  const language = (str(spec.language) ?? str(info.name))?.trim().toLowerCase();
  return { language: language || undefined, kernel: str(spec.name) ?? str(spec.display_name) };
}

function runnable(language: string | undefined): 'typescript' | 'javascript' | undefined {
  if (language === 'typescript' || language === 'ts') return 'typescript';
  if (language === 'javascript' || language === 'js' || language === 'node.js' || language === 'nodejs') return 'javascript';
  return undefined;
}

/**
 * The kernel that ran a notebook, from what each writes into the metadata: tslab and jslab name themselves in
 * `kernelspec.name`; Deno names itself (`deno`, display name `Deno`) and writes the mimetype `text/x.typescript`;
 * IJavascript's kernelspec is `javascript` / `Javascript (Node.js)`. Any other kernel gets mtest's own rules.
 */
export function notebookKernel(nb: JsonObject, language: 'typescript' | 'javascript'): KernelName {
  const metadata = isObject(nb.metadata) ? nb.metadata : {};
  const spec = isObject(metadata.kernelspec) ? metadata.kernelspec : {};
  const info = isObject(metadata.language_info) ? metadata.language_info : {};
  const name = (str(spec.name) ?? '').trim().toLowerCase();
  const display = (str(spec.display_name) ?? '').trim().toLowerCase();
  if (name === 'tslab') return 'tslab';
  if (name === 'jslab') return 'jslab';
  if (name === 'deno' || display === 'deno' || display.startsWith('deno ') || str(info.mimetype) === 'text/x.typescript') return 'deno';
  if (language === 'javascript' && (name === 'javascript' || /node\.?js/.test(display))) return 'ijavascript';
  return language;
}

/** Kernels that write a thrown error to stderr as Node's console.error does: the message, then stack lines. */
const ERRORS_ON_STDERR: ReadonlySet<KernelName> = new Set<KernelName>(['tslab', 'jslab']);

/** A stack line as V8 writes it (`    at f (file:1:2)`): mtest cannot produce the kernel's, so they are not compared. */
const STACK_LINE = /^[ \t]+at .*(?:\n|$)/gm;

/**
 * A cell's source text and, for each of its lines, the line of the file where that line starts: Jupyter
 * stores a source as a list of lines (one per file line) or as one string (all on one file line).
 */
function cellSource(cell: JsonObject, lines: JsonLocations): { text: string; fileLines: number[] } | undefined {
  const source = cell.source;
  if (typeof source === 'string') {
    const at = lines.of(cell, 'source');
    const text = lf(source);
    return { text, fileLines: text.split('\n').map(() => at) };
  }
  if (!Array.isArray(source) || !source.every((s) => typeof s === 'string')) return undefined;
  const fileLines: number[] = [];
  let atLineStart = true;
  source.forEach((piece, k) => {
    const at = lines.of(source, k);
    piece = lf(piece as string);
    let from = 0;
    for (;;) {
      if (atLineStart && from < (piece as string).length) {
        fileLines.push(at);
        atLineStart = false;
      }
      const nl = (piece as string).indexOf('\n', from);
      if (nl < 0) break;
      atLineStart = true;
      from = nl + 1;
    }
  });
  if (fileLines.length === 0) fileLines.push(lines.of(cell, 'source'));
  return { text: lf((source as string[]).join('')), fileLines };
}

/** The text one stored output gives mtest, before ANSI codes are stripped ('' for kinds without text). */
export function outputText(output: JsonValue): string {
  if (!isObject(output)) return '';
  switch (output.output_type) {
    case 'stream':
      return multiline(output.text) ?? '';
    case 'execute_result':
    case 'display_data': {
      // a value is displayed on lines of its own
      const plain = isObject(output.data) ? multiline(output.data['text/plain']) : undefined;
      return plain ? (plain.endsWith('\n') ? plain : `${plain}\n`) : '';
    }
    case 'error':
      return `Uncaught ${str(output.ename) ?? 'Error'}: ${str(output.evalue) ?? ''}\n`;
    default:
      return '';
  }
}

/**
 * The want of a code cell: its stored outputs in order, as mtest would print them. For kernels that print
 * errors with their stack (tslab, jslab), the stack lines of stderr are left out: their frames name the
 * kernel's own evaluation code, which mtest cannot produce; the error's first line is still compared.
 */
function storedOutput(outputs: JsonValue | undefined, kernel: KernelName): string {
  if (!Array.isArray(outputs)) return '';
  const text = (output: JsonValue): string => {
    const t = outputText(output);
    return ERRORS_ON_STDERR.has(kernel) && isObject(output) && output.output_type === 'stream' && output.name === 'stderr' ? stripAnsi(t).replace(STACK_LINE, '') : t;
  };
  const want = stripAnsi(outputs.map(text).join(''));
  return want === '' || want.endsWith('\n') ? want : want + '\n';
}

/** Markers of a code cell: whole-line `//` comments of the source, and the cell's tags. */
function cellMarkers(cell: JsonObject, sourceLines: string[]): Map<Marker, string> {
  const found = new Map<Marker, string>();
  for (const raw of sourceLines) {
    const text = raw.trim();
    if (!text.startsWith('//')) continue;
    const name = text.replace(/^\/\/+/, '').trim();
    const marker = COMMENT_MARKERS.get(name);
    if (marker) found.set(marker, name);
  }
  const metadata = isObject(cell.metadata) ? cell.metadata : {};
  if (Array.isArray(metadata.tags)) {
    for (const tag of metadata.tags) {
      const marker = typeof tag === 'string' ? TAG_MARKERS.get(tag) : undefined;
      if (marker && !found.has(marker)) found.set(marker, tag as string);
    }
  }
  return found;
}

function applyMarkers(directives: Directives, markers: Map<Marker, string>): Directives {
  const skip = markers.get('skip');
  if (skip !== undefined && directives.notTested === undefined) directives.notTested = skip;
  if (markers.has('ignore-output')) directives.random = true;
  if (markers.has('raises')) directives.raises = true;
  return directives;
}

function isBlankOrComment(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('//');
}

/** Read a notebook's text. Problems with the file itself (JSON, nbformat) are errors; another kernel is a notice. */
export function extractNotebookBlocks(text: string, file: string, opts: NotebookOptions = {}): NotebookBlocks {
  const result: NotebookBlocks = { blocks: [], errors: [], notices: [] };
  const parsed = parseLocatedJson(text);
  if (!parsed.ok) {
    result.errors.push({ file, line: parsed.line, message: `malformed notebook JSON at line ${parsed.line}, column ${parsed.column}: ${parsed.message}` });
    return result;
  }
  const nb = parsed.value;
  const lines = parsed.lines;
  if (!isObject(nb)) {
    result.errors.push({ file, line: 1, message: 'not a Jupyter notebook (the JSON document is not an object)' });
    return result;
  }
  const format = nb.nbformat;
  if (format !== 4) {
    const line = lines.of(nb, 'nbformat') || 1;
    const message = typeof format === 'number' && format < 4
      ? `nbformat ${format} notebook: mtest reads nbformat 4 (convert it: jupyter nbconvert --to notebook --nbformat 4 ${file})`
      : `not an nbformat 4 notebook (nbformat: ${JSON.stringify(format ?? null)})`;
    result.errors.push({ file, line, message });
    return result;
  }
  if (!Array.isArray(nb.cells)) {
    result.errors.push({ file, line: lines.of(nb, 'cells') || 1, message: "not a Jupyter notebook: no 'cells' list" });
    return result;
  }
  const { language, kernel } = notebookLanguage(nb);
  const run = runnable(language);
  if (!run) {
    const what = language ? `a ${language} notebook` : 'a notebook without a kernel language';
    result.notices.push({ file, line: 0, message: `${what}${kernel ? ` (kernel ${kernel})` : ''}, not run: mtest runs TypeScript and JavaScript notebooks` });
    return result;
  }
  result.language = run;
  const kernelName = notebookKernel(nb, run);
  result.kernel = kernelName;

  const examples: Example[] = [];
  nb.cells.forEach((cell, k) => {
    const number = k + 1;
    if (!isObject(cell)) {
      result.errors.push({ file, line: lines.of(nb.cells as JsonValue[], k), message: `cell ${number}: not an object` });
      return;
    }
    const type = cell.cell_type;
    if (type !== 'code' && type !== 'markdown') return;
    const source = cellSource(cell, lines);
    if (!source) {
      result.errors.push({ file, line: lines.of(cell, 'source') || lines.of(nb.cells as JsonValue[], k), message: `cell ${number}: 'source' is not a string or a list of strings` });
      return;
    }
    const fileLine = (cellLine: number): number => source.fileLines[Math.min(cellLine, source.fileLines.length) - 1] ?? 0;
    if (type === 'markdown') {
      const found = parseExamples(source.text, 1, { file, prompts: opts.prompts, stopAtFences: true });
      for (const ex of found.examples) examples.push({ ...ex, line: fileLine(ex.line), cell: number, cellLine: ex.line });
      for (const e of found.errors) result.errors.push({ file, line: fileLine(e.line), message: `cell ${number}, line ${e.line}: ${e.message}` });
      return;
    }
    const sourceLines = source.text.replace(/\n+$/, '').split('\n');
    const want = storedOutput(cell.outputs, kernelName);
    if (want === '' && sourceLines.every(isBlankOrComment)) return; // nothing to run, nothing to compare
    const directives = applyMarkers(sourceLines[0] ? parseDirectives(sourceLines[0]) : emptyDirectives(), cellMarkers(cell, sourceLines));
    examples.push({ source: sourceLines.join('\n'), want, line: fileLine(1), indent: 0, directives, cell: number, cellLine: 1 });
  });
  if (examples.length > 0) result.blocks.push({ name: file, line: examples[0].line, examples });
  return result;
}
