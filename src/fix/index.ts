// --fix: the want of every example whose output was wrong is rewritten in place with what it printed, as
// Documenter.jl's `fix = true` does. Only plain mismatches (not timeouts, crashes, exceptions, or bad
// directives); the comment prefix and indentation of the prompt line are kept, every other byte of the file
// is unchanged. Each rewrite is read back through the same extractor the run used: a fix that would not
// parse back as that example's new want (the output holds a prompt, a `*/`, a code fence…) is not made.
// A file that changed on disk since it was read is left alone. Fixed examples count as passed. Notebooks
// get their failing code cells' stored outputs rewritten instead (./notebook.ts).
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FileSummary, Incident, RunEvents } from '../events.js';
import { examplesOf, exampleAt, type Example, type ExampleResult, type SourceFile } from '../model.js';
import { DEFAULT_PROMPTS, promptSyntax } from '../parsing/examples.js';
import { printable } from '../report/format.js';
import { linkTarget, overwriteInPlace, reason, writeAtomically } from '../util/atomic-write.js';
import { decodeSource } from '../sources/decode.js';
import { extractScriptBlocks, extractTextBlocks } from '../sources/index.js';
import { extractNotebookBlocks } from '../sources/notebook.js';
import { rewriteNotebookOutputs, utf8Text } from './notebook.js';

export interface FixOptions {
  cwd: string;
  prompts?: readonly string[];
  /** One line per change or refusal. */
  say: (line: string) => void;
}

interface Snapshot {
  mtimeMs: number;
  size: number;
  mode: number;
}

/** Examples as the extractor sees them, in document order (a --randorder run may have shuffled blocks). */
function documentOrder(examples: Iterable<Example>): Example[] {
  return [...examples].sort((a, b) => a.line - b.line);
}

function parse(bytes: Uint8Array, file: SourceFile, prompts?: readonly string[]): Example[] | undefined {
  const decoded = decodeSource(bytes);
  if (!decoded.ok) return undefined;
  const extracted =
    file.kind === 'notebook'
      ? extractNotebookBlocks(decoded.text, file.path, { prompts })
      : file.kind === 'script'
        ? extractScriptBlocks(decoded.text, file.path, { prompts })
        : extractTextBlocks(decoded.text, file.path, { prompts, markdown: file.kind === 'markdown' });
  return documentOrder(extracted.blocks.flatMap((b) => b.examples));
}

function same(a: Example[], b: Example[]): boolean {
  return a.length === b.length && a.every((x, i) => x.line === b[i].line && x.source === b[i].source && x.want === b[i].want);
}

/** The want lines for `got`: trailing whitespace dropped (it is never compared), empty lines as <BLANKLINE>. */
export function wantLines(got: string): string[] {
  if (got === '') return [];
  const body = got.endsWith('\n') ? got.slice(0, -1) : got;
  return body.split('\n').map((l) => (l.trimEnd() === '' ? '<BLANKLINE>' : l.trimEnd()));
}

function lineCount(text: string): number {
  return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/**
 * Rewrite the wants of `fixes` (examples of `file` with the output they gave) in the file's text. Returns
 * the new text and the examples fixed; `refused` says why others were not.
 */
export function rewriteWants(
  bytes: Uint8Array, file: SourceFile, fixes: { example: Example; got: string }[], prompts: readonly string[] = DEFAULT_PROMPTS,
): { text: string; fixed: Example[]; refused: { example: Example; why: string }[] } {
  const text = utf8Text(bytes);
  const fixed: Example[] = [];
  const refused: { example: Example; why: string }[] = [];
  if (text === undefined) {
    return { text: '', fixed, refused: fixes.map(({ example }) => ({ example, why: 'the file is not valid UTF-8' })) };
  }
  let lines = text.split('\n');
  let expected = parse(bytes, file, prompts) ?? [];
  const ps1s = prompts.map((p) => promptSyntax(p).ps1);
  // Bottom up: a rewrite changes the line numbers below it only, which are done already.
  for (const { example, got } of [...fixes].sort((a, b) => b.example.line - a.example.line)) {
    if (example.annotations) {
      const rewritten = rewriteAnnotations(lines, example, got);
      if (typeof rewritten === 'string') {
        refused.push({ example, why: rewritten });
        continue;
      }
      const after = expected.map((e) => (e.line === example.line && e.source === example.source ? { ...e, want: got } : e));
      const reparsed = parse(Buffer.from(rewritten.join('\n'), 'utf8'), file, prompts);
      if (!reparsed || !same(reparsed, after)) {
        refused.push({ example, why: 'its new value would not read back as the same annotation' });
        continue;
      }
      lines = rewritten;
      expected = after;
      fixed.push(example);
      continue;
    }
    const promptLine = lines[example.line - 1] ?? '';
    const eol = promptLine.endsWith('\r') ? '\r' : '';
    const at = Math.min(...ps1s.map((p) => promptLine.indexOf(p)).filter((k) => k >= 0));
    if (!Number.isFinite(at)) {
      refused.push({ example, why: 'its prompt was not found' });
      continue;
    }
    const prefix = promptLine.slice(0, at);
    const first = example.line - 1 + lineCount(example.source + '\n');
    const wanted = wantLines(got);
    const replacement = wanted.map((l) => prefix + l + eol);
    const candidate = [...lines];
    candidate.splice(first, lineCount(example.want), ...replacement);
    const candidateText = candidate.join('\n');
    const delta = replacement.length - lineCount(example.want);
    const newWant = wanted.length > 0 ? wanted.join('\n') + '\n' : '';
    const after = expected.map((e) =>
      e.line === example.line && e.source === example.source ? { ...e, want: newWant } : e.line > example.line ? { ...e, line: e.line + delta } : e,
    );
    const reparsed = parse(Buffer.from(candidateText, 'utf8'), file, prompts);
    if (!reparsed || !same(reparsed, after)) {
      refused.push({ example, why: 'its output would not read back as its expected output (it holds a prompt, a comment end or a code fence)' });
      continue;
    }
    lines = candidate;
    expected = after;
    fixed.push(example);
  }
  return { text: lines.join('\n'), fixed, refused };
}

/**
 * The file's lines with each wrong annotation of `example` given the value `got` has for it (`got` holds
 * one `marker value` line per annotation), written where the old value was: `~` keeps its precision, the
 * comment and the code around it stay. A reason instead when that cannot be done.
 */
function rewriteAnnotations(lines: string[], example: Example, got: string): string[] | string {
  const annotations = example.annotations ?? [];
  const gotLines = got.replace(/\n$/, '').split('\n');
  if (gotLines.length !== annotations.length) return 'what it did cannot be written as its annotations';
  const out = [...lines];
  for (const [i, a] of annotations.entries()) {
    const want = `${a.marker} ${a.value}`.trimEnd();
    if (gotLines[i] === want) continue;
    if (!gotLines[i].startsWith(a.marker + ' ')) return `it no longer ${a.kind === 'throws' ? 'throws' : 'gives a value'}: its annotation would change kind`;
    if (a.multiline) return 'its annotation spans lines';
    const value = gotLines[i].slice(a.marker.length + 1);
    const text = out[a.line - 1] ?? '';
    const at = text.lastIndexOf(a.value);
    if (at < 0 || !text.slice(0, at).trimEnd().endsWith(a.marker)) return 'its annotation was not found on its line';
    out[a.line - 1] = text.slice(0, at) + value + text.slice(at + a.value.length);
  }
  return out;
}

/**
 * A RunEvents filter in front of the reporters: mismatches are held back until their file ends, the file
 * is rewritten, and the fixed ones go on as passed.
 */
export class FixingEvents implements RunEvents {
  private readonly snapshots = new Map<string, Snapshot | undefined>();
  private readonly held = new Map<SourceFile, ExampleResult[]>();

  constructor(
    files: SourceFile[],
    private readonly next: RunEvents,
    private readonly options: FixOptions,
  ) {
    for (const file of files) this.snapshots.set(file.path, this.stat(file));
  }

  private stat(file: SourceFile): Snapshot | undefined {
    const s = statSync(resolve(this.options.cwd, file.path), { throwIfNoEntry: false });
    return s && { mtimeMs: s.mtimeMs, size: s.size, mode: s.mode };
  }

  fileStart(file: SourceFile, worker: number): void {
    this.next.fileStart(file, worker);
  }
  exampleStart(file: SourceFile, index: number, worker: number): void {
    this.next.exampleStart(file, index, worker);
  }
  exampleEnd(file: SourceFile, result: ExampleResult): void {
    const example = exampleAt(file, result.index);
    const fixable = result.status === 'failed' && result.outcome === 'mismatch' && result.got !== undefined && example !== undefined && example.directives.errors.length === 0;
    if (!fixable) return this.next.exampleEnd(file, result);
    const list = this.held.get(file);
    if (list) list.push(result);
    else this.held.set(file, [result]);
  }
  incident(file: SourceFile, incident: Incident): void {
    this.next.incident(file, incident);
  }
  warning(file: SourceFile, message: string, index?: number): void {
    this.next.warning(file, message, index);
  }
  memory(worker: number, rss: number): void {
    this.next.memory?.(worker, rss);
  }
  fileEnd(file: SourceFile, summary: FileSummary): void {
    const held = this.held.get(file);
    if (held) {
      this.held.delete(file);
      const fixed = this.fix(file, held);
      for (const result of held) {
        this.next.exampleEnd(file, fixed.has(result.index) ? { ...result, status: 'passed', outcome: 'ok', note: undefined } : result);
      }
    }
    this.next.fileEnd(file, summary);
  }

  /** Rewrite the file; the flat indices fixed. */
  private fix(file: SourceFile, results: ExampleResult[]): Set<number> {
    const done = new Set<number>();
    const path = resolve(this.options.cwd, file.path);
    const before = this.snapshots.get(file.path);
    const now = this.stat(file);
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(path);
    } catch {
      bytes = undefined;
    }
    const ran = documentOrder([...examplesOf(file)].map(({ example }) => example));
    const onDisk = bytes && parse(bytes, file, this.options.prompts);
    if (!bytes || !before || !now || before.mtimeMs !== now.mtimeMs || before.size !== now.size || !onDisk || !same(onDisk, ran)) {
      this.options.say(`Warning: ${printable(file.path)}: changed on disk during the run; --fix left it alone`);
      return done;
    }
    const byExample = new Map<Example, number>();
    const fixes = results.map((r) => {
      const example = exampleAt(file, r.index)!;
      byExample.set(example, r.index);
      return { example, got: r.got! };
    });
    const { text, fixed, refused } = file.kind === 'notebook'
      ? rewriteNotebookOutputs(bytes, file.path, fixes, this.options.prompts)
      : rewriteWants(bytes, file, fixes, this.options.prompts);
    for (const { example, why } of refused) this.options.say(`Warning: ${printable(file.path)}:${example.line}: --fix left this example alone: ${why}`);
    if (fixed.length === 0) return done;
    const problem = writeSource(path, text);
    if (problem) {
      this.options.say(`Warning: ${printable(file.path)}: --fix cannot write the file: ${problem}`);
      return done;
    }
    for (const example of [...fixed].sort((a, b) => a.line - b.line)) {
      done.add(byExample.get(example)!);
      const what = file.kind === 'notebook' ? `stored outputs of cell ${example.cell}` : 'expected output';
      this.options.say(`Fixed ${printable(file.path)}:${example.line}: ${what} of \`${example.source.split('\n')[0]}\` rewritten`);
    }
    return done;
  }
}

/**
 * Write a rewritten source the way an editor saves it: through a symbolic link to the file it points to
 * (the link stays a link), keeping the file's permissions and owner; a file with other hard links is
 * overwritten in place so that they all see the fix. A file nobody may write (0444) is left alone even when
 * mtest could force it (root). Returns why it was not written, if it was not.
 */
function writeSource(path: string, text: string): string | undefined {
  const target = linkTarget(path);
  try {
    const info = statSync(target);
    if ((info.mode & 0o222) === 0) return 'it is read-only';
    accessSync(target, constants.W_OK);
    if (info.nlink > 1) overwriteInPlace(target, text);
    else writeAtomically(target, text, { mode: info.mode, owner: info });
    return undefined;
  } catch (err) {
    return reason(err);
  }
}
