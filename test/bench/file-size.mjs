#!/usr/bin/env node
// Cost per example within one file, by the file's size: `mtest --serial` on one TypeScript file of 5k,
// 10k, 20k and 40k examples (10 per doc comment, each comment above an exported function that the
// examples do not name), rounds interleaved. Prints each size's median wall time and cost per example,
// and the 40k / 10k ratio of the per-example cost (1.0 = flat), also with mtest's fixed cost (the time of
// a 10-example file, same round) taken off.
//
//   node test/bench/file-size.mjs [ROUNDS]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const rounds = Number(process.argv[2] ?? 5);
const sizes = [10, 5000, 10000, 20000, 40000];
const dir = mkdtempSync(path.join(os.tmpdir(), 'mtest-file-size-'));

function source(examples) {
  const out = [];
  for (let b = 0; b < examples / 10; b++) {
    out.push('/**', ` * Block ${b}.`, ' *');
    for (let k = 0; k < 10; k++) {
      if (k % 3 === 0) out.push(` *     sage: const v${k} = ${b} + ${k}`);
      else out.push(` *     sage: ${b} * ${k} + 1`, ` *     ${b * k + 1}`);
    }
    out.push(' */', `export function f${b}(x: number): number {`, `  return x + ${b};`, '}', '');
  }
  return out.join('\n');
}

const files = sizes.map((n) => {
  const file = path.join(dir, `f${n}.ts`);
  writeFileSync(file, source(n));
  return file;
});

const times = sizes.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (const [i, file] of files.entries()) {
    const t0 = process.hrtime.bigint();
    const p = spawnSync(process.execPath, [path.join(root, 'bin', 'mtest.js'), '--serial', '--prelude', 'node:util', file], { encoding: 'utf8' });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const last = p.stdout.trimEnd().split('\n').pop();
    if (!last?.startsWith(`${sizes[i]} passed, 0 failed`)) {
      console.error(`unexpected result for ${sizes[i]} examples: ${last}\n${p.stderr}`);
      process.exit(1);
    }
    times[i].push(s);
  }
}
rmSync(dir, { recursive: true, force: true });

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const base = times[0];
for (const [i, n] of sizes.entries()) {
  const t = median(times[i]);
  const net = median(times[i].map((x, r) => x - base[r]));
  console.log(`${String(n).padStart(6)} examples: ${t.toFixed(2)} s, ${((t / n) * 1e6).toFixed(1)} µs per example${i ? `, ${((net / n) * 1e6).toFixed(1)} µs without the fixed cost` : ' (fixed cost)'}`);
}
const ratio = (f) => {
  const r = times[4].map((_, k) => f(4, k) / f(2, k));
  return `${median(r).toFixed(2)} (range ${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`;
};
console.log(`per-example cost 40k / 10k, paired by round: ${ratio((i, k) => times[i][k] / sizes[i])}; without the fixed cost ${ratio((i, k) => (times[i][k] - base[k]) / sizes[i])}`);
