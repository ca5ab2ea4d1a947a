// Writer side of the worker's records: synchronous write(2), so a record that returns has left the process
// and survives its death a moment later.
import { Buffer } from 'node:buffer';
import { encodeRecord, RECORD_MARK, type ResultRecord } from '../protocol.js';
import { writeFully } from '../../src/util/descriptor-write.js';

const RING = Buffer.from('\n');
const RESOLVED = Promise.resolve();

export class RecordWriter {
  /** Per descriptor: one that failed (closed by an example, or the parent gone) is not written again. */
  private readonly broken = new Set<number>();
  private pending = '';
  private flushQueued = false;
  /** What starts each record: the run's marker and this worker's key (setKey). */
  private mark = RECORD_MARK;

  /** `doorbellFd`: a pipe to write one byte to after a record the parent must read at once (`ring`). */
  constructor(
    private readonly fd: number,
    private readonly doorbellFd?: number,
  ) {}

  /** Records carry `mark` from now on (the parent's key, before the first record). */
  setMark(mark: string): void {
    this.mark = mark;
  }

  /** Write one record now (with any deferred ones before it, in the same system call). */
  write(record: ResultRecord): void {
    const text = this.pending + encodeRecord(record, this.mark);
    this.pending = '';
    this.writeAll(this.fd, Buffer.from(text, 'utf8'));
  }

  /** Write one record and wake the parent for it. */
  ring(record: ResultRecord): void {
    this.write(record);
    if (this.doorbellFd !== undefined) this.writeAll(this.doorbellFd, RING);
  }

  /**
   * Write a record with the next `write`, or at the end of this tick at the latest. A result is followed
   * at once by the next example's start record: sent together they cost one system call, not two, and the
   * result still leaves the process before any code of the next example runs.
   */
  defer(record: ResultRecord): void {
    this.pending += encodeRecord(record, this.mark);
    if (this.flushQueued) return;
    this.flushQueued = true;
    // A plain promise job: queueMicrotask would wrap every call in an AsyncResource (measurable per example).
    RESOLVED.then(this.flushDeferred);
  }

  private readonly flushDeferred = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  /** Write what was deferred (also called on the way out of the process). */
  flush(): void {
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    this.writeAll(this.fd, Buffer.from(text, 'utf8'));
  }

  /** Never throws: a parent that went away must not turn into an example failure. */
  private writeAll(fd: number, data: Buffer): void {
    // EPIPE / EBADF: the parent is gone, and the kernel ends this worker with it.
    if (!this.broken.has(fd) && !writeFully(fd, data)) this.broken.add(fd);
  }
}
