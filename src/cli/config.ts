// mtest.config.json, or an "mtest" key in package.json, in the working directory. Every key is
// checked; a bad one is a one-line error naming it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configCheck, OPTIONS, type CliOptions, type ConfigKey, type ConfigOnlyKey } from './options.js';

/** The options the configuration file may set (the table's rows with `config`), and its own keys. */
export type FileConfig = Pick<CliOptions, Exclude<ConfigKey, ConfigOnlyKey>> & { [K in ConfigOnlyKey]?: string[] };

export class ConfigError extends Error {}

/** The keys the configuration file may set, with their checks: the option table's (options.ts). */
const KEYS = new Map(OPTIONS.filter((spec) => spec.config).map((spec) => [spec.key, { check: configCheck(spec)!, lowerCase: spec.lowerCase }]));

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
    // a Map: `toString`, `__proto__` are unknown keys, not Object.prototype's members
    const spec = KEYS.get(key as keyof FileConfig);
    if (!spec) throw new ConfigError(`${source}: unknown key ${JSON.stringify(key)} (known: ${[...KEYS.keys()].join(', ')})`);
    const problem = spec.check(value);
    if (problem) throw new ConfigError(`${source}: "${key}" ${problem}`);
    (config as Record<string, unknown>)[key] = spec.lowerCase ? (value as string[]).map((t) => t.toLowerCase()) : value;
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
