// The run's options as the stages read them. The command line, the configuration file and the programmatic
// API are resolved into one frozen object (src/cli/resolve.ts, from the table in src/cli/options.ts); each
// stage is typed to the part it reads, so no stage builds options of its own. Plain JSON, so that a worker
// receives what it reads unchanged. Here, beside the types, the two values derived from them that more
// than one mode needs: an example's time limit and the memory limit in bytes.
import { MB } from './incidents.js';
import type { Example } from './model.js';
import type { ShardSpec } from './schedule/order.js';

/** What the execute stage reads: how to run one file's examples in this process. */
export interface ExecuteOptions {
  /** Tags enabled by `--optional` or detected (lower-case). `bug` enables `known bug` examples. */
  optional: string[];
  /** Run `long time` examples. */
  long: boolean;
  /** Seed for the engine's generator and Math.random, reset at the start of every block. */
  randomSeed: number;
  /** Per-example limit in seconds (0 = none), overridden by `// timeout S`: see limitOf. */
  timeout: number;
  /**
   * Interrupt a synchronous JavaScript loop that runs past its limit from inside this process (serial mode).
   * Workers leave this off: their parent enforces limits by killing them, which costs nothing per example.
   */
  interruptSync: boolean;
  /** Modules whose exports form every block's namespace (resolved from cwd); default: the built-in engine. */
  prelude: string[];
  /**
   * The prelude of notebooks: none unless the configuration or --prelude names one (a kernel starts with
   * nothing but its globals). Undefined = none.
   */
  notebookPrelude?: string[];
  /** Stop a block at its first failure (the rest of the block is not run). */
  initial: boolean;
  /** Run only these flat indices (the others are reported as notrun); undefined = all. */
  only?: number[];
  /** Record each example's RSS growth (costs a system call per example; for --trace-memory / traces). */
  measureMemory: boolean;
}

/** What the runners (worker pool, --serial) read besides: processes, limits, stacks. */
export interface PoolOptions {
  /** Worker processes (ignored under --serial). */
  jobs: number;
  /** A fresh worker for every file (Sage's model). */
  isolate: boolean;
  /** Exported to every worker as OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS. */
  blasThreads: number;
  /** Per-file limit in seconds (0 = none). */
  fileTimeout: number;
  /** Per-worker RSS limit in MB (0 = none); in bytes: memlimitBytes. */
  memlimit: number;
  /** Take native stacks (eu-stack, gdb) when the inspector does not answer. */
  gdb: boolean;
  /** --serial: run in this process. */
  serial: boolean;
  /** --debug: serial + trace + warn instead of kill + REPL on failure. */
  debug: boolean;
  /** Stop the whole run at the first failure. */
  exitFirst: boolean;
}

/** What the reporters read. */
export interface ReportingOptions {
  /** --verbose (or --debug): `Trying` / `ok` trace. */
  verbose: boolean;
  /** Report examples whose RSS growth reached this many MB (undefined = off). */
  traceMemory?: number;
  /** Warn about examples slower than this many seconds (undefined = off). */
  warnLong?: number;
  format?: 'console' | 'github';
  junit?: string;
  json?: string;
  html?: string;
  baseline?: string;
  /** The live status line on a terminal (--no-status turns it off). */
  status: boolean;
  /** Type errors fail examples. */
  typecheck: boolean;
  /** Rewrite mismatching wants in place. */
  fix: boolean;
}

/** What the sources and schedule stages read: which files and examples run, in what order. */
export interface SchedulingOptions {
  failed: boolean;
  newOnly: boolean;
  shard?: ShardSpec;
  randorder?: number;
  statsPath?: string;
  passWithNoExamples: boolean;
  keyword?: string;
  /** Files larger than this many MB are skipped with a notice (0 = no limit). */
  maxFileSize: number;
}

/** What a runner is handed: the execute and pool parts, and the warnings it raises per result. */
export interface RunnerOptions extends ExecuteOptions, PoolOptions, Pick<ReportingOptions, 'verbose' | 'traceMemory' | 'warnLong'> {}

/** The one result of resolving the options of a run. Frozen: nothing downstream changes it. */
export type ResolvedOptions = Readonly<
  RunnerOptions &
    ReportingOptions &
    SchedulingOptions & {
      /** --watch and --clear (the command line's; the API runs once). */
      watch: boolean;
      clear: boolean;
      /** Why the run uses fewer workers than asked (one line), when it does. */
      workersNote?: string;
    }
>;

/** How a run ended, beyond the per-example results the events carried. */
export interface RunnerOutcome {
  /** Ctrl-C (or SIGTERM) stopped the run. */
  interrupted: boolean;
}

/** The time limit of `example` in seconds (0 = none): its `// timeout S` directive, else --timeout. */
export function limitOf(example: Example | undefined, options: Pick<ExecuteOptions, 'timeout'>): number {
  return example?.directives.timeout ?? options.timeout;
}

/** --memlimit in bytes (0 = none). */
export function memlimitBytes(options: Pick<PoolOptions, 'memlimit'>): number {
  return options.memlimit > 0 ? options.memlimit * MB : 0;
}
