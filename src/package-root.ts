// Where mtest itself is installed: found by walking up from a module to mtest's own package.json, so it
// works from compiled (dist/…) and source (src/…) modules alike. The native addons live in build/ there.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** mtest's name on the package registry (the command is `mtest`). */
export const PACKAGE_NAME = 'mtest-doctest';

/** The directory holding mtest's own package.json, above this module. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(from);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === PACKAGE_NAME) return dir;
      } catch {
        // An unreadable package.json belongs to something else; keep walking.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`mtest engine: cannot find mtest's package.json above ${from}`);
    dir = parent;
  }
}

/** A compiled addon of mtest's (`build/Release/NAME.node`), whether or not it has been built. */
export function addonFile(name: string): string {
  return path.join(packageRoot(), 'build', 'Release', `${name}.node`);
}
