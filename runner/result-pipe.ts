// Writer side of a record pipe: synchronous write(2), so a record that returns has left the process and
// survives its death a moment later; and it works from any thread, even while the main thread of the
// process is stuck (the watchdog thread writes its own pipe).
import fs from 'node:fs';
import { encodeRecord, type AnyRecord } from './protocol.js';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export class ResultPipe {
  private broken = false;
  private pending = '';
  private flushQueued = false;

  constructor(private readonly fd: number) {}

  /** Write one record now (with any deferred ones before it, in the same system call). */
  write(record: AnyRecord): void {
    const text = this.pending + encodeRecord(record);
    this.pending = '';
    this.writeAll(text);
  }

  /**
   * Write a record with the next `write`, or at the end of this tick at the latest. A result is followed
   * at once by the next example's start record: sent together they cost one system call, not two, and the
   * result still leaves the process before any code of the next example runs.
   */
  defer(record: AnyRecord): void {
    this.pending += encodeRecord(record);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Write what was deferred (also called on the way out of the process). */
  flush(): void {
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    this.writeAll(text);
  }

  /** Never throws: a parent that went away must not turn into an example failure. */
  private writeAll(text: string): void {
    if (this.broken) return;
    const data = Buffer.from(text, 'utf8');
    let offset = 0;
    while (offset < data.length) {
      try {
        offset += fs.writeSync(this.fd, data, offset, data.length - offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // The fd is blocking in the worker, but be safe should an inherited one be non-blocking.
        if (code === 'EAGAIN' || code === 'EINTR') {
          Atomics.wait(sleepCell, 0, 0, 1);
          continue;
        }
        this.broken = true; // EPIPE / EBADF: the parent is gone; the worker will be reaped by its watchdog.
        return;
      }
    }
  }
}
