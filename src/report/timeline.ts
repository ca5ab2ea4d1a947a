// What `--html` draws beyond the results: when each file and example ran, on which lane (a worker slot, or
// the serial process), and each lane's memory over time. Recorded from the run's events as they arrive.
// An example's span is its end's arrival minus its own measured time, never earlier than the end of what
// ran before it on its lane: live, that is when it ran; replayed all at once (a --serial run the watchdog
// thread finishes from its journal), the lane is laid out from the measured times alone.
import type { FileSummary, Incident, RunEvents } from '../events.js';
import type { ExampleResult, SourceFile } from '../model.js';

export interface FileSpan {
  lane: number;
  start: number;
  end?: number;
}

/** Memory samples of one lane: times (ms since the run started) and RSS in bytes. */
export interface MemoryTrack {
  t: number[];
  rss: number[];
}

/** Keep a sample when this long has passed since the lane's last kept one, or the RSS moved by this much. */
const SAMPLE_MS = 500;
const SAMPLE_BYTES = 4 * 1024 * 1024;

export class TimelineRecorder implements RunEvents {
  readonly files = new Map<SourceFile, FileSpan>();
  /** Per file, per example index: [start, end] in ms since the run started. */
  readonly spans = new Map<SourceFile, Map<number, [number, number]>>();
  /** When each incident was reported (ms since the run started). */
  readonly incidentTimes = new Map<Incident, number>();
  readonly tracks = new Map<number, MemoryTrack>();
  private readonly laneEnd = new Map<number, number>();

  constructor(
    private readonly startedAt: number,
    /** Sample this process's RSS on lane 0 as examples end (the serial process: the examples run here). */
    private readonly sampleSelf = false,
    private readonly now: () => number = Date.now,
  ) {}

  private at(): number {
    return Math.max(0, this.now() - this.startedAt);
  }

  fileStart(file: SourceFile, worker: number): void {
    const start = Math.max(this.at(), this.laneEnd.get(worker) ?? 0);
    this.files.set(file, { lane: worker, start });
    this.laneEnd.set(worker, start);
    this.spans.set(file, new Map());
  }

  exampleStart(): void {}

  exampleEnd(file: SourceFile, result: ExampleResult): void {
    const span = this.files.get(file);
    if (!span) return; // a file that never started: it has no place on the timeline
    if (result.status === 'passed' || result.status === 'failed') {
      const ms = result.time * 1000;
      const floor = this.laneEnd.get(span.lane) ?? span.start;
      const start = Math.max(floor, this.at() - ms);
      this.spans.get(file)!.set(result.index, [start, start + ms]);
      this.laneEnd.set(span.lane, start + ms);
    }
    if (this.sampleSelf && span.lane === 0) this.memory$(0, process.memoryUsage.rss());
  }

  incident(_file: SourceFile, incident: Incident): void {
    this.incidentTimes.set(incident, this.at());
  }

  warning(): void {}

  fileEnd(file: SourceFile, summary: FileSummary): void {
    const span = this.files.get(file);
    if (!span) return;
    // A file that never ran (the run stopped before it) has no place on the timeline.
    if (summary.time === 0 && this.spans.get(file)?.size === 0) {
      this.files.delete(file);
      return;
    }
    span.end = Math.max(this.laneEnd.get(span.lane) ?? span.start, Math.min(this.at(), span.start + summary.time * 1000));
    this.laneEnd.set(span.lane, span.end);
  }

  memory(worker: number, rss: number): void {
    this.memory$(worker, rss);
  }

  private memory$(worker: number, rss: number): void {
    let track = this.tracks.get(worker);
    if (!track) this.tracks.set(worker, (track = { t: [], rss: [] }));
    const t = this.at();
    const n = track.t.length;
    if (n > 0 && t - track.t[n - 1] < SAMPLE_MS && Math.abs(rss - track.rss[n - 1]) < SAMPLE_BYTES) return;
    track.t.push(t);
    track.rss.push(rss);
  }
}
