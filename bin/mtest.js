#!/usr/bin/env node
// Thin launcher: everything lives in the compiled library (npm ci runs the build).
import { main } from '../dist/src/cli/main.js';

// Exit explicitly: a timer or handle left behind by an example must not keep mtest alive.
// (stdout/stderr writes to files, pipes and terminals are synchronous on Linux and macOS.)
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`mtest: internal error: ${err?.stack ?? err}\n`);
    process.exit(64);
  },
);
