// Loaded by mocha before every test file: the suite sees the environment a user's plain `mtest` run would,
// whichever way the suite itself was started (`npm test`, `npx mocha`). npm's variables would otherwise make
// mtest word its rerun lines as `npx mtest`, which the CLI tests check separately.
for (const name of Object.keys(process.env)) {
  if (name === 'npm_command' || name.startsWith('npm_lifecycle_')) delete process.env[name];
}
