// --debug's REPL on failure: opens in the example's namespace and `.exit` goes on.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { openRepl } from '../runner/serial/debug-repl.js';

describe('debug REPL', () => {
  it('evaluates in the namespace of the failing example and resolves on .exit', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d) => (text += d));
    let calls = 0;
    const namespace = { A: 41, get live() { return ++calls; } };
    const done = openRepl(namespace, 'File "a.md", line 7, failed', { input, output, terminal: false });
    input.write('A + 1\n');
    input.write('live + live\n');
    input.write('.exit\n');
    await done;
    assert.match(text, /^File "a\.md", line 7, failed\n/);
    assert.match(text, /42/);
    assert.match(text, /3/, 'getters stay live');
  });
});
