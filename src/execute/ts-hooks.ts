// Module customization hooks (node:module register), running on Node's loader thread, that make examples
// import as their document would:
// - an example's import is resolved by Node's own resolver as if the document itself imported it (the
//   specifier arrives wrapped with the document's URL, see resolution.ts): built-ins, the node_modules
//   folders above the document, ESM-only and CommonJS packages, `exports` conditions, and Node's own
//   "Cannot find package 'x' imported from <document>";
// - `.ts/.mts/.tsx` sources are type-stripped by sucrase (line numbers kept);
// - what TypeScript's bundler resolution allows and Node does not: `./util.js` for `./util.ts`, extensionless
//   `./util`, a directory for its index file, and tsconfig `paths`/`baseUrl` (the tsconfig nearest to the
//   importing file).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPathsMatcher, getTsconfig } from 'get-tsconfig';
import { transform } from 'sucrase';
import { ownPackagePath, unwrapDocument } from './resolution.js';

const TS_SOURCE = /\.(ts|mts|tsx)$/;
const SCRIPT_EXTENSIONS = ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs'];
const INDEX_FILES = SCRIPT_EXTENSIONS.map((ext) => `/index${ext}`);

interface ResolveContext {
  parentURL?: string;
  conditions?: string[];
}
type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<Resolved>;
type NextLoad = (url: string, context?: unknown) => Promise<{ format: string; source?: string | ArrayBuffer | Uint8Array | null }>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<Resolved> {
  const wrapped = unwrapDocument(specifier);
  if (wrapped) return resolveLikeTypeScript(wrapped.specifier, { ...context, parentURL: wrapped.parentURL }, next);
  return resolveLikeTypeScript(specifier, context, next);
}

async function resolveLikeTypeScript(specifier: string, context: ResolveContext, next: NextResolve): Promise<Resolved> {
  try {
    return await next(specifier, context);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_UNSUPPORTED_DIR_IMPORT') throw err;
    const relative = specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
    const found = relative ? await firstOf(scriptCandidates(specifier), context, next) : await bareFallback(specifier, context, next);
    if (found) return found;
    throw err;
  }
}

/** What TypeScript would try for a relative specifier that Node did not find. */
function scriptCandidates(specifier: string): string[] {
  const stem = specifier.replace(/\.(js|mjs|cjs|jsx)$/, '');
  if (stem !== specifier) return ['.ts', '.tsx', '.mts', '.cts'].map((ext) => stem + ext);
  const base = specifier.replace(/\/$/, '');
  return [...SCRIPT_EXTENSIONS.map((ext) => base + ext), ...INDEX_FILES.map((index) => base + index)];
}

async function firstOf(candidates: string[], context: ResolveContext, next: NextResolve): Promise<Resolved | undefined> {
  for (const candidate of candidates) {
    try {
      return await next(candidate, context);
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

/** A bare specifier Node did not find: tsconfig `paths`, then the document's own package by name. */
async function bareFallback(specifier: string, context: ResolveContext, next: NextResolve): Promise<Resolved | undefined> {
  if (!context.parentURL?.startsWith('file:')) return undefined;
  const dir = path.dirname(fileURLToPath(context.parentURL));
  const mapped = await viaTsconfigPaths(specifier, dir, context, next);
  if (mapped) return mapped;
  const own = ownPackagePath(specifier, dir);
  if (own === undefined) return undefined;
  const url = pathToFileURL(own).href;
  return firstOf([url, ...scriptCandidates(url)], context, next);
}

const pathMatchers = new Map<string, ((specifier: string) => string[]) | null>();

/** A bare specifier mapped by the `paths`/`baseUrl` of the tsconfig nearest to the importing file. */
async function viaTsconfigPaths(specifier: string, dir: string, context: ResolveContext, next: NextResolve): Promise<Resolved | undefined> {
  let matcher = pathMatchers.get(dir);
  if (matcher === undefined) {
    let found: ReturnType<typeof getTsconfig> = null;
    try {
      found = getTsconfig(dir);
    } catch {
      found = null; // an unreadable tsconfig maps nothing; Node's own error stands
    }
    matcher = found ? createPathsMatcher(found) : null;
    pathMatchers.set(dir, matcher);
  }
  if (!matcher) return undefined;
  for (const target of matcher(specifier)) {
    const url = pathToFileURL(target).href;
    const found = await firstOf([url, ...scriptCandidates(url)], context, next);
    if (found) return found;
  }
  return undefined;
}

export async function load(url: string, context: unknown, next: NextLoad) {
  if (!url.startsWith('file:') || !TS_SOURCE.test(url)) return next(url, context);
  const text = await readFile(new URL(url), 'utf8');
  const transforms: ('typescript' | 'jsx')[] = url.endsWith('.tsx') ? ['typescript', 'jsx'] : ['typescript'];
  const { code } = transform(text, { transforms, filePath: url, disableESTransforms: true });
  return { format: 'module', source: code, shortCircuit: true };
}
