// --serial / --debug: files run one after another inside the mtest process (no workers), and end as they
// would with workers. Time limits still hold: a synchronous loop is interrupted through the guard addon,
// an awaited example is raced; process.exit / abort (containment.ts) and the memory limit end the example
// through the guard too, reported as a worker's crash or memory incident; after any of them the rest of its
// block is not run and the file goes on (execute). For a hang the guard cannot reach (native code, a loop
// in a promise job) or a fatal signal, the watchdog thread ends the run with its whole report (watchdog.ts,
// finish.ts). Every event is also appended to the run's journal, which
// is what makes that possible. Stop signals end the run as in worker mode. Every process the examples
// started is killed at a timeout and at the end of the run — this process becomes the reaper of orphans,
// so those that left their parent are found too. --debug only warns, and opens a REPL on failure.
import v8 from 'node:v8';
import vm from 'node:vm';
import { EventFanout, type Incident, type RunEvents } from '../../src/events.js';
import { executeFile, releaseOutput, type ExecuteHooks } from '../../src/execute/index.js';
import { makeIncident, memoryStaysMessage, saysIdle, whereText } from '../../src/incidents.js';
import { closeRest, countExamples, exampleAt, exampleWhere, notRun, type ExampleResult, type SourceFile } from '../../src/model.js';
import { killTreeNow } from '../kill.js';
import { limitOf, memlimitBytes, type RunnerOptions, type RunnerOutcome } from '../../src/options.js';
import { processAddon } from '../process-addon.js';
import { stopSignals } from '../signals.js';
import { resultWarnings } from '../../src/execute/policy.js';
import { SerialContainment } from './containment.js';
import { openRepl } from './debug-repl.js';
import type { FinishPlan, ReportHandoff } from './finish.js';
import { AddonGuard, syncGuard } from './interrupt.js';
import { Journal } from './journal.js';
import { LeftoverTracker, removeOwnListener } from '../leftovers.js';
import { Watchdog } from './watchdog.js';

export interface SerialControl {
  /** Set by a stop signal: the current file stops, the rest is not run. */
  requested: boolean;
}

/**
 * `only`: the examples of a file to run (flat indices; undefined = all), as the pool's. `report`: how the
 * command finishes its report when this process cannot go on (without it, the incident alone is written).
 * `recordFd`: without a `report`, where the watchdog writes the incident it ends the process for, as a
 * protocol record.
 */
export async function runSerial(
  files: SourceFile[], options: RunnerOptions, events: RunEvents, stop: SerialControl = { requested: false }, report?: ReportHandoff, only?: (file: SourceFile) => number[] | undefined, recordFd?: number,
): Promise<RunnerOutcome> {
  const addon = processAddon();
  addon?.becomeSubreaper();
  // A fatal signal on this thread (a segfault in native code, abort, V8 out of memory) parks it: the
  // watchdog thread then finishes the report instead of the process vanishing without one.
  addon?.watchCrashes();
  const journal = new Journal(files);
  const finishPlan: FinishPlan | undefined = report && { ...report, umask: process.umask() };
  const reported = new EventFanout([journal, events]);
  const hooks: ExecuteHooks = {};
  const guard = options.debug ? undefined : syncGuard();
  hooks.guard = guard;
  // One watchdog thread watches every deadline; with the addon guard it is also the one that interrupts.
  const watchdog = Watchdog.start({
    mode: options.debug ? 'debug' : 'serial',
    gdb: options.gdb,
    guardAddon: guard instanceof AddonGuard ? guard.addonPath : undefined,
    journal: journal.buffer,
    plan: finishPlan,
    reportFd: report?.reportFd,
    recordFd,
  });
  const heartbeat = watchdog.heartbeat;
  const leftovers = new LeftoverTracker().install();
  if (options.debug && process.stdin.isTTY) {
    hooks.onFailure = (ns, example) => openRepl(ns, `Failed example at ${exampleWhere(example)}; opening a REPL in its namespace.`);
  }
  let interrupt: () => void = () => {};
  const interrupted = new Promise<'interrupted'>((resolve) => (interrupt = () => resolve('interrupted')));
  let handledSignals = addon?.signalCount() ?? 0;
  const requestStop = (): void => {
    handledSignals = addon?.signalCount() ?? handledSignals;
    heartbeat.signalsHandled(handledSignals);
    stop.requested = true;
    interrupt();
  };
  // A stop signal that arrived while a synchronous call ran (execSync) may never reach Node's listener:
  // the handler's own count says so.
  const signalArrived = (): boolean => addon !== undefined && addon.signalCount() > handledSignals;
  // Asked before every example. A signal that arrived while a synchronous example ran (the watchdog
  // interrupted it) is acted on here, not whenever the event loop next turns; and a file past its own
  // limit stops here (one stuck in a single example is the watchdog's).
  let fileLimit: { file: SourceFile; deadline: number; last?: string; passed: boolean } | undefined;
  // Set when memory stays past --memlimit after the block that passed it was dropped: the run ends there.
  let memoryFull = false;
  hooks.stopRequested = () => {
    if (memoryFull) return true;
    if (!stop.requested && signalArrived()) requestStop();
    if (fileLimit && !fileLimit.passed && Date.now() >= fileLimit.deadline) {
      fileLimit.passed = true;
      reported.incident(fileLimit.file, makeIncident({ kind: 'file-timeout', limitSeconds: options.fileTimeout }, whereText(undefined, fileLimit.last)));
    }
    return stop.requested || fileLimit?.passed === true;
  };
  const unsubscribe = stopSignals.subscribe(requestStop);
  // What stray exceptions are attributed to: the file and example running now.
  let current: { file: SourceFile; index?: number } | undefined;
  const containment = new SerialContainment(
    (what) => {
      if (current) reported.warning(current.file, what, current.index);
      else process.stderr.write(`mtest: ${what}\n`);
    },
    () => guard instanceof AddonGuard && guard.interrupt(),
  );
  // The example the runner stopped itself (process.exit, process.abort, the memory limit): its incident,
  // reported with its result.
  let stopped: { index: number; incident: Incident } | undefined;
  hooks.stoppedBy = () => {
    const ended = containment.takeEnd();
    const limit = heartbeat.stopped();
    const index = current?.index;
    if ((!ended && !limit) || !current || index === undefined) return undefined;
    const example = exampleAt(current.file, index);
    const where = whereText(example && exampleWhere(example), undefined);
    if (ended) {
      const incident = makeIncident({ kind: 'exit', exit: { code: ended.code, signal: ended.signal, output: '' } }, where, { index });
      stopped = { index, incident };
      return { outcome: 'crash', note: incident.message };
    }
    if (limit!.reason === 'file-timeout') {
      // The file's own limit: the rest of the file is not run (and no second incident says so).
      if (fileLimit) fileLimit.passed = true;
      const incident = makeIncident({ kind: 'file-timeout', limitSeconds: limit!.limitMs / 1000 }, where, { index });
      stopped = { index, incident };
      return { outcome: 'timeout', note: incident.message };
    }
    const incident = makeIncident({ kind: 'memory', rss: limit!.rss, limit: limit!.limit }, where, { index });
    stopped = { index, incident };
    return { outcome: 'memory', note: incident.message };
  };
  // An awaited example is not in a guarded call: past the memory or the file's limit (the watchdog says
  // so in the heartbeat) the evaluator stops waiting for it. Unref'd: an idle process must still go idle.
  let awaitPoll: NodeJS.Timeout | undefined;
  if (!options.debug) {
    hooks.abandoned = () =>
      new Promise<void>((resolve) => {
        clearInterval(awaitPoll);
        awaitPoll = setInterval(() => {
          if (!heartbeat.stopped()) return;
          clearInterval(awaitPoll);
          resolve();
        }, ABANDON_POLL_MS).unref();
      });
  }
  // The event loop ran empty while an example was still running: nothing is left that could settle it (a
  // promise that never settles with no time limit, or mtest's own promises broken by the example). Node is
  // about to exit with no report; finish it from the journal instead.
  const onBeforeExit = (): void => {
    if (!finishPlan || !current) return;
    const running = current;
    const example = running.index === undefined ? undefined : exampleAt(running.file, running.index);
    const incident = makeIncident({ kind: 'idle' }, whereText(example && exampleWhere(example), undefined), { index: running.index });
    removeOwnListener('beforeExit', onBeforeExit);
    void import('./finish.js').then(async ({ finishFromJournal }) => {
      // mtest's own umask and directory for the report, and no example's 'exit' listener on the way out.
      leftovers.restoreProcess();
      const bits = await finishFromJournal(journal.buffer, finishPlan, { incident });
      killTreeNow(process.pid, false);
      containment.exit(bits);
    });
  };
  process.on('beforeExit', onBeforeExit);
  containment.install();
  let failedOnce = false;
  try {
    for (const [n, file] of files.entries()) {
      current = { file };
      if (stop.requested || memoryFull || (options.exitFirst && failedOnce)) break;
      reported.fileStart(file, 0);
      watchdog.fileStarted(n, options.fileTimeout, memlimitBytes(options));
      leftovers.fileStarted();
      fileLimit = options.fileTimeout > 0 ? { file, deadline: Date.now() + options.fileTimeout * 1000, passed: false } : undefined;
      const start = process.hrtime.bigint();
      const seen = new Set<number>();
      // A block that passed the memory limit is dropped: its memory is collected, and if the process
      // still holds more than the limit, nothing else can run in it.
      hooks.blockDropped = async () => {
        const memlimit = memlimitBytes(options);
        if (memlimit <= 0 || heartbeat.stopped()?.reason !== 'memory') return;
        const rss = await collectGarbage(memlimit);
        if (rss <= memlimit) return;
        memoryFull = true;
        let left = countExamples(file) - seen.size;
        for (const later of files.slice(n + 1)) left += countExamples(later);
        reported.warning(file, memoryStaysMessage(rss, memlimit, left));
      };
      const run = executeFile(
        file,
        only ? { ...options, only: only(file) } : options,
        {
          exampleStart: (index, example) => {
            current = { file, index };
            containment.exampleRunning = true;
            leftovers.exampleStarted(index);
            watchdog.exampleStarted(index, limitOf(example, options));
            reported.exampleStart(file, index, 0);
          },
          exampleEnd: (result) => {
            containment.exampleRunning = false;
            clearInterval(awaitPoll);
            watchdog.exampleEnded();
            leftovers.exampleEnded();
            if (seen.has(result.index)) return;
            seen.add(result.index);
            // --exitfirst, or a stop: the rest of the file is reported as not run (as is an example the
            // watchdog interrupted for a stop signal the event loop has not delivered yet)
            if (!stop.requested && signalArrived()) requestStop();
            if ((options.exitFirst && failedOnce) || stop.requested) result = notRun(result.index);
            reported.exampleEnd(file, result);
            const own = stopped?.index === result.index ? stopped : undefined;
            if (own) {
              reported.incident(file, { ...own.incident, elapsed: result.time });
              stopped = undefined;
              killTreeNow(process.pid, false); // what the example started dies with it, as a worker's tree does
            }
            if (fileLimit && result.status !== 'notrun' && result.status !== 'skipped') {
              const example = exampleAt(file, result.index);
              fileLimit.last = example && exampleWhere(example);
            }
            if (result.status === 'failed') failedOnce = true;
            reportResult(file, result, options, reported, own !== undefined);
          },
        },
        hooks,
      );
      const how = await Promise.race([run, interrupted]);
      watchdog.fileEnded();
      if (how === 'interrupted') {
        releaseOutput(); // the abandoned example may be capturing
        closeRest(file, seen, (result) => reported.exampleEnd(file, result));
      }
      for (const { message, index } of leftovers.sweep()) reported.warning(file, message, index);
      reported.fileEnd(file, { time: Number(process.hrtime.bigint() - start) / 1e9, worker: 0 });
    }
    if (!stop.requested && signalArrived()) requestStop();
  } finally {
    current = undefined;
    clearInterval(awaitPoll);
    process.removeListener('beforeExit', onBeforeExit);
    unsubscribe();
    containment.uninstall();
    addon?.unwatchCrashes(); // no watchdog is left to finish a report
    await watchdog.stop();
    // Whatever the examples started and left running, detached or orphaned, goes with the run.
    killTreeNow(process.pid, false);
  }
  return { interrupted: stop.requested };
}

/** How often an awaited example's wait asks whether the watchdog stopped it, ms (its grace is 500 ms). */
const ABANDON_POLL_MS = 50;

let gc: (() => void) | undefined;

/**
 * Full collections until the RSS is within `limit` (or a few have not brought it there); returns the RSS.
 * V8 exposes `gc` to contexts made after the flag is set. Large typed arrays are given back to the system
 * only by a collection after the one that found them unreachable, with a turn of the event loop between.
 */
async function collectGarbage(limit: number): Promise<number> {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  let rss = process.memoryUsage.rss();
  for (let round = 0; round < 4 && rss > limit; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10 * round));
    rss = process.memoryUsage.rss();
  }
  return rss;
}

/**
 * Incidents and warnings that follow from one result (timeouts, memory growth, slow examples);
 * `incidentGiven`: the runner stopped the example and reported its incident already.
 */
function reportResult(file: SourceFile, result: ExampleResult, options: RunnerOptions, events: RunEvents, incidentGiven: boolean): void {
  if (result.outcome === 'timeout' && !incidentGiven) {
    const example = exampleAt(file, result.index);
    const facts = { kind: 'timeout' as const, limitSeconds: limitOf(example, options), idle: saysIdle(result.note) };
    events.incident(file, makeIncident(facts, whereText(example && exampleWhere(example), undefined), { index: result.index, elapsed: result.time }));
    // What the example started dies with it, as a worker's tree does.
    killTreeNow(process.pid, false);
  }
  for (const warning of resultWarnings(result, options)) events.warning(file, warning, result.index);
}
