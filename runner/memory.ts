// Memory of a worker as the parent sees it: RSS read from /proc/PID/status, which answers even while the
// worker's main thread is stuck.
import fs from 'node:fs';

/** Resident set size of `pid` in bytes, or undefined when it cannot be read (exited, no /proc). */
export function rssOf(pid: number): number | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** `3.1 GB`, `412 MB`, `96 kB`. */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (abs >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
  return `${(bytes / 1024).toFixed(0)} kB`;
}

export const MB = 1024 * 1024;
