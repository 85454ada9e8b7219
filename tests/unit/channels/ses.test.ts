import {
  AccountSuspendedException,
  BadRequestException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SendEmailCommand,
  SendingPausedException,
  SESv2Client,
  SESv2ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../../shared/channels/channel';
import { SesEmailChannel, unsubscribeToken, verifyUnsubscribeToken, type SesEmailChannelOptions } from '../../../shared/channels/ses';

const client = new SESv2Client({ region: 'ap-northeast-1' });
const ses = mockClient(client);

const SECRET = 'unsubscribe-secret-for-tests';
const options: SesEmailChannelOptions = {
  fromEmailAddress: '"Rewake Shop" <hello@shop.example>',
  configurationSetName: 'rewake-marketing',
  unsubscribeBaseUrl: 'https://shop.example/unsubscribe',
  unsubscribeSecret: SECRET,
  unsubscribeMailto: 'unsubscribe@shop.example',
  concurrency: 1,
};

const email = (n: number, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  key: `k-${n}`,
  userId: `user-${n}`,
  campaign: 'winback',
  step: 1,
  channel: 'email',
  address: `user${n}@mail.example`,
  title: 'Rewake Shop：好久不见',
  body: '好久不见，我们想念您！送您一张9折优惠券。如不想再收到此类邮件，可随时退订。',
  ...overrides,
});

const awsError = <T>(Ctor: new (o: { message: string; $metadata: object }) => T) => new Ctor({ message: 'refused for user1@mail.example', $metadata: {} });

beforeEach(() => {
  ses.reset();
  ses.on(SendEmailCommand).callsFake((input) => ({ MessageId: `ses-${input.Destination.ToAddresses[0]}` }));
});

describe('SesEmailChannel', () => {
  it('serves the email channel only', () => {
    expect(new SesEmailChannel(client, options).channels).toEqual(['email']);
  });

  it('sends a UTF-8 simple email with one-click unsubscribe headers, from the configured identity and configuration set', async () => {
    // Prepare
    const channel = new SesEmailChannel(client, options);
    const token = unsubscribeToken('user-1', SECRET, 'email');
    const url = `https://shop.example/unsubscribe?token=${token}`;

    // Act
    await channel.send([email(1)]);

    // Assess
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
      FromEmailAddress: '"Rewake Shop" <hello@shop.example>',
      ConfigurationSetName: 'rewake-marketing',
      Destination: { ToAddresses: ['user1@mail.example'] },
    });
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.Content).toEqual({
      Simple: {
        Subject: { Data: 'Rewake Shop：好久不见', Charset: 'UTF-8' },
        Body: {
          Html: { Data: expect.stringContaining('<p>好久不见，我们想念您！送您一张9折优惠券。如不想再收到此类邮件，可随时退订。</p>'), Charset: 'UTF-8' },
          Text: { Data: `好久不见，我们想念您！送您一张9折优惠券。如不想再收到此类邮件，可随时退订。\n\n退订: ${url}`, Charset: 'UTF-8' },
        },
        Headers: [
          { Name: 'List-Unsubscribe', Value: `<${url}>, <mailto:unsubscribe@shop.example?subject=unsubscribe%20${token}>` },
          { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
        ],
      },
    });
    expect(input.Content!.Simple!.Body!.Html!.Data).toContain(`<a href="${url}">退订</a>`);
    expect(input.EmailTags).toEqual([
      { Name: 'userId', Value: 'user-1' },
      { Name: 'campaign', Value: 'winback' },
      { Name: 'step', Value: '1' },
    ]);
  });

  it('omits the mailto choice and the configuration set when they are not configured', async () => {
    // Prepare
    const channel = new SesEmailChannel(client, { ...options, unsubscribeMailto: undefined, configurationSetName: undefined });

    // Act
    await channel.send([email(1)]);

    // Assess
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.ConfigurationSetName).toBeUndefined();
    expect(input.Content!.Simple!.Headers![0]!.Value).toMatch(/^<https:\/\/shop\.example\/unsubscribe\?token=[\w-]+\.[\w-]+>$/);
  });

  it('puts an unsubscribe link in the headers that verifies back to this user and the email channel', async () => {
    // Prepare
    const channel = new SesEmailChannel(client, options);

    // Act
    await channel.send([email(7)]);

    // Assess
    const header = ses.commandCalls(SendEmailCommand)[0]!.args[0].input.Content!.Simple!.Headers![0]!.Value!;
    const token = new URL(/<(https:[^>]+)>/.exec(header)![1]!).searchParams.get('token')!;
    expect(verifyUnsubscribeToken(token, SECRET)).toEqual({ userId: 'user-7', channel: 'email' });
  });

  it('escapes HTML in the body of the HTML part', async () => {
    // Prepare
    const channel = new SesEmailChannel(client, options);

    // Act
    await channel.send([email(1, { body: 'Fish & chips <b>now</b>' })]);

    // Assess
    const html = ses.commandCalls(SendEmailCommand)[0]!.args[0].input.Content!.Simple!.Body!.Html!.Data!;
    expect(html).toContain('<p>Fish &amp; chips &lt;b&gt;now&lt;/b&gt;</p>');
    expect(html).toContain('>Unsubscribe</a>');
  });

  it('sends one call per message and reports each as sent with the SES message id', async () => {
    // Prepare
    const channel = new SesEmailChannel(client, { ...options, concurrency: 3 });

    // Act
    const outcomes = await channel.send([email(1), email(2), email(3), email(4)]);

    // Assess
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 4);
    expect(outcomes).toEqual([1, 2, 3, 4].map((n) => ({ key: `k-${n}`, result: 'sent', status: 'SUCCESSFUL', messageId: `ses-user${n}@mail.example` })));
  });

  it.each([
    ['MessageRejected', MessageRejected],
    ['BadRequestException', BadRequestException],
  ] as const)('suppresses a message SES refuses with %s, and still sends the rest', async (name, Ctor) => {
    // Prepare
    ses.on(SendEmailCommand, { Destination: { ToAddresses: ['user1@mail.example'] } }).rejects(awsError(Ctor as never));
    const channel = new SesEmailChannel(client, options);

    // Act
    const outcomes = await channel.send([email(1), email(2)]);

    // Assess
    expect(outcomes).toEqual([
      { key: 'k-1', result: 'suppress', status: name },
      { key: 'k-2', result: 'sent', status: 'SUCCESSFUL', messageId: 'ses-user2@mail.example' },
    ]);
  });

  it.each([
    ['TooManyRequestsException', TooManyRequestsException],
    ['LimitExceededException', LimitExceededException],
    ['AccountSuspendedException', AccountSuspendedException],
    ['SendingPausedException', SendingPausedException],
    ['MailFromDomainNotVerifiedException', MailFromDomainNotVerifiedException],
    ['NotFoundException', NotFoundException],
  ] as const)('retries on %s and makes no further calls in this batch', async (name, Ctor) => {
    // Prepare
    ses.on(SendEmailCommand).rejects(awsError(Ctor as never));
    const channel = new SesEmailChannel(client, options);

    // Act
    const outcomes = await channel.send([email(1), email(2), email(3)]);

    // Assess
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(outcomes).toEqual(['k-1', 'k-2', 'k-3'].map((key) => ({ key, result: 'retry', status: name })));
  });

  it('retries a message that met a 5xx and goes on with the rest of the batch', async () => {
    // Prepare
    const serverError = new SESv2ServiceException({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'unavailable' });
    ses.on(SendEmailCommand, { Destination: { ToAddresses: ['user1@mail.example'] } }).rejects(serverError);
    const channel = new SesEmailChannel(client, options);

    // Act
    const outcomes = await channel.send([email(1), email(2)]);

    // Assess
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 2);
    expect(outcomes.map((o) => [o.key, o.result, o.status])).toEqual([
      ['k-1', 'retry', 'InternalFailure'],
      ['k-2', 'sent', 'SUCCESSFUL'],
    ]);
  });

  it('retries on a network error that carries no AWS metadata', async () => {
    // Prepare
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'ECONNRESET' }));
    const channel = new SesEmailChannel(client, options);

    // Act
    const outcomes = await channel.send([email(1)]);

    // Assess
    expect(outcomes).toEqual([{ key: 'k-1', result: 'retry', status: 'ECONNRESET' }]);
  });

  it('never puts the address or the error text in a status', async () => {
    // Prepare
    ses.on(SendEmailCommand).rejects(awsError(MessageRejected));
    const channel = new SesEmailChannel(client, options);

    // Act
    const outcomes = await channel.send([email(1)]);

    // Assess
    expect(JSON.stringify(outcomes)).not.toContain('mail.example');
  });

  it('refuses a malformed unsubscribe base URL at construction', () => {
    expect(() => new SesEmailChannel(client, { ...options, unsubscribeBaseUrl: 'not a url' })).toThrow();
  });
});

describe('unsubscribe tokens', () => {
  it('verify back to the user and channel they were made for', () => {
    expect(verifyUnsubscribeToken(unsubscribeToken('用户-42', SECRET, 'sms'), SECRET)).toEqual({ userId: '用户-42', channel: 'sms' });
  });

  it('default to the email channel', () => {
    expect(verifyUnsubscribeToken(unsubscribeToken('u-1', SECRET), SECRET)).toEqual({ userId: 'u-1', channel: 'email' });
  });

  it('are URL-safe', () => {
    expect(unsubscribeToken('user/with+odd=chars?', SECRET)).toMatch(/^[\w-]+\.[\w-]+$/);
  });

  it('do not verify with another secret', () => {
    expect(verifyUnsubscribeToken(unsubscribeToken('u-1', SECRET), 'another-secret')).toBeUndefined();
  });

  it('cannot be re-pointed at another user by swapping the payload', () => {
    // Prepare: a valid token for u-1, with its payload replaced by u-2's
    const mine = unsubscribeToken('u-1', SECRET);
    const theirs = unsubscribeToken('u-2', SECRET);
    const forged = `${theirs.split('.')[0]}.${mine.split('.')[1]}`;

    // Act / Assess
    expect(verifyUnsubscribeToken(forged, SECRET)).toBeUndefined();
  });

  it.each(['', 'no-dot', 'a.b.c', '.sig', `${Buffer.from('v1:fax:u-1').toString('base64url')}.x`])('reject the malformed token %j', (token) => {
    expect(verifyUnsubscribeToken(token, SECRET)).toBeUndefined();
  });
});
