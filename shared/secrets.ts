/**
 * Secrets the channels need (the unsubscribe-token key, the webhook's HMAC key), from one place:
 *
 * - `env[NAME]` when it is set: local runs and tests put the value there directly;
 * - otherwise the AWS Secrets Manager secret whose ARN the stack puts in `env[NAME_ARN]`, fetched
 *   once per process (a Lambda cold start) and kept in memory: the value never travels in the
 *   function's configuration, where anyone with lambda:GetFunctionConfiguration could read it.
 *
 * NAME is the variable the config names (`channels.ses.unsubscribeSecretEnv`,
 * `channels.webhook.secretEnv`), so the sender, the unsubscribe endpoint and the feedback handler
 * all read the same secret the same way.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RewakeConfig } from './config';
import { ConfigError } from './errors';

/** The variable holding the ARN of the secret whose value would be in `name`. */
export const secretArnEnv = (name: string): string => `${name}_ARN`;

/** Fetches a secret's string value by ARN (or name). Injected in tests. */
export type SecretFetcher = (secretId: string) => Promise<string | undefined>;

let client: SecretsManagerClient | undefined;
const cache = new Map<string, Promise<string>>();

const fetchFromSecretsManager: SecretFetcher = async (secretId) => {
  client ??= new SecretsManagerClient({ maxAttempts: 3 });
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  return out.SecretString;
};

/**
 * The secret named by `name`: `env[name]`, else the Secrets Manager secret at `env[name_ARN]`.
 * Throws ConfigError naming both variables when neither is set, or when the secret is empty.
 */
export async function resolveSecret(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  fetchSecret: SecretFetcher = fetchFromSecretsManager,
): Promise<string> {
  const direct = env[name];
  if (direct) return direct;
  const arn = env[secretArnEnv(name)];
  if (!arn) throw new ConfigError(`Secret ${name} is not available: set ${name} (local runs) or ${secretArnEnv(name)} (the stack sets it)`);
  let pending = cache.get(arn);
  if (!pending) {
    pending = fetchSecret(arn).then((value) => {
      // The secret's name, not its value, goes in the message.
      if (!value) throw new ConfigError(`Secret ${arn} (for ${name}) has no string value`);
      return value;
    });
    cache.set(arn, pending);
    // A failed fetch (throttled, not yet granted) must not poison the cache for the next invocation.
    pending.catch(() => cache.delete(arn));
  }
  return pending;
}

/**
 * Resolves each named secret and sets it in `env[name]`, so code that reads secrets synchronously
 * from the environment (requireEnv) works unchanged after one awaited call at cold start.
 */
export async function loadSecretsIntoEnv(names: readonly string[], env: NodeJS.ProcessEnv = process.env, fetchSecret?: SecretFetcher): Promise<void> {
  for (const name of new Set(names)) env[name] = await resolveSecret(name, env, fetchSecret);
}

/** The secrets the configured channels sign with: the variables the sender's channels read. */
export function channelSecretNames(config: RewakeConfig): string[] {
  const { ses, webhook } = config.channels;
  return [...(ses ? [ses.unsubscribeSecretEnv] : []), ...(webhook ? [webhook.secretEnv] : [])];
}

/** Forgets fetched values (tests; a rotated secret is picked up by the next cold start anyway). */
export function resetSecretCache(): void {
  cache.clear();
  client = undefined;
}
