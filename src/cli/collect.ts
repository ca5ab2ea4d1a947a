// Sources stage as the CLI uses it: discover the files, parse each one; every problem becomes a one-line
// InputError and the run goes on with the rest.
import type { InputError, SourceFile } from '../model.js';
import { loadSource } from '../sources/index.js';
import type { FileConfig } from './config.js';
import { findSources } from './find.js';

export { findSources };

export interface Collected {
  files: SourceFile[];
  errors: InputError[];
  /** One-line reports that set no exit bit (a notebook of another language). */
  notices: InputError[];
}

/**
 * Parse one found path; null when the file opts out (`nodoctest`). Its problems are in its `errors`.
 * `maxFileSize` (MB): the command line's, which wins over the configuration's.
 */
export function sourceLoader(config: FileConfig, cwd: string, maxFileSize?: number): (path: string) => SourceFile | null {
  return (path) => loadSource(path, { prompts: config.prompts, cwd, maxFileSize: maxFileSize ?? config.maxFileSize });
}

export async function collectSources(paths: string[], config: FileConfig, cwd: string, maxFileSize?: number): Promise<Collected> {
  const found = await findSources(paths, config, cwd);
  const errors: InputError[] = [...found.errors];
  const notices: InputError[] = [];
  const files: SourceFile[] = [];
  const load = sourceLoader(config, cwd, maxFileSize);
  for (const path of found.files) {
    const file = load(path);
    if (!file) continue; // nodoctest
    errors.push(...file.errors);
    if (file.notices) notices.push(...file.notices);
    files.push(file);
  }
  return { files, errors, notices };
}
