// `mtest bisect FILE:LINE [--serial]`: what does a failure of the last run depend on? Replays the files the
// failing example's worker ran before it (same order, same options, a fresh process each time; a file it
// took over after an incident from where it took it over), confirms
// the symptom, tries the file alone, then shrinks the earlier files and examples by delta debugging to the
// fewest that still give the symptom. Progress goes to stderr; the last line on stdout is the verdict.
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { countExamples, exampleAt, examplesOf, type ExampleResult, type Outcome, type SourceFile } from '../model.js';
import type { RunnerOptions } from '../options.js';
import { WorkerStartError } from '../../runner/parent/worker-handle.js';
import type { Output } from '../report/console.js';
import { plural, printable } from '../report/format.js';
import { EXIT } from '../report/tally.js';
import { findDeno } from '../cli/deno.js';
import { loadSource } from '../sources/index.js';
import { ConfigError, loadConfig } from '../cli/config.js';
import { optionSpec } from '../cli/options.js';
import { resolveOptions } from '../cli/resolve.js';
import { ddmin } from './ddmin.js';
import { gotDigest, loadWorkers, WORKERS_FILE, type RecordedFailure, type RecordedOptions, type WorkersRecord } from './record.js';
import { poolReplay, ReplayError, serialReplay, type Observed, type Replay, type ReplayStep } from './replay.js';

/** Outcomes that are incidents of the process: a replay reproduces them by kind, not by output. */
const INCIDENTS = new Set<Outcome>(['timeout', 'crash', 'memory']);

/**
 * The options of a replay: the recorded ones, resolved as a run's are (one worker; nothing that only shapes
 * the report). The recorded prelude is given only when it is not the default, so that notebooks get the
 * prelude the run gave them: none unless one was named.
 */
export function replayOptions(recorded: RecordedOptions, serial: boolean): RunnerOptions {
  const named = !isDeepStrictEqual(recorded.prelude, optionSpec('prelude')?.default);
  return resolveOptions(
    {
      optional: recorded.optional,
      long: recorded.long,
      randomSeed: recorded.randomSeed,
      timeout: recorded.timeout,
      prelude: named ? recorded.prelude : undefined,
      initial: recorded.initial,
      jobs: 1,
      blasThreads: recorded.blasThreads,
      fileTimeout: recorded.fileTimeout,
      memlimit: recorded.memlimit,
      // Stacks are not shown; native stacks would only make every reproduced native hang slower.
      gdb: false,
      serial,
    },
    {},
    1,
  );
}

/**
 * Whether a replay shows the recorded failure: an incident of the same kind, a wrong output (whatever it
 * printed: output holding fresh UUIDs or times differs from run to run), or the same exception text.
 */
export function sameSymptom(recorded: Pick<RecordedFailure, 'outcome' | 'got' | 'gotDigest'>, result: ExampleResult | undefined): boolean {
  if (!result || result.status !== 'failed' || result.outcome !== recorded.outcome) return false;
  if (INCIDENTS.has(recorded.outcome) || recorded.outcome === 'mismatch') return true;
  return sameGot(recorded, result);
}

/** The replay printed exactly what the recorded run printed. */
export function sameGot(recorded: Pick<RecordedFailure, 'got' | 'gotDigest'>, result: ExampleResult): boolean {
  if (recorded.gotDigest !== undefined) return result.got !== undefined && gotDigest(result.got) === recorded.gotDigest;
  return (result.got ?? '') === (recorded.got ?? '');
}

function describe(result: ExampleResult | undefined): string {
  if (!result || result.status === 'notrun') return 'did not run';
  if (result.status === 'passed') return 'passes';
  if (result.status === 'skipped') return 'skipped';
  return INCIDENTS.has(result.outcome) ? result.outcome : result.outcome === 'mismatch' ? 'wrong output' : result.outcome;
}

interface Target {
  spec: string;
  file: SourceFile;
  index: number;
  line: number;
  failure: RecordedFailure;
  earlier: SourceFile[];
  /** Where the worker's part of each file started (flat index): after an incident, a fresh worker took it over there. */
  from: Map<SourceFile, number>;
}

type Found = { target: Target; worker: number; run: WorkersRecord; latest: boolean } | { error: string };

/**
 * The target example, the newest recorded run in which it failed, and the files its worker ran before it
 * in that run.
 */
function locate(spec: string, runs: WorkersRecord[], cwd: string, io: Output): Found {
  const match = /^(.+):(\d+)$/.exec(spec);
  if (!match) return { error: `expected FILE:LINE, got '${spec}'` };
  const [, given, lineText] = match;
  const line = Number(lineText);
  const wanted = path.resolve(cwd, given);
  let prompts: string[] | undefined;
  try {
    prompts = loadConfig(cwd).config.prompts;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { error: err.message };
  }
  const load = (named: string): SourceFile | undefined => {
    const file = loadSource(named, { cwd, prompts });
    // a Deno notebook replays where the run ran it: in Deno when there is one
    if (file?.kernel === 'deno') file.deno = findDeno(path.resolve(cwd, file.path));
    return file && !file.errors.some((e) => e.line === 0) ? file : undefined;
  };
  let seen: { named: string; at: number } | undefined;
  for (const [r, run] of runs.entries()) {
    // paths as that run named them, from its own working directory; named here from this one
    const here = (f: string): string => (run.cwd === undefined ? f : path.relative(cwd, path.resolve(run.cwd, f)) || f);
    for (const worker of run.workers) {
      const files = worker.files.map(here);
      const position = files.findIndex((f) => path.resolve(cwd, f) === wanted);
      if (position < 0) continue;
      const named = files[position];
      const file = load(named);
      if (!file) return { error: `${printable(named)}: cannot read it` };
      let index = -1;
      let at = 0;
      for (const { index: i, example } of examplesOf(file)) {
        if (example.line <= line && example.line >= at) {
          index = i;
          at = example.line;
        }
      }
      if (index < 0) return { error: `${printable(named)}:${line}: no example at or before this line` };
      seen = { named, at };
      const failure = worker.failures.find((f) => here(f.file) === named && f.line === at);
      if (!failure) continue;
      const earlier: SourceFile[] = [];
      const from = new Map([[file, worker.from?.[position] ?? 0]]);
      for (const [k, f] of files.slice(0, position).entries()) {
        const source = load(f);
        if (source) earlier.push(source);
        else io.err(`mtest: bisect: ${printable(f)}: cannot read it any more; replaying without it\n`);
        if (source) from.set(source, worker.from?.[k] ?? 0);
      }
      return { target: { spec: `${printable(named)}:${at}`, file, index, line: at, failure, earlier, from }, worker: worker.worker, run, latest: r === 0 };
    }
  }
  const where = `${runs.length === 1 ? 'the recorded run' : `any of the ${runs.length} recorded runs`} (${WORKERS_FILE})`;
  if (seen) return { error: `${printable(seen.named)}:${seen.at} did not fail in ${where}` };
  return { error: `${printable(given)} did not run in ${where}` };
}

/** One example to keep or drop: step `k` of the replay (the target file is the last), flat index `i`. */
interface Candidate {
  k: number;
  i: number;
}

export async function bisect(spec: string, serialFlag: boolean, io: Output, cwd: string): Promise<number> {
  const started = Date.now();
  const recorded = loadWorkers(cwd);
  if (typeof recorded === 'string') {
    io.err(`mtest: bisect: ${recorded}\n`);
    return EXIT.usage;
  }
  const found = locate(spec, recorded.runs, cwd, io);
  if ('error' in found) {
    io.err(`mtest: bisect: ${found.error}\n`);
    return EXIT.usage;
  }
  const { target } = found;
  const o = found.run.options;
  const serial = serialFlag || o.mode === 'serial';
  const replay: Replay = (serial ? serialReplay : poolReplay)(replayOptions(o, serial));
  const fromOf = (file: SourceFile): number => target.from.get(file) ?? 0;
  const upTo = indices(fromOf(target.file), target.index + 1);
  /** An earlier file as the worker ran it: whole, or from where it took it over. */
  const asRan = (file: SourceFile): ReplayStep => (fromOf(file) > 0 ? { file, only: indices(fromOf(file), countExamples(file)) } : { file });
  const targetFrom = fromOf(target.file) > 0 ? ` from line ${exampleLine(target.file, fromOf(target.file))}` : '';
  io.err(
    `bisect: ${target.spec}: ${describe({ ...target.failure, status: 'failed', time: 0 })} in ${found.latest ? 'the last run' : 'an earlier run'} (${found.run.id}); ${found.worker === 0 ? 'mtest itself' : `worker ${found.worker}`} ran ${plural(target.earlier.length, 'file')} before it ` +
      `(${o.mode === 'serial' ? 'serially' : plural(o.jobs, 'worker')}, ${plural(o.blasThreads, 'BLAS thread')}, seed ${o.randomSeed}, timeout ${o.timeout} s)` +
      `${serial && o.mode !== 'serial' ? '; replaying it serially' : ''}\n`,
  );

  let step = 0;
  // A wrong output replayed with another text: the output is nondeterministic; bisect goes on with pass/fail.
  let nondeterministic = false;
  const run = async (steps: ReplayStep[], what: string): Promise<{ fails: boolean; observed: Observed }> => {
    const observed = await replay(steps, target.index);
    step++;
    if (observed.interrupted) throw new Interrupted();
    const fails = observed.intact && sameSymptom(target.failure, observed.result);
    const otherText = fails && target.failure.outcome === 'mismatch' && !sameGot(target.failure, observed.result!);
    if (otherText) nondeterministic = true;
    const seen = observed.intact ? describe(observed.result) : 'the process died before it';
    const differently = observed.result?.status === 'failed' && !fails;
    io.err(`bisect: step ${step}: ${what}: ${fails ? `fails (${seen}${otherText ? ', another text' : ''})` : differently ? `fails differently (${seen})` : seen}\n`);
    return { fails, observed };
  };
  const verdict = (text: string, bits = 0): number => {
    io.err(`bisect: ${plural(step, 'replay')} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (nondeterministic) io.out(`bisect: ${target.spec}: its output is nondeterministic (replays printed other text than the recorded run); bisected on pass/fail\n`);
    io.out(`bisect: ${target.spec} ${text}\n`);
    return bits;
  };

  try {
    const full: ReplayStep[] = [...target.earlier.map(asRan), { file: target.file, only: upTo }];
    const confirm = await run(full, `the recorded sequence (${plural(target.earlier.length, 'file')}, then ${printable(target.file.path)}${targetFrom})`);
    if (!confirm.fails) return verdict('does not fail when replayed', EXIT.failure);
    let alone = confirm;
    if (target.earlier.length > 0) alone = await run([{ file: target.file, only: upTo }], `${printable(target.file.path)} alone`);
    io.out(`bisect: alone: ${alone.fails ? 'fails' : 'passes'}\n`);

    // Files: the fewest earlier files that still give the symptom (none when it fails alone).
    const byFile = new Map(target.earlier.map((file, k) => [file, confirm.observed.ran[k]]));
    let files: SourceFile[] = [];
    if (!alone.fails) {
      files = await ddmin(target.earlier, async (subset) =>
        (await run([...subset.map(asRan), { file: target.file, only: upTo }], `${plural(subset.length, 'candidate file')}${few(subset.map((f) => printable(f.path)))}`)).fails,
      );
    }
    // Examples: of those files, and the target file's own earlier ones.
    const ownEarlier = (alone.fails ? alone : confirm).observed.ran.at(-1)!.filter((i) => i < target.index);
    const candidates: Candidate[] = [...files.flatMap((file, k) => byFile.get(file)!.map((i) => ({ k, i }))), ...ownEarlier.map((i) => ({ k: files.length, i }))];
    const stepsFor = (subset: Candidate[]): ReplayStep[] => [
      ...files.map((file, k) => ({ file, only: subset.filter((c) => c.k === k).map((c) => c.i) })),
      { file: target.file, only: [...subset.filter((c) => c.k === files.length).map((c) => c.i), target.index] },
    ];
    let needed: Candidate[] = [];
    if (candidates.length > 0) {
      // ddmin never tries the empty set. It is the file alone when nothing else could act: no earlier
      // example of its own ran, and no chosen file is a module (whose import alone could change things).
      const known = ownEarlier.length === 0 && files.every((file) => file.kind !== 'script');
      const none = known ? alone : await run(stepsFor([]), files.length > 0 ? `${plural(files.length, 'file')}, none of ${files.length === 1 ? 'its' : 'their'} examples` : `${printable(target.file.path)}:${target.line} by itself`);
      const label = (c: Candidate): string => `${printable((files[c.k] ?? target.file).path)}:${exampleLine(files[c.k] ?? target.file, c.i)}`;
      if (!none.fails) needed = await ddmin(candidates, async (subset) => (await run(stepsFor(subset), `${plural(subset.length, 'candidate example')}${few(subset.map(label))}`)).fails);
    }
    const names: string[] = [];
    for (const [k, file] of [...files, target.file].entries()) {
      const lines = needed.filter((c) => c.k === k).map((c) => exampleLine(file, c.i));
      // A file none of whose examples is needed, when loading it is (its module's own code): named alone.
      if (lines.length === 0 && k < files.length) names.push(printable(file.path));
      for (const line of lines) names.push(`${printable(file.path)}:${line}`);
    }
    return verdict(names.length === 0 ? 'fails on its own' : `fails only after ${names.join(', ')}`);
  } catch (err) {
    if (err instanceof Interrupted) {
      io.err('bisect: interrupted\n');
      return EXIT.interrupted;
    }
    if (err instanceof WorkerStartError) {
      io.err(`mtest: ${err.message}\n`);
      return EXIT.usage;
    }
    if (!(err instanceof ReplayError)) throw err;
    io.err(`mtest: bisect: ${err.message}\n`);
    return EXIT.internal;
  }
}

class Interrupted extends Error {}

/** ` (a.md, b.md)` for a handful of names; nothing for more. */
function few(names: string[]): string {
  return names.length <= 3 ? ` (${names.join(', ')})` : '';
}

/** Flat indices [from, to). */
function indices(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

function exampleLine(file: SourceFile, index: number): number {
  return exampleAt(file, index)?.line ?? 0;
}
