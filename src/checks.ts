// Checks of decoded data. Whatever crosses a process or thread boundary (a worker's records, the --serial
// journal, a bisect replay's records, a thread's data and messages) is `unknown` until one of these says
// what it is: a check is a type guard built from the shape of the type it guards, so a field added to the
// type without its check does not compile, and nothing at a boundary is cast. The shapes of the nouns every
// stage shares (model.ts, events.ts) are here, once.
import type { FileSummary, Incident } from './events.js';
import type { Annotation, Block, Directives, Example, ExampleResult, InputError, SourceFile, Tolerance, TypeDiagnostic } from './model.js';

/** Says whether a decoded value is a T. */
export type Check<T> = (value: unknown) => value is T;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const text: Check<string> = (v): v is string => typeof v === 'string';
/** A non-negative integer (an index, a count, a descriptor). */
export const count: Check<number> = (v): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
/** Any number but NaN (JSON has no NaN; a time or a size). */
export const num: Check<number> = (v): v is number => typeof v === 'number' && !Number.isNaN(v);
export const flag: Check<boolean> = (v): v is boolean => typeof v === 'boolean';

export function oneOf<T extends string>(...values: T[]): Check<T> {
  const set = new Set<unknown>(values);
  return (v): v is T => set.has(v);
}

export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (v): v is T | undefined => v === undefined || check(v);
}

export function list<T>(check: Check<T>): Check<T[]> {
  return (v): v is T[] => {
    if (!Array.isArray(v)) return false;
    for (let k = 0; k < v.length; k++) if (!check(v[k])) return false;
    return true;
  };
}

/** A Map with text keys (a thread's data keeps Maps whole). */
export function mapOf<T>(check: Check<T>): Check<Map<string, T>> {
  return (v): v is Map<string, T> => {
    if (!(v instanceof Map)) return false;
    for (const [key, value] of v) if (typeof key !== 'string' || !check(value)) return false;
    return true;
  };
}

export const sharedMemory: Check<SharedArrayBuffer> = (v): v is SharedArrayBuffer => v instanceof SharedArrayBuffer;

/**
 * An object with these fields, each passing its check (an optional field's check accepts undefined). Every
 * field of T must be listed; fields T does not have are not looked at.
 */
export function shape<T extends object>(fields: { [K in keyof Required<T>]: Check<T[K]> }): Check<T> {
  const keys = Object.keys(fields);
  const checks: Check<unknown>[] = Object.values(fields);
  return (v): v is T => {
    if (!isObject(v)) return false;
    for (let k = 0; k < keys.length; k++) if (!checks[k](v[keys[k]])) return false;
    return true;
  };
}

/** Checks of T's union members, by the value of their `t` field: one table per boundary. */
export type Kinds<T extends { t: string }> = { [K in T['t']]: Check<Extract<T, { t: K }>> };

/** A value of one of `kinds`, checked by its `t` (an unknown `t` fails). */
export function tagged<T extends { t: string }>(kinds: Kinds<T>): Check<T> {
  const table: Readonly<Record<string, Check<T>>> = kinds;
  return (v): v is T => isObject(v) && typeof v.t === 'string' && Object.hasOwn(table, v.t) && table[v.t](v);
}

const texts = list(text);

export const isExampleResult = shape<ExampleResult>({
  index: count,
  status: oneOf('passed', 'failed', 'skipped', 'notrun'),
  outcome: oneOf('ok', 'mismatch', 'exception', 'error', 'timeout', 'crash', 'memory', 'skipped', 'notrun'),
  time: num,
  got: optional(text),
  note: optional(text),
  rssDelta: optional(num),
  warnings: optional(texts),
});

export const isIncident = shape<Incident>({
  kind: oneOf('timeout', 'file-timeout', 'crash', 'memory', 'interrupted'),
  index: optional(count),
  message: text,
  elapsed: optional(num),
  jsStack: optional(text),
  nativeStack: optional(text),
  processTree: optional(text),
  output: optional(text),
  signal: optional(text),
  exitCode: optional((v): v is number => Number.isSafeInteger(v)),
});

export const isFileSummary = shape<FileSummary>({ time: num, worker: count });

const isDirectives = shape<Directives>({
  notTested: optional(text),
  longTime: optional(flag),
  needs: texts,
  knownBug: optional(flag),
  knownBugOn: optional(oneOf('linux', 'macos')),
  random: optional(flag),
  raises: optional(flag),
  tolerance: optional(shape<Tolerance>({ kind: oneOf('tol', 'rel', 'abs'), epsilon: num })),
  timeout: optional(num),
  errors: texts,
});

const isAnnotation = shape<Annotation>({
  kind: oneOf('returns', 'prints', 'mutates', 'throws'),
  exemplary: flag,
  marker: text,
  value: text,
  target: optional(text),
  line: count,
  sameLine: optional(flag),
  multiline: optional(flag),
  endLine: optional(count),
});

const isExample = shape<Example>({
  source: text,
  want: text,
  line: count,
  indent: count,
  directives: isDirectives,
  cell: optional(count),
  cellLine: optional(count),
  typeErrors: optional(texts),
  typeDiagnostics: optional(list(shape<TypeDiagnostic>({ line: count, column: count, messages: texts }))),
  annotations: optional(list(isAnnotation)),
});

const isInputError = shape<InputError>({ file: text, line: count, message: text });

export const isSourceFile = shape<SourceFile>({
  path: text,
  kind: oneOf('script', 'markdown', 'text', 'notebook'),
  blocks: list(shape<Block>({ name: text, line: count, examples: list(isExample) })),
  tags: texts,
  errors: list(isInputError),
  language: optional(oneOf('typescript', 'javascript')),
  kernel: optional(oneOf('tslab', 'jslab', 'ijavascript', 'deno', 'typescript', 'javascript')),
  deno: optional(text),
  notices: optional(list(isInputError)),
});

/** The value of a JSON text when it passes `check`; undefined when it is not JSON or not a T. */
export function fromJson<T>(json: string, check: Check<T>): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return check(value) ? value : undefined;
}
