/**
 * Settings shared by every SDK client that talks to an embedded emulator. The emulators check no
 * signatures, but the SDK refuses to sign without credentials and a region, so both are dummies.
 */
export const LOCAL_ACCOUNT_ID = '123456789012';

/** The region local runs pretend to be in: AWS_REGION when set (vitest sets it), else Tokyo. */
export function localRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || 'ap-northeast-1';
}

export interface LocalClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export function localClientConfig(endpoint: string): LocalClientConfig {
  return {
    endpoint,
    region: localRegion(),
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}
