/**
 * The embedded SQS for local runs and integration tests: local-aws-sqs, in this process, on an
 * ephemeral loopback port, with the candidates queue and its dead-letter queue wired by a
 * RedrivePolicy exactly as the stack wires them on AWS.
 *
 * local-aws-sqs quirks that shape this module and queue-runner.ts (checked against 2.0.2):
 * - Attributes such as ApproximateReceiveCount come back only when asked for (`AttributeNames: ['All']`).
 * - ChangeMessageVisibility bumps the receive count, so nothing here calls it.
 * - A long poll (WaitTimeSeconds > 0) always waits the full time to fill the batch, and when the
 *   visibility timeout is not longer than the wait it can return the SAME message twice in one
 *   batch (receive counts 1 and 2). Consumers short-poll (WaitTimeSeconds 0) and sleep themselves.
 * - ApproximateNumberOfMessages counts in-flight messages too (AWS counts only visible ones).
 * - A message whose receive count has reached maxReceiveCount moves to the DLQ when its visibility
 *   timeout expires (AWS moves it on the next receive); either way it never reaches a consumer again.
 * - A deleted queue name cannot be re-created for 60 s, so every start uses fresh queue names.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { defaultConfig } from '../../shared/config';
import { LOCAL_ACCOUNT_ID, localClientConfig, localRegion } from './aws-config';
import { closeServer, LOCAL_HOST } from './http';

export interface StartLocalSqsOptions {
  /** Base name; a unique suffix is added per start. @default 'rewake-candidates' */
  queueName?: string;
  /** Receives before a message moves to the DLQ. @default config queue.maxReceiveCount (5) */
  maxReceiveCount?: number;
  /**
   * The queue's VisibilityTimeout: how long a failed message stays hidden before redelivery.
   * Local runs pass something short (1 s) so a drain with failures ends quickly.
   * @default config queue.visibilityTimeoutSeconds (120)
   */
  visibilityTimeoutSeconds?: number;
}

export interface LocalSqs {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_SQS. */
  endpoint: string;
  /** A client already pointed at the emulator. */
  client: SQSClient;
  /** The candidates queue, for CANDIDATES_QUEUE_URL. */
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  /** Closes the client and the server (dropping any open long poll). Safe to call twice. */
  stop(): Promise<void>;
}

/** 14 days, SQS's maximum: a DLQ must keep messages at least as long as its source queue. */
const DLQ_RETENTION_SECONDS = 1_209_600;
/** 4 days, SQS's default, for the source queue. */
const QUEUE_RETENTION_SECONDS = 345_600;

export async function startLocalSqs(opts: StartLocalSqsOptions = {}): Promise<LocalSqs> {
  const defaults = defaultConfig().queue;
  const maxReceiveCount = opts.maxReceiveCount ?? defaults.maxReceiveCount;
  const visibilityTimeoutSeconds = opts.visibilityTimeoutSeconds ?? defaults.visibilityTimeoutSeconds;

  // port 0: local-aws-sqs reads the bound port back, so queue URLs carry the real one.
  const server: Server = await createSqsServer({
    port: 0,
    hostname: LOCAL_HOST,
    region: localRegion(),
    accountId: LOCAL_ACCOUNT_ID,
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('local-aws-sqs is not listening on a TCP port');
  const endpoint = `http://${LOCAL_HOST}:${address.port}`;
  const client = new SQSClient(localClientConfig(endpoint));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    await closeServer(server);
  };

  try {
    const queue = await createQueuePair(client, { queueName: opts.queueName ?? 'rewake-candidates', maxReceiveCount, visibilityTimeoutSeconds });
    return { endpoint, client, ...queue, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

export interface LocalQueue {
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

/** A queue and its DLQ, wired with a RedrivePolicy, on a running emulator. */
export async function createQueuePair(
  client: SQSClient,
  opts: { queueName: string; maxReceiveCount: number; visibilityTimeoutSeconds: number },
): Promise<LocalQueue> {
  const name = uniqueQueueName(opts.queueName);
  const dlq = await client.send(
    new CreateQueueCommand({
      QueueName: `${name}-dlq`,
      Attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) },
    }),
  );
  const dlqArn = await queueArn(client, dlq.QueueUrl!);
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(opts.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(QUEUE_RETENTION_SECONDS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: opts.maxReceiveCount }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl!, queueArn: await queueArn(client, queue.QueueUrl!), dlqUrl: dlq.QueueUrl!, dlqArn };
}

/** SQS names: up to 80 characters of [A-Za-z0-9_-]. The suffix keeps each start's names fresh. */
function uniqueQueueName(base: string): string {
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const name = `${base}-${suffix}`;
  // room for the "-dlq" suffix
  if (!/^[A-Za-z0-9_-]{1,76}$/.test(name)) {
    throw new Error(`Queue name "${base}" is invalid: use up to 60 characters from A-Z a-z 0-9 _ -`);
  }
  return name;
}

export async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${queueUrl} reported no QueueArn`);
  return arn;
}
