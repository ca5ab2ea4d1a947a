// A block's namespace: a fresh object holding the prelude's exports, the tested file's own exports and an
// import helper bound to the file, `require` where the document's own code has it; and the reseeding of every
// random generator at block start.
import { importFrom, requireFor } from './modules.js';
import { IMPORT_HELPER } from './transform.js';

/**
 * What a notebook's kernel adds: its globals, modules it provides itself (by specifier, to `import` and
 * `require`), and whether it has `require` at all (Deno has none).
 */
export interface KernelNames {
  globals?: Record<string, unknown>;
  modules?: Record<string, () => unknown>;
  noRequire?: boolean;
}

export function createNamespace(prelude: Record<string, unknown>, ownExports: Record<string, unknown>, file: string, kernel: KernelNames = {}): Record<string, unknown> {
  const ns: Record<string, unknown> = Object.assign(Object.create(null), kernel.globals, prelude, ownExports);
  const modules = kernel.modules ?? {};
  const own = (specifier: string): boolean => Object.hasOwn(modules, specifier);
  const load = (specifier: string) => (own(specifier) ? Promise.resolve(modules[specifier]()) : importFrom(specifier, file));
  Object.defineProperty(ns, IMPORT_HELPER, { value: load, enumerable: false });
  const base = 'require' in ns || kernel.noRequire ? undefined : requireFor(file);
  const require = base && kernel.modules ? Object.assign((id: string) => (own(id) ? modules[id]() : base(id)), base) : base;
  if (require) Object.defineProperty(ns, 'require', { value: require, enumerable: false, writable: true, configurable: true });
  return ns;
}

/** sfc32: small, fast, good enough for reproducible examples; seeded from one integer. */
export function seededRandom(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162 ^ (seed >>> 3);
  let d = seed | 0;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Reset Math.random and the engine's generator (when the prelude has one) to `seed`. */
export function reseed(seed: number, prelude: Record<string, unknown>): void {
  Math.random = seededRandom(seed);
  const engineSeed = prelude.seedRandom;
  if (typeof engineSeed === 'function') (engineSeed as (s: number) => void)(seed);
}
