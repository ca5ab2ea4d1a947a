// A small statistics module documented with worked examples, the way a numerical library would be.
// mtest runs every `sage:` example below against this module's own exports (and the built-in engine).

/**
 * Arithmetic mean of a list of numbers.
 *
 * EXAMPLES::
 *
 *     sage: mean([1, 2, 3, 4])
 *     2.5
 *     sage: mean([0.1, 0.2, 0.3])  // tol 1e-15
 *     0.2
 *
 * An empty list has no mean::
 *
 *     sage: mean([])
 *     Uncaught RangeError: mean of an empty list
 */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('mean of an empty list');
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Sample variance (divides by n - 1).
 *
 *     sage: const data = [2, 4, 4, 4, 5, 5, 7, 9]
 *     sage: variance(data)  // tol 1e-12
 *     4.571428571428571
 *     sage: Math.sqrt(variance(data)).toFixed(3)
 *     '2.138'
 */
export function variance(xs: readonly number[]): number {
  if (xs.length < 2) throw new RangeError('variance needs at least two values');
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s / (xs.length - 1);
}

/**
 * Summary of a sample, as a plain object. TypeScript is fine inside examples:
 *
 *     sage: const s: Summary = summarize([3, 1, 2])
 *     sage: s
 *     { n: 3, min: 1, max: 3, mean: 2 }
 *     sage: for (const [k, v] of Object.entries(s)) console.log(k, v)
 *     n 3
 *     min 1
 *     max 3
 *     mean 2
 */
export function summarize(xs: readonly number[]): Summary {
  return { n: xs.length, min: Math.min(...xs), max: Math.max(...xs), mean: mean(xs) };
}

export interface Summary {
  n: number;
  min: number;
  max: number;
  mean: number;
}

/**
 * Running sums, produced lazily.
 *
 *     sage: [...cumulative([1, 2, 3, 4])]
 *     [ 1, 3, 6, 10 ]
 *     sage: const it = cumulative([5])
 *     sage: it.next()
 *     { value: 5, done: false }
 */
export function* cumulative(xs: Iterable<number>): Generator<number> {
  let s = 0;
  for (const x of xs) yield (s += x);
}
