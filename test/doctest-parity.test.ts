// For `>>>` text our extraction must equal Python's doctest.DocTestParser: same source, want and
// line for every example, and an error wherever Python raises ValueError.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseExamples } from '../src/parsing/examples.js';
import { skipBecause } from './process-helpers.js';

/** Texts on which Python parses without error. */
const VALID: Record<string, string> = {
  simple: '>>> 1 + 1\n2\n',
  'want at end of text without newline': 'Intro.\n>>> print("a")\na',
  'indented prompt, want dedented': 'Text\n\n    >>> x = 1\n    >>> x\n    1\n\nMore text.\n',
  'whole text indented (common indentation)': '    >>> 1\n    1\n      >>> 2\n      2\n',
  'continuation lines keep relative indentation': '>>> def f(x):\n...     return x\n... \n>>> f(3)\n3\n',
  'bare continuation prompt': '>>> [1,\n...\n...  2]\n[1, 2]\n',
  'blank line ends the want': '>>> print("a\\n\\nb")\na\n\nb\n',
  'BLANKLINE stays': '>>> print("a\\n\\nb")\na\n<BLANKLINE>\nb\n',
  'back to back': '>>> 1\n1\n>>> 2\n2\n>>> 3\n>>> 4\n4\n',
  'line of spaces ends the want': '>>> 1\n1\n   \n2\n>>> 3\n3\n  \n',
  'trailing whitespace kept in want and source': '>>> x   \n1   \n  2  \n',
  'want more indented than prompt': '  >>> f()\n      deep\n  shallow\n',
  'tabs expanded': '\t>>> 1\n\t1\n>>> 2\n2\t3\n',
  'bare prompt is not an example': '>>>\n>>> 5\n5\n>>>   \nignored\n',
  'ellipsis output line is taken as continuation': '>>> x\n...\n>>> y\n... z\n',
  'prompt-like text mid-line': 'a >>> b\n>>> 1\n>>> is the prompt\n1\n',
  'prose between examples': 'Some words.\n\n>>> a\nb\nc\nMore words\n\nand then\n  >>> d\n  e\n',
  'code fence is output for Python': '```\n>>> 1\n1\n```\n',
  'unicode': '>>> "é"\n\'é\'\n>>> "𝔸"\n\'𝔸\'\n',
  'nothing': 'just prose\n',
  empty: '',
  'only newlines': '\n\n\n',
  'deep indentation change between examples': '>>> a\nA\n        >>> b\n        B\n    >>> c\n    C\n',
};

/** Texts on which Python raises ValueError (we report an error and skip the example). */
const INVALID: Record<string, string> = {
  'want indented less than prompt': '  >>> 1\n 1\n',
  'no space after prompt': '>>>1\n',
  'no space after continuation': '>>> [1,\n...2]\n',
  'continuation indented more': '>>> [1,\n  ... 2]\n',
  'continuation indented less': '  >>> [1,\n ... 2]\n',
};

interface PythonExample {
  source: string;
  want: string;
  lineno: number;
  indent: number;
}

type PythonResult = PythonExample[] | { error: string };

const SCRIPT = `
import doctest, json, sys
out = []
for text in json.load(sys.stdin):
    try:
        out.append([{'source': e.source, 'want': e.want, 'lineno': e.lineno, 'indent': e.indent}
                     for e in doctest.DocTestParser().get_examples(text)])
    except ValueError as error:
        out.append({'error': str(error)})
json.dump(out, sys.stdout)
`;

function runPython(texts: string[]): PythonResult[] | undefined {
  const run = spawnSync('python3', ['-c', SCRIPT], { input: JSON.stringify(texts), encoding: 'utf8' });
  if (run.error || run.status !== 0) return undefined;
  return JSON.parse(run.stdout) as PythonResult[];
}

describe('doctest parity: >>> extraction equals Python doctest.DocTestParser', function () {
  const names = [...Object.keys(VALID), ...Object.keys(INVALID)];
  let python: Map<string, PythonResult> | undefined;

  before(function () {
    const results = runPython(names.map((name) => VALID[name] ?? INVALID[name]));
    if (!results) {
      skipBecause(this, 'python3 is not installed: nothing to compare with');
    }
    python = new Map(names.map((name, i) => [name, results[i]]));
  });

  for (const [name, text] of Object.entries(VALID)) {
    it(name, () => {
      const expected = python!.get(name)!;
      assert.ok(Array.isArray(expected), `Python rejected the text: ${JSON.stringify(expected)}`);
      const ours = parseExamples(text, 1, { file: 't.txt' });
      assert.deepEqual(ours.errors, []);
      // Python's source always ends with '\n' (ours never adds one) and its lineno is 0-based.
      const converted = ours.examples.map((e) => ({
        source: e.source.endsWith('\n') ? e.source : e.source + '\n',
        want: e.want,
        lineno: e.line - 1,
        indent: e.indent,
      }));
      assert.deepEqual(converted, expected);
    });
  }

  for (const [name, text] of Object.entries(INVALID)) {
    it(`error: ${name}`, () => {
      const expected = python!.get(name)!;
      assert.ok(!Array.isArray(expected), 'Python accepted the text');
      const ours = parseExamples(text, 1, { file: 't.txt' });
      assert.deepEqual(ours.examples, []);
      assert.equal(ours.errors.length, 1);
      // Python names the line within the docstring, 1-based, as we do.
      const pythonLine = Number(/line (\d+)/.exec(expected.error)?.[1]);
      assert.equal(ours.errors[0].line, pythonLine, expected.error);
    });
  }
});
