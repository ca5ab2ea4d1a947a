// Under --serial the examples share mtest's own process. A worker may die of `process.exit()` or of an
// exception thrown in a timer (the pool reports that as a crash); mtest itself must not, or the run and
// its report are lost. While serial examples run: process.exit throws instead of exiting (the example
// fails with that error), and stray exceptions and rejections become warnings about the example that
// was running, and the run goes on.

import { describeError } from '../../src/display.js';

export class ProcessExitCalled extends Error {
  constructor(readonly code: number | string | null | undefined) {
    super(`process.exit(${code ?? ''}) called by an example; under --serial mtest's own process goes on`);
    this.name = 'ProcessExit';
  }
}

export class SerialContainment {
  private readonly realExit = process.exit;
  private installed = false;

  constructor(private readonly onStray: (what: string) => void) {}

  private readonly uncaught = (error: unknown): void => {
    if (error instanceof ProcessExitCalled) return this.onStray(error.message);
    this.onStray(`Uncaught exception in a callback: ${describeError(error)}`);
  };

  private readonly rejected = (reason: unknown): void => {
    this.onStray(`Unhandled promise rejection: ${describeError(reason)}`);
  };

  install(): void {
    if (this.installed) return;
    this.installed = true;
    process.exit = ((code?: number | string | null) => {
      throw new ProcessExitCalled(code);
    }) as typeof process.exit;
    process.on('uncaughtException', this.uncaught);
    process.on('unhandledRejection', this.rejected);
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    process.exit = this.realExit;
    process.removeListener('uncaughtException', this.uncaught);
    process.removeListener('unhandledRejection', this.rejected);
  }

  /** The real process.exit, for mtest's own use while installed (a second Ctrl-C). */
  exit(code: number): never {
    return this.realExit(code);
  }
}


