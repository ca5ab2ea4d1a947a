// The --typecheck worker thread. It loads TypeScript and reads the default library and the prelude as
// soon as it starts, while mtest finds and parses the files; then it checks the files it is sent, beside
// the test run, so that the check overlaps the run instead of preceding it. Its young generation is larger
// than Node's default: the compiler allocates heavily and spent ~0.2-0.5 s in scavenges with the default.
import { parentPort, workerData } from 'node:worker_threads';
import { examplesOf, type SourceFile } from '../model.js';
import { NO_TYPESCRIPT, prepareTypechecker, type TypecheckOptions } from './index.js';

export type ThreadSetup = Pick<TypecheckOptions, 'prelude' | 'cwd'>;

export interface ThreadRequest {
  files: SourceFile[];
  optional: string[];
  long: boolean;
}

export interface ThreadOutput {
  checked: number;
  failed: number;
  error?: string;
  /** [position of the file in the request, flat example index, type errors] of the failing examples. */
  errors: [number, number, string[]][];
  /** Wall time of the whole check, from the thread's start. */
  seconds: number;
}

const start = process.hrtime.bigint();
const elapsed = (): number => Number(process.hrtime.bigint() - start) / 1e9;
let prepared: ReturnType<typeof prepareTypechecker>;
let failure: string | undefined;
try {
  prepared = prepareTypechecker(workerData as ThreadSetup);
  if (!prepared) failure = NO_TYPESCRIPT;
} catch (error) {
  failure = `--typecheck failed: ${(error as Error)?.stack ?? error}`;
}

parentPort?.once('message', (request: ThreadRequest) => {
  let output: ThreadOutput;
  try {
    if (!prepared) throw new Error(failure);
    const result = prepared.check(request.files, { optional: request.optional, long: request.long });
    const errors: [number, number, string[]][] = [];
    request.files.forEach((file, f) => {
      for (const { index, example } of examplesOf(file)) if (example.typeErrors) errors.push([f, index, example.typeErrors]);
    });
    output = { ...result, errors, seconds: elapsed() };
  } catch (error) {
    output = { checked: 0, failed: 0, errors: [], error: failure ?? `--typecheck failed: ${(error as Error)?.stack ?? error}`, seconds: elapsed() };
  }
  parentPort?.postMessage(output);
});
