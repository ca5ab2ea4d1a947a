// The options pipeline: one table (src/cli/options.ts) gives every option's default, its checks and whether
// the configuration file may set it; one resolve turns the command line, the configuration and the API's
// object into one frozen result. These tests fail when a default or a check is written a second time
// somewhere and drifts, or when the result can be changed after it is resolved.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type FileConfig } from '../src/cli/config.js';
import { argsFromOptions, OPTIONS, optionSpec, parseArgs, usage, type CliOptions, type OptionSpec } from '../src/cli/options.js';
import { resolveOptions, withDetectedTags, type Machine } from '../src/cli/resolve.js';
import { run } from '../src/index.js';
import type { Example } from '../src/model.js';
import { limitOf, memlimitBytes } from '../src/options.js';
import { sourceFiles } from './helpers.js';
import { scratch } from './process-helpers.js';

/** A machine of fixed size, so that computed defaults are known numbers. */
const MACHINE: Machine = { cpus: 8, totalMB: 16000 };

const resolveFor = (cli: CliOptions, config: FileConfig = {}, files?: number) => resolveOptions({ randomSeed: 1, ...cli }, config, files, MACHINE);

/** The line of --help that documents `spec`. */
function helpLine(spec: OptionSpec): string {
  const line = usage()
    .split('\n')
    .find((l) => l.startsWith(`  ${spec.names.join(', ')}`));
  assert.ok(line, `--help has a line for ${spec.names.join(', ')}`);
  return line;
}

/** A value of the right kind, as the configuration file would hold it. */
function configValue(spec: OptionSpec): unknown {
  if (spec.key === 'prompts') return ['>>>'];
  if (spec.key === 'jobs') return 3;
  switch (spec.kind) {
    case 'list':
      return ['a'];
    case 'int':
    case 'seconds':
    case 'optional-number':
      return 3;
    case 'flag':
    case 'negated':
      return true;
    case 'shard':
      return '1/2';
    default:
      return 'x.json';
  }
}

function configIn(json: string): string {
  return scratch({ 'mtest.config.json': json });
}

describe('the option table drives --help, the configuration and the resolve alike', () => {
  const constants = OPTIONS.filter((spec) => spec.default !== undefined && typeof spec.default !== 'function');

  it('a constant default is never written into a help text: --help shows the table\'s value', () => {
    assert.ok(constants.length >= 4, 'timeout, file-timeout, max-file-size, prelude, optional');
    for (const spec of constants) {
      const help = spec.help ?? '';
      if (!/default/.test(help)) continue;
      assert.ok(help.includes('{default}'), `${spec.names[0]}: its help names the default through {default}: ${help}`);
      const shown = Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
      assert.ok(helpLine(spec).includes(shown), `${spec.names[0]}: --help shows ${shown}`);
    }
    for (const spec of OPTIONS.filter((s) => s.implied !== undefined)) assert.ok(helpLine(spec).includes(`(default ${spec.implied})`), `${spec.names[0]}: --help shows the implied ${spec.implied}`);
  });

  it('the README\'s table of options quotes the table\'s defaults', () => {
    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
    const rows = readFileSync(path.join(root, 'README.md'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| `-'));
    let checked = 0;
    for (const spec of OPTIONS) {
      const value = typeof spec.default === 'number' ? spec.default : spec.implied;
      const long = spec.names.find((n) => n.startsWith('--'));
      if (value === undefined || !long) continue;
      const row = rows.find((r) => new RegExp(`\`${long}[ \`]`).test(r));
      assert.ok(row, `the README documents ${long}`);
      // a row may document two options (--timeout / --file-timeout): one of its defaults is this one's
      if (!/default/.test(row)) continue;
      assert.match(row, new RegExp(`default ${value}\\b`), `${long}: the README says the default is ${value}`);
      checked++;
    }
    assert.ok(checked >= 4, `${checked} defaults checked`);
  });

  it('changing a default in the table changes --help, the command line\'s, the configuration-less and the API\'s resolve at once', () => {
    const changed: [string, unknown, unknown][] = [
      ['timeout', 60, 61],
      ['fileTimeout', 600, 601],
      ['maxFileSize', 8, 9],
      ['prelude', ['builtin'], ['other']],
    ];
    const specs = changed.map(([key]) => optionSpec(key) as OptionSpec & { default: unknown });
    try {
      for (const [k, [, before, after]] of changed.entries()) {
        assert.deepEqual(specs[k].default, before, `${changed[k][0]}'s default is the documented one`);
        specs[k].default = after;
      }
      const fromCli = resolveFor(parseArgs(['x.md']).options);
      const fromApi = resolveFor(parseArgs(argsFromOptions({}).argv).options);
      for (const [k, [key, , after]] of changed.entries()) {
        assert.deepEqual((fromCli as unknown as Record<string, unknown>)[key], after, `${key}: the command line resolves to the table's default`);
        assert.deepEqual((fromApi as unknown as Record<string, unknown>)[key], after, `${key}: the API resolves to the table's default`);
        const shown = Array.isArray(after) ? after.join(',') : String(after);
        assert.ok(helpLine(specs[k]).includes(shown), `${key}: --help shows the new default`);
      }
    } finally {
      for (const [k, [, before]] of changed.entries()) specs[k].default = before;
    }
    assert.equal(resolveFor({}).timeout, 60);
  });

  it('computed defaults follow the machine and the worker count', () => {
    const all = resolveFor({});
    assert.deepEqual([all.jobs, all.blasThreads, all.memlimit], [8, 1, 2000]);
    const two = resolveFor({}, {}, 2);
    assert.deepEqual([two.jobs, two.blasThreads, two.memlimit], [2, 4, 8000]);
    const serial = resolveFor({ serial: true });
    assert.deepEqual([serial.jobs, serial.blasThreads, serial.interruptSync, serial.serial], [1, 8, true, true]);
    const debug = resolveFor({ debug: true });
    assert.deepEqual([debug.serial, debug.verbose, debug.interruptSync, debug.measureMemory], [true, true, false, true]);
  });

  it('the command line and the API give the same options', () => {
    const pairs: [string[], Record<string, unknown>][] = [
      [[], {}],
      [['-p', '3', '--timeout', '2.5', '--optional', 'GPU,bug', '--no-gdb', '--trace-memory'], { jobs: 3, timeout: 2.5, optional: ['GPU', 'bug'], gdb: false, traceMemory: 100 }],
      [['--serial', '--prelude', 'node:util', '--memlimit', '100', '--warn-long', '7', '--shard', '2/3'], { serial: true, prelude: ['node:util'], memlimit: 100, warnLong: 7, shard: { index: 2, count: 3 } }],
      [['--max-file-size', '0', '--format', 'github', '-x', '--initial', '--long'], { maxFileSize: 0, format: 'github', exitFirst: true, initial: true, long: true }],
    ];
    for (const [argv, api] of pairs) {
      const viaApi = argsFromOptions(api);
      assert.deepEqual(viaApi.errors, []);
      assert.deepEqual(resolveFor(parseArgs(viaApi.argv).options), resolveFor(parseArgs(argv).options), argv.join(' '));
    }
  });

  it('a bad value is refused by the API with the command line\'s words', async () => {
    const cases: [string[], Record<string, unknown>][] = [
      [['--jobs=0'], { jobs: 0 }],
      [['--timeout=-1'], { timeout: -1 }],
      [['--format=xml'], { format: 'xml' }],
      [['--memlimit=1.5'], { memlimit: 1.5 }],
    ];
    for (const [argv, api] of cases) {
      const cli = parseArgs(argv).errors;
      assert.equal(cli.length, 1, argv[0]);
      const result = await run(['x.md'], api);
      assert.equal(result.exitCode, 2);
      assert.equal(result.errors, `mtest: ${cli[0]}\n`);
    }
  });
});

describe('what the configuration file may set', () => {
  it('every option the table lets it set is taken (the command line wins); every other one is an unknown key', () => {
    const settable = OPTIONS.filter((spec) => spec.config).map((spec) => spec.key);
    assert.deepEqual(new Set(settable), new Set(['jobs', 'timeout', 'optional', 'prelude', 'maxFileSize', 'include', 'exclude', 'prompts']));
    for (const spec of OPTIONS) {
      const value = configValue(spec);
      const dir = configIn(JSON.stringify({ [spec.key]: value }));
      if (!spec.config) {
        assert.throws(() => loadConfig(dir), (err: Error) => err instanceof ConfigError && err.message === `mtest.config.json: unknown key "${spec.key}" (known: ${settable.join(', ')})`, spec.key);
        continue;
      }
      const { config } = loadConfig(dir);
      assert.deepEqual((config as Record<string, unknown>)[spec.key], value, spec.key);
      if (spec.names.length === 0) continue; // read by the sources stage, not resolved
      const resolved = resolveFor({}, config) as unknown as Record<string, unknown>;
      assert.deepEqual(resolved[spec.key], value, `${spec.key}: the configuration's value is resolved`);
      const given = spec.kind === 'list' ? ['b'] : 5;
      const cli = parseArgs([`${spec.names.find((n) => n.startsWith('--'))}=${given}`]);
      assert.deepEqual(cli.errors, []);
      assert.deepEqual((resolveFor(cli.options, config) as unknown as Record<string, unknown>)[spec.key], given, `${spec.key}: the command line wins`);
    }
  });

  it('a value is checked by the same bounds on the command line and in the configuration', () => {
    const refused: [string, unknown, string][] = [
      ['jobs', 0, '--jobs=0'],
      ['jobs', 2.5, '--jobs=2.5'],
      ['timeout', -1, '--timeout=-1'],
      ['maxFileSize', -1, '--max-file-size=-1'],
    ];
    for (const [key, value, arg] of refused) {
      assert.equal(parseArgs([arg]).errors.length, 1, arg);
      assert.throws(() => loadConfig(configIn(JSON.stringify({ [key]: value }))), ConfigError, `${key}: ${value}`);
    }
    // JSON reads 1e999 as Infinity: a limit the command line refuses too
    assert.equal(parseArgs(['--timeout=1e999']).errors.length, 1);
    assert.throws(() => loadConfig(configIn('{"timeout": 1e999}')), /"timeout" must be a number of seconds ≥ 0/);
    assert.deepEqual(loadConfig(configIn('{"optional": ["GPU"]}')).config.optional, ['gpu'], 'tags are lower-cased as on the command line');
    assert.deepEqual(parseArgs(['--optional=GPU']).options.optional, ['gpu']);
  });
});

describe('the resolved options', () => {
  it('are frozen, lists and the shard too; the detected tags make a new frozen object', () => {
    const options = resolveFor(parseArgs(['--optional', 'gpu', '--shard', '1/2']).options);
    for (const part of [options, options.optional, options.prelude, options.shard]) assert.ok(Object.isFrozen(part));
    assert.throws(() => ((options as { timeout: number }).timeout = 1), TypeError);
    assert.throws(() => options.optional.push('x'), TypeError);
    const tagged = withDetectedTags(options, ['engine', 'linux', 'gpu']);
    assert.deepEqual(tagged.optional, ['engine', 'linux', 'gpu']);
    assert.ok(Object.isFrozen(tagged) && Object.isFrozen(tagged.optional));
    assert.deepEqual(options.optional, ['gpu'], 'the resolved options are unchanged');
  });

  it('say why fewer workers than asked, once, with the options', () => {
    assert.equal(resolveFor({ jobs: 4 }, {}, 1).workersNote, '-p 4: 1 worker (1 file to test)');
    assert.equal(resolveFor({}, { jobs: 4 }, 2).workersNote, 'jobs 4: 2 workers (2 files to test)');
    assert.equal(resolveFor({}, {}, 1).workersNote, undefined, 'the default is no number the user gave');
  });
});

describe('limits', () => {
  const example = (timeout?: number): Example => ({ source: '1', want: '1', line: 1, indent: 0, directives: { needs: [], errors: [], timeout } });

  it('an example\'s time limit is its directive, else --timeout; --memlimit in bytes', () => {
    assert.equal(limitOf(example(2), { timeout: 60 }), 2);
    assert.equal(limitOf(example(0), { timeout: 60 }), 0, '`// timeout 0` is no limit, not the default');
    assert.equal(limitOf(example(), { timeout: 60 }), 60);
    assert.equal(limitOf(undefined, { timeout: 7 }), 7);
    assert.equal(memlimitBytes({ memlimit: 0 }), 0);
    assert.equal(memlimitBytes({ memlimit: 3 }), 3 * 1048576);
  });

  it('are computed in one place: no stage or runner derives them, nor a default, on its own', () => {
    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
    const sources = sourceFiles(root, 'src', 'runner');
    assert.ok(sources.length > 50, `${sources.length} sources under ${root}`);
    const once: [RegExp, string[]][] = [
      [/directives\.timeout \?\?/, ['src/options.ts']], // limitOf
      [/memlimit \* /, ['src/options.ts']], // memlimitBytes
      [/\?\? \[['"]builtin['"]\]/, []], // the table's prelude default, applied by the resolve
      // derived by the resolve, not built by hand (the protocol's checks name them; a worker leaves limits to its parent)
      [/\b(interruptSync|measureMemory|notebookPrelude): (?!boolean|flag\b|optional\(|OPTIONS\.)/, ['src/cli/resolve.ts', 'runner/worker/worker.ts']],
    ];
    for (const [pattern, homes] of once) {
      // code only: a comment may name the pattern
      const found = sources.filter((file) => pattern.test(readFileSync(file, 'utf8').replace(/^\s*(\/\/|\*).*$/gm, ''))).map((file) => path.relative(root, file));
      assert.deepEqual(found, homes, `${pattern}: only in ${homes.join(', ') || 'the table'}`);
    }
  });
});
