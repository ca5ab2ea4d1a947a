// PATH arguments → the list of source files to test (SPEC §1 Discovery).
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { InputError } from '../model.js';
import { globMatcher } from './glob-match.js';
import { isDeclarationFile, SOURCE_EXTENSIONS, sourceKind } from './kinds.js';

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

/** Never walked into (hidden directories are skipped too, by fast-glob's `dot: false`). */
const IGNORED = [
  '**/node_modules/**', '**/.git/**', '**/dist/**', '**/build/**', '**/coverage/**', '**/out/**',
  '**/*.d.ts', '**/*.d.mts', '**/*.d.cts',
];

const SOURCE_GLOB = `**/*.{${SOURCE_EXTENSIONS.join(',')}}`;

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
      for (const file of await walk(absolute)) {
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

/** Absolute paths of the source files below `dir`, minus those below a `nodoctest` marker. */
async function walk(dir: string): Promise<string[]> {
  // Loaded on first walk: a worker process (which only re-reads files it is given) never pays for it.
  const { default: fg } = await import('fast-glob');
  const entries = await fg([SOURCE_GLOB, `**/${NODOCTEST}`], {
    cwd: dir,
    dot: false,
    onlyFiles: true,
    ignore: IGNORED,
    caseSensitiveMatch: false,
    // symbolic links are not followed: a link cycle would otherwise never end
    followSymbolicLinks: false,
    suppressErrors: true,
  });
  const skipped = entries.filter((e) => e === NODOCTEST || e.endsWith('/' + NODOCTEST)).map((e) => dirname(e));
  const isSkipped = (entry: string): boolean =>
    skipped.some((d) => d === '.' || entry.startsWith(d + '/'));
  return entries
    .filter((e) => !isDeclarationFile(e) && sourceKind(e) !== undefined && !isSkipped(e))
    .map((e) => resolve(dir, e));
}
