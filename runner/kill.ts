// Killing a worker and everything it started: SIGTERM to the whole tree, SIGKILL to what is still alive 2 s
// later. The tree is snapshotted before the first signal, because once the worker is dead its children are
// re-parented and can no longer be found through it. Only PIDs found under a PID we started are signalled,
// each checked against its start time so a reused PID is never hit.
import { hasProc, processTree, readProcess } from './diagnosis/process-tree.js';

export const KILL_GRACE_MS = 2000;

interface Target {
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

function signal(target: Target, sig: NodeJS.Signals): void {
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
 * SIGTERM `rootPid` and its descendants; SIGKILL the survivors (and anything they started meanwhile) after
 * `graceMs`. Resolves when every process of the tree is gone (or after a last second of waiting).
 */
export async function killTree(rootPid: number, graceMs = KILL_GRACE_MS): Promise<void> {
  if (!hasProc) return killWithTreeKill(rootPid, graceMs);
  const known = new Map<number, Target>();
  const collect = (pid: number): void => {
    for (const { info } of processTree(pid)) known.set(info.pid, { pid: info.pid, startTicks: info.startTicks });
  };
  collect(rootPid);
  if (known.size === 0) return;
  // Children first: a parent that dies first could have its children re-parented before they are signalled.
  for (const target of [...known.values()].reverse()) signal(target, 'SIGTERM');
  const alive = (): Target[] => [...known.values()].filter((t) => isAlive(t.pid, t.startTicks));
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (alive().length === 0) return;
    await sleep(25);
  }
  // Anything a survivor started during the grace period goes too.
  for (const target of alive()) collect(target.pid);
  for (const target of alive()) signal(target, 'SIGKILL');
  const last = Date.now() + 1000;
  while (Date.now() < last && alive().length > 0) await sleep(10);
}

/** Synchronous SIGKILL of a tree: for exit paths where nothing asynchronous runs any more. */
export function killTreeNow(rootPid: number, includeRoot = true): void {
  const tree = processTree(rootPid);
  for (const { info } of tree.reverse()) {
    if (!includeRoot && info.pid === rootPid) continue;
    signal({ pid: info.pid, startTicks: info.startTicks }, 'SIGKILL');
  }
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
