// Synchronous write(2)s to a descriptor (mtest's report, a worker's records), so that what was written is out
// of the process when the call returns. A stream's write is not: Node queues what a full pipe does not
// take, and process.exit drops the queue (a slow reader got 64–128 KB of a 134 KB listing); a process whose
// main thread is stuck never writes its queue at all. A full non-blocking pipe is waited for, a reader that
// went away (EPIPE) ends the writing but never the run, and its exit status stays the run's own.
import { Buffer } from 'node:buffer';
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';

const pause = new Int32Array(new SharedArrayBuffer(4));

export class DescriptorWriter {
  /** The reader went away or the descriptor is unusable: what follows is dropped. */
  gone = false;

  constructor(readonly fd: number) {}

  get isTTY(): boolean {
    return !this.gone && isatty(this.fd);
  }

  write(text: string): void {
    if (this.gone || text.length === 0) return;
    if (!writeFully(this.fd, Buffer.from(text, 'utf8'))) this.gone = true;
  }
}

/**
 * Write all of `data` to `fd` before returning: a full non-blocking pipe is waited for, however slow its
 * reader. False when the descriptor is unusable (EPIPE, EBADF, ENOSPC…).
 */
export function writeFully(fd: number, data: Buffer): boolean {
  let offset = 0;
  let waited = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset, data.length - offset);
      waited = 0;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EINTR') {
        Atomics.wait(pause, 0, 0, Math.min(50, 1 + waited++));
        continue;
      }
      return false;
    }
  }
  return true;
}
