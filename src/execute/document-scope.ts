// What annotation-style examples find in scope besides the prelude and `require` (the namespace has it
// where the document's own code has it): the code the document describes, under the name it has there. A CommonJS file's examples see the file's own top-level names, as stdlib's runner
// gives them (it runs the file's text in the examples' scope): `lib/main.js` examples call `gamma( 4.0 )`
// and use the file's own `require`d names. A declaration file's examples see its package under the name
// it is exported as (`export = gamma`).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import type * as acorn from 'acorn';
import type { SourceFile } from '../model.js';
import { isDeclarationFile } from '../sources/kinds.js';
import { requireFor } from './modules.js';
import { nearestPackage } from './resolution.js';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Names a declaration file exports its main value as: `export = gamma`, `export default gamma`. */
function declaredExports(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\bexport\s*=\s*([A-Za-z_$][\w$]*)/g)) names.add(m[1]);
  for (const m of text.matchAll(/\bexport\s+default\s+([A-Za-z_$][\w$]*)\s*;/g)) names.add(m[1]);
  return [...names];
}

/**
 * A module's main value in scope: under `names` (what the document calls it); a function under its own
 * name and the names of the blocks too (a file documenting `gamma` exports it), an object's own
 * properties each under its key (`module.exports = { hypot, swap }`).
 */
function bindMain(bindings: Record<string, unknown>, value: unknown, names: string[], blockNames: string[]): void {
  if (value === null || value === undefined) return;
  const bind = (name: string, v: unknown): void => {
    if (IDENTIFIER.test(name) && !(name in bindings)) bindings[name] = v;
  };
  for (const name of names) bind(name, value);
  if (typeof value === 'function') {
    bind(value.name, value);
    for (const name of blockNames) bind(name, value);
  } else if (typeof value === 'object') {
    for (const key of Object.keys(value)) bind(key, (value as Record<string, unknown>)[key]);
  }
}

/**
 * Whether the examples of `filename` reach its code as a CommonJS script (its top-level names, through
 * documentBindings) rather than through its ES exports: `.cjs`, and `.js` without import/export statements.
 */
export function isCommonJsScript(filename: string): boolean {
  if (filename.endsWith('.cjs')) return true;
  if (!filename.endsWith('.js')) return false;
  try {
    return !/^\s*(?:import\s*[\w{*'"]|export\s)/m.test(readFileSync(filename, 'utf8'));
  } catch {
    return false;
  }
}

// mtest's own parser, not one the document's package might have
const ownRequire = createRequire(import.meta.url);

const SCRIPT_OPTIONS: acorn.Options = { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true, allowHashBang: true };

/** Names a script declares at its top level: `var`/`let`/`const` (simple names), functions and classes. */
function topLevelNames(program: acorn.Program): string[] {
  const names: string[] = [];
  for (const node of program.body) {
    if (node.type === 'VariableDeclaration') {
      for (const d of node.declarations) if (d.id.type === 'Identifier') names.push(d.id.name);
    } else if ((node.type === 'FunctionDeclaration' || node.type === 'ClassDeclaration') && node.id) names.push(node.id.name);
  }
  return names;
}

/**
 * Run a CommonJS file's text as its module would run, and keep its top-level names and exports. Undefined
 * for a file that is not a CommonJS script (an ES module, a syntax error): nothing is bound then.
 */
function topLevelScope(filename: string, require: NodeJS.Require): { exports: unknown; names: Record<string, unknown> } | undefined {
  const text = readFileSync(filename, 'utf8');
  let program: acorn.Program;
  try {
    program = (ownRequire('acorn') as typeof acorn).parse(text, SCRIPT_OPTIONS);
  } catch {
    return undefined;
  }
  const names = topLevelNames(program);
  const body = `${text.replace(/^#!.*/, '')}\n;return { ${names.map((n) => `${JSON.stringify(n)}: ${n}`).join(', ')} };`;
  const fn = vm.compileFunction(body, ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
  const module = { exports: {} as unknown };
  // undefined when the file returned early (a top-level `return`): its exports still count
  const scope = fn(module.exports, require, module, filename, path.dirname(filename)) as Record<string, unknown> | undefined;
  return { exports: module.exports, names: scope ?? {} };
}

/**
 * The extra bindings of every block of `file` (only files with annotation-style examples get them), and,
 * when the module the examples document cannot be found (`MODULE_NOT_FOUND`), why.
 */
export function documentBindings(file: SourceFile, filename: string): { bindings: Record<string, unknown>; unavailable?: string } {
  const dir = path.dirname(filename);
  // loads what the examples document, whatever the document's own module system
  const require = createRequire(filename);
  const bindings: Record<string, unknown> = { __filename: filename, __dirname: dir };
  if (file.kind !== 'script') return { bindings };
  const blockNames = file.blocks.map((b) => b.name).filter((n) => IDENTIFIER.test(n));
  let target = filename;
  try {
    if (isDeclarationFile(filename)) {
      const root = nearestPackage(dir)?.root;
      if (root) {
        target = root;
        bindMain(bindings, require(root), declaredExports(readFileSync(filename, 'utf8')), blockNames);
      }
    } else if (isCommonJsScript(filename)) {
      const own = topLevelScope(filename, requireFor(filename) ?? require);
      if (own) {
        // the file's own names first: a block documents the function of its name, not the main export
        for (const [name, value] of Object.entries(own.names)) if (!(name in bindings)) bindings[name] = value;
        bindMain(bindings, own.exports, [], blockNames);
      }
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'MODULE_NOT_FOUND') {
      const what = path.relative(process.cwd(), target) || '.';
      return { bindings, unavailable: `cannot load ${what}: ${String(e.message).split('\n')[0]}` };
    }
    // not loadable as CommonJS (an ES module): nothing bound, the examples say what they miss
  }
  return { bindings };
}
