// mtest.config.json, or an "mtest" key in package.json, in the working directory. Every key is
// checked; a bad one is a one-line error naming it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface FileConfig {
  include?: string[];
  exclude?: string[];
  prelude?: string[];
  jobs?: number;
  timeout?: number;
  optional?: string[];
  prompts?: string[];
  /** Files larger than this many MB are skipped with a notice (0: no limit). */
  maxFileSize?: number;
}

export class ConfigError extends Error {}

type Check = (value: unknown) => string | undefined;

const stringList: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : 'must be a list of strings');
const KEYS: Record<keyof FileConfig, Check> = {
  include: stringList,
  exclude: stringList,
  prelude: stringList,
  optional: stringList,
  prompts: (v) => stringList(v) ?? ((v as string[]).every((p) => ['sage:', '>>>'].includes(p.trim())) ? undefined : "must list prompts among 'sage:' and '>>>'"),
  jobs: (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : 'must be a whole number ≥ 1'),
  timeout: (v) => (typeof v === 'number' && v >= 0 ? undefined : 'must be a number of seconds ≥ 0'),
  maxFileSize: (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'must be a number of MB ≥ 0 (0: no limit)'),
};

/** Read the configuration of `cwd`; undefined when there is none. Throws ConfigError (one line). */
export function loadConfig(cwd: string): { config: FileConfig; source?: string } {
  const own = path.join(cwd, 'mtest.config.json');
  let raw: unknown;
  let source: string | undefined;
  if (existsSync(own)) {
    source = 'mtest.config.json';
    raw = readJson(own, source);
  } else {
    const pkg = path.join(cwd, 'package.json');
    if (!existsSync(pkg)) return { config: {} };
    const json = readJson(pkg, 'package.json') as Record<string, unknown> | null;
    if (!json || typeof json !== 'object' || !Object.hasOwn(json, 'mtest')) return { config: {} };
    source = 'package.json "mtest"';
    raw = json.mtest;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: must be a JSON object`);
  const config: FileConfig = {};
  for (const [key, value] of Object.entries(raw)) {
    // own keys only: `toString`, `__proto__` are unknown keys, not Object.prototype's members
    const check = Object.hasOwn(KEYS, key) ? KEYS[key as keyof FileConfig] : undefined;
    if (!check) throw new ConfigError(`${source}: unknown key ${JSON.stringify(key)} (known: ${Object.keys(KEYS).join(', ')})`);
    const problem = check(value);
    if (problem) throw new ConfigError(`${source}: "${key}" ${problem}`);
    (config as Record<string, unknown>)[key] = key === 'optional' ? (value as string[]).map((t) => t.toLowerCase()) : value;
  }
  return { config, source };
}

function readJson(file: string, label: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${label}: ${(err as Error).message.split('\n')[0]}`);
  }
}
