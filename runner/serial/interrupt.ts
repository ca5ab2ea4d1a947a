// Interrupting a synchronous example past its time limit inside this process (--serial).
//
// Preferred: the mtest_guard addon. A guarded call costs a native call; the process's watchdog thread
// (watchdog.ts, which already watches every example's deadline) calls the addon's `interrupt()` when the
// limit passes, which terminates the guarded call and nothing else. Fallback, when the addon is not
// built: vm's `timeout`, correct but it starts a thread for every example.
import vm from 'node:vm';
import { INTERRUPTED, type SyncGuard } from '../../src/execute/index.js';
import { processAddon, processAddonPath, type ProcessAddon } from '../process-addon.js';

/** Runs the call under the addon; the watchdog thread interrupts it (the limit is the watchdog's). */
export class AddonGuard implements SyncGuard {
  constructor(
    private readonly addon: ProcessAddon,
    readonly addonPath: string,
  ) {}

  /** `limitMs` is the watchdog's business here (it knows each example's limit from the heartbeat). */
  call(fn: (ns: Record<string, unknown>) => unknown, ns: Record<string, unknown>, _limitMs?: number): unknown {
    return this.addon.call(fn as (arg: unknown) => unknown, ns, INTERRUPTED);
  }

  /** Terminate the guarded call in progress (from any thread; the watchdog's is the one that does). */
  interrupt(): boolean {
    return this.addon.interrupt();
  }
}

/** The fallback when the addon is not built: enforces the limit itself. */
export class VmGuard implements SyncGuard {
  private readonly script = new vm.Script('globalThis.__mtest$guarded()');

  call(fn: (ns: Record<string, unknown>) => unknown, ns: Record<string, unknown>, limitMs: number): unknown {
    if (limitMs <= 0) return fn(ns);
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

/**
 * The guard for this process: the addon's when it is built (then the watchdog must be started with its
 * `addonPath`), else the vm fallback.
 */
export function syncGuard(): AddonGuard | VmGuard {
  const addon = processAddon();
  const file = processAddonPath();
  return addon && file ? new AddonGuard(addon, file) : new VmGuard();
}
