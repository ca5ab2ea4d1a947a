// --typecheck: type errors fail examples, through the TypeScript compiler API, with one program for the
// whole run. Every example becomes a virtual module next to its document, so its relative imports resolve
// as at run time. Names flow from example to example as at run time, redeclarations included: example k
// imports what the examples before it defined from module k-1 (`let`s as `declare let … typeof`, so they
// stay assignable), and the prelude's and the file's own exports from their modules, minus the names it
// declares itself: each name it uses straight from the module that defined it last. Each module starts
// with one line of such imports and ends with one line exporting its own names, so a diagnostic's line maps
// straight back to the document. Costs kept down: the exports are read
// syntactically (a first program's checker took ~1 s), TypeScript is loaded with require (an ESM import
// of its 9 MB CommonJS file ran Node's export scanner over it, ~0.3 s), and the library, Node's types
// (@types/node, ~0.8 s of parsing and binding) and the prelude are read before the files to check are
// known (see prepareTypechecker), which lets that work overlap finding and parsing them.
import { existsSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TS from 'typescript';
import { exampleWhere, type Example, type SourceFile, type TypeDiagnostic } from '../model.js';
import { isBuiltinEngine } from '../execute/modules.js';
import { skipReason, type SkipPolicy } from '../execute/policy.js';
import { loadTypeScriptFrom, NO_TYPESCRIPT, type LoadedTypeScript } from './load.js';

export { NO_TYPESCRIPT };

export interface TypecheckOptions extends SkipPolicy {
  /** Prelude modules, as for running (`builtin` = the engine). */
  prelude: string[];
  /** Where the project is: its tsconfig.json, its node_modules, relative prelude paths. */
  cwd: string;
}

export interface TypecheckResult {
  /** Examples that were checked. */
  checked: number;
  /** Examples that got type errors (each carries them in `typeErrors`). */
  failed: number;
  /** A problem with the check itself (no TypeScript, a prelude it cannot read): one line. */
  error?: string;
}

const TS_SCRIPT = /\.(?:ts|mts|cts|tsx)$/i;
const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The engine's declarations, compiled next to its code (the package ships them). */
const ENGINE_TYPES = path.resolve(HERE, '../engine/index.d.ts');

/** TypeScript is the user's: the project's own (an optional peer dependency of mtest's). */
function loadTypeScript(cwd: string): LoadedTypeScript | undefined {
  return loadTypeScriptFrom(path.join(cwd, 'package.json'));
}

/** Is this file's code TypeScript (JavaScript sources and JavaScript notebooks are not checked)? */
function isTypeScript(file: SourceFile): boolean {
  if (file.kind === 'script') return TS_SCRIPT.test(file.path);
  // jslab checks its JavaScript cells as tslab checks TypeScript
  if (file.kind === 'notebook') return file.language === 'typescript' || file.kernel === 'jslab';
  return true;
}

type Inherit = 'let' | 'import';

interface Declared {
  names: Map<string, Inherit>;
  /** Offsets (in the example's source) of bare assignments to new names, to be read as `let`. */
  implicitLets: number[];
  /** Every identifier-like word of the source: what the example may use. */
  words: Set<string>;
}

function bindingNames(ts: typeof TS, name: TS.BindingName, out: string[]): void {
  if (ts.isIdentifier(name)) out.push(name.text);
  else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bindingNames(ts, element.name, out);
}

function isNamedDeclaration(ts: typeof TS, s: TS.Statement): s is TS.DeclarationStatement & { name: TS.Identifier } {
  return (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) ||
    ts.isEnumDeclaration(s) || ts.isModuleDeclaration(s)) && s.name !== undefined && ts.isIdentifier(s.name);
}

/** Top-level names an example declares, by how a later example must see them. */
function declaredNames(ts: typeof TS, source: string, inScope: (name: string) => boolean): Declared {
  const sf = ts.createSourceFile('example.ts', source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const names = new Map<string, Inherit>();
  const implicitLets: number[] = [];
  for (const statement of sf.statements) {
    if (ts.isVariableStatement(statement)) {
      const list: string[] = [];
      for (const d of statement.declarationList.declarations) bindingNames(ts, d.name, list);
      const isConst = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const n of list) names.set(n, isConst ? 'import' : 'let');
    } else if (isNamedDeclaration(ts, statement)) {
      names.set(statement.name.text, 'import');
    } else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) names.set(clause.name.text, 'import');
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.set(bindings.name.text, 'import');
      else if (bindings) for (const e of bindings.elements) names.set(e.name.text, 'import');
    } else if (ts.isExpressionStatement(statement) && ts.isBinaryExpression(statement.expression) &&
      statement.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(statement.expression.left)) {
      // `x = 1` with no `x` anywhere declares it in the block at run time
      const name = statement.expression.left.text;
      if (!names.has(name) && !inScope(name)) {
        names.set(name, 'let');
        implicitLets.push(statement.getStart(sf));
      }
    }
  }
  return { names, implicitLets, words: new Set(source.match(/[A-Za-z_$][\w$]*/g) ?? []) };
}

/**
 * The names a module exports, read from its syntax (following re-exports), so that no checker is built
 * for it. `export =` modules give none. `seen` collects the files that make up its exports (the module and
 * those it re-exports from). `ambient` names a `declare module "…"` block of the file to read instead
 * (Node's modules in @types/node).
 */
function moduleExports(ts: typeof TS, file: string, read: (f: string) => TS.SourceFile | undefined, resolve: (spec: string, from: string) => string | undefined, seen = new Set<string>(), ambient?: string): string[] {
  const key = ambient === undefined ? file : `${file}\0${ambient}`;
  if (seen.has(key)) return [];
  seen.add(key);
  seen.add(file);
  const sf = read(file);
  if (!sf) return [];
  let statements: readonly TS.Statement[] = sf.statements;
  if (ambient !== undefined) {
    const block = sf.statements.find((s): s is TS.ModuleDeclaration => ts.isModuleDeclaration(s) && ts.isStringLiteral(s.name) && s.name.text === ambient);
    statements = block?.body && ts.isModuleBlock(block.body) ? block.body.statements : [];
  }
  const out = new Set<string>();
  const has = (s: TS.Statement, kind: TS.SyntaxKind): boolean => ts.canHaveModifiers(s) && (ts.getModifiers(s)?.some((m) => m.kind === kind) ?? false);
  // in an ambient module block every declaration is exported
  const exported = (s: TS.Statement): boolean => (ambient !== undefined || has(s, ts.SyntaxKind.ExportKeyword)) && !has(s, ts.SyntaxKind.DefaultKeyword);
  for (const s of statements) {
    if (ts.isVariableStatement(s) && exported(s)) {
      const list: string[] = [];
      for (const d of s.declarationList.declarations) bindingNames(ts, d.name, list);
      for (const n of list) out.add(n);
    } else if (isNamedDeclaration(ts, s) && exported(s)) {
      out.add(s.name.text);
    } else if (ts.isExportDeclaration(s)) {
      const clause = s.exportClause;
      if (clause && ts.isNamedExports(clause)) for (const e of clause.elements) out.add(e.name.text);
      else if (clause && ts.isNamespaceExport(clause)) out.add(clause.name.text);
      const spec = s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : undefined;
      if (spec === undefined) continue;
      const names = ambient !== undefined && !spec.startsWith('.')
        ? moduleExports(ts, file, read, resolve, seen, spec)
        : (() => {
          const target = resolve(spec, file);
          return target ? moduleExports(ts, target, read, resolve, seen) : [];
        })();
      if (!clause) for (const n of names) out.add(n);
    }
  }
  out.delete('default');
  return [...out];
}

interface Virtual {
  example: Example;
  fileName: string;
  text: string;
}

/** A module specifier for `target` from `from`'s directory. */
function specifier(from: string, target: string): string {
  let rel = path.relative(path.dirname(from), target).split(path.sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return JSON.stringify(rel);
}



/** `node:fs/promises` or `fs/promises` → `fs/promises` when it names one of Node's modules. */
function builtinName(spec: string): string | undefined {
  const name = spec.replace(/^node:/, '');
  return BUILTINS.has(name) || spec.startsWith('node:') ? name : undefined;
}

/** The directory of @types/node (the project's, else mtest's own), if installed. */
function nodeTypesDirectory(cwd: string): string | undefined {
  for (const from of [cwd, HERE]) {
    try {
      return path.dirname(createRequire(path.join(from, 'x.js')).resolve('@types/node/package.json'));
    } catch {
      // not here
    }
  }
  return undefined;
}

const BUILTINS = new Set(builtinModules);
/** Node's globals an example may name, and the @types/node files declaring them. */
const TIMERS = ['timers'];
const NODE_GLOBAL_FILES = new Map([
  ['process', ['process']], ['Buffer', ['buffer', 'buffer.buffer', 'globals.typedarray']], ['performance', ['perf_hooks']], ['structuredClone', ['worker_threads']],
  ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask'].map((n) => [n, TIMERS] as [string, string[]]),
]);

/**
 * The files of @types/node a check needs: globals.d.ts and console.d.ts, one file per Node module
 * imported by the examples or by the files that make up the exports in scope (the prelude's, a script's
 * own; not their private dependencies), and those of the Node globals the examples name. All of @types/node (2 MB) cost ~0.8 s
 * per run; a module's file alone leaves its references to other modules as `any`.
 */
function nodeTypeFiles(dir: string, texts: Iterable<string>, words: Iterable<string>, modules: Iterable<string>): string[] {
  const names = new Set<string>(['globals', 'console', ...modules]);
  for (const text of texts) {
    for (const m of text.matchAll(/(?:\bfrom|\bimport|\brequire)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const name = builtinName(m[1]);
      if (name) names.add(name);
    }
  }
  for (const w of words) for (const f of NODE_GLOBAL_FILES.get(w) ?? []) names.add(f);
  return [...names].map((name) => nodeTypeFile(dir, name)).filter((f): f is string => f !== undefined);
}

function nodeTypeFile(dir: string, name: string): string | undefined {
  return [`${name}.d.ts`, `${name}/index.d.ts`].map((c) => path.join(dir, c)).find((f) => existsSync(f));
}

/** Always in the program: Node's modules as `any` unless a file of @types/node declares them (an exact module declaration wins). */
const ANY_NODE_MODULES = `declare module 'node:*';\n`;

/** The module tslab's kernel gives its notebooks (see execute/kernels.ts). */
const TSLAB_MODULE = `
declare module 'tslab' {
  interface Display {
    javascript(s: string): void; html(s: string): void; markdown(s: string): void; latex(s: string): void; svg(s: string): void;
    png(b: Uint8Array): void; jpeg(b: Uint8Array): void; gif(b: Uint8Array): void; pdf(b: Uint8Array): void;
    text(s: string): void; raw(contentType: string, b: string | Uint8Array): void;
  }
  export const versions: { tslab: string; typescript: string; node: string };
  export const display: Display;
  export function newDisplay(): Display;
}
`;

/** Without @types/node: the globals every JavaScript runtime has. */
const MINIMAL_GLOBALS = `
interface Console {
  log(...data: any[]): void; info(...data: any[]): void; warn(...data: any[]): void; error(...data: any[]): void;
  debug(...data: any[]): void; trace(...data: any[]): void; dir(item?: any, options?: any): void; table(data: any, columns?: string[]): void;
  assert(condition?: boolean, ...data: any[]): void; count(label?: string): void; countReset(label?: string): void;
  group(...data: any[]): void; groupEnd(): void; time(label?: string): void; timeEnd(label?: string): void; timeLog(label?: string, ...data: any[]): void;
}
declare var console: Console;
declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function clearTimeout(id: any): void;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function clearInterval(id: any): void;
declare function setImmediate(callback: (...args: any[]) => void, ...args: any[]): any;
declare function clearImmediate(id: any): void;
declare function queueMicrotask(callback: () => void): void;
declare function structuredClone<T>(value: T, options?: any): T;
declare var performance: { now(): number; readonly timeOrigin: number };
`;

function compilerOptions(ts: typeof TS, cwd: string, tslab = false): TS.CompilerOptions {
  // tslab checks cells with its own options, TypeScript's defaults (not strict), whatever the folder's tsconfig says
  let base: TS.CompilerOptions = tslab ? { strict: false, esModuleInterop: true, experimentalDecorators: true, resolveJsonModule: true, allowJs: true, checkJs: true } : { strict: true };
  const configPath = tslab ? undefined : ts.findConfigFile(cwd, ts.sys.fileExists, 'tsconfig.json');
  if (configPath && path.dirname(configPath) === path.resolve(cwd)) {
    const read = ts.readConfigFile(configPath, ts.sys.readFile);
    if (!read.error) base = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configPath)).options;
  }
  // What examples need whatever the project says: modules with top-level await, no output, no unused-name checks.
  return {
    ...base,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    isolatedModules: false,
    verbatimModuleSyntax: false,
    declaration: false,
    composite: false,
    incremental: false,
    lib: ['lib.es2022.d.ts'],
    // Node's types come file by file (see nodeTypeFiles), never as the whole package
    types: [],
  };
}

/** The module whose types stand for a prelude entry, or undefined when it has none to read. */
function preludeModule(entry: string, cwd: string): string | undefined {
  if (isBuiltinEngine(entry)) return existsSync(ENGINE_TYPES) ? ENGINE_TYPES : undefined;
  if (entry.startsWith('.') || path.isAbsolute(entry)) return path.resolve(cwd, entry);
  return entry; // a package or node: builtin, resolved by TypeScript
}

/** Where a name comes from in an example's module: a module's export, or a `let` of an earlier example. */
interface Source {
  module: string;
  how: Inherit;
}

export interface Typechecker {
  /** Check every example of `files` that will run (by `policy`), in one program; see typecheckFiles. */
  check(files: SourceFile[], policy: SkipPolicy): TypecheckResult;
}

/**
 * Load TypeScript and read what does not depend on the files to check (the default library, the prelude's
 * exports), so that this can overlap finding and parsing them. Undefined when there is no TypeScript.
 */
export function prepareTypechecker(options: Pick<TypecheckOptions, 'prelude' | 'cwd'> & { tslab?: boolean }): Typechecker | undefined {
  const loaded = loadTypeScript(options.cwd);
  if (!loaded) return undefined;
  const ts = loaded.ts;
  const cwd = path.resolve(options.cwd);
  const compiler = compilerOptions(ts, cwd, options.tslab);
  const nodeTypes = nodeTypesDirectory(cwd);
  const host = ts.createCompilerHost(compiler, false);
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  const cache = new Map<string, TS.SourceFile | undefined>();
  const virtual = new Map<string, Virtual>();
  const globalsFile = path.join(cwd, '__mtest_globals.d.ts');
  const globalsText = ANY_NODE_MODULES + (nodeTypes ? '' : MINIMAL_GLOBALS) + (options.tslab ? TSLAB_MODULE : '');
  const virtualText = (fileName: string): string | undefined => (fileName === globalsFile ? globalsText : virtual.get(fileName)?.text);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, onError, create) => {
    const text = virtualText(fileName);
    if (text !== undefined) return ts.createSourceFile(fileName, text, language, false, fileName.endsWith('.mjs') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
    if (!cache.has(fileName) || create) cache.set(fileName, getSourceFile(fileName, language, onError, create));
    return cache.get(fileName);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => virtualText(fileName) !== undefined || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => virtualText(fileName) ?? readFile(fileName);
  const resolve = (spec: string, from: string): string | undefined => ts.resolveModuleName(spec, from, compiler, host).resolvedModule?.resolvedFileName;
  const read = (f: string): TS.SourceFile | undefined => host.getSourceFile(f, ts.ScriptTarget.ES2022);

  // The prelude's names (a later prelude module wins, as at run time). A prelude whose types cannot be
  // read leaves its names unknown: "cannot find name" is then not reported (the name may be its).
  const preludeNames = new Map<string, string>();
  const preludeSurface = new Set<string>();
  const preludeNodeModules: string[] = [];
  let unknownPrelude = false;
  for (const entry of options.prelude) {
    const m = preludeModule(entry, cwd);
    const builtin = m && !path.isAbsolute(m) ? builtinName(m) : undefined;
    let names: string[] | undefined;
    if (builtin !== undefined) {
      const file = nodeTypes && nodeTypeFile(nodeTypes, builtin);
      if (file) {
        preludeNodeModules.push(builtin);
        names = moduleExports(ts, file, read, resolve, preludeSurface, builtin);
      }
    } else if (m) {
      const file = path.isAbsolute(m) ? m : resolve(m, path.join(cwd, 'index.ts'));
      if (file) names = moduleExports(ts, file, read, resolve, preludeSurface);
    }
    if (!names || names.length === 0) unknownPrelude = true;
    for (const n of names ?? []) preludeNames.set(n, m!);
  }
  const textsOf = (files: Iterable<string>): string[] => [...files].map((f) => read(f)?.text ?? '');
  // The default library, Node's types and the prelude, parsed and bound now: the program of the check
  // reuses these source files, bindings included.
  const preludeFiles = [...new Set(preludeNames.values())].filter((f) => path.isAbsolute(f));
  const programWith = (roots: string[], scanned: string[], words: Iterable<string>, modules: string[] = []): TS.Program => {
    const extra = nodeTypes ? nodeTypeFiles(nodeTypes, scanned, words, [...preludeNodeModules, ...modules]) : [];
    return ts.createProgram({ rootNames: [...roots, globalsFile, ...extra], options: compiler, host });
  };
  programWith(preludeFiles, textsOf(preludeSurface), []).getTypeChecker();

  const check = (files: SourceFile[], policy: SkipPolicy): TypecheckResult => {
    const checkedFiles = files.filter(isTypeScript);
    const runs = (file: SourceFile, example: Example): boolean => example.directives.errors.length === 0 && skipReason(example.directives, file.tags, policy) === undefined;
    virtual.clear();
    const words = new Set<string>();
    const surface = new Set(preludeSurface);

    let checked = 0;
    for (const file of checkedFiles) {
      const docPath = path.resolve(cwd, file.path);
      const own = file.kind === 'script' ? moduleExports(ts, docPath, read, resolve, surface) : [];
      file.blocks.forEach((block, b) => {
        // Every name in scope and where it comes from; examples' declarations replace earlier ones.
        const scope = new Map<string, Source>();
        for (const [n, m] of preludeNames) scope.set(n, { module: m, how: 'import' });
        for (const n of own) scope.set(n, { module: docPath, how: 'import' });
          block.examples.forEach((example, k) => {
          if (!runs(file, example)) return;
          const declared = declaredNames(ts, example.source, (n) => scope.has(n));
          for (const w of declared.words) words.add(w);
          // jslab's JavaScript is checked as JavaScript (checkJs): JSDoc types, properties assigned in constructors
          const javascript = file.kernel === 'jslab';
          const fileName = `${docPath}.mtest-${b}-${k}.${javascript ? 'mjs' : 'mts'}`;
          const imports = new Map<string, string[]>();
          const lets: string[] = [];
          for (const word of declared.words) {
            const from = scope.get(word);
            if (!from || declared.names.has(word)) continue;
            const spec = path.isAbsolute(from.module) ? specifier(fileName, from.module) : JSON.stringify(from.module);
            if (from.how === 'let') lets.push(javascript ? `/** @type {typeof import(${spec}).${word}} */ let ${word} = /** @type {any} */ (0);` : `declare let ${word}: typeof import(${spec}).${word};`);
            else imports.set(spec, [...(imports.get(spec) ?? []), word]);
          }
          const header = [...[...imports].map(([spec, names]) => `import { ${names.join(', ')} } from ${spec};`), ...lets];
          let source = example.source;
          for (const at of [...declared.implicitLets].reverse()) source = `${source.slice(0, at)}let ${source.slice(at)}`;
          for (const [n, how] of declared.names) scope.set(n, { module: fileName, how });
          const exported = [...declared.names.keys()];
          const text = `${header.join(' ')} export {};\n${source}\n${exported.length > 0 ? `export { ${exported.join(', ')} };` : ''}\n`;
          virtual.set(fileName, { example, fileName, text });
          checked++;
        });
      });
    }

    // tslab and jslab compile cells to CommonJS: require, module and exports are declared there (module.d.ts)
    const kernelModules = checkedFiles.some((f) => f.kernel === 'tslab' || f.kernel === 'jslab') ? ['module'] : [];
    const program = programWith([...virtual.keys()], [...textsOf(surface), ...[...virtual.values()].map((v) => v.text)], words, kernelModules);
    let failed = 0;
    for (const v of virtual.values()) {
      const sf = program.getSourceFile(v.fileName);
      // An example that expects an exception may pass ill-typed arguments on purpose (it shows them refused).
      if (!sf || v.example.directives.raises || /^\s*Uncaught /m.test(v.example.want)) continue;
      const sourceLines = v.example.source.split('\n').length;
      const errors: string[] = [];
      const diagnostics: TypeDiagnostic[] = [];
      for (const d of program.getSemanticDiagnostics(sf)) {
        if (d.start === undefined || (unknownPrelude && (d.code === 2304 || d.code === 2552))) continue;
        const { line, character } = sf.getLineAndCharacterOfPosition(d.start); // line 0 = the import line
        if (line < 1 || line > sourceLines) continue;
        errors.push(`${exampleWhere(v.example, line - 1)}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n    ')}`);
        diagnostics.push({ line, column: character + 1, messages: chainOf(d.messageText) });
      }
      if (errors.length > 0) {
        v.example.typeErrors = errors;
        v.example.typeDiagnostics = diagnostics;
        failed++;
      }
    }
    loaded.saveCache();
    return { checked, failed };
  };
  return { check };
}

/** A diagnostic's message and the messages chained under it, depth first. */
function chainOf(message: string | TS.DiagnosticMessageChain): string[] {
  if (typeof message === 'string') return [message];
  return [message.messageText, ...(message.next ?? []).flatMap(chainOf)];
}

/**
 * Check every example that will run, in one program; examples with type errors get them in `typeErrors`
 * (`line N: TS2322: …`). Never throws for bad input: a check that cannot be done says so in `error`.
 */
export async function typecheckFiles(files: SourceFile[], options: TypecheckOptions): Promise<TypecheckResult> {
  const checker = prepareTypechecker(options);
  if (!checker) return { checked: 0, failed: 0, error: NO_TYPESCRIPT };
  return checker.check(files, options);
}
