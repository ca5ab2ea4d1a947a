// The schedule stage on its own: ordering by stored timings, the shard split, stats bookkeeping,
// --randorder's block shuffle, and the unified diff of failure blocks.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exampleAt, examplesOf, type SourceFile } from '../src/model.js';
import { randomOrder, slowestFirst, splitShards, parseShard, estimates } from '../src/schedule/order.js';
import { emptyStats, readStats, updatedStats, writeStats, type Stats } from '../src/schedule/stats.js';
import { RunSummary } from '../src/report/summary.js';
import { planRun } from '../src/schedule/index.js';
import { unifiedDiff } from '../src/report/diff.js';
import { ex, fileOf } from './helpers.js';

function files(n: number, examples = (i: number) => i % 7 + 1): SourceFile[] {
  return Array.from({ length: n }, (_, i) => fileOf(`f${String(i).padStart(3, '0')}.md`, [Array.from({ length: examples(i) }, (_, k) => ex(`${k}`, `${k}\n`, k + 1))]));
}

function statsOf(entries: Record<string, number>, extra: Stats['files'] = {}): Stats {
  const s = emptyStats();
  for (const [name, time] of Object.entries(entries)) s.files[name] = { time, examples: 1, failures: 0 };
  Object.assign(s.files, extra);
  return s;
}

describe('schedule: order', () => {
  it('runs files slowest first by their stored time; timed-out or crashed files first of all', () => {
    const fs = files(4);
    const stats = statsOf({ 'f000.md': 1, 'f001.md': 5, 'f002.md': 3 }, { 'f003.md': { time: 0.1, examples: 4, failures: 1, incident: 'timeout' } });
    assert.deepEqual(slowestFirst(fs, stats).map((f) => f.path), ['f003.md', 'f001.md', 'f002.md', 'f000.md']);
  });

  it('without stored timings orders by example count; unknown files are estimated from the mean time per example', () => {
    const fs = files(3, (i) => [2, 9, 4][i]);
    assert.deepEqual(slowestFirst(fs, emptyStats()).map((f) => f.path), ['f001.md', 'f002.md', 'f000.md']);
    // 1 s per example stored: f001 (9 examples, unknown) is expected at 9 s, more than f000's stored 5 s
    const stats: Stats = { version: 1, files: { 'f000.md': { time: 5, examples: 5, failures: 0 } } };
    assert.equal(estimates(fs, stats).get(fs[1]), 9);
    assert.deepEqual(slowestFirst(fs, stats).map((f) => f.path), ['f001.md', 'f000.md', 'f002.md']);
  });
});

describe('schedule: shards', () => {
  const stats = statsOf(Object.fromEntries(files(60).map((f, i) => [f.path, ((i * 37) % 11) + 0.5])));

  it('puts every file in exactly one shard, for every shard count', () => {
    const fs = files(60);
    for (const n of [1, 2, 3, 7, 60, 80]) {
      const shards = splitShards(fs, stats, n);
      assert.equal(shards.length, n);
      const all = shards.flat().map((f) => f.path);
      assert.equal(all.length, fs.length, `n=${n}: no file twice`);
      assert.deepEqual([...all].sort(), fs.map((f) => f.path), `n=${n}: every file`);
    }
  });

  it('depends only on the files and the timings, not on the order the list came in', () => {
    const fs = files(60);
    const reversed = [...fs].reverse();
    const key = (shards: SourceFile[][]) => shards.map((s) => s.map((f) => f.path).sort().join(','));
    assert.deepEqual(key(splitShards(reversed, stats, 3)), key(splitShards(fs, stats, 3)));
    // the same files parsed again (other objects, as on another machine)
    assert.deepEqual(key(splitShards(files(60), stats, 3)), key(splitShards(fs, stats, 3)));
  });

  it('balances by stored time (within the largest file of the optimum), by example count without', () => {
    const fs = files(60);
    const loads = (shards: SourceFile[][], w: (f: SourceFile) => number) => shards.map((s) => s.reduce((t, f) => t + w(f), 0));
    const timed = loads(splitShards(fs, stats, 3), (f) => stats.files[f.path].time);
    assert.ok(Math.max(...timed) - Math.min(...timed) <= 11, `loads ${timed}`);
    const counted = loads(splitShards(fs, emptyStats(), 3), (f) => f.blocks[0].examples.length);
    assert.ok(Math.max(...counted) - Math.min(...counted) <= 7, `loads ${counted}`);
    // one very slow file: it gets a shard of its own
    const skewed = statsOf({ ...Object.fromEntries(fs.map((f) => [f.path, 1])), 'f010.md': 100 });
    const shards = splitShards(fs, skewed, 3);
    assert.deepEqual(shards.find((s) => s.some((f) => f.path === 'f010.md'))!.map((f) => f.path), ['f010.md']);
  });

  it('keeps the schedule order inside a shard', () => {
    const ordered = slowestFirst(files(30), stats);
    for (const shard of splitShards(ordered, stats, 4)) {
      const positions = shard.map((f) => ordered.indexOf(f));
      assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
    }
  });

  it('parses i/n', () => {
    assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', '1-3', 'a/b', '']) assert.equal(parseShard(bad), undefined, bad);
  });
});

describe('schedule: --randorder', () => {
  it('shuffles the blocks inside a file; flat indices follow the new block order', () => {
    const blocks = Array.from({ length: 6 }, (_, b) => [ex(`b${b}e0`, '', b * 10 + 1), ex(`b${b}e1`, '', b * 10 + 2)]);
    const file = fileOf('many.ts', blocks, 'script');
    const [shuffled] = randomOrder([file], 7);
    const names = shuffled.blocks.map((b) => b.name);
    assert.notDeepEqual(names, file.blocks.map((b) => b.name), 'seed 7 moves some block');
    assert.deepEqual([...names].sort(), file.blocks.map((b) => b.name).sort());
    // examples stay together, in order, inside their block; exampleAt agrees with the new layout
    for (const { index, block, example } of examplesOf(shuffled)) {
      assert.equal(exampleAt(shuffled, index), example);
      assert.ok(example.source.startsWith(`b${block.name.split('#')[1]}`));
    }
    assert.deepEqual(randomOrder([file], 7)[0].blocks.map((b) => b.name), names, 'the same seed, the same order');
    assert.equal(file.blocks[0].name, 'many.ts#0', 'the parsed file is not changed');
  });
});

describe('schedule: stored timings', () => {
  it('records time, examples, failures and incidents; keeps entries of files not in the run; reads back what it wrote', () => {
    const [a, b] = files(2);
    const previous = statsOf({ 'other.md': 2, 'f000.md': 9 });
    const rec = new RunSummary();
    rec.fileStart(a);
    rec.exampleEnd(a, { index: 0, status: 'passed', outcome: 'ok', time: 0 });
    rec.fileEnd(a, { time: 0.25, worker: 1 });
    rec.fileStart(b);
    rec.exampleEnd(b, { index: 0, status: 'failed', outcome: 'timeout', time: 1 });
    rec.incident(b, { kind: 'timeout', index: 0, message: 'Timed out' });
    rec.exampleEnd(b, { index: 1, status: 'notrun', outcome: 'notrun', time: 0 });
    rec.fileEnd(b, { time: 1.5, worker: 2 });
    const merged = updatedStats(previous, rec);
    assert.deepEqual(merged.files['f000.md'], { time: 0.25, examples: 1, failures: 0 });
    assert.deepEqual(merged.files['f001.md'], { time: 1.5, examples: 2, failures: 1, incident: 'timeout' });
    assert.equal(merged.files['other.md'].time, 2);
    const dir = mkdtempSync(path.join(tmpdir(), 'mtest-stats-'));
    const file = path.join(dir, 'sub', 'stats.json');
    writeStats(file, merged);
    assert.deepEqual(readStats(file).stats, merged);
    const say: string[] = [];
    const plan = planRun([a.path, b.path], (p) => [a, b].find((f) => f.path === p)!, { failed: true, statsPath: file }, [], dir, (l) => say.push(l));
    assert.deepEqual(typeof plan === 'number' ? plan : plan.files, [b]);
    assert.deepEqual(say, []);
  });

  it('a file stopped by Ctrl-C, or none of whose examples ran, keeps its old entry', () => {
    const [a, b] = files(2);
    const rec = new RunSummary();
    rec.fileStart(a);
    rec.exampleEnd(a, { index: 0, status: 'notrun', outcome: 'notrun', time: 0 });
    rec.fileEnd(a, { time: 0, worker: 0 });
    rec.fileStart(b);
    rec.exampleEnd(b, { index: 0, status: 'passed', outcome: 'ok', time: 0 });
    rec.incident(b, { kind: 'interrupted', message: 'interrupted' });
    rec.fileEnd(b, { time: 0.1, worker: 0 });
    assert.deepEqual(updatedStats(statsOf({ 'f000.md': 3, 'f001.md': 4 }), rec), statsOf({ 'f000.md': 3, 'f001.md': 4 }));
  });

  it('damaged stats are ignored with one line; a missing file is silently empty', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtest-stats-'));
    assert.deepEqual(readStats(path.join(dir, 'none.json')), { stats: emptyStats() });
    writeFileSync(path.join(dir, 'bad.json'), '{"files": ');
    const bad = readStats(path.join(dir, 'bad.json'));
    assert.deepEqual(bad.stats, emptyStats());
    assert.match(bad.warning!, /bad\.json: stored timings are not valid/);
    writeFileSync(path.join(dir, 'odd.json'), '{"files": {"a.md": {"time": "slow"}, "b.md": {"time": 2, "examples": 3}}}');
    assert.deepEqual(Object.keys(readStats(path.join(dir, 'odd.json')).stats.files), ['b.md']);
    assert.ok(readFileSync(path.join(dir, 'odd.json'), 'utf8').length > 0);
  });

  it('no failures stored: every file, and a note; a shard parses only its own files and those without timings', () => {
    const fs = files(6);
    const dir = mkdtempSync(path.join(tmpdir(), 'mtest-stats-'));
    const loaded: string[] = [];
    const load = (p: string) => (loaded.push(p), fs.find((f) => f.path === p)!);
    const say: string[] = [];
    const plan = planRun(fs.map((f) => f.path), load, { failed: true, statsPath: 'none.json' }, [], dir, (l) => say.push(l));
    assert.deepEqual(typeof plan === 'number' ? plan : plan.files.map((f) => f.path).sort(), fs.map((f) => f.path));
    assert.deepEqual(say, ['--failed: no failures stored in none.json for these files; running all of them']);
    writeStats(path.join(dir, 's.json'), statsOf({ 'f000.md': 1, 'f001.md': 2, 'f002.md': 3, 'f003.md': 4 }));
    loaded.length = 0;
    const shard = planRun(fs.map((f) => f.path), load, { shard: { index: 1, count: 3 }, statsPath: 's.json' }, [], dir, () => {});
    assert.ok(typeof shard !== 'number');
    const mine = shard.files.map((f) => f.path);
    assert.deepEqual([...new Set(loaded)].sort(), [...new Set([...mine, 'f004.md', 'f005.md'])].sort());
  });
});

describe('unified diff of want and got', () => {
  it('marks removed and added lines at column 0, removals first, common lines with a space', () => {
    assert.deepEqual(unifiedDiff('[1.0 2.0]\n[3.0 5.0]\n', '[1.0 2.0]\n[3.0 4.0]\n'), [' [1.0 2.0]', '-[3.0 5.0]', '+[3.0 4.0]']);
    assert.deepEqual(unifiedDiff('a\nb\n', 'a\nb\n'), []);
    assert.deepEqual(unifiedDiff('', 'x\ny\n'), ['+x', '+y']);
  });

  it('leaves out lines far from a change, under diff -u hunk headers', () => {
    const want = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const got = want.replace('line 3\n', 'line three\n').replace('line 18\n', 'line eighteen\n');
    assert.deepEqual(unifiedDiff(want, got), [
      '@@ -1,6 +1,6 @@', ' line 1', ' line 2', '-line 3', '+line three', ' line 4', ' line 5', ' line 6',
      '@@ -15,6 +15,6 @@', ' line 15', ' line 16', ' line 17', '-line 18', '+line eighteen', ' line 19', ' line 20',
    ]);
  });

  it('colours only when asked (a terminal)', () => {
    assert.deepEqual(unifiedDiff('a\nb\n', 'a\nc\n', { colour: true }), [' a', '\x1b[31m-b\x1b[0m', '\x1b[32m+c\x1b[0m']);
  });
});
