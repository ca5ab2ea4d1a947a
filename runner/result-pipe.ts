// Writer side of a record pipe: one synchronous write(2) per record, so a record that returns has left the
// process and survives its death a moment later; and it works from any thread, even while the main thread
// of the process is stuck (the watchdog thread writes its own pipe).
import fs from 'node:fs';
import { encodeRecord, type AnyRecord } from './protocol.js';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export class ResultPipe {
  private broken = false;

  constructor(private readonly fd: number) {}

  /** Write one record; never throws (a parent that went away must not turn into an example failure). */
  write(record: AnyRecord): void {
    if (this.broken) return;
    const data = Buffer.from(encodeRecord(record), 'utf8');
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
