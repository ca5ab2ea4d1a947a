// Memory of a worker as the parent sees it: RSS read from /proc, which answers even while the worker's main
// thread is stuck.
import fs from 'node:fs';
export { formatBytes, MB } from '../src/incidents.js';

/**
 * Resident set size of one process, read from /proc/PID/statm (one line of page counts) through a
 * descriptor kept open: ~2 µs a read, where opening and reading /proc/PID/status took ~20 µs, and
 * the pool reads it after every file and every 100 ms while one runs. Once the process is gone its entry
 * answers with an error, never with another process's numbers.
 */
export class RssReader {
  private fd?: number;
  private readonly buffer = Buffer.alloc(128);

  constructor(pid: number) {
    try {
      this.fd = fs.openSync(`/proc/${pid}/statm`, 'r');
    } catch {
      this.fd = undefined; // no /proc, or already gone
    }
  }

  /** Bytes, or undefined when it cannot be read (the process exited, no /proc). */
  read(): number | undefined {
    if (this.fd === undefined) return undefined;
    try {
      const n = fs.readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
      const resident = Number(this.buffer.toString('latin1', 0, n).split(' ', 2)[1]);
      return Number.isFinite(resident) ? resident * pageSize() : undefined;
    } catch {
      return undefined;
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

let page: number | undefined;

/**
 * The kernel's page size (4 kB on x86-64; 16 or 64 kB on some arm64 kernels). Node does not expose it, so it
 * is read off this process: its RSS in bytes (process.memoryUsage) over its RSS in pages, rounded to the
 * nearest power of two.
 */
function pageSize(): number {
  if (page === undefined) {
    let pages = NaN;
    try {
      pages = Number(fs.readFileSync('/proc/self/statm', 'latin1').split(' ', 2)[1]);
    } catch {
      // no /proc: there is nothing to scale either
    }
    const ratio = process.memoryUsage.rss() / pages;
    page = Number.isFinite(ratio) && ratio > 0 ? 2 ** Math.round(Math.log2(ratio)) : 4096;
  }
  return page;
}

/** `3.1 GB`, `412 MB`, `96 kB`. */
