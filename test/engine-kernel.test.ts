// The choice of OpenBLAS kernels: the decision from what a probe found (injected), the probe itself on
// this machine (real child processes), and how a stored decision is applied when the addon loads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  candidatesFor, choiceAtLoad, coreLevel, currentKey, decide, DECISION_FILE, failedDecision, MAX_REL_DIFF, probe, readCpu, sameKey, spawnChild,
  type ChildReport, type CpuFacts, type DecisionKey, type KernelDecision,
} from '../src/engine/kernel.js';
import { ADDON } from '../src/engine/native.js';
import { packageRoot } from '../src/package-root.js';
import { skipBecause } from './process-helpers.js';

const AVX512: CpuFacts = { arch: 'x64', model: 'Intel Xeon (family 6 model 207)', flags: ['avx', 'avx2', 'fma', 'avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl', 'sse4_2'] };
const AVX2: CpuFacts = { arch: 'x64', model: 'AMD EPYC', flags: ['avx', 'avx2', 'fma', 'sse4_2'] };
const KEY: DecisionKey = { cpu: 'x', library: '/lib/libopenblas.so.0', libraryTarget: '/lib/libopenblas.so.0', libraryStamp: '1:1', ldLibraryPath: '', addonStamp: '1:1' };
const CONFIG = 'OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64';

/** A fake child: every case is one array, scaled by `skew` (1 = the same numbers as the reference). */
function fakeRunner(defaultCore: string, known: string[], skew: Record<string, number> = {}) {
  const asked: (string | undefined)[] = [];
  const run = (coretype: string | undefined): ChildReport => {
    asked.push(coretype);
    const core = coretype === undefined ? defaultCore : known.includes(coretype) ? coretype : defaultCore;
    const f = skew[core] ?? 1;
    const results = new Map([['dgemm 3x3', Float64Array.from([1, 2, 3].map((x) => x * f))], ['dsyevd 2x2 values', Float64Array.from([1, 2])]]);
    return { config: CONFIG.replace('Prescott', core), core, library: '/lib/libopenblas.so.0', results };
  };
  return { run, asked };
}

describe('engine: BLAS kernel choice', () => {
  describe('decision from injected probe results', () => {
    it('ranks core names and proposes only kernels the CPU can run, better than the pick', () => {
      assert.equal(coreLevel('Prescott'), 1);
      assert.equal(coreLevel('SKYLAKEX'), 4);
      assert.equal(coreLevel('FutureLake'), undefined);
      assert.deepEqual(candidatesFor(AVX512, 'Prescott'), ['SkylakeX', 'Haswell', 'Sandybridge']);
      assert.deepEqual(candidatesFor({ ...AVX512, flags: [...AVX512.flags, 'avx512_bf16'] }, 'Haswell'), ['Cooperlake', 'SkylakeX']);
      assert.deepEqual(candidatesFor(AVX2, 'Nehalem'), ['Haswell', 'Sandybridge']);
      assert.deepEqual(candidatesFor(AVX2, 'Zen'), [], 'the pick already matches the CPU');
      assert.deepEqual(candidatesFor(AVX512, 'FutureLake'), [], 'a name this table does not know is never second-guessed');
      assert.deepEqual(candidatesFor({ ...AVX512, arch: 'arm64' }, 'Prescott'), []);
    });

    it('a fallback with a passing candidate: the candidate is chosen, and the reason says why', () => {
      const { run, asked } = fakeRunner('Prescott', ['SkylakeX', 'Haswell']);
      const d = probe({ cpu: AVX512, run, root: packageRoot() });
      assert.deepEqual(asked, [undefined, 'SkylakeX'], 'the library default first, then the best candidate; stops at the first that passes');
      assert.equal(d.coretype, 'SkylakeX');
      assert.equal(d.defaultCore, 'Prescott');
      assert.equal(d.library, 'OpenBLAS 0.3.21');
      assert.match(d.reason, /generic Prescott kernels .*AVX-512.*SkylakeX passed the self-test \(max relative difference 0\.0e\+0\)/);
    });

    it('a failing self-test keeps the default and names the case; a lesser kernel that passes may still be chosen', () => {
      const skewed = fakeRunner('Prescott', ['SkylakeX'], { SkylakeX: 1 + 1e-9 });
      const d = probe({ cpu: AVX512, run: skewed.run, root: packageRoot() });
      assert.equal(d.coretype, null);
      assert.match(d.reason, /falls back to Prescott .*kept: SkylakeX: self-test failed \(dgemm 3x3 differs by 1\.0e-9 > 1\.0e-12\); Haswell: this OpenBLAS does not have it \(ran Prescott\)/);

      const second = fakeRunner('Prescott', ['SkylakeX', 'Haswell'], { SkylakeX: 1 + 1e-9 });
      const d2 = probe({ cpu: AVX512, run: second.run, root: packageRoot() });
      assert.equal(d2.coretype, 'Haswell');
      assert.match(d2.reason, /Haswell passed the self-test.*SkylakeX: self-test failed/);
    });

    it('a child that crashes, or a difference that is not a number, never selects a kernel', () => {
      const d = decide(
        {
          cpu: AVX512, config: CONFIG, defaultCore: 'Prescott',
          candidates: [{ name: 'SkylakeX', ran: '', error: 'probe child failed: killed by SIGILL' }, { name: 'Haswell', ran: 'Haswell', maxRelDiff: NaN, worstCase: 'dgesv 4x4' }],
        },
        KEY,
      );
      assert.equal(d.coretype, null);
      assert.match(d.reason, /SkylakeX: probe child failed: killed by SIGILL; Haswell: self-test failed \(dgesv 4x4 differs by NaN/);
    });

    it('a set OPENBLAS_CORETYPE is never changed, even empty; otherwise the decision applies', () => {
      const chosen: KernelDecision = { format: 1, key: KEY, library: 'OpenBLAS 0.3.21', defaultCore: 'Prescott', coretype: 'SkylakeX', reason: 'because', candidates: [] };
      assert.deepEqual(choiceAtLoad({ OPENBLAS_CORETYPE: 'Prescott' }, chosen), { source: 'user', libraryPick: 'Prescott', reason: 'OPENBLAS_CORETYPE=Prescott is set, and a set value is never changed' });
      assert.equal(choiceAtLoad({ OPENBLAS_CORETYPE: '' }, chosen).apply, undefined);
      assert.deepEqual(choiceAtLoad({}, chosen), { apply: 'SkylakeX', source: 'mtest', libraryPick: 'Prescott', reason: 'because' });
      assert.deepEqual(choiceAtLoad({}, { ...chosen, coretype: null }), { source: 'library', libraryPick: 'Prescott', reason: 'because' });
      assert.equal(choiceAtLoad({}, undefined, 'probe failed').reason, 'probe failed');
    });
  });

  it('a probe that fails is stored as such (library pick, the reason), so loads do not probe again', () => {
    const d = failedDecision(packageRoot(), 'probe child failed: killed by SIGSEGV');
    assert.equal(d.coretype, null);
    assert.ok(sameKey(d.key, currentKey(packageRoot(), d.key.library)), 'matches the next load while nothing changes');
    assert.deepEqual(choiceAtLoad({}, d), { source: 'library', libraryPick: '', reason: 'the kernel probe failed (probe child failed: killed by SIGSEGV); the library picks the kernels' });
  });

  describe('the probe on this machine (real child processes)', function () {
    this.timeout(120000);
    const cpu = readCpu();

    it('concludes as the CPU says: keep a pick that matches it, or use a better kernel that passed the self-test', () => {
      const d = probe();
      const rank = coreLevel(d.defaultCore);
      if (candidatesFor(cpu, d.defaultCore).length === 0) {
        assert.equal(d.coretype, null, d.reason);
        if (rank !== undefined && cpu.arch === 'x64') assert.match(d.reason, /which matches this CPU/);
      } else if (d.coretype) {
        const c = d.candidates.find((x) => x.name === d.coretype)!;
        assert.ok(c.maxRelDiff !== undefined && c.maxRelDiff <= MAX_REL_DIFF, d.reason);
      }
      assert.equal(d.key.library.length > 0, true, 'the OpenBLAS file is part of the key');
    });

    // A machine whose OpenBLAS knows the CPU is made to look like one that does not: the baseline child
    // runs with OPENBLAS_CORETYPE=Prescott (given to that child explicitly), as the library's own pick.
    it('a simulated Prescott fallback on an AVX2+FMA CPU picks Haswell after a real self-test', function () {
      if (cpu.arch !== 'x64' || !['avx', 'avx2', 'fma'].every((f) => cpu.flags.includes(f)) || cpu.flags.includes('avx512f')) skipBecause(this, 'needs an x64 CPU with AVX2 and FMA but without AVX-512');
      const d = probe({ baseline: 'Prescott' });
      assert.equal(d.defaultCore, 'Prescott');
      assert.equal(d.coretype, 'Haswell', d.reason);
      const c = d.candidates[0];
      assert.ok(c.maxRelDiff! > 0 && c.maxRelDiff! <= MAX_REL_DIFF, `Prescott and Haswell round differently but agree: ${c.maxRelDiff}`);
    });

    it('real kernels whose results are off by 1e-9 keep the default, with the reason', function () {
      if (cpu.arch !== 'x64' || !cpu.flags.includes('avx')) skipBecause(this, 'needs an x64 CPU with AVX');
      const run = (coretype: string | undefined): ChildReport => {
        const r = spawnChild(coretype);
        if (coretype !== 'Prescott') for (const a of r.results.values()) for (let i = 0; i < a.length; i++) a[i] *= 1 + 1e-9;
        return r;
      };
      const d = probe({ baseline: 'Prescott', run });
      assert.equal(d.coretype, null);
      assert.match(d.reason, /kept: .*self-test failed \(\w+ .* differs by 1\.0e-9 > 1\.0e-12\)/);
    });
  });

  describe('applying the decision at load', function () {
    this.timeout(60000);
    let root: string;
    const lib = (execFileSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(path.join(packageRoot(), ADDON))}).libraryPath())`], { encoding: 'utf8' }));

    before(() => {
      // A copy of mtest's layout holding only what loading needs, so the stored decision can be forged.
      root = mkdtempSync(path.join(os.tmpdir(), 'mtest-kernel-'));
      mkdirSync(path.join(root, 'build', 'Release'), { recursive: true });
      copyFileSync(path.join(packageRoot(), ADDON), path.join(root, ADDON));
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    /** Loads the copied addon in a fresh node; `coretype` is given to that child explicitly (or removed). */
    function loadIn(coretype: string | undefined): { core: string; env?: string } {
      const nativeUrl = pathToFileURL(path.join(packageRoot(), 'dist', 'src', 'engine', 'native.js')).href;
      const script = `import(${JSON.stringify(nativeUrl)}).then((N) => { const a = N.loadAddon(${JSON.stringify(root)}); process.stdout.write(JSON.stringify({ core: a.config()[1], env: process.env.OPENBLAS_CORETYPE, choice: N.kernelChoice() })); })`;
      const env = { ...process.env };
      delete env.OPENBLAS_CORETYPE;
      if (coretype !== undefined) env.OPENBLAS_CORETYPE = coretype;
      return JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }));
    }

    function forge(coretype: string | null, key: DecisionKey = currentKey(root, lib)): void {
      const d: KernelDecision = { format: 1, key, library: 'OpenBLAS', defaultCore: 'Zen', coretype, reason: 'forged by the test', candidates: [] };
      writeFileSync(path.join(root, DECISION_FILE), JSON.stringify(d));
    }

    it('runs the stored kernel when OPENBLAS_CORETYPE is unset, and leaves the environment unset', function () {
      if (readCpu().arch !== 'x64') skipBecause(this, 'needs an x64 CPU');
      forge('Sandybridge');
      const r = loadIn(undefined) as { core: string; env?: string; choice: { source: string; reason: string } };
      assert.equal(r.core, 'Sandybridge');
      assert.equal(r.env, undefined);
      assert.deepEqual([r.choice.source, r.choice.reason], ['mtest', 'forged by the test']);
    });

    it('a user value wins over the stored kernel', function () {
      if (readCpu().arch !== 'x64') skipBecause(this, 'needs an x64 CPU');
      forge('Sandybridge');
      const r = loadIn('Prescott') as { core: string; env?: string; choice: { source: string } };
      assert.equal(r.core, 'Prescott');
      assert.equal(r.env, 'Prescott');
      assert.equal(r.choice.source, 'user');
    });

    it('a decision made for another library file is not applied: the probe runs again and replaces it', () => {
      forge('Sandybridge', { ...currentKey(root, lib), libraryStamp: '0:0' });
      const r = loadIn(undefined) as { core: string; choice: { source: string; reason: string } };
      assert.notEqual(r.core, 'Sandybridge');
      assert.notEqual(r.choice.reason, 'forged by the test');
    });
  });
});
