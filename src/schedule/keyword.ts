// `-k PATTERN`, as pytest reads it: words matched as case-insensitive substrings of a block's names (its
// own name, its file's path), combined with `not`, `and`, `or` and parentheses; `not` binds tightest,
// then `and`, then `or`.

export type KeywordMatcher = (names: readonly string[]) => boolean;

export class KeywordError extends Error {}

type Token = { kind: 'word'; text: string; at: number } | { kind: '(' | ')' | 'not' | 'and' | 'or' | 'end'; at: number };

function tokens(pattern: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:([()])|([^\s()]+))/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(pattern)) !== null && m[0].length > 0) {
    const at = m.index + m[0].length - (m[1] ?? m[2]).length;
    if (m[1]) out.push({ kind: m[1] as '(' | ')', at });
    else if (m[2] === 'not' || m[2] === 'and' || m[2] === 'or') out.push({ kind: m[2], at });
    else out.push({ kind: 'word', text: m[2].toLowerCase(), at });
  }
  out.push({ kind: 'end', at: pattern.length });
  return out;
}

/** The matcher for `pattern`; a KeywordError with one line (and the column) when it is not an expression. */
export function parseKeyword(pattern: string): KeywordMatcher {
  const list = tokens(pattern);
  let k = 0;
  const fail = (what: string): never => {
    const token = list[k];
    throw new KeywordError(`-k '${pattern}': ${what} at column ${token.at + 1}`);
  };
  const or = (): KeywordMatcher => {
    let left = and();
    while (list[k].kind === 'or') {
      k++;
      const [a, b] = [left, and()];
      left = (names) => a(names) || b(names);
    }
    return left;
  };
  const and = (): KeywordMatcher => {
    let left = not();
    while (list[k].kind === 'and') {
      k++;
      const [a, b] = [left, not()];
      left = (names) => a(names) && b(names);
    }
    return left;
  };
  const not = (): KeywordMatcher => {
    const token = list[k];
    if (token.kind === 'not') {
      k++;
      const inner = not();
      return (names) => !inner(names);
    }
    if (token.kind === '(') {
      k++;
      const inner = or();
      if (list[k].kind !== ')') fail("expected ')'");
      k++;
      return inner;
    }
    if (token.kind === 'word') {
      k++;
      const word = token.text;
      return (names) => names.some((name) => name.toLowerCase().includes(word));
    }
    return fail(token.kind === 'end' ? 'expected a word, got the end' : `expected a word, got '${token.kind}'`);
  };
  if (list[0].kind === 'end') throw new KeywordError('-k needs a pattern (a word, or words with not, and, or)');
  const matcher = or();
  if (list[k].kind !== 'end') fail(`unexpected '${list[k].kind === 'word' ? (list[k] as { text: string }).text : list[k].kind}'`);
  return matcher;
}
