// The kernel probe's processes (see kernel.ts).
//
//   node kernel-probe.js --write [ROOT]   probe and write ROOT/build/Release/blas-kernel.json (ROOT: mtest's root)
//   node kernel-probe.js --show           probe and print the decision, writing nothing
//   node kernel-probe.js --child          load the addon as the environment says, run the self-test, print JSON
//
// --baseline NAME (with --write or --show) treats kernel NAME as the library's own pick.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { failedDecision, probe, selfTest, writeDecision, type SelfTestEngine } from './kernel.js';
import { ADDON, requireAddon } from './native.js';

function child(): void {
  // The raw addon: the stored decision must not steer the kernels being compared.
  const e = requireAddon(path.join(packageRoot(), ADDON)) as SelfTestEngine & { config(): [string, string, number]; libraryPath(): string };
  const [config, core] = e.config();
  // Asked for a kernel this library does not have: nothing to test (the parent rejects it by name).
  const asked = process.env.OPENBLAS_CORETYPE;
  const ran = asked === undefined || asked.toLowerCase() === core.trim().toLowerCase();
  const results = [...(ran ? selfTest(e) : [])].map(([name, a]) => [name, Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')]);
  process.stdout.write(JSON.stringify({ config, core: core.trim(), library: e.libraryPath(), results }));
}

/** The OpenBLAS file the addon loads, asked of a child (the addon may be what fails); '' when unknown. */
function libraryFile(): string {
  const addon = JSON.stringify(path.join(packageRoot(), ADDON));
  const r = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${addon}).libraryPath())`], { encoding: 'utf8', timeout: 30000 });
  return r.status === 0 ? r.stdout : '';
}

function main(argv: string[]): number {
  const mode = argv[0];
  if (mode === '--child') {
    child();
    return 0;
  }
  const at = argv.indexOf('--baseline');
  const baseline = at >= 0 ? argv[at + 1] : undefined;
  if (mode === '--write' || mode === '--show') {
    const root = argv[1] && !argv[1].startsWith('--') ? path.resolve(argv[1]) : packageRoot();
    let decision;
    try {
      decision = probe({ baseline, root });
    } catch (err) {
      if (mode !== '--write') throw err;
      decision = failedDecision(root, String((err as Error)?.message ?? err), libraryFile());
    }
    if (mode === '--write') writeDecision(root, decision);
    process.stdout.write(`${decision.coretype ? `use ${decision.coretype}` : `keep ${decision.defaultCore}`}: ${decision.reason}\n`);
    return 0;
  }
  process.stderr.write('usage: kernel-probe.js --write [ROOT] | --show [--baseline NAME] | --child\n');
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`kernel probe: ${String((err as Error)?.message ?? err)}\n`);
  process.exitCode = 1;
}
