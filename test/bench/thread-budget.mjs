// The default BLAS thread budget against the manual jobs × OPENBLAS threads settings on the heavy corpus
// (the default budget should be within 5 % of the best manual one). Interleaved: every round runs each setting once,
// in a rotating order, so a change in the machine's speed (2× within minutes on shared machines) hits all
// of them alike; the default's ratio to the best manual setting is taken per round (paired).
// Usage: node test/bench/thread-budget.mjs [ROUNDS] [CORPUS]   (CORPUS: a gen-corpus.py output; made if absent)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const corpus = process.argv[3] ?? process.env.MTEST_CORPUS ?? path.join(tmpdir(), 'mtest-bench-corpus');
if (!existsSync(path.join(corpus, 'heavy'))) {
  const made = spawnSync('python3', [path.join(root, 'test', 'bench', 'gen-corpus.py'), corpus], { stdio: 'ignore' });
  if (made.status !== 0) {
    console.error('skipped: python3 with numpy is needed to generate the corpora');
    process.exit(0);
  }
}
const dir = path.join(corpus, 'heavy', 'ts');
const cpus = availableParallelism();
const settings = {
  default: [],
  ...Object.fromEntries(
    [[1, cpus], [cpus, 1], [cpus, cpus]].map(([jobs, threads]) => [`${jobs}x${threads}`, ['-p', String(jobs), '--blas-threads', String(threads)]]),
  ),
};
const names = Object.keys(settings);
const manual = names.filter((n) => n !== 'default');
const times = Object.fromEntries(names.map((n) => [n, []]));

for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + round) % names.length];
    const start = process.hrtime.bigint();
    // Executed as users run it (`mtest …`), not handed to node.
    const r = spawnSync(path.join(root, 'bin', 'mtest.js'), [...settings[name], '.'], { cwd: dir, stdio: 'ignore' });
    if (r.status !== 0) {
      console.error(`FAILED (${r.status}): mtest ${settings[name].join(' ')} on heavy`);
      process.exit(1);
    }
    times[name].push(Number(process.hrtime.bigint() - start) / 1e9);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const range = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const perRound = (f) => times.default.map((_, i) => f(i));
console.log(`heavy, ${cpus} CPUs, ${rounds} interleaved rounds; settings are jobs x BLAS threads, default is mtest's own choice`);
for (const n of names) console.log(`${n.padEnd(8)} ${median(times[n]).toFixed(2)} s   (${times[n].map((t) => t.toFixed(2)).join(' ')})`);
console.log(`default / best manual, per round: ${range(perRound((i) => times.default[i] / Math.min(...manual.map((n) => times[n][i]))))}   (target ≤ 1.05)`);
for (const n of manual) console.log(`${n} / default, per round: ${range(perRound((i) => times[n][i] / times.default[i]))}`);
