// The words of every incident, in one place, so that every mode says the same thing: the one-line
// messages of timeouts, resource limits, crashes and interruptions, and the sizes they quote.

export const MB = 1024 * 1024;

/**
 * What an example may write while it runs: through a worker's stdout/stderr in one file, or through
 * console.* into its capture. Past it the example (or the worker) is stopped, as past --memlimit.
 */
export const OUTPUT_LIMIT = 256 * MB;

/** 1.2 GB, 300 MB, 12 kB. */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (abs >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
  return `${(bytes / 1024).toFixed(0)} kB`;
}

/**
 * `while running line 12` / `after line 12` / `before its first example`; in a notebook `while running cell
 * 7, line 1`. The places are exampleWhere's (`line 12`, `cell 7, line 1`).
 */
export function whereText(running: string | undefined, last: string | undefined): string {
  if (running !== undefined) return `while running ${running}`;
  if (last !== undefined) return `after ${last}`;
  return 'before its first example';
}

export function timeoutMessage(limitSeconds: number, where: string): string {
  return `Timed out after ${limitSeconds.toFixed(1)} s ${where}`;
}

export function fileTimeoutMessage(limitSeconds: number, where: string): string {
  return `File timed out after ${limitSeconds.toFixed(1)} s ${where}`;
}

export function memoryMessage(rss: number, limit: number, where: string): string {
  return `Memory limit exceeded: RSS ${formatBytes(rss)} > ${formatBytes(limit)} ${where}`;
}

export function outputMessage(written: number, limit: number, where: string): string {
  return `Output limit exceeded: ${formatBytes(written)} written to stdout/stderr > ${formatBytes(limit)} ${where}`;
}

/** V8 prints this banner before aborting on a full heap. */
export function isHeapOutOfMemory(output: string): boolean {
  return /JavaScript heap out of memory|Reached heap limit|FatalProcessOutOfMemory|Fatal JavaScript out of memory/.test(output);
}

export interface ExitFacts {
  code: number | null;
  signal: string | null;
  /** The worker's own account of an uncaught exception, when it wrote one. */
  fatal?: string;
  /** Tail of the worker's raw output (for V8's out-of-memory banner). */
  output: string;
}

/** `Killed by SIGSEGV while running line N`, `Exited with code 3 while running line N`… */
export function crashMessage(facts: ExitFacts, where: string): string {
  if (facts.fatal) return `${facts.fatal.split('\n')[0]} (${where})`;
  if (isHeapOutOfMemory(facts.output)) {
    return `JavaScript heap out of memory ${where} (${facts.signal ? `killed by ${facts.signal}` : `exit code ${facts.code}`})`;
  }
  if (facts.signal) return `Killed by ${facts.signal} ${where}`;
  if (facts.code === 0) return `Exited (code 0) before the file finished, ${where}`;
  return `Exited with code ${facts.code} ${where}`;
}

/** The worker broke the protocol (`what`: a record that is not one, a pipe written into or closed). */
export function protocolMessage(what: string, where: string): string {
  return `The worker broke mtest's protocol ${where}: ${what}`;
}

export function interruptedMessage(where: string): string {
  return `Interrupted ${where}`;
}

/**
 * The note of every example after an incident in the same block: the block's names died with a killed
 * worker, or are in an unknown state after an example stopped halfway. `place` as exampleWhere's.
 */
export function blockEndedNote(place: string): string {
  return `Not run: its block ended at the incident at ${place}`;
}

/** --serial: a block that passed --memlimit was dropped and collected, and the process is still past it. */
export function memoryStaysMessage(rss: number, limit: number, notRun: number): string {
  return `RSS ${formatBytes(rss)} stays above --memlimit ${formatBytes(limit)} after the block that passed it was dropped: ${notRun} example${notRun === 1 ? '' : 's'} not run (under --serial every file shares this one process)`;
}

/**
 * --serial ended its own process (a fatal signal there, or an example it could not stop): the one line that
 * says what was not run because of that, and how to run it.
 */
export function serialEndedMessage(notRun: number, signal: string | undefined): string {
  const why = signal ? `a fatal signal (${signal}) in its own process` : 'an example it could not stop in its own process';
  return `${notRun} example${notRun === 1 ? '' : 's'} not run: --serial cannot go on after ${why}; run without --serial to run them`;
}
