// A worker process (started by WorkerPool). It runs one file at a time when told to on its command pipe,
// and announces every example in its record log *before* running it and reports it right after. It never
// decides its own fate: the parent watches the clock and memory, takes its stacks (inspector, eu-stack or gdb) and kills it.
import { restoreExtraCaCerts } from '../extra-ca.js';
import { describeError } from '../../src/display.js';
import { executeFile } from '../../src/execute/index.js';
import type { ExampleResult } from '../../src/model.js';
import { isBuiltinEngine, loadPrelude } from '../../src/execute/modules.js';
import net from 'node:net';
import { COMMAND_FD, decodeCommand, DOORBELL_FD, LOG_FD, NAME_BLAS_ENV, PRELUDE_ENV, recordMark, type BlasInfo, type WorkerCommand } from '../protocol.js';
import { fromJson, list, text } from '../../src/checks.js';
import { RecordWriter } from './record-writer.js';
import { processAddon } from '../process-addon.js';
import { LeftoverTracker } from '../leftovers.js';

type RunCommand = Extract<WorkerCommand, { t: 'run' }>;

restoreExtraCaCerts();

const log = new RecordWriter(LOG_FD, DOORBELL_FD);
// Opened before the leftover tracker notes the handles that are mtest's own.
const commands = new net.Socket({ fd: COMMAND_FD, readable: true, writable: false });
// A worker whose pool was killed outright must not linger, even stuck in native code: the kernel ends it.
// (Without the guard addon, the end of the command pipe below still ends an idle one.)
processAddon()?.dieWithParent(process.ppid);
// Orphans of what examples start are re-parented here, so a timeout's kill of this tree reaches them.
processAddon()?.becomeSubreaper();
const leftovers = new LeftoverTracker().install();
let runningSeq = 0;

// An exception nobody handled (a timer callback, an unhandled rejection) ends the worker as it would end
// any Node program; first tell the parent what it was, since stderr alone is easy to lose.
process.on('uncaughtException', (error, origin) => {
  // Should the executor ever handle these itself (attributing them to the running example), let it.
  if (process.listenerCount('uncaughtException') > 1) return;
  const what = origin === 'unhandledRejection' ? 'Unhandled promise rejection' : 'Uncaught exception in a callback';
  const text = describeError(error, true);
  log.ring({ t: 'fatal', seq: runningSeq, message: `${what}: ${text}` });
  process.exit(70);
});
// process.exit() inside an example: whatever was deferred still goes out.
process.on('exit', () => log.flush());
// The pool runs workers in their own process group, so a terminal Ctrl-C does not reach them; should a
// SIGINT arrive anyway, the pool (not the worker) decides what happens.
process.on('SIGINT', () => {});

async function runFile(command: RunCommand): Promise<void> {
  const seq = command.seq;
  runningSeq = seq;
  try {
    // A worker never interrupts an example itself: its parent enforces limits by killing it, which costs
    // nothing per example.
    const options = { ...command.options, timeout: 0, interruptSync: false };
    leftovers.fileStarted();
    await executeFile(command.file, options, {
      exampleStart(index: number): void {
        leftovers.exampleStarted(index);
        log.write({ t: 'start', seq, i: index, at: Date.now() });
      },
      exampleEnd(result: ExampleResult): void {
        leftovers.exampleEnded();
        // Sent with the next start record (or at the end of this tick): one system call per example.
        log.defer({ t: 'end', seq, r: result });
      },
    });
    let retire = false;
    for (const { message, index, unclosed } of leftovers.sweep()) {
      log.write({ t: 'warning', seq, message: unclosed ? `${message}; this worker is given no other file` : message, i: index });
      retire ||= unclosed === true;
    }
    log.ring(retire ? { t: 'done', seq, retire } : { t: 'done', seq });
  } catch (error) {
    log.ring({ t: 'error', seq, message: describeError(error, true) });
  }
}

// Commands are handled one after another: a worker runs one file at a time. The first line is the key
// its records carry; nothing is written before it has arrived.
let queue = Promise.resolve();
let keyed!: () => void;
const keyArrived = new Promise<void>((resolve) => (keyed = resolve));
let partial = '';
commands.setEncoding('utf8');
commands.on('data', (chunk: string) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop()!;
  for (const line of lines) {
    if (!line) continue;
    const command = decodeCommand(line);
    if (command) handle(command);
    else unreadable(line);
  }
});
// The pool went away: nothing will read our results.
commands.on('end', () => process.exit(0));
commands.on('error', () => process.exit(0));

/** The parent broke the protocol: say so (as an unhandled error would be) and end, as such an error would. */
function unreadable(line: string): void {
  log.ring({ t: 'fatal', seq: runningSeq, message: `mtest sent this worker a command it cannot read: ${JSON.stringify(line.slice(0, 200))}` });
  process.exit(70);
}

function handle(command: WorkerCommand): void {
  if (command.t === 'key') {
    log.setMark(recordMark(command.key));
    keyed();
  } else if (command.t === 'exit') {
    queue = queue.then(() => process.exit(0));
  } else {
    queue = queue.then(() => runFile(command));
  }
}

/**
 * Load the prelude the pool named (PRELUDE_ENV) while the parent is still finding and parsing files, and,
 * when asked (NAME_BLAS_ENV), read the engine's BLAS facts for the run's header. A prelude that fails to
 * load fails each file's run with its message, as it would without this.
 */
async function preload(): Promise<{ blas?: BlasInfo; preludeError?: string }> {
  const named = process.env[PRELUDE_ENV];
  const nameBlas = process.env[NAME_BLAS_ENV] === '1';
  delete process.env[PRELUDE_ENV];
  delete process.env[NAME_BLAS_ENV];
  if (!named) return {};
  try {
    const modules = fromJson(named, list(text));
    if (!modules) throw new Error(`${PRELUDE_ENV} is not a list of modules: ${named}`);
    const exports = await loadPrelude(modules);
    const config = nameBlas && modules.some(isBuiltinEngine) ? engineBlas(exports) : undefined;
    return { blas: config && { library: config.library, version: config.version, threads: config.threads, coretype: config.coretype } };
  } catch (error) {
    return { preludeError: error instanceof Error ? error.message : String(error) };
  }
}

/** The engine's BLAS facts; none when its addon is not built (its examples then say why, one by one). */
function engineBlas(exports: Record<string, unknown>): BlasInfo | undefined {
  try {
    return (exports.blasConfig as (() => BlasInfo) | undefined)?.();
  } catch {
    return undefined;
  }
}

void Promise.all([preload(), keyArrived]).then(([loaded]) => log.ring({ t: 'ready', pid: process.pid, ...loaded }));
