// Example source → a function body that runs inside the block's namespace.
//
// Notebook semantics on top of plain JavaScript: a block's examples share one namespace object and the
// generated code runs inside `with (namespace)`, so a name declared by one example is visible to the next
// ones and to nothing else, and re-declaring it later is allowed. Top-level declarations therefore become
// assignments to namespace properties (the names are created on the namespace before the code runs, so
// the assignment cannot leak to globalThis). The last expression statement becomes the return value.
//
// TypeScript is only type-stripped (sucrase keeps line numbers); plain JavaScript skips that step, which
// is most examples and saves most of the cost.
import type * as acorn from 'acorn';
import { createRequire } from 'node:module';

// sucrase costs ~40 ms to load and most examples are plain JavaScript: load it on first use.
let sucraseTransform: typeof import('sucrase').transform | undefined;
// acorn too: the quick path (most examples) needs no parse.
let acornParse: typeof import('acorn').parse | undefined;
function parse(code: string): acorn.Program {
  acornParse ??= (createRequire(import.meta.url)('acorn') as typeof import('acorn')).parse;
  return acornParse(code, PARSE_OPTIONS);
}
function sucrase(code: string, options: import('sucrase').Options): { code: string } {
  sucraseTransform ??= (createRequire(import.meta.url)('sucrase') as typeof import('sucrase')).transform;
  return sucraseTransform(code, options);
}

export interface CompiledExample {
  /** Statements for the body of `async function (ns) { with (ns) { … } }`; same line count as the source. */
  body: string;
  /** Names the example declares at top level; they must exist on the namespace before the body runs. */
  declared: string[];
  /** The last statement is an expression whose value is displayed. */
  returnsValue: boolean;
  /** The body uses top-level `await` (imports included), so it must run as an async function. */
  async: boolean;
  /** Built by quickCompile without a parse: if the body does not compile, use compileExample instead. */
  unverified?: boolean;
  /** The body returns its value in a one-element array, so that the async function does not await it. */
  boxed?: boolean;
}

/** How a kernel reads a cell (see kernels.ts); all off for mtest's own rules. */
export interface CompileOptions {
  /** A last statement that is a block, `if`, loop, `switch` or `try` gives its completion value (REPL style). */
  completion?: boolean;
  /** Cells may hold JSX (React.createElement, as Deno's default). */
  jsx?: boolean;
  /** A promise the last expression returns is displayed as it is, not awaited. */
  keepPromise?: boolean;
}

/** The parameter through which compiled examples reach their block's namespace (see compile.ts). */
export const NS_PARAM = '__mtest$ns';
/** The variable holding a completion value (CompileOptions.completion). */
const COMPLETION = '__mtest$c';

/** A syntax error in an example, with the 1-based line inside the example. */
export class ExampleSyntaxError extends Error {
  constructor(
    message: string,
    readonly exampleLine: number,
  ) {
    super(message);
    this.name = 'SyntaxError';
  }
}

/** Name under which the generated code reaches the import helper (see namespace.ts). */
export const IMPORT_HELPER = '__mtest$import';

const PARSE_OPTIONS: acorn.Options = {
  ecmaVersion: 'latest',
  sourceType: 'script',
  allowAwaitOutsideFunction: true,
  allowImportExportEverywhere: true,
  allowReturnOutsideFunction: false,
  allowHashBang: false,
};

/** What may be a dynamic `import(…)` (not `x.import(…)`); the parse decides. */
export const DYNAMIC_IMPORT = /(?<![\w$.])import\s*\(/;

/**
 * A generic call or instantiation (`f<T>(x)`, ``tag<T>`…` ``) is also valid JavaScript with another meaning:
 * such sources are type-stripped even when they parse as JavaScript. Comparisons (`i < 10`) are not.
 */
export const MAYBE_TYPE_ARGUMENTS = /[\w$)\]]\s*<[^<>;=]*>\s*[(`]/;

/** Plain JavaScript skips type stripping (most examples); everything else goes through sucrase first. */
function parseProgram(source: string, jsx = false): { program: acorn.Program; code: string } {
  if (!source.includes('<') || !MAYBE_TYPE_ARGUMENTS.test(source)) {
    try {
      return { program: parse(source), code: source };
    } catch {
      // Not plain JavaScript: maybe TypeScript; strip types and parse again below.
    }
  }
  let code: string;
  try {
    const transforms: import('sucrase').Transform[] = jsx ? ['typescript', 'jsx'] : ['typescript'];
    code = sucrase(source, { transforms, keepUnusedImports: true, disableESTransforms: true, production: true }).code;
  } catch (err) {
    throw asSyntaxError(err, source);
  }
  try {
    return { program: parse(code), code };
  } catch (err) {
    throw asSyntaxError(err, source);
  }
}

function asSyntaxError(err: unknown, source: string): ExampleSyntaxError {
  const e = err as { message?: string; loc?: { line: number }; pos?: number };
  let line = e.loc?.line ?? 1;
  if (e.loc === undefined && typeof e.pos === 'number') line = source.slice(0, e.pos).split('\n').length;
  // acorn appends " (line:col)"; sucrase appends " (line:col)" too: the runner reports file lines itself.
  const message = String(e.message ?? err).replace(/ \(\d+:\d+\)$/, '');
  return new ExampleSyntaxError(message, line);
}

/** Identifiers bound by a declaration pattern (`a`, `{b, c: [d]}`, `...e`). */
function patternNames(node: acorn.Pattern | null, out: string[]): void {
  if (!node) return;
  switch (node.type) {
    case 'Identifier':
      out.push(node.name);
      break;
    case 'ObjectPattern':
      for (const p of node.properties) patternNames(p.type === 'RestElement' ? p.argument : p.value, out);
      break;
    case 'ArrayPattern':
      for (const el of node.elements) patternNames(el, out);
      break;
    case 'RestElement':
      patternNames(node.argument, out);
      break;
    case 'AssignmentPattern':
      patternNames(node.left, out);
      break;
    default:
      break;
  }
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** `import a, {b as c} from 'm'` → one assignment from the awaited module namespace. */
function rewriteImport(node: acorn.ImportDeclaration, declared: string[]): string {
  const spec = JSON.stringify(node.source.value);
  const load = `await ${IMPORT_HELPER}(${spec})`;
  if (node.specifiers.length === 0) return `${load};`;
  const star = node.specifiers.find((s) => s.type === 'ImportNamespaceSpecifier');
  const props: string[] = [];
  for (const s of node.specifiers) {
    declared.push(s.local.name);
    if (s.type === 'ImportDefaultSpecifier') props.push(`default: ${s.local.name}`);
    else if (s.type === 'ImportSpecifier') {
      const imported = s.imported.type === 'Identifier' ? s.imported.name : String(s.imported.value);
      props.push(`${JSON.stringify(imported)}: ${s.local.name}`);
    }
  }
  // `;` first: a line before it without one would otherwise call its value with these parentheses
  if (star && props.length === 0) return `;(${star.local.name} = ${load});`;
  if (star) return `;(${star.local.name} = ${load}, {${props.join(', ')}} = ${star.local.name});`;
  return `;({${props.join(', ')}} = ${load});`;
}

function rewriteDeclaration(code: string, node: acorn.VariableDeclaration, declared: string[]): string {
  const parts: string[] = [];
  for (const d of node.declarations) {
    patternNames(d.id, declared);
    parts.push(d.init ? code.slice(d.start, d.end) : `${code.slice(d.id.start, d.id.end)} = undefined`);
  }
  return `;(${parts.join(', ')});`;
}

/**
 * Compile one example. Throws ExampleSyntaxError for source that does not parse, and for `export`.
 * `isGlobal(name)` tells whether a bare assignment `x = 1` targets an existing global (then it stays one);
 * otherwise such an assignment declares `x` in the block, as in a notebook.
 */
export function compileExample(source: string, isGlobal: (name: string) => boolean = (n) => n in globalThis, options: CompileOptions = {}): CompiledExample {
  const { program, code } = withImportHelper(parseProgram(source, options.jsx));
  const declared: string[] = [];
  const edits: Edit[] = [];
  const body = program.body;
  const hasImport = body.some((n) => n.type === 'ImportDeclaration');
  const async = hasImport || hasTopLevelAwait(code, program);
  // Function declarations stay declarations, so that they are hoisted within the example as in any script;
  // the example's first act is to give them to the namespace.
  const hoisted: string[] = [];
  for (const node of body) {
    switch (node.type) {
      case 'VariableDeclaration':
        edits.push({ start: node.start, end: node.end, text: rewriteDeclaration(code, node, declared) });
        break;
      case 'FunctionDeclaration':
        if (node.id) {
          declared.push(node.id.name);
          hoisted.push(`${NS_PARAM}.${node.id.name} = ${node.id.name};`);
        }
        break;
      case 'ClassDeclaration':
        if (node.id) {
          declared.push(node.id.name);
          edits.push({ start: node.start, end: node.start, text: `${node.id.name} = ` });
          edits.push({ start: node.end, end: node.end, text: ';' });
        }
        break;
      case 'ImportDeclaration':
        edits.push({ start: node.start, end: node.end, text: rewriteImport(node, declared) });
        break;
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration':
      case 'ExportAllDeclaration': {
        const line = code.slice(0, node.start).split('\n').length;
        throw new ExampleSyntaxError("'export' is not allowed in an example", line);
      }
      case 'ExpressionStatement': {
        const e = node.expression;
        if (e.type === 'AssignmentExpression' && e.operator === '=' && e.left.type === 'Identifier' && !isGlobal(e.left.name)) {
          declared.push(e.left.name);
        }
        break;
      }
      default:
        break;
    }
  }
  const last = body[body.length - 1];
  const boxed = async && options.keepPromise === true;
  let returnsValue = false;
  if (last && last.type === 'ExpressionStatement') {
    returnsValue = true;
    const expr = last.expression;
    edits.push({ start: last.start, end: expr.start, text: boxed ? 'return [' : 'return (' });
    edits.push({ start: expr.end, end: last.end, text: boxed ? '];' : ');' });
  } else if (last && options.completion && COMPLETING.has(last.type)) {
    returnsValue = true;
    hoisted.push(`let ${COMPLETION};`);
    walk(last, (n) => {
      if (FUNCTION_TYPES.has(n.type) || n.type === 'ClassDeclaration' || n.type === 'ClassExpression') return false;
      if (n.type !== 'ExpressionStatement') return;
      const statement = n as unknown as acorn.ExpressionStatement;
      edits.push({ start: statement.start, end: statement.expression.start, text: `${COMPLETION} = (` });
      edits.push({ start: statement.expression.end, end: statement.end, text: ');' });
    });
    edits.push({ start: last.end, end: last.end, text: boxed ? ` return [${COMPLETION}];` : ` return ${COMPLETION};` });
  }
  if (hoisted.length > 0) edits.push({ start: 0, end: 0, text: hoisted.join(' ') + ' ' });
  const compiled: CompiledExample = { body: applyEdits(code, edits), declared, returnsValue, async };
  if (boxed && returnsValue) compiled.boxed = true;
  return compiled;
}

/** Statements whose completion value a REPL shows: the value of the last expression statement they ran. */
const COMPLETING = new Set(['BlockStatement', 'IfStatement', 'TryStatement', 'ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement', 'SwitchStatement', 'LabeledStatement']);

/** Visit `node` and its descendants, depth first; `enter` returning false skips a node's children. */
function walk(node: unknown, enter: (node: { type: string; start: number }) => boolean | void): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const child of node) walk(child, enter);
    return;
  }
  const n = node as { type?: string; start: number };
  if (typeof n.type === 'string' && enter(n as { type: string; start: number }) === false) return;
  for (const key in node) {
    if (key === 'type' || key === 'start' || key === 'end') continue;
    const child = (node as Record<string, unknown>)[key];
    if (child && typeof child === 'object') walk(child, enter);
  }
}

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/**
 * Whether `await` occurs outside any function. Cheap pre-check on the text; the walk only runs when the
 * word is there, and stops at function boundaries.
 */
function hasTopLevelAwait(code: string, program: acorn.Program): boolean {
  if (!code.includes('await')) return false;
  let found = false;
  walk(program, (n) => {
    if (found || FUNCTION_TYPES.has(n.type)) return false;
    if (n.type === 'AwaitExpression' || (n.type === 'ForOfStatement' && (n as { await?: boolean }).await)) found = true;
  });
  return found;
}

/**
 * `import(x)` → the import helper, which resolves `x` from the document as static imports do: compiled
 * example code has no module of its own for Node's loader to resolve against. Re-parsed after the
 * rename (rare: only sources that call import()).
 */
function withImportHelper(parsed: { program: acorn.Program; code: string }): { program: acorn.Program; code: string } {
  if (!DYNAMIC_IMPORT.test(parsed.code)) return parsed;
  const starts: number[] = [];
  walk(parsed.program, (n) => {
    if (n.type === 'ImportExpression') starts.push(n.start);
  });
  if (starts.length === 0) return parsed;
  let code = parsed.code;
  for (const start of starts.sort((a, b) => b - a)) code = code.slice(0, start) + IMPORT_HELPER + code.slice(start + 'import'.length);
  return { program: parse(code), code };
}

function applyEdits(code: string, edits: Edit[]): string {
  if (edits.length === 0) return code;
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let pos = 0;
  for (const e of edits) {
    out += code.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + code.slice(pos);
}
