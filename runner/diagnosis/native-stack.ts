// The native stacks of every thread of a process, through gdb (attach, backtrace, detach: ~0.5–1 s).
// Used when the JavaScript stack cannot be had because the main thread is inside native code — the case
// of the OpenBLAS hang mtest was built for. A non-parent may attach because the engine addon calls
// prctl(PR_SET_PTRACER_ANY), and CI runs as root.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

let gdbPath: string | null | undefined;

/** Absolute path of gdb on PATH, or null. */
export function findGdb(): string | null {
  if (gdbPath !== undefined) return gdbPath;
  gdbPath = null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'gdb');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      gdbPath = candidate;
      break;
    } catch {
      // not here
    }
  }
  return gdbPath;
}

const MAX_LINES = 200;
/** Frames shown per thread other than the main one. */
const OTHER_THREAD_FRAMES = 8;

/**
 * Keep what a reader needs: the main thread (LWP = pid, where the example runs) first and in full, runs of
 * JIT frames (`??`, `Builtins_…`) folded into one line, argument lists dropped, and threads with the same
 * stack (libuv's pool, BLAS threads) listed once.
 */
export function condenseGdbOutput(output: string, pid: number): string | undefined {
  const threads: { header: string; name: string; frames: string[]; main: boolean }[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    const header = /^Thread (\d+) \(.*?LWP (\d+)\)(?: "([^"]*)")?/.exec(line);
    if (header) {
      threads.push({ header: `LWP ${header[2]}${header[3] ? ` "${header[3]}"` : ''}`, name: header[3] ?? '', frames: [], main: Number(header[2]) === pid });
    } else if (/^#\d+/.test(line) && threads.length > 0) {
      threads[threads.length - 1].frames.push(condenseFrame(line));
    }
  }
  if (threads.length === 0) return undefined;
  const lines: string[] = [];
  const main = threads.find((t) => t.main);
  if (main) {
    lines.push(`Thread ${main.header} [main thread]:`);
    for (const frame of foldJit(main.frames)) lines.push('    ' + frame);
  }
  const groups = new Map<string, { headers: string[]; frames: string[] }>();
  for (const thread of threads) {
    if (thread === main) continue;
    const frames = foldJit(thread.frames);
    const key = frames.map((f) => f.replace(/^#\d+\s+/, '')).join('\n');
    const group = groups.get(key);
    if (group) group.headers.push(thread.header);
    else groups.set(key, { headers: [thread.header], frames });
  }
  for (const { headers, frames } of groups.values()) {
    lines.push(headers.length === 1 ? `Thread ${headers[0]}:` : `Threads ${headers.join(', ')} (same stack):`);
    for (const frame of frames.slice(0, OTHER_THREAD_FRAMES)) lines.push('    ' + frame);
    if (frames.length > OTHER_THREAD_FRAMES) lines.push(`    … ${frames.length - OTHER_THREAD_FRAMES} more frames`);
  }
  if (lines.length > MAX_LINES) {
    const dropped = lines.length - MAX_LINES;
    lines.length = MAX_LINES;
    lines.push(`    … ${dropped} more lines`);
  }
  return lines.join('\n');
}

/** Unsymbolised JIT code and V8 builtins say nothing natively: one line per run of them. */
function foldJit(frames: string[]): string[] {
  const out: string[] = [];
  let run = 0;
  const flush = (): void => {
    if (run > 0) out.push(`… ${run} JavaScript frame${run === 1 ? '' : 's'} (JIT / interpreter)`);
    run = 0;
  };
  for (const frame of frames) {
    const fn = frame.replace(/^#\d+\s+/, '');
    if (fn === '??' || fn.startsWith('Builtins_')) {
      run++;
      continue;
    }
    flush();
    out.push(frame);
  }
  flush();
  return out;
}

function condenseFrame(line: string): string {
  // "#3  0x00007f… in do_futex_wait (sem=…, abstime=0x0) at ./nptl/sem_waitcommon.c:111"
  const match = /^(#\d+)\s+(?:0x[0-9a-f]+ in )?(.+?)(?: \((?:[^()]|\([^()]*\))*\))?(?: (at|from) (\S+))?$/.exec(line);
  if (!match) return line;
  const [, number, fn, kind, where] = match;
  return `${number.padEnd(4)} ${fn}${where ? ` ${kind} ${where}` : ''}`;
}

/**
 * gdb's arguments for every thread's backtrace of `pid`. No auto-loaded scripts and no debuginfod: the same
 * stacks ~0.15 s sooner (0.57 vs 0.74 s for a Node process here), and nothing tries the network.
 */
export function gdbArguments(pid: number): string[] {
  return ['-nx', '-batch', '-iex', 'set auto-load no', '-iex', 'set debuginfod enabled off', '-p', String(pid), '-ex', 'set pagination off', '-ex', 'thread apply all bt'];
}

/**
 * All threads' native stacks of `pid`, or undefined when gdb is missing, cannot attach, or is too slow.
 * It forks (child_process): for another process only. A process that may have busy BLAS threads asks
 * through posix_spawn instead (runner/serial/watchdog-thread.ts).
 */
export function nativeStack(pid: number, timeoutMs = 5000): Promise<string | undefined> {
  const gdb = findGdb();
  if (!gdb) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(
      gdb,
      gdbArguments(pid),
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (_error, stdout) => resolve(condenseGdbOutput(String(stdout ?? ''), pid)),
    );
  });
}

/**
 * The main thread waits in the event loop with no JavaScript on its stack: nothing is running, the example
 * awaits a promise nothing will settle (as opposed to a blocking native call such as execSync or a BLAS
 * routine, which shows under the JavaScript frames that called it).
 */
export function isIdle(condensed: string): boolean {
  const main = condensed.split(/\n(?=Threads? )/)[0];
  return /\[main thread\]/.test(main) && /SpinEventLoop/.test(main) && !/JavaScript frame/.test(main);
}
