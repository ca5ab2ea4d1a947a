// The --serial run's journal: every event the main thread reports, appended to shared memory as it
// happens (the files once at the start, then about one record per example, in the worker protocol's
// encoding). Nothing reads it while the run goes well. When the main thread cannot finish the run — stuck in
// native code past its limit, over its memory limit, interrupted while stuck, or idle with mtest's own
// promises never settling — the journal is replayed into a fresh report that then carries the run to its
// end (runner/serial/finish.ts), from the watchdog thread or from the main thread's last event.
import { Buffer } from 'node:buffer';
import type { FileSummary, Incident, RunEvents } from '../../src/events.js';
import type { ExampleResult, SourceFile } from '../../src/model.js';
import { encodeRecord, JOURNAL_RECORDS, RecordDecoder, RECORD_MARK, type RecordOf, type RunRecord } from '../protocol.js';

/** Bytes before the records: the committed length (Int32), then 1 once the journal is full (Int32). */
const HEADER = 8;
const INITIAL_BYTES = 1 << 20;
/** Address space reserved for growth; only what is written is ever committed. */
const MAX_BYTES = 1 << 30;

/** A growable SharedArrayBuffer (Node 20 has them; TypeScript's ES2022 library does not know them yet). */
interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  grow(bytes: number): void;
}
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => GrowableSharedArrayBuffer;

export class Journal implements RunEvents {
  readonly buffer: GrowableSharedArrayBuffer;
  private readonly header: Int32Array;
  private bytes: Buffer;
  private length = HEADER;
  private readonly numbers = new Map<SourceFile, number>();
  /** Past `maxBytes`: nothing more is recorded, and a replay says so. */
  full = false;

  /** `maxBytes`: address space reserved for growth (a test's small journal fills up). */
  constructor(
    files: SourceFile[],
    private readonly maxBytes = MAX_BYTES,
  ) {
    this.buffer = new GrowableSharedArrayBuffer(Math.min(INITIAL_BYTES, maxBytes), { maxByteLength: maxBytes });
    this.header = new Int32Array(this.buffer, 0, 2);
    this.bytes = Buffer.from(this.buffer);
    files.forEach((file, n) => this.numbers.set(file, n));
    this.line({ t: 'files', files });
  }

  fileStart(file: SourceFile): void {
    this.line({ t: 'fileStart', seq: this.number(file) });
  }

  exampleStart(): void {
    // The heartbeat says which example runs; the journal keeps what a report needs.
  }

  exampleEnd(file: SourceFile, result: ExampleResult): void {
    const line = encodeRecord({ t: 'end', seq: this.number(file), r: result });
    // The compact form of a plain pass (nearly every record) is ASCII: no UTF-8 encoding pass.
    this.append(line, line.charCodeAt(RECORD_MARK.length) === 0x70);
  }

  incident(file: SourceFile, incident: Incident): void {
    this.line({ t: 'incident', seq: this.number(file), incident });
  }

  warning(file: SourceFile, message: string, index?: number): void {
    this.append(encodeRecord({ t: 'warning', seq: this.number(file), message, i: index }));
  }

  fileEnd(file: SourceFile, summary: FileSummary): void {
    this.line({ t: 'fileEnd', seq: this.number(file), summary });
  }

  private number(file: SourceFile): number {
    return this.numbers.get(file) ?? -1;
  }

  private line(record: RunRecord): void {
    this.append(encodeRecord(record));
  }

  private append(text: string, ascii = false): void {
    if (this.full) return;
    const need = this.length + (ascii ? text.length : Buffer.byteLength(text));
    if (need > this.buffer.byteLength) {
      if (need > this.maxBytes) {
        this.full = true;
        Atomics.store(this.header, 1, 1);
        return;
      }
      this.buffer.grow(Math.min(this.maxBytes, Math.max(need, this.buffer.byteLength * 2)));
      this.bytes = Buffer.from(this.buffer);
    }
    this.length += this.bytes.write(text, this.length, ascii ? 'latin1' : 'utf8');
    // Published after the bytes: a reader never sees a record half written.
    Atomics.store(this.header, 0, this.length);
  }
}

/** The file that had started without ending when the journal was read, with the examples that had ended. */
export interface OpenFile {
  file: SourceFile;
  ended: Set<number>;
}

export interface JournalContents {
  files: SourceFile[];
  /** Deliver the recorded events, in order; returns the file left open, if any. */
  replay(events: RunEvents): OpenFile | undefined;
  /** One line for each record that could not be read (left out of the replay). */
  unreadable: string[];
}

/** Read what the journal holds now. */
export function readJournal(buffer: SharedArrayBuffer): JournalContents {
  const header = new Int32Array(buffer, 0, 2);
  const length = Atomics.load(header, 0);
  let files: SourceFile[] = [];
  const records: Exclude<RecordOf<(typeof JOURNAL_RECORDS)[number]>, { t: 'files' }>[] = [];
  const unreadable: string[] = [];
  new RecordDecoder(
    JOURNAL_RECORDS,
    (record) => {
      if (record.t === 'files') files = record.files;
      else records.push(record);
    },
    undefined,
    (text) => unreadable.push(`the run's journal holds a record mtest cannot read (left out of the report): ${JSON.stringify(text.slice(0, 200))}`),
  ).push(Buffer.from(buffer, HEADER, Math.max(0, length - HEADER)));
  if (Atomics.load(header, 1) === 1) unreadable.push("the run's journal ran out of room: what happened after that is not in the report");
  const replay = (events: RunEvents): OpenFile | undefined => {
    let open: OpenFile | undefined;
    for (const record of records) {
      const file = files[record.seq];
      if (!file) continue;
      switch (record.t) {
        case 'fileStart':
          open = { file, ended: new Set() };
          events.fileStart(file, 0);
          break;
        case 'end':
          open?.ended.add(record.r.index);
          events.exampleEnd(file, record.r);
          break;
        case 'incident':
          events.incident(file, record.incident);
          break;
        case 'warning':
          events.warning(file, record.message, record.i);
          break;
        case 'fileEnd':
          open = undefined;
          events.fileEnd(file, record.summary);
          break;
      }
    }
    return open;
  };
  return { files, replay, unreadable };
}
