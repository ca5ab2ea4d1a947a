// Finding the paths to test, as the CLI configures it. A module of its own, light enough for main to load
// before the workers start (it knows then how many workers the files can use).
import type { FileConfig } from './config.js';
import { discover, type Discovered } from '../sources/discover.js';

/** The paths to test (no file read yet): the schedule may need only some of them parsed. */
export function findSources(paths: string[], config: FileConfig, cwd: string): Promise<Discovered> {
  return discover(paths, { include: config.include, exclude: config.exclude, cwd });
}
