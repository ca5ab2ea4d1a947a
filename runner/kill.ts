// Killing a worker and everything it started: SIGTERM to the whole tree, SIGKILL to what is still alive 2 s
// later. The tree is first stopped (SIGSTOP) round after round until a round finds no process it had not
// stopped and every one it found is stopped: a stopped process cannot start another, so the set is then
// whole — a tree that keeps forking (a shell function that starts itself in the background) could
// otherwise outrun a single snapshot and leave processes behind. The root (a worker, the reaper of its
// orphans) stays stopped, and so alive, until its descendants are gone: orphans come to it, not to init.
// Only PIDs found under a PID we started are signalled, each checked against its start time so a reused PID
// is never hit.
import { hasProc, processTree, readProcess, type ProcessInfo } from './diagnosis/process-tree.js';

export const KILL_GRACE_MS = 2000;

/** How long stopping a tree that keeps forking may take before what was found is taken as the tree, ms. */
const FREEZE_MS = 3000;

export interface Target {
  pid: number;
  startTicks: number;
}

/** True while the process exists and is not a zombie (a zombie has exited; it only waits to be reaped). */
export function isAlive(pid: number, startTicks?: number): boolean {
  if (hasProc) {
    const info = readProcess(pid);
    if (!info || info.state === 'Z' || info.state === 'X') return false;
    return startTicks === undefined || startTicks === 0 || info.startTicks === startTicks;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signal a process found under one of ours, unless it has gone (or its PID is another process's now). */
export function signalProcess(target: Target, sig: NodeJS.Signals): void {
  if (!isAlive(target.pid, target.startTicks)) return;
  try {
    process.kill(target.pid, sig);
  } catch {
    // exited between the check and the signal
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The PIDs of `rootPid` and its descendants right now (root first). */
export function treePids(rootPid: number): number[] {
  return processTree(rootPid).map(({ info }) => info.pid);
}

/**
 * Stop (SIGSTOP) every process of the trees under `roots()` (asked again each round, since orphans may
 * arrive at a reaper) until a round finds none it had not stopped and each one found is stopped or gone.
 * Returns them, parents before children, with what /proc said of each when it was found.
 */
export function freezeTrees(roots: () => number[], limitMs = FREEZE_MS): ProcessInfo[] {
  const frozen = new Map<number, ProcessInfo>();
  const deadline = Date.now() + limitMs;
  for (;;) {
    let found = 0;
    let running = 0;
    for (const root of roots()) {
      for (const { info } of processTree(root)) {
        if (info.state === 'Z' || info.state === 'X') continue;
        if (!frozen.has(info.pid)) {
          frozen.set(info.pid, info);
          signalProcess({ pid: info.pid, startTicks: info.startTicks }, 'SIGSTOP');
          found++;
        } else if (info.state !== 'T' && info.state !== 't') {
          running++; // stopped, but not yet: it may still fork once
        }
      }
    }
    if ((found === 0 && running === 0) || Date.now() >= deadline) return [...frozen.values()];
  }
}

/**
 * SIGTERM `rootPid`'s descendants, then the root; SIGKILL the survivors (and anything they started
 * meanwhile) after `graceMs`. Resolves when every process of the tree is gone (or after a last second of
 * waiting).
 */
export async function killTree(rootPid: number, graceMs = KILL_GRACE_MS): Promise<void> {
  if (!hasProc) return killWithTreeKill(rootPid, graceMs);
  const known = new Map<number, Target>();
  const collect = (): void => {
    for (const info of freezeTrees(() => (isAlive(rootPid) ? [rootPid] : []))) known.set(info.pid, { pid: info.pid, startTicks: info.startTicks });
  };
  collect();
  if (known.size === 0) return;
  const root = known.get(rootPid);
  const descendants = (): Target[] => [...known.values()].filter((t) => t.pid !== rootPid && isAlive(t.pid, t.startTicks));
  // Each dies as it resumes, unless it handles SIGTERM; the root stays stopped meanwhile.
  for (const target of descendants().reverse()) {
    signalProcess(target, 'SIGTERM');
    signalProcess(target, 'SIGCONT');
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && descendants().length > 0) await sleep(25);
  // What survived the grace period, and anything it started during it.
  collect();
  for (const target of descendants()) signalProcess(target, 'SIGKILL');
  if (root) {
    signalProcess(root, 'SIGTERM');
    signalProcess(root, 'SIGCONT');
    while (Date.now() < deadline && isAlive(root.pid, root.startTicks)) await sleep(25);
    signalProcess(root, 'SIGKILL');
  }
  const alive = (): Target[] => [...known.values()].filter((t) => isAlive(t.pid, t.startTicks));
  const last = Date.now() + 1000;
  while (Date.now() < last && alive().length > 0) await sleep(10);
}

/** Synchronous SIGKILL of a tree, stopped whole first: for exit paths where nothing asynchronous runs any more. */
export function killTreeNow(rootPid: number, includeRoot = true): void {
  const roots = (): number[] => (includeRoot ? [rootPid] : processTree(rootPid).filter(({ depth }) => depth === 1).map(({ info }) => info.pid));
  for (const info of freezeTrees(roots).reverse()) signalProcess({ pid: info.pid, startTicks: info.startTicks }, 'SIGKILL');
}

/** Where /proc is missing (macOS): tree-kill, loaded only there. */
async function killWithTreeKill(rootPid: number, graceMs: number): Promise<void> {
  const { default: treeKill } = await import('tree-kill');
  return new Promise((resolve) => {
    treeKill(rootPid, 'SIGTERM', () => {
      setTimeout(() => {
        if (!isAlive(rootPid)) return resolve();
        treeKill(rootPid, 'SIGKILL', () => resolve());
      }, graceMs);
    });
  });
}
