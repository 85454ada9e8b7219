/**
 * What every queue adapter shares: one SQS client per process, and SendMessageBatch of 10 with the
 * failed entries retried (SQS may accept part of a batch); whatever still fails is thrown, so the
 * caller and its own retry know — a message is never dropped silently.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

let shared: SQSClient | undefined;
/** One client per process, built on first use (AWS_ENDPOINT_URL_SQS points it at an emulator). */
export function sqsClient(): SQSClient {
  shared ??= new SQSClient({ maxAttempts: 5 });
  return shared;
}

export function resetSqsClient(): void {
  shared = undefined;
}

export async function sendAll(sqs: SQSClient, queueUrl: string, bodies: string[], { maxRetries = 5 } = {}): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    let pending = bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > maxRetries) throw new Error(`SendMessageBatch to ${queueUrl}: ${pending.length} messages not accepted after ${maxRetries} retries`);
      if (attempt > 0) await sleep(50 * 2 ** attempt);
      const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      pending = pending.filter((e) => failed.has(e.Id));
    }
  }
}
