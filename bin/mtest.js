#!/bin/sh
':' //; [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && export MTEST_DEFERRED_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS" NODE_EXTRA_CA_CERTS=; exec node --v8-pool-size=1 "$0" "$@"
// Launcher: everything lives in the compiled library (npm ci runs the build).
//
// The line above is for sh, which runs this file when it is executed (`mtest`, `npx mtest`); to JavaScript
// it is a string and a comment. Node parses the NODE_EXTRA_CA_CERTS bundle before any of mtest runs (~50 ms
// with a system bundle, for a process that makes no TLS connection of its own), so sh hands the variable
// over in another name and starts node on this same file; restoreExtraCaCerts puts it back, and gives its
// certificates to TLS on first use (examples under --serial). `node bin/mtest.js` skips the line and pays.
// One V8 helper thread (Node's default is 4), as for every worker (runner/parent/worker-handle.ts): fewer
// optimising compiles at once hold less memory, and on these short runs no work waits for a second one.
import { restoreExtraCaCerts } from '../dist/runner/extra-ca.js';
import { main, stdio } from '../dist/src/cli/main.js';

restoreExtraCaCerts();

// mtest's report is written synchronously to its own copies of stdout and stderr (src/report/output.ts):
// a reader that went away (`mtest … | head`) only stops that writing. Output that examples write to the
// streams themselves must not end the run either.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

// Exit explicitly once the report is out: a timer or handle left behind by an example must not keep mtest
// alive, and the exit status is the run's own whatever the reader did.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    stdio.err(`mtest: internal error: ${err?.stack ?? err}\n`);
    process.exit(64);
  },
);
