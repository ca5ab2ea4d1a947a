// The CI stage's costs on the overhead corpus of ../shared/bench/gen-corpus.py (10,000 trivial examples in
// 200 files):
//  1. stored timings: reading `.mtest/stats.json`, ordering by it, recording every event and writing it back
//     (what a run does in addition), timed in-process over the parsed corpus;
//  2. CPU time (user + system of mtest and its workers) of `--shard 1/3` + `2/3` + `3/3` against the
//     unsharded run, interleaved round by round, as `mtest` and as `mtest --serial`;
//  3. wall time of `mtest merge` of the three shards' --json reports.
// Usage: node test/bench/ci-stage.mjs [ROUNDS] [CORPUS_DIR] [WORKLOAD]   (CORPUS_DIR: an existing
// gen-corpus.py output, default: generated into a temporary directory from $MTEST_SHARED or ../shared;
// WORKLOAD: the corpus for 2 and 3, default overhead)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const work = mkdtempSync(path.join(tmpdir(), 'mtest-ci-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
let corpusDir = process.argv[3];
if (!corpusDir) {
  const shared = process.env.MTEST_SHARED ?? path.join(root, '..', 'shared');
  corpusDir = path.join(work, 'corpus');
  if (spawnSync('python3', [path.join(shared, 'bench', 'gen-corpus.py'), corpusDir], { stdio: 'ignore' }).status !== 0) {
    console.error('skipped: python3 with numpy is needed to generate the corpora');
    process.exit(0);
  }
}
const overhead = path.join(corpusDir, 'overhead', 'ts');
const workload = process.argv[4] ?? 'overhead';
const sharded = path.join(corpusDir, workload, 'ts');
const dist = (p) => pathToFileURL(path.join(root, 'dist', p)).href;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

// --- 1. stored timings, in-process -------------------------------------------------------------------------
const { collectSources } = await import(dist('src/cli/collect.js'));
const { readStats, writeStats, StatsRecorder } = await import(dist('src/schedule/stats.js'));
const { slowestFirst } = await import(dist('src/schedule/order.js'));
const { examplesOf } = await import(dist('src/model.js'));
const { files } = await collectSources([overhead], {}, root);
const statsFile = path.join(work, 'stats.json');
const fakeRun = (recorder) => {
  for (const file of files) {
    recorder.fileStart(file, 1);
    for (const { index } of examplesOf(file)) recorder.exampleEnd(file, { index, status: 'passed', outcome: 'ok', time: 1e-5 });
    recorder.fileEnd(file, { time: 0.01 + (file.path.length % 7) / 1000, worker: 1 });
  }
};
{
  const seed = new StatsRecorder();
  fakeRun(seed);
  writeStats(statsFile, seed.merged({ version: 1, files: {} }));
}
const costs = [];
for (let i = 0; i < 60; i++) {
  const start = process.hrtime.bigint();
  const { stats } = readStats(statsFile); // planning
  slowestFirst(files, stats);
  const recorder = new StatsRecorder(); // the run's events
  fakeRun(recorder);
  writeStats(statsFile, recorder.merged(readStats(statsFile).stats)); // saving (re-read: keeps other runs' entries)
  costs.push(Number(process.hrtime.bigint() - start) / 1e6);
}
const warm = costs.slice(10);
console.log(`stored timings, ${files.length} files / ${files.reduce((n, f) => n + [...examplesOf(f)].length, 0)} examples: ` +
  `read + order + record + write median ${median(warm).toFixed(2)} ms (range ${range(warm)} ms; first, cold: ${costs[0].toFixed(2)} ms)`);

// --- 2. CPU of three shards against one run ------------------------------------------------------------------
const mtest = path.join(root, 'bin', 'mtest.js');
/** CPU seconds of waited-for children (utime + stime of every descendant mtest waited for, and mtest). */
function childCpu() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime (fields 16, 17), clock ticks
}
function run(args) {
  const before = childCpu();
  const start = process.hrtime.bigint();
  const r = spawnSync(mtest, args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) {
    console.error(`FAILED (${r.status}): mtest ${args.join(' ')}\n${String(r.stderr).slice(-2000)}`);
    process.exit(1);
  }
  return { cpu: childCpu() - before, wall };
}
const seeded = path.join(work, 'seed-stats.json');
run(['--serial', '--stats-path', seeded, sharded]); // real timings for the split
const modes = { workers: [], serial: [] };
const ratios = { workers: [], serial: [] };
const merges = [];
for (let round = 0; round < rounds; round++) {
  for (const mode of round % 2 ? ['serial', 'workers'] : ['workers', 'serial']) {
    const flags = mode === 'serial' ? ['--serial'] : [];
    const copy = (name) => {
      const file = path.join(work, name);
      copyFileSync(seeded, file);
      return file;
    };
    const whole = run([...flags, '--stats-path', copy('s0.json'), sharded]).cpu;
    let shards = 0;
    for (const i of [1, 2, 3]) shards += run([...flags, '--shard', `${i}/3`, '--stats-path', copy(`s${i}.json`), '--json', path.join(work, `r${i}.json`), sharded]).cpu;
    modes[mode].push({ whole, sharded: shards });
    ratios[mode].push(shards / whole);
  }
  merges.push(run(['merge', ...[1, 2, 3].map((i) => path.join(work, `r${i}.json`)), '--json', path.join(work, 'merged.json')]).wall);
}
for (const mode of ['workers', 'serial']) {
  const w = median(modes[mode].map((m) => m.whole));
  const s = median(modes[mode].map((m) => m.sharded));
  console.log(`CPU on ${workload}, ${mode === 'serial' ? 'mtest --serial' : 'mtest (workers)'}: unsharded ${w.toFixed(2)} s, sum of 3 shards ${s.toFixed(2)} s; ratio median ${median(ratios[mode]).toFixed(2)} (range ${range(ratios[mode])}), ${rounds} rounds`);
}
console.log(`mtest merge of 3 shard reports of ${workload} (wall, the mtest command's start included): median ${median(merges).toFixed(3)} s (range ${range(merges)} s)`);
