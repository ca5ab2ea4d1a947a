// Selecting examples inside files: `FILE:LINE` (one example; its block's earlier examples run first as its
// setup) and `-k PATTERN` (the blocks whose name or file matches). A selection becomes, per file, the flat
// indices to run — the runners' `only`, the mechanism `mtest bisect` replays with — and the indices the
// report counts. Setup examples are not counted: one that passes is not reported at all; one that fails is
// reported at its own line and counted as a failure, since what follows it ran on a broken namespace.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FileSubset, InputError, SourceFile } from '../model.js';
import type { KeywordMatcher } from './keyword.js';

/** `FILE:LINE` as given on the command line. */
export interface LineTarget {
  path: string;
  line: number;
}

export interface Selection {
  targets: LineTarget[];
  keyword?: KeywordMatcher;
}

/**
 * Split `FILE:LINE` arguments off the paths: the paths to discover (each file once), and the targets. An
 * argument that exists as it is stays a path; a file also given whole runs whole.
 */
export function splitTargets(args: string[], cwd: string): { paths: string[]; targets: LineTarget[] } {
  const paths: string[] = [];
  const targets: LineTarget[] = [];
  const whole = new Set<string>();
  for (const arg of args) {
    const m = /^(.+):(\d+)$/.exec(arg);
    if (!m || existsSync(resolve(cwd, arg))) {
      paths.push(arg);
      whole.add(resolve(cwd, arg));
      continue;
    }
    targets.push({ path: m[1], line: Number(m[2]) });
  }
  for (const target of targets) {
    const full = resolve(cwd, target.path);
    if (!paths.some((p) => resolve(cwd, p) === full)) paths.push(target.path);
  }
  return { paths, targets: targets.filter((t) => !whole.has(resolve(cwd, t.path))) };
}

/** The last line an example covers: its prompt, its continuation lines and its want. */
function lastLine(example: { line: number; source: string; want: string }): number {
  const wantLines = example.want === '' ? 0 : example.want.replace(/\n$/, '').split('\n').length;
  return example.line + example.source.split('\n').length - 1 + wantLines;
}

/**
 * A file's subset under `selection`: undefined when the selection does not touch the file (it runs whole),
 * null when it keeps nothing of it. `errors`: the targets of this file that name no example.
 */
export function selectIn(file: SourceFile, selection: Selection, cwd: string): { subset: FileSubset | undefined | null; errors: InputError[] } {
  const full = resolve(cwd, file.path);
  const targets = selection.targets.filter((t) => resolve(cwd, t.path) === full);
  const errors: InputError[] = [];
  if (targets.length === 0 && !selection.keyword) return { subset: undefined, errors };
  const run = new Set<number>();
  const counted = new Set<number>();
  const wanted = new Set<number>();
  let first = 0;
  const spans: { block: number; first: number; index: number; from: number; to: number }[] = [];
  file.blocks.forEach((block, b) => {
    block.examples.forEach((example, k) => spans.push({ block: b, first, index: first + k, from: example.line, to: lastLine(example) }));
    first += block.examples.length;
  });
  const kept = (b: number): boolean => !selection.keyword || selection.keyword([file.blocks[b].name, file.path]);
  for (const target of targets) {
    // The example whose prompt is on the line, else the one whose source or want covers it.
    const span = spans.find((s) => s.from === target.line) ?? spans.find((s) => s.from <= target.line && target.line <= s.to);
    if (!span) {
      errors.push({ file: file.path, line: target.line, message: `no example at line ${target.line}${nearest(spans.map((s) => s.from), target.line)}` });
      continue;
    }
    if (kept(span.block)) wanted.add(span.index);
  }
  if (targets.length === 0) {
    spans.forEach((s) => kept(s.block) && wanted.add(s.index));
    for (const i of wanted) run.add(i), counted.add(i);
  } else {
    for (const i of wanted) {
      const span = spans[i];
      for (let j = span.first; j <= i; j++) run.add(j);
      counted.add(i);
    }
  }
  if (counted.size === 0) return { subset: null, errors };
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { subset: { run: sorted(run), counted: sorted(counted) }, errors };
}

/** ` (examples start at lines 12 and 18)`: the prompts around `line`. */
function nearest(lines: number[], line: number): string {
  if (lines.length === 0) return ' (the file has no examples)';
  const before = lines.filter((l) => l < line).pop();
  const after = lines.find((l) => l > line);
  const around = [before, after].filter((l): l is number => l !== undefined);
  return ` (examples start at line${around.length > 1 ? 's' : ''} ${around.join(' and ')})`;
}
