// The report is never lost: mtest run as a process, as users and CI scripts run it, with the faults that
// used to cut its output or end it without its closing line.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = path.join(process.cwd(), 'bin', 'mtest.js');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** A fresh directory holding `files`. */
export function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mtest-rel-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

export function startMtest(dir: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(BIN, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Collect what the process writes until it exits (and its pipes close). */
export function finished(child: ChildProcess): Promise<Finished> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
}

export function runMtest(dir: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Finished> {
  return finished(startMtest(dir, args, env));
}

/** The last line of the report. */
export function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1];
}

const CLOSING = /^\d+ passed, \d+ failed, \d+ skipped(, \d+ not run)?$/;

describe('output through pipes', function () {
  this.timeout(60000);

  function manyFiles(n: number): Record<string, string> {
    const files: Record<string, string> = {};
    for (let k = 0; k < n; k++) files[`f${k}.md`] = Array.from({ length: 20 }, (_, i) => `sage: ${k} + ${i} // a comment that makes the listing longer\n${k + i}\n`).join('');
    return files;
  }

  it('mtest list --json arrives whole to a reader that starts late', async () => {
    const dir = scratch(manyFiles(60));
    const child = startMtest(dir, ['list', '--json', '.']);
    child.stdout!.pause();
    await new Promise((r) => setTimeout(r, 700));
    const done = finished(child);
    child.stdout!.resume();
    const r = await done;
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.length > 200_000, `a listing larger than a pipe holds (${r.out.length} bytes)`);
    const listed = JSON.parse(r.out) as unknown[];
    assert.equal(listed.length, 60 * 20);
  });

  it('a report read slowly through a pipe ends with its closing line', async () => {
    const dir = scratch(manyFiles(40));
    const child = startMtest(dir, ['-p', '2', '--prelude', 'node:util', '.']);
    const done = finished(child);
    child.stdout!.pause();
    await new Promise((r) => setTimeout(r, 1500));
    child.stdout!.resume();
    const r = await done;
    assert.equal(r.code, 0, r.err);
    assert.equal(lastLine(r.out), '800 passed, 0 failed, 0 skipped');
  });

  for (const mode of [['-p', '1'], ['--serial']]) {
    it(`a reader that goes away (| head -1) does not turn a failing run into exit 0 (${mode.join(' ')})`, async () => {
      const dir = scratch({ 'a.md': 'sage: 1 + 1\n3\n\nsage: await new Promise((r) => setTimeout(r, 300))\nsage: 2\n2\n' });
      const child = startMtest(dir, [...mode, '--prelude', 'node:util', 'a.md']);
      child.stdout!.once('data', () => child.stdout!.destroy());
      const r = await finished(child);
      assert.equal(r.signal, null);
      assert.equal(r.code, 1, r.err);
    });
  }
});
