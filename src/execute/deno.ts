// A Deno notebook runs in Deno when a deno executable was found for it (the CLI looks: the deno npm package
// in the notebook's project, else deno on PATH): one `deno run -A` process per notebook runs the harness
// (deno-harness.ts), which evaluates the cells mtest compiled, in order, in one namespace. The process is a
// child of the process running the file, so time limits and the kill of the whole tree hold as for any
// example; its output is the cell's output.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fromJson, optional, shape, text } from '../checks.js';
import type { Evaluation } from './evaluate.js';
import type { CompiledExample } from './transform.js';

const HARNESS = fileURLToPath(new URL('./deno-harness.js', import.meta.url));

/** What the harness says of a cell, after the marker on stdout. */
interface Record {
  shown?: string;
  thrown?: string;
}
const isRecord = shape<Record>({ shown: optional(text), thrown: optional(text) });

export class DenoKernel {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly nonce = randomUUID();
  private out = '';
  private err = '';
  private exited?: string;
  private wake?: () => void;

  constructor(deno: string, notebook: string) {
    this.child = spawn(deno, ['run', '--allow-all', '--quiet', '--no-prompt', HARNESS, this.nonce, pathToFileURL(notebook).href], {
      cwd: path.dirname(notebook),
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => this.received(() => (this.out += text)));
    this.child.stderr.on('data', (text: string) => this.received(() => (this.err += text)));
    this.child.stdin.on('error', () => {}); // a dead process: reported by 'exit'
    this.child.on('error', (error) => this.received(() => (this.exited = `cannot start ${deno}: ${error.message}`)));
    this.child.on('exit', (code, signal) => this.received(() => (this.exited ??= signal ? `Deno was killed by ${signal}` : `Deno exited with code ${code}`)));
  }

  private received(update: () => void): void {
    update();
    this.wake?.();
  }

  /** Run one compiled cell; `limitMs` (0 = none) stops Deno when the cell runs past it. */
  async evaluate(compiled: CompiledExample, limitMs: number): Promise<Evaluation> {
    if (this.exited) return { got: `${this.exited}\n`, threw: true, timedOut: false };
    const cell = { body: compiled.body, declared: compiled.declared, async: compiled.async, returnsValue: compiled.returnsValue, boxed: compiled.boxed };
    this.child.stdin.write(JSON.stringify(cell) + '\n');
    const marker = `\0${this.nonce}`;
    let timedOut = false;
    const timer = limitMs > 0 ? setTimeout(() => {
      timedOut = true;
      this.child.kill('SIGKILL');
    }, limitMs) : undefined;
    try {
      for (;;) {
        const atOut = this.out.indexOf(marker);
        const atErr = this.err.indexOf(`${marker}\n`);
        const end = atOut < 0 ? -1 : this.out.indexOf('\n', atOut);
        if (atOut >= 0 && end >= 0 && atErr >= 0) {
          const line = this.out.slice(atOut + marker.length, end);
          const record = fromJson(line, isRecord) ?? { thrown: `mtest: the Deno harness sent a record mtest cannot read: ${JSON.stringify(line.slice(0, 200))}` };
          let got = this.out.slice(0, atOut) + this.err.slice(0, atErr);
          this.out = this.out.slice(end + 1);
          this.err = this.err.slice(atErr + marker.length + 1);
          if (got !== '' && !got.endsWith('\n')) got += '\n';
          if (record.thrown !== undefined) return { got: got + record.thrown + '\n', threw: true, timedOut: false };
          return { got: record.shown === undefined ? got : got + record.shown + '\n', threw: false, timedOut: false };
        }
        if (this.exited) {
          const got = this.out + this.err;
          this.out = this.err = '';
          return { got: timedOut ? got : `${got}${got === '' || got.endsWith('\n') ? '' : '\n'}${this.exited}\n`, threw: !timedOut, timedOut };
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** End the process: its stdin closes, and it is killed if it has not exited 2 s later. */
  async close(): Promise<void> {
    if (this.exited) return;
    this.child.stdin.end();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    while (!this.exited) await new Promise<void>((resolve) => (this.wake = resolve));
    clearTimeout(killer);
  }
}
