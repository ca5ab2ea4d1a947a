// mtest as the doctest stage of CI: stored timings, --failed, --new, --baseline, --shard + merge, --fix,
// diffs, annotations inside GitHub Actions, empty runs, config include, --randorder of blocks.
import assert from 'node:assert/strict';
import { mtestIn } from './process-helpers.js';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';


function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mtest-ci-'));
  write(dir, files);
  return dir;
}

function write(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
}

/** The CLI in-process in `dir`; serial unless `args` names workers. */
const mtest = mtestIn;

const SERIAL = ['--serial', '--prelude', 'node:util', '--random-seed', '1', '--no-status'];
/** The files in the order the report shows them. */
const ran = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('mtest -t ') && !l.includes('#')).map((l) => l.slice(9));
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

const CORPUS: Record<string, string> = {
  'a.md': 'sage: 1 + 1\n2\nsage: console.log([1, 2, 3].join("\\n"))\n1\n5\n3\n',
  'b.md': 'sage: 2 * 3\n6\n',
  'c.ts': '/**\n * Half.\n *\n *     sage: half(4)\n *     2\n */\nexport function half(x: number) { return x / 2; }\n',
  'd.md': 'sage: "d"\n\'d\'\nsage: 7 // not tested\n8\n',
  'e.txt': 'sage: 40 + 2\n41\n',
  'f.md': 'sage: let s = 0; for (let i = 0; i < 3; i++) s += i; s\n3\n',
};

describe('CI: stored timings and --failed', () => {
  it('writes .mtest/stats.json after a run, keeps entries of files not in the run, and runs slowest first', async () => {
    const dir = project(CORPUS);
    const first = await mtest(dir, [...SERIAL, '.']);
    assert.equal(first.code, 1, first.out + first.err);
    const stats = readJson(path.join(dir, '.mtest', 'stats.json'));
    assert.deepEqual(Object.keys(stats.files).sort(), ['a.md', 'b.md', 'c.ts', 'd.md', 'e.txt', 'f.md']);
    assert.deepEqual({ ...stats.files['a.md'], time: 0 }, { time: 0, examples: 2, failures: 1 });
    assert.equal(stats.files['d.md'].examples, 2);
    await mtest(dir, [...SERIAL, 'b.md']);
    assert.deepEqual(Object.keys(readJson(path.join(dir, '.mtest', 'stats.json')).files).length, 6, 'the other entries are kept');

    // stored times decide the order, under --serial and with workers
    const times: Record<string, number> = { 'a.md': 0.1, 'b.md': 4, 'c.ts': 0.2, 'd.md': 3, 'e.txt': 2, 'f.md': 1 };
    writeFileSync(path.join(dir, 'timings.json'), JSON.stringify({ version: 1, files: Object.fromEntries(Object.entries(times).map(([f, time]) => [f, { time, examples: 1, failures: 0 }])) }));
    const serial = await mtest(dir, [...SERIAL, '--stats-path', 'timings.json', '.']);
    assert.deepEqual(ran(serial.out), ['b.md', 'd.md', 'e.txt', 'f.md', 'c.ts', 'a.md']);
    writeFileSync(path.join(dir, 'timings.json'), JSON.stringify({ version: 1, files: Object.fromEntries(Object.entries(times).map(([f, time]) => [f, { time, examples: 1, failures: 0 }])) }));
    const pooled = await mtest(dir, ['-p', '1', '--prelude', 'node:util', '--no-status', '--stats-path', 'timings.json', '.']);
    assert.deepEqual(ran(pooled.out), ['b.md', 'd.md', 'e.txt', 'f.md', 'c.ts', 'a.md'], pooled.out + pooled.err);
  });

  it('a file that timed out is stored as such and runs first next time', async () => {
    const dir = project({ ...CORPUS, 'slow.md': 'sage: while (true) {}\n' });
    const r = await mtest(dir, [...SERIAL, '--timeout', '0.3', '.']);
    assert.equal(r.code & 4, 4);
    assert.equal(readJson(path.join(dir, '.mtest', 'stats.json')).files['slow.md'].incident, 'timeout');
    const again = await mtest(dir, [...SERIAL, '--timeout', '0.3', '-f', '.']);
    // the timed-out file first; the two failures after it in the order of their (measured, near-equal) times
    const order = ran(again.out);
    assert.equal(order[0], 'slow.md', 'the timed-out file first');
    assert.deepEqual(order.slice(1).sort(), ['a.md', 'e.txt'], 'then the failures');
  });

  it('-f/--failed runs only the files that failed in the stored run; with none stored, all and a note', async () => {
    const dir = project(CORPUS);
    const none = await mtest(dir, [...SERIAL, '--failed', '.']);
    assert.match(none.err, /--failed: no failures stored in \.mtest\/stats\.json for these files; running all of them/);
    assert.equal(ran(none.out).length, 6);
    const failed = await mtest(dir, [...SERIAL, '-f', '.']);
    assert.deepEqual(ran(failed.out).sort(), ['a.md', 'e.txt']);
    assert.equal(failed.code, 1);
    // fixed in the meantime: the next --failed run has nothing stored as failing, and runs everything
    write(dir, { 'a.md': 'sage: 1 + 1\n2\n', 'e.txt': 'sage: 40 + 2\n42\n' });
    const green = await mtest(dir, [...SERIAL, '-f', '.']);
    assert.equal(green.code, 0);
    assert.deepEqual(ran(green.out).sort(), ['a.md', 'e.txt']);
    assert.equal(ran((await mtest(dir, [...SERIAL, '-f', '.'])).out).length, 6);
  });
});

describe('CI: -n/--new', () => {
  const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, stdio: 'pipe' });

  it('runs only the files git sees as modified, added or untracked', async () => {
    const dir = project(CORPUS);
    git(dir, 'init', '-q');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'corpus');
    write(dir, { 'b.md': 'sage: 2 * 3\n6\nsage: 1\n1\n', 'new.md': 'sage: 9\n9\n', 'sub/staged.md': 'sage: 8\n8\n' });
    git(dir, 'add', 'sub/staged.md');
    const r = await mtest(dir, [...SERIAL, '-n', '.']);
    assert.deepEqual(ran(r.out).sort(), ['b.md', 'new.md', 'sub/staged.md'], r.out + r.err);
    assert.equal(r.code, 0);
    // under a given path only
    assert.deepEqual(ran((await mtest(dir, [...SERIAL, '--new', 'sub'])).out), ['sub/staged.md']);
  });

  it('outside a git work tree: one line, exit bit 2', async () => {
    const dir = project(CORPUS);
    const r = await mtest(dir, [...SERIAL, '--new', '.'], { GIT_CEILING_DIRECTORIES: path.dirname(dir) });
    assert.equal(r.code, 2);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, /^mtest: --new: .* is not inside a git work tree\n$/);
    assert.equal(r.out, '');
  });
});

describe('CI: --baseline', () => {
  it('a failure at the same file and source as in the baseline is known (no exit bit), even moved; a new one sets the bit', async () => {
    const dir = project(CORPUS);
    await mtest(dir, [...SERIAL, '--json', 'base.json', '.']);
    const known = await mtest(dir, [...SERIAL, '--baseline', 'base.json', '.']);
    assert.equal(known.code, 0, known.out);
    assert.match(known.out, /\nmtest -t a\.md {2}# 1 doctest failed \[failed in baseline\]\n/);
    assert.match(known.out, /Got:\n {4}1\n {4}2\n {4}3\n(?:.*\n)*?\[failed in baseline\]\n\*{70}/);
    assert.ok(known.out.trimEnd().endsWith('\n5 passed, 2 failed, 1 skipped'), 'the counts are honest');

    // the known failure moved down two lines; b.md fails for the first time
    write(dir, { 'a.md': 'Intro\n\n' + CORPUS['a.md'], 'b.md': 'sage: 2 * 3\n7\n' });
    const mixed = await mtest(dir, [...SERIAL, '--baseline', 'base.json', '--json', 'now.json', '.']);
    assert.equal(mixed.code, 1);
    assert.match(mixed.out, /\nmtest -t a\.md {2}# 1 doctest failed \[failed in baseline\]\n/);
    assert.match(mixed.out, /\nmtest -t b\.md {2}# 1 doctest failed\n/);
    const report = readJson(path.join(dir, 'now.json'));
    const failedExamples = report.files.flatMap((f: { examples: { status: string; file: string; line: number; known?: boolean }[] }) => f.examples.filter((e) => e.status === 'failed'));
    assert.deepEqual(failedExamples.map((e: { file: string; line: number; known?: boolean }) => [e.file, e.line, e.known ?? false]).sort(), [['a.md', 5, true], ['b.md', 1, false], ['e.txt', 1, true]]);
  });

  it('a baseline that is not a report: one line, exit 2', async () => {
    const dir = project({ ...CORPUS, 'junk.json': '[1, 2' });
    const r = await mtest(dir, [...SERIAL, '--baseline', 'junk.json', '.']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^mtest: --baseline: .*junk\.json: not JSON/);
  });
});

/** The report without its header and times: what a merge must reproduce. */
function body(out: string): string {
  return out
    .slice(out.indexOf('mtest -t '))
    .replace(/\d+\.\d\d s\]/g, 'T s]')
    .replace(/Total time for all tests: [\d.]+ seconds/, 'Total time');
}

describe('CI: --shard and mtest merge', () => {
  const corpus = { ...CORPUS, 'g.md': 'sage: "multi\\nline"\n\'multi\'\n\'line\'\n', 'h.md': 'sage: while (true) {}\nsage: 1\n1\n', 'i.md': 'sage: 1\n1\n' };

  it('three shards cover every file once; merge prints what one unsharded run prints, writes --json/--junit, exits with the union', async () => {
    const dir = project(corpus);
    const run = ['--timeout', '0.3', '.'];
    await mtest(dir, [...SERIAL, ...run]); // timings for the split
    for (const n of [0, 1, 2, 3]) cpSync(path.join(dir, '.mtest', 'stats.json'), path.join(dir, `stats${n}.json`));
    const whole = await mtest(dir, [...SERIAL, '--stats-path', 'stats0.json', '--json', 'whole.json', ...run]);
    const shards: string[][] = [];
    let union = 0;
    for (const i of [1, 2, 3]) {
      const r = await mtest(dir, [...SERIAL, '--shard', `${i}/3`, '--stats-path', `stats${i}.json`, '--json', `s${i}.json`, ...run]);
      assert.match(r.err, new RegExp(`shard ${i}/3: \\d+ of 9 files`));
      shards.push(ran(r.out));
      union |= r.code;
    }
    const all = shards.flat();
    assert.deepEqual([...all].sort(), ran(whole.out).sort(), 'every file in one shard');
    assert.equal(new Set(all).size, all.length, 'no file in two shards');
    assert.ok(shards.every((s) => s.length > 0), `balanced: ${shards.map((s) => s.length)}`);

    const merged = await mtest(dir, ['merge', 's1.json', 's2.json', 's3.json', '--json', 'merged.json', '--junit', 'merged.xml', '--stats-path', 'merged-stats.json']);
    assert.match(merged.out, /^Merging 3 reports \(shards 1\/3, 2\/3, 3\/3\): 9 files\.\n/);
    assert.equal(body(merged.out), body(whole.out));
    assert.equal(merged.code, whole.code);
    assert.equal(merged.code, union);
    assert.equal(merged.code, 1 | 4, 'failure and timeout bits');
    const w = readJson(path.join(dir, 'whole.json'));
    const m = readJson(path.join(dir, 'merged.json'));
    assert.deepEqual(m.totals, w.totals);
    assert.deepEqual(m.files.map((f: { path: string }) => f.path), w.files.map((f: { path: string }) => f.path));
    assert.match(readFileSync(path.join(dir, 'merged.xml'), 'utf8'), /<testsuites name="mtest" tests="12" failures="4" skipped="2"/);
    // the merge stores the timings the unsharded run stored
    const stored = readJson(path.join(dir, 'merged-stats.json'));
    assert.deepEqual(Object.keys(stored.files).sort(), Object.keys(readJson(path.join(dir, 'stats0.json')).files).sort());
    assert.equal(stored.files['h.md'].incident, 'timeout');
    assert.equal(stored.files['a.md'].failures, 1);
    const lost = await mtest(dir, ['merge', 's1.json', 's3.json']);
    assert.equal(lost.code & 2, 2);
    assert.equal(lost.err, 'mtest: shard 2/3 missing: their files are not in this report\n');
  });

  it('merge: a report that cannot be read is one line and exit bit 2; the others are merged', async () => {
    const dir = project(CORPUS);
    await mtest(dir, [...SERIAL, '--json', 'ok.json', 'b.md']);
    writeFileSync(path.join(dir, 'bad.json'), '{"no": "files"}');
    writeFileSync(path.join(dir, 'odd.json'), '{"files": [{"path": "x.md", "examples": [{"status": "weird"}], "incidents": [], "errors": []}]}');
    const r = await mtest(dir, ['merge', 'ok.json', 'bad.json', 'missing.json', 'odd.json']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^mtest: bad\.json: not an mtest --json report .*\nmtest: missing\.json: cannot read \(ENOENT\)\nmtest: odd\.json: not an mtest --json report \(an example of x\.md without a status\)\n$/);
    assert.ok(r.out.trimEnd().endsWith('\n1 passed, 0 failed, 0 skipped'));
  });
});

describe('CI: --fix', () => {
  const before = [
    '// Doubling.',
    '//',
    '//     sage: 2 * 2',
    '//     5',
    'export const two = 2;',
    '',
    '/**',
    ' * A matrix-like print, wrong in its last row, and a value expected where nothing printed.',
    ' *',
    ' *     sage: console.log("[1 2]\\n[3 4]")',
    ' *     [1 2]',
    ' *     [3 5]',
    ' *     sage: two + 1',
    ' *',
    ' * Output with an empty line, an exception (not fixed), and a good one:',
    ' *',
    ' *     sage: console.log("a\\n\\nb")',
    ' *     a',
    ' *     sage: null.x',
    ' *     3',
    ' *     sage: two',
    ' *     2',
    ' */',
    'export function f() {}',
    '',
  ].join('\r\n');
  const after = [
    '// Doubling.',
    '//',
    '//     sage: 2 * 2',
    '//     4',
    'export const two = 2;',
    '',
    '/**',
    ' * A matrix-like print, wrong in its last row, and a value expected where nothing printed.',
    ' *',
    ' *     sage: console.log("[1 2]\\n[3 4]")',
    ' *     [1 2]',
    ' *     [3 4]',
    ' *     sage: two + 1',
    ' *     3',
    ' *',
    ' * Output with an empty line, an exception (not fixed), and a good one:',
    ' *',
    ' *     sage: console.log("a\\n\\nb")',
    ' *     a',
    ' *     <BLANKLINE>',
    ' *     b',
    ' *     sage: null.x',
    ' *     3',
    ' *     sage: two',
    ' *     2',
    ' */',
    'export function f() {}',
    '',
  ].join('\r\n');

  it('rewrites the want of every mismatch in place, every other byte unchanged; fixed examples pass, then the file passes', async () => {
    const md = '# Notes\n\n  sage: console.log([1, 2].map((x) => x * 10).join("\\n"))\n  10\n  30\n\nText after.\n';
    const dir = project({ 'f.ts': before, 'n.md': md });
    const r = await mtest(dir, [...SERIAL, '--fix', '.']);
    assert.equal(readFileSync(path.join(dir, 'f.ts'), 'utf8'), after);
    assert.equal(readFileSync(path.join(dir, 'n.md'), 'utf8'), md.replace('  30\n', '  20\n'));
    for (const line of ['Fixed f.ts:3:', 'Fixed f.ts:10:', 'Fixed f.ts:13:', 'Fixed f.ts:17:', 'Fixed n.md:3:']) assert.ok(r.out.includes(line), `${line}\n${r.out}`);
    assert.ok(!r.out.includes('Fixed f.ts:19'), 'an exception is not fixed');
    assert.equal(r.code, 1, 'the exception still fails');
    assert.ok(r.out.trimEnd().endsWith('\n6 passed, 1 failed, 0 skipped'), r.out);
    const again = await mtest(dir, [...SERIAL, '.']);
    assert.equal(again.code, 1);
    assert.ok(again.out.trimEnd().endsWith('\n6 passed, 1 failed, 0 skipped'), again.out);
    assert.match(again.out, /File "f\.ts", line 22, in f\nFailed example:\n {4}null\.x\nException raised:/);
  });

  it('leaves an example alone when its output would not read back (a comment end), and a file that changed during the run', async () => {
    const dir = project({
      'c.ts': '/**\n *     sage: "*" + "/"\n *     1\n *     sage: 1 + 1\n *     3\n */\nexport {};\n',
      'moving.md': 'sage: (await import("node:fs")).appendFileSync("moving.md", "\\nmore text\\n")\nsage: 1\n2\n',
    });
    const r = await mtest(dir, [...SERIAL, '--fix', '.']);
    assert.match(r.out, /Warning: c\.ts:2: --fix left this example alone: its output would not read back/);
    assert.ok(r.out.includes('Fixed c.ts:4:'));
    assert.equal(readFileSync(path.join(dir, 'c.ts'), 'utf8'), '/**\n *     sage: "*" + "/"\n *     1\n *     sage: 1 + 1\n *     2\n */\nexport {};\n');
    assert.match(r.out, /Warning: moving\.md: changed on disk during the run; --fix left it alone/);
    assert.equal(readFileSync(path.join(dir, 'moving.md'), 'utf8'), 'sage: (await import("node:fs")).appendFileSync("moving.md", "\\nmore text\\n")\nsage: 1\n2\n\nmore text\n');
    assert.equal(r.code, 1);
  });
});

describe('CI: reports', () => {
  it('a multi-line mismatch adds the unified diff after Got, the want\'s indentation removed', async () => {
    const dir = project({ 'm.md': '    sage: console.log("[3.0 4.0]\\n[1.0 1.0]")\n    [3.0 5.0]\n    [1.0 1.0]\n\nsage: 1\n2\n' });
    const r = await mtest(dir, [...SERIAL, 'm.md']);
    assert.ok(r.out.includes('Got:\n    [3.0 4.0]\n    [1.0 1.0]\nDifferences (-expected +got):\n-[3.0 5.0]\n+[3.0 4.0]\n [1.0 1.0]\n*****'), r.out);
    assert.ok(!/Expected:\n {4}2\nGot:\n {4}1\nDifferences/.test(r.out), 'one-line mismatches get no diff');
    assert.ok(!r.out.includes('\x1b['), 'no colour off a terminal');
  });

  it('GitHub annotations switch themselves on when GITHUB_ACTIONS=true; --format console turns them off', async () => {
    const dir = project(CORPUS);
    const on = await mtest(dir, [...SERIAL, '.'], { GITHUB_ACTIONS: 'true' });
    assert.match(on.out, /^::error file=a\.md,line=3,title=mtest mismatch::/m);
    const off = await mtest(dir, [...SERIAL, '--format', 'console', '.'], { GITHUB_ACTIONS: 'true' });
    assert.doesNotMatch(off.out, /::error/);
    const outside = await mtest(dir, [...SERIAL, '.'], { GITHUB_ACTIONS: undefined });
    assert.doesNotMatch(outside.out, /::error/);
  });

  it('finding no examples is one line and exit 2, unless --pass-with-no-examples', async () => {
    const dir = project({ 'prose.md': 'No examples here.\n', 'docs/empty.txt': '' });
    const r = await mtest(dir, [...SERIAL, 'prose.md', 'docs']);
    assert.equal(r.code, 2);
    assert.equal(r.err, 'mtest: no examples found in prose.md, docs\n');
    assert.equal(r.out, '');
    const ok = await mtest(dir, [...SERIAL, '--pass-with-no-examples', '--json', 'r.json', '.']);
    assert.equal(ok.code, 0);
    assert.ok(ok.out.trimEnd().endsWith('\n0 passed, 0 failed, 0 skipped'));
    assert.ok(existsSync(path.join(dir, 'r.json')));
  });

  it('with `include` in the config and no paths, the config\'s files are run', async () => {
    const dir = project({ 'mtest.config.json': '{"include": ["docs/**"]}', 'docs/a.md': 'sage: 1\n1\n', 'docs/deep/b.md': 'sage: 2\n2\n', 'other/c.md': 'sage: 3\n4\n' });
    const r = await mtest(dir, SERIAL);
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(ran(r.out).sort(), ['docs/a.md', 'docs/deep/b.md']);
    const none = project({});
    assert.match((await mtest(none, SERIAL)).err, /no paths given/);
  });

  it('--randorder SEED shuffles the blocks inside a file, the same way for the same seed', async () => {
    const blocks = Array.from({ length: 6 }, (_, b) => `/**\n *     sage: ${b}\n *     ${b}\n */\nexport const v${b} = ${b};\n`).join('\n');
    const dir = project({ 'blocks.ts': blocks });
    // the JSON report lists a file's examples by flat index, which follows the order they ran in
    const order = async (seed: string) => {
      const r = await mtest(dir, [...SERIAL, '--json', 'r.json', '--randorder', seed, 'blocks.ts']);
      assert.equal(r.code, 0, r.out);
      return readJson(path.join(dir, 'r.json')).files[0].examples.map((e: { line: number }) => e.line);
    };
    const lines = await order('3');
    assert.deepEqual([...lines].sort((a, b) => a - b), [2, 8, 14, 20, 26, 32]);
    assert.notDeepEqual(lines, [2, 8, 14, 20, 26, 32]);
    assert.deepEqual(await order('3'), lines);
  });
});
