// A process and its descendants, read from /proc (works while the process is stuck; no `ps` needed), with
// `ps` as the fallback elsewhere. Used for the report (what the example had started) and for killing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Kernel state letter: R, S, D, Z, T… */
  state: string;
  /** Start time in clock ticks since boot: with the pid, identifies the process (pids are reused). */
  startTicks: number;
  rssBytes: number;
  args: string;
}

const CLOCK_TICKS = 100; // USER_HZ on every Linux Node supports
const PAGE_BYTES = 4096;

export const hasProc = fs.existsSync('/proc/self/stat');

/** Parse /proc/PID/stat; the command name is in parentheses and may itself contain spaces and ')'. */
export function readProcess(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); ppid is field 4, starttime field 22, rss (pages) field 24.
  let args = comm;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    if (cmdline) args = cmdline;
  } catch {
    // exited meanwhile
  }
  return {
    pid,
    ppid: Number(fields[1]),
    state: fields[0],
    startTicks: Number(fields[19]),
    rssBytes: Number(fields[21]) * PAGE_BYTES,
    args,
  };
}

function allProcesses(): ProcessInfo[] {
  if (!hasProc) return psProcesses();
  const list: ProcessInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProcess(Number(name));
    if (info) list.push(info);
  }
  return list;
}

function psProcesses(): ProcessInfo[] {
  try {
    const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,state=,rss=,args='], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [pid, ppid, state, rss, ...args] = line.trim().split(/\s+/);
        return { pid: Number(pid), ppid: Number(ppid), state, startTicks: 0, rssBytes: Number(rss) * 1024, args: args.join(' ') };
      });
  } catch {
    return [];
  }
}

/** Linux keeps each thread's children in /proc/PID/task/TID/children: a tree is read without a scan of /proc. */
export const hasChildrenFiles = hasProc && fs.existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

/**
 * The PIDs of `pid`'s children (every thread's), from /proc/PID/task/*\/children. `mainOnly`: only those
 * its main thread started (Node starts child processes from the main thread; a cheap first look).
 */
export function childPids(pid: number, mainOnly = false): number[] {
  if (mainOnly) return readChildren(`/proc/${pid}/task/${pid}/children`);
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const task of tasks) out.push(...readChildren(`/proc/${pid}/task/${task}/children`));
  return out;
}

function readChildren(file: string): number[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const word of text.split(' ')) if (word) out.push(Number(word));
  return out;
}


/** The process and all its living descendants, parents before children (depth-first, with depth). */
export function processTree(rootPid: number): { info: ProcessInfo; depth: number }[] {
  if (hasChildrenFiles) {
    const out: { info: ProcessInfo; depth: number }[] = [];
    const visit = (pid: number, depth: number): void => {
      const info = readProcess(pid);
      if (!info) return;
      out.push({ info, depth });
      for (const child of childPids(pid)) if (child !== pid) visit(child, depth + 1);
    };
    visit(rootPid, 0);
    return out;
  }
  const all = allProcesses();
  const children = new Map<number, ProcessInfo[]>();
  let root: ProcessInfo | undefined;
  for (const info of all) {
    if (info.pid === rootPid) root = info;
    const siblings = children.get(info.ppid);
    if (siblings) siblings.push(info);
    else children.set(info.ppid, [info]);
  }
  if (!root) return [];
  const out: { info: ProcessInfo; depth: number }[] = [];
  const visit = (info: ProcessInfo, depth: number): void => {
    out.push({ info, depth });
    for (const child of children.get(info.pid) ?? []) if (child.pid !== info.pid) visit(child, depth + 1);
  };
  visit(root, 0);
  return out;
}

function uptimeSeconds(): number {
  try {
    return Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** `ps`-style text: PID PPID ELAPSED RSS COMMAND, children indented under their parent. */
export function formatProcessTree(rootPid: number): string | undefined {
  const tree = processTree(rootPid);
  if (tree.length === 0) return undefined;
  const uptime = uptimeSeconds();
  const lines = ['    PID    PPID  ELAPSED      RSS  COMMAND'];
  for (const { info, depth } of tree) {
    const elapsed = info.startTicks && uptime ? formatElapsed(uptime - info.startTicks / CLOCK_TICKS) : '';
    const rss = `${(info.rssBytes / 1048576).toFixed(0)} MB`;
    const args = info.args.length > 160 ? info.args.slice(0, 157) + '...' : info.args;
    lines.push(
      `${String(info.pid).padStart(7)} ${String(info.ppid).padStart(7)} ${elapsed.padStart(8)} ${rss.padStart(8)}  ${'  '.repeat(depth)}${args}${info.state === 'Z' ? ' <defunct>' : ''}`,
    );
  }
  return lines.join('\n');
}
