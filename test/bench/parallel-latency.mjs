// Timeout-to-report latency of the worker pool: from the moment an example passes its limit to the moment
// its incident (with the stack) is reported, for a JavaScript hang and a native hang (measured from the
// file's start, so an upper bound). Needs a build (dist/).
// Usage: node test/bench/parallel-latency.mjs [RUNS]
import { fileURLToPath } from 'node:url';
import { runWorkers } from '../../dist/runner/parent/pool.js';
import { RecordingEvents } from '../../dist/runner/recording-events.js';
import { loadSource } from '../../dist/src/sources/index.js';

const runs = Number(process.argv[2] ?? 3);
const fixtures = fileURLToPath(new URL('../fixtures/faults/', import.meta.url));
const options = {
  optional: [], long: false, randomSeed: 1, timeout: 1, interruptSync: false, prelude: [], initial: false,
  jobs: 1, isolate: false, blasThreads: 1, fileTimeout: 0, memlimit: 0, gdb: true, serial: false, debug: false, verbose: false, exitFirst: false,
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [name, fixture] of [['JS hang', 'js-loop.md'], ['native hang', 'native-sleep.md']]) {
  const latencies = [];
  let stack = '';
  for (let i = 0; i < runs; i++) {
    const file = loadSource(fixtures + fixture);
    const events = new RecordingEvents();
    await runWorkers([file], options, events, { handleSignals: false });
    const record = events.files.get(file.path);
    const incident = record.incidents[0];
    // From the file's start, not the example's: the parent reads a worker's records in bulk (every 50 ms),
    // so it learns of an example's start late. An upper bound (it includes the examples before the hang).
    const started = record.times.fileStart;
    latencies.push(record.times.incident[0] - started - options.timeout * 1000);
    stack = incident.jsStack ? 'JavaScript stack' : incident.nativeStack ? 'native stack' : 'no stack';
  }
  console.log(`${name.padEnd(12)} timeout → report: median ${median(latencies)} ms (runs: ${latencies.join(', ')} ms), with ${stack}`);
}
