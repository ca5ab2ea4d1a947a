// The process of one `mtest bisect --serial` replay: runs the planned files in this process exactly as
// --serial runs them (same runner, same limits), each with its own subset of examples, and writes every
// example's start and end to the records file as it happens (replay.ts reads them). Should the watchdog
// have to end the process, it writes the incident there too.
import { openSync, readFileSync, writeSync } from 'node:fs';
import { restoreExtraCaCerts } from '../../runner/extra-ca.js';
import { encodeRecord } from '../../runner/protocol.js';
import { runSerial } from '../../runner/serial/serial.js';
import { fromJson } from '../checks.js';
import type { RunEvents } from '../events.js';
import type { SourceFile } from '../model.js';
import { isChildPlan, type ChildRecord } from './replay.js';

restoreExtraCaCerts();

const [planFile, outFile] = process.argv.slice(2);
const plan = fromJson(readFileSync(planFile, 'utf8'), isChildPlan);
if (!plan) {
  process.stderr.write(`mtest: bisect: the replay's plan cannot be read (${planFile})\n`);
  process.exit(70);
}
const out = openSync(outFile, 'a');
const write = (record: ChildRecord): void => void writeSync(out, encodeRecord(record));
const steps = new Map<SourceFile, number>(plan.files.map((file, k) => [file, k]));
const step = (file: SourceFile): number => steps.get(file) ?? -1;

const events: RunEvents = {
  fileStart() {},
  exampleStart: (file, i) => write({ t: 'start', seq: step(file), i, at: Date.now() }),
  exampleEnd: (file, r) => write({ t: 'end', seq: step(file), r }),
  incident() {},
  warning() {},
  fileEnd() {},
};
const outcome = await runSerial(plan.files, plan.options, events, undefined, undefined, (file) => plan.only[step(file)] ?? undefined, out);
// An example's timer or handle must not keep the replay alive.
process.exit(outcome.interrupted ? 130 : 0);
