// The parse-free path for the most common examples: one expression (`A.det()`), one declaration on one
// line (`const A = matrix([[1, 2], [3, 4]])`), one loop on one line. These rules only guess; the guess is
// settled by compiling the body: a wrong guess does not compile and the caller takes compileExample.
import { DYNAMIC_IMPORT, MAYBE_TYPE_ARGUMENTS, type CompiledExample } from './transform.js';

const STATEMENT_START = /^\s*(?:const|let|var|function|class|import|export|if|for|while|do|switch|try|throw|return|break|continue|async|await|yield|debugger|with|label|interface|type|enum|declare|namespace|abstract|@|\{|;|[A-Za-z_$][\w$]*\s*:(?!:))/;
const SIMPLE_DECLARATION = /^\s*(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=(?!=)([^;\n]*)$/;
const SIMPLE_ASSIGNMENT = /^\s*([A-Za-z_$][\w$]*)\s*=(?!=)/;

/** The quick guess for `source`, or undefined when it needs the full path (compileExample). */
export function quickCompile(source: string, isGlobal: (name: string) => boolean = (n) => n in globalThis): CompiledExample | undefined {
  if (source.startsWith('for') || source.startsWith('while')) return quickLoop(source);
  // `import()` needs the full path, which points it at the import helper.
  if (!bracketsBalance(source) || source.includes(';') || source.includes('await') || DYNAMIC_IMPORT.test(source) || (source.includes('<') && MAYBE_TYPE_ARGUMENTS.test(source))) return undefined;
  const decl = SIMPLE_DECLARATION.exec(source);
  if (decl) {
    // `const a = 1, b = 2` declares two names: only one declarator (no comma outside brackets) is quick.
    if (decl[2].includes(',') && (/['"`]/.test(decl[2]) || hasTopLevelComma(decl[2]))) return undefined;
    return { body: `${decl[1]} = (${decl[2]}\n);`, declared: [decl[1]], returnsValue: false, async: false, unverified: true };
  }
  if (STATEMENT_START.test(source)) return undefined;
  const assign = SIMPLE_ASSIGNMENT.exec(source);
  const declared = assign && !isGlobal(assign[1]) ? [assign[1]] : [];
  return { body: `return (${source}\n);`, declared, returnsValue: true, async: false, unverified: true };
}

const LOOP_HEAD = /^\s*(?:for|while)\s*\(\s*(?:(?:const|let|var)\s+)?/;
const DECLARING_WORD = /(?<![\w$.])(?:const|let|var|function|class|import|export|await|yield|async)(?![\w$])/;

/**
 * A lone `for (…) …` / `while (…) …` statement on one line (`for (let i = 0; i < 10; i++) s += i`) declares
 * nothing in the block and displays nothing: it runs as it is. One statement only: no `;` and no closing
 * brace followed by more code outside the head, no other declaring word.
 */
function quickLoop(source: string): CompiledExample | undefined {
  const head = LOOP_HEAD.exec(source);
  if (!head || source.includes('\n') || DECLARING_WORD.test(source.slice(head[0].length))) return undefined;
  let depth = 0;
  let headClosed = false;
  for (let i = head[0].length; i < source.length; i++) {
    const c = source[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth < 0 && !headClosed) {
        headClosed = true; // the loop head's own parenthesis
        depth = 0;
      } else if (depth < 0) return undefined;
      else if (c === '}' && depth === 0 && source.slice(i + 1).trim() !== '') return undefined;
    } else if (c === ';' && depth === 0 && headClosed) return undefined;
  }
  if (!headClosed || depth !== 0) return undefined;
  return { body: source, declared: [], returnsValue: false, async: false, unverified: true };
}

/** A comma outside any bracket (counting bracket characters only: callers exclude strings). */
function hasTopLevelComma(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 0) return true;
  }
  return false;
}

/**
 * Brackets nest properly, counting every bracket character (also inside strings: such sources merely take
 * the full path). Keeps `a) + (b` from compiling as `return (a) + (b)`.
 */
function bracketsBalance(source: string): boolean {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++; // ( [ {
    else if (c === 41 || c === 93 || c === 125) {
      if (--depth < 0) return false; // ) ] }
    }
  }
  return depth === 0;
}
