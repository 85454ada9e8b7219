/**
 * Names of the environment variables the stack sets on each Lambda (and the local runtime sets in
 * process), and a checked reader: a missing one fails at cold start naming itself.
 */
import { ConfigError } from './errors';

export const ENV = {
  eventsTable: 'EVENTS_TABLE',
  profilesTable: 'PROFILES_TABLE',
  sendsTable: 'SENDS_TABLE',
  modelsTable: 'MODELS_TABLE',
  candidatesQueueUrl: 'CANDIDATES_QUEUE_URL',
  profileRefreshQueueUrl: 'PROFILE_REFRESH_QUEUE_URL',
  pinpointApplicationId: 'PINPOINT_APPLICATION_ID',
  reportsBucket: 'REPORTS_BUCKET',
} as const;

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new ConfigError(`Environment variable ${name} is required but not set`);
  return value;
}
