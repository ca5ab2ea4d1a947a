import { readdirSync } from 'node:fs';
const t0 = performance.now();
const { loadSource } = await import('./dist/src/sources/index.js');
const t1 = performance.now();
const dir = '/tmp/corp/overhead/ts/';
const files = readdirSync(dir).map((f) => dir + f);
for (let r = 0; r < +(process.env.R||4); r++) {
  const s = performance.now();
  let n = 0;
  for (const f of files) n += loadSource(f, {}).blocks.length;
  console.log(r, 'parse 200 files', (performance.now() - s).toFixed(1), n);
}
console.log('import', (t1 - t0).toFixed(1));
