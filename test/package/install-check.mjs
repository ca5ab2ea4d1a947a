#!/usr/bin/env node
// The package as a user gets it: `npm pack` of this checkout, installed with `npm i -D` into two scratch
// projects (an ES module TypeScript project and a CommonJS one, copied from test/fixtures/package/), then
// `npx mtest` on each project's own sources, Markdown and notebook. Every expectation is checked; the first
// that fails ends the script with exit 1 and the output that broke it.
//
//   node test/package/install-check.mjs              OpenBLAS is installed: the engine's examples pass
//   node test/package/install-check.mjs --no-engine  a machine without OpenBLAS: the install still succeeds
//                                                    and only the engine's examples fail, each saying why;
//                                                    as root, the projects are installed as `nobody`
//
// Needs the npm registry (the ES module project installs typescript@6 for --typecheck, and vitest).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const withEngine = !process.argv.includes('--no-engine');
const asNobody = !withEngine && process.getuid?.() === 0;
const work = mkdtempSync(path.join(tmpdir(), 'mtest-install-'));
const home = path.join(work, 'home');
const started = Date.now();

function say(text) {
  process.stdout.write(`install-check: ${text}\n`);
}

function fail(text, output = '') {
  process.stderr.write(`install-check: FAILED: ${text}\n${output}\n`);
  process.exit(1);
}

/** A command in `cwd`, as the project's user (nobody, under --no-engine as root); its status and output. */
function sh(cwd, command, args, extraEnv = {}) {
  const env = { ...process.env, HOME: home, npm_config_cache: path.join(work, 'npm-cache'), npm_config_update_notifier: 'false', ...extraEnv };
  // the user's own shell: nothing of this checkout's npm run leaks in (it would change how mtest words its lines)
  for (const name of Object.keys(env)) if (name.startsWith('npm_lifecycle_') || name === 'npm_command' || name === 'INIT_CWD') delete env[name];
  const argv = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', command, ...args] : [command, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '', all: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function expect(condition, what, output) {
  if (!condition) fail(what, output);
  say(`ok: ${what}`);
}

function closingLine(text) {
  return text.trimEnd().split('\n').pop();
}

// 1. The tarball, built the way `npm pack` builds it for a publish (prepack compiles the TypeScript).
const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
const tarball = path.join(work, packed[0].filename);
expect(packed[0].size < 3 * 1024 * 1024, `the tarball is ${(packed[0].size / 1024).toFixed(0)} kB (< 3 MB)`);
expect(!packed[0].files.some((f) => /^(test|dist\/test)\//.test(f.path) || f.path.endsWith('.map')), 'the tarball holds no tests, fixtures or source maps');

mkdirSync(home);
if (asNobody) {
  for (const dir of [work, home]) chownSync(dir, 65534, 65534);
  chmodSync(tarball, 0o644);
}

function project(name) {
  const dir = path.join(work, name);
  cpSync(path.join(repo, 'test', 'fixtures', 'package', name), dir, { recursive: true });
  if (asNobody) execFileSync('chown', ['-R', 'nobody:nogroup', dir]);
  return dir;
}

function install(dir, packages) {
  const r = sh(dir, 'npm', ['install', '--save-dev', '--no-audit', '--no-fund', ...packages]);
  expect(r.code === 0, `npm i -D ${packages.map((p) => path.basename(p)).join(' ')} in ${path.basename(dir)}`, r.all);
  return r;
}

/** `npx mtest ARGS` in `dir`: exit 1, one failure at `failure` (file:line), every other example as expected. */
function runDocs(dir, args, { failures, counts }) {
  const r = sh(dir, 'npx', ['mtest', ...args]);
  const label = `npx mtest ${args.join(' ')} in ${path.basename(dir)}`;
  expect(r.code === 1, `${label}: exit status 1`, r.all);
  expect(closingLine(r.out) === counts, `${label}: closing line "${counts}"`, r.all);
  for (const [file, line] of failures) {
    expect(r.out.includes(`File "${file}", line ${line}, in`), `${label}: the failure is reported at ${file}, line ${line}`, r.all);
  }
  return r;
}

const engineFailures = withEngine ? [] : [['docs/engine.md', 4], ['docs/engine.md', 6]];
const engineLine = 'Uncaught EngineUnavailableError: the engine is not built: OpenBLAS and LAPACKE were not found when mtest-doctest was installed;';

function checkEngine(dir, r) {
  if (withEngine) {
    const plain = sh(dir, 'node', ['--input-type=module', '-e', "import { matrix } from 'mtest-doctest/engine'; console.log(String(matrix([[1, 2], [3, 4]]).inverse()))"]);
    expect(plain.code === 0 && plain.out === '[-2.0  1.0]\n[ 1.5 -0.5]\n', 'mtest-doctest/engine imported from plain Node computes', plain.all);
    return;
  }
  expect(r.out.includes(engineLine) && r.out.includes('npm rebuild mtest-doctest'), "the engine's examples fail with the line that names the libraries and npm rebuild", r.out);
  expect(!/ReferenceError|internal error/.test(r.all), 'no ReferenceError, no internal error', r.all);
  const doctor = sh(dir, 'npx', ['mtest', 'doctor']);
  expect(doctor.code === 0 && doctor.out.includes('Engine:  not available (the engine is not built'), 'mtest doctor says the engine is not built', doctor.all);
}

// 2. An ES module TypeScript project.
{
  const dir = project('esm-ts');
  install(dir, [tarball]);
  if (!withEngine) expect(!existsSync(path.join(dir, 'node_modules', 'mtest-doctest', 'build', 'Release', 'mtest_engine.node')), 'without OpenBLAS the engine is not built, and the install succeeded');
  const counts = withEngine ? '21 passed, 1 failed, 0 skipped' : '19 passed, 3 failed, 0 skipped';
  const r = runDocs(dir, ['src', 'docs', 'notebooks'], { failures: [['docs/guide.md', 26], ...engineFailures], counts });
  expect(r.out.includes('\nnpx mtest -t docs/guide.md  # 1 doctest failed\n'), 'the rerun line repeats the command as typed', r.out);
  checkEngine(dir, r);
  runDocs(dir, ['--serial', 'src', 'docs', 'notebooks'], { failures: [['docs/guide.md', 26]], counts });
  const fromDocs = sh(path.join(dir, 'docs'), 'npx', ['mtest', 'guide.md']);
  expect(closingLine(fromDocs.out) === '10 passed, 1 failed, 0 skipped' && !existsSync(path.join(dir, 'docs', '.mtest')) && existsSync(path.join(dir, '.mtest', '.gitignore')), '.mtest/ stays at the project root when run from docs/', fromDocs.all);
  const noTs = sh(dir, 'npx', ['mtest', '--typecheck', 'src']);
  expect(noTs.code === 2 && noTs.err === 'mtest: --typecheck needs the typescript package in this project: npm i -D typescript@6\n' && noTs.out === '', '--typecheck without typescript: exit 2 at once, one line', noTs.all);
  install(dir, ['typescript@6', '@types/node', 'vitest']);
  const typed = sh(dir, 'npx', ['mtest', '--typecheck', 'src', 'docs/guide.md']);
  expect(/^Type-checked \d+ examples in [\d.]+ s: 0 examples with type errors\.$/m.test(typed.out) && closingLine(typed.out) === '15 passed, 1 failed, 0 skipped', "--typecheck with the project's typescript", typed.all);
  if (withEngine) {
    const vitest = sh(dir, 'npx', ['vitest', 'run', 'tests']);
    expect(vitest.code === 0 && /Tests\s+2 passed/.test(vitest.out.replace(/\x1b\[[0-9;]*m/g, '')), 'the engine and run() from a Vitest test', vitest.all);
  }
  const api = sh(dir, 'node', ['--input-type=module', '-e', "import { run } from 'mtest-doctest'; const r = await run(['docs/guide.md'], { jobs: 1, timeout: 30 }); console.log(JSON.stringify([r.passed, r.failed, r.skipped, r.notRun, r.exitCode, r.report.files[0].path]))"]);
  expect(api.out.trim() === '[10,1,0,0,1,"docs/guide.md"]', 'run() from the programmatic API', api.all);
}

// 3. A CommonJS project.
{
  const dir = project('cjs');
  install(dir, [tarball]);
  const counts = withEngine ? '17 passed, 1 failed, 0 skipped' : '15 passed, 3 failed, 0 skipped';
  const r = runDocs(dir, ['lib', 'docs', 'notebooks'], { failures: [['docs/README.md', 19], ...engineFailures], counts });
  checkEngine(dir, r);
  runDocs(dir, ['--serial', 'lib', 'docs', 'notebooks'], { failures: [['docs/README.md', 19]], counts });
}

rmSync(work, { recursive: true, force: true });
say(`all checks passed (${withEngine ? 'with' : 'without'} the engine) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
