/**
 * The local stand-in for Lambda's SQS event source mapping (ESM): poll the queue, hand batches to the
 * handler as a real SQSEvent, delete what succeeded. Failed messages are left alone: SQS makes them
 * visible again after the visibility timeout and, after maxReceiveCount receives, its RedrivePolicy
 * moves them to the DLQ. So retries and dead-lettering are the queue's doing, exactly as on AWS.
 *
 * Like an ESM with ReportBatchItemFailures on:
 * - returned `batchItemFailures` are retried, every other record is deleted;
 * - a thrown error, or a failure naming an id that is not in the batch, retries the whole batch.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { fakeLambdaContext } from './lambda-context';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface DrainStats {
  /** Handler invocations. */
  batches: number;
  /** Records handed to the handler, redeliveries included. */
  received: number;
  /** Records the handler accepted and that were deleted from the queue. */
  succeeded: number;
  /** Records left on the queue for a retry (reported failures, thrown batches, failed deletes). */
  failed: number;
  /** Distinct messages whose last attempt failed and that left the queue: now in the DLQ. */
  deadLettered: number;
}

export interface DrainQueueOptions {
  client: SQSClient;
  queueUrl: string;
  handler: SqsHandler;
  /** Records per invocation, 1-10 (one ReceiveMessage). @default 10 */
  batchSize?: number;
  /**
   * Per-receive visibility timeout; omit to use the queue's own. It is also the fake context's
   * function timeout, since SQS needs the visibility timeout to cover the function's run.
   */
  visibilityTimeoutSeconds?: number;
  /** Pause between polls while only in-flight messages remain. @default 100 */
  idlePollMs?: number;
  /** @default 'rewake-send-local' */
  functionName?: string;
  /** Called after every batch with the running totals. */
  onProgress?: (stats: Readonly<DrainStats>) => void;
  /** Stops the drain between batches (a queue without a DLQ never empties if a record always fails). */
  signal?: AbortSignal;
}

/**
 * Polls until the queue holds nothing (visible, in flight and delayed all 0) and returns the totals.
 * Short polls (WaitTimeSeconds 0): local-aws-sqs long polls always wait their full time and can
 * return one message twice in a batch (see sqs.ts), so the runner sleeps between empty polls itself.
 */
export async function drainQueue(opts: DrainQueueOptions): Promise<DrainStats> {
  const { client, queueUrl, handler } = opts;
  const batchSize = opts.batchSize ?? 10;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new RangeError(`batchSize must be an integer from 1 to 10 (one ReceiveMessage), got ${batchSize}`);
  }
  const idlePollMs = opts.idlePollMs ?? 100;
  const queue = await describeQueue(client, queueUrl);
  const region = await client.config.region();
  const functionTimeoutMs = (opts.visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds) * 1000;

  const stats: DrainStats = { batches: 0, received: 0, succeeded: 0, failed: 0, deadLettered: 0 };
  /** messageId → outcome of its latest attempt; what is still "failed" at the end was dead-lettered. */
  const lastOutcome = new Map<string, 'succeeded' | 'failed'>();

  while (!opts.signal?.aborted) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        AttributeNames: ['All'], // without it local-aws-sqs omits ApproximateReceiveCount
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        WaitTimeSeconds: 0,
        VisibilityTimeout: opts.visibilityTimeoutSeconds,
      }),
    );
    if (Messages.length === 0) {
      if (await isEmpty(client, queueUrl)) break;
      await sleep(idlePollMs);
      continue;
    }

    const records = uniqueByMessageId(Messages).map((m) => toRecord(m, queue.arn, region));
    const failedIds = await invoke(handler, records, opts.functionName ?? 'rewake-send-local', functionTimeoutMs);
    const toDelete = records.filter((r) => !failedIds.has(r.messageId));
    const notDeleted = await deleteRecords(client, queueUrl, toDelete);

    stats.batches += 1;
    stats.received += records.length;
    for (const r of records) {
      // A record the handler finished is done even if its delete was refused (its receipt handle
      // went stale in a slow batch): it may come back and be handled again, idempotently, but it
      // was not a failure that could end in the DLQ.
      lastOutcome.set(r.messageId, failedIds.has(r.messageId) ? 'failed' : 'succeeded');
      const ok = !failedIds.has(r.messageId) && !notDeleted.has(r.messageId);
      if (ok) stats.succeeded += 1;
      else stats.failed += 1;
    }
    opts.onProgress?.({ ...stats });
  }

  if (!opts.signal?.aborted) {
    stats.deadLettered = [...lastOutcome.values()].filter((o) => o === 'failed').length;
  }
  return stats;
}

/**
 * Calls the handler and returns the ids to keep on the queue. Mirrors the ESM: a throw, or a
 * malformed failure list, fails the whole batch.
 */
async function invoke(
  handler: SqsHandler,
  records: SQSRecord[],
  functionName: string,
  timeoutMs: number,
): Promise<Set<string>> {
  const all = new Set(records.map((r) => r.messageId));
  let response: SQSBatchResponse | void;
  try {
    response = await handler({ Records: records }, fakeLambdaContext({ functionName, timeoutMs }));
  } catch {
    return all;
  }
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set<string>();
  for (const f of failures) {
    if (!f || typeof f.itemIdentifier !== 'string' || !all.has(f.itemIdentifier)) return all;
    ids.add(f.itemIdentifier);
  }
  return ids;
}

/** Deletes in one DeleteMessageBatch (≤ 10 entries) and returns the ids SQS refused to delete. */
async function deleteRecords(client: SQSClient, queueUrl: string, records: SQSRecord[]): Promise<Set<string>> {
  if (records.length === 0) return new Set();
  const { Failed = [] } = await client.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
    }),
  );
  return new Set(Failed.map((f) => records[Number(f.Id)]?.messageId).filter((id): id is string => !!id));
}

/**
 * The record exactly as Lambda builds it from an SQS message: camelCase fields, string attributes,
 * and message attributes as { stringValue, binaryValue (base64), stringListValues, binaryListValues, dataType }.
 */
export function toRecord(message: Message, eventSourceARN: string, awsRegion: string): SQSRecord {
  const attributes = (message.Attributes ?? {}) as Record<string, string>;
  const record: SQSRecord = {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
      ...attributes,
    },
    messageAttributes: toRecordAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

function toRecordAttributes(attrs: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, v] of Object.entries(attrs ?? {})) {
    out[name] = {
      dataType: v.DataType ?? 'String',
      stringListValues: [],
      binaryListValues: [],
      ...(v.StringValue !== undefined && { stringValue: v.StringValue }),
      ...(v.BinaryValue !== undefined && { binaryValue: Buffer.from(v.BinaryValue).toString('base64') }),
    };
  }
  return out;
}

/**
 * Keeps one copy per MessageId, the latest receive. SQS never puts one message twice in a batch,
 * but local-aws-sqs can during a long poll; a handler must not see the duplicate as two records.
 */
function uniqueByMessageId(messages: Message[]): Message[] {
  const byId = new Map<string, Message>();
  for (const m of messages) byId.set(m.MessageId!, m);
  return [...byId.values()];
}

async function describeQueue(
  client: SQSClient,
  queueUrl: string,
): Promise<{ arn: string; visibilityTimeoutSeconds: number }> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }),
  );
  if (!Attributes.QueueArn) throw new Error(`Queue ${queueUrl} reported no QueueArn`);
  return { arn: Attributes.QueueArn, visibilityTimeoutSeconds: Number(Attributes.VisibilityTimeout ?? 30) };
}

/** Nothing visible, in flight or delayed. */
async function isEmpty(client: SQSClient, queueUrl: string): Promise<boolean> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) === 0 &&
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) === 0 &&
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0) === 0
  );
}

/**
 * Moves every message in the DLQ back to its source queue (receive, send, delete), as an operator
 * does after fixing the cause. Body and message attributes are kept; SQS gives each a new
 * MessageId and a receive count of 0. Returns how many moved. Standard queues only (no group ids).
 */
export async function redrive(opts: { client: SQSClient; dlqUrl: string; queueUrl: string }): Promise<number> {
  const { client, dlqUrl, queueUrl } = opts;
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
      }),
    );
    if (Messages.length === 0) return moved;
    const batch = uniqueByMessageId(Messages);
    const sent = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          MessageAttributes: m.MessageAttributes && Object.keys(m.MessageAttributes).length ? m.MessageAttributes : undefined,
        })),
      }),
    );
    // Delete only what reached the source queue: the rest stays in the DLQ, never lost or doubled.
    const sentIndexes = (sent.Successful ?? []).map((e) => Number(e.Id));
    if (sentIndexes.length > 0) {
      const deleted = await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: sentIndexes.map((i) => ({ Id: String(i), ReceiptHandle: batch[i]!.ReceiptHandle! })),
        }),
      );
      if (deleted.Failed?.length) {
        throw new Error(`Redrive sent ${deleted.Failed.length} message(s) but could not delete them from the DLQ: they may arrive twice`);
      }
    }
    if (sent.Failed?.length) {
      const why = sent.Failed.map((f) => `${f.Code}: ${f.Message}`).join('; ');
      throw new Error(`Redrive moved ${moved + sentIndexes.length}, then could not send ${sent.Failed.length} back to the queue: ${why}`);
    }
    moved += sentIndexes.length;
  }
}
