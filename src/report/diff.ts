// `Differences (-expected +got):` for multi-line mismatches: a line diff (longest common subsequence) in
// unified form, `-`/`+`/space at column 0. Unchanged lines more than CONTEXT lines away from any change are
// left out, and then every hunk gets `diff -u`'s `@@ -l,n +l,n @@` header.

const CONTEXT = 3;
/** Above this many cells the quadratic table is not worth it: every want line removed, every got line added. */
const MAX_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; text: string; a: number; b: number };

function lines(text: string): string[] {
  if (text === '') return [];
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

function diffOps(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const ops: Op[] = [];
  if (n * m > MAX_CELLS) {
    a.forEach((text, i) => ops.push({ kind: '-', text, a: i, b: 0 }));
    b.forEach((text, j) => ops.push({ kind: '+', text, a: n, b: j }));
    return ops;
  }
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..]
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ kind: ' ', text: a[i++], a: i - 1, b: j++ });
    // removals before additions, as diff -u prints a changed line
    else if (i < n && (j === m || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])) ops.push({ kind: '-', text: a[i++], a: i - 1, b: j });
    else ops.push({ kind: '+', text: b[j++], a: i, b: j - 1 });
  }
  return ops;
}

export interface DiffStyle {
  /** ANSI colours (red removed, green added): only on a terminal. */
  colour?: boolean;
}

/** The diff lines of want → got (both already normalized), or [] when they are equal line by line. */
export function unifiedDiff(want: string, got: string, style: DiffStyle = {}): string[] {
  const ops = diffOps(lines(want), lines(got));
  if (ops.every((op) => op.kind === ' ')) return [];
  const keep = ops.map(() => false);
  ops.forEach((op, k) => {
    if (op.kind === ' ') return;
    for (let c = Math.max(0, k - CONTEXT); c <= Math.min(ops.length - 1, k + CONTEXT); c++) keep[c] = true;
  });
  const paint = (op: Op): string => {
    const line = op.kind + op.text;
    if (!style.colour || op.kind === ' ') return line;
    return `${op.kind === '-' ? '\x1b[31m' : '\x1b[32m'}${line}\x1b[0m`;
  };
  if (keep.every(Boolean)) return ops.map(paint);
  const out: string[] = [];
  for (let k = 0; k < ops.length; ) {
    if (!keep[k]) {
      k++;
      continue;
    }
    let end = k;
    while (end < ops.length && keep[end]) end++;
    const hunk = ops.slice(k, end);
    const aLines = hunk.filter((op) => op.kind !== '+').length;
    const bLines = hunk.filter((op) => op.kind !== '-').length;
    const aStart = hunk[0].a + (aLines > 0 ? 1 : 0);
    const bStart = hunk[0].b + (bLines > 0 ? 1 : 0);
    out.push(`@@ -${aStart},${aLines} +${bStart},${bLines} @@`, ...hunk.map(paint));
    k = end;
  }
  return out;
}
