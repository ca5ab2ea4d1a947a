// Every option of a run in one table: its names, kind, checks, help and default, and whether the
// configuration file may set it. Parsing never throws: bad options come back as one-line messages and the
// CLI exits with the usage bit (2).

import { randomInt } from 'node:crypto';
import { KeywordError, parseKeyword } from '../schedule/keyword.js';
import { parseShard, type ShardSpec } from '../schedule/order.js';
import type { ResolvedOptions } from '../options.js';
import type { LineTarget } from '../schedule/selection.js';

export type Command = 'test' | 'list' | 'merge' | 'doctor' | 'bisect' | 'help' | 'version';

/** The resolved options no one gives: the resolve derives them from the others (or a runner sets them). */
type Derived = 'interruptSync' | 'notebookPrelude' | 'measureMemory' | 'only' | 'workersNote';

/** What the command line (or the programmatic API) gives: any option of a run, each may be missing. */
export type CliOptions = { -readonly [K in Exclude<keyof ResolvedOptions, Derived>]?: ResolvedOptions[K] };

type Kind = 'flag' | 'negated' | 'int' | 'seconds' | 'string' | 'list' | 'optional-number' | 'shard';

/** What a computed default depends on: the machine, and the number of workers the run resolved to. */
export interface DefaultContext {
  cpus: number;
  /** Total memory in MB. */
  totalMB: number;
  jobs: number;
}

/** How the configuration file's (JSON) value of an option is checked: a problem in a few words, or undefined. */
type ConfigCheck = (value: unknown) => string | undefined;

/** The keys of the configuration file that have no command-line option. */
export type ConfigOnlyKey = 'include' | 'exclude' | 'prompts';

export interface OptionSpec {
  key: keyof CliOptions | ConfigOnlyKey;
  /** Command-line names; none for a key only the configuration file sets. */
  names: readonly string[];
  kind: Kind;
  arg?: string;
  /** `{default}` and `{implied}` stand for the values below, so that --help cannot drift from them. */
  help?: string;
  /** Value taken by `optional-number` options given without one. */
  implied?: number;
  /** The smallest whole number an `int` option takes (0 unless set). */
  least?: number;
  /** Values compared in lower case (tags). */
  lowerCase?: boolean;
  /** The only values a `string` option takes. */
  choices?: readonly string[];
  /** Further check of a `string` option's value: its one-line problem. */
  check?: (raw: string) => string | undefined;
  /**
   * The value when neither the command line nor the configuration file gives one: a constant, or computed
   * from the machine. Flags default to false, `--no-` options to true; the others to undefined (off).
   */
  default?: unknown;
  /**
   * Set when the configuration file may set the option: `true` checks its value by the option's kind and
   * bounds (as the command line does), or a check of its own.
   */
  config?: true | ConfigCheck;
}

const configList: ConfigCheck = (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : 'must be a list of strings');
const configWhole =
  (least: number): ConfigCheck =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= least ? undefined : `must be a whole number ≥ ${least}`;
const configAmount =
  (unit: string, note = ''): ConfigCheck =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : `must be a number of ${unit} ≥ 0${note}`;
// `>` is the Node REPL's prompt (continued by `...`): opt-in, as it also starts Markdown quotes
const configPrompts: ConfigCheck = (v) =>
  configList(v) ?? ((v as string[]).every((p) => ['sage:', '>>>', '>'].includes(p.trim())) ? undefined : "must list prompts among 'sage:', '>>>' and '>'");

/** How the configuration's value of `spec` is checked; undefined when the configuration may not set it. */
export function configCheck(spec: OptionSpec): ConfigCheck | undefined {
  if (spec.config !== true) return spec.config;
  if (spec.kind === 'list') return configList;
  if (spec.kind === 'int') return configWhole(spec.least ?? 0);
  if (spec.kind === 'seconds') return configAmount(spec.arg === 'S' ? 'seconds' : (spec.arg ?? ''));
  throw new Error(`option ${spec.key}: the configuration's check of a ${spec.kind} is not derived; give one`);
}

function keywordProblem(raw: string): string | undefined {
  try {
    parseKeyword(raw);
    return undefined;
  } catch (err) {
    if (!(err instanceof KeywordError)) throw err;
    return err.message;
  }
}

/**
 * Every option of a run, in --help's order: its names, kind and checks, its default, and whether the
 * configuration file may set it. The command line, the configuration file and the programmatic API are
 * all read through it, and resolved by one function (resolve.ts).
 */
const ROWS = [
  { names: ['-p', '--jobs', '--nthreads'], key: 'jobs', kind: 'int', least: 1, arg: 'N', default: (m: DefaultContext) => m.cpus, config: true, help: 'worker processes (default: number of CPUs)' },
  { names: ['--serial'], key: 'serial', kind: 'flag', help: 'no workers: run files one after another in this process' },
  { names: ['--debug'], key: 'debug', kind: 'flag', help: '--serial + trace; time limits only warn; REPL on failure (terminal)' },
  { names: ['-v', '--verbose'], key: 'verbose', kind: 'flag', help: 'print `Trying (line N)` / `ok` for every example' },
  { names: ['-w', '--watch'], key: 'watch', kind: 'flag', help: 'after the run, rerun what each change touches (keys: a all, f failures, q quit)' },
  { names: ['--clear'], key: 'clear', kind: 'flag', help: 'with --watch: clear the terminal before each run' },
  { names: ['--isolate'], key: 'isolate', kind: 'flag', help: 'a fresh worker for every file' },
  { names: ['--blas-threads'], key: 'blasThreads', kind: 'int', least: 1, arg: 'N', default: (m: DefaultContext) => Math.max(1, Math.floor(m.cpus / m.jobs)), help: 'BLAS threads per worker (default max(1, CPUs / jobs))' },
  { names: ['--timeout'], key: 'timeout', kind: 'seconds', arg: 'S', default: 60, config: true, help: 'per-example time limit (default {default}; 0 = none)' },
  { names: ['--file-timeout'], key: 'fileTimeout', kind: 'seconds', arg: 'S', default: 600, help: 'per-file time limit (default {default}; 0 = none)' },
  { names: ['--memlimit'], key: 'memlimit', kind: 'int', arg: 'MB', default: (m: DefaultContext) => Math.floor(m.totalMB / m.jobs), help: 'RSS limit per worker (default: total memory / jobs; 0 = none)' },
  { names: ['--trace-memory'], key: 'traceMemory', kind: 'optional-number', implied: 100, arg: '[MB]', help: 'list examples whose RSS grew by MB or more (default {implied})' },
  { names: ['--no-gdb'], key: 'gdb', kind: 'negated', help: 'do not take native stacks (eu-stack, gdb) of hung workers' },
  { names: ['--long'], key: 'long', kind: 'flag', help: 'also run examples marked `long time`' },
  { names: ['--optional'], key: 'optional', kind: 'list', lowerCase: true, arg: 'TAGS', default: [], config: true, help: 'run examples needing these tags (comma-separated; `bug` runs known bugs)' },
  { names: ['-x', '--exitfirst'], key: 'exitFirst', kind: 'flag', help: 'stop the run at the first failure' },
  { names: ['--initial'], key: 'initial', kind: 'flag', help: 'only the first failure of each block' },
  { names: ['--warn-long'], key: 'warnLong', kind: 'optional-number', implied: 5, arg: '[S]', help: 'warn about examples slower than S seconds (default {implied})' },
  { names: ['--randorder'], key: 'randorder', kind: 'int', arg: 'SEED', help: 'run the files, and the blocks inside each file, in a random order (reproducible with SEED)' },
  { names: ['--random-seed'], key: 'randomSeed', kind: 'int', arg: 'N', default: () => randomInt(0, 2 ** 31 - 1), help: 'seed for Math.random and the engine (default: fresh, printed)' },
  { names: ['--format'], key: 'format', kind: 'string', choices: ['console', 'github'], arg: 'console|github', help: 'github adds GitHub Actions annotations' },
  { names: ['--junit'], key: 'junit', kind: 'string', arg: 'FILE', help: 'write a JUnit XML report' },
  { names: ['--html'], key: 'html', kind: 'string', arg: 'FILE', help: 'write the run as one page: timeline, memory, failures (opens from disk)' },
  { names: ['--json'], key: 'json', kind: 'string', arg: 'FILE', help: 'write a JSON report (`mtest list --json` prints JSON)' },
  { names: ['-k', '--keyword'], key: 'keyword', kind: 'string', check: keywordProblem, arg: 'PATTERN', help: 'only blocks whose name or file matches (substrings; not, and, or, parentheses)' },
  { names: ['--prelude'], key: 'prelude', kind: 'list', arg: 'MODULES', default: ['builtin'], config: true, help: "modules whose exports every block sees (default: the built-in engine, '{default}')" },
  { names: ['--typecheck'], key: 'typecheck', kind: 'flag', help: 'type errors fail examples (TypeScript compiler; one program for the run)' },
  { names: ['--no-status'], key: 'status', kind: 'negated', help: 'no live status line on a terminal' },
  { names: ['-f', '--failed'], key: 'failed', kind: 'flag', help: 'only the files that failed (or timed out or crashed) in the stored run' },
  { names: ['-n', '--new'], key: 'newOnly', kind: 'flag', help: 'only the files git sees as changed (modified, added, untracked)' },
  { names: ['--baseline'], key: 'baseline', kind: 'string', arg: 'FILE', help: 'failures also in this earlier --json report are known: reported, no exit bit' },
  { names: ['--shard'], key: 'shard', kind: 'shard', arg: 'i/n', help: 'run the i-th of n shards, balanced by the stored timings (mtest merge joins the reports)' },
  { names: ['--stats-path'], key: 'statsPath', kind: 'string', arg: 'FILE', help: 'stored timings (default .mtest/stats.json)' },
  { names: ['--fix'], key: 'fix', kind: 'flag', help: 'rewrite the expected output of every mismatching example in place' },
  // Above 8 MB a file is most likely generated (a minified bundle, a data dump) and reading it would cost
  // seconds and hundreds of MB for nothing: the scan of an 8 MB minified script with prompts takes ~2.4 s
  // and ~400 MB here. A notebook with a few plots stays well below.
  { names: ['--max-file-size'], key: 'maxFileSize', kind: 'seconds', arg: 'MB', default: 8, config: configAmount('MB', ' (0: no limit)'), help: 'skip files larger than this, with a note (default {default}; 0 = no limit)' },
  { names: ['--pass-with-no-examples'], key: 'passWithNoExamples', kind: 'flag', help: 'finding no examples is not an error' },
  // the configuration file's only: which files to test, and how their prompts look
  { names: [], key: 'include', kind: 'list', config: true },
  { names: [], key: 'exclude', kind: 'list', config: true },
  { names: [], key: 'prompts', kind: 'list', config: configPrompts },
] as const satisfies readonly OptionSpec[];

export const OPTIONS: readonly OptionSpec[] = ROWS;

/** The keys the configuration file may set: the rows with `config`. */
export type ConfigKey = Extract<(typeof ROWS)[number], { config: unknown }>['key'];

/** The option's default: a constant, computed from `context`, or that of its kind. */
export function defaultOf(spec: OptionSpec, context: DefaultContext): unknown {
  if (typeof spec.default === 'function') return (spec.default as (m: DefaultContext) => unknown)(context);
  if (spec.default !== undefined) return spec.default;
  return spec.kind === 'flag' ? false : spec.kind === 'negated' ? true : undefined;
}

export function optionSpec(key: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.key === key);
}

const BY_NAME = new Map<string, OptionSpec>();
for (const spec of OPTIONS) for (const name of spec.names) BY_NAME.set(name, spec);

export interface ParsedArgs {
  command: Command;
  paths: string[];
  /** `FILE:LINE` arguments (their files are among `paths`). */
  targets?: LineTarget[];
  options: CliOptions;
  errors: string[];
}

const COMMANDS: Record<string, Command> = { test: 'test', list: 'list', merge: 'merge', doctor: 'doctor', bisect: 'bisect', help: 'help' };

function parseValue(spec: OptionSpec, name: string, raw: string): { value?: unknown; error?: string } {
  switch (spec.kind) {
    case 'int': {
      if (!/^\d+$/.test(raw)) return { error: `${name} expects a whole number, got '${raw}'` };
      const n = Number(raw);
      const least = spec.least ?? 0;
      // past 2^53 the number read is not the number written (a seed would not reproduce a run)
      if (!Number.isSafeInteger(n)) return { error: `${name} expects a whole number from ${least} to ${Number.MAX_SAFE_INTEGER}, got '${raw}'` };
      if (n < least) return { error: `${name} must be at least ${least}` };
      return { value: n };
    }
    case 'seconds':
    case 'optional-number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || n < 0) return { error: `${name} expects a non-negative number, got '${raw}'` };
      return { value: n };
    }
    case 'list':
      return { value: raw.split(/[,\s]+/).filter(Boolean).map((t) => (spec.lowerCase ? t.toLowerCase() : t)) };
    case 'shard': {
      const shard = parseShard(raw);
      return shard ? { value: shard } : { error: `${name} expects i/n with 1 ≤ i ≤ n, got '${raw}'` };
    }
    case 'string':
      if (spec.arg === 'FILE' && raw === '') return { error: `${name} expects a file name, got ''` };
      if (spec.choices && !spec.choices.includes(raw)) return { error: `${name} expects ${spec.choices.join(' or ')}, got '${raw}'` };
      {
        const problem = spec.check?.(raw);
        if (problem) return { error: problem };
      }
      return { value: raw };
    default:
      return { error: `${name} takes no value` };
  }
}

export function parseArgs(argv: string[]): ParsedArgs {
  const result: ParsedArgs = { command: 'test', paths: [], options: {}, errors: [] };
  const opts = result.options as Record<string, unknown>;
  let i = 0;
  if (argv.length > 0 && COMMANDS[argv[0]]) result.command = COMMANDS[argv[i++]];
  let listJson = false;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      result.paths.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-t' || arg === '--test') continue; // `mtest -t FILE`, as `sage -t`
    if (arg === '-h' || arg === '--help') {
      result.command = 'help';
      continue;
    }
    if (arg === '-V' || arg === '--version') {
      result.command = 'version';
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      result.paths.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const inline = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : undefined;
    const spec = BY_NAME.get(name);
    if (!spec) {
      result.errors.push(`unknown option '${name}' (see mtest --help)`);
      continue;
    }
    if (spec.kind === 'flag' || spec.kind === 'negated') {
      if (inline !== undefined) result.errors.push(`${name} takes no value`);
      opts[spec.key] = spec.kind === 'flag';
      continue;
    }
    // `mtest list --json` is a flag; everywhere else --json takes a file
    if (spec.key === 'json' && result.command === 'list' && inline === undefined) {
      listJson = true;
      continue;
    }
    let raw = inline;
    if (raw === undefined && spec.kind === 'optional-number') {
      const next = argv[i + 1];
      if (next !== undefined && /^\d+(\.\d+)?$/.test(next)) raw = argv[++i];
      else {
        opts[spec.key] = spec.implied;
        continue;
      }
    }
    if (raw === undefined) {
      if (i + 1 >= argv.length) {
        result.errors.push(`${name} needs a value${spec.arg ? ` (${spec.arg})` : ''}`);
        continue;
      }
      raw = argv[++i];
    }
    const { value, error } = parseValue(spec, name, raw);
    if (error) result.errors.push(error);
    else opts[spec.key] = value;
  }
  if (listJson) opts.json = '-';
  return result;
}

/**
 * The command line for options given as an object with the long options' names in camelCase
 * (`{ jobs: 1, timeout: 10, optional: ['gpu'] }` → `--jobs 1 --timeout 10 --optional gpu`), so that they
 * are checked exactly as typed ones are. Unknown keys and values of the wrong type are errors.
 */
export function argsFromOptions(options: Record<string, unknown>): { argv: string[]; errors: string[] } {
  const argv: string[] = [];
  const errors: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    const spec = optionSpec(key);
    if (!spec || spec.names.length === 0) {
      errors.push(`unknown option '${key}'`);
      continue;
    }
    if (value === undefined) continue;
    const name = spec.names.find((n) => n.startsWith('--')) ?? spec.names[0];
    if (spec.kind === 'flag' || spec.kind === 'negated') {
      if (typeof value !== 'boolean') errors.push(`${key} must be true or false`);
      // `gdb: false` is --no-gdb; `gdb: true` is the default
      else if (value === (spec.kind === 'flag')) argv.push(name);
      continue;
    }
    const text = spec.kind === 'list' && Array.isArray(value) ? value.join(',') : spec.kind === 'shard' && typeof value === 'object' && value ? `${(value as ShardSpec).index}/${(value as ShardSpec).count}` : value;
    if (typeof text !== 'string' && typeof text !== 'number') {
      errors.push(`${key} must be a ${spec.kind === 'list' ? 'list of strings' : spec.kind === 'string' ? 'string' : 'number'}`);
      continue;
    }
    argv.push(`${name}=${text}`);
  }
  return { argv, errors };
}

/** The option's line of --help: its text with the table's default (or implied value) put in. */
function helpText(spec: OptionSpec): string {
  const shown = (value: unknown): string => (Array.isArray(value) ? value.join(',') : String(value));
  return (spec.help ?? '').replace('{default}', () => shown(spec.default)).replace('{implied}', () => shown(spec.implied));
}

export function usage(): string {
  const lines = [
    'Usage: mtest [-t] PATH...            run the examples of every file found',
    '       mtest FILE:LINE...             run the example at LINE (its block\'s earlier examples run first)',
    '       mtest list PATH... [--json]    print the examples found without running them',
    '       mtest merge A.json B.json...   one report from the --json reports of shards',
    '       mtest doctor                   print the machine, engine and debugger facts',
    '       mtest bisect FILE:LINE [--serial]  replay a recorded run: what does a failure depend on',
    '',
    'Options:',
  ];
  for (const spec of OPTIONS) {
    if (spec.names.length === 0) continue;
    const names = spec.names.join(', ') + (spec.arg ? ` ${spec.arg}` : '');
    lines.push(`  ${names.padEnd(30)} ${helpText(spec)}`);
  }
  lines.push('', 'Exit status: OR of 1 failure, 2 usage or bad input, 4 timeout, 8 bad exit, 16 killed by a signal,', '64 internal error, 128 interrupted; 0 when everything that ran passed.');
  return lines.join('\n') + '\n';
}
