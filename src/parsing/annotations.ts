// Examples written the JavaScript way: code followed by an annotation comment saying what it does.
//
//     var v = gamma( -1.5 );         math.add(2, 3)   // returns 5
//     // returns ~2.363
//
// One example is the code since the previous annotation (or the start of the text) with the annotations
// right after it: `returns V` (the variable the last statement assigns, else the last expression's value),
// `=> V` / `outputs V` (what it printed), `NAME => V` (NAME after the code), `throws <E>`; `e.g.,` before a
// marker runs the code and compares nothing; `/* returns … */` spans lines. After code on the same line
// only `returns`, `outputs` and `throws` annotate (mathjs): there `// => …` is a remark. Code after the last
// annotation is kept as a setup example (it runs, nothing is compared) only when the caller says later
// examples share its namespace (a Markdown document), otherwise it documents nothing and is dropped.
import type { Annotation, Example, InputError } from '../model.js';
import { emptyDirectives } from '../model.js';
import { findLineComment } from './js-lexer.js';

export interface CodeLine {
  /** The line's text, decoration (`* `) removed. */
  text: string;
  /** 1-based line in the file. */
  line: number;
}

export interface AnnotatedResult {
  examples: Example[];
  /** Code after the last annotation, not yet an example. */
  pending: CodeLine[];
  errors: InputError[];
}

const MARKER = /^(e\.g\.,\s*)?(?:(returns|=>|throws|outputs)(?=\s|$)|([A-Za-z_$][\w$]*(?:\.[\w$]+)*)\s*=>(?=\s|$))\s*(.*)$/;

/** The annotation in a comment's text (after `//`), if it is one. */
export function readMarker(comment: string): Omit<Annotation, 'line'> | undefined {
  const m = MARKER.exec(comment);
  if (!m) return undefined;
  const [, eg, word, name, value] = m;
  const kind: Annotation['kind'] = name ? 'mutates' : word === 'returns' ? 'returns' : word === 'throws' ? 'throws' : 'prints';
  const marker = comment.slice(0, comment.length - value.length).trimEnd();
  const annotation: Omit<Annotation, 'line'> = { kind, exemplary: eg !== undefined, marker, value: value.trimEnd() };
  if (name) annotation.target = name;
  return annotation;
}

/** Does any line hold an annotation (own-line or same-line)? Cheap test before the real parse. */
export function hasAnnotation(lines: readonly string[]): boolean {
  return lines.some((l) => /\/[/*]\s*(?:e\.g\.,\s*)?(?:returns|=>|throws|outputs|[\w$.]+\s*=>)(?:\s|$)/.test(l));
}

/**
 * The name the last statement of `code` assigns (`var v = …`, `v = …`, `v += …`), if it does: `returns`
 * then compares that variable, as stdlib's own doctest runner does.
 */
export function assignedName(code: string): string | undefined {
  const lines = code.split('\n').filter((l) => l.trim() !== '' && !/^\s*\/\//.test(l));
  if (lines.length === 0) return undefined;
  // the last statement starts at the last line of the least indentation that does not continue a
  // previous one (closing brackets, operators, member chains)
  const indent = (l: string): number => l.length - l.trimStart().length;
  const least = Math.min(...lines.map(indent));
  let start = lines.length - 1;
  while (start > 0 && (indent(lines[start]) > least || /^\s*[)\]}.?:+\-*/%&|,]/.test(lines[start]) || /[,([{=+\-*/&|?:]\s*$/.test(lines[start - 1]))) start--;
  const statement = lines.slice(start).join('\n');
  // `const v: number = …` in TypeScript: a type annotation (without `=`) may follow a declared name
  const m = /^\s*(?:(?:(?:var|let|const)\s+)?([A-Za-z_$][\w$]*)|(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*:\s*[^=;]+?)\s*(?:[-+*/%]|\*\*)?=(?![=>])/.exec(statement);
  return m ? (m[1] ?? m[2]) : undefined;
}

function dedentCode(lines: CodeLine[]): string {
  let common = Infinity;
  for (const { text } of lines) {
    const k = text.length - text.trimStart().length;
    if (text.trim() !== '' && k < common) common = k;
  }
  const cut = common === Infinity ? 0 : common;
  return lines.map(({ text }) => text.slice(cut).trimEnd()).join('\n');
}

/** Lines without leading and trailing blank lines. */
function trimmed(lines: CodeLine[]): CodeLine[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a].text.trim() === '') a++;
  while (b > a && lines[b - 1].text.trim() === '') b--;
  return lines.slice(a, b);
}

/** An example from code lines and the annotations after them. */
export function annotatedExample(code: CodeLine[], annotations: Annotation[]): Example {
  const lines = trimmed(code);
  const source = dedentCode(lines);
  for (const a of annotations) if (a.kind === 'returns' && a.target === undefined) a.target = assignedName(source);
  const want = annotations.length === 0 ? '' : annotations.map((a) => `${a.marker} ${a.value}`.trimEnd()).join('\n') + '\n';
  const line = lines[0]?.line ?? annotations[0]?.line ?? 1;
  return { source, want, line, indent: 0, directives: emptyDirectives(), annotations };
}

/**
 * Split code into annotated examples. `pending` is code carried over from before (a previous fence of the
 * same document); the result's `pending` is what is left after the last annotation.
 */
export function parseAnnotatedCode(lines: CodeLine[], file: string, pending: CodeLine[] = []): AnnotatedResult {
  const examples: Example[] = [];
  const errors: InputError[] = [];
  let code: CodeLine[] = [...pending];
  let current: Example | undefined;
  const push = (annotation: Annotation): void => {
    if (current && trimmed(code).length === 0) {
      // `// y => …` right after `// x => …`: one more check of the same code
      if (annotation.kind === 'returns' && annotation.target === undefined) annotation.target = assignedName(current.source);
      current.annotations!.push(annotation);
      current.want += `${annotation.marker} ${annotation.value}`.trimEnd() + '\n';
    } else {
      current = annotatedExample(code, [annotation]);
      examples.push(current);
    }
    code = [];
  };
  const depth = new Nesting();
  for (let i = 0; i < lines.length; i++) {
    const { text, line } = lines[i];
    const trimmedText = text.trimStart();
    if (depth.open()) {
      // inside a block or a bracket the code cannot be cut: an annotation there is a plain comment
      depth.scan(text);
      code.push(lines[i]);
      continue;
    }
    if (trimmedText.startsWith('//')) {
      const m = readMarker(trimmedText.slice(2).trimStart());
      if (m) {
        push({ ...m, line });
        continue;
      }
      code.push(lines[i]);
      continue;
    }
    if (trimmedText.startsWith('/*')) {
      const body = trimmedText.slice(2);
      const m = readMarker(body.trimStart());
      if (m) {
        // `/* returns … */`, possibly over several lines
        let value = m.value;
        let end = i;
        while (!value.includes('*/') && end + 1 < lines.length) value += '\n' + lines[++end].text;
        const close = value.indexOf('*/');
        if (close < 0) {
          errors.push({ file, line, message: `unterminated /* ${m.marker} annotation` });
          i = end;
          code = [];
          continue;
        }
        value = value.slice(0, close).trim();
        const single = end === i;
        push(single ? { ...m, value, line } : { ...m, value, line, multiline: true, endLine: lines[end].line });
        i = end;
        continue;
      }
    }
    const at = findLineComment(text);
    if (at > 0 && text.slice(0, at).trim() !== '') {
      const m = readMarker(text.slice(at + 2).trimStart());
      // after code on its line, `// => atan(1.0)` is a remark (stdlib); only mathjs's words annotate there
      if (m && (m.kind === 'returns' || m.kind === 'throws' || m.marker.endsWith('outputs')) && depth.closes(text.slice(0, at))) {
        code.push({ text: text.slice(0, at).trimEnd(), line });
        push({ ...m, line, sameLine: true });
        continue;
      }
    }
    depth.scan(text);
    code.push(lines[i]);
  }
  return { examples, pending: trimmed(code), errors };
}

/**
 * How deep in brackets the code so far is, read line by line: strings, template literals and comments
 * do not count. Enough for documentation code; a wrong count only keeps annotations from being read.
 */
class Nesting {
  private depth = 0;
  private inBlockComment = false;
  private inTemplate = false;

  open(): boolean {
    return this.depth > 0 || this.inBlockComment || this.inTemplate;
  }

  /** Whether the code would be at depth 0 after `text` (without recording it). */
  closes(text: string): boolean {
    const saved = [this.depth, this.inBlockComment, this.inTemplate] as const;
    this.scan(text);
    const closed = !this.open();
    [this.depth, this.inBlockComment, this.inTemplate] = saved;
    return closed;
  }

  scan(text: string): void {
    let quote = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.inBlockComment) {
        if (c === '*' && text[i + 1] === '/') {
          this.inBlockComment = false;
          i++;
        }
      } else if (this.inTemplate) {
        if (c === '\\') i++;
        else if (c === '`') this.inTemplate = false;
      } else if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = '';
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '`') this.inTemplate = true;
      else if (c === '/' && text[i + 1] === '/') return;
      else if (c === '/' && text[i + 1] === '*') {
        this.inBlockComment = true;
        i++;
      } else if (c === '(' || c === '[' || c === '{') this.depth++;
      else if ((c === ')' || c === ']' || c === '}') && this.depth > 0) this.depth--;
    }
  }
}

/** A setup example: code that runs for the examples after it; nothing is compared. */
export function setupExample(code: CodeLine[]): Example | undefined {
  return trimmed(code).length === 0 ? undefined : annotatedExample(code, []);
}
