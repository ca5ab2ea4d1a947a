// The --verbose / --debug trace: `Trying (line N): source` before each example and `ok [0.01 s, +12 MB]`
// after, written synchronously (mtest's own output is) so the last line on the screen is the one that hangs.
import type { RunEvents } from '../events.js';
import { exampleAt, exampleWhere, type ExampleResult, type SourceFile } from '../model.js';
import { printable } from './format.js';

function megabytes(bytes: number): string {
  const mb = Math.round(bytes / (1024 * 1024));
  return `${mb >= 0 ? '+' : ''}${mb} MB`;
}

export class TraceReporter implements RunEvents {
  constructor(
    private readonly write: (text: string) => void,
    private readonly showFile = false,
  ) {}

  fileStart(): void {}
  exampleStart(file: SourceFile, index: number): void {
    const ex = exampleAt(file, index);
    if (!ex) return;
    const where = this.showFile ? `${printable(file.path)}, ${exampleWhere(ex)}` : exampleWhere(ex);
    this.write(`Trying (${where}): ${ex.source.replace(/\n/g, '\n    ')}\n`);
  }
  exampleEnd(_file: SourceFile, result: ExampleResult): void {
    if (result.status === 'skipped' || result.status === 'notrun') return;
    const mem = result.rssDelta === undefined ? '' : `, ${megabytes(result.rssDelta)}`;
    this.write(`${result.status === 'passed' ? 'ok' : 'FAILED'} [${result.time.toFixed(2)} s${mem}]\n`);
  }
  incident(): void {}
  warning(): void {}
  fileEnd(): void {}
}
