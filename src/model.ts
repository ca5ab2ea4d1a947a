// The nouns every stage shares: what a document holds (SourceFile → Block → Example) and what running an
// example yields (ExampleResult). Stages import these types and nothing else from each other's internals.

/** Parsed `// …` directives of one example. */
export interface Directives {
  /** `not tested` / `not implemented`: never run, counted as skipped. */
  notTested?: string;
  /** `long time`: runs only with `--long`. */
  longTime?: boolean;
  /** Tags from `optional - A, B` / `needs A B` (lower-cased); all must be enabled for the example to run. */
  needs: string[];
  /** `known bug`: skipped unless `--optional bug`. */
  knownBug?: boolean;
  /** `known bug linux` / `known bug macos`: the bug is skipped on that platform only. */
  knownBugOn?: 'linux' | 'macos';
  /** `random`: any output accepted; an unexpected exception still fails. */
  random?: boolean;
  /** Notebook `raises` marker: the example must throw; which exception is compared only when the want names one. */
  raises?: boolean;
  /** Numeric tolerance. */
  tolerance?: Tolerance;
  /** `timeout S`: this example's time limit in seconds. */
  timeout?: number;
  /** Directive text that could not be understood; the example fails with these messages, at its line. */
  errors: string[];
}

export interface Tolerance {
  kind: 'tol' | 'rel' | 'abs';
  epsilon: number;
}

/** One prompt with its continuation lines and its expected output. */
export interface Example {
  /** Source with prompts removed, lines joined by '\n' (no trailing newline). */
  source: string;
  /** Expected output: dedented lines joined by '\n' with a trailing '\n' when non-empty ('' = nothing). */
  want: string;
  /** 1-based line of the prompt in the file. */
  line: number;
  /** Column of the prompt (its indentation within the block's text). */
  indent: number;
  directives: Directives;
  /** Notebooks: the cell (1-based among all cells) and the line within it; `line` is the line of the file. */
  cell?: number;
  cellLine?: number;
  /** `--typecheck`: type errors, each `line N: TS2322: …`; the example fails with them instead of running. */
  typeErrors?: string[];
  /** The same errors by position in the example (1-based line and column), each with its message chain. */
  typeDiagnostics?: TypeDiagnostic[];
  /**
   * Annotation-style examples (`// returns ~2.363` after the code): what is compared, as values. Present
   * (possibly empty: setup code that only runs) exactly when the example is one; `want` then shows them.
   */
  annotations?: Annotation[];
}

/** One `// returns …`, `// => …`, `// x => …` or `// throws …` comment after an example's code. */
export interface Annotation {
  /** returns: the value; prints: the output; mutates: `target` after the code; throws: the exception. */
  kind: 'returns' | 'prints' | 'mutates' | 'throws';
  /** `e.g.,`: illustrative, the code runs and nothing is compared. */
  exemplary: boolean;
  /** The marker as written: `returns`, `=>`, `x =>`, `e.g., returns`, `outputs`. */
  marker: string;
  /** The expected value as written (lines joined by '\n' for a `/* … *\/` annotation). */
  value: string;
  /** mutates: the name compared; returns: the variable the code's last statement assigns, if any. */
  target?: string;
  /** 1-based line of the annotation in the file (where --fix rewrites the value). */
  line: number;
  /** Written after the code on the same line (mathjs style). */
  sameLine?: boolean;
  /** A `/* … *\/` annotation spanning lines up to `endLine`. */
  multiline?: boolean;
  endLine?: number;
}

export interface TypeDiagnostic {
  line: number;
  column: number;
  /** The compiler's message, then the messages it chains (most general first). */
  messages: string[];
}

/**
 * Where an example is in machine reports (JSON, `mtest list --json`): `line`; in a notebook `cell` and `line` within the cell, and
 * `fileLine`, the line of the `.ipynb` file where that source line is stored.
 */
export function exampleLocation(ex: Example): { line: number; cell?: number; fileLine?: number } {
  return ex.cell === undefined ? { line: ex.line } : { cell: ex.cell, line: ex.cellLine ?? 1, fileLine: ex.line };
}

/** Where an example is, for reports: `line 41`, or `cell 11, line 1` in a notebook; `offset` lines further down. */
export function exampleWhere(example: Example, offset = 0): string {
  return example.cell === undefined ? `line ${example.line + offset}` : `cell ${example.cell}, line ${(example.cellLine ?? 1) + offset}`;
}

/**
 * In a notebook, the cell and the line in it that a line of the `.ipynb` file holds (`cell 7, line 3`), for
 * stack frames, which name file lines; undefined outside any cell's source.
 */
export function cellAtFileLine(file: SourceFile, fileLine: number): string | undefined {
  if (file.kind !== 'notebook') return undefined;
  let best: Example | undefined;
  for (const block of file.blocks) for (const ex of block.examples) if (ex.cell !== undefined && ex.line <= fileLine && (!best || ex.line > best.line)) best = ex;
  if (!best) return undefined;
  // Jupyter stores a source one line per file line: the offset inside the example is the offset in the file
  const offset = fileLine - best.line;
  return offset < best.source.split('\n').length ? exampleWhere(best, offset) : undefined;
}

/** A run of examples sharing one namespace. */
export interface Block {
  /** `Matrix.det`, or `<file>:<line>` for an anonymous comment, or the file path for documents. */
  name: string;
  /** 1-based line where the block starts. */
  line: number;
  examples: Example[];
}

/**
 * The kernels whose notebooks mtest runs as they ran them; `typescript`/`javascript` are any other kernel of
 * that language, run with mtest's own rules.
 */
export type KernelName = 'tslab' | 'jslab' | 'ijavascript' | 'deno' | 'typescript' | 'javascript';

export type SourceKind = 'script' | 'markdown' | 'text' | 'notebook';

/** A problem with the input, reported as one line `file:line: message`; never a crash of mtest. */
export interface InputError {
  file: string;
  line: number;
  message: string;
}

export interface SourceFile {
  /** Path as given / found (relative to cwd when discovered under it). */
  path: string;
  kind: SourceKind;
  blocks: Block[];
  /** File-level tags (`// mtest: optional - TAG`), applied to every example. */
  tags: string[];
  errors: InputError[];
  /** Notebooks: the kernel's language (a `javascript` notebook is not type-checked). */
  language?: 'typescript' | 'javascript';
  /** Notebooks: the kernel that ran it, which decides how its cells run and display (see execute/kernels.ts). */
  kernel?: KernelName;
  /** Deno notebooks: the deno executable they run in (found by the CLI); without one they run in Node. */
  deno?: string;
  /** Lines worth reporting that are not errors (a notebook of another language): no exit bit. */
  notices?: InputError[];
}

export type Status = 'passed' | 'failed' | 'skipped' | 'notrun';

/** Why an example ended the way it did, when that is not plain pass/fail of its output. */
export type Outcome =
  | 'ok' // ran, output matched
  | 'mismatch' // ran, output did not match
  | 'exception' // raised where no exception was expected (or a different one)
  | 'error' // could not be run: syntax error, bad directive
  | 'timeout'
  | 'crash' // the process running it died
  | 'memory' // memory limit exceeded
  | 'skipped'
  | 'notrun';

export interface ExampleResult {
  /** Flat index of the example in its file (block order, then example order). */
  index: number;
  status: Status;
  outcome: Outcome;
  /** What the example produced (output + displayed value), after ANSI stripping. */
  got?: string;
  /** Extra lines for the failure report (`Tolerance exceeded:` …, skip reason, crash cause). */
  note?: string;
  /** Wall time in seconds. */
  time: number;
  /** RSS growth in bytes while the example ran (when measured). */
  rssDelta?: number;
  /** What mtest had to put back after the example (it broke the realm mtest shares with it). */
  warnings?: string[];
}

/**
 * Part of a file a run selects (`FILE:LINE`, `-k`): the flat indices that run, ascending, and those the
 * report counts (`counted` ⊆ `run`; the others are setup: reported only when they fail).
 */
export interface FileSubset {
  run: number[];
  counted: number[];
}

/** Iterate a file's examples with their flat index. */
export function* examplesOf(file: SourceFile): Generator<{ index: number; block: Block; example: Example }> {
  let index = 0;
  for (const block of file.blocks) for (const example of block.examples) yield { index: index++, block, example };
}

/** The result of an example that never ran (a stopped run, a dead worker, --initial, --only). */
export function notRun(index: number, note?: string): ExampleResult {
  return note === undefined ? { index, status: 'notrun', outcome: 'notrun', time: 0 } : { index, status: 'notrun', outcome: 'notrun', note, time: 0 };
}

/** What `closeRest` closes: flat indices [from, to) of the file (default: all), or exactly `indices`. */
export interface RestOf {
  from?: number;
  to?: number;
  indices?: Iterable<number>;
  /** Why they did not run (the incident that ended their block); none for a stopped run. */
  note?: string;
}

/**
 * Close what is left of a file: every example of `rest` that has no result yet (not in `ended`) ends as not
 * run, in order, and is added to `ended`. Every runner, mode and finish closes files through this.
 */
export function closeRest(file: SourceFile, ended: Set<number>, end: (result: ExampleResult) => void, rest: RestOf = {}): void {
  const indices = rest.indices ?? range(rest.from ?? 0, rest.to ?? countExamples(file));
  for (const index of indices) {
    if (ended.has(index)) continue;
    ended.add(index);
    end(notRun(index, rest.note));
  }
}

function* range(from: number, to: number): Generator<number> {
  for (let index = from; index < to; index++) yield index;
}

/** The flat index just past the block that holds flat index `index` (the first example of the next block). */
export function blockEndAfter(file: SourceFile, index: number): number {
  let end = 0;
  for (const block of file.blocks) {
    end += block.examples.length;
    if (index < end) return end;
  }
  return end;
}

export function countExamples(file: SourceFile): number {
  let n = 0;
  for (const block of file.blocks) n += block.examples.length;
  return n;
}

export function emptyDirectives(): Directives {
  return { needs: [], errors: [] };
}

const flatCache = new WeakMap<SourceFile, Example[]>();

/** The example with flat index `index` (cached per file; files are immutable once parsed). */
export function exampleAt(file: SourceFile, index: number): Example | undefined {
  let flat = flatCache.get(file);
  if (!flat) {
    flat = file.blocks.flatMap((b) => b.examples);
    flatCache.set(file, flat);
  }
  return flat[index];
}

/** The block holding flat index `index`. */
export function blockAt(file: SourceFile, index: number): Block | undefined {
  let n = index;
  for (const block of file.blocks) {
    if (n < block.examples.length) return block;
    n -= block.examples.length;
  }
  return undefined;
}
