#!/usr/bin/env node
// The protocol's own cost per example, on the parent's side of a worker (the records an example sends,
// decoded and checked) and on the worker's (its share of the run command, decoded and checked), and the
// --serial journal's append. Usage: protocol.mjs [DIST] — DIST: a build's dist folder (default this
// checkout's), so that two builds can be compared: run them alternately (A B B A …) and compare.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = path.resolve(process.argv[2] ?? fileURLToPath(new URL('../../dist', import.meta.url)));
const load = (module) => import(pathToFileURL(path.join(dist, module)).href);
const protocol = await load('runner/protocol.js');
const { Journal } = await load('runner/serial/journal.js');
const { encodeRecord, RECORD_MARK, RecordDecoder } = protocol;
// Builds before the channel named its kinds took the callback first.
const decoder = (onRecord) => (protocol.WORKER_RECORDS ? new RecordDecoder(protocol.WORKER_RECORDS, onRecord) : new RecordDecoder(onRecord));

const EXAMPLES = 10_000;
/** What a worker sends for a file: every example's start and end; one in `failEvery` fails (a JSON record). */
function stream(failEvery) {
  let text = '';
  for (let i = 0; i < EXAMPLES; i++) {
    text += encodeRecord({ t: 'start', seq: 1, i, at: 1_700_000_000_000 + i });
    const r = i % failEvery === 0 ? { index: i, status: 'failed', outcome: 'mismatch', got: `${i}\n`, note: 'Expected:\n    1\nGot:\n    2', time: 0.000123 } : { index: i, status: 'passed', outcome: 'ok', time: 0.000123 };
    text += encodeRecord({ t: 'end', seq: 1, r });
  }
  return Buffer.from(text);
}

const example = (i) => ({ source: `${i} + 1`, want: `${i + 1}\n`, line: 3 * i + 1, indent: 0, directives: { needs: [], errors: [] } });
const file = { path: 'bench.md', kind: 'markdown', tags: [], errors: [], blocks: Array.from({ length: 100 }, (_, b) => ({ name: `b${b}`, line: b * 300, examples: Array.from({ length: EXAMPLES / 100 }, (_, k) => example(b * 100 + k)) })) };
const options = { optional: [], long: false, randomSeed: 1, prelude: ['builtin'], notebookPrelude: [], initial: false, measureMemory: false };
const command = JSON.stringify({ t: 'run', seq: 1, file, options });
const decodeCommand = protocol.decodeCommand ?? ((line) => JSON.parse(line));

/** The fastest round's time per example, in ns: the machine's other load only ever adds to a round. */
function perExample(work, rounds = 25) {
  const times = [];
  for (let k = 0; k < rounds; k++) {
    const start = process.hrtime.bigint();
    work();
    times.push(Number(process.hrtime.bigint() - start) / EXAMPLES);
  }
  times.sort((a, b) => a - b);
  return times[0];
}

const passes = stream(Infinity);
const mixed = stream(10);
let delivered = 0;
const decode = (bytes) => () => {
  const d = decoder(() => delivered++);
  for (let at = 0; at < bytes.length; at += 65536) d.push(bytes.subarray(at, at + 65536));
};
const results = {
  'parent, all pass': perExample(decode(passes)),
  'parent, 1 in 10 fails': perExample(decode(mixed)),
  'worker, run command': perExample(() => decodeCommand(command)),
  'journal, append': perExample(() => {
    const journal = new Journal([file]);
    journal.fileStart(file);
    for (let i = 0; i < EXAMPLES; i++) journal.exampleEnd(file, { index: i, status: 'passed', outcome: 'ok', time: 0.000123 });
  }),
};
if (delivered === 0) throw new Error('nothing decoded');
console.log(JSON.stringify({ dist, RECORD_MARK: RECORD_MARK.length, ...Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v)])) }));
