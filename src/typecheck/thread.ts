// The --typecheck worker thread. It loads TypeScript and reads the default library and the prelude as
// soon as it starts, while mtest finds and parses the files; then it checks the files it is sent, beside
// the test run, so that the check overlaps the run instead of preceding it. Its young generation is larger
// than Node's default: the compiler allocates heavily and spent ~0.2-0.5 s in scavenges with the default.
import { parentPort, workerData } from 'node:worker_threads';
import { examplesOf } from '../model.js';
import { NO_TYPESCRIPT, prepareTypechecker } from './index.js';
import { failedCheck, isThreadRequest, isThreadSetup, type ThreadOutput } from './messages.js';

export type { ThreadOutput, ThreadRequest, ThreadSetup } from './messages.js';

const start = process.hrtime.bigint();
const elapsed = (): number => Number(process.hrtime.bigint() - start) / 1e9;
let prepared: ReturnType<typeof prepareTypechecker>;
let failure: string | undefined;
try {
  if (!isThreadSetup(workerData)) failure = '--typecheck failed: its thread was started with data it cannot read';
  else prepared = prepareTypechecker(workerData);
  if (!prepared) failure ??= NO_TYPESCRIPT;
} catch (error) {
  failure = `--typecheck failed: ${(error as Error)?.stack ?? error}`;
}

parentPort?.once('message', (request: unknown) => {
  let output: ThreadOutput;
  if (!prepared || failure) {
    output = failedCheck(failure ?? NO_TYPESCRIPT, elapsed());
  } else if (!isThreadRequest(request)) {
    output = failedCheck('--typecheck failed: its thread was sent a request it cannot read', elapsed());
  } else {
    try {
      const result = prepared.check(request.files, { optional: request.optional, long: request.long });
      const errors: [number, number, string[]][] = [];
      request.files.forEach((file, f) => {
        for (const { index, example } of examplesOf(file)) if (example.typeErrors) errors.push([f, index, example.typeErrors]);
      });
      output = { ...result, errors, seconds: elapsed() };
    } catch (error) {
      output = failedCheck(`--typecheck failed: ${(error as Error)?.stack ?? error}`, elapsed());
    }
  }
  parentPort?.postMessage(output);
});
