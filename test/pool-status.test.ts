// The live status line (a reporter fed by RunEvents) and `mtest doctor`.
import assert from 'node:assert/strict';
import { StatusLine } from '../src/report/status-line.js';
import { doctor } from '../src/cli/doctor.js';
import { resolveOptions } from '../src/cli/resolve.js';
import { fixture } from './fault-helpers.js';

class FakeTerminal {
  writes: string[] = [];
  isTTY = true;
  columns = 200;
  write(text: string): void {
    this.writes.push(text);
  }
}

describe('status line', () => {
  it('shows files done/total and every worker\'s file:line and for how long; redraws at most 4 times a second', async () => {
    let now = 1_000_000;
    const term = new FakeTerminal();
    const status = new StatusLine(3, term, 250, () => now);
    const a = fixture('js-loop.md');
    const b = fixture('pass.md');
    status.fileStart(a, 1);
    status.fileStart(b, 2);
    status.exampleStart(a, 2, 1);
    now += 12_000;
    assert.equal(status.text(), `[0/3 files]  w1 ${a.path}:7 12 s  w2 ${b.path} 12 s`);
    status.fileEnd(b, { time: 0, worker: 2 });
    assert.equal(status.text(), `[1/3 files]  w1 ${a.path}:7 12 s`);
    // A burst of events draws once now and once after the interval, not once per event.
    const before = term.writes.length;
    for (let i = 0; i < 50; i++) status.exampleStart(a, 2, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(term.writes.length - before <= 2, `${term.writes.length - before} redraws`);
    status.stop();
  });

  it('names the cell and its line for a notebook', () => {
    const term = new FakeTerminal();
    const status = new StatusLine(1, term, 250, () => 0);
    const example = { source: 'while (true) {}', want: '', line: 153, indent: 0, directives: { needs: [], errors: [] }, cell: 7, cellLine: 1 };
    const nb = { path: 'loop.ipynb', kind: 'notebook' as const, blocks: [{ name: 'loop.ipynb', line: 153, examples: [example] }], tags: [], errors: [] };
    status.fileStart(nb, 1);
    status.exampleStart(nb, 0, 1);
    assert.equal(status.text(), '[0/1 files]  w1 loop.ipynb cell 7, line 1 0 s');
    status.stop();
  });

  it('is cleared before any other output line and after the run', () => {
    const term = new FakeTerminal();
    const status = new StatusLine(1, term);
    status.fileStart(fixture('pass.md'), 1);
    const out: string[] = [];
    const write = status.wrap((text) => {
      out.push(text);
      term.write(text);
    });
    write('File "pass.md", line 3, failed\n');
    const erase = term.writes.lastIndexOf('\r\x1b[2K');
    assert.ok(erase >= 0 && term.writes[erase + 1] === 'File "pass.md", line 3, failed\n');
    status.stop();
    assert.equal(StatusLine.wanted({ write() {}, isTTY: false }), false);
  });

  it('fits the terminal width', () => {
    const term = new FakeTerminal();
    term.columns = 30;
    const status = new StatusLine(9, term);
    status.fileStart(fixture('pass.md'), 1);
    assert.ok(status.text().length <= 29);
    status.stop();
  });
});

describe('mtest doctor', function () {
  this.timeout(20000);
  it('prints Node, engine, gdb/ptrace, CPUs and memory', async () => {
    const defaults = resolveOptions({}, {});
    const text = await doctor(defaults);
    assert.match(text, /^Node: +v\d+\./m);
    assert.match(text, /^Engine: +/m);
    assert.match(text, /^gdb: +/m);
    assert.match(text, /^eu-stack: +/m);
    assert.match(text, /^Stacks: +/m);
    assert.match(text, /^CPUs: +\d+/m);
    assert.match(text, /^Memory: +[\d.]+ [GMk]B total/m);
    // the defaults a run resolves to, not a second computation of them
    assert.match(text, new RegExp(`^Default: ${defaults.jobs} workers?, ${defaults.blasThreads} BLAS threads? per worker, --memlimit ${defaults.memlimit} MB per worker$`, 'm'));
  });
});
