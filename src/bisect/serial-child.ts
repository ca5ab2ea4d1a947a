// The process of one `mtest bisect --serial` replay: runs the planned files one after another in this
// process, exactly as --serial runs them (same runner, same limits), each with its own subset of examples,
// and writes every example's start and end to the records file as it happens.
import { openSync, readFileSync, writeSync } from 'node:fs';
import { restoreExtraCaCerts } from '../../runner/extra-ca.js';
import { runSerial } from '../../runner/serial/serial.js';
import type { RunEvents } from '../events.js';
import type { ChildPlan, ChildRecord } from './replay.js';

restoreExtraCaCerts();

const [planFile, outFile] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, 'utf8')) as ChildPlan;
const out = openSync(outFile, 'a');
const write = (record: ChildRecord): void => void writeSync(out, JSON.stringify(record) + '\n');

for (const [k, file] of plan.files.entries()) {
  const events: RunEvents = {
    fileStart() {},
    exampleStart: (_file, i) => write({ t: 'start', k, i }),
    exampleEnd: (_file, r) => write({ t: 'end', k, r }),
    incident() {},
    warning() {},
    fileEnd() {},
  };
  const outcome = await runSerial([file], { ...plan.options, only: plan.only[k] ?? undefined }, events);
  if (outcome.interrupted) process.exit(130);
}
// An example's timer or handle must not keep the replay alive.
process.exit(0);
