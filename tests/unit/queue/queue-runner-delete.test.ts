import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { drainQueue } from '../../../infra/local/queue-runner';

const QUEUE_URL = 'http://127.0.0.1:1/000000000000/q';

function fakeQueue(deleteRefused: boolean) {
  const client = new SQSClient({ region: 'ap-northeast-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const sqs = mockClient(client);
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: 'arn:aws:sqs:ap-northeast-1:000000000000:q', VisibilityTimeout: '1' } });
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({ Messages: [{ MessageId: 'm-1', ReceiptHandle: 'h-1', Body: '{}', Attributes: { ApproximateReceiveCount: '1' } }] })
    .resolves({ Messages: [] });
  sqs.on(DeleteMessageBatchCommand).resolves(deleteRefused ? { Failed: [{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }], Successful: [] } : { Successful: [{ Id: '0' }], Failed: [] });
  return client;
}

describe('drainQueue bookkeeping', () => {
  it('counts a refused delete as a retry, not as a dead-lettered record, when the handler finished it', async () => {
    const stats = await drainQueue({ client: fakeQueue(true), queueUrl: QUEUE_URL, handler: async () => ({ batchItemFailures: [] }), idlePollMs: 1 });
    expect(stats).toMatchObject({ received: 1, succeeded: 0, failed: 1, deadLettered: 0 });
  });

  it('counts a record the handler failed, and that never came back, as dead-lettered', async () => {
    const stats = await drainQueue({ client: fakeQueue(false), queueUrl: QUEUE_URL, handler: async () => ({ batchItemFailures: [{ itemIdentifier: 'm-1' }] }), idlePollMs: 1 });
    expect(stats).toMatchObject({ received: 1, succeeded: 0, failed: 1, deadLettered: 1 });
  });
});
