// NODE_EXTRA_CA_CERTS in workers: deferred past boot (runner/extra-ca.ts), yet an example that opens a TLS
// connection with the default CAs trusts the extra certificates exactly as Node would have.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { loadSource } from '../src/sources/index.js';
import { runFiles } from './fault-helpers.js';

const TLS = fileURLToPath(new URL('../../test/fixtures/tls/', import.meta.url));

/**
 * For the enclosing describe: a loopback TLS server with the fixture's self-signed certificate and a scratch
 * folder, made before its tests and removed after them.
 */
function tlsFixture(): { port: () => number; dir: () => string } {
  let server: tls.Server;
  let dir = '';
  let port = 0;
  before(async () => {
    server = tls.createServer({ key: fs.readFileSync(TLS + 'key.pem'), cert: fs.readFileSync(TLS + 'cert.pem') }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    dir = fs.mkdtempSync(join(tmpdir(), 'mtest-ca-'));
  });
  after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { port: () => port, dir: () => dir };
}

/** An example that connects to the fixture server with the default CAs and shows whether it was trusted. */
function connectExample(port: number): string {
  return `    sage: await new Promise((resolve) => { const s = tls.connect({ host: "127.0.0.1", port: ${port} }, () => { resolve(s.authorized); s.destroy(); }); s.on("error", (e) => resolve(e.code)); })`;
}

describe('NODE_EXTRA_CA_CERTS in workers', function () {
  this.timeout(20000);
  const fixture = tlsFixture();

  function doc(): string {
    const path = join(fixture.dir(), 'tls.md');
    fs.writeFileSync(
      path,
      [
        '    sage: const tls = await import("node:tls")',
        connectExample(fixture.port()),
        '    true',
        '    sage: process.env.NODE_EXTRA_CA_CERTS?.endsWith("cert.pem")',
        '    true',
        '',
      ].join('\n'),
    );
    return path;
  }

  it('an example trusts the extra certificates, and sees the variable unchanged', async () => {
    const file = loadSource(doc())!;
    const run = await runFiles([file], { jobs: 1 }, { env: { NODE_EXTRA_CA_CERTS: TLS + 'cert.pem' } });
    const results = [...run.record(file).results.values()];
    assert.deepEqual(results.map((r) => r.status), ['passed', 'passed', 'passed'], JSON.stringify(results));
  });

  it('an unreadable file: the warning comes at the worker\'s start, not inside an example\'s output', async () => {
    const file = loadSource(doc())!;
    const run = await runFiles([file], { jobs: 1 }, { env: { NODE_EXTRA_CA_CERTS: join(fixture.dir(), 'missing.pem') } });
    const results = [...run.record(file).results.values()];
    assert.equal(results[1].status, 'failed');
    assert.match(results[1].got ?? '', /SELF_SIGNED|UNABLE_TO_VERIFY/);
    assert.doesNotMatch(results[1].got ?? '', /Ignoring extra certs/);
  });

  it('without the variable the same connection is refused (the test above can fail)', async () => {
    const file = loadSource(doc())!;
    const run = await runFiles([file], { jobs: 1 }, { env: { NODE_EXTRA_CA_CERTS: '' } });
    const results = [...run.record(file).results.values()];
    assert.equal(results[1].status, 'failed');
    assert.match(results[1].got ?? '', /SELF_SIGNED|UNABLE_TO_VERIFY/);
  });
});

describe('NODE_EXTRA_CA_CERTS in mtest itself (the launcher)', function () {
  this.timeout(30000);
  const BIN = fileURLToPath(new URL('../../bin/mtest.js', import.meta.url));
  const fixture = tlsFixture();

  before(() => {
    fs.writeFileSync(
      join(fixture.dir(), 'tls.md'),
      [
        // What the process was started with: the launcher handed the bundle over under another name.
        '    sage: const started = require("node:fs").readFileSync("/proc/self/environ", "latin1").split("\\0")',
        '    sage: started.some((v) => v.startsWith("MTEST_DEFERRED_EXTRA_CA_CERTS=") && v.endsWith("cert.pem"))',
        '    true',
        '    sage: process.env.NODE_EXTRA_CA_CERTS?.endsWith("cert.pem")',
        '    true',
        '    sage: const tls = await import("node:tls")',
        connectExample(fixture.port()),
        '    true',
        '',
      ].join('\n'),
    );
  });

  for (const mode of [['--serial'], ['-p', '1']]) {
    it(`executed as a command (${mode.join(' ')}): Node starts without the bundle; examples see it and trust its certificates`, async () => {
      const { spawn } = await import('node:child_process');
      // The examples need `require`: give them Node's module helpers through a tiny prelude.
      fs.writeFileSync(join(fixture.dir(), 'prelude.mjs'), 'import { createRequire } from "node:module";\nexport const require = createRequire(import.meta.url);\n');
      const child = spawn(BIN, [...mode, '--prelude', './prelude.mjs', 'tls.md'], {
        cwd: fixture.dir(),
        env: { ...process.env, NODE_EXTRA_CA_CERTS: TLS + 'cert.pem' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (out += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, out);
      assert.ok(out.trimEnd().endsWith('5 passed, 0 failed, 0 skipped'), out);
    });
  }
});
