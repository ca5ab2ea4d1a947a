// Loading TypeScript for --typecheck, with a V8 code cache: typescript.js is 9 MB of JavaScript, and
// compiling it took ~0.2-0.3 s of every run (Node 20 has no built-in compile cache). The cache is written
// after a check, so it holds the functions the check compiled, and lives in the user's cache directory
// (never a shared temporary one: it is code). V8 rejects a cache that does not match the source or
// itself; the cache is then rewritten.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import type * as TS from 'typescript';
import { writeAtomically } from '../util/atomic-write.js';

export interface LoadedTypeScript {
  ts: typeof TS;
  /** The code cache was there and V8 took it. */
  cacheUsed: boolean;
  /** Write the code cache when there was none (or V8 rejected it). Never throws. */
  saveCache(): void;
}

function cacheDirectory(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'mtest');
}

export const NO_TYPESCRIPT = '--typecheck needs the typescript package in this project: npm i -D typescript@6';

/**
 * Why the project in `cwd` cannot type-check, said before anything runs: no TypeScript, or TypeScript 7,
 * whose package has no compiler API for programs like mtest (6 is the last one that has it).
 */
export function typescriptProblem(cwd: string): string | undefined {
  let version: string;
  try {
    version = String((createRequire(path.join(cwd, 'package.json'))('typescript/package.json') as { version?: unknown }).version);
  } catch {
    return NO_TYPESCRIPT;
  }
  const major = Number(version.split('.')[0]);
  if (major >= 7) return `--typecheck needs TypeScript's compiler API, which typescript ${version} does not have: npm i -D typescript@6`;
  return undefined;
}

/** Caches kept besides the one in use: each TypeScript install (or Node) the user switches between has one. */
export const KEPT_CACHES = 3;

/** Remove all but the newest KEPT_CACHES code caches (~4 MB each): they would otherwise pile up forever. */
export function pruneCaches(dir: string, current: string): void {
  const caches: { file: string; mtime: number }[] = [];
  for (const name of readdirSync(dir)) {
    if (!/^typescript-[0-9a-f]+\.v8cache$/.test(name)) continue;
    const file = path.join(dir, name);
    if (file === current) continue;
    try {
      caches.push({ file, mtime: statSync(file).mtimeMs });
    } catch {
      // gone already
    }
  }
  caches.sort((a, b) => b.mtime - a.mtime);
  for (const { file } of caches.slice(KEPT_CACHES - 1)) rmSync(file, { force: true });
}

/** TypeScript as resolved from `from` (a file path), or undefined when it is not installed there. */
export function loadTypeScriptFrom(from: string): LoadedTypeScript | undefined {
  let file: string;
  try {
    file = createRequire(from).resolve('typescript');
  } catch {
    return undefined;
  }
  let source: string;
  let cacheFile: string;
  try {
    source = readFileSync(file, 'utf8');
    const { size, mtimeMs } = statSync(file);
    const key = createHash('sha256').update(`${file}\0${size}\0${mtimeMs}\0${process.version}\0${process.arch}`).digest('hex').slice(0, 16);
    cacheFile = path.join(cacheDirectory(), `typescript-${key}.v8cache`);
  } catch {
    return { ts: createRequire(from)('typescript') as typeof TS, cacheUsed: false, saveCache: () => {} };
  }
  let cached: Buffer | undefined;
  try {
    cached = readFileSync(cacheFile);
  } catch {
    cached = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData: cached });
  const module = { exports: {} as typeof TS };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, path.dirname(file));
  const fresh = cached === undefined || script.cachedDataRejected === true;
  return {
    ts: module.exports,
    cacheUsed: !fresh,
    saveCache: () => {
      if (!fresh) return;
      try {
        mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
        writeAtomically(cacheFile, script.createCachedData(), { mode: 0o600 });
        pruneCaches(path.dirname(cacheFile), cacheFile);
      } catch {
        // a cache that cannot be written only costs the next run its compile time
      }
    },
  };
}
