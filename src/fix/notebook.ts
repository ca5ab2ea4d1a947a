// --fix on a Jupyter notebook: the `outputs` list of each failing code cell is replaced by what the cell
// gave, serialized as Jupyter stores outputs and indented like the file; every other byte stays. The new
// outputs keep the cell's old kinds (printed text, then a value) when the output splits into them one way
// only; otherwise they are one stdout stream. Each rewrite is read back through the notebook reader: one that
// would not read back as the cell's new want (a carriage return in it, say) is not made.
import { stripAnsi } from '../check/checker.js';
import type { Example } from '../model.js';
import { decodeSource } from '../sources/decode.js';
import { parseLocatedJson, type JsonValue } from '../sources/located-json.js';
import { extractNotebookBlocks, outputText } from '../sources/notebook.js';

type JsonObject = { [key: string]: JsonValue };

const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text of `bytes` when they are valid UTF-8 (a rewrite must not alter bytes it does not mean to). */
export function utf8Text(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes).toString('utf8');
  return Buffer.from(text, 'utf8').equals(Buffer.from(bytes)) ? text : undefined;
}

/** nbformat's multiline string: a list of lines, each but the last ending in `\n`. */
function storedLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function stream(text: string): JsonObject {
  return { name: 'stdout', output_type: 'stream', text: storedLines(text) };
}

function result(text: string, count: JsonValue): JsonObject {
  // Jupyter stores a value's text without the line end mtest displays after it
  const plain = text.endsWith('\n') ? text.slice(0, -1) : text;
  return { data: { 'text/plain': storedLines(plain) }, execution_count: count, metadata: {}, output_type: 'execute_result' };
}

/**
 * The outputs a fixed cell stores for `got`. A cell that stored printed text then a value keeps that shape
 * when the printed text or the value is unchanged (one split only); a cell that stored a value alone keeps
 * it as a value; anything else becomes one stdout stream with the whole output.
 */
export function fixedOutputs(old: JsonValue | undefined, got: string, count: JsonValue): JsonObject[] {
  if (got === '') return [];
  const outputs = Array.isArray(old) ? old : [];
  const last = outputs[outputs.length - 1];
  const streams = outputs.slice(0, -1);
  const endsInValue = isObject(last) && last.output_type === 'execute_result' &&
    streams.every((o) => isObject(o) && o.output_type === 'stream');
  if (!endsInValue) return [stream(got)];
  const printed = stripAnsi(streams.map(outputText).join(''));
  if (printed === '') return [result(got, count)];
  const value = stripAnsi(outputText(last));
  const splits = new Set<number>();
  if (got.startsWith(printed) && got.length > printed.length) splits.add(printed.length);
  if (value !== '' && got.endsWith(value) && got.length > value.length) splits.add(got.length - value.length);
  if (splits.size !== 1) return [stream(got)];
  const at = [...splits][0];
  return [stream(got.slice(0, at)), result(got.slice(at), count)];
}

/** `value` as JSON laid out like the file: members one `unit` deeper than `indent`, `eol` line ends. */
function serialize(value: JsonValue, unit: string, indent: string, eol: string): string {
  if (unit === '') return JSON.stringify(value);
  return JSON.stringify(value, null, unit).replace(/\n/g, eol + indent);
}

function leadingSpace(text: string, at: number): string {
  const start = text.lastIndexOf('\n', at - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start, at))![0];
}

/** The want mtest reads from outputs made for `got`. */
const asWant = (got: string): string => (got === '' || got.endsWith('\n') ? got : got + '\n');

interface Readable {
  cell?: number;
  cellLine?: number;
  source: string;
  want: string;
}

function read(text: string, path: string, prompts?: readonly string[]): Readable[] | undefined {
  const decoded = decodeSource(Buffer.from(text, 'utf8'));
  if (!decoded.ok) return undefined;
  const nb = extractNotebookBlocks(decoded.text, path, { prompts });
  if (nb.errors.length > 0) return undefined;
  return nb.blocks.flatMap((b) => b.examples);
}

const sameExample = (a: Readable, b: Readable): boolean => a.cell === b.cell && a.cellLine === b.cellLine && a.source === b.source;

/**
 * Replace the outputs of the code cells of `fixes` (examples of notebook `path` with the output they gave).
 * Returns the new text and the examples fixed; `refused` says why others were not.
 */
export function rewriteNotebookOutputs(
  bytes: Uint8Array, path: string, fixes: { example: Example; got: string }[], prompts?: readonly string[],
): { text: string; fixed: Example[]; refused: { example: Example; why: string }[] } {
  const fixed: Example[] = [];
  const refused: { example: Example; why: string }[] = [];
  const original = utf8Text(bytes);
  const refuseAll = (why: string) => ({ text: original ?? '', fixed, refused: fixes.map(({ example }) => ({ example, why })) });
  if (original === undefined) return refuseAll('the file is not valid UTF-8');
  const bom = original.startsWith('\uFEFF') ? 1 : 0;
  const parsed = parseLocatedJson(original.slice(bom), { spans: true });
  const before = read(original, path, prompts);
  if (!parsed.ok || !isObject(parsed.value) || !Array.isArray(parsed.value.cells) || !before) return refuseAll('the notebook cannot be read');
  let expected: Readable[] = before;
  const cells = parsed.value.cells;
  const spans = parsed.lines;
  const eol = original.includes('\r\n') ? '\r\n' : '\n';

  const edits: { example: Example; got: string; start: number; end: number; cell: JsonObject; k: number }[] = [];
  for (const { example, got } of fixes) {
    const k = (example.cell ?? 0) - 1;
    const cell = cells[k];
    const span = isObject(cell) ? spans.span(cell, 'outputs') : undefined;
    if (!isObject(cell) || cell.cell_type !== 'code') {
      refused.push({ example, why: 'it is in a Markdown cell (--fix rewrites the stored outputs of code cells only)' });
    } else if (example.directives.raises) {
      refused.push({ example, why: 'the cell expects an exception, which Jupyter stores as an error output with a traceback mtest does not have' });
    } else if (!span) {
      refused.push({ example, why: "the cell has no 'outputs' list" });
    } else {
      edits.push({ example, got, start: span[0] + bom, end: span[1] + bom, cell, k });
    }
  }

  // Bottom up: a splice moves only the text after it, which is done already.
  let text = original;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    const { example, got, cell, k } = edit;
    const cellSpan = spans.span(cells, k)!;
    const indent = leadingSpace(text, edit.start);
    const cellIndent = leadingSpace(text, cellSpan[0] + bom);
    const sameLine = !text.slice(cellSpan[0] + bom, edit.start).includes('\n');
    const unit = sameLine ? '' : indent.startsWith(cellIndent) && indent.length > cellIndent.length ? indent.slice(cellIndent.length) : ' ';
    const outputs = fixedOutputs(cell.outputs, got, cell.execution_count ?? null);
    const candidate = text.slice(0, edit.start) + serialize(outputs, unit, indent, eol) + text.slice(edit.end);
    const after: Readable[] = expected.map((e) => (sameExample(e, example) ? { ...e, want: asWant(got) } : e));
    const reparsed = read(candidate, path, prompts);
    if (!reparsed || reparsed.length !== after.length || !reparsed.every((e, i) => sameExample(e, after[i]) && e.want === after[i].want)) {
      refused.push({ example, why: "its output would not read back as the cell's stored output" });
      continue;
    }
    text = candidate;
    expected = after;
    fixed.push(example);
  }
  return { text, fixed, refused };
}
