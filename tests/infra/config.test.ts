import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../infra/aws/load-config';
import { defaultConfig } from '../../shared/config';
import { ConfigError } from '../../shared/errors';
import { synthRewake } from './helpers';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rewake-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};
const load = (contextValue?: unknown, env: NodeJS.ProcessEnv = {}) => loadConfig({ contextValue, env, cwd: dir });

describe('deployment configuration', () => {
  it('uses the defaults when no config file is named and rewake.config.json does not exist', () => {
    expect(load()).toEqual({ config: defaultConfig(), source: 'defaults' });
  });

  it('reads rewake.config.json from the working directory when no file is named', () => {
    write(DEFAULT_CONFIG_FILE, { brand: 'Tea House' });
    const { config, source } = load();
    expect(config.brand).toBe('Tea House');
    expect(source).toBe(join(dir, DEFAULT_CONFIG_FILE));
  });

  it('reads the file named by the rewakeConfig context before rewake.config.json', () => {
    write(DEFAULT_CONFIG_FILE, { brand: 'Default' });
    write('prod.json', { brand: 'Prod', queue: { maxReceiveCount: 8 } });
    const { config } = load('prod.json', { REWAKE_CONFIG_FILE: 'other.json' });
    expect(config.brand).toBe('Prod');
    expect(config.queue.maxReceiveCount).toBe(8);
  });

  it('falls back to REWAKE_CONFIG_FILE when no context names a file', () => {
    write('env.json', { brand: 'From env' });
    expect(load(undefined, { REWAKE_CONFIG_FILE: 'env.json' }).config.brand).toBe('From env');
  });

  it('rejects holdout.share 2 with a ConfigError naming the field and the file', () => {
    const file = write('bad.json', { holdout: { share: 2 } });
    expect(() => load('bad.json')).toThrow(ConfigError);
    expect(() => load('bad.json')).toThrow(new RegExp(`${file}[\\s\\S]*holdout\\.share`));
  });

  it('lists every bad field, not just the first', () => {
    write('bad.json', { holdout: { share: 2 }, queue: { senderBatchSize: 50 }, surprise: true });
    expect(() => load('bad.json')).toThrow(/holdout\.share[\s\S]*queue\.senderBatchSize[\s\S]*surprise|surprise[\s\S]*holdout\.share/);
  });

  it('fails naming the file when the named config file does not exist', () => {
    expect(() => load('missing.json')).toThrow(/missing\.json.*rewakeConfig.*does not exist/);
  });

  it('fails naming the file when it is not valid JSON', () => {
    write('broken.json', '{ "brand": ');
    expect(() => load('broken.json')).toThrow(/broken\.json is not valid JSON/);
  });

  it('fails synth when the config is too large to travel in a Lambda environment variable', () => {
    expect(() => synthRewake({ brand: 'x'.repeat(4000) })).toThrow(ConfigError);
    expect(() => synthRewake({ brand: 'x'.repeat(4000) })).toThrow(/4 KB environment/);
  });

  it('deploys the SES, End User Messaging SMS and webhook channels (tests/infra/channels.test.ts has their grants)', () => {
    expect(() => synthRewake({ channels: { sms: { originationIdentity: 'pool-1a2b' } } })).not.toThrow();
    expect(() => synthRewake({ channels: { webhook: { url: 'https://gw.example/send' } } })).not.toThrow();
  });
});
