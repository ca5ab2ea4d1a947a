// The watchdog thread's body (see watchdog.ts). It runs on its own event loop, so it keeps working while
// the main thread of the process is stuck; everything it prints goes out with synchronous writes, because
// console.* from a worker thread is relayed through the (stuck) main thread and would never appear. Nothing
// here forks: gdb is started with posix_spawn through the process addon (OpenBLAS's fork handler waits
// for its busy threads, and a fork while the main thread is inside BLAS deadlocks), and the process tree
// is read from /proc.
import { parentPort, workerData } from 'node:worker_threads';
import { exampleAt, exampleWhere, type SourceFile } from '../../src/model.js';
import { incidentBits, makeIncident, whereText, type IncidentFacts } from '../../src/incidents.js';
import { constants } from 'node:os';
import { indent } from '../../src/display.js';
import { DescriptorWriter } from '../../src/util/descriptor-write.js';
import { diagnose, type Diagnosis, type StackTakers } from '../diagnosis/diagnose.js';
import { captureMainThreadStack } from '../diagnosis/js-stack.js';
import { condenseNativeStack, findStackTool, NATIVE_STACK_TIMEOUT_MS, stackToolArguments } from '../diagnosis/native-stack.js';
import { killTreeNow } from '../kill.js';
import { processAddon } from '../process-addon.js';
import { Heartbeat, type HeartbeatSnapshot } from './heartbeat.js';
import { readJournal } from './journal.js';
import { isWatchdogThreadData, type StackReason, type WatchdogThreadData } from './watchdog.js';
import { encodeRecord } from '../protocol.js';
import { writeSync } from 'node:fs';

/** Data the thread cannot read: said in one line, and the thread ends (the run goes on, unwatched). */
function unreadableData(): never {
  writeSync(2, 'mtest: the watchdog thread was started with data it cannot read; time and memory limits of this --serial run are not watched\n');
  process.exit(70);
}

const data: WatchdogThreadData = isWatchdogThreadData(workerData) ? workerData : unreadableData();
const heartbeat = new Heartbeat(data.buffer);
const addon = processAddon();
/** Serial mode: ends a guarded synchronous example (native/guard). */
const guard = data.guardAddon ? addon : undefined;
const report = new DescriptorWriter(data.reportFd);

/** Inspector pause budget: ~25–60 ms when the main thread runs JavaScript; no answer means native code. */
const JS_STACK_WAIT_MS = 500;
/**
 * Serial mode: how long an example past its limit gets to end after the interrupt before the run is ended
 * here. A synchronous loop ends at once; a native call (a large BLAS product) returns when it is done, and
 * then the example fails at its limit and the run goes on.
 */
const INTERRUPT_GRACE_MS = 2000;
/** How long the main thread gets to act on a stop signal before the run is ended here. */
const SIGNAL_GRACE_MS = 1000;
const MEMORY_POLL_MS = 100;
/** Serial mode: how long an example past the memory limit gets to end after the interrupt. */
const MEMORY_GRACE_MS = 500;

const handled: Record<StackReason, number> = { timeout: 0, 'file-timeout': 0, memory: 0, interrupted: 0, crash: 0 };
let busy = false;
let lastMemoryCheck = 0;
let signalSince = 0;
let files: SourceFile[] | undefined;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function tick(): void {
  if (addon) heartbeat.signalsSeen(addon.signalCount());
  if (busy) return;
  const now = Date.now();
  const beat = heartbeat.read();
  let reason: StackReason | undefined;
  if (addon?.crashed()) {
    reason = 'crash';
  } else if (heartbeat.unhandledSignals() > 0) {
    if (signalSince === 0) {
      signalSince = now;
      guard?.interrupt(); // a synchronous example ends at once; the main thread then acts on the signal
    } else if (now - signalSince >= SIGNAL_GRACE_MS) {
      reason = 'interrupted';
    }
  } else {
    signalSince = 0;
  }
  if (!reason && beat.index < 0) return;
  if (reason) {
    // acted on below
  } else if (beat.exampleLimitMs > 0 && now - beat.exampleStart >= beat.exampleLimitMs && handled.timeout !== beat.example) {
    reason = 'timeout';
    handled.timeout = beat.example;
  } else if (beat.fileLimitMs > 0 && now - beat.fileStart >= beat.fileLimitMs && handled['file-timeout'] !== beat.file) {
    reason = 'file-timeout';
    handled['file-timeout'] = beat.file;
  } else if (beat.memlimit > 0 && now - lastMemoryCheck >= MEMORY_POLL_MS && handled.memory !== beat.example) {
    lastMemoryCheck = now;
    if (process.memoryUsage.rss() > beat.memlimit) {
      reason = 'memory';
      handled.memory = beat.example;
    }
  }
  if (!reason) return;
  busy = true;
  const handler = reason === 'crash' ? endCrashed : reason === 'interrupted' ? endInterrupted : data.mode === 'serial' ? endStuckExample : warnStillRunning;
  handler(reason, beat)
    .catch((error: unknown) => report.write(`mtest: watchdog: ${error instanceof Error ? error.stack : String(error)}\n`))
    .finally(() => {
      busy = false;
    });
}

/** The example of `beat` is still running (for a file limit: its file still is). */
function stillRunning(beat: HeartbeatSnapshot, reason?: StackReason): boolean {
  const now = heartbeat.read();
  if (reason === 'file-timeout') return now.file === beat.file && now.fileLimitMs > 0;
  return now.index >= 0 && now.example === beat.example;
}

/** The file and example the heartbeat names, from the journal's list of files. */
function running(beat: HeartbeatSnapshot): { file?: SourceFile; place?: string; source?: string } {
  if (!files && data.journal) files = readJournal(data.journal).files;
  const file = files?.[beat.file - 1];
  const example = file && beat.index >= 0 ? exampleAt(file, beat.index) : undefined;
  return { file, place: example && exampleWhere(example), source: example?.source };
}

/** `line 12 of a.md` (`cell 7, line 1 of a.ipynb`), for --debug's warnings. */
function lineOfFile(beat: HeartbeatSnapshot): string {
  const { file, place } = running(beat);
  return `${place ?? `example #${beat.index + 1}`} of ${file?.path ?? 'the current file'}`;
}

/** What the watchdog saw, as an incident's facts. */
function factsOf(reason: StackReason, beat: HeartbeatSnapshot, idle: boolean): IncidentFacts {
  switch (reason) {
    case 'memory':
      return { kind: 'memory', rss: process.memoryUsage.rss(), limit: beat.memlimit };
    case 'interrupted':
      return { kind: 'interrupted' };
    case 'crash':
      return { kind: 'exit', exit: { code: null, signal: signalName(addon?.crashed() ?? 0), output: '' } };
    case 'timeout':
      return { kind: 'timeout', limitSeconds: beat.exampleLimitMs / 1000, idle };
    case 'file-timeout':
      return { kind: 'file-timeout', limitSeconds: beat.fileLimitMs / 1000 };
  }
}

/**
 * How this thread takes the main thread's stacks: JavaScript through an inspector session, native through
 * eu-stack or gdb spawned without a fork, and only once the inspector has given up (the spawn blocks this
 * thread). `js: false`: the main thread is parked in the crash handler, where no JavaScript stack comes.
 */
function takers(js = true): StackTakers {
  const tool = data.gdb ? findStackTool() : null;
  const native =
    tool && addon
      ? async () => {
          const run = addon.spawnCapture([tool.path, ...stackToolArguments(tool, process.pid)], NATIVE_STACK_TIMEOUT_MS);
          return run ? condenseNativeStack(run.output, process.pid) : undefined;
        }
      : undefined;
  return { pid: process.pid, js: js ? () => captureMainThreadStack(JS_STACK_WAIT_MS) : async () => undefined, native };
}

/**
 * Serial mode: interrupt once; if that does not end the example within the grace, end the run here. Past
 * the memory limit the main thread fails the example it was running and drops its block; it only can when
 * the guard ended it (a synchronous example), and sooner, while memory still grows.
 */
async function endStuckExample(reason: StackReason, beat: HeartbeatSnapshot): Promise<void> {
  const until = Date.now() + (reason === 'memory' ? MEMORY_GRACE_MS : INTERRUPT_GRACE_MS);
  if (reason === 'memory') heartbeat.exceededMemory(beat.example, process.memoryUsage.rss());
  if (reason === 'file-timeout' && beat.index >= 0) heartbeat.passedFileLimit(beat.example);
  // A synchronous example is ended through the guard; an awaited one the evaluator's own race ends.
  guard?.interrupt();
  // The stacks are taken while the grace runs: the report is ready when it ends.
  const taken = diagnose(takers());
  while (Date.now() < until) {
    await sleep(data.pollMs);
    if (!stillRunning(beat, reason)) return;
  }
  const found = await taken;
  if (!stillRunning(beat, reason)) return;
  await endRun(reason, heartbeat.read(), found);
}

/** The main thread took a fatal signal and waits in the addon's handler: its native stack, then the end. */
async function endCrashed(reason: StackReason, beat: HeartbeatSnapshot): Promise<void> {
  await endRun(reason, beat, await diagnose(takers(false)));
}

/** A stop signal the main thread did not act on (it is stuck): end the run as interrupted. */
async function endInterrupted(reason: StackReason, beat: HeartbeatSnapshot): Promise<void> {
  if (heartbeat.unhandledSignals() <= 0) return;
  // Between examples there is nothing to take a stack of: the process tree alone.
  const found = await diagnose(beat.index >= 0 ? takers() : { pid: process.pid, js: async () => undefined });
  if (heartbeat.unhandledSignals() <= 0) return;
  await endRun(reason, heartbeat.read(), found);
}

/**
 * Write the rest of the report, kill what the examples started, and end the process with the run's bits.
 * The reporting modules are loaded only here: the thread starts with every --serial run, and stays small.
 */
async function endRun(reason: StackReason, beat: HeartbeatSnapshot, found: Diagnosis): Promise<never> {
  const now = Date.now();
  const { file, place, source } = running(beat);
  const incident = makeIncident(factsOf(reason, beat, found.idle), whereText(place, undefined), {
    index: beat.index >= 0 ? beat.index : undefined,
    elapsed: beat.index >= 0 ? (now - beat.exampleStart) / 1000 : undefined,
    jsStack: found.jsStack,
    nativeStack: found.nativeStack,
    processTree: found.processTree,
  });
  let bits = incidentBits(incident);
  if (data.journal && data.plan) {
    const { finishFromJournal } = await import('./finish.js');
    bits = await finishFromJournal(data.journal, data.plan, { incident, elapsed: incident.elapsed, fileSeconds: (now - beat.fileStart) / 1000 });
  } else {
    // No report to finish (a bisect replay, a test driving the watchdog by hand): the incident alone, and as
    // a record for whoever reads the process's records.
    if (data.recordFd !== undefined && beat.file > 0) {
      try {
        writeSync(data.recordFd, encodeRecord({ t: 'incident', seq: beat.file - 1, incident }));
      } catch {
        // the reader sees a process that died while the example ran: a crash
      }
    }
    const details = [found.jsStack && `JavaScript stack:\n${indent(found.jsStack)}`, found.nativeStack && `Native stack:\n${indent(found.nativeStack)}`, found.processTree && `Process tree:\n${indent(found.processTree)}`];
    report.write(`${'*'.repeat(70)}\nmtest: ${incident.message}${file ? ` of ${file.path}` : ''}\n${source ? indent(source) + '\n' : ''}${details.filter(Boolean).join('\n')}\n`);
  }
  killTreeNow(process.pid, false);
  if (addon) addon.exitNow(bits);
  process.kill(process.pid, 'SIGKILL'); // without the addon nothing else can end a stuck process
  throw new Error('unreachable');
}

/** Debug mode: say which line is still running, with its stack, and let it run. */
async function warnStillRunning(reason: StackReason, beat: HeartbeatSnapshot): Promise<void> {
  const { source } = running(beat);
  const elapsed = (Date.now() - (reason === 'file-timeout' ? beat.fileStart : beat.exampleStart)) / 1000;
  const found = await diagnose(takers());
  if (!stillRunning(beat)) return;
  const head = reason === 'memory' ? `mtest: ${makeIncident(factsOf(reason, beat, false), whereText(running(beat).place, undefined)).message} of ${running(beat).file?.path ?? 'the current file'}` : `mtest: still running ${lineOfFile(beat)} after ${elapsed.toFixed(0)} s`;
  const stack = found.jsStack ? `JavaScript stack:\n${found.jsStack}\n` : found.nativeStack ? `Native stack:\n${found.nativeStack}\n` : 'The JavaScript stack did not answer (inside native code).\n';
  report.write(`${head}\n${source ? indent(source) + '\n' : ''}${stack}`);
}

function signalName(signo: number): string {
  return Object.entries(constants.signals).find(([, n]) => n === signo)?.[0] ?? `signal ${signo}`;
}

parentPort?.on('message', () => {});
setInterval(tick, data.pollMs);
