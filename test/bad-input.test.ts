// Input mtest must refuse cleanly (one line, exit 2) or read as its author meant it: configuration keys
// that are Object.prototype's names, notebook members named `__proto__`, option values out of range, a
// damaged workers' record, more workers than files, files too large to scan.
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { lastLine, runMtest, scratch } from './process-helpers.js';

const QUICK = ['--prelude', 'node:util', '--no-status'];
const MODES: [string, string[]][] = [['workers', ['-p', '2']], ['--serial', ['--serial']]];

describe('configuration keys named like Object.prototype members', function () {
  this.timeout(30000);

  for (const key of ['__proto__', 'hasOwnProperty', 'toString', 'constructor']) {
    it(`"${key}" in mtest.config.json and in package.json's "mtest": one line naming it, exit 2`, async () => {
      const value = key === '__proto__' ? '{"timeout": 1}' : '1';
      for (const [file, text] of [
        ['mtest.config.json', `{"${key}": ${value}}`],
        ['package.json', `{"name": "x", "mtest": {"${key}": ${value}}}`],
      ]) {
        const dir = scratch({ 'a.md': 'sage: 1 + 1\n2\n', [file]: text });
        const r = await runMtest(dir, [...QUICK, 'a.md']);
        assert.equal(r.code, 2, r.out + r.err);
        assert.equal(r.out, '');
        assert.match(r.err, new RegExp(`^mtest: [^\\n]*: unknown key "${key}" \\(known: [^\\n]*\\)\\n$`));
      }
    });
  }
});

describe('notebook members named __proto__', function () {
  this.timeout(30000);

  const nb = (metadata: string) =>
    `{"cells": [{"cell_type": "code", "execution_count": 1, "metadata": ${metadata}, "outputs": [{"data": {"text/plain": ["3"]}, "execution_count": 1, "metadata": {}, "output_type": "execute_result"}], "source": ["1 + 1"]}],` +
    ` "metadata": {"kernelspec": {"display_name": "TypeScript", "language": "typescript", "name": "tslab"}}, "nbformat": 4, "nbformat_minor": 5}\n`;

  for (const [mode, flags] of MODES) {
    it(`${mode}: a cell whose metadata holds {"__proto__": {"tags": ["mtest-skip"]}} runs, as Jupyter runs it`, async () => {
      const dir = scratch({ 'n.ipynb': nb('{"__proto__": {"tags": ["mtest-skip"]}}'), 'm.ipynb': nb('{"tags": ["mtest-skip"]}') });
      const r = await runMtest(dir, [...QUICK, ...flags, 'n.ipynb', 'm.ipynb']);
      assert.equal(r.code, 1, r.out + r.err);
      assert.equal(lastLine(r.out), '0 passed, 1 failed, 1 skipped');
      assert.match(r.out, /^File "n\.ipynb", cell 1, line 1/m);
    });
  }
});

describe('option values and records out of range', function () {
  this.timeout(60000);

  for (const [mode, flags] of MODES) {
    it(`${mode}: --random-seed past 2^53 is one usage line; the largest safe seed runs (the engine's generator too)`, async () => {
      const dir = scratch({ 'a.md': 'sage: Math.random() < 1\ntrue\nsage: randomMatrix(1, 1).get(0, 0) < 1\ntrue\n' });
      const bad = await runMtest(dir, ['--no-status', ...flags, '--random-seed', '9007199254740993', 'a.md']);
      assert.equal(bad.code, 2, bad.out + bad.err);
      assert.equal(bad.err, "mtest: --random-seed expects a whole number from 0 to 9007199254740991, got '9007199254740993'\n");
      assert.equal(bad.out, '');
      const good = await runMtest(dir, ['--no-status', ...flags, '--random-seed', '9007199254740991', 'a.md']);
      assert.equal(good.code, 0, good.out + good.err);
      assert.match(good.out, /--random-seed=9007199254740991/);
      assert.equal(lastLine(good.out), '2 passed, 0 failed, 0 skipped');
    });
  }

  it('every whole-number option refuses a value past 2^53 by name', async () => {
    const dir = scratch({ 'a.md': 'sage: 1\n1\n' });
    for (const option of ['-p', '--blas-threads', '--memlimit', '--randorder']) {
      const r = await runMtest(dir, [...QUICK, option, '99999999999999999999', 'a.md']);
      assert.equal(r.code, 2, `${option}: ${r.err}`);
      assert.match(r.err, new RegExp(`^mtest: ${option} expects a whole number from [01] to 9007199254740991, got '99999999999999999999'\\n$`));
    }
  });

  for (const option of ['--json', '--junit', '--stats-path', '--baseline']) {
    it(`${option} '' (and ${option}=) is a usage error, not ignored`, async () => {
      const dir = scratch({ 'a.md': 'sage: 1\n1\n' });
      for (const args of [[option, ''], [`${option}=`]]) {
        const r = await runMtest(dir, [...QUICK, '--serial', ...args, 'a.md']);
        assert.equal(r.code, 2, r.out + r.err);
        assert.equal(r.err, `mtest: ${option} expects a file name, got ''\n`);
        assert.equal(r.out, '');
      }
    });
  }

  for (const damage of ['{"version": 1, "runs": [{"id": "x", "options": {}, "workers": [{"worker": 1, "files": null, "failures": []}]}]}', '{"version": 1, "runs": [{"id": "x", "options": {}, "workers": [{"worker": 1, "files": ["a.md"], "failures": null}]}]}', '{"version": 1, "runs": [{"id": "x", "options": null, "workers": []}]}', '{"version": 1, "runs": [null]}']) {
    it(`bisect with a damaged workers' record (${damage.slice(40, 90)}…): one clear line, exit 2`, async () => {
      const dir = scratch({ 'a.md': 'sage: 1\n2\n', '.mtest/workers.json': damage });
      const r = await runMtest(dir, ['bisect', 'a.md:1']);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, /^mtest: bisect: \.mtest\/workers\.json: cannot read it \([^\n]*\); run the tests again\n$/);
      assert.ok(!r.err.includes('internal error'), r.err);
    });
  }
});

describe('more workers than the run can use', function () {
  this.timeout(60000);

  it('-p 64 on a directory of one file starts one worker and says so', async () => {
    const dir = scratch({ 'docs/a.md': 'sage: process.pid\n...\n' });
    const r = await runMtest(dir, [...QUICK, '-p', '64', 'docs']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^Doctesting 1 file using 1 worker /m);
    assert.equal(r.err, 'mtest: -p 64: 1 worker (1 file to test)\n');
  });

  it('a configuration\'s "jobs": 1000 is capped by the files and by memory, and says so', async () => {
    const files: Record<string, string> = {};
    for (let k = 0; k < 3; k++) files[`f${k}.md`] = 'sage: 1\n1\n';
    const dir = scratch({ ...files, 'mtest.config.json': '{"jobs": 1000}' });
    const r = await runMtest(dir, [...QUICK, '.']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^Doctesting 3 files using 3 workers /m);
    assert.equal(r.err, 'mtest: jobs 1000: 3 workers (3 files to test)\n');
  });

  it('workers beyond what memory allows are not started', async () => {
    const { resolveOptions, workerCount } = await import('../src/cli/resolve.js');
    const { totalmem } = await import('node:os');
    const options = resolveOptions({ jobs: 1_000_000 }, {});
    assert.ok(options.jobs >= 1 && options.jobs * 64 <= totalmem() / 1048576, `${options.jobs} workers`);
    assert.equal(options.workersNote, workerCount({ jobs: 1_000_000 }, {}).note);
    assert.match(options.workersNote ?? '', new RegExp(`^-p 1000000: ${options.jobs} workers \\(memory for ${options.jobs}\\)$`));
  });
});

describe('files too large to scan', function () {
  this.timeout(120000);

  it('a 50 MB minified script is one line naming it and the limit, skipped at once (workers, --serial, list); the rest runs', async () => {
    const dir = scratch({ 'a.md': 'sage: 1 + 1\n2\n' });
    const chunk = 'function f(a,b){return a*b+1}var x=[1,2,3].map(function(y){return y*2});/* c */';
    writeFileSync(path.join(dir, 'bundle.min.js'), chunk.repeat(Math.ceil((50 * 1048576) / chunk.length)));
    const started = Date.now();
    for (const flags of [[], ['--serial']]) {
      const r = await runMtest(dir, [...QUICK, ...flags, '.']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(r.err, 'mtest: bundle.min.js: 50.0 MB, over the 8 MB limit on a file to scan (--max-file-size MB, or "maxFileSize" in the configuration); skipped\n');
      assert.equal(lastLine(r.out), '1 passed, 0 failed, 0 skipped');
    }
    assert.ok(Date.now() - started < 30000, `${Date.now() - started} ms`);
    const listed = await runMtest(dir, ['list', '.']);
    assert.ok(Date.now() - started < 40000, `${Date.now() - started} ms`);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.err, /^mtest: bundle\.min\.js: 50\.0 MB, over the 8 MB limit/);
    // raised past it, the file is read; holding no prompt, it is not lexed: linear, and quick
    const before = Date.now();
    const raised = await runMtest(dir, ['list', '--max-file-size', '60', '.']);
    assert.ok(Date.now() - before < 15000, `${Date.now() - before} ms`);
    assert.equal(raised.err, '');
    assert.match(raised.out, /^1 example in 2 files$/m);
    const configured = scratch({ 'mtest.config.json': '{"maxFileSize": 0.001}', 'a.md': 'sage: 1 + 1\n2\n' + 'text\n'.repeat(500) });
    const limited = await runMtest(configured, ['list', '.']);
    assert.match(limited.err, /^mtest: a\.md: 0\.0 MB, over the 0\.001 MB limit/);
  });

  it('an 8 MB one-line script holding a prompt (just under the limit) is scanned within seconds', async () => {
    const dir = scratch({});
    const chunk = 'function f(a,b){return a*b+1}var s="/*",t=/\\/\\*/g,u=`x${1}y`;// sage: 1\n';
    writeFileSync(path.join(dir, 'big.js'), chunk.replace('\n', '').repeat(Math.ceil(8e6 / chunk.length)));
    const started = Date.now();
    const r = await runMtest(dir, ['list', 'big.js']);
    // ~2.5 s on an idle machine; a lexer quadratic on this one long line takes minutes
    assert.ok(Date.now() - started < 30000, `${Date.now() - started} ms`);
    assert.equal(r.err, '');
    assert.match(r.out, /^1 example in 1 file$/m);
  });
});
