// Which files are sources, and of what kind, by extension.
import type { SourceKind } from '../model.js';

const KIND_BY_EXTENSION: ReadonlyMap<string, SourceKind> = new Map<string, SourceKind>([
  ['.ts', 'script'], ['.mts', 'script'], ['.cts', 'script'], ['.tsx', 'script'],
  ['.js', 'script'], ['.mjs', 'script'], ['.cjs', 'script'],
  ['.md', 'markdown'], ['.markdown', 'markdown'],
  ['.ipynb', 'notebook'],
  ['.txt', 'text'], ['.rst', 'text'],
]);

export const SOURCE_EXTENSIONS: readonly string[] = [...KIND_BY_EXTENSION.keys()].map((ext) => ext.slice(1));

/** Lower-cased extension with its dot (`.ts`), or '' when the name has none. */
export function extensionOf(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? path.slice(dot).toLowerCase() : '';
}

/** Kind of a source file, or undefined for an unsupported extension. */
export function sourceKind(path: string): SourceKind | undefined {
  return KIND_BY_EXTENSION.get(extensionOf(path));
}

/** Type declarations: no runnable code of their own; their examples run against the package they declare. */
export function isDeclarationFile(path: string): boolean {
  return /\.d\.[mc]?ts$/i.test(path);
}
