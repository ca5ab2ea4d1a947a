// Backing memory for matrices and vectors, every array starting on a 64-byte boundary. Allocating a small
// off-heap Float64Array costs over a microsecond in Node (more than a 4×4 dgemm), so arrays up to 32 KiB
// (a 64×64 matrix) are carved out of shared slabs, as Node's Buffer pool does; larger ones get their own
// buffer. Slabs are never reused, so fresh storage from `allocate` is always zero-filled.
//
// The first write to a fresh 4 KiB page is a page fault: ~2,000 of them for the 8 MB result of a
// 1000×1000 product. The addon has malloc keep freed memory for the next arrays while busy, and give it
// back when idle (native/memory.cc), so arrays up to malloc's mmap threshold (32 MiB) mostly reuse pages.
// Larger ones are fresh mappings every time: an output that its operation overwrites entirely
// (allocateOutput) gets up to 4 MiB of slack and starts on a 2 MiB boundary that the addon marks for
// transparent huge pages (prepareLarge), one fault per 2 MiB. Below the threshold that advice cost more
// than it saved: it splits malloc's heap into separate mappings (the heavy corpus's system time doubled).
import { native } from './native.js';

/** Every array starts on a 64-byte boundary (a cache line; what AVX-512 loads want). */
const ALIGN = 64;
/** From this size on (malloc's mmap threshold, as the addon sets it), outputs get huge pages. */
const HUGE_MIN_BYTES = 32 * 1024 * 1024;
const HUGE_BYTES = 2 * 1024 * 1024;

/**
 * Arrays carved out of a shared buffer, one after another; a buffer is never reused. A zeroed slab hands
 * out zero-filled arrays; the others hand out arrays whose entries start undefined, for outputs that
 * their operation overwrites entirely. Two sizes of array, two slabs: a long-lived small array then pins
 * a small slab only.
 */
class Slab {
  private buffer: ArrayBuffer | null = null;
  private used = 0;

  constructor(
    private readonly bytes: number,
    /** Arrays up to this many bytes come from this slab. */
    readonly maxArray: number,
    private readonly zeroed: boolean,
  ) {}

  take(n: number): Float64Array {
    const bytes = n * 8;
    if (this.buffer === null || this.used + bytes > this.bytes) {
      // Buffer.allocUnsafeSlow's memory comes from malloc without a zero fill: a 256 KiB fill of memory
      // that the last collection freed (not in any cache) costs as much as a 64×64 product's output.
      this.buffer = this.zeroed ? new ArrayBuffer(this.bytes + ALIGN) : (Buffer.allocUnsafeSlow(this.bytes + ALIGN).buffer as ArrayBuffer);
      this.used = native().prepareLarge(this.buffer, 0) * 8;
    }
    const view = new Float64Array(this.buffer, this.used, n);
    this.used += (bytes + ALIGN - 1) & ~(ALIGN - 1);
    return view;
  }
}

/** Up to a 16×16 matrix, 32 or more to a 64 KiB slab. */
const small = new Slab(64 * 1024, 2048, true);
/** Up to a 64×64 matrix (32 KiB), 8 or more to a 256 KiB slab: a buffer of its own costs ~2 µs, the product 6. */
const medium = new Slab(256 * 1024, 32 * 1024, true);
/** The same sizes, for outputs overwritten entirely. */
const smallOutput = new Slab(64 * 1024, 2048, false);
const mediumOutput = new Slab(256 * 1024, 32 * 1024, false);

function failed(op: string, shape: string, n: number): RangeError {
  return new RangeError(`${op}: cannot allocate a ${shape} array (${n} elements)`);
}

/**
 * Bytes to allocate for an aligned view of `bytes`: from HUGE_MIN_BYTES on, room to start on a 2 MiB
 * boundary and to end on one (pages never touched cost address space, not memory).
 */
function padded(bytes: number): number {
  return bytes >= HUGE_MIN_BYTES ? (Math.ceil(bytes / HUGE_BYTES) + 1) * HUGE_BYTES : bytes + ALIGN;
}

/** Zero-filled storage for `n` doubles; a RangeError naming `op` when it cannot be allocated. */
export function allocate(n: number, op: string, shape: string): Float64Array {
  const bytes = n * 8;
  if (bytes <= small.maxArray) return small.take(n);
  if (bytes <= medium.maxArray) return medium.take(n);
  let buffer: ArrayBuffer;
  try {
    buffer = new ArrayBuffer(bytes + ALIGN);
  } catch {
    throw failed(op, shape, n);
  }
  // Zero pages stay lazy: no huge pages, which would be zeroed whole when `identity` touches its diagonal.
  return new Float64Array(buffer, native().prepareLarge(buffer, 0) * 8, n);
}

/**
 * Storage for `n` doubles that the caller overwrites entirely: its entries start undefined. A large
 * zero-filled ArrayBuffer costs a memset or fresh pages on every allocation (an 18 MB output: ~2 ms, as
 * much as the operation); Buffer.allocUnsafeSlow's memory comes from malloc, which reuses what earlier
 * arrays freed.
 */
export function allocateOutput(n: number, op: string, shape: string): Float64Array {
  const bytes = n * 8;
  if (bytes <= smallOutput.maxArray) return smallOutput.take(n);
  if (bytes <= mediumOutput.maxArray) return mediumOutput.take(n);
  let buffer: ArrayBuffer;
  try {
    buffer = Buffer.allocUnsafeSlow(padded(bytes)).buffer as ArrayBuffer;
  } catch {
    throw failed(op, shape, n);
  }
  return new Float64Array(buffer, native().prepareLarge(buffer, bytes >= HUGE_MIN_BYTES ? n : 0) * 8, n);
}

/** A pooled copy of `src`. */
export function copyOf(src: Float64Array, op: string, shape: string): Float64Array {
  const out = allocate(src.length, op, shape);
  out.set(src);
  return out;
}
