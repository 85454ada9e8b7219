/**
 * The embedded runtime: the emulators a local run needs, started in this process, and the
 * environment the real handlers read (table names, queue URL, endpoints), set exactly as the CDK
 * stack sets it on AWS. Everything listens on 127.0.0.1 only.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_ENV, type RewakeConfig } from '../../shared/config';
import { ENV } from '../../shared/env';
import { resetPinpointClient } from '../../shared/channels/pinpoint';
import { resetSqsClient } from '../../shared/queue/sqs';
import { resetDocumentClient } from '../../shared/store/dynamo';
import { createTables, startLocalDynamo, type LocalDynamo } from './dynamo';
import { startPinpointOutbox, type PinpointOutbox } from './pinpoint-outbox';
import { quietLocalEnv } from './quiet-env';
import { createQueuePair, startLocalSqs, type LocalQueue, type LocalSqs } from './sqs';

/** A Pinpoint project id for local runs; the outbox accepts any. */
export const LOCAL_PINPOINT_APP_ID = '0123456789abcdef0123456789abcdef';

export interface LocalRuntimeOptions {
  config: RewakeConfig;
  /** Where outbox.jsonl, outbox-preview.md and decisions.jsonl go. @default out */
  outDir?: string;
  /** Keep DynamoDB data here between runs; a fresh in-memory store when omitted. */
  dataDir?: string;
  /** Seconds a failed candidate stays hidden before redelivery. Short locally so a drain ends soon. @default 1 */
  visibilityTimeoutSeconds?: number;
}

export interface LocalRuntime {
  dynamo: LocalDynamo;
  /** The candidates queue (scan → sender). */
  sqs: LocalSqs;
  /** The profile-refresh queue (ingest → profiles), on the same emulator as `sqs`. */
  refreshQueue: LocalQueue;
  outbox: PinpointOutbox;
  outDir: string;
  decisionsFile: string;
  stop(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const outDir = options.outDir ?? 'out';
  mkdirSync(outDir, { recursive: true });
  const decisionsFile = join(outDir, 'decisions.jsonl');
  rmSync(decisionsFile, { force: true });

  const dynamo = await startLocalDynamo({ dataDir: options.dataDir });
  const tables = await createTables(dynamo.client, { prefix: 'rewake-local' });
  const sqs = await startLocalSqs({
    maxReceiveCount: options.config.queue.maxReceiveCount,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 1,
  });
  const refreshQueue = await createQueuePair(sqs.client, {
    queueName: 'rewake-profile-refresh',
    maxReceiveCount: options.config.queue.maxReceiveCount,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 1,
  });
  const outbox = await startPinpointOutbox({ outDir });

  quietLocalEnv();
  Object.assign(process.env, {
    AWS_REGION: process.env.AWS_REGION ?? 'ap-northeast-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_PINPOINT: outbox.endpoint,
    ...tables,
    [ENV.candidatesQueueUrl]: sqs.queueUrl,
    [ENV.profileRefreshQueueUrl]: refreshQueue.queueUrl,
    [ENV.pinpointApplicationId]: LOCAL_PINPOINT_APP_ID,
    [CONFIG_ENV]: JSON.stringify(options.config),
    REWAKE_DECISIONS_FILE: decisionsFile,
  });
  // Clients built before these endpoints existed would point elsewhere.
  resetDocumentClient();
  resetSqsClient();
  resetPinpointClient();

  return {
    dynamo,
    sqs,
    refreshQueue,
    outbox,
    outDir,
    decisionsFile,
    async stop() {
      await Promise.allSettled([outbox.stop(), sqs.stop()]);
      await dynamo.stop();
    },
  };
}
