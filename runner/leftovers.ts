// What a file leaves running when its last example has ended — timers and intervals, child processes,
// servers and sockets — found after every file in the process that ran it (a worker, or mtest itself under
// --serial), reported as warnings that name the line that started each one, and closed before the next file
// runs. Left alone, a file's `setTimeout(() => process.exit(7), 300)` fired during the next file, which then
// got the blame, and a leftover interval that prints made the next file fail (Jest's --detectOpenHandles
// is the anchor). Timers, child processes and servers are noted when an example creates them: the global
// timer functions, ChildProcess.prototype.spawn (which spawn, exec, execFile and fork all go through) and
// net.Server.prototype.listen are wrapped for the life of the process; async_hooks would see more but cost
// ~2.5 µs per await. Sockets, and processes started some other way, are found at the end.
//
// The process itself is state a file can leave behind too: listeners on `process` (an 'exit' listener that
// sets process.exitCode = 0 turned a failing --serial run into exit 0; one that loops kept mtest from ever
// exiting), its working directory and its umask. Each file starts with those as mtest had them when it
// started: the listeners the examples added are removed after the file, mtest's own cannot be removed while
// it runs (process.removeAllListeners() took mtest's signal handling with it) and are put back if they were
// removed some other way, and the directory and umask are set back.
import { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { promisify } from 'node:util';
import { childPids, hasChildrenFiles, processTree, type ProcessInfo } from './diagnosis/process-tree.js';
import { freezeTrees, signalProcess } from './kill.js';

/** Processes left running that a file's warnings name one by one; the rest are counted. */
const REPORTED_PROCESSES = 5;

interface Noted<T> {
  what: T;
  index: number;
}

type TimerKind = 'setTimeout' | 'setInterval' | 'setImmediate';

/** One thing a file left running, and the example (flat index) that started it, when known. */
export interface Leftover {
  index?: number;
  message: string;
  /** It could not be closed: the process that ran the file should not be given another one. */
  unclosed?: boolean;
}

interface TimerLike {
  _destroyed?: boolean;
}

const CLEAR: Record<TimerKind, (timer: never) => void> = {
  setTimeout: clearTimeout as (timer: never) => void,
  setInterval: clearInterval as (timer: never) => void,
  setImmediate: clearImmediate as (timer: never) => void,
};

export class LeftoverTracker {
  private current = -1;
  private timers: Noted<{ kind: TimerKind; timer: TimerLike }>[] = [];
  private children: Noted<ChildProcess>[] = [];
  private servers: Noted<net.Server>[] = [];
  private closedOwn: Noted<number>[] = [];
  /** Descriptors open when the running file started (none between files). */
  private openAtFileStart = new Set<number>();
  private readonly baseline = new Set<object>(activeHandles());
  private installed = false;
  /** The working directory and umask this process started with: every file starts with them. */
  private readonly cwd = process.cwd();
  private readonly umask = process.umask();

  /** Wrap the timer functions and ChildProcess spawning (once per process). */
  install(): this {
    if (this.installed) return this;
    this.installed = true;
    for (const kind of Object.keys(CLEAR) as TimerKind[]) this.wrapTimer(kind);
    const proto = ChildProcess.prototype as unknown as { spawn: (...args: unknown[]) => unknown };
    const spawn = proto.spawn;
    const tracker = this;
    proto.spawn = function (this: ChildProcess, ...args: unknown[]) {
      const result = spawn.apply(this, args);
      if (tracker.current >= 0) tracker.children.push({ what: this, index: tracker.current });
      return result;
    };
    const server = net.Server.prototype as unknown as { listen: (...args: unknown[]) => unknown };
    const listen = server.listen;
    server.listen = function (this: net.Server, ...args: unknown[]) {
      if (tracker.current >= 0) {
        tracker.servers.push({ what: this, index: tracker.current });
        this.once('close', () => ((this as unknown as { _mtestClosed?: boolean })._mtestClosed = true));
      }
      return listen.apply(this, args);
    };
    // fs.close(1) would free descriptor 1 for the next file or socket opened, which Node then treats as
    // stdout (and aborts closing it); an example's close of 0, 1 or 2 is kept from happening and reported.
    // So is its close of any descriptor that was open when its file started: those are mtest's and Node's
    // (the event loop's epoll descriptor under --serial, whose close aborted mtest; a worker's command and
    // doorbell pipes and its record log), or an earlier file's.
    const fsModule = fs as unknown as Record<'close' | 'closeSync', (fd: number, ...rest: unknown[]) => unknown>;
    for (const name of ['close', 'closeSync'] as const) {
      const real = fsModule[name];
      fsModule[name] = function (fd: number, ...rest: unknown[]) {
        if (fd === 0 || fd === 1 || fd === 2 || tracker.openAtFileStart.has(fd)) {
          tracker.closedOwn.push({ what: fd, index: tracker.current });
          const callback = rest.find((r) => typeof r === 'function') as ((error: null) => void) | undefined;
          if (callback) queueMicrotask(() => callback(null));
          return undefined;
        }
        return real.call(this, fd, ...rest);
      };
    }
    // A number open when the file started may be closed without fs.close (a socket, a pipe, a child's
    // stdio) and handed out again: opened during the file, it names a new descriptor, which whoever opened
    // it may close (mtest's own /proc reads got such a number, and their close was refused).
    const opens = fs as unknown as Record<'open' | 'openSync', (...args: unknown[]) => unknown>;
    const realOpenSync = opens.openSync;
    opens.openSync = function (...args: unknown[]) {
      const fd = realOpenSync.apply(this, args);
      if (typeof fd === 'number') tracker.openAtFileStart.delete(fd);
      return fd;
    };
    const realOpen = opens.open;
    opens.open = function (...args: unknown[]) {
      const at = args.findIndex((a) => typeof a === 'function');
      if (at >= 0) {
        const callback = args[at] as (error: unknown, fd?: number) => void;
        args[at] = (error: unknown, fd?: number) => {
          if (!error && typeof fd === 'number') tracker.openAtFileStart.delete(fd);
          callback(error, fd);
        };
      }
      return realOpen.apply(this, args);
    };
    syncBuiltinESMExports();
    guardProcessListeners();
    return this;
  }

  /** Timers Node counts when a file starts (the host's own, under --serial in a test runner). */
  private timersBefore = 0;

  /** A file starts: what is pending now is not the file's. */
  fileStarted(): void {
    this.timersBefore = pendingTimers();
    protectedListeners = snapshotListeners();
    this.openAtFileStart = openDescriptors();
  }

  exampleStarted(index: number): void {
    this.current = index;
  }

  exampleEnded(): void {
    this.current = -1;
  }

  /** After a file: close everything it left running; each with the example that started it, when known. */
  sweep(): Leftover[] {
    const out: Leftover[] = [];
    for (const message of this.restoreProcess()) out.push({ message });
    this.openAtFileStart = new Set();
    for (const { what, index } of this.closedOwn) {
      const whose = what <= 2 ? ['stdin', 'stdout', 'stderr'][what] : 'open before its file started: mtest\'s own, or an earlier file\'s';
      out.push({ index: index >= 0 ? index : undefined, message: `the example closed descriptor ${what} (${whose}); mtest kept it open for the run` });
    }
    this.closedOwn = [];
    for (const { what, index } of this.timers) {
      if (what.timer._destroyed) continue;
      CLEAR[what.kind](what.timer as never);
      out.push({ index, message: `${what.kind === 'setInterval' ? 'an interval' : what.kind === 'setImmediate' ? 'an immediate' : 'a timer'} (${what.kind}) was still pending after the file; cleared` });
    }
    this.timers = [];
    // Processes: the children examples started (noted above), processes started some other way
    // (execSync('x &'), detached grandchildren), and orphans, whose parent already exited: this process is
    // their reaper. All are below its main thread (where Node starts processes, and where orphans are
    // given); they are stopped whole first (freezeTrees: a tree that keeps forking cannot outrun that),
    // then killed, so none is left to be re-parented to init.
    const below = freezeTrees(() => (hasChildrenFiles ? childPids(process.pid, true) : processTree(process.pid).slice(1).map(({ info }) => info.pid)));
    const noted = new Map(this.children.map((child) => [child.what.pid, child]));
    const others: ProcessInfo[] = [];
    for (const info of below) {
      if (info.ppid !== process.pid) continue;
      const child = noted.get(info.pid);
      if (!child) others.push(info);
      else if (child.what.exitCode === null && child.what.signalCode === null) {
        out.push({ index: child.index, message: `a child process (PID ${info.pid}: ${child.what.spawnargs.join(' ')}) was still running after the file; killed` });
      }
    }
    for (const info of others.slice(0, REPORTED_PROCESSES)) out.push({ message: `a process (PID ${info.pid}: ${info.args}) was still running after the file; killed` });
    if (others.length > REPORTED_PROCESSES) out.push({ message: `${others.length - REPORTED_PROCESSES} more processes were still running after the file; killed` });
    for (const info of below.reverse()) signalProcess(info, 'SIGKILL');
    this.children = [];
    const closed = new Set<object>();
    for (const { what, index } of this.servers) {
      const state = what as unknown as { _mtestClosed?: boolean };
      if (state._mtestClosed) continue;
      state._mtestClosed = true;
      closed.add(what);
      if (what.listening) what.close();
      // listen() may still be resolving its address: close it the moment it listens.
      else what.once('listening', () => what.close());
      out.push({ index, message: `a server${serverAddress(what)} was still listening after the file; closed` });
    }
    this.servers = [];
    // Timers set through node:timers itself (not the global functions) cannot be named or cleared: Node
    // only counts them. The process that ran this file should not run another one.
    const pending = pendingTimers() - this.timersBefore;
    if (pending > 0) {
      out.push({ message: `${pending === 1 ? 'a timer' : `${pending} timers`} mtest could not name (set through node:timers) ${pending === 1 ? 'was' : 'were'} still pending after the file`, unclosed: true });
    }
    for (const handle of activeHandles()) {
      // Sockets and servers an example opened; mtest's own (a worker's command pipe) are in the baseline.
      if (this.baseline.has(handle) || isStdio(handle) || closed.has(handle)) continue;
      if (handle instanceof net.Server) {
        handle.close();
        out.push({ message: `a server${serverAddress(handle)} was still listening after the file; closed` });
      } else if (handle instanceof net.Socket) {
        handle.destroy();
        out.push({ message: `a socket${handle.remoteAddress ? ` to ${handle.remoteAddress}:${handle.remotePort}` : ''} was still open after the file; closed` });
      }
    }
    return out;
  }

  /**
   * The examples' listeners on `process` removed, mtest's own put back, the working directory and umask set
   * back to this process's own; one message per change. Also for exit paths that end a file early.
   */
  restoreProcess(): string[] {
    const out: string[] = [];
    const own = protectedListeners;
    protectedListeners = undefined;
    if (own) {
      for (const event of process.eventNames()) {
        const kept = [...(own.get(event) ?? [])];
        for (const listener of process.rawListeners(event)) {
          const at = kept.indexOf(listener);
          if (at >= 0) {
            kept.splice(at, 1);
            continue;
          }
          removeListener.call(process, event, listener as Listener);
          out.push(`a process '${String(event)}' listener was still attached after the file; removed`);
        }
      }
      // Node's own newListener hook first: it is what starts listening for a signal again.
      const events = [...own.keys()].sort((a, b) => Number(b === 'newListener') - Number(a === 'newListener'));
      for (const event of events) {
        const now = process.rawListeners(event);
        for (const listener of own.get(event)!) {
          if (now.includes(listener)) continue;
          process.on(event, listener as Listener);
          out.push(`the example removed mtest's own process '${String(event)}' listener; put back`);
        }
      }
    }
    let cwd: string | undefined;
    try {
      cwd = process.cwd();
    } catch {
      // its directory was removed
    }
    if (cwd !== this.cwd) {
      try {
        process.chdir(this.cwd);
        out.push(`the example changed the working directory${cwd ? ` to ${cwd}` : ''}; changed back to ${this.cwd}`);
      } catch (error) {
        out.push(`the example changed the working directory, and mtest cannot change back to ${this.cwd}: ${(error as Error).message}`);
      }
    }
    const umask = process.umask(this.umask);
    if (umask !== this.umask) out.push(`the example set the umask to ${octal(umask)}; set back to ${octal(this.umask)}`);
    return out;
  }

  private wrapTimer(kind: TimerKind): void {
    const global = globalThis as unknown as Record<TimerKind, (...args: unknown[]) => TimerLike>;
    const real = global[kind];
    const tracker = this;
    const wrapped = function (this: unknown, ...args: unknown[]): TimerLike {
      const timer = real.apply(this, args);
      if (tracker.current >= 0) tracker.timers.push({ what: { kind, timer }, index: tracker.current });
      return timer;
    };
    // util.promisify(setTimeout) and friends keep working.
    const custom = (real as unknown as Record<symbol, unknown>)[promisify.custom];
    if (custom) Object.defineProperty(wrapped, promisify.custom, { value: custom });
    Object.defineProperty(wrapped, 'name', { value: kind });
    global[kind] = wrapped;
  }
}

/**
 * The descriptors this process has open (from /proc/self/fd, or /dev/fd where there is no /proc). The
 * listing names the descriptor it reads the directory through, closed by the time it returns: that number
 * is free again, and whoever opens it next (mtest reading /proc during an example) must be able to close it.
 */
function openDescriptors(): Set<number> {
  for (const dir of ['/proc/self/fd', '/dev/fd']) {
    let listed: number[];
    try {
      listed = fs.readdirSync(dir).map(Number);
    } catch {
      continue; // not this system's
    }
    return new Set(listed.filter((fd) => fd > 2 && isOpen(fd)));
  }
  return new Set();
}

function isOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** Timers and immediates Node keeps the process alive for. */
function pendingTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout' || kind === 'Immediate').length;
}

/** Node's list of live handles (sockets, servers, child processes); not timers. */
function activeHandles(): object[] {
  const list = (process as unknown as { _getActiveHandles?: () => object[] })._getActiveHandles;
  return typeof list === 'function' ? list.call(process) : [];
}

function serverAddress(server: net.Server): string {
  const address = server.address();
  return address && typeof address === 'object' ? ` on ${address.address}:${address.port}` : typeof address === 'string' ? ` on ${address}` : '';
}

function isStdio(handle: object): boolean {
  return (handle as { _isStdio?: boolean })._isStdio === true;
}

type Listener = (...args: unknown[]) => void;

const removeListener = EventEmitter.prototype.removeListener;

/** The listeners on `process` when the running file started (mtest's and Node's own); undefined between files. */
let protectedListeners: Map<string | symbol, Function[]> | undefined;

function snapshotListeners(): Map<string | symbol, Function[]> {
  return new Map(process.eventNames().map((event) => [event, process.rawListeners(event)]));
}

/** A once-listener's wrapper may remove itself (that is how it fires once); nothing else of mtest's goes. */
function isProtected(event: string | symbol, listener: Function): boolean {
  const own = protectedListeners?.get(event);
  if (own === undefined) return false;
  return own.some((raw) => {
    const wrapped = (raw as { listener?: Function }).listener;
    return wrapped === undefined ? raw === listener : wrapped === listener;
  });
}

let guarded = false;

/**
 * While a file runs, removing a listener from `process` removes only the examples' own: mtest's stop
 * signals, its exit and error handling, and Node's signal bookkeeping stay (once per process).
 */
function guardProcessListeners(): void {
  if (guarded) return;
  guarded = true;
  const removeAll = EventEmitter.prototype.removeAllListeners;
  const target = process as unknown as Record<'removeListener' | 'off' | 'removeAllListeners', unknown>;
  target.removeListener = target.off = function (this: NodeJS.Process, event: string | symbol, listener: Listener) {
    if (this === process && isProtected(event, listener)) return this;
    return removeListener.call(this, event, listener);
  };
  target.removeAllListeners = function (this: NodeJS.Process, ...args: [(string | symbol)?]) {
    if (this !== process || !protectedListeners) return removeAll.apply(this, args);
    const events = args.length > 0 ? [args[0] as string | symbol] : process.eventNames();
    for (const event of events) {
      for (const listener of process.rawListeners(event)) if (!isProtected(event, listener)) removeListener.call(process, event, listener as Listener);
    }
    return this;
  };
}

/** Remove one of mtest's own listeners from `process` while a file runs (the guard keeps examples from it). */
export function removeOwnListener(event: string | symbol, listener: Listener): void {
  removeListener.call(process, event, listener);
}

function octal(mask: number): string {
  return `0o${mask.toString(8).padStart(3, '0')}`;
}
