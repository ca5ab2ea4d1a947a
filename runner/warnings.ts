// Warnings that follow from one finished example, the same in every mode: what mtest had to repair after
// it, memory growth (--trace-memory) and slowness (--warn-long).
import type { ExampleResult } from '../src/model.js';
import { MB } from './memory.js';
import type { RunnerOptions } from '../src/options.js';

export function resultWarnings(result: ExampleResult, options: Pick<RunnerOptions, 'traceMemory' | 'warnLong'>): string[] {
  const out: string[] = result.warnings ? [...result.warnings] : [];
  if (options.traceMemory !== undefined && result.rssDelta !== undefined && result.rssDelta >= options.traceMemory * MB) {
    out.push(`RSS grew by ${(result.rssDelta / MB).toFixed(0)} MB`);
  }
  if (options.warnLong !== undefined && result.status !== 'skipped' && result.status !== 'notrun' && result.time >= options.warnLong) {
    out.push(`slow example: ${result.time.toFixed(2)} s`);
  }
  return out;
}
