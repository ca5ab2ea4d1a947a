// Which of the collected files this run takes: `--failed` (the stored run's failures) and `--new` (what git
// sees as changed).
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

export class SelectionError extends Error {}

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/**
 * Absolute paths of the files git sees as changed in the work tree holding `cwd`: modified (staged or
 * not), added and untracked files. Throws SelectionError outside a work tree.
 */
export function changedFiles(cwd: string): Set<string> {
  let top: string;
  try {
    top = git(['rev-parse', '--show-toplevel'], cwd).trim();
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SelectionError(missing ? '--new needs git, which was not found' : `--new: ${cwd} is not inside a git work tree`);
  }
  // -z: paths exactly as they are (no quoting); without renames a moved file is a deletion and an addition.
  let fields: string[];
  try {
    fields = git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'], top).split('\0');
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0];
    throw new SelectionError(`--new: git status failed${stderr ? `: ${stderr}` : ''}`);
  }
  const changed = new Set<string>();
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (field.length < 4) continue;
    const status = field.slice(0, 2);
    if (status.includes('D')) continue; // gone: nothing to run
    changed.add(real(resolve(top, field.slice(3))));
  }
  return changed;
}

/** --new: whether the found `path` is among git's changed files. */
export function isChanged(changed: Set<string>, cwd: string, path: string): boolean {
  return changed.has(real(resolve(cwd, path)));
}

/** git names files by their real path; the working directory may be reached through a link. */
function real(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}
