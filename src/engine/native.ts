// Finds and loads the compiled addon (build/Release/mtest_engine.node) and types its functions. The
// module may run compiled (dist/src/engine) or straight from source (src/engine), so the package root
// is found by walking up to mtest's package.json rather than by a fixed relative path.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_NAME, packageRoot } from '../package-root.js';
import { choiceAtLoad, CORETYPE_ENV, currentKey, readDecision, refreshDecision, type KernelChoice } from './kernel.js';

/** Low-level entry points. Products and vector arithmetic take (ArrayBuffer, element offset) pairs. */
export interface NativeEngine {
  gemm(a: ArrayBufferLike, ao: number, b: ArrayBufferLike, bo: number, c: ArrayBufferLike, co: number, m: number, k: number, n: number): void;
  /** gemm with op(A) = Aᵀ when ta (A stored k×m) and op(B) = Bᵀ when tb (B stored n×k). */
  gemmt(a: ArrayBufferLike, ao: number, b: ArrayBufferLike, bo: number, c: ArrayBufferLike, co: number, m: number, k: number, n: number, ta: number, tb: number): void;
  /** ‖x‖₂ of a contiguous run: sqrt(x·x), dnrm2 when that over- or underflows. */
  frobenius(x: ArrayBufferLike, xo: number, len: number): number;
  syrk(a: ArrayBufferLike, ao: number, c: ArrayBufferLike, co: number, n: number, k: number, trans: number): void;
  gemv(a: ArrayBufferLike, ao: number, x: ArrayBufferLike, xo: number, y: ArrayBufferLike, yo: number, m: number, n: number): void;
  axpy(x: ArrayBufferLike, xo: number, y: ArrayBufferLike, yo: number, out: ArrayBufferLike, oo: number, alpha: number, len: number): void;
  scal(x: ArrayBufferLike, xo: number, out: ArrayBufferLike, oo: number, alpha: number, len: number): void;
  dot(x: ArrayBufferLike, xo: number, y: ArrayBufferLike, yo: number, len: number): number;
  nrm2(x: ArrayBufferLike, xo: number, len: number): number;
  transpose(a: Float64Array, out: Float64Array, m: number, n: number): void;
  trace(a: Float64Array, n: number): number;
  copyStrided(src: Float64Array, dst: Float64Array, len: number, offset: number, stride: number): void;
  maxAbsDiff(x: Float64Array, y: Float64Array, len: number, transposeN?: number): number;
  sameValues(x: Float64Array, y: Float64Array, len: number): boolean;
  isSymmetricExact(a: Float64Array, n: number): boolean;
  det(a: Float64Array, n: number): number;
  inverse(a: Float64Array, out: Float64Array, n: number): void;
  solve(a: Float64Array, b: Float64Array, out: Float64Array, n: number, nrhs: number): void;
  lu(a: Float64Array, m: number, n: number, p: Float64Array, l: Float64Array, u: Float64Array): void;
  qr(a: Float64Array, m: number, n: number, q: Float64Array, r: Float64Array): void;
  /**
   * u = Lᵀ. symmetry: 'exact' checks that A is exactly symmetric (false when it is not), 'known' takes it
   * as exactly symmetric by construction, 'loose' uses A's lower triangle.
   */
  cholesky(a: Float64Array, u: Float64Array, n: number, symmetry: 'exact' | 'known' | 'loose'): boolean;
  /** vt: Vᵀ (k×n, row-major). */
  svd(a: Float64Array, m: number, n: number, u: Float64Array, s: Float64Array, vt: Float64Array): void;
  rank(a: Float64Array, m: number, n: number, tol: number): number;
  /** kind: 0 Frobenius, 1 max column sum, 2 max row sum, 3 largest singular value. */
  norm(a: Float64Array, m: number, n: number, kind: number): number;
  /** vectors: the eigenvectors as its rows (column-major, as LAPACK leaves them); known: a is exactly symmetric. */
  eigSym(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array | null, known?: boolean): void;
  eigGeneral(a: Float64Array, n: number, re: Float64Array, im: Float64Array): void;
  /** [openblas_get_config(), openblas_get_corename(), openblas_get_num_threads()] */
  config(): [string, string, number];
  /** The OpenBLAS file the loader opened ('' where unknown). */
  libraryPath(): string;
  setThreads(n: number): void;
  /**
   * The element offset at which a view of `n` doubles in `buffer` starts 64-byte aligned, or 2 MiB-aligned
   * (and advised for transparent huge pages) from 4 MiB on when the buffer has room for that.
   */
  prepareLarge(buffer: ArrayBuffer, n: number): number;
  /** The LAPACK wrappers' cache of work arrays: [cached bytes, cached blocks, limit in bytes]. */
  workCache(): [number, number, number];
  /** Unmaps every cached work array now; returns the bytes released. */
  releaseWork(): number;
  larnv(dist: number, iseed: Int32Array, out: Float64Array, len: number): void;
}

export const ADDON = path.join('build', 'Release', 'mtest_engine.node');

/**
 * How long OpenBLAS's threads spin (calling sched_yield) once their share of a call is done, before they
 * sleep: 2^N cycles. Its default, 2^28 (~0.1 s), keeps the extra thread of a 2-thread process busy for
 * 0.1 s after every burst of BLAS calls and after the library's start, a cost a run of many small examples
 * pays again and again. 2^20 (~0.4 ms) still covers the gaps between the calls inside one LAPACK routine
 * (2^4, which sleeps at once, slows eigh down). Figures: test/bench/README.md.
 */
export const THREAD_TIMEOUT_ENV = 'OPENBLAS_THREAD_TIMEOUT';
const THREAD_TIMEOUT = '20';

let loaded: NativeEngine | undefined;
let choice: KernelChoice | undefined;

/** The addon, loaded on first use so that importing the engine never fails by itself. */
export function native(): NativeEngine {
  return loaded ?? (loaded = loadAddon());
}

/** How this process's kernels were chosen (undefined before the engine loads). */
export function kernelChoice(): KernelChoice | undefined {
  return choice;
}

/** The addon file itself, with no kernel choice: what the probe's children load. */
export function requireAddon(file: string): NativeEngine {
  return createRequire(import.meta.url)(file) as NativeEngine;
}

/**
 * The kernel choice for this load. Unless the user set OPENBLAS_CORETYPE, the stored decision applies
 * when its key still matches this CPU and OpenBLAS file; otherwise the probe runs again first.
 */
function chooseKernels(root: string): KernelChoice {
  let decision = readDecision(root, (d) => currentKey(root, d.key.library));
  let why: string | undefined;
  if (!decision && process.env[CORETYPE_ENV] === undefined) ({ decision, why } = refreshDecision(root));
  return choiceAtLoad(process.env, decision, why);
}

/** The engine cannot run on this machine: its addon was not built (no OpenBLAS/LAPACKE when installed). */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}

/** One line: what is missing, and the commands that fix it where mtest is installed. */
export function engineNotBuilt(root: string): string {
  const install = process.platform === 'darwin' ? 'brew install openblas' : 'apt-get install libopenblas-dev liblapacke-dev';
  const rebuild = root.split(path.sep).includes('node_modules') ? `npm rebuild ${PACKAGE_NAME}` : 'npm run build:native';
  return `the engine is not built: OpenBLAS and LAPACKE were not found when ${PACKAGE_NAME} was installed; ${install}, then ${rebuild}`;
}

/** Loads build/Release/mtest_engine.node under `root` with the chosen kernels, or says how to build it. */
export function loadAddon(root: string = packageRoot()): NativeEngine {
  const file = path.join(root, ADDON);
  if (!existsSync(file)) throw new EngineUnavailableError(engineNotBuilt(root));
  const chosen = chooseKernels(root);
  // OpenBLAS reads these variables while it loads; afterwards the environment is the user's again, so
  // examples and their child processes see it as they would without mtest. A value the user set stays.
  const set: Record<string, string> = {};
  if (chosen.apply) set[CORETYPE_ENV] = chosen.apply;
  if (process.env[THREAD_TIMEOUT_ENV] === undefined) set[THREAD_TIMEOUT_ENV] = THREAD_TIMEOUT;
  Object.assign(process.env, set);
  let addon: NativeEngine;
  try {
    addon = requireAddon(file);
  } finally {
    for (const name of Object.keys(set)) delete process.env[name];
  }
  const core = addon.config()[1].trim();
  if (chosen.apply && core.toLowerCase() !== chosen.apply.toLowerCase()) {
    chosen.reason = `${chosen.apply} was chosen, but the library runs ${core} (OpenBLAS was loaded before the engine)`;
  }
  choice ??= chosen;
  return addon;
}
