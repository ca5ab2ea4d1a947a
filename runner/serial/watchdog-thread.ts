// The watchdog thread's body (see watchdog.ts). It runs on its own event loop, so it keeps working while
// the main thread of the process is stuck; everything it prints goes out with fs.writeSync, because
// console.* from a worker thread is relayed through the (stuck) main thread and would never appear.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { captureMainThreadStack } from '../diagnosis/js-stack.js';
import { nativeStack } from '../diagnosis/native-stack.js';
import { formatProcessTree } from '../diagnosis/process-tree.js';
import { Heartbeat, type HeartbeatSnapshot } from './heartbeat.js';
import { killTreeNow } from '../kill.js';
import { fileTimeoutMessage, memoryMessage, timeoutMessage } from '../diagnosis/messages.js';
import type { StackReason, WatchdogMessage, WatchdogThreadData } from './watchdog.js';

const data = workerData as WatchdogThreadData;
const heartbeat = new Heartbeat(data.buffer);
/** Serial mode: ends a guarded synchronous example (native/guard). */
const guard = data.guardAddon ? (createRequire(import.meta.url)(data.guardAddon) as { interrupt(): boolean }) : undefined;

/** Inspector pause budget: ~25–60 ms when the main thread runs JavaScript; no answer means native code. */
const JS_STACK_WAIT_MS = 500;
/** Serial mode: how long the evaluator gets to end an example past its limit before the process is ended. */
const INTERRUPT_GRACE_MS = 1000;
const MEMORY_POLL_MS = 100;

/** The file now running (serial and debug modes), with what a report quotes of its examples. */
let described: WatchdogMessage | undefined;
parentPort?.on('message', (message: WatchdogMessage) => {
  described = message;
});

const handled: Record<StackReason, number> = { timeout: 0, 'file-timeout': 0, memory: 0 };
let busy = false;
let lastMemoryCheck = 0;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const write = (text: string): void => {
  try {
    fs.writeSync(data.reportFd, text);
  } catch {
    // nowhere left to report
  }
};

function tick(): void {
  if (busy) return;
  const now = Date.now();
  const beat = heartbeat.read();
  if (beat.index < 0) return;
  let reason: StackReason | undefined;
  let rss = 0;
  if (beat.exampleLimitMs > 0 && now - beat.exampleStart >= beat.exampleLimitMs && handled.timeout !== beat.example) {
    reason = 'timeout';
    handled.timeout = beat.example;
  } else if (beat.fileLimitMs > 0 && now - beat.fileStart >= beat.fileLimitMs && handled['file-timeout'] !== beat.file) {
    reason = 'file-timeout';
    handled['file-timeout'] = beat.file;
  } else if (beat.memlimit > 0 && now - lastMemoryCheck >= MEMORY_POLL_MS && handled.memory !== beat.example) {
    lastMemoryCheck = now;
    rss = process.memoryUsage.rss();
    if (rss > beat.memlimit) {
      reason = 'memory';
      handled.memory = beat.example;
    }
  }
  if (!reason) return;
  busy = true;
  const handler = data.mode === 'serial' ? endStuckExample : warnStillRunning;
  handler(reason, beat)
    .catch((error: unknown) => write(`mtest: watchdog: ${error instanceof Error ? error.stack : String(error)}\n`))
    .finally(() => {
      busy = false;
    });
}

function stillRunning(beat: HeartbeatSnapshot): boolean {
  const now = heartbeat.read();
  return now.index >= 0 && now.example === beat.example;
}

function describe(beat: HeartbeatSnapshot): { where: string; source: string } {
  const current = described?.id === beat.file ? described : undefined;
  const example = current?.examples[beat.index];
  const file = current?.path ?? 'the current file';
  if (!example) return { where: `example #${beat.index + 1} of ${file}`, source: '' };
  return {
    where: `line ${example.line} of ${file}`,
    source: example.source
      .split('\n')
      .map((line) => '    ' + line)
      .join('\n'),
  };
}

function limitMessage(reason: StackReason, beat: HeartbeatSnapshot, elapsed: number): string {
  const where = `while running ${describe(beat).where}`;
  if (reason === 'memory') return memoryMessage(process.memoryUsage.rss(), beat.memlimit, where);
  const message = reason === 'timeout' ? timeoutMessage(beat.exampleLimitMs / 1000, where) : fileTimeoutMessage(beat.fileLimitMs / 1000, where);
  return `${message} (running for ${(elapsed / 1000).toFixed(1)} s)`;
}

async function stacks(): Promise<string> {
  const js = await captureMainThreadStack(JS_STACK_WAIT_MS);
  if (js) return `JavaScript stack:\n${js}\n`;
  const native = data.gdb ? await nativeStack(process.pid) : undefined;
  if (native) return `The JavaScript stack did not answer (inside native code). Native stack (gdb):\n${native}\n`;
  return `The JavaScript stack did not answer (inside native code)${data.gdb ? '; gdb gave no stack' : '; gdb is off'}.\n`;
}

/** Serial mode: interrupt once; if that does not end the example, report it and end the process. */
async function endStuckExample(reason: StackReason, beat: HeartbeatSnapshot): Promise<void> {
  if (reason !== 'memory') {
    // A synchronous example is ended through the guard; an awaited one the evaluator's own race ends.
    // Give the evaluator a second to turn that into a result.
    guard?.interrupt();
    const until = Date.now() + INTERRUPT_GRACE_MS;
    while (Date.now() < until) {
      await sleep(data.pollMs);
      if (!stillRunning(beat)) return;
    }
  }
  const elapsed = Date.now() - (reason === 'file-timeout' ? beat.fileStart : beat.exampleStart);
  const stack = await stacks();
  if (!stillRunning(beat)) return;
  const { source } = describe(beat);
  const tree = formatProcessTree(process.pid);
  write(
    `${'*'.repeat(70)}\nmtest: ${limitMessage(reason, beat, elapsed)}\n` +
      (source ? `${source}\n` : '') +
      (reason === 'memory' ? '' : 'The example could not be interrupted (native code, or a loop in a promise job).\n') +
      stack +
      (tree ? `Process tree:\n${tree}\n` : '') +
      `mtest: ending the process.\n`,
  );
  killTreeNow(process.pid, false);
  process.kill(process.pid, 'SIGKILL');
}

/** Debug mode: say which line is still running, with its stack, and let it run. */
async function warnStillRunning(reason: StackReason, beat: HeartbeatSnapshot): Promise<void> {
  const { where, source } = describe(beat);
  const elapsed = (Date.now() - (reason === 'file-timeout' ? beat.fileStart : beat.exampleStart)) / 1000;
  const stack = await stacks();
  if (!stillRunning(beat)) return;
  const head =
    reason === 'memory'
      ? `mtest: ${limitMessage(reason, beat, elapsed * 1000)}`
      : `mtest: still running ${where} after ${elapsed.toFixed(0)} s`;
  write(`${head}\n${source ? source + '\n' : ''}${stack}`);
}

setInterval(tick, data.pollMs);
