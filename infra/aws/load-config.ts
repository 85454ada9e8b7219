/**
 * Finds and validates the deployment's config file for `cdk synth`/`cdk deploy`. A bad file fails
 * synth with a ConfigError naming the file and every bad field, before any resource is built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig, type RewakeConfig } from '../../shared/config';
import { ConfigError } from '../../shared/errors';

/** cdk context key naming the config file: `cdk deploy -c rewakeConfig=prod.config.json`. */
export const CONFIG_CONTEXT_KEY = 'rewakeConfig';
/** Environment variable naming the config file, as for local runs (shared/config.ts). */
export const CONFIG_FILE_ENV = 'REWAKE_CONFIG_FILE';
/** Used when present and nothing else is named; without it, the defaults apply. */
export const DEFAULT_CONFIG_FILE = 'rewake.config.json';

export interface LoadedConfig {
  readonly config: RewakeConfig;
  /** The file it came from, or 'defaults'. */
  readonly source: string;
}

export interface LoadConfigOptions {
  /** Value of the `rewakeConfig` context, if any. */
  readonly contextValue?: unknown;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Relative paths are resolved from here. @default process.cwd() */
  readonly cwd?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();

  if (options.contextValue !== undefined && typeof options.contextValue !== 'string') {
    throw new ConfigError(`cdk context ${CONFIG_CONTEXT_KEY} must be a file path, got ${JSON.stringify(options.contextValue)}`);
  }
  const named = options.contextValue || env[CONFIG_FILE_ENV];
  if (named) {
    const file = resolve(cwd, named);
    if (!existsSync(file)) {
      const from = options.contextValue ? `cdk context ${CONFIG_CONTEXT_KEY}` : CONFIG_FILE_ENV;
      throw new ConfigError(`Config file ${file} (named by ${from}) does not exist`);
    }
    return { config: parseConfig(readJson(file), file), source: file };
  }

  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  if (existsSync(fallback)) return { config: parseConfig(readJson(fallback), fallback), source: fallback };
  return { config: parseConfig({}, 'default configuration'), source: 'defaults' };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(`Config file ${file} is not valid JSON: ${reason}`, { cause });
  }
}
