// Collects what an example writes through console.* / process.stdout / process.stderr, in order.
// The global console writes through the stream objects' `write`, so replacing `write` on the two streams
// is enough. Output written by native code straight to file descriptors is not seen here (SPEC §4).

type Write = typeof process.stdout.write;

export class OutputCapture {
  private chunks: string[] = [];
  private saved: { out: Write; err: Write } | null = null;

  start(): void {
    if (this.saved) return;
    this.chunks = [];
    const out = process.stdout.write;
    const err = process.stderr.write;
    this.saved = { out, err };
    const collect = ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
      this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as Write;
    process.stdout.write = collect;
    process.stderr.write = collect;
  }

  /** Stop capturing and return what was written since start(). */
  stop(): string {
    if (this.saved) {
      process.stdout.write = this.saved.out;
      process.stderr.write = this.saved.err;
      this.saved = null;
    }
    const text = this.chunks.join('');
    this.chunks = [];
    return text;
  }
}
