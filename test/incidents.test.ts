// Incidents are worded, and their exit bits given, in one place (src/incidents.ts); the hang diagnosis of
// both modes is one function (runner/diagnosis/diagnose.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { diagnose, takeStacks, type StackTakers } from '../runner/diagnosis/diagnose.js';
import { EXIT, incidentBits, incidentReason, makeIncident, runningOutcome, type IncidentFacts } from '../src/incidents.js';
import { packageRoot } from '../src/package-root.js';
import { sourceFiles } from './helpers.js';

const where = 'while running line 12';

describe('incidents: one constructor, one wording, one set of exit bits', () => {
  const cases: [IncidentFacts, string, number, string][] = [
    [{ kind: 'timeout', limitSeconds: 1 }, 'Timed out after 1.0 s while running line 12', EXIT.timeout, 'Timed out'],
    [{ kind: 'file-timeout', limitSeconds: 600 }, 'File timed out after 600.0 s while running line 12', EXIT.timeout, 'Timed out'],
    [{ kind: 'memory', rss: 3.1 * 1024 ** 3, limit: 2 * 1024 ** 3 }, 'Memory limit exceeded: RSS 3.1 GB > 2.0 GB while running line 12', EXIT.timeout, 'Memory limit exceeded'],
    [{ kind: 'output', written: 300 * 1024 ** 2, limit: 256 * 1024 ** 2 }, 'Output limit exceeded: 300 MB written to stdout/stderr > 256 MB while running line 12', EXIT.timeout, 'Output limit exceeded'],
    [{ kind: 'exit', exit: { code: null, signal: 'SIGSEGV', output: '' } }, 'Killed by SIGSEGV while running line 12', EXIT.signal, 'Killed by SIGSEGV'],
    [{ kind: 'exit', exit: { code: 3, signal: null, output: '' } }, 'Exited with code 3 while running line 12', EXIT.badExit, 'Exited with code 3'],
    [{ kind: 'protocol', what: 'a record that is not one' }, "The worker broke mtest's protocol while running line 12: a record that is not one", EXIT.badExit, "The worker broke mtest's protocol while running line 12"],
    [{ kind: 'cannot-run', error: 'EACCES: permission denied\n    at open' }, 'The worker could not run the file: EACCES: permission denied', EXIT.badExit, 'Exited with code 70'],
    [{ kind: 'interrupted' }, 'Interrupted while running line 12', EXIT.interrupted, 'Interrupted'],
  ];
  for (const [facts, message, bits, reason] of cases) {
    it(`${facts.kind}: ${message}`, () => {
      const incident = makeIncident(facts, where, { index: 4 });
      assert.equal(incident.message, message);
      assert.equal(incident.index, 4);
      assert.equal(incidentBits(incident), bits);
      assert.equal(incidentReason(incident), reason);
    });
  }

  it('an idle process is worded the same at a time limit and when its event loop runs empty', () => {
    const atLimit = makeIncident({ kind: 'timeout', limitSeconds: 1, idle: true }, where);
    const empty = makeIncident({ kind: 'idle' }, where);
    const clause = ' (the process is idle: it awaits something that never happens)';
    assert.equal(atLimit.message, `Timed out after 1.0 s while running line 12${clause}`);
    assert.equal(empty.message, `Never settled while running line 12${clause}`);
    assert.equal(incidentBits(atLimit), EXIT.timeout);
    assert.equal(incidentBits(empty), EXIT.timeout);
    assert.equal(incidentReason(atLimit), 'Timed out');
    assert.equal(incidentReason(empty), 'Never settled');
  });

  it('gives the running example the outcome of the incident', () => {
    assert.equal(runningOutcome({ kind: 'timeout' }), 'timeout');
    assert.equal(runningOutcome({ kind: 'file-timeout' }), 'timeout');
    assert.equal(runningOutcome({ kind: 'memory' }), 'memory');
    assert.equal(runningOutcome({ kind: 'crash' }), 'crash');
    assert.equal(runningOutcome({ kind: 'interrupted' }), 'notrun');
  });

  it('no other module words an incident', () => {
    // The sentences makeIncident writes; a runner or reporter that writes one itself is a second wording.
    const sentences = [/Timed out after/, /the process is idle/i, /went idle/i, /Killed by \$\{/, /Exited with code \$\{/, /Memory limit exceeded:/, /could not run the file/, /broke mtest's protocol/, /`Interrupted /];
    const root = packageRoot();
    const offenders: string[] = [];
    for (const path of sourceFiles(root, 'src', 'runner')) {
      const rel = relative(root, path);
      if (rel === join('src', 'incidents.ts')) continue;
      // Comments may quote the words; code may not write them.
      const text = readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
        .join('\n');
      for (const sentence of sentences) if (sentence.test(text)) offenders.push(`${rel}: ${sentence}`);
    }
    assert.deepEqual(offenders, []);
  });
});

describe('diagnose: JavaScript stack, else native, idle or not, in both modes', () => {
  const later = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));
  const IDLE_STACK = 'Thread 5 [main thread]:\n    epoll_wait\n    uv_run\n    node::SpinEventLoopInternal(node::Environment*)';
  const NATIVE_STACK = 'Thread 5 [main thread]:\n    nanosleep\n    node::SyncProcessRunner::Spawn(uv_process_options_s const*)';
  const takers = (over: Partial<StackTakers>): StackTakers => ({ pid: process.pid, js: () => later(10, '    at spin (a.md:3:1)'), ...over });

  it('the JavaScript stack when the inspector answers; the native one is not taken', async () => {
    let nativeTaken = false;
    const d = await diagnose(takers({ native: async () => ((nativeTaken = true), IDLE_STACK), nativeAfterMs: 1000 }));
    assert.equal(d.jsStack, '    at spin (a.md:3:1)');
    assert.equal(d.nativeStack, undefined);
    assert.equal(d.idle, false);
    assert.equal(nativeTaken, false);
    assert.match(d.processTree ?? '', new RegExp(String(process.pid)));
  });

  it('the native stack when the inspector gives up; idle when it shows the event loop waiting', async () => {
    const idle = await diagnose(takers({ js: () => later(20, undefined), native: async () => IDLE_STACK }));
    assert.equal(idle.nativeStack, IDLE_STACK);
    assert.equal(idle.idle, true);
    const busy = await diagnose(takers({ js: () => later(20, undefined), native: async () => NATIVE_STACK }));
    assert.equal(busy.idle, false);
  });

  it('a native stack inside native code ends the wait for the inspector', async () => {
    const started = Date.now();
    const { jsStack, nativeStack } = await takeStacks(takers({ js: () => new Promise<undefined>((resolve) => setTimeout(resolve, 20000, undefined).unref()), native: () => later(10, NATIVE_STACK), nativeAfterMs: 20 }));
    assert.equal(jsStack, undefined);
    assert.equal(nativeStack, NATIVE_STACK);
    // ~30 ms; the inspector would answer after 20 s: a bound far from both holds on a loaded machine
    assert.ok(Date.now() - started < 10000, 'did not wait for the inspector');
  });

  it('without nativeAfterMs the native stack waits for the inspector to give up (a taker that blocks its thread)', async () => {
    let jsDone = false;
    let nativeBeforeJs = false;
    await takeStacks(takers({ js: () => later(50, undefined).then((v) => ((jsDone = true), v)), native: async () => ((nativeBeforeJs = !jsDone), NATIVE_STACK) }));
    assert.equal(nativeBeforeJs, false);
  });

  it('no native stack of a process that is gone, and none when not allowed', async () => {
    let nativeTaken = false;
    const gone = await takeStacks(takers({ js: () => later(10, undefined), native: async () => ((nativeTaken = true), NATIVE_STACK), gone: () => true }));
    assert.deepEqual(gone, { nativeStack: undefined });
    assert.equal(nativeTaken, false);
    assert.deepEqual(await takeStacks(takers({ js: () => later(10, undefined) })), { jsStack: undefined });
  });
});
