// `mtest doctor`: the facts that decide whether mtest can diagnose a hang on this machine —
// Node, the engine's BLAS (library, version, core type, threads), which tool takes native stacks (eu-stack,
// gdb) and whether it may attach (ptrace), CPUs and memory — and what mtest will do by default with them.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { condenseNativeStack, findGdb, findOnPath, findStackTool, stackToolArguments, type StackTool } from '../../runner/diagnosis/native-stack.js';
import { formatBytes } from '../incidents.js';
import type { PoolOptions } from '../options.js';

interface BlasConfig {
  library: string;
  version: string;
  coretype: string;
  threads: number;
  chosenBy?: string;
  libraryPick?: string;
  reason?: string;
}

async function engineLines(): Promise<string[]> {
  try {
    const engine = (await import(new URL('../engine/index.js', import.meta.url).href)) as { blasConfig?: () => BlasConfig };
    if (!engine.blasConfig) return ['Engine:  loaded, but it does not report its BLAS'];
    const blas = engine.blasConfig();
    const lines = [`Engine:  ${blas.library} ${blas.version}, core type ${blas.coretype || '?'}, ${blas.threads} thread${blas.threads === 1 ? '' : 's'}`];
    if (blas.chosenBy) {
      const by = { library: 'the library\'s own pick', mtest: 'chosen by mtest', user: 'set by the user' }[blas.chosenBy] ?? blas.chosenBy;
      lines.push(`Kernels: library picks ${blas.libraryPick || '? (not probed)'}; engine runs ${blas.coretype || '?'} (${by}): ${blas.reason}`);
    }
    return lines;
  } catch (error) {
    return [`Engine:  not available (${String((error as Error)?.message ?? error).split('\n')[0]})`];
  }
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) =>
      resolve({ ok: !error, out: `${stdout}${stderr}` }),
    );
  });
}

/** Take the stacks of a short-lived child of ours, as mtest would of a hung worker. */
async function ptraceLine(tool: StackTool): Promise<string> {
  const child = spawn('sleep', ['10'], { stdio: 'ignore' });
  try {
    const { out } = await run(tool.path, stackToolArguments(tool, child.pid!), 10000);
    if (/Operation not permitted|Could not attach/i.test(out)) {
      const scope = readScope();
      return `attaching is refused${scope ? ` (kernel.yama.ptrace_scope = ${scope})` : ''}: native stacks of hung workers will be missing`;
    }
    if (condenseNativeStack(out, child.pid!)) return `${tool.name} can attach to a running process`;
    return `unclear (${out.trim().split('\n').pop() ?? 'no output'})`;
  } finally {
    child.kill('SIGKILL');
  }
}

/** `gdb (GNU gdb (Debian 13.1-3) 13.1)`, or why it is missing. */
async function toolLine(path: string | null): Promise<string> {
  if (!path) return 'not installed';
  const version = (await run(path, ['--version'], 5000)).out.split('\n')[0].trim();
  return `${path} (${version})`;
}

function readScope(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** `defaults`: what a run with no option given resolves to here (the CLI's resolve: its table's defaults). */
export async function doctor(defaults: Pick<PoolOptions, 'jobs' | 'blasThreads' | 'memlimit'>): Promise<string> {
  const cpus = os.availableParallelism();
  const model = os.cpus()[0]?.model?.trim();
  const lines = [
    `Node:    ${process.version} (V8 ${process.versions.v8}, ${process.platform} ${process.arch})`,
    ...(await engineLines()),
  ];
  const tool = findStackTool();
  lines.push(`eu-stack: ${await toolLine(findOnPath('eu-stack'))}`, `gdb:     ${await toolLine(findGdb())}`);
  if (tool) {
    lines.push(`Stacks:  ${tool.name} takes the native stacks of hung workers${tool.name === 'gdb' ? ' (eu-stack, from elfutils, is faster: ~0.15 s against 0.5–0.8 s)' : ''}`);
    lines.push(`ptrace:  ${await ptraceLine(tool)}`);
  } else {
    lines.push('Stacks:  neither eu-stack nor gdb is installed: a worker hung inside native code is reported without its native stack');
    const scope = readScope();
    if (scope) lines.push(`ptrace:  kernel.yama.ptrace_scope = ${scope}`);
  }
  lines.push(
    `CPUs:    ${cpus}${model ? ` (${model})` : ''}`,
    `Memory:  ${formatBytes(os.totalmem())} total, ${formatBytes(os.freemem())} free`,
    `Default: ${defaults.jobs} worker${defaults.jobs === 1 ? '' : 's'}, ${defaults.blasThreads} BLAS thread${defaults.blasThreads === 1 ? '' : 's'} per worker, --memlimit ${defaults.memlimit} MB per worker`,
  );
  return lines.join('\n') + '\n';
}
