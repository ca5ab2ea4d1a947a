// mtest's built-in engine: dense Float64 linear algebra over OpenBLAS and LAPACKE. Its exports
// form the default prelude of every example.
export { blasConfig, setBlasThreads } from './blas.js';
export type { BlasConfig } from './blas.js';
export { Complex } from './complex.js';
export { diagonal, identity, matrix, ones, zeros } from './constructors.js';
export { Matrix } from './matrix.js';
export type { Eigh, LU, NormKind, QR, SVD } from './matrix.js';
export { randomMatrix, seedRandom } from './random.js';
export { Vector, vector } from './vector.js';
