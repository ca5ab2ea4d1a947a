// The last bytes a worker wrote straight to its stdout/stderr (native code, a crash message, V8's
// out-of-memory banner): kept for crash and timeout reports, everything older is dropped, so 10 MB of
// output costs 64 KB of memory.

export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 64 * 1024) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.limit) this.size -= this.chunks.shift()!.length;
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
  }

  /** The last `max` bytes as text (a cut UTF-8 sequence at the start is dropped by the decoder). */
  text(max = 8 * 1024): string {
    const all = Buffer.concat(this.chunks);
    const start = Math.max(0, all.length - max);
    const text = all.subarray(start).toString('utf8');
    return start > 0 ? `[… ${start} earlier bytes]\n${text.replace(/^\uFFFD+/, '')}` : text;
  }
}
