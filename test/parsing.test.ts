// parseExamples (sage: prompts, block-scoped directives, errors) and the JavaScript lexer behind comments.
import assert from 'node:assert/strict';
import type { Example } from '../src/model.js';
import { parseExamples, promptSyntax } from '../src/parsing/examples.js';
import { findLineComment, lex } from '../src/parsing/js-lexer.js';

function brief(examples: Example[]): [number, string, string][] {
  return examples.map((e) => [e.line, e.source, e.want]);
}

describe('parsing: examples', () => {
  it('reads sage: prompts, continuation lines and wants, with lines counted from firstLine', () => {
    const text = [
      'Intro', //                          100
      '', //                               101
      '  sage: A = 1 +', //                102
      '  ....:     2', //                  103
      '  sage: A', //                      104
      '  3', //                            105
      '    indented more', //              106
      '  more output', //                  107
      '', //                               108
      'sage: f()', //                      109
    ].join('\n');
    const { examples, errors } = parseExamples(text, 100);
    assert.deepEqual(errors, []);
    assert.deepEqual(brief(examples), [
      [102, 'A = 1 +\n    2', ''],
      [104, 'A', '3\n  indented more\nmore output\n'],
      [109, 'f()', ''],
    ]);
    assert.deepEqual(examples.map((e) => e.indent), [2, 2, 0]);
  });

  it('ends a want at a blank line, the next prompt of any kind, or the end of the text', () => {
    const text = 'sage: 1\n1\n\nsage: 2\n2\n>>> 3\n3\nsage: 4\n4';
    assert.deepEqual(brief(parseExamples(text, 1).examples), [
      [1, '1', '1\n'], [4, '2', '2\n'], [6, '3', '3\n'], [8, '4', '4\n'],
    ]);
  });

  it('keeps <BLANKLINE> in the want (the checker turns it into an empty line)', () => {
    assert.deepEqual(brief(parseExamples('sage: p()\na\n<BLANKLINE>\nb\n', 1).examples), [[1, 'p()', 'a\n<BLANKLINE>\nb\n']]);
  });

  it('takes a bare prompt at the end of a line as an empty source line', () => {
    const text = 'sage: f(\n....:\n....: 1)\n1\nsage:\nnot an example\n';
    assert.deepEqual(brief(parseExamples(text, 1).examples), [[1, 'f(\n\n1)', '1\n']]);
  });

  it('ignores prompt lines that hold only a comment, with their output', () => {
    const text = 'sage: // just a remark\nremark output\nsage: x = 1  // the answer\nsage: x\n1\n';
    const { examples, errors } = parseExamples(text, 1);
    assert.deepEqual(errors, []);
    assert.deepEqual(brief(examples), [[3, 'x = 1  // the answer', ''], [4, 'x', '1\n']]);
    assert.deepEqual(examples[0].directives, { needs: [], errors: [] });
  });

  it('applies a directive on a prompt line of its own to the following examples up to a blank line', () => {
    const text = [
      'sage: // needs blas', //               1
      'sage: a()  // long time', //           2
      'sage: // optional - lapack', //        3
      'sage: b()  // needs extra', //         4
      '', //                                  5
      'sage: c()', //                         6
    ].join('\n');
    const { examples, errors } = parseExamples(text, 1);
    assert.deepEqual(errors, []);
    assert.deepEqual(examples.map((e) => [e.line, e.directives.needs, e.directives.longTime ?? false]), [
      [2, ['blas'], true],
      [4, ['blas', 'lapack', 'extra'], false],
      [6, [], false],
    ]);
  });

  it('carries a bad block-scoped directive to its examples, or reports it when none follows', () => {
    const used = parseExamples('sage: // tol abc\nsage: 1\n1\n', 1);
    assert.deepEqual(used.errors, []);
    assert.equal(used.examples[0].directives.errors.length, 1);
    const unused = parseExamples('text\nsage: // timeout -1\n\nsage: 1\n', 10, { file: 'doc.md' });
    assert.deepEqual(unused.errors.map((e) => [e.file, e.line]), [['doc.md', 11]]);
    assert.deepEqual(unused.examples[0].directives.errors, []);
  });

  it('reports inconsistent indentation at the offending line and skips only that example', () => {
    const text = [
      '    sage: a', //                         1
      '   1', //                                2
      '    sage: b(', //                        3
      '      ....: 2)', //                      4
      '    sage: c', //                         5
      '    3', //                               6
    ].join('\n');
    const { examples, errors } = parseExamples(text, 1, { file: 'f.md' });
    assert.deepEqual(errors.map((e) => [e.file, e.line]), [['f.md', 2], ['f.md', 4]]);
    for (const error of errors) assert.match(error.message, /inconsistent leading whitespace/);
    assert.deepEqual(brief(examples), [[5, 'c', '3\n']]);
  });

  it('reports a prompt without a space after it', () => {
    const { examples, errors } = parseExamples('sage:x\nsage: 1\n', 1);
    assert.deepEqual(errors.map((e) => e.line), [1]);
    assert.match(errors[0].message, /no space after prompt 'sage:'/);
    assert.deepEqual(brief(examples), [[2, '1', '']]);
  });

  it('expands tabs to columns of 8 before reading indentation', () => {
    const { examples, errors } = parseExamples('\tsage: 1\n        1\n', 1);
    assert.deepEqual(errors, []);
    assert.deepEqual(brief(examples), [[1, '1', '1\n']]);
    assert.equal(examples[0].indent, 8);
  });

  it('stops wants at Markdown code fences only when asked', () => {
    const text = '```ts\nsage: 1\n1\n```\n';
    assert.deepEqual(brief(parseExamples(text, 1, { stopAtFences: true }).examples), [[2, '1', '1\n']]);
    assert.deepEqual(brief(parseExamples(text, 1).examples), [[2, '1', '1\n```\n']]);
  });

  it('uses configured prompts only', () => {
    const text = 'sage: 1\n1\nts> 2\n..> + 3\n5\n>>> 4\n';
    assert.deepEqual(brief(parseExamples(text, 1, { prompts: ['ts>'] }).examples), [[3, '2\n+ 3', '5\n>>> 4\n']]);
    assert.deepEqual(brief(parseExamples(text, 1, { prompts: ['>>>'] }).examples), [[6, '4', '']]);
    assert.deepEqual(parseExamples(text, 1, { prompts: [] }).examples, []);
  });

  it('derives continuation prompts', () => {
    assert.deepEqual(promptSyntax('sage:'), { ps1: 'sage:', ps2: '....:' });
    assert.deepEqual(promptSyntax('>>>'), { ps1: '>>>', ps2: '...' });
    assert.deepEqual(promptSyntax('In: ..:'), { ps1: 'In:', ps2: '..:' });
  });

  it('is linear: a large text parses quickly', () => {
    const chunk = 'sage: const x = [1, 2, 3].map((v) => v * 2)  // tol 1e-9\n[ 2, 4, 6 ]\n\n';
    const text = chunk.repeat(20000) + 'x'.repeat(200000) + '\n' + ' '.repeat(100000) + 'sage:';
    const start = process.hrtime.bigint();
    const { examples } = parseExamples(text, 1);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.equal(examples.length, 20000);
    // ~0.2 s on an idle machine; a parse quadratic in the text's length takes minutes on it, so the bound
    // is generous enough for a loaded machine and still catches that.
    assert.ok(ms < 10000, `took ${ms} ms`);
  });
});

describe('parsing: JavaScript lexer', () => {
  it('finds the first // comment outside literals', () => {
    assert.equal(findLineComment('x = 1 // c'), 6);
    assert.equal(findLineComment("s = '//' + \"//\" // c"), 16);
    assert.equal(findLineComment('t = `// ${"//" + `//`} //` // c'), 27);
    assert.equal(findLineComment('r = /\\/\\//g.test(s) // c'), 20);
    assert.equal(findLineComment('r = a / b / c // c'), 14);
    assert.equal(findLineComment('x /* // */ + 1 // c'), 15);
    assert.equal(findLineComment('return /[/]/.test(s)'), -1);
    assert.equal(findLineComment("s = 'unterminated // c"), -1);
    assert.equal(findLineComment('no comment'), -1);
  });

  it('tracks bracket depth through template substitutions', () => {
    const { tokens, comments } = lex('f(`${ {a: 1} }`, { b: [2] }) /* c */');
    const braces = tokens.filter((t) => t.value === '{' || t.value === '}').map((t) => t.depth);
    assert.deepEqual(braces, [2, 2, 1, 1]);
    assert.equal(comments.length, 1);
    assert.equal(comments[0].depth, 0);
    assert.equal(comments[0].ownLine, false);
  });

  it('skips a hashbang line and marks unterminated block comments', () => {
    const { comments } = lex('#!/usr/bin/env node // not a comment\n/* open');
    assert.deepEqual(comments.map((c) => [c.kind, c.start, c.terminated, c.ownLine]), [['block', 37, false, true]]);
  });
});
