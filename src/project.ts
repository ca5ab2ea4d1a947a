// Where mtest keeps what runs leave behind (`.mtest/`: stored timings, the workers' record): at the root of
// the user's project, the nearest folder up from the working directory that holds package.json or .git, so
// that running from a subfolder (`cd docs && npx mtest .`) uses the same store. The folder ignores itself in
// git, as pytest's cache does.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeDirectoryFor } from './util/atomic-write.js';

export const STATE_DIR = '.mtest';

/** The nearest folder at or above `cwd` holding package.json or .git; `cwd` itself when there is none. */
export function projectRoot(cwd: string): string {
  const start = path.resolve(cwd);
  for (let dir = start; ; ) {
    if (existsSync(path.join(dir, 'package.json')) || existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

/** `.mtest/NAME` of the project that `cwd` is in. */
export function stateFile(cwd: string, name: string): string {
  return path.join(projectRoot(cwd), STATE_DIR, name);
}

/** Make the folder a state file goes in; a `.mtest` folder holds a `.gitignore` of `*`. */
export function makeStateDirFor(file: string): void {
  const dir = path.dirname(file);
  makeDirectoryFor(file);
  if (path.basename(dir) !== STATE_DIR) return;
  const ignore = path.join(dir, '.gitignore');
  try {
    writeFileSync(ignore, '# written by mtest: its stored timings and records stay out of git\n*\n', { flag: 'wx' });
  } catch (err) {
    // there already, or not writable (a full disk): the file mtest came to write says what went wrong
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') removeQuietly(ignore);
  }
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // not ours to remove after all
  }
}
