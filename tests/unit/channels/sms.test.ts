import {
  AccessDeniedException,
  ConflictException,
  InternalServerException,
  PinpointSMSVoiceV2Client,
  ResourceNotFoundException,
  SendTextMessageCommand,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../../shared/channels/channel';
import { EumSmsChannel, type EumSmsChannelOptions } from '../../../shared/channels/sms';

const client = new PinpointSMSVoiceV2Client({ region: 'ap-northeast-1' });
const eum = mockClient(client);

const options: EumSmsChannelOptions = { originationIdentity: 'pool-rewake-promo', configurationSetName: 'rewake-sms', concurrency: 1 };

const sms = (n: number, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  key: `k-${n}`,
  userId: `user-${n}`,
  campaign: 'winback',
  step: 2,
  channel: 'sms',
  address: `+8613900000${String(n).padStart(3, '0')}`,
  title: '茶里：好久不见',
  body: '【茶里】好久不见，我们想念您！送您一张9折优惠券。拒收请回复R',
  ...overrides,
});

const meta = { $metadata: {}, message: 'refused' };

beforeEach(() => {
  eum.reset();
  eum.on(SendTextMessageCommand).callsFake((input) => ({ MessageId: `eum-${input.Context.userId}` }));
});

describe('EumSmsChannel', () => {
  it('serves the sms channel only', () => {
    expect(new EumSmsChannel(client, options).channels).toEqual(['sms']);
  });

  it('sends a promotional SendTextMessage from the origination identity with the user, campaign and step as context', async () => {
    // Prepare
    const channel = new EumSmsChannel(client, options);

    // Act
    await channel.send([sms(1)]);

    // Assess
    expect(eum).toHaveReceivedCommandTimes(SendTextMessageCommand, 1);
    expect(eum).toHaveReceivedCommandWith(SendTextMessageCommand, { MessageType: 'PROMOTIONAL', OriginationIdentity: 'pool-rewake-promo' });
    expect(eum.commandCalls(SendTextMessageCommand)[0]!.args[0].input).toEqual({
      DestinationPhoneNumber: '+8613900000001',
      OriginationIdentity: 'pool-rewake-promo',
      MessageBody: '【茶里】好久不见，我们想念您！送您一张9折优惠券。拒收请回复R',
      MessageType: 'PROMOTIONAL',
      ConfigurationSetName: 'rewake-sms',
      Context: { userId: 'user-1', campaign: 'winback', step: '2' },
    });
  });

  it('reports each message as sent with its End User Messaging message id', async () => {
    // Prepare
    const channel = new EumSmsChannel(client, { ...options, concurrency: 2 });

    // Act
    const outcomes = await channel.send([sms(1), sms(2), sms(3)]);

    // Assess
    expect(eum).toHaveReceivedCommandTimes(SendTextMessageCommand, 3);
    expect(outcomes).toEqual([1, 2, 3].map((n) => ({ key: `k-${n}`, result: 'sent', status: 'SUCCESSFUL', messageId: `eum-user-${n}` })));
  });

  it('appends the refusal line to a Chinese body that lacks it', async () => {
    // Prepare
    const channel = new EumSmsChannel(client, options);

    // Act
    await channel.send([sms(1, { body: '【茶里】好久不见！' })]);

    // Assess
    expect(eum).toHaveReceivedCommandWith(SendTextMessageCommand, { MessageBody: '【茶里】好久不见！拒收请回复R' });
  });

  it('appends the English opt-out line to an English body that lacks it', async () => {
    // Prepare
    const channel = new EumSmsChannel(client, options);

    // Act
    await channel.send([sms(1, { body: '[Tea House] Long time no see!' })]);

    // Assess
    expect(eum).toHaveReceivedCommandWith(SendTextMessageCommand, { MessageBody: '[Tea House] Long time no see! Reply STOP to opt out' });
  });

  it('does not add a second refusal line to a body that already ends with one', async () => {
    // Prepare
    const channel = new EumSmsChannel(client, options);

    // Act
    await channel.send([sms(1, { body: '[Tea House] Long time no see! Reply STOP to opt out' })]);

    // Assess
    const body = eum.commandCalls(SendTextMessageCommand)[0]!.args[0].input.MessageBody!;
    expect(body).toBe('[Tea House] Long time no see! Reply STOP to opt out');
  });

  it('suppresses a number on the opt-out list as OPT_OUT, and still sends the rest', async () => {
    // Prepare
    eum
      .on(SendTextMessageCommand, { DestinationPhoneNumber: '+8613900000001' })
      .rejects(new ConflictException({ ...meta, Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT', ResourceType: 'opted-out-number' }));
    const channel = new EumSmsChannel(client, options);

    // Act
    const outcomes = await channel.send([sms(1), sms(2)]);

    // Assess
    expect(outcomes).toEqual([
      { key: 'k-1', result: 'suppress', status: 'OPT_OUT' },
      { key: 'k-2', result: 'sent', status: 'SUCCESSFUL', messageId: 'eum-user-2' },
    ]);
  });

  it('suppresses a number End User Messaging cannot parse', async () => {
    // Prepare
    eum.on(SendTextMessageCommand).rejects(new ValidationException({ ...meta, Reason: 'CANNOT_PARSE' }));
    const channel = new EumSmsChannel(client, options);

    // Act
    const outcomes = await channel.send([sms(1, { address: '+86 not a number' })]);

    // Assess
    expect(outcomes).toEqual([{ key: 'k-1', result: 'suppress', status: 'ValidationException:CANNOT_PARSE' }]);
  });

  it('retries a destination whose country is not set up yet, without stopping the batch', async () => {
    // Prepare
    eum
      .on(SendTextMessageCommand, { DestinationPhoneNumber: '+8613900000001' })
      .rejects(new ValidationException({ ...meta, Reason: 'SENDER_ID_REQUIRES_REGISTRATION' }));
    const channel = new EumSmsChannel(client, options);

    // Act
    const outcomes = await channel.send([sms(1), sms(2)]);

    // Assess
    expect(outcomes.map((o) => [o.key, o.result, o.status])).toEqual([
      ['k-1', 'retry', 'ValidationException:SENDER_ID_REQUIRES_REGISTRATION'],
      ['k-2', 'sent', 'SUCCESSFUL'],
    ]);
  });

  it.each([
    ['ThrottlingException', () => new ThrottlingException(meta)],
    ['ServiceQuotaExceededException:MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT', () => new ServiceQuotaExceededException({ ...meta, Reason: 'MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT' })],
    ['AccessDeniedException:ACCOUNT_DISABLED', () => new AccessDeniedException({ ...meta, Reason: 'ACCOUNT_DISABLED' })],
    ['ResourceNotFoundException', () => new ResourceNotFoundException(meta)],
    ['ConflictException:RESOURCE_NOT_ACTIVE', () => new ConflictException({ ...meta, Reason: 'RESOURCE_NOT_ACTIVE' })],
  ] as const)('retries on %s and makes no further calls in this batch', async (status, error) => {
    // Prepare
    eum.on(SendTextMessageCommand).rejects(error());
    const channel = new EumSmsChannel(client, options);

    // Act
    const outcomes = await channel.send([sms(1), sms(2)]);

    // Assess
    expect(eum).toHaveReceivedCommandTimes(SendTextMessageCommand, 1);
    expect(outcomes).toEqual([
      { key: 'k-1', result: 'retry', status },
      { key: 'k-2', result: 'retry', status },
    ]);
  });

  it('retries a message that met an internal server error and goes on with the rest', async () => {
    // Prepare
    eum.on(SendTextMessageCommand).rejectsOnce(new InternalServerException(meta)).resolves({ MessageId: 'eum-2' });
    const channel = new EumSmsChannel(client, options);

    // Act
    const outcomes = await channel.send([sms(1), sms(2)]);

    // Assess
    expect(eum).toHaveReceivedCommandTimes(SendTextMessageCommand, 2);
    expect(outcomes.map((o) => [o.key, o.result, o.status])).toEqual([
      ['k-1', 'retry', 'InternalServerException'],
      ['k-2', 'sent', 'SUCCESSFUL'],
    ]);
  });

  it('refuses to be built without an origination identity', () => {
    expect(() => new EumSmsChannel(client, { originationIdentity: '' })).toThrow(/originationIdentity/);
  });
});
