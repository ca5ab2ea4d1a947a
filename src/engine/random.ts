// Random matrices from LAPACK's dlarnv (uniform on (-1, 1), like Sage's RDF random_matrix). The whole
// generator state is dlarnv's four 12-bit seed words, kept here in an Int32Array that the native call
// advances in place; mtest reseeds it at the start of every block through seedRandom.
import { checkDim, describe, shape } from './errors.js';
import { Matrix, wrapMatrix } from './matrix.js';
import { native } from './native.js';
import { allocateOutput } from './storage.js';

const UNIFORM_MINUS_ONE_ONE = 2;
// One generator per process, even when the engine module is loaded twice (prelude and from source).
const STATE_KEY = Symbol.for('mtest.engine.randomState');
const holder = globalThis as unknown as Record<symbol, Int32Array | undefined>;
const fresh = holder[STATE_KEY] === undefined;
const state: Int32Array = (holder[STATE_KEY] ??= new Int32Array(4));

/**
 * dlarnv seed words for an integer seed. Nearby seeds would give nearly identical multiplicative
 * congruential streams, so the seed is first scrambled with the SplitMix64 finaliser (integer bit
 * mixing), then 47 of its bits fill the words (the last word must be odd).
 */
function seedWords(op: string, seed: unknown, into: Int32Array): Int32Array {
  if (typeof seed !== 'number') throw new TypeError(`${op}: seed must be a number, got ${describe(seed)}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${op}: seed must be a safe integer, got ${seed}`);
  const M = 64;
  let z = BigInt.asUintN(M, BigInt(seed) + 0x9e3779b97f4a7c15n);
  z = BigInt.asUintN(M, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(M, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  z ^= z >> 31n;
  into[0] = Number((z >> 35n) & 4095n);
  into[1] = Number((z >> 23n) & 4095n);
  into[2] = Number((z >> 11n) & 4095n);
  into[3] = Number(((z & 2047n) << 1n) | 1n);
  return into;
}

/**
 * Reseeds the engine's generator (mtest does this at the start of every block with `--random-seed`).
 *
 *     sage: seedRandom(42); const a = randomMatrix(2, 2)
 *     sage: seedRandom(42); a.equals(randomMatrix(2, 2))
 *     true
 */
export function seedRandom(seed: number): void {
  seedWords('seedRandom', seed, state);
}

/**
 * An m×n matrix with entries uniform on (-1, 1). With `seed` the result depends only on the seed;
 * without, it draws from the engine's generator (see seedRandom).
 *
 *     sage: const R = randomMatrix(2, 3, 7)
 *     sage: [R.rows, R.cols]
 *     [ 2, 3 ]
 *     sage: R.equals(randomMatrix(2, 3, 7))
 *     true
 *     sage: R.equals(randomMatrix(2, 3, 8))
 *     false
 *     sage: randomMatrix(2, 2, 1.5)
 *     Uncaught RangeError: randomMatrix: seed must be a safe integer, got 1.5
 */
export function randomMatrix(m: number, n: number, seed?: number): Matrix {
  checkDim('randomMatrix', 'rows', m);
  checkDim('randomMatrix', 'columns', n);
  if (m * n > 2 ** 31 - 1) throw new RangeError(`randomMatrix: cannot allocate a ${shape(m, n)} matrix`);
  const words = seed === undefined ? state : seedWords('randomMatrix', seed, new Int32Array(4));
  const data = allocateOutput(m * n, 'randomMatrix', shape(m, n)); // dlarnv writes every entry
  native().larnv(UNIFORM_MINUS_ONE_ONE, words, data, m * n);
  return wrapMatrix(m, n, data);
}

if (fresh) seedWords('seedRandom', 0, state);
