// Where mtest keeps what runs leave behind (`.mtest/`: stored timings, the workers' record): at the root of
// the user's project, the nearest folder up from the working directory that holds package.json or .git, so
// that running from a subfolder (`cd docs && npx mtest .`) uses the same store. The folder ignores itself in
// git, as pytest's cache does.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeDirectoryFor } from './safe-write.js';

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
  try {
    writeFileSync(path.join(dir, '.gitignore'), '# written by mtest: its stored timings and records stay out of git\n*\n', { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
