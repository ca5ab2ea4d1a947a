// Shared helpers of the fault-injection suites (faults, pool, watchdog). It holds no tests itself; it is
// named like a suite only to stay among the suite files.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { countExamples, examplesOf, type SourceFile } from '../src/model.js';
import { loadSource } from '../src/sources/index.js';
import { isAlive } from '../runner/kill.js';
import type { RunnerOptions } from '../src/options.js';
import { WorkerPool, type PoolOutcome, type PoolTuning } from '../runner/parent/pool.js';
import { RecordingEvents, type FileRecord } from '../src/recording-events.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/faults/', import.meta.url));

export function fixture(name: string): SourceFile {
  const file = loadSource(FIXTURES + name);
  assert.ok(file, `fixture ${name}`);
  assert.deepEqual(file.errors, [], `fixture ${name} parses`);
  return file;
}

export function runnerOptions(over: Partial<RunnerOptions> = {}): RunnerOptions {
  return {
    optional: [],
    long: false,
    randomSeed: 1,
    timeout: 1,
    interruptSync: false,
    measureMemory: over.traceMemory !== undefined || Boolean(over.verbose),
    prelude: [],
    initial: false,
    jobs: 3,
    isolate: false,
    blasThreads: 1,
    fileTimeout: 0,
    memlimit: 0,
    gdb: true,
    serial: false,
    debug: false,
    verbose: false,
    exitFirst: false,
    ...over,
  };
}

/** Flat index of the example whose source is `marker`, else the first that contains it. */
export function indexOf(file: SourceFile, marker: string): number {
  const all = [...examplesOf(file)];
  const found = all.find(({ example }) => example.source === marker) ?? all.find(({ example }) => example.source.includes(marker));
  if (!found) throw new Error(`no example with ${marker} in ${file.path}`);
  return found.index;
}

/** The 1-based line of that example. */
export function lineOf(file: SourceFile, marker: string): number {
  return [...examplesOf(file)][indexOf(file, marker)].example.line;
}

/** PIDs in the first column of a `ps`-style process tree. */
/**
 * The PIDs still alive after waiting up to `ms` for them to go: a SIGKILLed process needs the kernel to
 * schedule it once more before it is gone, which on a loaded machine is not instant.
 */
export async function survivorsAfter(pids: Iterable<number>, ms = 3000): Promise<number[]> {
  const list = [...pids];
  const deadline = Date.now() + ms;
  while (list.some((pid) => isAlive(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return list.filter((pid) => isAlive(pid));
}

export function treePidsOf(text: string | undefined): number[] {
  return (text ?? '')
    .split('\n')
    .slice(1)
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => pid > 0);
}

export interface Run {
  events: RecordingEvents;
  outcome: PoolOutcome;
  record(file: SourceFile): FileRecord;
}

/** Run files through the pool; check the contract, the counts, and that no process survived. */
export async function runFiles(
  files: SourceFile[],
  over: Partial<RunnerOptions> = {},
  tuning: PoolTuning = {},
  setup?: (events: RecordingEvents, pool: WorkerPool) => void,
): Promise<Run> {
  const events = new RecordingEvents();
  const pool = new WorkerPool(runnerOptions(over), events, { handleSignals: false, ...tuning });
  setup?.(events, pool);
  const outcome = await pool.run(files);
  assert.deepEqual(events.problems(files), []);
  for (const file of files) {
    const counts = events.counts(file.path);
    assert.equal(counts.passed + counts.failed + counts.skipped + counts.notrun, countExamples(file), `counts of ${file.path} add up`);
  }
  const pids = new Set<number>(outcome.workers.map((w) => w.pid));
  for (const record of events.files.values()) for (const incident of record.incidents) for (const pid of treePidsOf(incident.processTree)) pids.add(pid);
  assert.deepEqual(await survivorsAfter(pids), [], 'no process of the run survives it');
  return { events, outcome, record: (file) => events.files.get(file.path)! };
}

