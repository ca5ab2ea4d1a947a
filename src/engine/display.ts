// Sage's RDF/CDF display: floats always carry a decimal point (`1.0`), otherwise JavaScript's shortest
// round-trip digits; matrices are one bracketed row per line with every entry right-aligned to the
// widest entry of the whole matrix.

/**
 * One float the way Sage prints an RDF element: integral values get `.0`, everything else (including
 * `1e-20`, `NaN`, `Infinity`) is JavaScript's `String(x)`. Negative zero keeps its sign.
 *
 *     sage: [formatFloat(1), formatFloat(-2.5), formatFloat(-0), formatFloat(1e-20), formatFloat(1e21)]
 *     [ '1.0', '-2.5', '-0.0', '1e-20', '1e+21' ]
 */
export function formatFloat(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  // Integral values print without a point unless JS switched to exponent notation (1e+21).
  return Number.isInteger(x) && !s.includes('e') ? s + '.0' : s;
}

/**
 * Rows of strings, right-aligned to the widest entry overall; `[]` when there is nothing to show.
 *
 *     sage: formatMatrix(2, 2, [1, -2.5, 3, 4])
 *     '[ 1.0 -2.5]\n[ 3.0  4.0]'
 */
export function formatMatrix(rows: number, cols: number, data: ArrayLike<number>): string {
  if (rows === 0 || cols === 0) return '[]';
  const cells = Array.from(data, formatFloat);
  let width = 0;
  for (const c of cells) if (c.length > width) width = c.length;
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    lines.push('[' + cells.slice(i * cols, (i + 1) * cols).map((c) => c.padStart(width)).join(' ') + ']');
  }
  return lines.join('\n');
}

/**
 * A parenthesised, comma-separated list.
 *
 *     sage: formatVector([1, 2.5])
 *     '(1.0, 2.5)'
 */
export function formatVector(data: ArrayLike<number>): string {
  return '(' + Array.from(data, formatFloat).join(', ') + ')';
}

/**
 * Sage's CDF style: `1.0 + 2.0*I`, `1.0 - 2.0*I`, `2.0*I` when the real part is zero, `1.0` when the
 * imaginary part is zero.
 *
 *     sage: [formatComplex(1, -2), formatComplex(0, -2), formatComplex(3, 0)]
 *     [ '1.0 - 2.0*I', '-2.0*I', '3.0' ]
 */
export function formatComplex(re: number, im: number): string {
  if (im === 0) return formatFloat(re);
  if (re === 0) return formatFloat(im) + '*I';
  // A NaN imaginary part has no sign to pull out.
  if (im < 0) return `${formatFloat(re)} - ${formatFloat(-im)}*I`;
  return `${formatFloat(re)} + ${formatFloat(im)}*I`;
}
