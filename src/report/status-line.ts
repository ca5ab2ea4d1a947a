// The live status line on a terminal: files done/total and, for every worker, the file and line it
// is running now and for how long — so a hang is visible while it happens, not only in the report after.
// It is a reporter like any other: it only consumes RunEvents and never looks into the runner. Redrawn at
// most 4 times a second (a timer also keeps the seconds counting while nothing happens), and cleared
// before any other output line: route the other reporters' output through `wrap`.
import type { FileSummary, RunEvents } from '../events.js';
import { exampleAt, exampleWhere, type SourceFile } from '../model.js';
import { printable } from './format.js';

export interface StatusStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

interface WorkerState {
  path: string;
  /** `:41` after the path, or ` cell 7, line 1` in a notebook. */
  where?: string;
  since: number;
}

const ERASE = '\r\x1b[2K';

export class StatusLine implements RunEvents {
  private readonly workers = new Map<number, WorkerState>();
  private done = 0;
  private shown = false;
  private lastDraw = 0;
  private timer?: NodeJS.Timeout;
  private pending?: NodeJS.Timeout;

  constructor(
    private readonly totalFiles: number,
    private readonly stream: StatusStream = process.stderr,
    private readonly intervalMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  /** A status line only makes sense on a terminal. */
  static wanted(stream: StatusStream = process.stderr): boolean {
    return Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
  }

  fileStart(file: SourceFile, worker: number): void {
    this.workers.set(worker, { path: file.path, since: this.now() });
    this.timer ??= setInterval(() => this.draw(), this.intervalMs).unref();
    this.changed();
  }

  exampleStart(file: SourceFile, index: number, worker: number): void {
    const example = exampleAt(file, index);
    const where = example && (example.cell === undefined ? `:${example.line}` : ` ${exampleWhere(example)}`);
    this.workers.set(worker, { path: file.path, where, since: this.now() });
    this.changed();
  }

  exampleEnd(): void {}
  incident(): void {}
  warning(): void {}

  fileEnd(_file: SourceFile, summary: FileSummary): void {
    this.done++;
    this.workers.delete(summary.worker);
    this.changed();
  }

  /** The text of the line (without terminal control), cut to the terminal's width. */
  text(): string {
    const now = this.now();
    const parts = [`[${this.done}/${this.totalFiles} files]`];
    for (const [worker, state] of [...this.workers].sort((a, b) => a[0] - b[0])) {
      const where = printable(state.path) + (state.where ?? '');
      parts.push(`w${worker} ${where} ${((now - state.since) / 1000).toFixed(0)} s`);
    }
    const text = parts.join('  ');
    const width = (this.stream.columns ?? 80) - 1;
    return text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text;
  }

  /** Erase the line (before other output, and at the end). */
  clear(): void {
    if (!this.shown) return;
    this.stream.write(ERASE);
    this.shown = false;
  }

  /** A writer for other output: clears the line first, and lets it reappear on the next redraw. */
  wrap(write: (text: string) => void): (text: string) => void {
    return (text) => {
      this.clear();
      write(text);
    };
  }

  /** The run is over: stop redrawing and leave no trace. */
  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.pending);
    this.timer = undefined;
    this.clear();
  }

  private changed(): void {
    const wait = this.lastDraw + this.intervalMs - this.now();
    if (wait <= 0) this.draw();
    else this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.draw();
    }, wait).unref();
  }

  private draw(): void {
    if (!this.timer) return; // stopped
    this.lastDraw = this.now();
    this.stream.write(ERASE + this.text());
    this.shown = true;
  }
}
