// mtest against its peer (pytest --doctest-modules, serial and -n 2) on the shared benchmark corpora.
// Interleaved: every round runs each command once per workload, in a rotating order, so a change in the
// machine's load (these shared machines swing by 2× within minutes) hits all of them alike. Ratios are taken
// per round (paired), and their median and range are reported; below 1 = mtest faster.
// Usage: node test/bench/corpora.mjs [ROUNDS] [SHARED_DIR]   (SHARED_DIR: $MTEST_SHARED or ../shared)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const shared = process.argv[3] ?? process.env.MTEST_SHARED ?? path.join(root, '..', 'shared');
const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const hasPeer = () => spawnSync(py, ['-c', 'import numpy, pytest, xdist']).status === 0;
const corpus = mkdtempSync(path.join(tmpdir(), 'mtest-corpora-'));
process.on('exit', () => rmSync(corpus, { recursive: true, force: true }));
if (spawnSync(py, ['-c', 'import numpy']).status !== 0) {
  console.error('skipped: python3 with numpy is needed to generate the corpora');
  process.exit(0);
}
spawnSync(py, [path.join(shared, 'bench', 'gen-corpus.py'), corpus], { stdio: 'ignore' });
// The peer's own script installs pytest and xdist when they are missing (as root); one quick run of it.
if (!hasPeer()) spawnSync('bash', [path.join(shared, 'bench', 'run-peer.sh'), corpus, '1'], { stdio: 'ignore' });
if (!hasPeer()) {
  console.error('skipped: pytest and pytest-xdist are needed (apt-get install python3-pytest python3-pytest-xdist)');
  process.exit(0);
}

// Run as users run it (`mtest …`): the launcher itself is executed, not handed to node.
const mtest = path.join(root, 'bin', 'mtest.js');
const workloads = ['overhead', 'linalg', 'heavy'];
const commands = {
  'mtest --serial': (w) => [mtest, ['--serial', path.join(corpus, w, 'ts')], root],
  'mtest -p 2': (w) => [mtest, ['-p', '2', path.join(corpus, w, 'ts')], root],
  pytest: (w) => [py, ['-m', 'pytest', '--doctest-modules', '-q', '-p', 'no:cacheprovider', '.'], path.join(corpus, w, 'py')],
  'pytest -n 2': (w) => [py, ['-m', 'pytest', '--doctest-modules', '-q', '-p', 'no:cacheprovider', '-n', '2', '.'], path.join(corpus, w, 'py')],
};
const names = Object.keys(commands);

function timeOnce(name, workload) {
  const [cmd, args, cwd] = commands[name](workload);
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) {
    console.error(`FAILED (${r.status}): ${name} on ${workload}\n${String(r.stderr).slice(-2000)}`);
    process.exit(1);
  }
  return seconds;
}

const times = {}; // times[workload][name] = seconds per round
for (const w of workloads) times[w] = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < rounds; round++) {
  for (const w of workloads) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length];
      times[w][name].push(timeOnce(name, w));
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const paired = (a, b) => a.map((x, i) => x / b[i]);
const ratio = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const pad = (s, n) => String(s).padEnd(n);
console.log(`${rounds} interleaved rounds; times are medians, ratios are per-round medians (range)`);
console.log(pad('workload', 10) + names.map((n) => pad(n, 16)).join('') + pad('serial/pytest', 20) + pad('-p 2/pytest -n 2', 20) + '-p 2/serial');
for (const w of workloads) {
  const t = times[w];
  console.log(
    pad(w, 10) +
      names.map((n) => pad(`${median(t[n]).toFixed(2)} s`, 16)).join('') +
      pad(ratio(paired(t['mtest --serial'], t.pytest)), 20) +
      pad(ratio(paired(t['mtest -p 2'], t['pytest -n 2'])), 20) +
      ratio(paired(t['mtest -p 2'], t['mtest --serial'])),
  );
}
spawnSync(process.execPath, [path.join(root, 'test', 'bench', 'per-example.mjs'), path.join(corpus, 'overhead', 'ts')], { stdio: 'inherit' });
