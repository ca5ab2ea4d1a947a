import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pageData } from '../src/report/html.js';
import { RunSummary } from '../src/report/summary.js';
import { TimelineRecorder } from '../src/report/timeline.js';
import { fileOf, ex } from './helpers.js';
import { openPage, type OpenPage } from './browser.js';
import { appears, ARM, finished, lastLine, runMtest, scratch, startMtest } from './process-helpers.js';

const FILES = {
  'ok.md': 'sage: 1 + 1\n2\nsage: const big = new Float64Array(12e6).fill(1)\nsage: big.length\n12000000\n',
  'bad.md': "sage: [1, 2]\n[ 1, 3 ]\nsage: console.log('a\\nb')\na\nc\n",
  'hang.md': 'sage: 1\n1\nsage: while (true) {}\nsage: 2\n2\n',
};

/** What the page shows, read from its DOM after its script ran. */
async function shown(page: OpenPage): Promise<{ closing: string; files: string; incidents: string; examples: string; failures: string; title: string; grew: string }> {
  return page.evaluate(`(() => {
    const text = (id) => document.getElementById(id)?.innerText ?? '';
    return { closing: text('closing'), files: text('files'), incidents: text('incidents'), examples: text('examples'), failures: text('failures'), title: document.title, grew: text('grew') };
  })()`);
}

describe('--html', function () {
  this.timeout(120000);

  for (const mode of [['-p', '2'], ['--serial']]) {
    it(`one page that opens from disk in Chromium: closing line, every file, the hung example as timed out, no errors (${mode.join(' ')})`, async () => {
      const serial = mode[0] === '--serial';
      const dir = scratch(FILES);
      const r = await runMtest(dir, [...mode, '--prelude', 'node:util', '--timeout', '2', '--no-gdb', '--html', 'report.html', '.']);
      const closing = lastLine(r.out);
      // The rest of the hung example's block is not run in both modes (a worker that hung is killed; --serial
      // interrupts the loop); the other files run.
      assert.equal(closing, '4 passed, 3 failed, 0 skipped, 1 not run', r.out + r.err);
      const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
      assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//, 'nothing from the network');
      const page = await openPage(path.join(dir, 'report.html'));
      try {
        const view = await shown(page);
        assert.equal(view.closing, closing);
        for (const name of Object.keys(FILES)) assert.match(view.files, new RegExp(`${name.replace('.', '\\.')} \\[`));
        assert.match(view.incidents, /timed out\s+hang\.md, line 3: Timed out after 2\.0 s while running line 3/);
        assert.match(view.examples, /timed out\s+hang\.md, line 3/);
        assert.match(view.examples, /not run\s+hang\.md, line 4/);
        assert.match(view.failures, /File "bad\.md", line 3, in bad\.md[\s\S]*Differences \(-expected \+got\):/);
        // A click on the hung example opens its stack.
        const details = await page.evaluate<string>(`(() => {
          [...document.querySelectorAll('#examples .row')].find((r) => r.textContent.includes('hang.md, line 3')).click();
          return document.getElementById('details').innerText;
        })()`);
        assert.match(details, /Timed out after 2\.0 s while running line 3/);
        assert.match(details, serial ? /hang\.md/ : /JavaScript stack:/);
        // A click on the timeline, in the middle of the hung example's bar, opens it too.
        const clicked = await page.evaluate<string>(`(() => {
          const data = JSON.parse(document.getElementById('mtest-data').textContent);
          const E = data.examples;
          const row = E.where.findIndex((w, i) => w === 'line 3' && data.files[E.file[i]].path === 'hang.md');
          const lanes = [...new Set(data.files.map((f) => f.lane).filter((l) => l >= 0))].sort((a, b) => a - b);
          let total = Math.max(1, data.run.time * 1000);
          for (const f of data.files) total = Math.max(total, f.end);
          for (let i = 0; i < E.file.length; i++) if (E.start[i] >= 0) total = Math.max(total, E.start[i] + E.ms[i]);
          const canvas = document.getElementById('timeline');
          const rect = canvas.getBoundingClientRect();
          const t = E.start[row] + E.ms[row] / 2;
          const x = rect.left + 120 + (t / total) * (canvas.clientWidth - 128);
          const y = rect.top + lanes.indexOf(data.files[E.file[row]].lane) * 30 + 15;
          document.getElementById('details').style.display = 'none';
          canvas.dispatchEvent(new MouseEvent('click', { clientX: x, clientY: y, bubbles: true }));
          return document.getElementById('details').style.display + '\\n' + document.getElementById('details').innerText;
        })()`);
        assert.match(clicked, /^block\n[\s\S]*hang\.md, line 3[\s\S]*Timed out after 2\.0 s/);
        // The status filter hides the passes.
        const filtered = await page.evaluate<string>(`(() => {
          const box = document.querySelector('#filters input[data-status="passed"]');
          box.click();
          return document.getElementById('examples').innerText;
        })()`);
        assert.doesNotMatch(filtered, /^passed/m);
        assert.match(filtered, /timed out/);
        assert.deepEqual(page.errors, []);
      } finally {
        await page.close();
      }
    });
  }

  it('written whole when the run is interrupted (Ctrl-C): the partial closing line, the rest not run', async () => {
    const dir = scratch({ 'a.md': `sage: 1\n1\nsage: ${ARM} await new Promise((r) => setTimeout(r, 30000))\nsage: 2\n2\n`, 'b.md': 'sage: 3\n3\n' });
    const child = startMtest(dir, ['-p', '1', '--prelude', 'node:util', '--html', 'r.html', 'a.md', 'b.md']);
    const done = finished(child);
    await appears(path.join(dir, 'armed'));
    child.kill('SIGINT');
    const r = await done;
    assert.equal((r.code ?? 0) & 128, 128, r.out + r.err);
    const closing = lastLine(r.out);
    assert.match(closing, /not run$/);
    const page = await openPage(path.join(dir, 'r.html'));
    try {
      const view = await shown(page);
      assert.equal(view.closing, closing);
      assert.match(view.incidents, /killed \(interrupted\)/);
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });

  it('written whole when the --serial watchdog must end a run stuck in native code', async () => {
    const dir = scratch({ 'n.md': 'sage: 1\n1\nsage: import { execSync } from "node:child_process"\nsage: execSync("sleep 20")\n' });
    const r = await runMtest(dir, ['--serial', '--no-gdb', '--timeout', '0.5', '--prelude', 'node:util', '--html', 'n.html', 'n.md']);
    assert.equal(r.code, 4, r.out + r.err);
    assert.ok(existsSync(path.join(dir, 'n.html')));
    const page = await openPage(path.join(dir, 'n.html'));
    try {
      const view = await shown(page);
      assert.equal(view.closing, '2 passed, 1 failed, 0 skipped');
      assert.match(view.examples, /timed out\s+n\.md, line 4/);
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });
});

describe('mtest merge --html', function () {
  this.timeout(120000);

  it('the merged results as a page: closing line and every file; no timeline (the reports do not hold one)', async () => {
    const dir = scratch({ 'a.md': 'sage: 1\n1\n', 'b.md': 'sage: 2\n3\n', 'c.md': 'sage: 3\n3\n' });
    for (const i of [1, 2]) await runMtest(dir, ['-p', '1', '--prelude', 'node:util', '--shard', `${i}/2`, '--json', `s${i}.json`, '.']);
    const merged = await runMtest(dir, ['merge', '--html', 'm.html', 's1.json', 's2.json']);
    assert.equal(lastLine(merged.out), '2 passed, 1 failed, 0 skipped', merged.out + merged.err);
    const page = await openPage(path.join(dir, 'm.html'));
    try {
      const view = await shown(page);
      assert.equal(view.closing, '2 passed, 1 failed, 0 skipped');
      for (const name of ['a.md', 'b.md', 'c.md']) assert.match(view.files, new RegExp(`${name.replace('.', '\\.')} \\[`));
      assert.match(view.failures, /File "b\.md", line 1/);
      assert.match(await page.evaluate<string>('document.body.innerText'), /No timeline: this page was made from --json reports/);
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });
});

describe('--html page data', () => {
  it('lays a lane out from the measured times when the events arrive all at once; marks memory growth', () => {
    let now = 1000;
    const timeline = new TimelineRecorder(1000, false, () => now);
    const summary = new RunSummary(true);
    const file = fileOf('a.md', [[ex('1', '1\n', 1), ex('2', '2\n', 3)]]);
    for (const sink of [timeline, summary]) sink.fileStart(file, 1);
    now = 1500;
    const results = [
      { index: 0, status: 'passed' as const, outcome: 'ok' as const, time: 0.2 },
      { index: 1, status: 'passed' as const, outcome: 'ok' as const, time: 0.3, rssDelta: 300 * 1048576 },
    ];
    for (const r of results) for (const sink of [timeline, summary]) sink.exampleEnd(file, r);
    for (const sink of [timeline, summary]) sink.fileEnd(file, { time: 0.5, worker: 1 });
    timeline.memory(1, 100 * 1048576);
    const data = pageData(summary, { id: 'x', randomSeed: 1, time: 0.5 }, timeline, { memoryMarkMB: 50 });
    // Both ended "at 500 ms": the second cannot start before the first ended.
    assert.deepEqual(data.examples.start, [300, 500]);
    assert.deepEqual(data.examples.ms, [200, 300]);
    assert.deepEqual(data.examples.grew, [0, 300]);
    assert.deepEqual(data.memory, [{ lane: 1, t: [500], rss: [100 * 1048576] }]);
    assert.equal(data.run.closing, '2 passed, 0 failed, 0 skipped');
  });
});
