// Which local modules a document's examples depend on, for --watch: the relative imports of its examples
// (resolved from the document, TypeScript's `.js` → `.ts` included), a source file's own module (its
// exports are in every block's namespace), and, transitively, the relative imports of those modules.
// Packages (bare specifiers) are not followed: they change with an install, not an edit.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SourceFile } from '../model.js';

/** `from '…'`, `import '…'`, `import('…')`, `require('…')`, `export … from '…'`: the specifier. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;

const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.json'];

/** The relative specifiers a text imports. */
export function relativeImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) if (m[2].startsWith('./') || m[2].startsWith('../') || m[2] === '.' || m[2] === '..') out.push(m[2]);
  return out;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The file a relative specifier names from `dir`, as Node and TypeScript's resolution would find it. */
export function resolveLocal(specifier: string, dir: string): string | undefined {
  const base = path.resolve(dir, specifier);
  const candidates = [base];
  // TypeScript sources import each other by their compiled names: `./a.js` is `./a.ts`.
  const compiled = /\.(m|c)?js$/.exec(base);
  if (compiled) candidates.push(base.slice(0, -compiled[0].length) + `.${compiled[1] ?? ''}ts`, base.slice(0, -compiled[0].length) + '.tsx');
  for (const ext of EXTENSIONS) candidates.push(base + ext);
  for (const ext of EXTENSIONS) candidates.push(path.join(base, `index${ext}`));
  return candidates.find(isFile);
}

export class DependencyGraph {
  /** Per module (absolute path): its relative imports, resolved; cached until the module changes. */
  private readonly modules = new Map<string, string[]>();

  /** Forget what was read of these files (they changed). */
  invalidate(files: Iterable<string>): void {
    for (const file of files) this.modules.delete(file);
  }

  private importsOf(module: string): string[] {
    let found = this.modules.get(module);
    if (!found) {
      let text = '';
      try {
        text = readFileSync(module, 'utf8');
      } catch {
        // gone or unreadable: it imports nothing now
      }
      const dir = path.dirname(module);
      found = relativeImports(text)
        .map((s) => resolveLocal(s, dir))
        .filter((f): f is string => f !== undefined);
      this.modules.set(module, found);
    }
    return found;
  }

  /** Every local module `file`'s examples depend on (absolute paths), the document itself excluded. */
  dependencies(file: SourceFile, cwd: string): Set<string> {
    const self = path.resolve(cwd, file.path);
    const dir = path.dirname(self);
    const seen = new Set<string>();
    const queue: string[] = [];
    const visit = (module: string | undefined): void => {
      if (module === undefined || seen.has(module)) return;
      seen.add(module);
      queue.push(module);
    };
    for (const block of file.blocks) for (const example of block.examples) for (const s of relativeImports(example.source)) visit(resolveLocal(s, dir));
    // A source file's own exports are in its namespace: what it imports counts too.
    if (file.kind === 'script') for (const module of this.importsOf(self)) visit(module);
    while (queue.length > 0) for (const module of this.importsOf(queue.shift()!)) visit(module);
    seen.delete(self);
    return seen;
  }
}
