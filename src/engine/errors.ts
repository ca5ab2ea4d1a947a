// Argument checks shared by the engine's constructors and methods. They run in TypeScript, before any
// native call, and produce errors that name the operation and the shapes involved.

export function shape(rows: number, cols: number): string {
  return `${rows}x${cols}`;
}

/** A dimension argument: a non-negative safe integer (TypeError for non-numbers). */
export function checkDim(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${op}: ${name} must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${op}: ${name} must be a non-negative integer, got ${v}`);
  if (v > 2147483647) throw new RangeError(`${op}: ${name} ${v} is too large`);
  return v;
}

/** A numeric input value: a number that is not NaN. */
export function checkValue(op: string, v: unknown, where: string): number {
  if (typeof v !== 'number') throw new TypeError(`${op}: ${where} must be a number, got ${describe(v)}`);
  if (Number.isNaN(v)) throw new RangeError(`${op}: ${where} is NaN`);
  return v;
}

/**
 * checkValue for bulk copies: the message (which names the entry) is only built when the value is bad,
 * so a million-entry matrix does not build a million strings.
 */
export function checkEntry(op: string, v: unknown, i: number, j?: number): number {
  if (typeof v === 'number' && v === v) return v;
  return checkValue(op, v, j === undefined ? `entry ${i}` : `entry (${i}, ${j})`);
}

/** An index in [0, size). */
export function checkIndex(op: string, name: string, v: unknown, size: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${describe(v)}`);
  if (v < 0 || v >= size) throw new RangeError(`${op}: ${name} ${v} is out of range [0, ${size})`);
  return v;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}
