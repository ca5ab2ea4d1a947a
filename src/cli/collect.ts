// Sources stage as the CLI uses it: discover the files, parse each one; every problem becomes a one-line
// InputError and the run goes on with the rest.
import type { InputError, SourceFile } from '../model.js';
import { discover, loadSource } from '../sources/index.js';
import type { FileConfig } from './config.js';

export interface Collected {
  files: SourceFile[];
  errors: InputError[];
  /** One-line reports that set no exit bit (a notebook of another language). */
  notices: InputError[];
}

export async function collectSources(paths: string[], config: FileConfig, cwd: string): Promise<Collected> {
  const found = await discover(paths, { include: config.include, exclude: config.exclude, cwd });
  const errors: InputError[] = [...found.errors];
  const notices: InputError[] = [];
  const files: SourceFile[] = [];
  for (const path of found.files) {
    const file = loadSource(path, { prompts: config.prompts, cwd });
    if (!file) continue; // nodoctest
    errors.push(...file.errors);
    if (file.notices) notices.push(...file.notices);
    files.push(file);
  }
  return { files, errors, notices };
}
