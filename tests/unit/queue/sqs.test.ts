import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { sendAll } from '../../../shared/queue/sqs';

const client = new SQSClient({ region: 'ap-northeast-1' });
const sqs = mockClient(client);
const URL = 'https://sqs.example/123/candidates';

beforeEach(() => sqs.reset());

describe('sendAll', () => {
  it('sends in batches of 10 and re-sends only the entries SQS did not accept', async () => {
    sqs.on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: '3', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [] });
    const bodies = Array.from({ length: 12 }, (_, i) => `m${i}`);

    await sendAll(client, URL, bodies);

    const entries = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.map((e) => e.MessageBody));
    expect(entries).toEqual([bodies.slice(0, 10), ['m3'], bodies.slice(10)]);
  });

  it('throws, naming how many were not accepted, when an entry keeps failing', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'ThrottlingException', SenderFault: false }] });

    await expect(sendAll(client, URL, ['only'], { maxRetries: 2 })).rejects.toThrow(/1 messages not accepted after 2 retries/);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 3);
  });
});
