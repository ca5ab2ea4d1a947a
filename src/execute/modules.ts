// Loading the modules examples run against: the prelude, the tested file's own exports, and `import`
// statements inside examples (resolved as the tested file itself would resolve them, TypeScript included).
import { readFileSync } from 'node:fs';
import { createRequire, isBuiltin, register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PACKAGE_NAME } from '../package-root.js';
import { fromDocument, nearestPackage, ownPackagePath } from './resolution.js';

let hooksRegistered = false;

/** Node runs the hooks on a loader thread: start it only when an example imports something of its own. */
function ensureHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  register('./ts-hooks.js', import.meta.url);
}

/**
 * Import `specifier` as the file `fromFile` would: Node's built-ins directly; everything else through the
 * resolve hook, with `fromFile` as the importing module (see document-specifier.ts).
 */
export async function importFrom(specifier: string, fromFile: string): Promise<Record<string, unknown>> {
  if (isBuiltin(specifier) || specifier.startsWith('data:')) return (await import(specifier)) as Record<string, unknown>;
  ensureHooks();
  return (await import(fromDocument(specifier, pathToFileURL(path.resolve(fromFile)).href))) as Record<string, unknown>;
}

/**
 * `require` as the document's own code would have it: CommonJS sources (`.cjs`, `.cts`, and `.js`/`.ts`
 * outside a `"type": "module"` package), and documents that are no module at all (Markdown, text,
 * notebooks), as Node's REPL has it. ES module sources have none. A document may require its own package
 * by name, as its users would.
 */
export function requireFor(file: string): NodeRequire | undefined {
  const ext = path.extname(file).toLowerCase();
  const dir = path.dirname(path.resolve(file));
  if (ext === '.mjs' || ext === '.mts') return undefined;
  if (['.js', '.jsx', '.ts', '.tsx'].includes(ext) && nearestPackage(dir)?.type === 'module') return undefined;
  const nodeRequire = createRequire(path.resolve(file));
  const require = ((id: string) => {
    try {
      return nodeRequire(id);
    } catch (err) {
      const own = (err as { code?: string }).code === 'MODULE_NOT_FOUND' ? ownPackagePath(id, dir) : undefined;
      if (own === undefined) throw err;
      return nodeRequire(own);
    }
  }) as NodeRequire;
  return Object.assign(require, { resolve: nodeRequire.resolve, cache: nodeRequire.cache, main: nodeRequire.main, extensions: nodeRequire.extensions });
}

/** The tested source file's own exports (TypeScript included). */
export async function importOwnExports(file: string): Promise<Record<string, unknown>> {
  if (/\.(ts|mts|tsx|cts)$/.test(file)) ensureHooks();
  return (await import(pathToFileURL(path.resolve(file)).href)) as Record<string, unknown>;
}

const EXPORTED_DECLARATION = /\bexport\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\s*\*?|class|const|let|var|enum|namespace|interface|type)\s+([A-Za-z_$][\w$]*)/g;
const EXPORT_LIST = /\bexport\s+(?:type\s+)?\{([^}]*)\}/g;
const EXPORT_UNKNOWN = /\bexport\s*(?:\*|default\b|=)|\bmodule\.exports\b|\bexports\.[\w$]+\s*=/;

/**
 * Whether examples may see any of the module's exports. Importing a TypeScript module goes through the
 * loader thread (~2 ms a file), so a file whose examples name none of its exports is not imported.
 * Conservative: `export *`, `export default` and CommonJS exports always import.
 */
export function examplesUseExports(file: string, sources: string[]): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return true; // let the import report the problem
  }
  if (EXPORT_UNKNOWN.test(text)) return true;
  const names = new Set<string>();
  for (const m of text.matchAll(EXPORTED_DECLARATION)) names.add(m[1]);
  for (const m of text.matchAll(EXPORT_LIST)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/).pop()?.replace(/^type\s+/, '').trim();
      if (name) names.add(name);
    }
  }
  // One pass over the sources, looking each identifier up: the cost is the sources' length, not
  // exports × examples (and no regular expression is built per file: ~0.2 ms of compiling).
  return names.size > 0 && sources.some((source) => namesAny(source, names));
}

/** Whether an identifier-like word of `text` is in `names`. */
export function namesAny(text: string, names: Set<string>): boolean {
  const n = text.length;
  for (let i = 0; i < n; ) {
    if (!isIdentifierChar(text.charCodeAt(i)) && text.charCodeAt(i) < 128) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && (isIdentifierChar(text.charCodeAt(j)) || text.charCodeAt(j) >= 128)) j++;
    if (names.has(text.slice(i, j))) return true;
    i = j;
  }
  return false;
}

function isIdentifierChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
}

/** The built-in engine's module, as compiled next to this file. */
export const BUILTIN_ENGINE = fileURLToPath(new URL('../engine/index.js', import.meta.url));

/** `builtin`, `mtest-doctest/engine` (and the older `mtest/engine`) name the built-in engine in a prelude. */
export function isBuiltinEngine(module: string): boolean {
  return module === 'builtin' || module === `${PACKAGE_NAME}/engine` || module === 'mtest/engine';
}

const preludeCache = new Map<string, Promise<Record<string, unknown>>>();

/**
 * The merged exports of the prelude modules (cached per process: every block copies from it).
 * `builtin`/`mtest-doctest/engine` name the built-in engine; anything else resolves from the working directory.
 */
export function loadPrelude(modules: string[]): Promise<Record<string, unknown>> {
  const key = modules.join('\0');
  let p = preludeCache.get(key);
  if (!p) {
    p = (async () => {
      const merged: Record<string, unknown> = Object.create(null);
      for (const m of modules) {
        let exports: Record<string, unknown>;
        try {
          exports = isBuiltinEngine(m)
            ? ((await import(pathToFileURL(BUILTIN_ENGINE).href)) as Record<string, unknown>)
            : await importFrom(m, path.join(process.cwd(), 'mtest.config.json'));
        } catch (err) {
          const message = String((err as Error)?.message ?? err).split('\n')[0];
          throw new Error(`cannot load the prelude module ${m}: ${(err as Error)?.name ?? 'Error'}: ${message}`);
        }
        Object.assign(merged, exports);
      }
      return merged;
    })();
    preludeCache.set(key, p);
  }
  return p;
}
