// Which deno runs a Deno notebook: MTEST_DENO (a path, or `none` for Node), else the deno npm package of
// the notebook's project (node_modules/.bin/deno in its folder or above), else deno on PATH.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findOnPath } from '../../runner/diagnosis/native-stack.js';

export function findDeno(notebook: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.MTEST_DENO;
  if (chosen === 'none') return undefined;
  if (chosen) return chosen;
  for (let dir = path.dirname(path.resolve(notebook)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', '.bin', 'deno');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  return findOnPath('deno') ?? undefined;
}

/** The one line a Deno notebook gets when it runs in Node. */
export const NO_DENO = "a Deno notebook, run in Node with Deno's display rules: no deno executable (the deno npm package in its project, deno on PATH, or MTEST_DENO)";
