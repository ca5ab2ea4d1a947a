// NODE_EXTRA_CA_CERTS, deferred in workers. Node reads and parses that file when the process starts; with
// a system bundle there (CI machines often set it) that is ~50 ms of every worker's boot, for
// certificates an example rarely needs. So a worker starts
// without it, puts it back in its environment (examples and the processes they start see it unchanged),
// and adds the same certificates the first time a TLS context is made with the default CAs — where Node
// would have used them.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type * as Tls from 'node:tls';

const DEFERRED = 'MTEST_DEFERRED_EXTRA_CA_CERTS';

/** Parent: the worker's environment with NODE_EXTRA_CA_CERTS deferred (unchanged when it is not set). */
export function deferExtraCaCerts(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) return env;
  return { ...env, NODE_EXTRA_CA_CERTS: '', [DEFERRED]: file };
}

/** Worker, first thing: restore the variable and teach `tls` its certificates, read on first use. */
export function restoreExtraCaCerts(): void {
  const file = process.env[DEFERRED];
  if (!file) return;
  delete process.env[DEFERRED];
  process.env.NODE_EXTRA_CA_CERTS = file;
  // An unreadable file is reported now, as Node would at start, not in the middle of some example's output.
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    warnIgnored(file, error);
    return;
  }
  const tls = createRequire(import.meta.url)('node:tls') as typeof Tls;
  const create = tls.createSecureContext;
  let extra: string | null | undefined;
  // tls.connect, https and fetch all make their contexts through the module's createSecureContext.
  tls.createSecureContext = function (options?: Tls.SecureContextOptions): Tls.SecureContext {
    if (options?.ca === undefined) {
      extra ??= readCerts(file);
      if (extra) options = { ...options, ca: [...tls.rootCertificates, extra] };
    }
    return create.call(this, options);
  };
}

function readCerts(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    warnIgnored(file, error);
    return null;
  }
}

/** What Node itself does when the file cannot be read: warn and go on without it. */
function warnIgnored(file: string, error: unknown): void {
  process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(error as Error).message}`);
}
