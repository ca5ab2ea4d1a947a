#!/usr/bin/env node
// Thin launcher: everything lives in the compiled library (npm ci runs the build).
import { main } from '../dist/src/cli/main.js';

// A reader that went away (`mtest … | head`) ends the run quietly; workers are killed on exit.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// Exit explicitly: a timer or handle left behind by an example must not keep mtest alive.
// (stdout/stderr writes to files, pipes and terminals are synchronous on Linux and macOS.)
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`mtest: internal error: ${err?.stack ?? err}\n`);
    process.exit(64);
  },
);
