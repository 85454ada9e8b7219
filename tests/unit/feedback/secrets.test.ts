import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors';
import { loadSecretsIntoEnv, resetSecretCache, resolveSecret, secretArnEnv } from '../../../shared/secrets';

const ARN = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:rewake-unsub-AbCdEf';

/** A Secrets Manager stand-in that counts its calls. */
function store(values: Record<string, string | undefined>) {
  const calls: string[] = [];
  const fetch = async (id: string) => {
    calls.push(id);
    if (!(id in values)) throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
    return values[id];
  };
  return { calls, fetch };
}

afterEach(() => resetSecretCache());

describe('channel secrets', () => {
  it('uses the value in the environment when it is there (local runs), without calling Secrets Manager', async () => {
    const { calls, fetch } = store({});

    expect(await resolveSecret('REWAKE_UNSUBSCRIBE_SECRET', { REWAKE_UNSUBSCRIBE_SECRET: 'local-key' }, fetch)).toBe('local-key');
    expect(calls).toEqual([]);
  });

  it('fetches the secret at <NAME>_ARN once per process', async () => {
    const { calls, fetch } = store({ [ARN]: 'aws-key' });
    const env = { [secretArnEnv('REWAKE_UNSUBSCRIBE_SECRET')]: ARN };

    const first = await resolveSecret('REWAKE_UNSUBSCRIBE_SECRET', env, fetch);
    const second = await resolveSecret('REWAKE_UNSUBSCRIBE_SECRET', env, fetch);

    expect([first, second]).toEqual(['aws-key', 'aws-key']);
    expect(calls).toEqual([ARN]);
    expect(secretArnEnv('REWAKE_UNSUBSCRIBE_SECRET')).toBe('REWAKE_UNSUBSCRIBE_SECRET_ARN');
  });

  it('retries a failed fetch on the next call instead of remembering the failure', async () => {
    const values: Record<string, string | undefined> = {};
    const { calls, fetch } = store(values);
    const env = { REWAKE_WEBHOOK_SECRET_ARN: ARN };

    await expect(resolveSecret('REWAKE_WEBHOOK_SECRET', env, fetch)).rejects.toThrow('not found');
    values[ARN] = 'granted-now';

    expect(await resolveSecret('REWAKE_WEBHOOK_SECRET', env, fetch)).toBe('granted-now');
    expect(calls).toEqual([ARN, ARN]);
  });

  it('names both variables when neither is set, and refuses an empty secret', async () => {
    const { fetch } = store({ [ARN]: '' });

    await expect(resolveSecret('REWAKE_WEBHOOK_SECRET', {}, fetch)).rejects.toThrow(ConfigError);
    await expect(resolveSecret('REWAKE_WEBHOOK_SECRET', {}, fetch)).rejects.toThrow(/REWAKE_WEBHOOK_SECRET .*REWAKE_WEBHOOK_SECRET_ARN/);
    await expect(resolveSecret('REWAKE_WEBHOOK_SECRET', { REWAKE_WEBHOOK_SECRET_ARN: ARN }, fetch)).rejects.toThrow(/has no string value/);
  });

  it('puts resolved secrets in the environment, so synchronous readers (requireEnv) find them', async () => {
    const { fetch } = store({ [ARN]: 'aws-key' });
    const env: NodeJS.ProcessEnv = { REWAKE_UNSUBSCRIBE_SECRET_ARN: ARN, REWAKE_WEBHOOK_SECRET: 'local-webhook-key' };

    await loadSecretsIntoEnv(['REWAKE_UNSUBSCRIBE_SECRET', 'REWAKE_WEBHOOK_SECRET'], env, fetch);

    expect(env.REWAKE_UNSUBSCRIBE_SECRET).toBe('aws-key');
    expect(env.REWAKE_WEBHOOK_SECRET).toBe('local-webhook-key');
  });
});
