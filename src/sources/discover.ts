// PATH arguments → the list of source files to test.
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { InputError } from '../model.js';
import { globMatcher } from './glob-match.js';
import { sourceKind } from './kinds.js';

export interface DiscoverOptions {
  /** Globs (relative to cwd) a file found by walking a directory must match; default: everything. */
  include?: string[];
  /** Globs (relative to cwd) that remove files found by walking a directory. */
  exclude?: string[];
  /** Base of relative paths; default the process's working directory. */
  cwd?: string;
}

export interface Discovered {
  /** Sorted, without duplicates; relative to cwd when below it, absolute otherwise. */
  files: string[];
  errors: InputError[];
}

/** A directory holding a file of this name is skipped with everything below it (Sage's convention). */
const NODOCTEST = 'nodoctest';

/**
 * Directories never walked into (compared case-insensitively); hidden entries (a leading dot) are skipped
 * too. Named explicitly, their files are still taken.
 */
const IGNORED_DIRECTORIES = new Set(['node_modules', 'dist', 'build', 'coverage', 'out']);

/**
 * Files named explicitly are taken as given (if their extension is a source kind), wherever they are;
 * directories are walked, and only the files found by walking are filtered by include/exclude.
 * No PATH means the working directory.
 */
export async function discover(paths: string[], opts: DiscoverOptions = {}): Promise<Discovered> {
  const cwd = resolve(opts.cwd ?? '.');
  const included = opts.include && opts.include.length > 0 ? globMatcher(opts.include) : () => true;
  const excluded = globMatcher(opts.exclude ?? []);
  const found = new Set<string>();
  const errors: InputError[] = [];
  const shown = (absolute: string): string => {
    const rel = relative(cwd, absolute);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute;
  };

  for (const path of paths.length > 0 ? paths : ['.']) {
    const absolute = resolve(cwd, path);
    let info;
    try {
      info = await stat(absolute);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      errors.push({ file: path, line: 0, message: code === 'ENOENT' ? 'no such file or directory' : `cannot read (${code})` });
      continue;
    }
    if (info.isFile()) {
      if (sourceKind(absolute)) found.add(shown(absolute));
      else errors.push({ file: path, line: 0, message: 'unsupported file type (not a script, Markdown, text or notebook file)' });
    } else if (info.isDirectory()) {
      const bad = (entry: string, message: string) => errors.push({ file: shown(entry), line: 0, message });
      for (const file of walk(absolute, bad)) {
        const show = shown(file);
        const rel = relative(cwd, file).split(sep).join('/');
        if (included(rel) && !excluded(rel)) found.add(show);
      }
    } else {
      errors.push({ file: path, line: 0, message: 'not a file or directory' });
    }
  }
  return { files: [...found].sort(), errors };
}

/**
 * Absolute paths of the source files below `dir`, minus those below a `nodoctest` marker. A plain walk:
 * loading a glob library alone (fast-glob: ~45 ms) costs more of a run's start than walking a tree of
 * hundreds of files. Symbolic links to files are taken; those to directories are not
 * followed (a link cycle would never end). A directory that cannot be read, and a link to a source file
 * that cannot be followed (a loop, a path through a file, a directory mtest may not enter), are reported through `bad`, one line each (a test file mtest silently skips would pass every
 * run), and the walk goes on.
 */
function walk(dir: string, bad: (entry: string, message: string) => void): string[] {
  const files: string[] = [];
  const visit = (path: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch (error) {
      bad(path, `cannot read directory (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      return;
    }
    if (entries.some((e) => e.name.toLowerCase() === NODOCTEST && !e.isDirectory())) return;
    for (const entry of entries) {
      const name = entry.name;
      if (name.startsWith('.')) continue;
      const child = join(path, name);
      if (entry.isDirectory()) {
        if (!IGNORED_DIRECTORIES.has(name.toLowerCase())) visit(child);
      } else if (sourceKind(name) !== undefined) {
        // declaration files too: their doc comments' examples run against the package they declare
        if (entry.isFile()) files.push(child);
        else if (entry.isSymbolicLink()) {
          const problem = linkProblem(child);
          if (problem === undefined) files.push(child);
          else if (problem) bad(child, problem);
        }
      }
    }
  };
  visit(dir);
  return files;
}

const LINK_PROBLEMS: Record<string, string> = {
  ELOOP: 'symbolic link loop (ELOOP)',
  ENOTDIR: 'symbolic link through a file (ENOTDIR)',
  EACCES: 'symbolic link into a directory mtest may not read (EACCES)',
};

/**
 * Why the link cannot be taken as a source file: a message; '' for a link to something else (a
 * directory) or to nothing (a dangling link is left over, not a file mtest cannot read); undefined when
 * it can be taken.
 */
function linkProblem(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? undefined : '';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return code === 'ENOENT' ? '' : (LINK_PROBLEMS[code] ?? `cannot follow symbolic link (${code})`);
  }
}
