// Interrupting a synchronous example past its time limit inside this process (--serial).
//
// Preferred: the mtest_guard addon plus one long-lived watchdog thread that polls a SharedArrayBuffer
// (current call, deadline) and asks the addon to terminate the guarded call when it is late. Per example
// this costs two stores and a native call. Fallback, when the addon is not built: vm's `timeout`, correct
// but it starts a thread for every example.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { INTERRUPTED, type SyncGuard } from '../src/execute/index.js';

interface GuardAddon {
  call(fn: (arg: unknown) => unknown, arg: unknown, sentinel: unknown): unknown;
  interrupt(): boolean;
}

/** The project root: the nearest directory above this module that has a build/ folder next to package.json. */
function addonPath(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'build', 'Release', 'mtest_guard.node');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

// Slot 0: id of the guarded call in progress (0 = none). Slot 1 (float64 at byte 8): its deadline, ms epoch.
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const guard = require(workerData.addon);
const ids = new Int32Array(workerData.buffer, 0, 2);
const deadline = new Float64Array(workerData.buffer, 8, 1);
for (;;) {
  Atomics.wait(ids, 1, 0, workerData.pollMs);
  const id = Atomics.load(ids, 0);
  if (id !== 0 && Date.now() > deadline[0] && Atomics.load(ids, 0) === id) guard.interrupt();
}
`;

class AddonGuard implements SyncGuard {
  private readonly ids: Int32Array;
  private readonly deadline: Float64Array;
  private next = 1;

  constructor(
    private readonly addon: GuardAddon,
    file: string,
    pollMs: number,
  ) {
    const buffer = new SharedArrayBuffer(16);
    this.ids = new Int32Array(buffer, 0, 2);
    this.deadline = new Float64Array(buffer, 8, 1);
    const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { buffer, addon: file, pollMs } });
    worker.unref();
  }

  call(fn: (ns: Record<string, unknown>) => unknown, ns: Record<string, unknown>, limitMs: number): unknown {
    const id = this.next++ & 0x7fffffff || (this.next = 2, 1);
    this.deadline[0] = Date.now() + limitMs;
    Atomics.store(this.ids, 0, id);
    try {
      return this.addon.call(fn as (arg: unknown) => unknown, ns, INTERRUPTED);
    } finally {
      Atomics.store(this.ids, 0, 0);
    }
  }
}

/** The fallback when the addon is not built (exported for its test). */
export class VmGuard implements SyncGuard {
  private readonly script = new vm.Script('globalThis.__mtest$guarded()');

  call(fn: (ns: Record<string, unknown>) => unknown, ns: Record<string, unknown>, limitMs: number): unknown {
    const g = globalThis as Record<string, unknown>;
    g.__mtest$guarded = () => fn(ns);
    try {
      return this.script.runInThisContext({ timeout: limitMs });
    } catch (err) {
      if ((err as { code?: string })?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return INTERRUPTED;
      throw err;
    } finally {
      g.__mtest$guarded = undefined;
    }
  }
}

let shared: SyncGuard | undefined;

/** The process-wide guard (one watchdog thread, started on first use). */
export function syncGuard(pollMs = 20): SyncGuard {
  if (shared) return shared;
  const file = addonPath();
  if (file) {
    try {
      const addon = createRequire(import.meta.url)(file) as GuardAddon;
      shared = new AddonGuard(addon, file, pollMs);
      return shared;
    } catch {
      // fall through to the vm guard
    }
  }
  shared = new VmGuard();
  return shared;
}
