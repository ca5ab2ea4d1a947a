// The CI stage's costs on the overhead corpus of gen-corpus.py (10,000 trivial examples in
// 200 files):
//  1. stored timings: reading `.mtest/stats.json`, ordering by it, updating it from the run's summary and
//     writing it back (what a run does in addition), timed in-process over the parsed corpus;
//  2. CPU time (user + system of mtest and its workers) of `--shard 1/3` + `2/3` + `3/3` against the
//     unsharded run, interleaved round by round, as `mtest` and as `mtest --serial`;
//  3. wall time of `mtest merge` of the three shards' --json reports.
// Usage: node test/bench/ci-stage.mjs [ROUNDS] [CORPUS_DIR] [WORKLOAD]   (CORPUS_DIR: an existing
// gen-corpus.py output, default: generated into a temporary directory;
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
  corpusDir = path.join(work, 'corpus');
  if (spawnSync('python3', [path.join(root, 'test', 'bench', 'gen-corpus.py'), corpusDir], { stdio: 'ignore' }).status !== 0) {
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
// A run does this once, in a fresh process: the cold figure (a fresh node per sample) is the one that counts;
// the warm one (repeated in one process) shows how much of it is V8 compiling the code the first time.
const { collectSources } = await import(dist('src/cli/collect.js'));
const { readStats, writeStats, updatedStats } = await import(dist('src/schedule/stats.js'));
const { RunSummary } = await import(dist('src/report/summary.js'));
const { slowestFirst } = await import(dist('src/schedule/order.js'));
const { examplesOf } = await import(dist('src/model.js'));
const { files } = await collectSources([overhead], {}, root);
const statsFile = process.env.MTEST_BENCH_STATS ?? path.join(work, 'stats.json');
// The run's summary, as it stands when the run ends (the stats are taken from it; not timed: every run has it).
const summary = new RunSummary();
for (const file of files) {
  summary.fileStart(file, 1);
  for (const { index } of examplesOf(file)) summary.exampleEnd(file, { index, status: 'passed', outcome: 'ok', time: 1e-5 });
  summary.fileEnd(file, { time: 0.01 + (file.path.length % 7) / 1000, worker: 1 });
}
const cycle = () => {
  const start = process.hrtime.bigint();
  const { stats } = readStats(statsFile); // planning
  slowestFirst(files, stats);
  writeStats(statsFile, updatedStats(stats, summary)); // saving
  return Number(process.hrtime.bigint() - start) / 1e6;
};
if (process.env.MTEST_BENCH_STATS) {
  console.log(cycle()); // one cold sample, for the parent
  process.exit(0);
}
writeStats(statsFile, updatedStats({ version: 1, files: {} }, summary));
const cold = [];
for (let i = 0; i < 15; i++) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '1', corpusDir], { env: { ...process.env, MTEST_BENCH_STATS: statsFile }, encoding: 'utf8' });
  cold.push(Number(r.stdout.trim()));
}
const warm = Array.from({ length: 60 }, cycle).slice(10);
console.log(`stored timings, ${files.length} files / ${files.reduce((n, f) => n + [...examplesOf(f)].length, 0)} examples: read + order + update + write ` +
  `cold (once per fresh process, as a run does) median ${median(cold).toFixed(2)} ms (range ${range(cold)} ms); warm median ${median(warm).toFixed(2)} ms`);

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
