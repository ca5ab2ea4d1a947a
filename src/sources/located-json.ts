// JSON with the line of every value: a notebook report names the line of the `.ipynb` file where a cell's
// source line is stored (so a GitHub annotation lands on the cell), and a malformed file is reported at the
// line and column of the fault. JSON.parse gives neither, hence this small reader. Strings without escapes
// are sliced; strings with escapes go through JSON.parse, which also validates them.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonParse =
  | { ok: true; value: JsonValue; lines: JsonLocations }
  | { ok: false; message: string; line: number; column: number };

/** 1-based line where each member of each array or object starts (by index or key). */
export class JsonLocations {
  private readonly members = new WeakMap<object, Map<string | number, number>>();
  /** Where each member's value starts and ends in the text; kept only when asked for (--fix splices values). */
  private readonly spans?: WeakMap<object, Map<string | number, [number, number]>>;

  constructor(keepSpans = false) {
    if (keepSpans) this.spans = new WeakMap();
  }

  /** Line of `container[key]`, or 0 when unknown. */
  of(container: object, key: string | number): number {
    return this.members.get(container)?.get(key) ?? 0;
  }

  set(container: object, key: string | number, line: number): void {
    let map = this.members.get(container);
    if (!map) this.members.set(container, (map = new Map()));
    map.set(key, line);
  }

  /** `[start, end)` of `container[key]`'s value in the text, when spans were kept. */
  span(container: object, key: string | number): [number, number] | undefined {
    return this.spans?.get(container)?.get(key);
  }

  setSpan(container: object, key: string | number, start: number, end: number): void {
    if (!this.spans) return;
    let map = this.spans.get(container);
    if (!map) this.spans.set(container, (map = new Map()));
    map.set(key, [start, end]);
  }
}

class JsonError extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const CONTROL = /[\u0000-\u001f]/;
const MAX_DEPTH = 500;

export function parseLocatedJson(text: string, opts: { spans?: boolean } = {}): JsonParse {
  const lines = new JsonLocations(opts.spans);
  const spans = opts.spans === true;
  let i = 0;
  let line = 1;
  let depth = 0;
  let nextNewline = text.indexOf('\n');

  const skip = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13) return;
      i++;
    }
  };
  const describe = (at: number): string => (at >= text.length ? 'end of file' : `'${text[at]}'`);
  const expect = (ch: string, what: string): void => {
    if (text[i] !== ch) throw new JsonError(`expected ${what}, found ${describe(i)}`, i);
    i++;
  };

  const string = (): string => {
    const start = i;
    i++; // the opening quote
    let end = text.indexOf('"', i);
    let escaped = false;
    for (;;) {
      // the next newline, cached: positions only grow, so one-line (minified) files stay linear
      if (nextNewline >= 0 && nextNewline < i) nextNewline = text.indexOf('\n', i);
      const newline = nextNewline;
      if (newline >= 0 && (end < 0 || newline < end)) throw new JsonError('line break inside a string', newline);
      if (end < 0) throw new JsonError('unterminated string', start);
      let slashes = 0;
      for (let k = end - 1; k >= i && text.charCodeAt(k) === 92; k--) slashes++;
      if (slashes % 2 === 0) break;
      escaped = true;
      end = text.indexOf('"', end + 1);
    }
    const raw = text.slice(i, end);
    if (CONTROL.test(raw)) throw new JsonError('control character inside a string', i + raw.search(CONTROL));
    i = end + 1;
    if (!escaped && !raw.includes('\\')) return raw;
    try {
      return JSON.parse(text.slice(start, end + 1)) as string;
    } catch {
      throw new JsonError('bad escape in string', start);
    }
  };

  const value = (): JsonValue => {
    skip();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (++depth > MAX_DEPTH) throw new JsonError('nested too deeply', i);
      const result = c === '{' ? object() : array();
      depth--;
      return result;
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0] !== '' && m[0] !== '-') {
      i += m[0].length;
      return Number(m[0]);
    }
    throw new JsonError(`unexpected ${describe(i)}`, i);
  };

  const object = (): { [key: string]: JsonValue } => {
    const result: { [key: string]: JsonValue } = {};
    i++;
    skip();
    if (text[i] === '}') return i++, result;
    for (;;) {
      skip();
      if (text[i] !== '"') throw new JsonError(`expected a property name, found ${describe(i)}`, i);
      const key = string();
      skip();
      expect(':', "':'");
      skip();
      lines.set(result, key, line);
      const start = i;
      // a member, whatever its name: `result[key] = …` would make `"__proto__"` the object's prototype
      // (its members would then read as the object's own: a cell's tags from `{"__proto__": {"tags": …}}`)
      const member = value();
      if (key === '__proto__') Object.defineProperty(result, key, { value: member, writable: true, enumerable: true, configurable: true });
      else result[key] = member;
      if (spans) lines.setSpan(result, key, start, i);
      skip();
      if (text[i] === ',') { i++; continue; }
      expect('}', "',' or '}'");
      return result;
    }
  };

  const array = (): JsonValue[] => {
    const result: JsonValue[] = [];
    i++;
    skip();
    if (text[i] === ']') return i++, result;
    for (;;) {
      skip();
      lines.set(result, result.length, line);
      const start = i;
      result.push(value());
      if (spans) lines.setSpan(result, result.length - 1, start, i);
      skip();
      if (text[i] === ',') { i++; continue; }
      expect(']', "',' or ']'");
      return result;
    }
  };

  try {
    const result = value();
    skip();
    if (i < text.length) throw new JsonError(`unexpected ${describe(i)} after the end of the document`, i);
    return { ok: true, value: result, lines };
  } catch (error) {
    if (!(error instanceof JsonError)) throw error;
    const at = Math.min(error.at, text.length);
    const before = text.lastIndexOf('\n', at - 1);
    let lineNo = 1;
    for (let k = text.indexOf('\n'); k >= 0 && k < at; k = text.indexOf('\n', k + 1)) lineNo++;
    return { ok: false, message: error.message, line: lineNo, column: at - before };
  }
}
