// mtest bisect on a worker that ran 200 files before the failing one: how many replays, how long. One
// earlier example (in one of the 200 files) leaves global state behind; the last file's example fails
// because of it — with a wrong output, then with a hang (1 s limit). Runs the mtest command as users do.
// Target: at most 2·log2(200) + 10 ≈ 25 replays. Needs a build (dist/).
// Usage: node test/bench/bisect.mjs [PRELUDE]   (default node:util; `builtin` loads the engine in every worker)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/mtest.js', import.meta.url));
const prelude = process.argv[2] ?? 'node:util';
const FILES = 200;
const budget = 2 * Math.log2(FILES) + 10;

function corpus(kind, polluter) {
  const dir = mkdtempSync(path.join(tmpdir(), `mtest-bench-bisect-${kind}-`));
  for (let k = 0; k < FILES; k++) {
    const name = `f${String(k).padStart(3, '0')}.md`;
    const middle = k === polluter ? 'sage: globalThis.cached = true\ntrue\n' : `sage: globalThis.seen${k} = ${k}\n${k}\n`;
    writeFileSync(path.join(dir, name), `sage: ${k} + 1\n${k + 1}\n${middle}sage: 'f${k}'\n'f${k}'\n`);
  }
  // Same size as the others, last by name: the one worker runs it after all 200.
  const target = kind === 'hang' ? 'sage: while (globalThis.cached) {}\n' : "sage: globalThis.cached ? 'stale' : 'fresh'\n'fresh'\n";
  writeFileSync(path.join(dir, 'zz.md'), `sage: const n = 2\nsage: n * 3\n6\n${target}`);
  return dir;
}

const mtest = (dir, args) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });

for (const kind of ['wrong output', 'hang']) {
  for (const polluter of [17, 133]) {
    const dir = corpus(kind === 'hang' ? 'hang' : 'wrong', polluter);
    try {
      const run = mtest(dir, ['-p', '1', '--timeout', '1', '--prelude', prelude, '.']);
      if (!/1 failed/.test(run.stdout)) throw new Error(`the recorded run did not fail once:\n${run.stdout}${run.stderr}`);
      const started = Date.now();
      const r = mtest(dir, ['bisect', 'zz.md:4']);
      const seconds = (Date.now() - started) / 1000;
      const replays = Number(/bisect: (\d+) replays? in/.exec(r.stderr)?.[1]);
      const verdict = r.stdout.trimEnd().split('\n').at(-1);
      const expected = `bisect: zz.md:4 fails only after f${String(polluter).padStart(3, '0')}.md:3`;
      console.log(
        `${kind.padEnd(12)} polluter f${polluter}: ${replays} replays (budget ${budget.toFixed(1)}), ${seconds.toFixed(1)} s, ` +
          `${(seconds / replays).toFixed(2)} s per replay; ${verdict === expected ? 'right' : `WRONG: ${verdict}`}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
