// The watchdog thread under --serial / --debug, driven by test/fixtures/faults/serial-watchdog.mjs, which
// plays the serial runner around one misbehaving example (line 12 of fake.md).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findGdb } from '../runner/diagnosis/native-stack.js';
import { survivorsAfter, treePidsOf } from './fault-helpers.js';

const DRIVER = fileURLToPath(new URL('../../test/fixtures/faults/serial-watchdog.mjs', import.meta.url));

interface Outcome {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

function drive(mode: string, hang: string): Promise<Outcome> {
  const started = Date.now();
  const child = spawn(process.execPath, [DRIVER, mode, hang], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const guard = setTimeout(() => child.kill('SIGKILL'), 15000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ stdout, stderr, code, signal, ms: Date.now() - started });
    }),
  );
}

describe('watchdog thread (--serial, --debug)', function () {
  this.timeout(20000);

  it('serial, hang in native code: prints line, source, native stack and tree, then ends the process and its children', async () => {
    const out = await drive('serial', 'native');
    assert.equal(out.signal, 'SIGKILL');
    assert.doesNotMatch(out.stdout, /finished/);
    assert.match(out.stderr, /mtest: Timed out after 0\.5 s while running line 12 of fake\.md/);
    assert.match(out.stderr, /^ {4}hang\('native'\)$/m);
    if (findGdb()) assert.match(out.stderr, /Native stack \(gdb\):\n.*\[main thread\]/);
    assert.match(out.stderr, /Process tree:[\s\S]*sleep 30/);
    const tree = out.stderr.slice(out.stderr.indexOf('Process tree:') + 'Process tree:\n'.length);
    const pids = treePidsOf(tree.split('\nmtest:')[0]);
    assert.ok(pids.length >= 2, tree);
    assert.deepEqual(await survivorsAfter(pids), [], 'the sleeping child died with it');
    assert.ok(out.ms < 8000, `${out.ms} ms`);
  });

  it('serial, a JavaScript loop the evaluator cannot interrupt: JavaScript stack naming the function', async () => {
    const out = await drive('serial', 'js');
    assert.equal(out.signal, 'SIGKILL');
    assert.match(out.stderr, /JavaScript stack:\n {4}at spinForever \(.*serial-watchdog\.mjs:\d+:\d+\)/);
    assert.doesNotMatch(out.stderr, /Native stack/);
  });

  it('serial with the guard addon: the watchdog interrupts a guarded synchronous loop at its limit and the process goes on', async () => {
    const out = await drive('interrupt', 'guarded-loop');
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /guarded call returned interrupted\nfinished/);
    assert.equal(out.stderr, '');
  });

  it('debug: only warns "still running line N after S s" with the stack, and lets the example finish', async () => {
    const out = await drive('debug', 'wait');
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /^mtest: still running line 12 of fake\.md after 1 s\n {4}hang\('wait'\)\nJavaScript stack:\n {4}at /);
    assert.match(out.stdout, /finished/);
  });
});
