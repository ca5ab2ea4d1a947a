// Match paths against the `include` / `exclude` globs of the configuration, gitignore-style:
// `*` and `?` stay within a path segment, `**` crosses segments, `{a,b}` and `[abc]` as usual; a pattern
// without a `/` matches a name at any depth; a pattern that matches a directory matches everything below it.

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? '\\' + ch : ch;
}

export function globToRegExp(glob: string): RegExp {
  let pattern = glob.trim().replace(/\\/g, '/');
  while (pattern.startsWith('./')) pattern = pattern.slice(2);
  if (pattern.endsWith('/')) pattern = pattern.slice(0, -1);
  const anyDepth = !pattern.includes('/');
  if (pattern.startsWith('/')) pattern = pattern.slice(1);
  let out = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        const atStart = i === 0 || pattern[i - 1] === '/';
        const atEnd = i + 2 === pattern.length || pattern[i + 2] === '/';
        if (atStart && atEnd) {
          if (pattern[i + 2] === '/') { out += '(?:.*/)?'; i += 2; } else { out += '.*'; i += 1; }
          continue;
        }
      }
      out += '[^/]*';
    } else if (ch === '?') out += '[^/]';
    else if (ch === '{') { out += '(?:'; braces++; }
    else if (ch === '}' && braces > 0) { out += ')'; braces--; }
    else if (ch === ',' && braces > 0) out += '|';
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) { out += '\\['; continue; }
      let set = pattern.slice(i + 1, close);
      if (set.startsWith('!')) set = '^' + set.slice(1);
      out += '[' + set.replace(/\\/g, '\\\\') + ']';
      i = close;
    } else out += escapeRegex(ch);
  }
  out += ')'.repeat(braces);
  return new RegExp(`^${anyDepth ? '(?:.*/)?' : ''}(?:${out})(?:/.*)?$`);
}

/** A predicate over `/`-separated relative paths: does any of the globs match? */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  const regexps = globs.filter((g) => g.trim() !== '').map(globToRegExp);
  return (path) => regexps.some((re) => re.test(path));
}
