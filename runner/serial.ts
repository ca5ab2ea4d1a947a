// --serial / --debug: files run one after another inside the mtest process (no workers). Time limits
// still hold: a synchronous loop is interrupted by the evaluator (vm timeout) and an awaited example is
// raced; a hang inside native code is the watchdog thread's business.
import type { RunEvents } from '../src/events.js';
import { executeFile } from '../src/execute/index.js';
import { exampleAt, type SourceFile } from '../src/model.js';
import { syncGuard } from './interrupt.js';
import type { RunnerOptions, RunnerOutcome } from './options.js';

export async function runSerial(files: SourceFile[], options: RunnerOptions, events: RunEvents, stop: { requested: boolean } = { requested: false }): Promise<RunnerOutcome> {
  let failedOnce = false;
  for (const file of files) {
    if (stop.requested || (options.exitFirst && failedOnce)) break;
    events.fileStart(file, 0);
    const start = process.hrtime.bigint();
    const seen = new Set<number>();
    const execOptions = { ...options, interruptSync: !options.debug, measureMemory: options.measureMemory || options.traceMemory !== undefined || options.verbose || options.debug };
    await executeFile(file, execOptions, {
      exampleStart: (index) => events.exampleStart(file, index, 0),
      exampleEnd: (result) => {
        seen.add(result.index);
        // --exitfirst / Ctrl-C: the rest of the file is reported as not run
        if ((options.exitFirst && failedOnce) || stop.requested) result = { index: result.index, status: 'notrun', outcome: 'notrun', time: 0 };
        events.exampleEnd(file, result);
        if (result.status === 'failed') failedOnce = true;
        if (result.outcome === 'timeout') {
          events.incident(file, { kind: 'timeout', index: result.index, message: `${result.note ?? 'Timed out'} while running line ${exampleAt(file, result.index)?.line ?? '?'}`, elapsed: result.time });
        }
        if (options.traceMemory !== undefined && result.rssDelta !== undefined && result.rssDelta >= options.traceMemory * 1024 * 1024) {
          events.warning(file, `RSS grew by ${(result.rssDelta / 1048576).toFixed(0)} MB`, result.index);
        }
        if (options.warnLong !== undefined && result.time >= options.warnLong) {
          events.warning(file, `slow example: ${result.time.toFixed(2)} s`, result.index);
        }
      },
    }, execOptions.interruptSync ? { guard: syncGuard() } : {});
    events.fileEnd(file, { time: Number(process.hrtime.bigint() - start) / 1e9, worker: 0 });
  }
  return { interrupted: stop.requested };
}

