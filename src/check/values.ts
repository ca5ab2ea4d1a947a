// Values written the way JavaScript math libraries document them (`// returns ~2.363`,
// `<Float64Array>[ 1.0, ..., 3.0 ]`, `{ 'a': true, ... }`, `<number> || null`): parse such a text into a
// pattern, match a value against it, and write a value back in the same notation. The rules are the ones
// stdlib's doctest conventions define: numbers within a few ulps, `~` rounds to the written digits, `<T>`
// checks a type or class, `...` is a wildcard or a continuation, `A || B` accepts either.

import { ellipsisMatch } from './checker.js';

export type Pattern =
  | { kind: 'any' } // `...`
  | { kind: 'number'; value: number; text: string; approx?: { decimals?: number; digits?: number } }
  | { kind: 'string'; value: string }
  | { kind: 'literal'; value: boolean | null | undefined }
  | { kind: 'array'; items: Pattern[] } // `...` items are wildcards
  | { kind: 'object'; entries: [string, Pattern][]; open: boolean }
  | { kind: 'type'; name: string; array: boolean; then?: Pattern }
  | { kind: 'either'; options: Pattern[] };

export class PatternError extends Error {}

/** Numbers equal within this many epsilons of the larger magnitude (stdlib's doctest rule). */
const MAX_EPSILONS = 10;

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;

/** Parse an annotation value; throws PatternError on text it cannot read. */
export function parsePattern(text: string): Pattern {
  const parser = new Parser(text);
  const pattern = parser.either();
  parser.skipSpace();
  if (!parser.done()) throw new PatternError(`cannot read '${text.slice(parser.pos)}'`);
  return pattern;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private peek(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  private expect(s: string): void {
    this.skipSpace();
    if (!this.peek(s)) throw new PatternError(`expected '${s}' at '${this.text.slice(this.pos, this.pos + 20)}'`);
    this.pos += s.length;
  }

  either(): Pattern {
    const options = [this.one()];
    this.skipSpace();
    while (this.peek('||')) {
      this.pos += 2;
      options.push(this.one());
      this.skipSpace();
    }
    return options.length === 1 ? options[0] : { kind: 'either', options };
  }

  one(): Pattern {
    this.skipSpace();
    const rest = this.text.slice(this.pos);
    if (rest.startsWith('...')) {
      this.pos += 3;
      return { kind: 'any' };
    }
    const c = rest[0];
    if (c === '[') return this.array();
    if (c === '{') return this.object();
    if (c === "'" || c === '"') return { kind: 'string', value: this.string() };
    if (c === '<') return this.type();
    if (c === '~') {
      this.pos++;
      const n = this.number();
      if (n.kind !== 'number') throw new PatternError('expected a number after ~');
      const body = n.text.replace(/^[+-]/, '');
      const e = body.search(/[eE]/);
      const dot = body.indexOf('.');
      n.approx = e >= 0 ? { digits: dot >= 0 && dot < e ? e - dot : 1 } : { decimals: dot >= 0 ? body.length - dot - 1 : 0 };
      return n;
    }
    for (const [word, value] of [['true', true], ['false', false], ['null', null], ['undefined', undefined]] as const) {
      if (rest.startsWith(word) && !/[\w$]/.test(rest[word.length] ?? '')) {
        this.pos += word.length;
        return { kind: 'literal', value };
      }
    }
    return this.number();
  }

  number(): Pattern & { kind: 'number' } {
    const rest = this.text.slice(this.pos);
    const special = /^([+-]?)(Infinity|NaN)(?![\w$])/.exec(rest);
    if (special) {
      this.pos += special[0].length;
      const value = special[2] === 'NaN' ? NaN : special[1] === '-' ? -Infinity : Infinity;
      return { kind: 'number', value, text: special[0] };
    }
    const m = NUMBER.exec(rest);
    if (!m) throw new PatternError(`cannot read '${rest.slice(0, 20)}'`);
    this.pos += m[0].length;
    return { kind: 'number', value: Number(m[0]), text: m[0] };
  }

  string(): string {
    const quote = this.text[this.pos++];
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++];
      if (c === quote) return out;
      if (c === '\\' && this.pos < this.text.length) {
        const e = this.text[this.pos++];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
      } else out += c;
    }
    throw new PatternError('unterminated string');
  }

  array(): Pattern {
    this.expect('[');
    const items: Pattern[] = [];
    this.skipSpace();
    if (this.peek(']')) {
      this.pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.either());
      this.skipSpace();
      if (this.peek(',')) {
        this.pos++;
        this.skipSpace();
        if (this.peek(']')) { // a trailing comma
          this.pos++;
          return { kind: 'array', items };
        }
        continue;
      }
      this.expect(']');
      return { kind: 'array', items };
    }
  }

  object(): Pattern {
    this.expect('{');
    const entries: [string, Pattern][] = [];
    let open = false;
    this.skipSpace();
    while (!this.peek('}')) {
      if (this.peek('...')) {
        this.pos += 3;
        open = true;
      } else {
        let key: string;
        if (this.peek("'") || this.peek('"')) key = this.string();
        else {
          const m = /^[\w$]+/.exec(this.text.slice(this.pos));
          if (!m) throw new PatternError(`cannot read a key at '${this.text.slice(this.pos, this.pos + 20)}'`);
          key = m[0];
          this.pos += key.length;
        }
        this.expect(':');
        entries.push([key, this.either()]);
      }
      this.skipSpace();
      if (this.peek(',')) {
        this.pos++;
        this.skipSpace();
      } else if (!this.peek('}')) throw new PatternError(`expected ',' or '}' at '${this.text.slice(this.pos, this.pos + 20)}'`);
    }
    this.pos++;
    return { kind: 'object', entries, open };
  }

  type(): Pattern {
    const m = /^<([\w$.]+)(\[\])?>/.exec(this.text.slice(this.pos));
    if (!m) throw new PatternError(`cannot read a type at '${this.text.slice(this.pos, this.pos + 20)}'`);
    this.pos += m[0].length;
    const pattern: Pattern & { kind: 'type' } = { kind: 'type', name: m[1], array: m[2] !== undefined };
    if (this.peek('[') || this.peek('{')) pattern.then = this.one();
    return pattern;
  }
}

// ---- matching ----

/** stdlib's float64 epsilon difference: |a − b| in units of ε times the larger magnitude. */
function epsilons(a: number, b: number): number {
  if (a === b) return 0;
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return Math.abs(a - b) / (scale * Number.EPSILON);
}

/** x rounded to `n` decimals, as stdlib's roundn does it (scale, round, unscale). */
function roundDecimals(x: number, n: number): number {
  if (!Number.isFinite(x)) return x;
  const s = 10 ** n;
  const y = Math.round(Math.abs(x) * s) / s;
  return x < 0 ? -y : y;
}

export function numberMatches(p: Pattern & { kind: 'number' }, x: number): boolean {
  if (Number.isNaN(p.value)) return Number.isNaN(x);
  if (Number.isNaN(x)) return false;
  if (!Number.isFinite(p.value) || !Number.isFinite(x)) return p.value === x;
  // a written signed zero is a fact about the sign
  if (p.value === 0 && !p.approx) return x === 0 && Object.is(p.value, x);
  if (p.approx?.digits !== undefined) return epsilons(Number(x.toPrecision(p.approx.digits)), p.value) < MAX_EPSILONS;
  if (p.approx?.decimals !== undefined) {
    const d = p.approx.decimals;
    return epsilons(roundDecimals(x, d), roundDecimals(p.value, d)) < MAX_EPSILONS;
  }
  return epsilons(x, p.value) < MAX_EPSILONS;
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  return Array.isArray(x) || ArrayBuffer.isView(x) && typeof (x as { length?: unknown }).length === 'number';
}

/** The elements a value offers to an element pattern: an array's items, a complex number's parts. */
function elementsOf(x: unknown): ArrayLike<unknown> | undefined {
  if (isArrayLike(x)) return x;
  if (x !== null && typeof x === 'object') {
    const o = x as { re?: unknown; im?: unknown; length?: unknown; get?: unknown };
    if (typeof o.re === 'number' && typeof o.im === 'number') return [o.re, o.im];
    // stdlib's own array classes (Complex128Array, BooleanArray…) and other indexable collections
    if (typeof o.length === 'number' && typeof o.get === 'function') {
      const get = o.get as (i: number) => unknown;
      return Array.from({ length: o.length }, (_, i) => get.call(x, i));
    }
  }
  return undefined;
}

function arrayMatches(items: Pattern[], x: ArrayLike<unknown>): boolean {
  const wild = items.findIndex((p) => p.kind === 'any');
  if (wild < 0) return items.length === x.length && items.every((p, i) => matches(p, x[i]));
  // `[...]`: non-empty; `[ 1, 2, ... ]`: a prefix; `[ 1, ..., 10 ]`: head and tail
  const head = items.slice(0, wild);
  const tail = items.slice(wild + 1).filter((p) => p.kind !== 'any');
  if (x.length < Math.max(1, head.length + tail.length)) return false;
  return head.every((p, i) => matches(p, x[i])) && tail.every((p, i) => matches(p, x[x.length - tail.length + i]));
}

/** The constructor names along `x`'s prototype chain, nearest first. */
export function className(x: object): string[] {
  const names: string[] = [];
  for (let proto = Object.getPrototypeOf(x); proto; proto = Object.getPrototypeOf(proto)) {
    const name = (proto.constructor as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string' && name) names.push(name);
  }
  return names;
}

function typeMatches(name: string, x: unknown): boolean {
  const lower = name.toLowerCase();
  switch (lower) {
    case 'number': case 'string': case 'boolean': case 'bigint': case 'symbol':
      return typeof x === lower || (name !== lower && x !== null && typeof x === 'object' && className(x).includes(name));
    case 'null':
      return x === null;
    case 'undefined':
      return x === undefined;
    case 'function':
      return typeof x === 'function';
    case 'object':
      if (name === 'object') return x !== null && typeof x === 'object';
      break;
    default:
      break;
  }
  if (x === null || x === undefined) return false;
  if (typeof x === 'function' && name === 'Function') return true;
  if (typeof x !== 'object' && typeof x !== 'function') return false;
  const names = className(x as object);
  if (names.includes(name)) return true;
  // `<ndarray>` and friends: a class named differently from its documentation name but carrying a tag
  const tag = (x as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  return typeof tag === 'string' && tag === name;
}

export function matches(p: Pattern, x: unknown): boolean {
  switch (p.kind) {
    case 'any':
      return true;
    case 'either':
      return p.options.some((o) => matches(o, x));
    case 'number':
      return typeof x === 'number' && numberMatches(p, x);
    case 'string':
      return typeof x === 'string' && stringMatches(p.value, x);
    case 'literal':
      return Object.is(x, p.value);
    case 'array': {
      const items = isArrayLike(x) ? x : undefined;
      return items !== undefined && arrayMatches(p.items, items);
    }
    case 'object': {
      if (x === null || typeof x !== 'object') return false;
      const o = x as Record<string, unknown>;
      if (!p.open && Object.keys(o).length !== p.entries.length) return false;
      return p.entries.every(([k, v]) => k in o && matches(v, o[k]));
    }
    case 'type': {
      if (p.array) {
        const items = elementsOf(x);
        if (!items || !Array.isArray(x) && !ArrayBuffer.isView(x)) return false;
        if (!Array.from(items).every((item) => typeMatches(p.name, item))) return false;
      } else if (!typeMatches(p.name, x)) return false;
      if (!p.then) return true;
      if (p.then.kind === 'array') {
        const items = elementsOf(x);
        return items !== undefined && arrayMatches(p.then.items, items);
      }
      return matches(p.then, x);
    }
  }
}

/** `'...'` is any non-empty string; `...` inside a string matches any text. */
function stringMatches(want: string, got: string): boolean {
  return want === '...' ? got.length > 0 : ellipsisMatch(want, got);
}

// ---- writing ----

function writeNumber(x: number, like?: Pattern): string {
  const p = like && like.kind === 'number' ? like : undefined;
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (p?.approx?.digits !== undefined) return '~' + x.toExponential(p.approx.digits - 1).replace('e+', 'e+');
  if (p?.approx?.decimals !== undefined) return '~' + x.toFixed(p.approx.decimals);
  const decimal = !p || /[.eE]/.test(p.text) || p.value === 0;
  if (Object.is(x, -0)) return decimal ? '-0.0' : '-0';
  const s = String(x);
  return decimal && Number.isInteger(x) && !/e/.test(s) ? `${s}.0` : s;
}

/** A string as an annotation writes it: single quotes, escapes. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\t/g, '\\t')}'`;
}

/** The pattern among alternatives that fits `x` best to lend its notation (`~` digits, decimal points). */
function closest(like: Pattern | undefined, x: unknown): Pattern | undefined {
  if (!like || like.kind !== 'either') return like;
  return like.options.find((o) => o.kind === typeName(x)) ?? like.options[0];
}

function typeName(x: unknown): string {
  if (typeof x === 'number') return 'number';
  if (typeof x === 'string') return 'string';
  if (isArrayLike(x)) return 'array';
  return 'object';
}

function itemLike(like: Pattern | undefined, i: number, n: number): Pattern | undefined {
  if (!like || like.kind !== 'array' || like.items.length === 0) return undefined;
  const wild = like.items.findIndex((p) => p.kind === 'any');
  const fixed = like.items.filter((p) => p.kind !== 'any');
  if (wild < 0) return like.items[Math.min(i, like.items.length - 1)];
  if (i < wild) return like.items[i];
  const tail = like.items.slice(wild + 1);
  const k = i - (n - tail.length);
  return k >= 0 ? tail[k] : fixed[fixed.length - 1];
}

function writeItems(items: ArrayLike<unknown>, like: Pattern | undefined, depth: number): string {
  if (items.length === 0) return '[]';
  const wild = like && like.kind === 'array' ? like.items.findIndex((p) => p.kind === 'any') : -1;
  if (like && like.kind === 'array' && wild >= 0) {
    // the annotation's shape is kept: as many leading and trailing items around its `...`
    const head = like.items.slice(0, wild);
    const tail = like.items.slice(wild + 1).filter((p) => p.kind !== 'any');
    if (items.length >= Math.max(1, head.length + tail.length)) {
      const parts = head.map((p, i) => writeValue(items[i], p, depth + 1));
      parts.push('...');
      tail.forEach((p, j) => parts.push(writeValue(items[items.length - tail.length + j], p, depth + 1)));
      return `[ ${parts.join(', ')} ]`;
    }
  }
  const parts = Array.from(items, (item, i) => writeValue(item, itemLike(like, i, items.length), depth + 1));
  return `[ ${parts.join(', ')} ]`;
}

/**
 * `x` written as an annotation would write it, taking the notation of `like` (the annotation it failed)
 * where it fits: `~` keeps its digits, `6.0` keeps its decimal point, typed arrays keep their `<T>`.
 */
export function writeValue(x: unknown, like?: Pattern, depth = 0): string {
  like = closest(like, x);
  if (like && like.kind === 'type' && !like.then && typeMatches(like.name, x) && !like.array) return `<${like.name}>`;
  if (typeof x === 'number') return writeNumber(x, like);
  if (typeof x === 'string') return quote(x);
  if (typeof x === 'bigint') return `${x}n`;
  if (x === null || x === undefined || typeof x === 'boolean') return String(x);
  if (typeof x === 'function') return '<Function>';
  if (typeof x === 'symbol') return String(x);
  if (depth > 4) return '...';
  const inner = like && like.kind === 'type' ? like.then : like;
  if (Array.isArray(x)) return writeItems(x, inner, depth);
  const names = className(x as object);
  if (ArrayBuffer.isView(x) && isArrayLike(x)) return `<${names[0]}>${writeItems(x, inner, depth)}`;
  const elements = elementsOf(x);
  if (elements && like && like.kind === 'type' && like.then) return `<${names[0]}>${writeItems(elements, inner, depth)}`;
  if (names[0] === 'Object' || names.length === 0) {
    const o = x as Record<string, unknown>;
    const entries = Object.keys(o).map((k) => {
      const sub = inner && inner.kind === 'object' ? inner.entries.find(([key]) => key === k)?.[1] : undefined;
      return `${quote(k)}: ${writeValue(o[k], sub, depth + 1)}`;
    });
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
  }
  return `<${names[0]}>`;
}
