// Whether an example runs, from its directives, the file's tags and the options (SPEC §3). Pure.
import type { Directives } from '../model.js';

export interface SkipPolicy {
  optional: readonly string[];
  long: boolean;
}

/** The reason an example is skipped, or undefined when it runs. */
export function skipReason(d: Directives, fileTags: string[], policy: SkipPolicy): string | undefined {
  if (d.notTested) return d.notTested;
  if (d.knownBug && !policy.optional.includes('bug')) return 'known bug';
  if (d.longTime && !policy.long) return 'long time';
  if (policy.optional.includes('all')) return undefined;
  for (const tag of fileTags) if (!policy.optional.includes(tag)) return `optional - ${tag}`;
  for (const tag of d.needs) if (!policy.optional.includes(tag)) return `optional - ${tag}`;
  return undefined;
}
