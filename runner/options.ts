// What the CLI hands to a runner. Parsing and defaults live in src/cli (one place); runners only read this.
import type { ExecuteOptions } from '../src/execute/api.js';

export interface RunnerOptions extends ExecuteOptions {
  /** Worker processes (ignored under --serial). */
  jobs: number;
  /** A fresh worker for every file (Sage's model). */
  isolate: boolean;
  /** Exported to every worker as OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS. */
  blasThreads: number;
  /** Per-file limit in seconds (0 = none). */
  fileTimeout: number;
  /** Per-worker RSS limit in MB (0 = none). */
  memlimit: number;
  /** Report examples whose RSS growth reached this many MB (undefined = off). */
  traceMemory?: number;
  /** Take native stacks (eu-stack, gdb) when the inspector does not answer. */
  gdb: boolean;
  /** --serial: run in this process. */
  serial: boolean;
  /** --debug: serial + trace + warn instead of kill + REPL on failure. */
  debug: boolean;
  /** --verbose: `Trying` / `ok` trace. */
  verbose: boolean;
  /** Stop the whole run at the first failure. */
  exitFirst: boolean;
  /** Warn about examples slower than this many seconds (undefined = off). */
  warnLong?: number;
}

/** How a run ended, beyond the per-example results the events carried. */
export interface RunnerOutcome {
  /** Ctrl-C (or SIGTERM) stopped the run. */
  interrupted: boolean;
}
