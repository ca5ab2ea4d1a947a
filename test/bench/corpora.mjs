// mtest against its peer (pytest --doctest-modules, serial and -n 2) on the benchmark corpora (gen-corpus.py), with
// each numpy a user may have: Debian's (/usr/bin/python3, on the system OpenBLAS, as mtest's engine) and the
// default python3's when that is another interpreter (typically a pip numpy with its own newer OpenBLAS).
// Interleaved: every round runs each command once per workload, in a rotating order, so a change in the
// machine's load (these shared machines swing by 2× within minutes) hits all of them alike. Ratios are taken
// per round (paired), and their median and range are reported; below 1 = mtest faster.
// pytest -n 2 runs its workers with one BLAS thread each (OPENBLAS_NUM_THREADS=1), the budget mtest gives its
// own two workers: on heavy, two workers with two threads each oversubscribe this machine.
// Usage: node test/bench/corpora.mjs [ROUNDS]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const here = path.join(root, 'test', 'bench');

const works = (py, code) => spawnSync(py, ['-c', code]).status === 0;
const interpreter = (py) => {
  const r = spawnSync(py, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  return r.status === 0 ? realpathSync(r.stdout.trim()) : undefined;
};
const debian = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const corpus = mkdtempSync(path.join(tmpdir(), 'mtest-corpora-'));
process.on('exit', () => rmSync(corpus, { recursive: true, force: true }));
if (!works(debian, 'import numpy')) {
  console.error('skipped: python3 with numpy is needed to generate the corpora');
  process.exit(0);
}
spawnSync(debian, [path.join(here, 'gen-corpus.py'), corpus], { stdio: 'ignore' });
// The peer's own script installs pytest and xdist when they are missing (as root); one quick run of it.
if (!works(debian, 'import numpy, pytest, xdist')) spawnSync('bash', [path.join(here, 'run-peer.sh'), corpus, '1'], { stdio: 'ignore' });
if (!works(debian, 'import numpy, pytest, xdist')) {
  console.error('skipped: pytest and pytest-xdist are needed (apt-get install python3-pytest python3-pytest-xdist)');
  process.exit(0);
}

/** pytest's arguments for `-n 2` under `py`: xdist registered by its entry point, or loaded by name. */
function xdistArgs(py) {
  const help = spawnSync(py, ['-m', 'pytest', '--help'], { encoding: 'utf8' });
  if (/^\s+-n numprocesses/m.test(help.stdout ?? '')) return ['-n', '2'];
  return works(py, 'import xdist.plugin') ? ['-p', 'xdist.plugin', '-n', '2'] : undefined;
}

const peers = [{ label: 'Debian numpy', py: debian }];
if (interpreter('python3') && interpreter('python3') !== interpreter(debian) && works('python3', 'import numpy, pytest')) {
  const version = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' }).stdout.trim();
  peers.push({ label: `pip numpy ${version}`, py: 'python3' });
}

// Run as users run it (`mtest …`): the launcher itself is executed, not handed to node.
const mtest = path.join(root, 'bin', 'mtest.js');
const workloads = ['overhead', 'linalg', 'heavy'];
const pytest = (py, extra) => (w) => [py, ['-m', 'pytest', '--doctest-modules', '-q', '-p', 'no:cacheprovider', ...extra, '.'], path.join(corpus, w, 'py')];
const commands = {
  'mtest --serial': (w) => [mtest, ['--serial', path.join(corpus, w, 'ts')], root],
  'mtest -p 2': (w) => [mtest, ['-p', '2', path.join(corpus, w, 'ts')], root],
};
const oneThread = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
const envOf = {};
for (const peer of peers) {
  peer.serial = `pytest (${peer.label})`;
  commands[peer.serial] = pytest(peer.py, []);
  const xdist = xdistArgs(peer.py);
  if (!xdist) continue;
  peer.parallel = `pytest -n 2 (${peer.label})`;
  commands[peer.parallel] = pytest(peer.py, xdist);
  envOf[peer.parallel] = oneThread;
}
const names = Object.keys(commands);

function timeOnce(name, workload) {
  const [cmd, args, cwd] = commands[name](workload);
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env: envOf[name] ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
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
const best = (t, which) => t[which[0]].map((_, i) => Math.min(...which.map((n) => t[n][i])));
const ratio = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
console.log(`${rounds} interleaved rounds; times are medians, ratios are per-round medians (range); "best": the faster configuration of that round`);
for (const w of workloads) {
  const t = times[w];
  console.log(`\n${w}`);
  for (const n of names) console.log(`  ${n.padEnd(36)} ${median(t[n]).toFixed(2)} s`);
  const mtestBest = best(t, ['mtest --serial', 'mtest -p 2']);
  for (const peer of peers) {
    console.log(`  mtest --serial / ${peer.serial.padEnd(28)} ${ratio(paired(t['mtest --serial'], t[peer.serial]))}`);
    if (peer.parallel) console.log(`  mtest -p 2 / ${peer.parallel.padEnd(32)} ${ratio(paired(t['mtest -p 2'], t[peer.parallel]))}`);
    const peerBest = best(t, [peer.serial, ...(peer.parallel ? [peer.parallel] : [])]);
    console.log(`  best mtest / best pytest (${peer.label})`.padEnd(52) + ` ${ratio(paired(mtestBest, peerBest))}`);
  }
  console.log(`  mtest -p 2 / mtest --serial`.padEnd(52) + ` ${ratio(paired(t['mtest -p 2'], t['mtest --serial']))}`);
}
spawnSync(process.execPath, [path.join(root, 'test', 'bench', 'per-example.mjs'), path.join(corpus, 'overhead', 'ts')], { stdio: 'inherit' });
