// The seam between a runner and the evaluation stage: run one file's examples in *this* process and
// report each example before and after. The serial runner calls it directly; a worker process calls the
// very same function and forwards the events to its parent. The options are plain JSON, so that the one
// options object the CLI resolves reaches a worker whole.
import type { Example, ExampleResult, SourceFile } from '../model.js';

export interface ExecuteOptions {
  /** Tags enabled by `--optional` or detected (lower-case). `bug` enables `known bug` examples. */
  optional: string[];
  /** Run `long time` examples. */
  long: boolean;
  /** Seed for the engine's generator and Math.random, reset at the start of every block. */
  randomSeed: number;
  /** Per-example limit in seconds (0 = none), overridden by `// timeout S`. */
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

export interface ExecuteEvents {
  /** Called synchronously right before example `index` runs. */
  exampleStart(index: number, example: Example): void;
  /** Called once per example (skipped and notrun included), in order. */
  exampleEnd(result: ExampleResult): void;
}
