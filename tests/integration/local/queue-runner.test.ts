import { createHash } from 'node:crypto';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drainQueue, redrive } from '../../../infra/local/queue-runner';
import { startLocalSqs, type LocalSqs } from '../../../infra/local/sqs';

const MAX_RECEIVES = 3;

async function depth(sqs: LocalSqs, queueUrl: string): Promise<{ total: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    total: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

async function sendBodies(sqs: LocalSqs, bodies: string[]): Promise<void> {
  await sqs.client.send(
    new SendMessageBatchCommand({
      QueueUrl: sqs.queueUrl,
      Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b })),
    }),
  );
}

/** A handler that records every record it sees and fails the ones `fails` picks. */
function recordingHandler(fails: (r: SQSRecord, seenBefore: number) => boolean = () => false) {
  const seen: SQSRecord[] = [];
  const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures = [];
    for (const r of event.Records) {
      const before = seen.filter((s) => s.body === r.body).length;
      seen.push(r);
      if (fails(r, before)) batchItemFailures.push({ itemIdentifier: r.messageId });
    }
    return { batchItemFailures };
  };
  return { handler, seen };
}

describe('local SQS and queue runner', () => {
  let sqs: LocalSqs;

  beforeEach(async () => {
    sqs = await startLocalSqs({ maxReceiveCount: MAX_RECEIVES, visibilityTimeoutSeconds: 1 });
  });
  afterEach(async () => {
    await sqs?.stop();
  });

  it('creates the queue with a redrive policy to its DLQ and the configured visibility timeout', async () => {
    const { Attributes = {} } = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl: sqs.queueUrl, AttributeNames: ['All'] }),
    );

    expect(Attributes.VisibilityTimeout).toBe('1');
    expect(JSON.parse(Attributes.RedrivePolicy!)).toEqual({ deadLetterTargetArn: sqs.dlqArn, maxReceiveCount: MAX_RECEIVES });
    expect(sqs.dlqUrl).not.toBe(sqs.queueUrl);
  });

  it('uses fresh queue names on every start', async () => {
    const other = await startLocalSqs({ visibilityTimeoutSeconds: 1 });
    try {
      expect(other.queueUrl).not.toBe(sqs.queueUrl);
      expect(other.queueUrl.split('/').pop()).toMatch(/^rewake-candidates-/);
    } finally {
      await other.stop();
    }
  });

  it('hands the handler records in Lambda\'s SQS event shape', async () => {
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: sqs.queueUrl,
        MessageBody: '{"userId":"u-1"}',
        MessageAttributes: { campaign: { DataType: 'String', StringValue: 'winback' } },
      }),
    );
    const { handler, seen } = recordingHandler();

    await drainQueue({ client: sqs.client, queueUrl: sqs.queueUrl, handler });

    expect(seen).toHaveLength(1);
    const record = seen[0]!;
    expect(record).toMatchObject({
      body: '{"userId":"u-1"}',
      md5OfBody: createHash('md5').update('{"userId":"u-1"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: sqs.queueArn,
      awsRegion: process.env.AWS_REGION,
      messageAttributes: {
        campaign: { stringValue: 'winback', stringListValues: [], binaryListValues: [], dataType: 'String' },
      },
    });
    expect(record.messageId).toEqual(expect.any(String));
    expect(record.receiptHandle).toEqual(expect.any(String));
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(record.attributes.SentTimestamp).toMatch(/^\d+$/);
    expect(record.attributes.ApproximateFirstReceiveTimestamp).toMatch(/^\d+$/);
  });

  it('deletes the records that succeeded and stops when the queue is empty', async () => {
    await sendBodies(sqs, ['a', 'b', 'c', 'd', 'e']);
    const { handler, seen } = recordingHandler();

    const stats = await drainQueue({ client: sqs.client, queueUrl: sqs.queueUrl, handler, batchSize: 2 });

    expect(stats).toEqual({ batches: 3, received: 5, succeeded: 5, failed: 0, deadLettered: 0 });
    expect(seen.map((r) => r.body).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(seen.every((r) => r.attributes.ApproximateReceiveCount === '1')).toBe(true);
    expect(await depth(sqs, sqs.queueUrl)).toEqual({ total: 0, inFlight: 0 });
  });

  it('redelivers a batch item failure and deletes it once it succeeds', async () => {
    await sendBodies(sqs, ['ok', 'flaky']);
    const { handler, seen } = recordingHandler((r, before) => r.body === 'flaky' && before === 0);

    const stats = await drainQueue({ client: sqs.client, queueUrl: sqs.queueUrl, handler });

    expect(seen.filter((r) => r.body === 'ok')).toHaveLength(1);
    expect(seen.filter((r) => r.body === 'flaky').map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(stats).toMatchObject({ received: 3, succeeded: 2, failed: 1, deadLettered: 0 });
    expect(await depth(sqs, sqs.dlqUrl)).toEqual({ total: 0, inFlight: 0 });
  });

  it('retries the whole batch when the handler throws', async () => {
    await sendBodies(sqs, ['x', 'y']);
    let calls = 0;
    const bodiesPerCall: string[][] = [];
    const handler = async (event: SQSEvent) => {
      calls += 1;
      bodiesPerCall.push(event.Records.map((r) => r.body).sort());
      if (calls === 1) throw new Error('boom');
    };

    const stats = await drainQueue({ client: sqs.client, queueUrl: sqs.queueUrl, handler });

    expect(bodiesPerCall).toEqual([
      ['x', 'y'],
      ['x', 'y'],
    ]);
    expect(stats).toEqual({ batches: 2, received: 4, succeeded: 2, failed: 2, deadLettered: 0 });
  });

  it('treats a failure naming a record not in the batch as a failure of the whole batch', async () => {
    await sendBodies(sqs, ['only']);
    let calls = 0;
    const handler = async (): Promise<SQSBatchResponse> => {
      calls += 1;
      return { batchItemFailures: calls === 1 ? [{ itemIdentifier: 'not-in-this-batch' }] : [] };
    };

    const stats = await drainQueue({ client: sqs.client, queueUrl: sqs.queueUrl, handler });

    expect(calls).toBe(2);
    expect(stats).toMatchObject({ received: 2, succeeded: 1, failed: 1 });
  });

  it('moves a record that always fails to the DLQ after maxReceiveCount receives, and redrive moves it back', async () => {
    await sendBodies(sqs, ['poison', 'fine']);
    const progress: number[] = [];
    const { handler, seen } = recordingHandler((r) => r.body === 'poison');

    const stats = await drainQueue({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      handler,
      onProgress: (s) => progress.push(s.batches),
    });

    const poisonCounts = seen.filter((r) => r.body === 'poison').map((r) => r.attributes.ApproximateReceiveCount);
    expect(poisonCounts).toEqual(['1', '2', '3']);
    expect(stats).toMatchObject({ received: 4, succeeded: 1, failed: 3, deadLettered: 1 });
    expect(progress).toEqual(Array.from({ length: stats.batches }, (_, i) => i + 1));
    expect(await depth(sqs, sqs.queueUrl)).toEqual({ total: 0, inFlight: 0 });
    expect(await depth(sqs, sqs.dlqUrl)).toEqual({ total: 1, inFlight: 0 });

    const moved = await redrive({ client: sqs.client, dlqUrl: sqs.dlqUrl, queueUrl: sqs.queueUrl });

    expect(moved).toBe(1);
    expect(await depth(sqs, sqs.dlqUrl)).toEqual({ total: 0, inFlight: 0 });
    const { Messages = [] } = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, AttributeNames: ['All'], MaxNumberOfMessages: 10 }),
    );
    expect(Messages.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([['poison', '1']]);
  });

  it('keeps message attributes when redriving', async () => {
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: sqs.dlqUrl,
        MessageBody: 'dead',
        MessageAttributes: { step: { DataType: 'Number', StringValue: '2' } },
      }),
    );

    expect(await redrive({ client: sqs.client, dlqUrl: sqs.dlqUrl, queueUrl: sqs.queueUrl })).toBe(1);

    const { Messages = [] } = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MessageAttributeNames: ['All'] }),
    );
    expect(Messages[0]?.Body).toBe('dead');
    expect(Messages[0]?.MessageAttributes).toEqual({ step: { DataType: 'Number', StringValue: '2' } });
  });

  it('rejects a batch size SQS cannot deliver in one receive', async () => {
    const { handler } = recordingHandler();
    await expect(drainQueue({ client: sqs.client, queueUrl: sqs.queueUrl, handler, batchSize: 11 })).rejects.toThrow(
      /batchSize must be an integer from 1 to 10/,
    );
  });
});
