// Delta debugging (Zeller's ddmin): the smallest subset of `items` for which `fails` still holds, found by
// trying halves, then finer chunks and their complements. The result is 1-minimal: dropping any one item
// of it makes the failure go away. Order is kept, since a replay's order matters. Precondition: `fails`
// holds for all of `items`; the empty set is not tried (the caller knows it does not fail).
export async function ddmin<T>(items: T[], fails: (subset: T[]) => Promise<boolean>): Promise<T[]> {
  let current = items;
  let n = 2;
  const tried = new Map<string, boolean>();
  const positions = new Map(items.map((item, i) => [item, i]));
  const test = async (subset: T[]): Promise<boolean> => {
    const key = subset.map((item) => positions.get(item)).join(',');
    let result = tried.get(key);
    if (result === undefined) {
      result = await fails(subset);
      tried.set(key, result);
    }
    return result;
  };
  while (current.length >= 2) {
    const chunks = split(current, n);
    let reduced = false;
    for (const chunk of chunks) {
      if (await test(chunk)) {
        current = chunk;
        n = 2;
        reduced = true;
        break;
      }
    }
    // With two chunks each complement is the other chunk, already tried.
    if (!reduced && chunks.length > 2) {
      for (const chunk of chunks) {
        const complement = current.filter((item) => !chunk.includes(item));
        if (await test(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (reduced) continue;
    if (n >= current.length) break;
    n = Math.min(2 * n, current.length);
  }
  return current;
}

/** `items` in `n` contiguous chunks of near-equal size. */
function split<T>(items: T[], n: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    if (end > start) chunks.push(items.slice(start, end));
    start = end;
  }
  return chunks;
}
