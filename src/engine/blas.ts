// What BLAS the engine runs on, and how many threads it uses.
import { kernelChoice, native } from './native.js';

export interface BlasConfig {
  /** 'OpenBLAS' */
  library: string;
  /** e.g. '0.3.21' */
  version: string;
  /** The kernel OpenBLAS chose for this CPU (or OPENBLAS_CORETYPE), e.g. 'Haswell'. */
  coretype: string;
  /** openblas_get_num_threads(); OPENBLAS_NUM_THREADS at start-up, then setBlasThreads. */
  threads: number;
  /** Who chose the kernels: the library by itself, mtest (after a self-test), or the user (OPENBLAS_CORETYPE). */
  chosenBy: 'library' | 'mtest' | 'user';
  /** What the library picks by itself on this CPU ('' when not probed). */
  libraryPick: string;
  /** Why these kernels run. */
  reason: string;
}

/**
 * The BLAS library, its version, the core type of the kernels in use and the thread count.
 *
 *     sage: blasConfig()  // random
 *     { library: 'OpenBLAS', version: '0.3.21', coretype: 'Haswell', threads: 1, chosenBy: 'mtest', ... }
 *     sage: blasConfig().library
 *     'OpenBLAS'
 */
export function blasConfig(): BlasConfig {
  const [config, core, threads] = native().config();
  const choice = kernelChoice();
  // openblas_get_config() reads "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Haswell MAX_THREADS=64".
  const words = config.trim().split(/\s+/);
  const library = words[0] || 'OpenBLAS';
  const version = words[1] ?? '';
  return { library, version, coretype: core.trim(), threads, chosenBy: choice?.source ?? 'library', libraryPick: choice?.libraryPick ?? '', reason: choice?.reason ?? '' };
}

/**
 * Sets the number of threads OpenBLAS uses from now on (openblas_set_num_threads).
 *
 *     sage: const before = blasConfig().threads
 *     sage: setBlasThreads(1); blasConfig().threads
 *     1
 *     sage: setBlasThreads(before)
 *     sage: setBlasThreads(0)
 *     Uncaught RangeError: setBlasThreads: thread count must be a positive integer, got 0
 */
export function setBlasThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1024) {
    const shown = typeof n === 'number' ? String(n) : typeof n;
    throw new RangeError(`setBlasThreads: thread count must be a positive integer, got ${shown}`);
  }
  native().setThreads(n);
}
