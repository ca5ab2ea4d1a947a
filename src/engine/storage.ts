// Backing memory for matrices and vectors. Allocating a small off-heap Float64Array costs over a
// microsecond in Node (more than a 4×4 dgemm), so small arrays are carved out of shared 64 KiB slabs,
// as Node's Buffer pool does; large ones get their own buffer. Slabs are never reused, so fresh
// storage from `allocate` is always zero-filled.

const SLAB_BYTES = 64 * 1024;
/** Arrays up to this many bytes (a 16×16 matrix) come from a slab. */
const POOLED_MAX_BYTES = 2048;
/** Slab offsets are kept 16-byte aligned for SIMD kernels. */
const ALIGN = 16;

let slab: ArrayBuffer | null = null;
let used = 0;

/** Zero-filled storage for `n` doubles; a RangeError naming `op` when it cannot be allocated. */
export function allocate(n: number, op: string, shape: string): Float64Array {
  const bytes = n * 8;
  if (bytes <= POOLED_MAX_BYTES) {
    if (slab === null || used + bytes > SLAB_BYTES) {
      slab = new ArrayBuffer(SLAB_BYTES);
      used = 0;
    }
    const view = new Float64Array(slab, used, n);
    used += (bytes + ALIGN - 1) & ~(ALIGN - 1);
    return view;
  }
  try {
    return new Float64Array(n);
  } catch {
    throw new RangeError(`${op}: cannot allocate a ${shape} array (${n} elements)`);
  }
}

/** From this size on (64 KiB), an output that is overwritten entirely skips the zero fill. */
const UNINITIALISED_MIN_BYTES = 65536;

/**
 * Storage for `n` doubles that the caller's operation overwrites entirely: its entries start undefined.
 * A large zero-filled ArrayBuffer costs a memset or fresh pages on every allocation (an 18 MB output:
 * ~2 ms, as much as the operation); Buffer.allocUnsafeSlow's memory comes from malloc, which reuses
 * what earlier arrays freed.
 */
export function allocateOutput(n: number, op: string, shape: string): Float64Array {
  const bytes = n * 8;
  if (bytes < UNINITIALISED_MIN_BYTES) return allocate(n, op, shape);
  try {
    return new Float64Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, n);
  } catch {
    throw new RangeError(`${op}: cannot allocate a ${shape} array (${n} elements)`);
  }
}

/** A pooled copy of `src`. */
export function copyOf(src: Float64Array, op: string, shape: string): Float64Array {
  const out = allocate(src.length, op, shape);
  out.set(src);
  return out;
}
