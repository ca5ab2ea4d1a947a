// The one-line messages of incidents, worded as SPEC §6 gives them, so every runner says the same thing.
import { formatBytes } from '../memory.js';

/** `while running line 12` / `after line 12` / `before its first example`. */
export function whereText(runningLine: number | undefined, lastLine: number | undefined): string {
  if (runningLine !== undefined) return `while running line ${runningLine}`;
  if (lastLine !== undefined) return `after line ${lastLine}`;
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
