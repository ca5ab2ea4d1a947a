// The same files end the same way with workers and under --serial: one fixture set (a loop past its limit,
// an idle await with a limit, process.exit, process.abort, odd values thrown, memory past --memlimit, a
// native crash), each with a passing example before the incident, one after it in the same block and a
// later block, run in both modes and compared example by example: status, outcome, note and the file's
// incident lines. The one documented difference: a fatal signal inside --serial ends mtest's own process,
// so what a worker would have gone on with is not run, and one line says so.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findStackTool } from '../runner/diagnosis/native-stack.js';
import { runMtest, scratch, type Finished } from './process-helpers.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/parity/', import.meta.url));
const WORKERS = ['-p', '2'];
const SERIAL = ['--serial'];

interface JsonExample {
  line: number;
  status: string;
  outcome: string;
  got?: string;
  note?: string;
}

interface JsonFile {
  path: string;
  incidents: { kind: string; message: string }[];
  examples: JsonExample[];
}

interface ModeRun extends Finished {
  files: Map<string, JsonFile>;
}

/** The fixtures named, copied to a directory of their own (no timings stored from another run reorder them). */
async function run(mode: string[], names: string[]): Promise<ModeRun> {
  const dir = scratch(Object.fromEntries(names.map((name) => [name, readFileSync(path.join(FIXTURES, name))])));
  const json = path.join(mkdtempSync(path.join(tmpdir(), 'mtest-parity-')), 'report.json');
  const r = await runMtest(dir, [...mode, '--prelude', 'node:util', '--timeout', '30', '--memlimit', '600', '--json', json, ...names]);
  let report: { files: JsonFile[] };
  try {
    report = JSON.parse(readFileSync(json, 'utf8')) as { files: JsonFile[] };
  } catch {
    assert.fail(`no --json report from ${mode.join(' ')} (exit ${r.code}, signal ${r.signal})\n${r.out.slice(-3000)}\n${r.err}`);
  }
  return { ...r, files: new Map(report.files.map((file) => [file.path, file])) };
}

/** A worker's parent tells an idle process at a timeout from its native stack: only with gdb or eu-stack. */
const WORKERS_SEE_IDLE = findStackTool() !== null;

/**
 * What must be equal: the numbers an incident quotes (RSS) vary from run to run; without a native stack
 * tool a worker's timeout cannot say that its process was idle, which --serial can (its own timer fired).
 */
function normal(text: string | undefined): string | undefined {
  const first = text?.split('\n')[0].replace(/RSS \d+(\.\d+)? [kMG]B/g, 'RSS n MB');
  return WORKERS_SEE_IDLE ? first : first?.replace(/ \(the process is idle: [^)]*\)$/, '');
}

function account(file: JsonFile | undefined): { examples: string[]; incidents: string[] } {
  assert.ok(file, 'the file is in the report');
  return {
    examples: file.examples.map((e) => `line ${e.line}: ${e.status} ${e.outcome}${e.note ? ` | ${normal(e.note)}` : ''}${e.got ? ` | got ${normal(e.got)?.slice(0, 80)}` : ''}`),
    incidents: file.incidents.map((i) => `${i.kind}: ${normal(i.message)}`),
  };
}

/** Line of the example `after in block` and of the later block's example. */
function landmarks(name: string): { after: number; later: number } {
  const lines = readFileSync(path.join(FIXTURES, name), 'utf8').split('\n');
  return { after: lines.findIndex((l) => l.includes("'after in ' + 'block'")) + 1, later: lines.findIndex((l) => l.includes("'later ' + 'block'")) + 1 };
}

describe('the same outcomes with workers and under --serial', function () {
  this.timeout(90000);
  const names = readdirSync(FIXTURES).filter((name) => name.endsWith('.js') && name !== 'segv.js').sort();
  let workers: ModeRun;
  let serial: ModeRun;

  before(async () => {
    workers = await run(WORKERS, names);
    serial = await run(SERIAL, names);
  });

  it('both runs finish with the same exit bits, a failure, timeout, bad exit and signal among them', () => {
    assert.equal(workers.signal, null);
    assert.equal(serial.signal, null);
    assert.equal(workers.code, 1 | 4 | 8 | 16, workers.err);
    assert.equal(serial.code, workers.code, serial.out.slice(-3000) + serial.err);
  });

  for (const name of ['loop.js', 'idle.js', 'exit.js', 'abort.js', 'throws.js', 'memory.js']) {
    it(`${name}: every example and incident alike`, () => {
      const w = account(workers.files.get(name));
      assert.deepEqual(account(serial.files.get(name)), w);
      const { after, later } = landmarks(name);
      // The incident ends its block only; the later block runs in both.
      assert.ok(w.examples.includes(`line ${later}: passed ok`), w.examples.join('\n'));
      if (name !== 'throws.js') {
        assert.equal(w.incidents.length, 1, w.incidents.join('\n'));
        assert.ok(w.examples.some((e) => e.startsWith(`line ${after}: notrun notrun | Not run: its block ended at the incident at line `)), w.examples.join('\n'));
      } else {
        assert.deepEqual(w.incidents, []);
        assert.ok(w.examples.includes(`line ${after}: passed ok`), w.examples.join('\n'));
      }
    });
  }

  it('no warning that mtest itself caused: its own reads while an example is stopped are not the example\'s', () => {
    // A descriptor number free when the file started, then opened and closed by mtest's own /proc reads
    // around a stopped example, was once refused as "the example closed descriptor N".
    for (const r of [workers, serial]) assert.doesNotMatch(r.out + r.err, /closed descriptor/);
  });

  it('the incidents are worded as a worker ends', () => {
    const incident = (name: string) => account(serial.files.get(name)).incidents[0];
    assert.match(incident('loop.js'), /^timeout: Timed out after 1\.0 s while running line 8$/);
    assert.match(incident('idle.js'), WORKERS_SEE_IDLE ? /^timeout: Timed out after 1\.0 s while running line 6 \(the process is idle: it awaits something that never happens\)$/ : /^timeout: Timed out after 1\.0 s while running line 6$/);
    assert.match(incident('exit.js'), /^crash: Exited with code 3 while running line 6$/);
    assert.match(incident('abort.js'), /^crash: Killed by SIGABRT while running line 6$/);
    assert.match(incident('memory.js'), /^memory: Memory limit exceeded: RSS n MB > 600 MB while running line 8$/);
  });

  it('a native crash: --serial cannot go on in its own process, and says in one line what was not run and why', async () => {
    const names = ['segv.js', 'throws.js'];
    const [w, s] = [await run(WORKERS, names), await run(SERIAL, names)];
    const { after, later } = landmarks('segv.js');
    const inWorkers = account(w.files.get('segv.js'));
    const inSerial = account(s.files.get('segv.js'));
    assert.deepEqual(inSerial.incidents, inWorkers.incidents);
    assert.deepEqual(inSerial.incidents, ['crash: Killed by SIGSEGV while running line 6']);
    // Up to the rest of the block, the same; then the documented difference: the later block (and every
    // file after this one) is not run under --serial.
    const upTo = (examples: string[]) => examples.filter((e) => Number(/^line (\d+)/.exec(e)![1]) <= after);
    assert.deepEqual(upTo(inSerial.examples), upTo(inWorkers.examples));
    assert.ok(inWorkers.examples.includes(`line ${later}: passed ok`), inWorkers.examples.join('\n'));
    assert.ok(inSerial.examples.includes(`line ${later}: notrun notrun`), inSerial.examples.join('\n'));
    // The later block, and the other file when it was to run after this one.
    const other = s.files.get('throws.js')!.examples;
    const lost = 1 + (other.every((e) => e.status === 'notrun') ? other.length : 0);
    assert.equal(
      s.err.split('\n').filter((l) => l.includes('--serial cannot go on')).join('\n'),
      `mtest: ${lost} example${lost === 1 ? '' : 's'} not run: --serial cannot go on after a fatal signal (SIGSEGV) in its own process; run without --serial to run them`,
      s.err,
    );
    assert.equal(s.signal, null, 'mtest ends with an exit status, never by a signal of its own');
    assert.equal((s.code ?? 0) & 16, 16);
  });
});
