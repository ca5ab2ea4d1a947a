// Shared helpers for the engine tests: fixture loading and approximate comparison. (Named *.test.ts
// so that it stays among the engine's own files; it defines no tests itself.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { Matrix, Vector } from '../src/engine/index.js';
import { packageRoot } from '../src/package-root.js';

export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(packageRoot(), 'test', 'fixtures', 'engine', name), 'utf8')) as T;
}

/** |got − want| ≤ tol·max(1, |want|) element-wise, with a message naming the first offending entry. */
export function close(got: number[] | number, want: number[] | number, tol: number, what: string): void {
  const g = Array.isArray(got) ? got : [got];
  const w = Array.isArray(want) ? want : [want];
  assert.equal(g.length, w.length, `${what}: length ${g.length} vs ${w.length}`);
  for (let i = 0; i < w.length; i++) {
    const err = Math.abs(g[i]! - w[i]!);
    assert.ok(err <= tol * Math.max(1, Math.abs(w[i]!)), `${what}[${i}]: got ${g[i]}, want ${w[i]} (error ${err})`);
  }
}

export function closeMatrix(got: Matrix, want: number[][], tol: number, what: string): void {
  assert.equal(got.rows, want.length, `${what}: rows`);
  if (want.length > 0) assert.equal(got.cols, want[0]!.length, `${what}: cols`);
  close(got.toArray().flat(), want.flat(), tol, what);
}

export function closeVector(got: Vector, want: number[], tol: number, what: string): void {
  close(got.toArray(), want, tol, what);
}
