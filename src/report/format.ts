// Sage-style text for one failed example or one incident. Pure functions over plain data, shared
// by the console reporter and the --debug trace.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Incident } from '../events.js';
import { blockAt, cellAtFileLine, exampleAt, exampleWhere, type ExampleResult, type SourceFile } from '../model.js';
import { normalizeWant } from '../check/checker.js';
import { bounded, indent } from '../display.js';

/** Characters of an example's output a failure block quotes (the --json report keeps up to a megabyte). */
export const SHOWN = 16 * 1024;
import { unifiedDiff } from './diff.js';
import { KNOWN } from './tally.js';

export interface FailureStyle {
  /** Colour in the diff (a terminal). */
  colour?: boolean;
  /** A known failure (`--baseline`): the block says so. */
  known?: boolean;
  /** How the user started mtest, for the bisect hint (default `mtest`). */
  command?: string;
}

export const STARS = '*'.repeat(70);
export const DASHES = '-'.repeat(70);

export { indent };

export function seconds(s: number): string {
  return `${s.toFixed(2)} s`;
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: what a terminal or a log reader
// may take as a line break or a command.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/g;

/** One character as an escape a reader can type back: `\n`, `\x1b`, `\uffff`. */
export function escapeControl(c: string): string {
  if (c === '\\') return '\\\\';
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A name from the file system (a path, a block named after one) as report text: unchanged unless it holds a
 * control character (a line break, an ANSI escape), which is then written as an escape (`\n`, `\x1b`,
 * backslashes doubled) — so a file name can never start a line of the report (a GitHub workflow command
 * such as `::stop-commands::`) or drive the terminal.
 */
export function printable(name: string): string {
  return CONTROL.test(name) ? name.replace(CONTROLS, escapeControl) : name;
}

/**
 * A path that starts a line of the report (`a.md:3: …`, a line of `mtest list`): printable, and `./`-prefixed
 * when it begins like a workflow command (`::…`, `##[…`) a CI log would act on.
 */
export function linePath(file: string): string {
  const shown = printable(file);
  return /^[:#]/.test(shown) ? `./${shown}` : shown;
}

/**
 * A path as a shell word in a command the report suggests (`mtest -t PATH`): as is when it is plain,
 * `./`-prefixed when it would read as an option, quoted when the shell would split or expand it, and in
 * ANSI-C quotes (`$'…'`) when it holds control characters.
 */
export function shellPath(file: string): string {
  const name = file.startsWith('-') ? `./${file}` : file;
  if (/^[\w./+,:@%=-]+$/.test(name)) return name;
  if (!CONTROL.test(name)) return `'${name.replace(/'/g, "'\\''")}'`;
  return `$'${name.replace(/[\\']/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, escapeControl)}'`;
}

export { plural } from './words.js';

/** `File "x.md", line 41, in x.md` (`cell 11, line 1` in a notebook) + `Failed example:` + the source. */
function header(file: SourceFile, index: number): string[] {
  const example = exampleAt(file, index);
  const block = blockAt(file, index);
  const where = example ? exampleWhere(example) : 'line 0';
  const lines = [`File "${printable(file.path)}", ${where}, in ${printable(block?.name ?? file.path)}`, 'Failed example:'];
  if (example) lines.push(indent(example.source));
  return lines;
}

/** The failure block of one failed example (without the surrounding star lines). */
export function formatFailure(file: SourceFile, result: ExampleResult, incident?: Incident, style: FailureStyle = {}): string {
  const example = exampleAt(file, result.index);
  const lines = header(file, result.index);
  // A report quotes at most SHOWN characters of what an example printed: its head and tail.
  const got = bounded(result.got ?? '', SHOWN);
  switch (result.outcome) {
    case 'error':
      if (got) lines.push('Exception raised:', indent(got));
      if (result.note) lines.push(result.note);
      break;
    case 'exception':
      // As Python's doctest and Sage: the exception, not the expectation it broke.
      lines.push('Exception raised:', indent(got));
      break;
    case 'timeout':
    case 'crash':
    case 'memory':
      lines.push(incident?.message ?? result.note ?? result.outcome);
      if (got) lines.push('Output so far:', indent(got));
      if (incident) lines.push(...incidentDetails(incident));
      if (result.outcome !== 'memory') lines.push(`To see what it depends on: ${style.command ?? 'mtest'} bisect ${shellPath(file.path)}:${example?.line ?? 0}`);
      break;
    default: {
      const want = example ? normalizeWant(example.want) : '';
      lines.push(want ? 'Expected:' : 'Expected nothing', ...(want ? [indent(want)] : []));
      lines.push(got ? 'Got:' : 'Got nothing', ...(got ? [indent(got)] : []));
      if (lineCount(want) > 1 || lineCount(got) > 1) {
        const diff = unifiedDiff(want, got, { colour: style.colour });
        if (diff.length > 0) lines.push('Differences (-expected +got):', ...diff);
      }
      if (result.note) lines.push(result.note);
    }
  }
  if (style.known) lines.push(KNOWN.trim());
  return lines.join('\n');
}

function lineCount(text: string): number {
  if (text === '') return 0;
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < text.length - 1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * A notebook's incident with its JavaScript stack's frames in the notebook named by cell: frames name lines
 * of the `.ipynb` file, reports name cells (`at spin (file:///nb/loop.ipynb:20:3) [cell 2, line 3]`).
 */
export function withCellFrames(file: SourceFile, incident: Incident): Incident {
  if (file.kind !== 'notebook' || !incident.jsStack) return incident;
  const at = resolve(file.path);
  const url = pathToFileURL(at).href;
  const jsStack = incident.jsStack.replace(/^.*$/gm, (frame) => {
    for (const name of [url, at]) {
      const k = frame.indexOf(`${name}:`);
      if (k < 0) continue;
      const line = Number(/^\d+/.exec(frame.slice(k + name.length + 1))?.[0]);
      const cell = Number.isInteger(line) ? cellAtFileLine(file, line) : undefined;
      return cell ? `${frame} [${cell}]` : frame;
    }
    return frame;
  });
  return jsStack === incident.jsStack ? incident : { ...incident, jsStack };
}

/** Stacks, process tree and stray output of an incident, each under its own heading. */
export function incidentDetails(incident: Incident): string[] {
  const lines: string[] = [];
  if (incident.jsStack) lines.push('JavaScript stack:', indent(incident.jsStack));
  if (incident.nativeStack) lines.push('Native stack:', indent(incident.nativeStack));
  if (incident.processTree) lines.push('Process tree:', indent(incident.processTree));
  if (incident.output) lines.push('Output written to the terminal:', indent(incident.output));
  return lines;
}

/** An incident that no example result carries (e.g. the worker died between examples). */
export function formatIncident(file: SourceFile, incident: Incident, style: FailureStyle = {}): string {
  const lines = [`File "${printable(file.path)}"`, incident.message, ...incidentDetails(incident)];
  if (style.known) lines.push(KNOWN.trim());
  return lines.join('\n');
}

/** The command that reruns one file, as the user started mtest (`mtest`, `npx mtest`). */
export function rerunCommand(command: string, path: string): string {
  return `${command} -t ${shellPath(path)}`;
}
