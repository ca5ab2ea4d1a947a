// The diagnosis of a process that passed a limit, in one place for both modes: its JavaScript stack when
// the inspector answers, else its native stack, whether that shows it idle (waiting in its event loop),
// and its process tree. How the stacks are taken differs — a worker's through its inspector port and
// eu-stack/gdb run by the parent, the --serial process's own from its watchdog thread (inspector session
// to the main thread, the stack tool spawned without a fork) — so each mode hands in its takers.
import { inNativeCode, isIdle } from './native-stack.js';
import { formatProcessTree } from './process-tree.js';

export interface StackTakers {
  /** The process whose stacks and tree are taken. */
  pid: number;
  /** Starts the JavaScript stack (inspector); resolves undefined when it did not answer in its own wait. */
  js(): Promise<string | undefined>;
  /** Takes the native stack of every thread; absent when none may be taken (--no-gdb, no tool). */
  native?: () => Promise<string | undefined>;
  /**
   * When the native stack starts beside the JavaScript one if that has not answered yet, ms; undefined:
   * only once the JavaScript one has given up (a taker that blocks its thread must not run beside it).
   */
  nativeAfterMs?: number;
  /** The process is gone: no native stack can be had. */
  gone?: () => boolean;
}

export interface Diagnosis {
  jsStack?: string;
  nativeStack?: string;
  /** The main thread waits in its event loop: what the example awaits never comes (a native stack says so). */
  idle: boolean;
  processTree?: string;
}

/**
 * The stacks: the JavaScript one answers a thread running JavaScript within ~0.1 s. A native stack that
 * shows the main thread in native code ends the wait (no JavaScript stack can come from there); otherwise
 * the JavaScript one keeps its own wait, and the native one is the answer when it gives none.
 */
export async function takeStacks(takers: StackTakers): Promise<{ jsStack?: string; nativeStack?: string }> {
  const js = takers.js();
  const takeNative = takers.native;
  if (!takeNative) return { jsStack: await js };
  let jsStack: string | undefined;
  const jsAnswer = js.then((stack) => (jsStack = stack));
  const native = new Promise<string | undefined>((resolve) => {
    let started = false;
    const start = (): void => {
      if (started) return;
      started = true;
      clearTimeout(timer);
      if (jsStack || takers.gone?.()) return resolve(undefined);
      takeNative().then(resolve, () => resolve(undefined));
    };
    const timer = takers.nativeAfterMs === undefined ? undefined : setTimeout(start, takers.nativeAfterMs);
    void jsAnswer.then((stack) => (stack ? undefined : start()));
  });
  const stuckInNative = native.then((stack) => (stack && inNativeCode(stack) ? stack : new Promise<never>(() => {})));
  const first = await Promise.race<{ jsStack?: string; nativeStack?: string }>([jsAnswer.then((stack) => ({ jsStack: stack })), stuckInNative.then((stack) => ({ nativeStack: stack }))]);
  if (first.jsStack || first.nativeStack) return first;
  return { nativeStack: await native };
}

/** Stacks, idleness and process tree of a process that passed a limit. */
export async function diagnose(takers: StackTakers): Promise<Diagnosis> {
  const { jsStack, nativeStack } = await takeStacks(takers);
  return { jsStack, nativeStack, idle: !jsStack && nativeStack !== undefined && isIdle(nativeStack), processTree: formatProcessTree(takers.pid) };
}
