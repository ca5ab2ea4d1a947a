// mtest as a package in a user's project: what the tarball holds, how the install builds, how examples
// resolve their imports from the document, where mtest writes, how its messages repeat the command, and
// the programmatic API. (.ci/run also installs the packed tarball into scratch projects: test/package/.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { commandName } from '../src/cli/io.js';
import { engineNotBuilt, EngineUnavailableError, loadAddon } from '../src/engine/native.js';
import { run } from '../src/index.js';
import { packageRoot } from '../src/package-root.js';
import { projectRoot } from '../src/project.js';
import { rerunCommand, shellPath } from '../src/report/format.js';
import { mtestIn, runMtest } from './process-helpers.js';

const ROOT = packageRoot();

/** A project folder holding `files` (a package.json unless one is given). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mtest-pkg-'));
  for (const [name, text] of Object.entries({ 'package.json': '{"name": "scratch-project", "version": "1.0.0"}', ...files })) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('the package', function () {
  this.timeout(60000);

  it('packs dist/, the launcher, the native sources, README and LICENSE; no tests, fixtures, maps or keys; under 3 MB', () => {
    const listing = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' })) as {
      size: number;
      files: { path: string }[];
    }[];
    const files = listing[0].files.map((f) => f.path);
    for (const needed of ['bin/mtest.js', 'dist/src/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/engine/index.d.ts', 'dist/runner/worker/worker.js',
      'native/addon.cc', 'native/guard/guard.cc', 'binding.gyp', 'scripts/build-native.mjs', 'README.md', 'LICENSE', 'package.json']) {
      assert.ok(files.includes(needed), `${needed} is packed`);
    }
    const unwanted = files.filter((f) => /^(test|dist\/test|examples)\//.test(f) || f.endsWith('.map') || /\.(pem|key)$/.test(f) || f.startsWith('.'));
    assert.deepEqual(unwanted, []);
    assert.ok(listing[0].size < 3 * 1024 * 1024, `${listing[0].size} bytes`);
  });

  it('names its entry points for import and for types: the API, the engine, package.json', async () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(manifest.name, 'mtest-doctest');
    assert.deepEqual(Object.keys(manifest.exports), ['.', './engine', './package.json']);
    for (const entry of ['.', './engine']) {
      assert.ok(existsSync(path.join(ROOT, manifest.exports[entry].types)), `${entry} types`);
      assert.ok(existsSync(path.join(ROOT, manifest.exports[entry].default)), `${entry} code`);
    }
    assert.equal(manifest.peerDependenciesMeta.typescript.optional, true);
    assert.equal(manifest.dependencies.typescript, undefined);
    assert.equal(manifest.dependencies['node-gyp'], undefined, 'npm hands install scripts its own node-gyp');
    // the engine from plain Node, by the package's own name (self-reference through exports)
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', "import { matrix } from 'mtest-doctest/engine'; console.log(matrix([[1, 2], [3, 4]]).det())"], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(out.trim(), '-2');
  });

  it('the install builds the engine only where OpenBLAS is, and never runs apt-get as a dependency', async () => {
    const script = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'build-native.mjs')).href)) as {
      isDependency(dir: string, prefix?: string): boolean;
    };
    assert.equal(script.isDependency('/home/u/proj/node_modules/mtest-doctest', '/home/u/proj'), true);
    assert.equal(script.isDependency('/root/.npm/_cacache/tmp/git-cloneAbc', '/root/.npm/_cacache/tmp/git-cloneAbc'), true, 'a git dependency being prepared');
    assert.equal(script.isDependency('/src/mtest', '/src/mtest'), false, "the checkout's own npm ci");
    assert.equal(script.isDependency('/src/mtest', '/elsewhere'), true, "another project's npm");
    assert.equal(script.isDependency('/src/mtest', ''), false, 'run by hand in the checkout');
    const env = { ...process.env, MTEST_BUILD_ENGINE: '0' };
    assert.equal(execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-native.mjs'), '--gyp-engine'], { env, encoding: 'utf8' }).trim(), '0');
    const gyp = readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8');
    assert.match(gyp, /\["mtest_engine==1", \{\s*"targets"/, 'the engine target exists only when the script found the libraries');
  });

  it('without its addon the engine fails with one line naming the libraries and the command that fixes it', () => {
    const inProject = path.join(tmpdir(), 'proj', 'node_modules', 'mtest-doctest');
    assert.equal(
      engineNotBuilt(inProject),
      `the engine is not built: OpenBLAS and LAPACKE were not found when mtest-doctest was installed; ${process.platform === 'darwin' ? 'brew install openblas' : 'apt-get install libopenblas-dev liblapacke-dev'}, then npm rebuild mtest-doctest`,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'mtest-engine-'));
    try {
      assert.throws(() => loadAddon(dir), (err: Error) => err instanceof EngineUnavailableError && !err.message.includes('\n') && /npm run build:native$/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('imports resolve as the document would resolve them', function () {
  this.timeout(60000);
  let dir: string;

  before(() => {
    dir = project({
      'package.json': JSON.stringify({ name: 'own-lib', version: '1.0.0', main: 'lib/main.js' }),
      'lib/main.js': 'exports.answer = 42;\n',
      'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@util/*': ['src/util/*'] } } }),
      'src/util/double.ts': 'export const double = (x: number): number => 2 * x;\n',
      'src/shapes/index.ts': "export const sides = { square: 4 } as const;\n",
      'node_modules/esm-only/package.json': JSON.stringify({ name: 'esm-only', type: 'module', exports: { import: './index.js' } }),
      'node_modules/esm-only/index.js': "export const kind = 'esm';\n",
      'node_modules/cjs-pkg/package.json': JSON.stringify({ name: 'cjs-pkg', main: 'index.js' }),
      'node_modules/cjs-pkg/index.js': "exports.kind = 'cjs';\n",
      'docs/imports.md': [
        "sage: import fs from 'fs'",
        "sage: import { basename } from 'node:path'",
        'sage: typeof fs.readFileSync + basename("/a/b.txt")',
        "'functionb.txt'",
        "sage: import { kind } from 'esm-only'",
        'sage: kind',
        "'esm'",
        "sage: import * as cjs from 'cjs-pkg'",
        'sage: cjs.kind',
        "'cjs'",
        "sage: import { double } from '@util/double'",
        'sage: double(21)',
        '42',
        "sage: import { sides } from '../src/shapes'",
        'sage: sides.square',
        '4',
        "sage: import { answer } from 'own-lib'",
        'sage: answer',
        '42',
        "sage: require('cjs-pkg').kind + require('own-lib').answer + require('../lib/main.js').answer",
        "'cjs4242'",
        "sage: import 'mocha'",
        "Uncaught Error: Cannot find package 'mocha' imported from .../docs/imports.md",
        "sage: import 'not-installed-anywhere'",
        "Uncaught Error: Cannot find package 'not-installed-anywhere' imported from .../docs/imports.md",
        '',
      ].join('\n'),
      'lib/tool.cjs': "/**\n * sage: require('./main.js').answer\n * 42\n * sage: typeof module\n * 'undefined'\n */\nmodule.exports = {};\n",
      'esm/package.json': JSON.stringify({ type: 'module' }),
      'esm/mod.js': "/**\n * sage: typeof require\n * 'undefined'\n */\nexport const x = 1;\n",
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const mode of [['--serial'], ['-p', '1']]) {
    it(`built-ins, node_modules above the document (ESM-only, CommonJS), tsconfig paths, directory index, its own package, require; never mtest's own dependencies (${mode.join(' ')})`, async () => {
      const r = await runMtest(dir, [...mode, 'docs', 'lib', 'esm']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /^19 passed, 0 failed, 0 skipped$/m);
    });
  }

  it("a missing package is reported at its example, naming the document, never mtest's files", async () => {
    const doc = path.join(dir, 'docs', 'missing.md');
    writeFileSync(doc, "sage: import { x } from 'left-pad-missing'\n");
    try {
      const r = await runMtest(dir, ['-p', '1', 'docs/missing.md']);
      assert.equal(r.code, 1);
      assert.ok(r.out.includes(`Uncaught Error: Cannot find package 'left-pad-missing' imported from ${doc}`), r.out);
      assert.doesNotMatch(r.out, /dist\/src|execute\/modules/);
    } finally {
      rmSync(doc);
    }
  });
});

describe('where mtest writes: .mtest/ at the project root', function () {
  this.timeout(60000);

  it('is the nearest folder up holding package.json or .git; a run from a subfolder uses it, and it ignores itself in git', async () => {
    const dir = project({ 'docs/a.md': 'sage: 1 + 1\n2\n', 'docs/sub/b.md': 'sage: 2 + 2\n5\n' });
    try {
      assert.equal(projectRoot(path.join(dir, 'docs', 'sub')), dir);
      const r = await mtestIn(path.join(dir, 'docs'), ['--serial', '.']);
      assert.equal(r.code, 1, r.out + r.err);
      assert.equal(existsSync(path.join(dir, 'docs', '.mtest')), false, 'no .mtest/ in the subfolder');
      assert.equal(readFileSync(path.join(dir, '.mtest', '.gitignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join(), '*');
      const stats = JSON.parse(readFileSync(path.join(dir, '.mtest', 'stats.json'), 'utf8')) as { files: Record<string, unknown> };
      assert.deepEqual(Object.keys(stats.files).sort(), ['docs/a.md', 'docs/sub/b.md'], 'stored relative to the project root');
      // from the root, --failed alone takes the stored files and reruns the one that failed
      const again = await mtestIn(dir, ['--serial', '-f']);
      assert.equal(again.code, 1, again.out + again.err);
      assert.match(again.out, /^mtest -t docs\/sub\/b\.md$/m);
      assert.match(again.out, /^0 passed, 1 failed, 0 skipped$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in a git repository the folder is ignored: git status stays clean after a run', async () => {
    const dir = project({ 'a.md': 'sage: 1 + 1\n2\n' });
    try {
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' });
      git('init', '-q');
      git('add', '-A');
      git('commit', '-qm', 'x');
      assert.equal((await mtestIn(dir, ['--serial', 'a.md'])).code, 0);
      assert.ok(existsSync(path.join(dir, '.mtest', 'stats.json')));
      assert.equal(git('status', '--porcelain'), '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('messages repeat the command as the user started it', function () {
  this.timeout(60000);

  it('npx mtest when npm started it (npx, npm exec, a package script running mtest), mtest otherwise', () => {
    assert.equal(commandName({}), 'mtest');
    assert.equal(commandName({ npm_command: 'exec' }), 'npx mtest');
    assert.equal(commandName({ npm_command: 'run-script', npm_lifecycle_event: 'doctest', npm_lifecycle_script: 'mtest docs' }), 'npx mtest');
    assert.equal(commandName({ npm_command: 'test', npm_lifecycle_event: 'test', npm_lifecycle_script: 'tsc && mocha' }), 'mtest');
  });

  it('paths are quoted for the shell and never read as options', () => {
    assert.equal(rerunCommand('npx mtest', 'docs/a.md'), 'npx mtest -t docs/a.md');
    assert.equal(shellPath('docs/my notes.md'), "'docs/my notes.md'");
    assert.equal(shellPath("it's.md"), "'it'\\''s.md'");
    assert.equal(shellPath('-dash.md'), './-dash.md');
  });

  it('rerun lines of a run started through npx say npx mtest', async () => {
    const dir = project({ 'my notes.md': 'sage: 1\n2\n' });
    try {
      const r = await runMtest(dir, ['-p', '1', 'my notes.md'], { ...process.env, npm_command: 'exec' });
      assert.equal(r.code, 1);
      assert.match(r.out, /^npx mtest -t 'my notes\.md'  # 1 doctest failed$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the bisect hint of a timeout repeats the command too', async () => {
    const dir = project({ 'h.md': 'sage: while (true) {}  // timeout 0.5\n' });
    try {
      const r = await runMtest(dir, ['-p', '1', 'h.md'], { ...process.env, npm_command: 'exec' });
      assert.equal((r.code ?? 0) & 4, 4, r.out);
      assert.match(r.out, /^To see what it depends on: npx mtest bisect h\.md:1$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with no paths the hint names the project's own folders", async () => {
    const dir = project({ 'docs/a.md': '', 'lib/x.js': '' });
    try {
      const r = await mtestIn(dir, [], { npm_command: 'exec' });
      assert.equal(r.code, 2);
      assert.equal(r.err, 'mtest: no paths given (try: npx mtest docs/, npx mtest lib/, npx mtest -t FILE)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the programmatic API: run(paths, options)", function () {
  this.timeout(60000);

  it('resolves to the counts and the exit code, with the report captured, from the long options in camelCase', async () => {
    const dir = project({ 'a.md': 'sage: 1 + 1\n2\nsage: 2 + 2\n5\nsage: 3 // not tested\n3\n' });
    try {
      const result = await run(['a.md'], { cwd: dir, jobs: 1, timeout: 10, randomSeed: 7 });
      assert.deepEqual({ ...result, output: undefined, errors: undefined, report: undefined }, { passed: 1, failed: 1, skipped: 1, notRun: 0, exitCode: 1, output: undefined, errors: undefined, report: undefined });
      assert.match(result.output, /^1 passed, 1 failed, 1 skipped$/m);
      assert.equal(result.report?.randomSeed, 7);
      assert.deepEqual(result.report?.files[0].examples.map((e) => [e.line, e.status]), [[1, 'passed'], [3, 'failed'], [5, 'skipped']]);
      const serial = await run(['a.md'], { cwd: dir, serial: true });
      assert.equal(serial.failed, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with another cwd, a TypeScript source's own exports are found, in workers and --serial; the caller's working directory is kept", async () => {
    const dir = project({ 'm.ts': '/**\n * sage: twice(21)\n * 42\n */\nexport function twice(x: number): number {\n  return 2 * x;\n}\n' });
    const before = process.cwd();
    try {
      for (const serial of [false, true]) {
        const r = await run(['m.ts'], { cwd: dir, serial, jobs: serial ? undefined : 1 });
        assert.deepEqual([r.passed, r.failed, r.exitCode], [1, 0, 0], r.output);
        assert.equal(process.cwd(), before);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown option or a bad value is exit code 2 with one line, as on the command line', async () => {
    const bad = await run(['x.md'], { jbos: 1 } as never);
    assert.equal(bad.exitCode, 2);
    assert.equal(bad.errors, "mtest: unknown option 'jbos'\n");
    const wrong = await run(['x.md'], { timeout: 'soon' as never });
    assert.equal(wrong.exitCode, 2);
    assert.match(wrong.errors, /--timeout/);
  });
});

describe('the GitHub Actions workflow users copy', () => {
  it('is the file under docs/, shown whole in the README, and its mtest commands parse', async () => {
    const { parseArgs } = await import('../src/cli/options.js');
    const workflow = readFileSync(path.join(ROOT, 'docs', 'github-actions-doctest.yml'), 'utf8');
    assert.ok(readFileSync(path.join(ROOT, 'README.md'), 'utf8').includes('```yaml\n' + workflow + '```'), 'the README shows the file as it is');
    const commands = [...workflow.matchAll(/run: npx mtest (.*)$/gm)].map((m) => m[1].replace(/\$\{\{ matrix\.shard \}\}/g, '1'));
    assert.equal(commands.length, 2);
    for (const command of commands) assert.deepEqual(parseArgs(command.split(/\s+/)).errors, [], command);
    assert.match(workflow, /apt-get install -y libopenblas-dev liblapacke-dev/);
  });
});

describe('the TypeScript compile cache stays bounded', () => {
  it('keeps the newest caches and removes older ones', async () => {
    const { pruneCaches, KEPT_CACHES } = await import('../src/typecheck/load.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'mtest-cache-'));
    try {
      const names = Array.from({ length: 6 }, (_, i) => `typescript-${String(i).padStart(16, '0')}.v8cache`);
      names.forEach((n, i) => {
        writeFileSync(path.join(dir, n), 'x');
        execFileSync('touch', ['-d', `@${1700000000 + i}`, path.join(dir, n)]);
      });
      writeFileSync(path.join(dir, 'other.txt'), 'kept');
      pruneCaches(dir, path.join(dir, names[0]));
      const left = names.filter((n) => existsSync(path.join(dir, n)));
      assert.deepEqual(left, [names[0], ...names.slice(-(KEPT_CACHES - 1))]);
      assert.ok(existsSync(path.join(dir, 'other.txt')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

