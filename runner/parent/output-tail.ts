// The last bytes a worker wrote straight to its stdout/stderr (native code, a crash message, V8's
// out-of-memory banner): kept for crash and timeout reports, everything older is dropped, so 10 MB of
// output costs 64 KB of memory.

export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes ever pushed: marks are positions in this count. */
  private total = 0;

  constructor(private readonly limit = 64 * 1024) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.total += chunk.length;
    while (this.size - this.chunks[0].length >= this.limit) this.size -= this.chunks.shift()!.length;
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
  }

  /** A position to ask `since` about later (e.g. when an example starts). */
  mark(): number {
    return this.total;
  }

  /** What was written after `mark`, as far as the tail still holds it ('' when nothing). */
  since(mark: number, max = 8 * 1024): string {
    const fresh = this.total - mark;
    if (fresh <= 0) return '';
    return this.text(Math.min(fresh, max));
  }

  /** The last `max` bytes as text (a cut UTF-8 sequence at the start is dropped by the decoder). */
  text(max = 8 * 1024): string {
    const all = Buffer.concat(this.chunks);
    const start = Math.max(0, all.length - max);
    const text = all.subarray(start).toString('utf8');
    return start > 0 ? `[… ${start} earlier bytes]\n${text.replace(/^\uFFFD+/, '')}` : text;
  }
}
