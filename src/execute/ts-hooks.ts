// Module customization hooks (node:module register) that let examples and preludes import TypeScript
// without a build step: `.ts/.mts/.tsx` sources are type-stripped by sucrase (line numbers kept), and the
// TypeScript habit of writing `./util.js` for `./util.ts` resolves.
import { readFile } from 'node:fs/promises';
import { transform } from 'sucrase';

const TS_SOURCE = /\.(ts|mts|tsx)$/;
const TS_CANDIDATES = ['.ts', '.tsx', '.mts'];

interface ResolveContext {
  parentURL?: string;
  conditions?: string[];
}
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<{ url: string; format?: string | null }>;
type NextLoad = (url: string, context?: unknown) => Promise<{ format: string; source?: string | ArrayBuffer | Uint8Array | null }>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
    if (!relative || (err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    const stem = specifier.replace(/\.(js|mjs|jsx)$/, '');
    for (const ext of TS_CANDIDATES) {
      try {
        return await next(stem + ext, context);
      } catch {
        // try the next candidate
      }
    }
    throw err;
  }
}

export async function load(url: string, context: unknown, next: NextLoad) {
  if (!url.startsWith('file:') || !TS_SOURCE.test(url)) return next(url, context);
  const text = await readFile(new URL(url), 'utf8');
  const transforms: ('typescript' | 'jsx')[] = url.endsWith('.tsx') ? ['typescript', 'jsx'] : ['typescript'];
  const { code } = transform(text, { transforms, filePath: url, disableESTransforms: true });
  return { format: 'module', source: code, shortCircuit: true };
}
