// The pool's scheduling duties: worker reuse and --isolate, replacement after a bad end, the BLAS thread
// budget in the environment, --exitfirst, Ctrl-C, and the per-worker file history for `mtest bisect`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { countExamples } from '../src/model.js';
import { fixture, runFiles, survivorsAfter, treePidsOf } from './fault-helpers.js';
import { PrestartedWorkers, spawnOptions } from '../runner/parent/pool.js';
import { PRELUDE_ENV } from '../runner/protocol.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/faults/', import.meta.url));

describe('worker pool', function () {
  this.timeout(20000);

  it('one worker runs file after file, and records which files it ran in order', async () => {
    const a = fixture('pid.md');
    const b = fixture('pid-2.md');
    const run = await runFiles([a, b], { jobs: 1 });
    assert.equal(run.outcome.workers.length, 1);
    assert.deepEqual(run.outcome.workers[0].files, [a.path, b.path]);
    assert.equal(run.events.counts(a.path).passed, countExamples(a));
    assert.equal(run.events.counts(b.path).passed, countExamples(b));
  });

  it('--isolate: a fresh worker for every file', async () => {
    const a = fixture('pid.md');
    const b = fixture('pid-2.md');
    const run = await runFiles([a, b], { jobs: 1, isolate: true });
    assert.equal(run.outcome.workers.length, 2);
    assert.notEqual(run.outcome.workers[0].pid, run.outcome.workers[1].pid);
    assert.deepEqual(run.outcome.workers.map((w) => w.files.length), [1, 1]);
  });

  it('a worker that ran a timed-out file is replaced; the next file runs on a new one', async () => {
    const hang = fixture('js-loop.md');
    const pass = fixture('pass.md');
    const run = await runFiles([hang, pass], { jobs: 1 });
    assert.equal(run.outcome.workers.length, 2);
    assert.deepEqual(run.outcome.workers[0].files, [hang.path]);
    assert.deepEqual(run.outcome.workers[1].files, [pass.path]);
    assert.equal(run.events.counts(pass.path).passed, countExamples(pass));
  });

  it('a worker past half its memory budget after a file is replaced before the next file', async () => {
    const fat = fixture('memory-growth.md'); // leaves ~96 MB on globalThis
    const next = fixture('pid.md'); // fewer examples: scheduled after it
    assert.ok(countExamples(next) < countExamples(fat));
    const run = await runFiles([fat, next], { jobs: 1, memlimit: 200 });
    assert.equal(run.events.counts(fat.path).failed, 0, 'under the limit itself: nothing is killed');
    assert.equal(run.outcome.workers.length, 2, 'but the fat worker does not get another file');
    assert.deepEqual(run.outcome.workers[1].files, [next.path]);
    const lean = await runFiles([fixture('pass.md'), next], { jobs: 1, memlimit: 200 });
    assert.equal(lean.outcome.workers.length, 1, 'a lean worker is kept');
  });

  it('exports the BLAS thread budget and passes OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE through untouched', async () => {
    const saved = { core: process.env.OPENBLAS_CORETYPE, l2: process.env.OPENBLAS_L2_SIZE };
    process.env.OPENBLAS_CORETYPE = 'Haswell';
    process.env.OPENBLAS_L2_SIZE = '262144';
    try {
      const file = fixture('blas-env.md');
      const run = await runFiles([file], { blasThreads: 3 });
      assert.deepEqual(run.events.counts(file.path), { passed: 2, failed: 0, skipped: 0, notrun: 0 });
    } finally {
      if (saved.core === undefined) delete process.env.OPENBLAS_CORETYPE;
      else process.env.OPENBLAS_CORETYPE = saved.core;
      if (saved.l2 === undefined) delete process.env.OPENBLAS_L2_SIZE;
      else process.env.OPENBLAS_L2_SIZE = saved.l2;
    }
  });

  it('a worker loads its prelude before it is ready and names the engine\'s BLAS; the prelude\'s name does not reach examples', async () => {
    const withEngine = new PrestartedWorkers(1, spawnOptions({ blasThreads: 1, prelude: ['builtin'] }));
    const without = new PrestartedWorkers(1, spawnOptions({ blasThreads: 1, prelude: [] }));
    try {
      const blas = (await withEngine.ready())?.blas;
      assert.equal(blas?.library, 'OpenBLAS');
      assert.match(blas?.version ?? '', /^\d+\.\d+/);
      assert.equal(blas?.threads, 1);
      assert.equal((await without.ready())?.blas, undefined);
    } finally {
      await Promise.all([withEngine.release(), without.release()]);
    }
    const env = fixture('prelude-env.md');
    const run = await runFiles([env], { jobs: 1 });
    assert.equal(run.events.counts(env.path).passed, countExamples(env), `${PRELUDE_ENV} is not in a worker's environment`);
  });

  it('only the first worker loads OpenBLAS to name it; the others load it when an example first uses the engine', async () => {
    const workers = new PrestartedWorkers(2, spawnOptions({ blasThreads: 1, prelude: ['builtin'] }));
    const first = workers.take(1)!;
    const second = workers.take(2)!;
    try {
      assert.equal((await first.ready)?.blas?.library, 'OpenBLAS');
      assert.equal((await second.ready)?.blas, undefined);
      const maps = (pid: number): string => readFileSync(`/proc/${pid}/maps`, 'utf8');
      assert.match(maps(first.pid), /openblas/);
      assert.doesNotMatch(maps(second.pid), /openblas|mtest_engine/);
    } finally {
      await Promise.all([first.retire(), second.retire(), workers.release()]);
    }
  });

  it('a worker runs with one V8 helper thread', async () => {
    const file = fixture('worker-flags.md');
    const run = await runFiles([file], { jobs: 1 });
    assert.equal(run.events.counts(file.path).passed, countExamples(file));
  });

  it('--exitfirst: after the first failure no new file starts; what did not run is reported as not run', async () => {
    const fail = fixture('fail.md');
    const pass = fixture('pass.md');
    const run = await runFiles([fail, pass], { jobs: 1, exitFirst: true });
    assert.equal(run.events.counts(fail.path).failed, 1);
    assert.deepEqual(run.events.counts(pass.path), { passed: 0, failed: 0, skipped: 0, notrun: countExamples(pass) });
  });

  it('Ctrl-C: every worker tree is killed, the partial results are kept, the outcome says interrupted', async () => {
    const child = spawn(process.execPath, [FIXTURES + 'drive-pool.mjs', '30', FIXTURES + 'long-wait.md', FIXTURES + 'native-sleep.md'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Record<string, unknown>[] = [];
    let buffer = '';
    let sent = 0;
    const started = new Set<string>();
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
        buffer = buffer.slice(nl + 1);
        lines.push(event);
        // Both workers are inside their long example (one in a timer, one in execSync): press Ctrl-C.
        if (event.t === 'exampleStart' && ((event.path as string).endsWith('long-wait.md') ? event.index === 1 : event.index === 2)) {
          started.add(event.path as string);
          if (started.size === 2) {
            sent = Date.now();
            setTimeout(() => child.kill('SIGINT'), 200);
          }
        }
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.ok(sent > 0, 'both long examples started');
    // well before the 20 s wait and the 30 s sleep end: the run did not wait for them
    assert.ok(Date.now() - sent < 10000, `stopped ${Date.now() - sent} ms after Ctrl-C`);
    const outcome = lines.find((l) => l.t === 'outcome') as { interrupted: boolean; workers: { pid: number }[] };
    assert.equal(outcome.interrupted, true);
    const incidents = lines.filter((l) => l.t === 'incident');
    assert.equal(incidents.length, 2);
    for (const incident of incidents) {
      assert.equal(incident.kind, 'interrupted');
      assert.match(incident.message as string, /^Interrupted while running line \d+$/);
    }
    const ends = lines.filter((l) => l.t === 'exampleEnd');
    assert.equal(ends.length, 3 + 4, 'every example of both files has its end');
    assert.equal(ends.filter((l) => l.status === 'passed').length, 3, 'what ran before is kept');
    const pids = outcome.workers.map((w) => w.pid);
    assert.deepEqual(await survivorsAfter(pids), []);
    void treePidsOf;
  });
});
