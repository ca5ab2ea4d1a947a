#!/usr/bin/env node
// Per-example overhead of the evaluation stage (compile, run, display, check), measured inside one
// process on the examples of the `overhead` corpus: the median and p90 of every example's own time,
// as mtest --serial runs them (time limits armed). Usage: per-example.mjs CORPUS_DIR/overhead/ts
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadSource } from '../../dist/src/sources/index.js';
import { executeFile } from '../../dist/src/execute/index.js';
import { AddonGuard, syncGuard } from '../../dist/runner/serial/interrupt.js';
import { Watchdog } from '../../dist/runner/serial/watchdog.js';
import { limitOf } from '../../dist/src/options.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: per-example.mjs CORPUS_DIR/overhead/ts');
  process.exit(2);
}
const options = { optional: [], long: false, randomSeed: 1, timeout: 60, interruptSync: true, prelude: ['builtin'], initial: false, measureMemory: false };
// Armed as under --serial: the guard, and the watchdog thread that would interrupt it.
const guard = syncGuard();
const watchdog = Watchdog.start({ mode: 'serial', gdb: false, guardAddon: guard instanceof AddonGuard ? guard.addonPath : undefined });
const times = [];
let failed = 0;
const started = process.hrtime.bigint();
for (const name of readdirSync(dir).sort()) {
  if (!name.endsWith('.ts')) continue;
  const file = loadSource(path.join(dir, name));
  if (!file) continue;
  watchdog.fileStarted(0, 0, 0);
  await executeFile(
    file,
    options,
    {
      exampleStart: (index, example) => watchdog.exampleStarted(index, limitOf(example, options)),
      exampleEnd: (r) => {
        watchdog.exampleEnded();
        if (r.status === 'passed') times.push(r.time);
        else failed++;
      },
    },
    { guard },
  );
  watchdog.fileEnded();
}
const wall = Number(process.hrtime.bigint() - started) / 1e9;
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))] * 1e6;
await watchdog.stop();
console.log(`examples ${times.length} (failed ${failed}); per example: median ${q(0.5).toFixed(1)} us, p90 ${q(0.9).toFixed(1)} us; parse+run wall ${wall.toFixed(2)} s`);
