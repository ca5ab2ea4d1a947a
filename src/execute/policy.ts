// What the directives and the options mean for one example, the same in every mode: whether it runs
// (before), and which warnings its result earns (after: what mtest had to repair after it, memory growth
// with --trace-memory, slowness with --warn-long). Pure.
import type { Directives, ExampleResult } from '../model.js';
import { MB } from '../incidents.js';

export interface SkipPolicy {
  optional: readonly string[];
  long: boolean;
}

/** `linux`, `macos` (Sage's names for the platforms a known bug may be limited to), or Node's name. */
function hostPlatform(): string {
  return process.platform === 'darwin' ? 'macos' : process.platform;
}

/** The reason an example is skipped, or undefined when it runs. */
export function skipReason(d: Directives, fileTags: string[], policy: SkipPolicy): string | undefined {
  if (d.notTested) return d.notTested;
  if (d.knownBug && !policy.optional.includes('bug') && (d.knownBugOn === undefined || d.knownBugOn === hostPlatform())) return 'known bug';
  if (d.longTime && !policy.long) return 'long time';
  if (policy.optional.includes('all')) return undefined;
  for (const tag of fileTags) if (!policy.optional.includes(tag)) return `optional - ${tag}`;
  for (const tag of d.needs) {
    // `!tag`, as in Sage: runs only where the tag is absent
    const absent = tag.startsWith('!');
    if (policy.optional.includes(absent ? tag.slice(1) : tag) === absent) return `optional - ${tag}`;
  }
  return undefined;
}

export interface WarnPolicy {
  /** MB of RSS growth worth a warning (--trace-memory). */
  traceMemory?: number;
  /** Seconds worth a warning (--warn-long). */
  warnLong?: number;
}

/** Warnings that follow from one finished example. */
export function resultWarnings(result: ExampleResult, options: WarnPolicy): string[] {
  const out: string[] = result.warnings ? [...result.warnings] : [];
  if (options.traceMemory !== undefined && result.rssDelta !== undefined && result.rssDelta >= options.traceMemory * MB) {
    out.push(`RSS grew by ${(result.rssDelta / MB).toFixed(0)} MB`);
  }
  if (options.warnLong !== undefined && result.status !== 'skipped' && result.status !== 'notrun' && result.time >= options.warnLong) {
    out.push(`slow example: ${result.time.toFixed(2)} s`);
  }
  return out;
}
