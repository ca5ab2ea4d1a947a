// Whether an example runs, from its directives, the file's tags and the options. Pure.
import type { Directives } from '../model.js';

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
