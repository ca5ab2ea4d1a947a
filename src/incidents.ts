// The words of every incident and the exit bits it sets, in one place, so that every mode says the same
// thing: the one-line messages of timeouts, resource limits, crashes and interruptions, the sizes they
// quote, the reason the summary gives, and the outcome of the example that was running. Runners state the
// facts (makeIncident); nothing else words an incident.
import type { Incident } from './events.js';
import type { Outcome } from './model.js';

/** The exit status is the bitwise OR of these. */
export const EXIT = {
  failure: 1,
  usage: 2,
  timeout: 4,
  badExit: 8,
  signal: 16,
  internal: 64,
  interrupted: 128,
} as const;

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

/**
 * Said of a process found waiting in its event loop for an example that has not ended: at a time limit
 * (its main thread's native stack shows the wait), or when the loop ran empty (nothing can settle it).
 */
const IDLE = 'the process is idle: it awaits something that never happens';

/** The summary's reason for an idle process with no time limit (the run ended when its event loop ran empty). */
const NEVER_SETTLED = 'Never settled';

/** Whether a timeout's words (an example's note) say its process was idle. */
export function saysIdle(message: string | undefined): boolean {
  return message?.endsWith(`(${IDLE})`) === true;
}

function idleMessage(limitSeconds: number | undefined, where: string): string {
  return `${limitSeconds === undefined ? `${NEVER_SETTLED} ${where}` : timeoutMessage(limitSeconds, where)} (${IDLE})`;
}

export function fileTimeoutMessage(limitSeconds: number, where: string): string {
  return `File timed out after ${limitSeconds.toFixed(1)} s ${where}`;
}

const MEMORY_LIMIT = 'Memory limit exceeded';
const OUTPUT_LIMIT_EXCEEDED = 'Output limit exceeded';

export function memoryMessage(rss: number, limit: number, where: string): string {
  return `${MEMORY_LIMIT}: RSS ${formatBytes(rss)} > ${formatBytes(limit)} ${where}`;
}

export function outputMessage(written: number, limit: number, where: string): string {
  return `${OUTPUT_LIMIT_EXCEEDED}: ${formatBytes(written)} written to stdout/stderr > ${formatBytes(limit)} ${where}`;
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

const PROTOCOL_BROKEN = "The worker broke mtest's protocol";
const CANNOT_RUN = 'The worker could not run the file';
/** The exit code a worker that could not run its file is reported with (EX_SOFTWARE). */
const CANNOT_RUN_CODE = 70;

/** The worker broke the protocol (`what`: a record that is not one, a pipe written into or closed). */
export function protocolMessage(what: string, where: string): string {
  return `${PROTOCOL_BROKEN} ${where}: ${what}`;
}

export function interruptedMessage(where: string): string {
  return `Interrupted ${where}`;
}

/** What happened, as the runner that saw it knows it; makeIncident words it. */
export type IncidentFacts =
  /** `idle`: the main thread's native stack shows it waiting in its event loop. */
  | { kind: 'timeout'; limitSeconds: number; idle?: boolean }
  /** An example awaits and the event loop ran empty: no time limit, and nothing left that could settle it. */
  | { kind: 'idle' }
  | { kind: 'file-timeout'; limitSeconds: number }
  | { kind: 'memory'; rss: number; limit: number }
  /** Too much output is a resource limit like memory (same exit bit, same report). */
  | { kind: 'output'; written: number; limit: number }
  /** The process ended (or took a fatal signal) while the file ran. */
  | { kind: 'exit'; exit: ExitFacts }
  | { kind: 'protocol'; what: string }
  /** The worker reported that it could not run the file at all (`error`: its account, first line quoted). */
  | { kind: 'cannot-run'; error: string }
  | { kind: 'interrupted' };

/** What an incident carries besides its words: the example, how long it ran, the diagnosis, the output. */
export type IncidentDetails = Omit<Incident, 'kind' | 'message' | 'signal' | 'exitCode'>;

/**
 * The one constructor of incidents. `where` is whereText's (`while running line 12`). Its exit bits are
 * incidentBits(incident), its summary reason incidentReason(incident), the running example's outcome
 * runningOutcome(incident).
 */
export function makeIncident(facts: IncidentFacts, where: string, details: IncidentDetails = {}): Incident {
  switch (facts.kind) {
    case 'timeout':
      return { ...details, kind: 'timeout', message: facts.idle ? idleMessage(facts.limitSeconds, where) : timeoutMessage(facts.limitSeconds, where) };
    case 'idle':
      return { ...details, kind: 'timeout', message: idleMessage(undefined, where) };
    case 'file-timeout':
      return { ...details, kind: 'file-timeout', message: fileTimeoutMessage(facts.limitSeconds, where) };
    case 'memory':
      return { ...details, kind: 'memory', message: memoryMessage(facts.rss, facts.limit, where) };
    case 'output':
      return { ...details, kind: 'memory', message: outputMessage(facts.written, facts.limit, where) };
    case 'exit': {
      const signal = facts.exit.signal ?? undefined;
      return { ...details, kind: 'crash', message: crashMessage(facts.exit, where), signal, exitCode: signal ? undefined : (facts.exit.code ?? undefined) };
    }
    case 'protocol':
      return { ...details, kind: 'crash', message: protocolMessage(facts.what, where) };
    case 'cannot-run':
      return { ...details, kind: 'crash', message: `${CANNOT_RUN}: ${facts.error.split('\n')[0]}`, output: details.output ?? facts.error, exitCode: CANNOT_RUN_CODE };
    case 'interrupted':
      return { ...details, kind: 'interrupted', message: interruptedMessage(where) };
  }
}

/** Exit bits set by one incident (a known failure's are not counted: the summary decides that). */
export function incidentBits(incident: Pick<Incident, 'kind' | 'signal'>): number {
  switch (incident.kind) {
    case 'timeout':
    case 'file-timeout':
    case 'memory':
      return EXIT.timeout;
    case 'interrupted':
      return EXIT.interrupted;
    case 'crash':
      return incident.signal ? EXIT.signal : EXIT.badExit;
  }
}

/** The outcome of the example that was running when the incident happened. */
export function runningOutcome(incident: Pick<Incident, 'kind'>): Outcome {
  switch (incident.kind) {
    case 'memory':
      return 'memory';
    case 'crash':
      return 'crash';
    case 'interrupted':
      return 'notrun';
    default:
      return 'timeout';
  }
}

/** Sage's `# …` reason after a failing file in the summary: `Timed out`, `Killed by SIGSEGV`, `Exited with code 3`. */
export function incidentReason(incident: Incident): string {
  switch (incident.kind) {
    case 'timeout':
      return incident.message.startsWith(NEVER_SETTLED) ? NEVER_SETTLED : 'Timed out';
    case 'file-timeout':
      return 'Timed out';
    case 'memory':
      return incident.message.startsWith(OUTPUT_LIMIT_EXCEEDED) ? OUTPUT_LIMIT_EXCEEDED : MEMORY_LIMIT;
    case 'crash':
      if (incident.signal) return `Killed by ${incident.signal}`;
      // A worker killed for breaking the protocol: what it did, not how it ended.
      return incident.exitCode === undefined ? incident.message.split(':')[0] : `Exited with code ${incident.exitCode}`;
    case 'interrupted':
      return 'Interrupted';
  }
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
