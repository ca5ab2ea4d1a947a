// Running the mtest command as a process, as users and CI scripts run it (shared by the suites that do).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = path.join(process.cwd(), 'bin', 'mtest.js');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** A fresh directory holding `files`. */
export function scratch(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mtest-rel-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

export function startMtest(dir: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(BIN, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Collect what the process writes until it exits (and its pipes close). */
export function finished(child: ChildProcess): Promise<Finished> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
}

export function runMtest(dir: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Finished> {
  return finished(startMtest(dir, args, env));
}

/** The uid and gid a test runs mtest as when it must not be root (setpriv). */
export const NOBODY = 65534;
export const isRoot = process.getuid?.() === 0;

/**
 * mtest as a process with stdout and stderr in one pipe, in the order written. `unprivileged`: as a user
 * who may not read or write what root could (nobody, when the tests run as root). `program`: another command
 * than mtest (a shell running a command line mtest suggested).
 */
export function runMerged(dir: string, args: string[], unprivileged = false, program?: string): Promise<{ code: number | null; out: string }> {
  const mtest = program ? [program, ...args] : [process.execPath, BIN, ...args];
  const asNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
  let command = unprivileged && isRoot ? [...asNobody, ...mtest] : mtest;
  let mountPoint: string | undefined;
  if (unprivileged && isRoot && !program && !checkoutReadableByNobody()) {
    // A checkout in a private folder (a CI clone in `mktemp -d`): nobody reaches it through bind mounts at
    // a path anyone may walk, in a mount namespace of this command only. Each entry is mounted on its own:
    // a mount of the folder itself would carry the folder's own mode (700) to the mount point.
    mountPoint = mkdtempSync(path.join(tmpdir(), 'mtest-checkout-'));
    chmodSync(mountPoint, 0o755);
    const checkout = path.dirname(path.dirname(BIN));
    const script = [
      'from=$1; to=$2; shift 2',
      'for entry in "$from"/* "$from"/.[!.]*; do',
      '  [ -e "$entry" ] || continue; name=${entry##*/}',
      '  if [ -d "$entry" ]; then mkdir -p "$to/$name"; else : > "$to/$name"; fi',
      '  mount --bind "$entry" "$to/$name" || exit 99',
      'done',
      'exec "$@"',
    ].join('\n');
    command = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, 'sh', checkout, mountPoint, ...asNobody, process.execPath, path.join(mountPoint, 'bin', 'mtest.js'), ...args];
  }
  const child = spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', ...command], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      // Out here the mount points are an empty folder and empty files: the mounts lived in the command's namespace.
      if (mountPoint) rmSync(mountPoint, { recursive: true, force: true });
      resolve({ code, out });
    }),
  );
}

let readableByNobody: boolean | undefined;

/** Whether nobody can read mtest's launcher where it is (every folder above it walkable). */
export function checkoutReadableByNobody(): boolean {
  readableByNobody ??= spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'test', '-r', BIN]).status === 0;
  return readableByNobody;
}

/** The last line of the report. */
export function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1];
}


export interface Captured {
  code: number;
  out: string;
  err: string;
}

/**
 * The CLI in-process (`main`), in `dir`, its output collected; `env` set for the call only (undefined
 * removes a variable).
 */
export async function mtestIn(dir: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Captured> {
  const { main } = await import('../src/cli/main.js');
  let out = '';
  let err = '';
  const cwd = process.cwd();
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  apply(env);
  process.chdir(dir);
  try {
    const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t) }, dir);
    return { code, out, err };
  } finally {
    process.chdir(cwd);
    apply(saved);
  }
}

/**
 * The source of an example's first statement that tells the test it is running: it creates `armed` in the
 * working directory. A test that signals mtest waits for it (`appears`) instead of sleeping a fixed time,
 * which on a loaded machine may end before the example has started.
 */
export const ARM = "(await import('node:fs')).writeFileSync('armed', '');";

/** Resolves once `file` exists (an example creates it when it is where the test wants it), or fails. */
export async function appears(file: string, ms = 30000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > deadline) assert.fail(`${file} never appeared`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Mark the running test pending and say why in its title (mocha's skip takes no reason), for a check this
 * machine cannot make (a tool is missing): reported as not checked, never as passed.
 */
export function skipBecause(context: Mocha.Context, why: string): never {
  // from a before() hook every test of the suite is skipped: each title says why
  const hook = (context.test as { type?: string } | undefined)?.type === 'hook';
  for (const test of hook ? context.test?.parent?.tests ?? [] : context.test ? [context.test] : []) test.title += ` (skipped: ${why})`;
  context.skip();
}
