// The native stacks of every thread of a process. Used when the JavaScript stack cannot be had because the
// main thread is inside native code — the case of the OpenBLAS hang mtest was built for. Two tools take
// them: eu-stack (elfutils) when installed, else gdb. Both attach with ptrace, unwind every thread and
// detach; eu-stack takes ~0.15 s for a Node process where gdb takes 0.5–0.8 s, most of it reading the
// symbols of the 100 MB node binary before it can attach. A non-parent may attach because the engine addon
// calls prctl(PR_SET_PTRACER_ANY), and CI runs as root.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A program that prints every thread's native stack of a running process. */
export interface StackTool {
  name: 'eu-stack' | 'gdb';
  path: string;
}

const found = new Map<string, string | null>();

/** Absolute path of an executable on PATH, or null (looked up once per name). */
export function findOnPath(name: string): string | null {
  const known = found.get(name);
  if (known !== undefined) return known;
  let result: string | null = null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      result = candidate;
      break;
    } catch {
      // not here
    }
  }
  found.set(name, result);
  return result;
}

/** Absolute path of gdb on PATH, or null. */
export function findGdb(): string | null {
  return findOnPath('gdb');
}

/** The tool that takes native stacks here: eu-stack first (the faster), then gdb; null when neither is installed. */
export function findStackTool(): StackTool | null {
  const euStack = findOnPath('eu-stack');
  if (euStack) return { name: 'eu-stack', path: euStack };
  const gdb = findGdb();
  return gdb ? { name: 'gdb', path: gdb } : null;
}

/**
 * The tool's arguments for every thread's stack of `pid`. eu-stack: function names and each frame's module
 * (`-m`), no source lines (they cost another 50 ms). gdb: no auto-loaded scripts and no debuginfod, the same
 * stacks ~0.15 s sooner, and nothing tries the network.
 */
export function stackToolArguments(tool: StackTool, pid: number): string[] {
  if (tool.name === 'eu-stack') return ['-p', String(pid), '-m'];
  return ['-nx', '-batch', '-iex', 'set auto-load no', '-iex', 'set debuginfod enabled off', '-p', String(pid), '-ex', 'set pagination off', '-ex', 'thread apply all bt'];
}

/** How long a stack tool may take before it is killed and the report goes on without its stacks, ms. */
export const NATIVE_STACK_TIMEOUT_MS = 5000;

const MAX_LINES = 200;
/** Frames shown per thread other than the main one. */
const OTHER_THREAD_FRAMES = 8;

interface ThreadStack {
  header: string;
  frames: string[];
  main: boolean;
}

/** A thread's name, as the kernel has it (what gdb prints); empty once the process is gone. */
function threadName(pid: number, tid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The threads and frames of either tool's output; each frame condensed to `#N   function [from library]`. */
function parseStacks(output: string, pid: number): ThreadStack[] {
  const threads: ThreadStack[] = [];
  const thread = (tid: number, name: string): void => {
    threads.push({ header: `LWP ${tid}${name ? ` "${name}"` : ''}`, frames: [], main: tid === pid });
  };
  let condense = condenseGdbFrame;
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    const gdbHeader = /^Thread (\d+) \(.*?LWP (\d+)\)(?: "([^"]*)")?/.exec(line);
    const euHeader = /^TID (\d+):$/.exec(line);
    if (gdbHeader) {
      thread(Number(gdbHeader[2]), gdbHeader[3] ?? '');
      condense = condenseGdbFrame;
    } else if (euHeader) {
      thread(Number(euHeader[1]), threadName(pid, Number(euHeader[1])));
      condense = condenseEuStackFrame;
    } else if (/^#\d+/.test(line) && threads.length > 0) {
      threads[threads.length - 1].frames.push(condense(line));
    }
  }
  return threads;
}

/**
 * Keep what a reader needs: the main thread (LWP = pid, where the example runs) first and in full, runs of
 * JIT frames (`??`, `Builtins_…`) folded into one line, argument lists dropped, and threads with the same
 * stack (libuv's pool, BLAS threads) listed once. `output`: eu-stack's or gdb's.
 */
export function condenseNativeStack(output: string, pid: number): string | undefined {
  const threads = parseStacks(output, pid);
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

/** "#3  0x00007f… dgemm_kernel - /usr/lib/…/libopenblas.so.0"; no name: JIT code. */
function condenseEuStackFrame(line: string): string {
  const match = /^(#\d+)\s+0x[0-9a-f]+(?: (?!- )(.+?))?(?: - (\S+))?$/.exec(line);
  if (!match) return line;
  const [, number, fn, module] = match;
  // The executable's own frames carry no "from", as in gdb's output.
  const library = module && /\.so(\.|$)|\.node$/.test(module) ? ` from ${module}` : '';
  return `${number.padEnd(4)} ${fn ?? '??'}${library}`;
}

/** "#3  0x00007f… in do_futex_wait (sem=…, abstime=0x0) at ./nptl/sem_waitcommon.c:111" */
function condenseGdbFrame(line: string): string {
  const match = /^(#\d+)\s+(?:0x[0-9a-f]+ in )?(.+?)(?: \((?:[^()]|\([^()]*\))*\))?(?: (at|from) (\S+))?$/.exec(line);
  if (!match) return line;
  const [, number, fn, kind, where] = match;
  return `${number.padEnd(4)} ${fn}${where ? ` ${kind} ${where}` : ''}`;
}

/**
 * All threads' native stacks of `pid`, or undefined when no tool is installed, it cannot attach, or it is
 * too slow. It forks (child_process): for another process only. A process that may have busy BLAS threads
 * asks through posix_spawn instead (runner/serial/watchdog-thread.ts).
 */
export function nativeStack(pid: number, timeoutMs = NATIVE_STACK_TIMEOUT_MS, tool = findStackTool()): Promise<string | undefined> {
  if (!tool) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(
      tool.path,
      stackToolArguments(tool, pid),
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (_error, stdout) => resolve(condenseNativeStack(String(stdout ?? ''), pid)),
    );
  });
}

/**
 * The main thread was in native code (a BLAS routine, a system call, an addon, the event loop) when its
 * stack was taken, not in JavaScript or V8 itself: its JavaScript stack cannot come while it stays there.
 */
export function inNativeCode(condensed: string): boolean {
  const top = /\[main thread\]:\n\s+(.*)/.exec(condensed)?.[1];
  if (!top || top.startsWith('…')) return false; // no stack, or JIT / interpreter frames on top
  const fn = top.replace(/^#\d+\s+/, '');
  return !(fn.startsWith('v8::') || fn.startsWith('Builtins_'));
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
