import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../src/cli/main.js';
import { parseArgs } from '../src/cli/options.js';
import { appears, ARM, mtestIn, runMtest, scratch, type Captured } from './process-helpers.js';

/** Run the CLI in-process, serially, against files written into a fresh directory. */
async function mtest(files: Record<string, string | Buffer>, args: string[]): Promise<Captured & { dir: string }> {
  const dir = scratch(files);
  return { ...(await mtestIn(dir, args)), dir };
}

const SERIAL = ['--serial', '--prelude', 'node:util', '--random-seed', '1'];

describe('mtest CLI (serial)', () => {
  it('prints the Sage-style header, per-file line and the exact closing line; exit 0', async () => {
    const r = await mtest({ 'a.md': 'sage: 1 + 1\n2\nsage: 2 * 3\n6\n' }, ['-t', ...SERIAL, 'a.md']);
    assert.equal(r.code, 0, r.out + r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0], /^Running doctests with ID \d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f]{6}\.$/);
    assert.match(lines[1], /^Using --optional=\S*linux\S*  --random-seed=1$/);
    assert.match(lines[2], /^Doctesting 1 file serially \(BLAS: .*\)\.$/);
    assert.equal(lines[3], 'mtest -t a.md');
    assert.match(lines[4], /^ {4}\[2 tests, \d+\.\d\d s\]$/);
    assert.ok(r.out.includes('All tests passed!'));
    assert.equal(lines[lines.length - 1], '2 passed, 0 failed, 0 skipped');
  });

  it('prints the failure block exactly as Sage does and sets exit bit 1', async () => {
    const r = await mtest({ 'la.md': 'Intro\n\nsage: const d = -2.0000000000000004\nsage: d\n-2\n' }, [...SERIAL, 'la.md']);
    assert.equal(r.code, 1);
    const block = [
      '*'.repeat(70),
      'File "la.md", line 4, in la.md',
      'Failed example:',
      '    d',
      'Expected:',
      '    -2',
      'Got:',
      '    -2.0000000000000004',
      '*'.repeat(70),
    ].join('\n');
    assert.ok(r.out.includes(block), r.out);
    assert.match(r.out, /\n {4}\[2 tests, 1 failure, \d+\.\d\d s\]\n/);
    assert.ok(r.out.includes('\nmtest -t la.md  # 1 doctest failed\n'));
    assert.ok(r.out.trimEnd().endsWith('\n1 passed, 1 failed, 0 skipped'));
  });

  it('adds the Tolerance exceeded: note to a tolerance failure', async () => {
    const r = await mtest({ 't.md': 'sage: 9.5  // abs tol 0.1\n10.0\n' }, [...SERIAL, 't.md']);
    assert.equal(r.code, 1);
    assert.ok(r.out.includes('Tolerance exceeded:\n    10.0 vs 9.5, tolerance 5e-1 > 1e-1'), r.out);
  });

  it('counts skipped examples and adds "not run" only when some were not run', async () => {
    const r = await mtest({ 's.md': 'sage: 1  // not tested\n2\nsage: 1  // long time\n1\nsage: 3\n3\n' }, [...SERIAL, 's.md']);
    assert.equal(r.code, 0);
    assert.ok(r.out.trimEnd().endsWith('\n1 passed, 0 failed, 2 skipped'), r.out);
  });

  it('interrupts an infinite loop at --timeout, reports it at its line with bit 4, and goes on (the rest of its block not run)', async () => {
    const r = await mtest({ 'h.md': 'sage: 1\n1\nsage: while (true) {}\nsage: 2\n2\n', 'ok.md': 'sage: 3\n3\n' }, [...SERIAL, '--timeout', '0.3', 'h.md', 'ok.md']);
    assert.equal(r.code & 4, 4, r.out);
    assert.match(r.out, /File "h\.md", line 3, in h\.md\nFailed example:\n {4}while \(true\) \{\}\nTimed out after 0\.3 s while running line 3/);
    assert.ok(r.out.includes('mtest -t h.md  # Timed out'));
    assert.ok(r.out.trimEnd().endsWith('\n2 passed, 1 failed, 0 skipped, 1 not run'), r.out);
  });

  it('reports bad input as one line with file and line, exit bit 2, and runs the other files', async () => {
    const r = await mtest({ 'bin.txt': Buffer.from([0x73, 0x61, 0x67, 0x65, 0x3a, 0x20, 0x31, 0x0a, 0x00, 0x01]), 'good.md': 'sage: 1\n1\n' }, [...SERIAL, 'bin.txt', 'good.md', 'missing.md']);
    assert.equal(r.code & 2, 2);
    assert.match(r.err, /^mtest: bin\.txt:2: .*binary/m);
    assert.match(r.err, /missing\.md/);
    for (const line of r.err.trim().split('\n')) assert.doesNotMatch(line, /^\s+at /, 'no stack traces');
    assert.ok(r.out.includes('1 passed, 0 failed'));
  });

  it('rejects a bad option and a bad config key with one line and exit 2', async () => {
    let r = await mtest({ 'a.md': 'sage: 1\n1\n' }, ['--jobs', 'many', 'a.md']);
    assert.equal(r.code, 2);
    assert.equal(r.err, "mtest: --jobs expects a whole number, got 'many'\n");
    r = await mtest({ 'a.md': 'sage: 1\n1\n', 'mtest.config.json': '{"jobs": 0}' }, [...SERIAL, 'a.md']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^mtest: mtest\.config\.json: "jobs" must be/);
    r = await mtest({ 'a.md': 'sage: 1\n1\n', 'mtest.config.json': '{"colour": true}' }, [...SERIAL, 'a.md']);
    assert.match(r.err, /unknown key "colour"/);
  });

  it('takes timeout and optional tags from mtest.config.json; the command line wins', async () => {
    const files = { 'a.md': 'sage: 1  // needs gpu\n1\n', 'mtest.config.json': '{"optional": ["gpu"]}' };
    let r = await mtest(files, [...SERIAL, 'a.md']);
    assert.ok(r.out.includes('1 passed, 0 failed, 0 skipped'), r.out);
    r = await mtest({ 'a.md': 'sage: 1  // needs gpu\n1\n' }, [...SERIAL, 'a.md']);
    assert.ok(r.out.includes('0 passed, 0 failed, 1 skipped'), r.out);
  });

  it('writes --json and --junit reports that account for every example', async () => {
    const r = await mtest({ 'a.md': 'sage: 1\n1\nsage: 2\n3\nsage: 4  // not tested\n4\n' }, [...SERIAL, '--json', 'r.json', '--junit', 'r.xml', 'a.md']);
    const json = JSON.parse(readFileSync(path.join(r.dir, 'r.json'), 'utf8'));
    assert.deepEqual(json.totals, { passed: 1, failed: 1, skipped: 1, notrun: 0 });
    assert.deepEqual(
      json.files[0].examples.map((e: { line: number; status: string }) => [e.line, e.status]),
      [
        [1, 'passed'],
        [3, 'failed'],
        [5, 'skipped'],
      ],
    );
    assert.equal(json.files[0].examples[1].got, '2\n');
    const xml = readFileSync(path.join(r.dir, 'r.xml'), 'utf8');
    assert.equal((xml.match(/<testcase /g) ?? []).length, 3);
    assert.match(xml, /<failure message="mismatch">/);
  });

  it('--format github adds ::error annotations with file and line', async () => {
    const r = await mtest({ 'a.md': 'x\nsage: 2\n3\n' }, [...SERIAL, '--format', 'github', 'a.md']);
    assert.match(r.out, /^::error file=a\.md,line=2,title=mtest mismatch::/m);
  });

  it('--warn-long and --trace-memory warn with the example\'s line (stderr)', async () => {
    const r = await mtest({ 'a.md': 'x\nsage: const big = new Float64Array(40e6).fill(1); big.length\n40000000\n' }, [...SERIAL, '--warn-long', '0', '--trace-memory', '100', 'a.md']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.err, /^Warning: a\.md, line 2: RSS grew by \d+ MB$/m);
    assert.match(r.err, /^Warning: a\.md, line 2: slow example: \d+\.\d\d s$/m);
  });

  it('--randorder SEED runs every file once, in an order that depends only on SEED', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 8; i++) files[`f${i}.md`] = `sage: ${i}\n${i}\n`;
    const order = async (seed: string) => {
      const r = await mtest(files, [...SERIAL, '--randorder', seed, '.']);
      return r.out.split('\n').filter((l) => l.startsWith('mtest -t ')).map((l) => l.slice(9));
    };
    const a = await order('7');
    assert.deepEqual([...a].sort(), Object.keys(files).sort());
    assert.deepEqual(await order('7'), a);
    assert.notDeepEqual(a, Object.keys(files).sort(), 'shuffled');
  });

  it('--verbose traces every example before it runs', async () => {
    const r = await mtest({ 'a.md': 'sage: 1\n1\n' }, [...SERIAL, '--verbose', 'a.md']);
    assert.equal(r.code, 0);
    // the trace is written unbuffered to fd 1, not through the reporter: check the reporter output is intact
    assert.ok(r.out.includes('1 passed, 0 failed, 0 skipped'));
  });

  it('mtest list prints examples without running them; --json gives the details', async () => {
    const r = await mtest({ 'a.md': 'sage: throw new Error("never run")\nsage: 1 + 1  // tol 1e-9\n2\n' }, ['list', '--json', 'a.md']);
    assert.equal(r.code, 0);
    const rows = JSON.parse(r.out);
    assert.equal(rows.length, 2);
    assert.deepEqual([rows[1].line, rows[1].source, rows[1].want, rows[1].directives.tolerance], [2, '1 + 1  // tol 1e-9', '2\n', { kind: 'tol', epsilon: 1e-9 }]);
    const text = await mtest({ 'a.md': 'sage: 1\n1\n' }, ['list', 'a.md']);
    assert.match(text.out, /^a\.md:1 {2}\[a\.md\] {2}1$/m);
  });
});

describe('option parsing', () => {
  it('parses values, optional values and flags', () => {
    const a = parseArgs(['-t', '-p', '3', '--timeout=2.5', '--trace-memory', '--warn-long', '7', '--optional', 'GPU,bug', 'x.md']);
    assert.deepEqual(a.errors, []);
    assert.deepEqual(a.paths, ['x.md']);
    assert.equal(a.options.jobs, 3);
    assert.equal(a.options.timeout, 2.5);
    assert.equal(a.options.traceMemory, 100);
    assert.equal(a.options.warnLong, 7);
    assert.deepEqual(a.options.optional, ['gpu', 'bug']);
  });

  it('reports unknown options and missing values', () => {
    assert.deepEqual(parseArgs(['--frobnicate']).errors, ["unknown option '--frobnicate' (see mtest --help)"]);
    assert.deepEqual(parseArgs(['--timeout']).errors, ['--timeout needs a value (S)']);
    assert.deepEqual(parseArgs(['-p', '0']).errors, ['-p must be at least 1']);
  });
});

describe('mtest CLI (workers)', function () {
  this.timeout(60000);
  it('configured prompts decide which examples the workers run', async () => {
    // with prompts ['>>>'] the sage: line is plain text, so only one example exists
    const r = await mtest({ 'a.md': 'sage: 1\n2\n>>> 1 + 1\n2\n', 'mtest.config.json': '{"prompts": [">>>"]}' }, ['-p', '1', '--prelude', 'node:util', 'a.md']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.ok(r.out.trimEnd().endsWith('\n1 passed, 0 failed, 0 skipped'), r.out);
  });

  it('a failure report shows what the example wrote straight to the worker\'s stdout (not compared)', async () => {
    // Straight after the write, no pause: the output lands in the worker's log between the example's records.
    const src = 'sage: import { writeSync } from "node:fs"\nsage: writeSync(1, "native says hi\\n"); 1\n2\nsage: writeSync(2, "ignored"); 3\n3\n';
    const r = await mtest({ 'n.md': src }, ['-p', '1', '--prelude', 'node:util', 'n.md']);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /Got:\n {4}1\nWritten straight to stdout\/stderr:\n {4}native says hi\n/);
    assert.ok(r.out.trimEnd().endsWith('2 passed, 1 failed, 0 skipped'), 'fd output is not compared: the third example passes');
  });

  it('workers name the engine\'s BLAS in the header; a prelude that never loads delays the run by at most a second, and its file times out', async () => {
    const ok = await mtest({ 'a.md': 'sage: 1 + 1\n2\n' }, ['-p', '1', 'a.md']);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /^Doctesting 1 file using 1 worker \(BLAS: OpenBLAS \d+\.\d+\.\d+ \(\w+ kernels\), \d+ threads? per worker\)\.$/m);
    const started = Date.now();
    const hung = await mtest(
      { 'hang.mjs': 'await new Promise(() => {});\n', 'a.md': 'sage: 1 + 1\n2\n' },
      ['-p', '1', '--prelude', './hang.mjs,builtin', '--file-timeout', '2', 'a.md'],
    );
    assert.equal(hung.code & 4, 4, hung.out + hung.err);
    assert.match(hung.out, /^Doctesting 1 file using 1 worker \(BLAS: OpenBLAS /m, 'named by mtest itself when the worker is not ready');
    assert.match(hung.out, /File timed out after 2\.0 s before its first example/);
    assert.doesNotMatch(hung.out, /Debugger (?:listening|ending) on/);
    assert.ok(hung.out.trimEnd().endsWith('0 passed, 0 failed, 0 skipped, 1 not run'), hung.out);
    assert.ok(Date.now() - started < 10000, `took ${Date.now() - started} ms`);
  });

  it('one file given: one worker, with every core\'s BLAS thread; a directory keeps --jobs and its share', async () => {
    const cpus = availableParallelism();
    const env = (n: number): string => `sage: process.env.OPENBLAS_NUM_THREADS\n'${n}'\n`;
    const one = await mtest({ 'a.md': env(cpus) }, ['-t', 'a.md']);
    assert.equal(one.code, 0, one.out + one.err);
    assert.match(one.out, new RegExp(`^Doctesting 1 file using 1 worker \\(BLAS: OpenBLAS \\S+ \\(\\w+ kernels\\), ${cpus} threads? per worker\\)\\.$`, 'm'));
    const share = Math.max(1, Math.floor(cpus / 2));
    const dir = await mtest({ 'd/a.md': env(share), 'd/b.md': env(share) }, ['-p', '2', 'd']);
    assert.equal(dir.code, 0, dir.out + dir.err);
    assert.match(dir.out, new RegExp(`^Doctesting 2 files using 2 workers \\(BLAS: OpenBLAS \\S+ \\(\\w+ kernels\\), ${share} threads? per worker\\)\\.$`, 'm'));
  });

  it('stack frames name the document line of each example, serially and in workers (quick bodies included)', async function () {
    this.timeout(20000);
    // `const o = 1` compiles to a two-line quick body; the example after it must still start on its own line.
    const doc = [
      'Title', '', 'sage: const o = 1', 'sage: new Error().stack.split("\\n")[1].replace(/.*[/]/, "")', "'s.md:4:...'",
      'sage: 2 +', '....: 3', '5', 'sage: [1,', '....: 2].length // c', '2',
      'sage: new Error().stack.split("\\n")[1].replace(/.*[/]/, "")  // x', "'s.md:12:...'", '',
    ].join('\n');
    for (const args of [SERIAL, ['-p', '1', '--prelude', 'node:util']]) {
      const r = await mtest({ 's.md': doc }, [...args, 's.md']);
      assert.equal(r.code, 0, `${args.join(' ')}\n${r.out}${r.err}`);
    }
    const hang = await mtest({ 'loop.md': 'Title\n\nsage: const o = 1\nsage: while (true) {}  // timeout 1\n' }, ['-p', '1', '--prelude', 'node:util', 'loop.md']);
    assert.match(hang.out, /Timed out after 1\.0 s while running line 4\nJavaScript stack:\n {8}at file:\/\/\S*loop\.md:4:\d+\n/, hang.out);
  });

  it('a lone string literal displays its value (not a directive prologue)', async () => {
    const r = await mtest({ 'a.md': "sage: 'before'\n'before'\nsage: 'x'; 'y'\n'y'\n" }, [...SERIAL, 'a.md']);
    assert.equal(r.code, 0, r.out);
  });
});

describe('mtest CLI as a process', function () {
  this.timeout(60000);
  const bin = path.join(process.cwd(), 'bin', 'mtest.js');

  function spawnMtest(dir: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    return spawn(process.execPath, [bin, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  it('workers that cannot be started (TMPDIR unusable): one line, exit 2, no stack trace', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtest-tmpdir-'));
    writeFileSync(path.join(dir, 'a.md'), 'sage: 1\n1\n');
    const child = spawnMtest(dir, ['-p', '1', '--prelude', 'node:util', 'a.md'], { ...process.env, TMPDIR: path.join(dir, 'missing') });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 2, err);
    assert.equal(err, `mtest: cannot create a worker's log file in ${path.join(dir, 'missing')} (ENOENT); set TMPDIR to a writable folder\n`);
  });

  it('Ctrl-C under --serial: partial report, the rest not run, exit bit 128', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtest-sigint-'));
    writeFileSync(path.join(dir, 'a.md'), `sage: 1\n1\nsage: ${ARM} await new Promise((r) => setTimeout(r, 20000))\nsage: 2\n2\n`);
    writeFileSync(path.join(dir, 'b.md'), 'sage: 3\n3\n');
    const child = spawnMtest(dir, ['--serial', '--prelude', 'node:util', 'a.md', 'b.md']);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    await appears(path.join(dir, 'armed'));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal((code ?? 0) & 128, 128, out);
    assert.match(out, /interrupted/);
    assert.ok(out.trimEnd().endsWith('1 passed, 0 failed, 0 skipped, 3 not run'), out);
  });

  it('under --serial, a hang in native code: the report names the line and quotes the source, exit 4', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtest-native-'));
    writeFileSync(path.join(dir, 'n.md'), 'sage: 1\n1\nsage: import { execSync } from "node:child_process"\nsage: execSync("sleep 20")\n');
    const child = spawnMtest(dir, ['--serial', '--no-gdb', '--timeout', '0.5', '--prelude', 'node:util', 'n.md']);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.equal(code, 4, out);
    assert.match(out, /File "n\.md", line 4, in n\.md\nFailed example:\n {4}execSync\("sleep 20"\)\nTimed out after 0\.5 s while running line 4\n/);
    assert.ok(out.trimEnd().endsWith('2 passed, 1 failed, 0 skipped'), out);
  });

  it('under --serial, process.exit is the crash of its example and a stray exception is a warning: the run goes on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtest-contain-'));
    writeFileSync(
      path.join(dir, 'a.md'),
      'sage: setTimeout(() => { throw new Error("late") }, 5); 2\n2\nsage: await new Promise((r) => setTimeout(r, 50))\nsage: 4\n4\n',
    );
    // Caught or not, the exit ends the example: the rest of its block is not run, the next file runs.
    writeFileSync(path.join(dir, 'b.md'), 'sage: try { process.exit(3) } catch { 0 }\nsage: 5\n5\n');
    writeFileSync(path.join(dir, 'c.md'), 'sage: 6\n6\n');
    const child = spawnMtest(dir, ['--serial', '--prelude', 'node:util', 'a.md', 'b.md', 'c.md']);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 8, out + err);
    assert.match(out, /File "b\.md", line 1, in b\.md\nFailed example:\n {4}try \{ process\.exit\(3\) \} catch \{ 0 \}\nExited with code 3 while running line 1\n/);
    assert.match(err, /Warning: a\.md, line 3: Uncaught exception in a callback: Error: late/);
    assert.ok(out.trimEnd().endsWith('4 passed, 1 failed, 0 skipped, 1 not run'), out);
  });

  it('--exitfirst under --serial stops after the first failure; the rest is not run', async () => {
    const r = await mtest({ 'a.md': 'sage: 1\n2\nsage: 2\n2\n', 'b.md': 'sage: 3\n3\n' }, [...SERIAL, '-x', 'a.md', 'b.md']);
    assert.equal(r.code & 1, 1);
    assert.ok(r.out.trimEnd().endsWith('0 passed, 1 failed, 0 skipped, 2 not run'), r.out);
  });
});

describe('failure block of an unexpected exception', () => {
  it('is Sage\'s: "Exception raised:" and the Uncaught line, no Expected section', async () => {
    const r = await mtest({ 'e.md': 'sage: null.x\n1\n' }, [...SERIAL, 'e.md']);
    const block = ['File "e.md", line 1, in e.md', 'Failed example:', '    null.x', 'Exception raised:', "    Uncaught TypeError: Cannot read properties of null (reading 'x')", '*'.repeat(70)].join('\n');
    assert.ok(r.out.includes(block), r.out);
  });
});

describe('mtest CLI start-up', () => {
  /** The modules a compiled module loads by static `import` (tsc drops type-only ones), transitively. */
  function staticGraph(entry: string): Set<string> {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm)) visit(path.resolve(path.dirname(file), m[1]));
    };
    visit(entry);
    return seen;
  }

  it('starts the workers before it loads the stages: main reaches none of them by static import', () => {
    const dist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
    const graph = [...staticGraph(path.join(dist, 'src', 'cli', 'main.js'))].map((f) => path.relative(dist, f));
    for (const stage of ['src/cli/run.js', 'src/sources/', 'src/parsing/', 'src/report/run-report.js', 'src/schedule/index.js', 'src/execute/index.js', 'runner/parent/']) {
      assert.ok(!graph.some((f) => f.startsWith(stage)), `${stage} is loaded before the workers start: ${graph.join(', ')}`);
    }
    assert.ok(graph.length < 20, `${graph.length} modules before the workers start: ${graph.join(', ')}`);
  });
});

describe('mtest CLI memory', function () {
  this.timeout(60000);

  it('the mtest command runs node with one V8 helper thread (so does every worker)', async () => {
    const dir = scratch({ 'a.md': "sage: process.execArgv.includes('--v8-pool-size=1')\ntrue\n" });
    const r = await runMtest(dir, ['--serial', '--prelude', 'node:util', 'a.md']);
    assert.equal(r.code, 0, r.out + r.err);
  });

  it("keeps V8's young generation at its first size where no example runs in mtest itself (not under --serial)", async () => {
    // 100 documents of 100 examples: enough surviving data for V8 to grow the young generation to 16 MiB.
    const files: Record<string, string> = {};
    for (let f = 0; f < 100; f++) {
      let text = '';
      for (let i = 0; i < 50; i++) text += `sage: const v${i} = [${i}, ${i} + 1].map((x) => x * 2)\nsage: v${i}.length\n2\n\n`;
      files[`f${String(f).padStart(3, '0')}.md`] = text;
    }
    const dir = scratch(files);
    // Each Node process of the run says, as it exits, how big its young generation grew; a worker's
    // stderr is its log, so only mtest's own line reaches the run's stderr.
    const hook = path.join(dir, 'young-generation.cjs');
    writeFileSync(hook, "process.on('exit', () => { const s = require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space'); require('fs').writeSync(2, `new space: ${s.space_size}\\n`); });\n");
    const youngGeneration = async (mode: string[]): Promise<number> => {
      const r = await runMtest(dir, [...mode, '--prelude', 'node:util', '.'], { ...process.env, NODE_OPTIONS: `--require ${hook}` });
      assert.equal(r.code, 0, r.out + r.err);
      const sizes = [...r.err.matchAll(/^new space: (\d+)$/gm)].map((m) => Number(m[1]));
      assert.equal(sizes.length, 1, r.err);
      return sizes[0];
    };
    const MiB = 1024 * 1024;
    assert.ok((await youngGeneration(['-p', '1'])) <= 2 * MiB, 'mtest with workers');
    assert.ok((await youngGeneration(['--serial'])) > 2 * MiB, 'under --serial it grows as V8 chooses');
  });
});
