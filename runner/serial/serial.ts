// --serial / --debug: files run one after another inside the mtest process (no workers). Time limits
// still hold: a synchronous loop is interrupted through the guard addon, an awaited example is raced, and
// for a hang the guard cannot reach (native code, a loop in a promise job) the watchdog thread reports the
// running example with its stacks and ends the process. --debug only warns, and opens a REPL on failure.
import type { RunEvents } from '../../src/events.js';
import { executeFile, releaseOutput, type ExecuteHooks } from '../../src/execute/index.js';
import { countExamples, exampleAt, notRun, type ExampleResult, type SourceFile } from '../../src/model.js';
import { SerialContainment } from './containment.js';
import { openRepl } from './debug-repl.js';
import { AddonGuard, syncGuard } from './interrupt.js';
import { MB } from '../memory.js';
import type { RunnerOptions, RunnerOutcome } from '../options.js';
import { resultWarnings } from '../warnings.js';
import { Watchdog } from './watchdog.js';

export interface SerialControl {
  /** Set by Ctrl-C: the current file stops, the rest is not run. */
  requested: boolean;
}

export async function runSerial(files: SourceFile[], options: RunnerOptions, events: RunEvents, stop: SerialControl = { requested: false }): Promise<RunnerOutcome> {
  const hooks: ExecuteHooks = {};
  const guard = options.debug ? undefined : syncGuard();
  hooks.guard = guard;
  // One watchdog thread watches every deadline; with the addon guard it is also the one that interrupts.
  const watchdog = Watchdog.start({ mode: options.debug ? 'debug' : 'serial', gdb: options.gdb, guardAddon: guard instanceof AddonGuard ? guard.addonPath : undefined });
  if (options.debug && process.stdin.isTTY) {
    hooks.onFailure = (ns, example) => openRepl(ns, `Failed example at line ${example.line}; opening a REPL in its namespace.`);
  }
  let interrupt: () => void = () => {};
  const interrupted = new Promise<'interrupted'>((resolve) => (interrupt = () => resolve('interrupted')));
  // What stray exceptions are attributed to: the file and example running now.
  let current: { file: SourceFile; index?: number } | undefined;
  const containment = new SerialContainment((what) => {
    if (current) events.warning(current.file, what, current.index);
    else process.stderr.write(`mtest: ${what}\n`);
  });
  const onSigint = (): void => {
    if (stop.requested) containment.exit(130); // a second Ctrl-C: no report, just stop
    stop.requested = true;
    interrupt();
  };
  process.on('SIGINT', onSigint);
  containment.install();
  let failedOnce = false;
  try {
    for (const file of files) {
      current = { file };
      if (stop.requested || (options.exitFirst && failedOnce)) break;
      events.fileStart(file, 0);
      const described = file.blocks.flatMap((block) => block.examples.map(({ line, source }) => ({ line, source })));
      watchdog.fileStarted(file.path, options.fileTimeout, options.memlimit * MB, described);
      const start = process.hrtime.bigint();
      const seen = new Set<number>();
      const run = executeFile(
        file,
        options,
        {
          exampleStart: (index, example) => {
            current = { file, index };
            watchdog.exampleStarted(index, example, options.timeout);
            events.exampleStart(file, index, 0);
          },
          exampleEnd: (result) => {
            watchdog.exampleEnded();
            if (stop.requested && seen.has(result.index)) return;
            seen.add(result.index);
            // --exitfirst: the rest of the file is reported as not run
            if ((options.exitFirst && failedOnce) || stop.requested) result = notRun(result.index);
            events.exampleEnd(file, result);
            if (result.status === 'failed') failedOnce = true;
            reportResult(file, result, options, events);
          },
        },
        hooks,
      );
      const how = await Promise.race([run, interrupted]);
      watchdog.fileEnded();
      if (how === 'interrupted') {
        releaseOutput(); // the abandoned example may be capturing
        for (let index = 0, n = countExamples(file); index < n; index++) {
          if (!seen.has(index)) events.exampleEnd(file, notRun(index));
          seen.add(index);
        }
      }
      events.fileEnd(file, { time: Number(process.hrtime.bigint() - start) / 1e9, worker: 0 });
    }
  } finally {
    containment.uninstall();
    process.removeListener('SIGINT', onSigint);
    await watchdog.stop();
  }
  return { interrupted: stop.requested };
}

/** Incidents and warnings that follow from one result (timeouts, memory growth, slow examples). */
function reportResult(file: SourceFile, result: ExampleResult, options: RunnerOptions, events: RunEvents): void {
  const line = exampleAt(file, result.index)?.line ?? '?';
  if (result.outcome === 'timeout') {
    events.incident(file, { kind: 'timeout', index: result.index, message: `${result.note ?? 'Timed out'} while running line ${line}`, elapsed: result.time });
  }
  for (const warning of resultWarnings(result, options)) events.warning(file, warning, result.index);
}
