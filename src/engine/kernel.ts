// Which OpenBLAS kernels the engine runs. A DYNAMIC_ARCH OpenBLAS picks its kernels from the CPU model
// when it loads; a CPU newer than the library falls back to generic kernels (an AVX-512 server running
// SSE3 "Prescott" code is 4–6× slower on dgemm) although the library has kernels the CPU can run. The
// library reads OPENBLAS_CORETYPE only while it loads, so the choice is made beforehand, in separate
// processes (the probe): what the library picks by itself, which better kernels the CPU's flags allow
// and this library knows, and a self-test of each against the library's own pick. The decision is kept
// next to the addon (blas-kernel.json), keyed by the CPU and the library file, and applied at load only
// when the user has not set OPENBLAS_CORETYPE.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromJson, list, shape, text } from '../checks.js';
import { packageRoot } from '../package-root.js';
import { writeAtomically } from '../util/atomic-write.js';
import { ADDON } from './native.js';

export const CORETYPE_ENV = 'OPENBLAS_CORETYPE';
export const DECISION_FILE = path.join('build', 'Release', 'blas-kernel.json');
/** A candidate whose results differ from the library's own kernels by more than this is not used. */
export const MAX_REL_DIFF = 1e-12;
const FORMAT = 1;

/** The CPU facts the choice depends on. `flags` holds only instruction-set flags (cpuinfo names). */
export interface CpuFacts {
  arch: string;
  model: string;
  flags: string[];
}

/** What the key of a decision is made of: the CPU, and the OpenBLAS file the addon loads. */
export interface DecisionKey {
  cpu: string;
  /** The path the loader found (before symlinks), its target, and the target's size and mtime. */
  library: string;
  libraryTarget: string;
  libraryStamp: string;
  ldLibraryPath: string;
  /** The addon's own size and mtime: a rebuild may link another OpenBLAS. */
  addonStamp: string;
}

export interface CandidateResult {
  name: string;
  /** The kernel the library ran when asked for `name` ('' when the child failed). */
  ran: string;
  /** Largest normwise relative difference to the library's own kernels over all cases. */
  maxRelDiff?: number;
  worstCase?: string;
  error?: string;
}

/** What the probe found, before deciding. */
export interface ProbeFacts {
  cpu: CpuFacts;
  /** openblas_get_config() with the library's own choice, e.g. 'OpenBLAS 0.3.21 … Prescott …'. */
  config: string;
  /** The library's own pick (or the baseline the probe was told to treat as such). */
  defaultCore: string;
  candidates: CandidateResult[];
}

export interface KernelDecision {
  format: number;
  key: DecisionKey;
  library: string;
  defaultCore: string;
  /** The kernel to run instead of the library's own pick; null keeps the library's pick. */
  coretype: string | null;
  reason: string;
  candidates: CandidateResult[];
}

/** Instruction-set levels, as OpenBLAS's x86-64 kernel families need them. */
const enum Level {
  Sse = 1,
  Avx = 2,
  Avx2 = 3,
  Avx512 = 4,
}

const LEVEL_NAMES: Record<number, string> = { 1: 'SSE', 2: 'AVX', 3: 'AVX2+FMA', 4: 'AVX-512' };

/** OpenBLAS's x86-64 core names (lower case) and the instruction set their kernels use. */
const CORE_LEVEL: Record<string, Level> = {
  unknown: Level.Sse, katmai: Level.Sse, coppermine: Level.Sse, northwood: Level.Sse, prescott: Level.Sse,
  banias: Level.Sse, atom: Level.Sse, core2: Level.Sse, penryn: Level.Sse, dunnington: Level.Sse,
  nehalem: Level.Sse, athlon: Level.Sse, opteron: Level.Sse, opteron_sse3: Level.Sse, barcelona: Level.Sse,
  nano: Level.Sse, bobcat: Level.Sse,
  sandybridge: Level.Avx, bulldozer: Level.Avx, piledriver: Level.Avx, steamroller: Level.Avx,
  haswell: Level.Avx2, zen: Level.Avx2, excavator: Level.Avx2,
  skylakex: Level.Avx512, cooperlake: Level.Avx512, sapphirerapids: Level.Avx512,
};

/** Better kernels, best first, each with the flags it needs beyond its level. */
const CANDIDATES: { name: string; level: Level; needs: string[] }[] = [
  { name: 'SapphireRapids', level: Level.Avx512, needs: ['avx512_bf16', 'amx_tile', 'avx512_fp16'] },
  { name: 'Cooperlake', level: Level.Avx512, needs: ['avx512_bf16'] },
  { name: 'SkylakeX', level: Level.Avx512, needs: [] },
  { name: 'Haswell', level: Level.Avx2, needs: [] },
  { name: 'Sandybridge', level: Level.Avx, needs: [] },
];

const ISA_FLAG = /^(sse\d?|ssse3|sse4_[12]|sse4a|pni|avx.*|fma4?|amx.*|f16c|bmi[12])$/;

function cpuLevel(flags: readonly string[]): Level {
  const has = (f: string) => flags.includes(f);
  if (['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every(has)) return Level.Avx512;
  if (has('avx2') && has('fma') && has('avx')) return Level.Avx2;
  if (has('avx')) return Level.Avx;
  return Level.Sse;
}

/** The instruction-set level of an OpenBLAS core name; undefined for a name this table does not know. */
export function coreLevel(name: string): number | undefined {
  return CORE_LEVEL[name.trim().toLowerCase()];
}

/** Kernels worth trying on `cpu` instead of `defaultCore`, best first (none when the pick is not generic). */
export function candidatesFor(cpu: CpuFacts, defaultCore: string): string[] {
  if (cpu.arch !== 'x64') return [];
  const have = coreLevel(defaultCore);
  if (have === undefined) return [];
  const can = cpuLevel(cpu.flags);
  return CANDIDATES.filter((c) => c.level <= can && c.level > have && c.needs.every((f) => cpu.flags.includes(f))).map((c) => c.name);
}

/** The CPU's model and instruction-set flags (the first processor of /proc/cpuinfo on Linux). */
export function readCpu(): CpuFacts {
  if (process.platform !== 'linux') return { arch: process.arch, model: os.cpus()[0]?.model?.trim() ?? '', flags: [] };
  let flags: string[] = [];
  let model = '';
  {
    // Only the first processor's entry is needed: read the start, not every core's entry.
    let text = '';
    try {
      const fd = openSync('/proc/cpuinfo', 'r');
      try {
        const buf = Buffer.alloc(16384);
        const n = readSync(fd, buf, 0, buf.length, null);
        text = buf.toString('latin1', 0, n);
      } finally {
        closeSync(fd);
      }
    } catch {
      // no cpuinfo: no flags, no candidates
    }
    const line = /^(?:flags|Features)\s*:(.*)$/m.exec(text)?.[1] ?? '';
    flags = line.trim().split(/\s+/).filter((f) => ISA_FLAG.test(f)).sort();
    // os.cpus() would read every core's entry (and /proc/stat) for the same name.
    model = (/^(?:model name|Processor|cpu model)\s*:(.*)$/m.exec(text)?.[1] ?? '').trim();
  }
  return { arch: process.arch, model, flags };
}

function stamp(file: string): { target: string; stamp: string } {
  try {
    const target = realpathSync(file);
    const st = statSync(target);
    return { target, stamp: `${st.size}:${Math.round(st.mtimeMs)}` };
  } catch {
    return { target: '', stamp: 'missing' };
  }
}

/** The key a decision made now would carry, for the addon under `root` loading OpenBLAS from `library` (the loader's path). */
export function currentKey(root: string, library: string, cpu: CpuFacts = readCpu()): DecisionKey {
  const { target, stamp: st } = stamp(library);
  return {
    cpu: `${cpu.arch} ${cpu.model} [${cpu.flags.join(' ')}]`,
    library,
    libraryTarget: target,
    libraryStamp: st,
    ldLibraryPath: process.env.LD_LIBRARY_PATH ?? '',
    addonStamp: stamp(path.join(root, ADDON)).stamp,
  };
}

export function sameKey(a: DecisionKey, b: DecisionKey): boolean {
  const fields: (keyof DecisionKey)[] = ['cpu', 'library', 'libraryTarget', 'libraryStamp', 'ldLibraryPath', 'addonStamp'];
  return fields.every((f) => a[f] === b[f]);
}

function libraryName(config: string): string {
  const [name, version] = config.trim().split(/\s+/);
  return [name || 'OpenBLAS', version].filter(Boolean).join(' ');
}

const fmt = (x: number) => x.toExponential(1);

/** The decision for what the probe found: the best candidate that ran as asked and passed the self-test. */
export function decide(facts: ProbeFacts, key: DecisionKey): KernelDecision {
  const library = libraryName(facts.config);
  const base = { format: FORMAT, key, library, defaultCore: facts.defaultCore, candidates: facts.candidates };
  const have = coreLevel(facts.defaultCore);
  const can = cpuLevel(facts.cpu.flags);
  if (facts.cpu.arch !== 'x64') return { ...base, coretype: null, reason: `${library} picks ${facts.defaultCore}; kernel choice is only probed on x86-64` };
  if (have === undefined) return { ...base, coretype: null, reason: `${library} picks ${facts.defaultCore}, a kernel this probe does not rank: kept` };
  if (have >= can) return { ...base, coretype: null, reason: `${library} picks ${facts.defaultCore}, which matches this CPU (${LEVEL_NAMES[can]})` };
  const rejected: string[] = [];
  for (const c of facts.candidates) {
    if (c.error) rejected.push(`${c.name}: ${c.error}`);
    else if (c.ran.toLowerCase() !== c.name.toLowerCase()) rejected.push(`${c.name}: this OpenBLAS does not have it (ran ${c.ran || 'nothing'})`);
    else if (c.maxRelDiff === undefined || !(c.maxRelDiff <= MAX_REL_DIFF))
      rejected.push(`${c.name}: self-test failed (${c.worstCase ?? '?'} differs by ${c.maxRelDiff === undefined ? '?' : fmt(c.maxRelDiff)} > ${fmt(MAX_REL_DIFF)})`);
    else {
      const also = rejected.length ? `; ${rejected.join('; ')}` : '';
      return {
        ...base,
        coretype: c.name,
        reason: `${library} falls back to its generic ${facts.defaultCore} kernels on this CPU (${LEVEL_NAMES[can]}); ${c.name} passed the self-test (max relative difference ${fmt(c.maxRelDiff)})${also}`,
      };
    }
  }
  const why = rejected.length ? rejected.join('; ') : 'no better kernel to try';
  return { ...base, coretype: null, reason: `${library} falls back to ${facts.defaultCore} on this CPU (${LEVEL_NAMES[can]}), kept: ${why}` };
}

/** How the engine's kernels are chosen in this process. */
export interface KernelChoice {
  /** The value to put in OPENBLAS_CORETYPE before loading; undefined leaves the environment alone. */
  apply?: string;
  source: 'user' | 'mtest' | 'library';
  /** What the library picks by itself on this CPU, when a probe has found out. */
  libraryPick?: string;
  reason: string;
}

/** What to do at load, given the environment and the stored decision (undefined: none for this key). */
export function choiceAtLoad(env: NodeJS.ProcessEnv, decision: KernelDecision | undefined, why?: string): KernelChoice {
  const set = env[CORETYPE_ENV];
  const libraryPick = decision?.defaultCore;
  if (set !== undefined) return { source: 'user', libraryPick, reason: `${CORETYPE_ENV}=${set} is set, and a set value is never changed` };
  if (!decision) return { source: 'library', reason: why ?? 'no kernel decision for this CPU and library' };
  if (decision.coretype) return { apply: decision.coretype, source: 'mtest', libraryPick, reason: decision.reason };
  return { source: 'library', libraryPick, reason: decision.reason };
}

/**
 * Where decisions are kept: next to the addon, and a per-user file in the temporary directory for an
 * installation this user cannot write to (without it, every load would probe again).
 */
function decisionFiles(root: string): string[] {
  const user = process.getuid?.() ?? os.userInfo().username;
  const tag = Buffer.from(path.resolve(root)).toString('base64url').slice(-24);
  return [path.join(root, DECISION_FILE), path.join(os.tmpdir(), `mtest-blas-kernel-${user}-${tag}.json`)];
}

function readOne(file: string): KernelDecision | undefined {
  try {
    const d = JSON.parse(readFileSync(file, 'utf8')) as KernelDecision;
    return d && d.format === FORMAT && d.key ? d : undefined;
  } catch {
    return undefined;
  }
}

/** The stored decision whose key matches `key` (any stored one when no key is given). */
export function readDecision(root: string, key?: (d: KernelDecision) => DecisionKey): KernelDecision | undefined {
  let first: KernelDecision | undefined;
  for (const file of decisionFiles(root)) {
    const d = readOne(file);
    if (!d) continue;
    if (!key || sameKey(d.key, key(d))) return d;
    first ??= d;
  }
  return key ? undefined : first;
}

// ---- the self-test: the same operations on the same inputs, run by each kernel in its own process ----

/** A small deterministic generator (xorshift64*), so every child builds identical inputs. */
function generator(seed: number): () => number {
  let s = BigInt(seed) | 1n;
  const mask = (1n << 64n) - 1n;
  return () => {
    s ^= s >> 12n;
    s ^= (s << 25n) & mask;
    s ^= s >> 27n;
    const r = (s * 2685821657736338717n) & mask;
    return Number(r >> 11n) / 2 ** 53 - 0.5;
  };
}

function randomArray(rand: () => number, len: number): Float64Array {
  const a = new Float64Array(len);
  for (let i = 0; i < len; i++) a[i] = rand();
  return a;
}

/** The native entry points the self-test calls (a subset of the addon). */
export interface SelfTestEngine {
  gemm(a: ArrayBufferLike, ao: number, b: ArrayBufferLike, bo: number, c: ArrayBufferLike, co: number, m: number, k: number, n: number): void;
  gemv(a: ArrayBufferLike, ao: number, x: ArrayBufferLike, xo: number, y: ArrayBufferLike, yo: number, m: number, n: number): void;
  solve(a: Float64Array, b: Float64Array, out: Float64Array, n: number, nrhs: number): void;
  qr(a: Float64Array, m: number, n: number, q: Float64Array, r: Float64Array): void;
  svd(a: Float64Array, m: number, n: number, u: Float64Array, s: Float64Array, v: Float64Array): void;
  eigSym(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array | null): void;
}

/**
 * Runs every case and returns its outputs by name. Inputs are well conditioned (diagonally dominant
 * systems, separated eigen- and singular values) so that two correct kernels agree to rounding.
 */
export function selfTest(e: SelfTestEngine): Map<string, Float64Array> {
  const rand = generator(20260101);
  const out = new Map<string, Float64Array>();
  for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [33, 17, 65], [128, 128, 128], [200, 301, 97], [384, 384, 384]]) {
    const a = randomArray(rand, m * k), b = randomArray(rand, k * n), c = new Float64Array(m * n);
    e.gemm(a.buffer, 0, b.buffer, 0, c.buffer, 0, m, k, n);
    out.set(`dgemm ${m}x${k}·${k}x${n}`, c);
  }
  for (const [m, n] of [[1, 1], [7, 13], [300, 200], [1000, 999]]) {
    const a = randomArray(rand, m * n), x = randomArray(rand, n), y = new Float64Array(m);
    e.gemv(a.buffer, 0, x.buffer, 0, y.buffer, 0, m, n);
    out.set(`dgemv ${m}x${n}`, y);
  }
  const dominant = (n: number, cols = n, scale = 1) => {
    const a = randomArray(rand, n * cols).map((v) => v * scale);
    for (let i = 0; i < Math.min(n, cols); i++) a[i * cols + i] += i + 1 + (scale === 1 ? n : 0);
    return a;
  };
  for (const [n, nrhs] of [[1, 1], [4, 3], [50, 1], [300, 20]]) {
    const a = dominant(n), b = randomArray(rand, n * nrhs), x = new Float64Array(n * nrhs);
    e.solve(a, b, x, n, nrhs);
    out.set(`dgesv ${n}x${n}, ${nrhs} rhs`, x);
  }
  for (const n of [2, 10, 100, 260]) {
    const r = dominant(n, n, 0.1);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (r[i * n + j] + r[j * n + i]) / 2;
    const values = new Float64Array(n), vectors = new Float64Array(n * n);
    e.eigSym(a, n, values, vectors);
    out.set(`dsyevd ${n}x${n} values`, values);
    out.set(`dsyevd ${n}x${n} vectors`, vectors);
  }
  for (const [m, n] of [[5, 3], [40, 60], [200, 150]]) {
    const k = Math.min(m, n);
    const a = dominant(m, n, 0.1), u = new Float64Array(m * k), s = new Float64Array(k), v = new Float64Array(n * k);
    e.svd(a, m, n, u, s, v);
    out.set(`dgesdd ${m}x${n} values`, s);
    out.set(`dgesdd ${m}x${n} vectors`, Float64Array.from([...u, ...v]));
  }
  for (const [m, n] of [[3, 3], [80, 50], [50, 80], [300, 200]]) {
    const a = randomArray(rand, m * n), q = new Float64Array(m * m), r = new Float64Array(m * n);
    e.qr(a, m, n, q, r);
    out.set(`dgeqrf ${m}x${n} Q`, q);
    out.set(`dgeqrf ${m}x${n} R`, r);
  }
  return out;
}

/** max |a − b| / max |a| (0 when both are zero; Infinity when shapes or finiteness differ). */
export function relDiff(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) return Infinity;
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return diff === 0 ? 0 : diff / scale;
}

/** The largest relative difference between two self-test runs, and the case where it occurred. */
export function compareRuns(reference: Map<string, Float64Array>, other: Map<string, Float64Array>): { maxRelDiff: number; worstCase: string } {
  let maxRelDiff = 0, worstCase = '';
  for (const [name, ref] of reference) {
    const got = other.get(name);
    const d = got ? relDiff(ref, got) : Infinity;
    if (d > maxRelDiff || worstCase === '') [maxRelDiff, worstCase] = [d, name];
  }
  return { maxRelDiff, worstCase };
}

// ---- running the probe ----

/** What one child reports: the library's config and kernel, and the self-test outputs. */
export interface ChildReport {
  config: string;
  core: string;
  library: string;
  results: Map<string, Float64Array>;
}

/** Starts one child with OPENBLAS_CORETYPE = coretype (undefined: removed) and returns what it reports. */
export type ChildRunner = (coretype: string | undefined) => ChildReport;

const PROBE_SCRIPT = fileURLToPath(new URL('./kernel-probe.js', import.meta.url));

/** What a probe child prints: its BLAS facts and each product's bytes (base64), by name. */
interface ProbeReport {
  config: string;
  core: string;
  library: string;
  results: [string, string][];
}
const isProbeReport = shape<ProbeReport>({
  config: text,
  core: text,
  library: text,
  results: list((v): v is [string, string] => Array.isArray(v) && v.length === 2 && text(v[0]) && text(v[1])),
});

/** The real child: `node kernel-probe.js --child`, its environment given explicitly. */
export function spawnChild(coretype: string | undefined, extraArgs: string[] = []): ChildReport {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  // Deliberate: the probe compares kernels, so it decides what each child's library sees.
  delete env[CORETYPE_ENV];
  if (coretype !== undefined) env[CORETYPE_ENV] = coretype;
  const r = spawnSync(process.execPath, [PROBE_SCRIPT, '--child', ...extraArgs], { env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120000 });
  if (r.status !== 0) {
    const why = (r.stderr || '').trim().split('\n').pop() || (r.signal ? `killed by ${r.signal}` : `exit ${r.status}`);
    throw new Error(`probe child failed: ${why}`);
  }
  const parsed = fromJson(r.stdout, isProbeReport);
  if (!parsed) throw new Error(`probe child failed: it printed a report mtest cannot read: ${JSON.stringify(r.stdout.slice(0, 200))}`);
  const results = new Map<string, Float64Array>();
  for (const [name, b64] of parsed.results) {
    const buf = Buffer.from(b64, 'base64');
    results.set(name, new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)));
  }
  return { config: parsed.config, core: parsed.core, library: parsed.library, results };
}

export interface ProbeOptions {
  /** Treat this kernel as the library's own pick (a test on a CPU the library knows simulates a fallback). */
  baseline?: string;
  cpu?: CpuFacts;
  run?: ChildRunner;
  /** mtest's root, whose addon the key names. */
  root?: string;
}

/** Runs the library's own pick and every candidate, and decides. */
export function probe(options: ProbeOptions = {}): KernelDecision {
  const run = options.run ?? ((c) => spawnChild(c));
  const cpu = options.cpu ?? readCpu();
  const reference = run(options.baseline);
  const defaultCore = reference.core;
  const candidates: CandidateResult[] = [];
  for (const name of candidatesFor(cpu, defaultCore)) {
    try {
      const got = run(name);
      const ran = got.core;
      candidates.push(ran.toLowerCase() === name.toLowerCase() ? { name, ran, ...compareRuns(reference.results, got.results) } : { name, ran });
    } catch (err) {
      candidates.push({ name, ran: '', error: String((err as Error)?.message ?? err) });
    }
    const last = candidates[candidates.length - 1];
    if (last.maxRelDiff !== undefined && last.maxRelDiff <= MAX_REL_DIFF) break;
  }
  return decide({ cpu, config: reference.config, defaultCore, candidates }, currentKey(options.root ?? packageRoot(), reference.library, cpu));
}

/**
 * What is stored when the probe itself fails (the library's own pick stays): keyed like any decision, so
 * that loads do not probe again until the CPU, the library or the addon changes.
 */
export function failedDecision(root: string, why: string, library = ''): KernelDecision {
  return { format: FORMAT, key: currentKey(root, library), library: 'OpenBLAS', defaultCore: '', coretype: null, reason: `the kernel probe failed (${why}); the library picks the kernels`, candidates: [] };
}

/**
 * Writes the decision atomically next to the addon, else in the temporary directory — shared with other
 * users, hence an unpredictable temporary name created without following links (writeAtomically).
 */
export function writeDecision(root: string, decision: KernelDecision): string {
  let error: unknown;
  for (const file of decisionFiles(root)) {
    try {
      writeAtomically(file, JSON.stringify(decision, null, 2) + '\n');
      return file;
    } catch (err) {
      error ??= err;
    }
  }
  throw error;
}

/**
 * Probes again in a child when no decision matches this CPU and library (a new machine, an upgraded or
 * switched OpenBLAS). One process probes at a time; the others keep the library's pick meanwhile.
 * Returns the decision, or undefined with the reason when none could be made.
 */
export function refreshDecision(root: string): { decision?: KernelDecision; why?: string } {
  const lock = decisionFiles(root)[1] + '.lock';
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch {
    // A probe older than its own timeout died without cleaning up.
    try {
      if (Date.now() - statSync(lock).mtimeMs > 300000) unlinkSync(lock);
    } catch {
      // gone meanwhile
    }
    return { why: 'another process is probing the kernels; the library picks them meanwhile' };
  }
  try {
    closeSync(fd);
    const r = spawnSync(process.execPath, [PROBE_SCRIPT, '--write', root], { encoding: 'utf8', timeout: 300000, env: process.env });
    const decision = readDecision(root, (d) => currentKey(root, d.key.library));
    if (r.status !== 0 || !decision) return { why: `the kernel probe failed: ${(r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`}` };
    return { decision };
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // already removed
    }
  }
}
