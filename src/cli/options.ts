// Every command-line option in one table: its names, its kind, its help. Parsing never throws: bad
// options come back as one-line messages and the CLI exits with the usage bit (2).

import { KeywordError, parseKeyword } from '../schedule/keyword.js';
import { parseShard, type ShardSpec } from '../schedule/order.js';
import type { LineTarget } from '../schedule/selection.js';

export type Command = 'test' | 'list' | 'merge' | 'doctor' | 'bisect' | 'help' | 'version';

export interface CliOptions {
  jobs?: number;
  serial?: boolean;
  debug?: boolean;
  verbose?: boolean;
  isolate?: boolean;
  blasThreads?: number;
  timeout?: number;
  fileTimeout?: number;
  memlimit?: number;
  traceMemory?: number;
  gdb?: boolean;
  long?: boolean;
  optional?: string[];
  exitFirst?: boolean;
  initial?: boolean;
  warnLong?: number;
  randorder?: number;
  randomSeed?: number;
  format?: 'console' | 'github';
  junit?: string;
  json?: string;
  prelude?: string[];
  status?: boolean;
  failed?: boolean;
  newOnly?: boolean;
  baseline?: string;
  shard?: ShardSpec;
  statsPath?: string;
  fix?: boolean;
  passWithNoExamples?: boolean;
  typecheck?: boolean;
  maxFileSize?: number;
  keyword?: string;
  html?: string;
  watch?: boolean;
  clear?: boolean;
}

type Kind = 'flag' | 'negated' | 'int' | 'seconds' | 'string' | 'list' | 'optional-number' | 'shard';

interface OptionSpec {
  names: string[];
  key: keyof CliOptions;
  kind: Kind;
  /** Value taken by `optional-number` options given without one. */
  implied?: number;
  arg?: string;
  help: string;
}

export const OPTIONS: OptionSpec[] = [
  { names: ['-p', '--jobs', '--nthreads'], key: 'jobs', kind: 'int', arg: 'N', help: 'worker processes (default: number of CPUs)' },
  { names: ['--serial'], key: 'serial', kind: 'flag', help: 'no workers: run files one after another in this process' },
  { names: ['--debug'], key: 'debug', kind: 'flag', help: '--serial + trace; time limits only warn; REPL on failure (terminal)' },
  { names: ['-v', '--verbose'], key: 'verbose', kind: 'flag', help: 'print `Trying (line N)` / `ok` for every example' },
  { names: ['-w', '--watch'], key: 'watch', kind: 'flag', help: 'after the run, rerun what each change touches (keys: a all, f failures, q quit)' },
  { names: ['--clear'], key: 'clear', kind: 'flag', help: 'with --watch: clear the terminal before each run' },
  { names: ['--isolate'], key: 'isolate', kind: 'flag', help: 'a fresh worker for every file' },
  { names: ['--blas-threads'], key: 'blasThreads', kind: 'int', arg: 'N', help: 'BLAS threads per worker (default max(1, CPUs / jobs))' },
  { names: ['--timeout'], key: 'timeout', kind: 'seconds', arg: 'S', help: 'per-example time limit (default 60; 0 = none)' },
  { names: ['--file-timeout'], key: 'fileTimeout', kind: 'seconds', arg: 'S', help: 'per-file time limit (default 600; 0 = none)' },
  { names: ['--memlimit'], key: 'memlimit', kind: 'int', arg: 'MB', help: 'RSS limit per worker (default: total memory / jobs; 0 = none)' },
  { names: ['--trace-memory'], key: 'traceMemory', kind: 'optional-number', implied: 100, arg: '[MB]', help: 'list examples whose RSS grew by MB or more (default 100)' },
  { names: ['--no-gdb'], key: 'gdb', kind: 'negated', help: 'do not take native stacks (eu-stack, gdb) of hung workers' },
  { names: ['--long'], key: 'long', kind: 'flag', help: 'also run examples marked `long time`' },
  { names: ['--optional'], key: 'optional', kind: 'list', arg: 'TAGS', help: 'run examples needing these tags (comma-separated; `bug` runs known bugs)' },
  { names: ['-x', '--exitfirst'], key: 'exitFirst', kind: 'flag', help: 'stop the run at the first failure' },
  { names: ['--initial'], key: 'initial', kind: 'flag', help: 'only the first failure of each block' },
  { names: ['--warn-long'], key: 'warnLong', kind: 'optional-number', implied: 5, arg: '[S]', help: 'warn about examples slower than S seconds (default 5)' },
  { names: ['--randorder'], key: 'randorder', kind: 'int', arg: 'SEED', help: 'run the files, and the blocks inside each file, in a random order (reproducible with SEED)' },
  { names: ['--random-seed'], key: 'randomSeed', kind: 'int', arg: 'N', help: 'seed for Math.random and the engine (default: fresh, printed)' },
  { names: ['--format'], key: 'format', kind: 'string', arg: 'console|github', help: 'github adds GitHub Actions annotations' },
  { names: ['--junit'], key: 'junit', kind: 'string', arg: 'FILE', help: 'write a JUnit XML report' },
  { names: ['--html'], key: 'html', kind: 'string', arg: 'FILE', help: 'write the run as one page: timeline, memory, failures (opens from disk)' },
  { names: ['--json'], key: 'json', kind: 'string', arg: 'FILE', help: 'write a JSON report (`mtest list --json` prints JSON)' },
  { names: ['-k', '--keyword'], key: 'keyword', kind: 'string', arg: 'PATTERN', help: "only blocks whose name or file matches (substrings; not, and, or, parentheses)" },
  { names: ['--prelude'], key: 'prelude', kind: 'list', arg: 'MODULES', help: "modules whose exports every block sees (default: the built-in engine, 'builtin')" },
  { names: ['--typecheck'], key: 'typecheck', kind: 'flag', help: 'type errors fail examples (TypeScript compiler; one program for the run)' },
  { names: ['--no-status'], key: 'status', kind: 'negated', help: 'no live status line on a terminal' },
  { names: ['-f', '--failed'], key: 'failed', kind: 'flag', help: 'only the files that failed (or timed out or crashed) in the stored run' },
  { names: ['-n', '--new'], key: 'newOnly', kind: 'flag', help: 'only the files git sees as changed (modified, added, untracked)' },
  { names: ['--baseline'], key: 'baseline', kind: 'string', arg: 'FILE', help: 'failures also in this earlier --json report are known: reported, no exit bit' },
  { names: ['--shard'], key: 'shard', kind: 'shard', arg: 'i/n', help: 'run the i-th of n shards, balanced by the stored timings (mtest merge joins the reports)' },
  { names: ['--stats-path'], key: 'statsPath', kind: 'string', arg: 'FILE', help: 'stored timings (default .mtest/stats.json)' },
  { names: ['--fix'], key: 'fix', kind: 'flag', help: 'rewrite the expected output of every mismatching example in place' },
  { names: ['--max-file-size'], key: 'maxFileSize', kind: 'seconds', arg: 'MB', help: 'skip files larger than this, with a note (default 8; 0 = no limit)' },
  { names: ['--pass-with-no-examples'], key: 'passWithNoExamples', kind: 'flag', help: 'finding no examples is not an error' },
];

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
      const least = spec.key === 'jobs' || spec.key === 'blasThreads' ? 1 : 0;
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
      return { value: raw.split(/[,\s]+/).filter(Boolean).map((t) => (spec.key === 'optional' ? t.toLowerCase() : t)) };
    case 'shard': {
      const shard = parseShard(raw);
      return shard ? { value: shard } : { error: `${name} expects i/n with 1 ≤ i ≤ n, got '${raw}'` };
    }
    case 'string':
      if (spec.arg === 'FILE' && raw === '') return { error: `${name} expects a file name, got ''` };
      if (spec.key === 'format' && raw !== 'console' && raw !== 'github') return { error: `${name} expects console or github, got '${raw}'` };
      if (spec.key === 'keyword') {
        try {
          parseKeyword(raw);
        } catch (err) {
          if (!(err instanceof KeywordError)) throw err;
          return { error: err.message };
        }
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
    const spec = OPTIONS.find((o) => o.key === key);
    if (!spec) {
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
    const names = spec.names.join(', ') + (spec.arg ? ` ${spec.arg}` : '');
    lines.push(`  ${names.padEnd(30)} ${spec.help}`);
  }
  lines.push('', 'Exit status: OR of 1 failure, 2 usage or bad input, 4 timeout, 8 bad exit, 16 killed by a signal,', '64 internal error, 128 interrupted; 0 when everything that ran passed.');
  return lines.join('\n') + '\n';
}
