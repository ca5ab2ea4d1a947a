#!/usr/bin/env node
// Builds the native addons with node-gyp: mtest_guard (process control; needs only a C++ toolchain) and the
// engine, mtest_engine (needs OpenBLAS and LAPACKE). The engine is optional: without OpenBLAS it is not
// built, and its examples fail with one line saying what to install.
//
//   node scripts/build-native.mjs --install       package.json's `install` script: never fails an install
//   node scripts/build-native.mjs                 this checkout's own build: both addons, or fail
//   node scripts/build-native.mjs --check         detect only; print what was found, exit 1 if incomplete
//   node scripts/build-native.mjs --probe         choose the BLAS kernels (build/Release/blas-kernel.json)
//   node scripts/build-native.mjs --gyp-includes  (called by binding.gyp) include directories
//   node scripts/build-native.mjs --gyp-libs      (called by binding.gyp) linker flags
//   node scripts/build-native.mjs --gyp-engine    (called by binding.gyp) 1 when the engine is built
//
// apt-get runs only for this repository's own `npm ci` as root on Debian/Ubuntu (one line says so;
// MTEST_NO_SYSTEM_INSTALL=1 turns it off). Installed as a dependency (from the registry, a tarball or git),
// the build never changes the system.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const isMac = process.platform === 'darwin';
const APT_PACKAGES = ['libopenblas-dev', 'liblapacke-dev'];
const PACKAGE_NAME = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).name;

/**
 * Installed into another project: under node_modules, or in npm's cache while npm prepares a git
 * dependency. Only this repository's own checkout may install system packages.
 */
export function isDependency(dir = root, prefix = process.env.npm_config_local_prefix) {
  const parts = path.resolve(dir).split(path.sep);
  if (parts.includes('node_modules') || parts.includes('_cacache')) return true;
  return prefix !== undefined && prefix !== '' && path.resolve(prefix) !== path.resolve(dir);
}

/** What to tell a user whose engine could not be built. */
function engineAdvice() {
  const install = isMac ? 'brew install openblas' : `apt-get install ${APT_PACKAGES.join(' ')}`;
  const rebuild = isDependency() ? `npm rebuild ${PACKAGE_NAME}` : 'npm run build:native';
  return `install OpenBLAS and LAPACKE (${install}), then run \`${rebuild}\``;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout.trim() : null;
}

function onPath(cmd) {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, cmd)));
}

/** Multiarch directories such as x86_64-linux-gnu, found under /usr/include and /usr/lib. */
function multiarch(base) {
  try {
    return readdirSync(base).filter((d) => /-linux-gnu|-linux-musl/.test(d)).map((d) => path.join(base, d));
  } catch {
    return [];
  }
}

function pkgConfigDirs(flag, prefix) {
  const out = run('pkg-config', [flag, 'openblas', 'lapacke']) ?? run('pkg-config', [flag, 'openblas']);
  if (!out) return [];
  return out.split(/\s+/).filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length).replace(/\/$/, ''));
}

function brewPrefix() {
  const fromBrew = onPath('brew') ? run('brew', ['--prefix', 'openblas']) : null;
  return [fromBrew, '/opt/homebrew/opt/openblas', '/usr/local/opt/openblas'].filter(Boolean);
}

function candidates() {
  const inc = [];
  const lib = [];
  if (isMac) {
    for (const p of brewPrefix()) {
      inc.push(path.join(p, 'include'));
      lib.push(path.join(p, 'lib'));
    }
  }
  inc.push(...pkgConfigDirs('--cflags-only-I', '-I'));
  lib.push(...pkgConfigDirs('--libs-only-L', '-L'));
  // Debian/Ubuntu keep OpenBLAS's cblas.h per threading flavour under the multiarch directory.
  for (const d of multiarch('/usr/include')) {
    for (const flavour of ['openblas-pthread', 'openblas-openmp', 'openblas-serial']) inc.push(path.join(d, flavour));
    inc.push(d);
  }
  inc.push('/usr/include/openblas', '/usr/include', '/usr/local/include', '/usr/local/include/openblas', '/opt/OpenBLAS/include');
  for (const d of multiarch('/usr/lib')) {
    for (const flavour of ['openblas-pthread', 'openblas-openmp', 'openblas-serial']) lib.push(path.join(d, flavour));
    lib.push(d);
  }
  lib.push('/usr/lib64', '/usr/lib', '/usr/local/lib', '/opt/OpenBLAS/lib');
  return { inc: [...new Set(inc)], lib: [...new Set(lib)] };
}

function findLib(dirs, name) {
  const exts = isMac ? ['.dylib', '.a'] : ['.so', '.a'];
  return dirs.find((d) => exts.some((e) => existsSync(path.join(d, `lib${name}${e}`))));
}

/** What is installed: include directories, linker flags, and the list of missing pieces. */
export function detect() {
  const { inc, lib } = candidates();
  // OpenBLAS's own cblas.h sits next to openblas_config.h; a reference-BLAS cblas.h lacks openblas_get_config.
  const blasInc = inc.find((d) => existsSync(path.join(d, 'cblas.h')) && existsSync(path.join(d, 'openblas_config.h')));
  const lapackeInc = inc.find((d) => existsSync(path.join(d, 'lapacke.h')));
  const openblasLib = findLib(lib, 'openblas');
  const lapackeLib = findLib(lib, 'lapacke');
  // Debian builds OpenBLAS with NO_LAPACKE and ships LAPACKE separately; Homebrew's OpenBLAS includes it.
  let openblasHasLapacke = false;
  if (blasInc) {
    const cfg = readFileSync(path.join(blasInc, 'openblas_config.h'), 'utf8');
    openblasHasLapacke = !/NO_LAPACKE/.test(cfg);
  }
  const missing = [];
  if (!blasInc) missing.push('OpenBLAS headers (cblas.h with openblas_config.h)');
  if (!openblasLib) missing.push('OpenBLAS library (libopenblas)');
  if (!lapackeInc) missing.push('LAPACKE header (lapacke.h)');
  if (!lapackeLib && !openblasHasLapacke) missing.push('LAPACKE library (liblapacke)');
  const includeDirs = [...new Set([blasInc, lapackeInc].filter(Boolean))];
  const libDirs = [...new Set([openblasLib, lapackeLib].filter(Boolean))];
  const libs = [];
  for (const d of libDirs) {
    libs.push(`-L${d}`);
    // Standard system directories are on the loader path already; anything else needs an rpath.
    if (!/^\/(usr\/)?lib(64)?(\/|$)/.test(d)) libs.push(`-Wl,-rpath,${d}`);
  }
  libs.push('-lopenblas');
  if (lapackeLib) libs.push('-llapacke');
  // dladdr (the OpenBLAS file the loader picked) is in libdl before glibc 2.34.
  if (process.platform === 'linux') libs.push('-ldl');
  return { includeDirs, libs, missing, blasInc, lapackeInc, openblasLib, lapackeLib };
}

function missingTools() {
  const tools = [];
  if (!onPath('make')) tools.push('make');
  if (!onPath('c++') && !onPath('g++') && !onPath('clang++')) tools.push('g++');
  if (!onPath('python3')) tools.push('python3');
  return tools;
}

function installCommand(packages) {
  return `apt-get update && apt-get install -y ${packages.join(' ')}`;
}

function fail(lines) {
  for (const l of lines) process.stderr.write(`build-native: ${l}\n`);
  process.exit(1);
}

function mayInstallSystemPackages() {
  return !isMac && onPath('apt-get') && process.getuid?.() === 0 && process.env.MTEST_NO_SYSTEM_INSTALL !== '1' && !isDependency();
}

/** apt-get install, saying so on one line; false (with the reason on stderr) when it failed. */
function aptInstall(packages) {
  process.stderr.write(`build-native: installing ${packages.join(' ')} with apt-get (as root, for this checkout; MTEST_NO_SYSTEM_INSTALL=1 turns it off)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // apt's output goes to stderr so that our stdout stays clean for callers.
  const opts = { stdio: ['ignore', process.stderr, process.stderr], env };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...packages]]) {
    const r = spawnSync('apt-get', args, opts);
    if (r.status !== 0) {
      process.stderr.write(`build-native: apt-get ${args.join(' ')} failed (exit ${r.status ?? r.signal}); run it by hand: ${installCommand(packages)}\n`);
      return false;
    }
  }
  return true;
}

/** The checkout's own build: everything must be there (installed now when allowed), or it fails. */
function ensureDependencies() {
  let found = detect();
  const tools = isMac ? [] : missingTools();
  if (found.missing.length === 0 && tools.length === 0) return found;
  const what = [...found.missing, ...tools.map((t) => `build tool ${t}`)];
  if (isMac) {
    fail([`missing ${what.join(', ')}.`, 'Install OpenBLAS with Homebrew, then run `npm run build:native` again:', '    brew install openblas']);
  }
  const packages = [...(found.missing.length ? APT_PACKAGES : []), ...tools];
  if (!mayInstallSystemPackages()) {
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    fail([
      `missing ${what.join(', ')}.`,
      'On Debian/Ubuntu install them with:',
      `    ${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`,
      'then run `npm run build:native` again (on other systems: install OpenBLAS and LAPACKE development files).',
    ]);
  }
  if (!aptInstall(packages)) process.exit(1);
  found = detect();
  if (found.missing.length) fail([`still missing after apt-get: ${found.missing.join(', ')}.`]);
  return found;
}

/** npm hands its own node-gyp to install scripts; a checkout also has it as a development dependency. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('node-gyp/package.json')), 'bin', 'node-gyp.js');
  } catch {
    return undefined;
  }
}

/** node-gyp rebuild; the engine only when `withEngine`. The exit status (or signal) as a word on failure. */
function gypRebuild(withEngine) {
  const gyp = nodeGyp();
  if (!gyp) return 'node-gyp was not found (run the build through npm: `npm rebuild`)';
  const env = { ...process.env, MTEST_BUILD_ENGINE: withEngine ? '1' : '0' };
  const r = spawnSync(process.execPath, [gyp, 'rebuild', ...nodedirArgs()], { cwd: root, stdio: ['ignore', process.stderr, process.stderr], env });
  return r.status === 0 ? undefined : `node-gyp rebuild failed (exit ${r.status ?? r.signal})`;
}

/**
 * node-gyp downloads headers unless told where they are; machines here are offline, so when npm has not
 * set a nodedir, use the headers installed next to this node binary (distribution or tarball layout).
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const headers = path.join(prefix, 'include', 'node');
  if (!existsSync(path.join(headers, 'common.gypi')) || !existsSync(path.join(headers, 'node_version.h'))) return [];
  const h = readFileSync(path.join(headers, 'node_version.h'), 'utf8');
  const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => h.match(new RegExp(`#define NODE_${k}_VERSION (\\d+)`))?.[1]);
  return `v${v.join('.')}` === process.version ? [`--nodedir=${prefix}`] : [];
}

/**
 * Which OpenBLAS kernels the engine runs (src/engine/kernel.ts): probed in child processes, written next
 * to the addon. The probe is compiled TypeScript; before the first `tsc` (npm ci runs this script first,
 * then `prepare` compiles and probes) there is nothing to run yet. A failed probe is not a failed build:
 * the engine then keeps the library's own kernels and probes again when it loads.
 */
function probeKernels() {
  const script = path.join(root, 'dist', 'src', 'engine', 'kernel-probe.js');
  // nothing to probe yet (before the first tsc), or no engine on this machine (no OpenBLAS)
  if (!existsSync(script) || !existsSync(path.join(root, 'build', 'Release', 'mtest_engine.node'))) return;
  const r = spawnSync(process.execPath, [script, '--write', root], { cwd: root, encoding: 'utf8' });
  const said = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  process.stderr.write(`build-native: BLAS kernels: ${said || `probe exited with ${r.status ?? r.signal}`}\n`);
}

/**
 * The `install` script: builds what this machine allows and never fails the install. Without OpenBLAS the
 * guard alone is built and one warning says how to get the engine; without a C++ toolchain neither is,
 * and mtest runs with its fallbacks.
 */
function installBuild() {
  let found = detect();
  const tools = isMac ? [] : missingTools();
  if (mayInstallSystemPackages() && (found.missing.length || tools.length)) {
    if (aptInstall([...(found.missing.length ? APT_PACKAGES : []), ...tools])) found = detect();
  }
  const stillMissingTools = isMac ? [] : missingTools();
  if (stillMissingTools.length) {
    warn(`no native addons built: missing ${stillMissingTools.join(', ')}; mtest runs without them, and the engine's examples fail until you ${engineAdvice()}`);
    return;
  }
  const withEngine = found.missing.length === 0;
  if (!withEngine) warn(`the engine is not built: missing ${found.missing.join(', ')}; mtest runs everything else. For the engine, ${engineAdvice()}`);
  let failed = gypRebuild(withEngine);
  if (failed && withEngine) {
    warn(`the engine did not build (${failed}); building mtest's process guard alone. For the engine, ${engineAdvice()}`);
    failed = gypRebuild(false);
  }
  if (failed) {
    warn(`no native addons built (${failed}); mtest runs without them`);
    return;
  }
  if (withEngine) probeKernels();
}

function warn(line) {
  process.stderr.write(`${PACKAGE_NAME}: warning: ${line}\n`);
}

function cli(arg) {
  if (arg === '--gyp-includes') {
    process.stdout.write(detect().includeDirs.join(' ') + '\n');
  } else if (arg === '--gyp-libs') {
    process.stdout.write(detect().libs.join(' ') + '\n');
  } else if (arg === '--gyp-engine') {
    process.stdout.write(process.env.MTEST_BUILD_ENGINE === '0' || detect().missing.length > 0 ? '0\n' : '1\n');
  } else if (arg === '--check') {
    const found = detect();
    const { missing, ...rest } = found;
    process.stdout.write(JSON.stringify(rest, null, 2) + '\n');
    if (missing.length) fail([`missing ${missing.join(', ')}`]);
  } else if (arg === '--probe') {
    probeKernels();
  } else if (arg === '--install') {
    installBuild();
  } else if (arg === undefined) {
    ensureDependencies();
    const failed = gypRebuild(true);
    if (failed) fail([`${failed}.`]);
    if (!existsSync(path.join(root, 'build', 'Release', 'mtest_engine.node'))) fail(['node-gyp finished but build/Release/mtest_engine.node is missing.']);
    probeKernels();
  } else {
    fail([`unknown argument ${arg}; see the header of scripts/build-native.mjs.`]);
  }
}

// Imported (by the tests) it only defines; run, it does what its argument says.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) cli(process.argv[2]);
