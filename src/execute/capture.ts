// Collects what an example writes through console.* / process.stdout / process.stderr, in order.
// The global console writes through the stream objects' `write`, so replacing `write` on the two streams
// is enough. Output written by native code straight to file descriptors is not seen here.
//
// Bounded: an example printing hundreds of megabytes must neither exhaust the string length limit (the
// capture and the run used to fail with "Invalid string length") nor land whole in the report. Past
// KEEP characters only the head and the tail are kept, with how much was left out between them; past
// OUTPUT_LIMIT every further write throws, which stops the example at the output limit.
import { Buffer } from 'node:buffer';
import { leftOut } from '../display.js';
import { OUTPUT_LIMIT } from '../incidents.js';

type Write = typeof process.stdout.write;

/** Characters kept whole; more is cut to its first and last KEEP / 2. */
export const KEEP = 1 << 20;

export class OutputLimitError extends Error {
  constructor(readonly written: number) {
    super('output limit exceeded');
    this.name = 'OutputLimit';
  }
}


export class OutputCapture {
  private head: string[] = [];
  private headLength = 0;
  private tail: string[] = [];
  private tailLength = 0;
  /** Characters written since start(). */
  written = 0;
  private saved: { out: Write; err: Write } | null = null;

  start(): void {
    if (this.saved) return;
    this.reset();
    const out = process.stdout.write;
    const err = process.stderr.write;
    this.saved = { out, err };
    const collect = ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      if (this.written + text.length > OUTPUT_LIMIT) {
        this.written += text.length;
        throw new OutputLimitError(this.written);
      }
      this.add(text);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as Write;
    process.stdout.write = collect;
    process.stderr.write = collect;
  }

  /** Stop capturing and return what was written since start() (bounded). */
  stop(): string {
    if (this.saved) {
      process.stdout.write = this.saved.out;
      process.stderr.write = this.saved.err;
      this.saved = null;
    }
    const head = this.head.join('');
    const text = this.tailLength === 0 ? head : `${head}${leftOut(this.written - this.headLength - this.tailLength)}${this.tail.join('')}`;
    this.reset(false);
    return text;
  }

  /** The output went past OUTPUT_LIMIT (valid until the next start). */
  get overLimit(): boolean {
    return this.written > OUTPUT_LIMIT;
  }

  private add(text: string): void {
    this.written += text.length;
    const half = KEEP / 2;
    if (this.tailLength === 0 && this.headLength + text.length <= KEEP) {
      this.head.push(text);
      this.headLength += text.length;
      return;
    }
    if (this.tailLength === 0) {
      // The head becomes its first half; the rest starts the tail.
      const head = this.head.join('') + text;
      this.head = [head.slice(0, half)];
      this.headLength = half;
      this.tail = [head.slice(half)];
      this.tailLength = head.length - half;
    } else {
      this.tail.push(text);
      this.tailLength += text.length;
    }
    if (this.tailLength > 2 * half) {
      const tail = this.tail.join('').slice(-half);
      this.tail = [tail];
      this.tailLength = tail.length;
    }
  }

  private reset(all = true): void {
    this.head = [];
    this.headLength = 0;
    this.tail = [];
    this.tailLength = 0;
    if (all) this.written = 0;
  }
}
