// Shared by the main thread (modules.ts) and the resolve hook on Node's loader thread (ts-hooks.ts): how an
// example's import names its document, and the package a document belongs to.
import { readFileSync } from 'node:fs';
import path from 'node:path';

// `import()` always resolves from the module that calls it (mtest's own), so the example's document travels
// inside the specifier and the resolve hook hands it to Node's resolver as the importing module.
const PREFIX = 'mtest-document:';

/** `specifier` as imported by the file at `documentUrl`. */
export function fromDocument(specifier: string, documentUrl: string): string {
  return `${PREFIX}${encodeURIComponent(documentUrl)}#${specifier}`;
}

/** The document and the specifier of a wrapped specifier; undefined for any other. */
export function unwrapDocument(specifier: string): { parentURL: string; specifier: string } | undefined {
  if (!specifier.startsWith(PREFIX)) return undefined;
  const hash = specifier.indexOf('#', PREFIX.length);
  return { parentURL: decodeURIComponent(specifier.slice(PREFIX.length, hash)), specifier: specifier.slice(hash + 1) };
}

export interface OwnPackage {
  root: string;
  name?: string;
  type?: string;
  main?: string;
}

const packages = new Map<string, OwnPackage | undefined>();

/** The package.json nearest above `dir` (a directory), read once per directory. */
export function nearestPackage(dir: string): OwnPackage | undefined {
  if (packages.has(dir)) return packages.get(dir);
  let found: OwnPackage | undefined;
  try {
    const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    found = { root: dir, name: text(json?.name), type: text(json?.type), main: text(json?.main) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const parent = path.dirname(dir);
    // a package.json that is there but unreadable still ends the walk, as it does for Node
    found = code === 'ENOENT' || code === 'ENOTDIR' ? (parent === dir ? undefined : nearestPackage(parent)) : { root: dir };
  }
  packages.set(dir, found);
  return found;
}

/**
 * A document importing its own package by name (`my-lib`, `my-lib/sub`) where Node cannot (a package
 * without `exports` cannot name itself): the path inside the package, as its users would get it.
 */
export function ownPackagePath(specifier: string, documentDir: string): string | undefined {
  const own = nearestPackage(documentDir);
  if (!own?.name || (specifier !== own.name && !specifier.startsWith(`${own.name}/`))) return undefined;
  const rest = specifier.slice(own.name.length + 1);
  return path.join(own.root, rest || own.main || 'index.js');
}
