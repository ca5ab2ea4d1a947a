// Under --serial the examples share mtest's own process. A worker dies of `process.exit()` or
// `process.abort()` (the pool reports that as a crash of the example that was running, and the rest of its
// block as not run); mtest itself must not, or the run and its report are lost. While serial examples
// run, both calls end the running example the way they end a worker's: uncatchably when the example is
// inside a guarded call (the guard addon terminates it, as at a time limit), and the runner reports the
// same crash a worker's exit would give. Stray exceptions and rejections become warnings about the
// example that was running, and the run goes on.

import { describeError } from '../../src/display.js';

export class ProcessExitCalled extends Error {
  /** `call`: what was called, `process.exit(3)`. */
  constructor(call: string) {
    super(`${call} called by an example; under --serial mtest's own process goes on`);
    this.name = 'ProcessExit';
  }
}

/** How an example asked the process to end: the exit code, or the signal a worker would have died of. */
export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class SerialContainment {
  private readonly realExit = process.exit;
  private readonly realAbort = process.abort;
  private installed = false;
  /** Set while an example runs: a call to process.exit / abort then ends that example. */
  exampleRunning = false;
  private ended?: ProcessEnd;

  /**
   * `terminate`: end the guarded call in progress uncatchably (the guard's interrupt); false when no
   * guarded call runs (an example's awaited part), and then the call throws instead.
   */
  constructor(
    private readonly onStray: (what: string) => void,
    private readonly terminate: () => boolean = () => false,
  ) {}

  private readonly uncaught = (error: unknown): void => {
    if (error instanceof ProcessExitCalled) return this.onStray(error.message);
    this.onStray(`Uncaught exception in a callback: ${describeError(error)}`);
  };

  private readonly rejected = (reason: unknown): void => {
    this.onStray(`Unhandled promise rejection: ${describeError(reason)}`);
  };

  /** How the example that just ran asked the process to end, if it did (once). */
  takeEnd(): ProcessEnd | undefined {
    const ended = this.ended;
    this.ended = undefined;
    return ended;
  }

  private end(how: ProcessEnd, call: string): never {
    if (this.exampleRunning) {
      this.ended ??= how;
      if (this.terminate()) for (;;); // the termination lands at this loop's first check
    }
    throw new ProcessExitCalled(call);
  }

  install(): void {
    if (this.installed) return;
    this.installed = true;
    process.exit = ((code?: number | string | null) => {
      const n = Number(code ?? process.exitCode ?? 0);
      // As the operating system reports an exit status: its low byte.
      return this.end({ code: Number.isInteger(n) ? n & 0xff : 1, signal: null }, `process.exit(${code ?? ''})`);
    }) as typeof process.exit;
    process.abort = (() => this.end({ code: null, signal: 'SIGABRT' }, 'process.abort()')) as typeof process.abort;
    process.on('uncaughtException', this.uncaught);
    process.on('unhandledRejection', this.rejected);
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    process.exit = this.realExit;
    process.abort = this.realAbort;
    process.removeListener('uncaughtException', this.uncaught);
    process.removeListener('unhandledRejection', this.rejected);
  }

  /** The real process.exit, for mtest's own use while installed (a second Ctrl-C). */
  exit(code: number): never {
    return this.realExit(code);
  }
}
