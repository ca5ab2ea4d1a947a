// Timeout-to-report latency of the worker pool: from the moment an example passes its limit to the moment
// its incident (with the stack) is reported, for a JavaScript hang and a native hang (measured from the
// file's start, so an upper bound). Each run is a fresh process, as a user's run is: nothing the first hang
// of a run loads (the inspector's client) is already there. Needs a build (dist/).
// Usage: node test/bench/parallel-latency.mjs [RUNS]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../fixtures/faults/', import.meta.url));
const options = {
  optional: [], long: false, randomSeed: 1, timeout: 1, interruptSync: false, prelude: [], initial: false,
  jobs: 1, isolate: false, blasThreads: 1, fileTimeout: 0, memlimit: 0, gdb: true, serial: false, debug: false, verbose: false, exitFirst: false,
};

if (process.argv[2] === '--once') {
  const { runWorkers } = await import('../../dist/runner/parent/pool.js');
  const { RecordingEvents } = await import('../../dist/src/recording-events.js');
  const { loadSource } = await import('../../dist/src/sources/index.js');
  const file = loadSource(fixtures + process.argv[3]);
  const events = new RecordingEvents();
  await runWorkers([file], options, events, { handleSignals: false });
  const record = events.files.get(file.path);
  const incident = record.incidents[0];
  // From the file's start, not the example's: the parent reads a worker's records in bulk (every 50 ms),
  // so it learns of an example's start late. An upper bound (it includes the examples before the hang).
  const latency = record.times.incident[0] - record.times.fileStart - options.timeout * 1000;
  const stack = incident.jsStack ? 'JavaScript stack' : incident.nativeStack ? 'native stack' : 'no stack';
  console.log(JSON.stringify({ latency, stack }));
  process.exit(0);
}

const runs = Number(process.argv[2] ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { 'JS hang': [], 'native hang': [] };
const fixtureOf = { 'JS hang': 'js-loop.md', 'native hang': 'native-sleep.md' };
let stacks = {};
for (let i = 0; i < runs; i++) {
  // Interleaved: a change in the machine's load hits both alike.
  for (const name of Object.keys(results)) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--once', fixtureOf[name]], { encoding: 'utf8' });
    const { latency, stack } = JSON.parse(out.trim().split('\n').pop());
    results[name].push(latency);
    stacks[name] = stack;
  }
}
for (const [name, latencies] of Object.entries(results)) {
  console.log(`${name.padEnd(12)} timeout → report: median ${median(latencies)} ms (runs: ${latencies.join(', ')} ms), with ${stacks[name]}`);
}
