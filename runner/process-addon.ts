// The mtest_guard addon (native/guard): what mtest needs from the operating system and V8 that Node does not
// give. Loaded once per thread that asks; undefined when it has not been built (npm ci builds it), and
// every caller then has a plainer fallback.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { addonFile } from '../src/package-root.js';

export interface ProcessAddon {
  /** fn(arg), ended by `interrupt()` from another thread; returns `sentinel` when it was. */
  call(fn: (arg: unknown) => unknown, arg: unknown, sentinel: unknown): unknown;
  /** Terminate the guarded call in progress (any thread). */
  interrupt(): boolean;
  /** The kernel kills this process when `ppid` dies (PR_SET_PDEATHSIG). */
  dieWithParent(ppid: number): boolean;
  /** Count SIGINT, SIGTERM, SIGHUP before Node's own handler runs (call after listening for them). */
  watchSignals(): boolean;
  /** Watched signals so far. */
  signalCount(): number;
  /** posix_spawn (never fork) with stdout+stderr captured; status -1 when it was killed at the limit. */
  spawnCapture(argv: string[], timeoutMs: number): { status: number; output: string } | null;
  /** A private copy (close-on-exec, ≥ 10) of a descriptor; -1 on error. */
  dup(fd: number): number;
  /** Orphaned descendants are re-parented to this process (PR_SET_CHILD_SUBREAPER). */
  becomeSubreaper(): boolean;
  /** A fatal signal on the calling (main) thread parks it instead of ending the process (--serial). */
  watchCrashes(): boolean;
  /** The handlers from before watchCrashes() again. */
  unwatchCrashes(): boolean;
  /** The fatal signal that parked the main thread; 0 while none has. */
  crashed(): number;
  /** Set the umask from any thread (Node allows only the main one); returns the one before. */
  umask(mask: number): number;
  /** _exit(code), from any thread. */
  exitNow(code: number): never;
}

/** The built addon's path, if it has been built. */
export function processAddonPath(): string | undefined {
  const file = addonFile('mtest_guard');
  return existsSync(file) ? file : undefined;
}

let loaded: ProcessAddon | null | undefined;

export function processAddon(): ProcessAddon | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  const file = processAddonPath();
  if (file) {
    try {
      loaded = createRequire(import.meta.url)(file) as ProcessAddon;
    } catch {
      // an addon built for another Node: the fallbacks hold
    }
  }
  return loaded ?? undefined;
}
