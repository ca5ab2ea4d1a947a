// mtest's own output: the report's stdout and stderr, whether it may colour them, and the stream the live
// status line writes to.
import { processAddon } from '../../runner/process-addon.js';
import { reportOutput, type Output } from '../report/output.js';
import type { StatusStream } from '../report/status-line.js';

// mtest's own stdout and stderr, taken before any example runs: synchronous writes to private copies of
// descriptors 1 and 2, so the report never ends up inside an example's output capture, survives an example
// that closes those descriptors, and is out of the process before it exits.
export const stdio = reportOutput((fd) => processAddon()?.dup(fd) ?? -1);

/** Colour (diffs) only on a terminal, and not when NO_COLOR is set. */
export function colourWanted(io: Output): boolean {
  return io === stdio && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

/** The live status line goes to mtest's own stderr, sized like the terminal. */
export function statusStream(): StatusStream {
  return {
    write: (text: string) => stdio.err(text),
    isTTY: true,
    get columns() {
      return process.stderr.columns;
    },
  };
}

/**
 * How the user started mtest, as rerun lines and hints should repeat it: `npx mtest` when npm started it
 * (`npx mtest`, `npm exec`, or a package script that runs mtest: `npm test`), else `mtest`.
 */
export function commandName(env: NodeJS.ProcessEnv = process.env): string {
  if (env.npm_command === 'exec') return 'npx mtest';
  if (env.npm_lifecycle_event && /\bmtest\b/.test(env.npm_lifecycle_script ?? '')) return 'npx mtest';
  return 'mtest';
}
