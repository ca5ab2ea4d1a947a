// Small builders shared by the tests.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Block, Directives, Example, ExampleResult, SourceFile } from '../src/model.js';
import type { ExecuteOptions } from '../src/options.js';
import { executeFile } from '../src/execute/index.js';
import { VmGuard } from '../runner/serial/interrupt.js';

export function ex(source: string, want = '', line = 1, directives: Partial<Directives> = {}): Example {
  return { source, want, line, indent: 0, directives: { needs: [], errors: [], ...directives } };
}

export function fileOf(path: string, blocks: Example[][], kind: SourceFile['kind'] = 'markdown', tags: string[] = []): SourceFile {
  const bs: Block[] = blocks.map((examples, i) => ({ name: `${path}#${i}`, line: examples[0]?.line ?? 1, examples }));
  return { path, kind, blocks: bs, tags, errors: [] };
}

export const baseOptions: ExecuteOptions = {
  optional: [],
  long: false,
  randomSeed: 42,
  timeout: 5,
  interruptSync: true,
  measureMemory: false,
  prelude: [],
  initial: false,
};

/** Run a file in this process and collect the results by index. */
export async function run(file: SourceFile, options: Partial<ExecuteOptions> = {}): Promise<ExampleResult[]> {
  const results: ExampleResult[] = [];
  const started: number[] = [];
  await executeFile(file, { ...baseOptions, ...options }, {
    exampleStart: (i) => started.push(i),
    exampleEnd: (r) => results.push(r),
  }, { guard: new VmGuard() }); // the vm guard enforces limits by itself; the addon's needs the watchdog
  for (const r of results) if (r.status === 'passed' || r.status === 'failed') if (!started.includes(r.index)) throw new Error(`example ${r.index} ran without exampleStart`);
  return results;
}

/** mtest's own TypeScript sources under `dirs` of the checkout (declarations left out), as absolute paths. */
export function sourceFiles(root: string, ...dirs: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(full);
    }
  };
  for (const dir of dirs) walk(join(root, dir));
  return found;
}
