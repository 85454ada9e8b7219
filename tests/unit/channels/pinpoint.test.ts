import { PinpointClient, SendMessagesCommand, TooManyRequestsException } from '@aws-sdk/client-pinpoint';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../../shared/channels/channel';
import { PinpointChannel, outcomeOf } from '../../../shared/channels/pinpoint';

const client = new PinpointClient({ region: 'ap-northeast-1' });
const pinpoint = mockClient(client);
const APP = '0123456789abcdef0123456789abcdef';

const message = (n: number, channel: 'sms' | 'push' = 'sms', address?: string): OutgoingMessage => ({
  key: `k-${n}`,
  userId: `user-${n}`,
  campaign: 'winback',
  step: 1,
  channel,
  address: address ?? (channel === 'sms' ? `+86138${String(n).padStart(8, '0')}` : `apns:token-${n}`),
  title: '好久不见',
  body: `body ${n}`,
});

/** Pinpoint's answer: every address in the request SUCCESSFUL, unless `statusOf` says otherwise. */
function answerAll(statusOf: (address: string) => string = () => 'SUCCESSFUL') {
  pinpoint.on(SendMessagesCommand).callsFake((input: { MessageRequest: { Addresses: Record<string, unknown> } }) => ({
    MessageResponse: {
      ApplicationId: APP,
      Result: Object.fromEntries(Object.keys(input.MessageRequest.Addresses).map((a) => [a, { DeliveryStatus: statusOf(a), StatusCode: 200, MessageId: `id-${a}` }])),
    },
  }));
}

beforeEach(() => pinpoint.reset());

describe('PinpointChannel', () => {
  it('sends each message with its own body, channel type and context in one SendMessages call', async () => {
    answerAll();
    const channel = new PinpointChannel(client, { applicationId: APP, smsOriginationNumber: '+8610690000' });

    const outcomes = await channel.send([message(1), message(2, 'push')]);

    expect(pinpoint).toHaveReceivedCommandTimes(SendMessagesCommand, 1);
    expect(pinpoint).toHaveReceivedCommandWith(SendMessagesCommand, {
      ApplicationId: APP,
      MessageRequest: {
        Addresses: {
          '+8613800000001': { ChannelType: 'SMS', BodyOverride: 'body 1', TitleOverride: undefined, Context: { userId: 'user-1', campaign: 'winback', step: '1' } },
          'token-2': { ChannelType: 'APNS', BodyOverride: 'body 2', TitleOverride: '好久不见', Context: { userId: 'user-2', campaign: 'winback', step: '1' } },
        },
        MessageConfiguration: {
          SMSMessage: { MessageType: 'PROMOTIONAL', OriginationNumber: '+8610690000' },
          GCMMessage: { Action: 'OPEN_APP' },
          APNSMessage: { Action: 'OPEN_APP' },
        },
      },
    });
    expect(outcomes.map((o) => o.result)).toEqual(['sent', 'sent']);
  });

  it('puts at most 100 addresses in a call, and never one address twice', async () => {
    answerAll();
    const channel = new PinpointChannel(client, { applicationId: APP });
    const messages = [...Array.from({ length: 150 }, (_, i) => message(i)), message(999, 'sms', '+8613800000120')];

    const outcomes = await channel.send(messages);

    const sizes = pinpoint.commandCalls(SendMessagesCommand).map((c) => Object.keys(c.args[0].input.MessageRequest!.Addresses!).length);
    expect(sizes).toEqual([100, 50, 1]);
    expect(outcomes).toHaveLength(151);
  });

  it('keeps the outcomes of calls that succeeded when a later call fails, and retries only the failed call', async () => {
    let calls = 0;
    pinpoint.on(SendMessagesCommand).callsFake((input: { MessageRequest: { Addresses: Record<string, unknown> } }) => {
      calls += 1;
      if (calls === 2) throw new TooManyRequestsException({ message: 'slow down', $metadata: {} });
      return { MessageResponse: { ApplicationId: APP, Result: Object.fromEntries(Object.keys(input.MessageRequest.Addresses).map((a) => [a, { DeliveryStatus: 'SUCCESSFUL' }])) } };
    });
    const channel = new PinpointChannel(client, { applicationId: APP });

    const outcomes = await channel.send(Array.from({ length: 150 }, (_, i) => message(i)));

    expect(outcomes.filter((o) => o.result === 'sent')).toHaveLength(100);
    expect(outcomes.filter((o) => o.result === 'retry').map((o) => o.status)).toEqual(Array(50).fill('TooManyRequestsException'));
  });

  it.each([
    ['SUCCESSFUL', 'sent'],
    ['DUPLICATE', 'sent'],
    ['THROTTLED', 'retry'],
    ['TEMPORARY_FAILURE', 'retry'],
    ['UNKNOWN_FAILURE', 'retry'],
    ['PERMANENT_FAILURE', 'suppress'],
    ['OPT_OUT', 'suppress'],
  ])('maps the per-address status %s to %s', (status, result) => {
    expect(outcomeOf('k', { DeliveryStatus: status })).toMatchObject({ key: 'k', result, status });
  });

  it('retries an address Pinpoint did not answer for', () => {
    expect(outcomeOf('k', undefined)).toMatchObject({ result: 'retry', status: 'MISSING' });
  });
});
