import { describe, expect, it } from 'vitest';
import { parseNotification } from '../../../shared/feedback/notification';
import { deliveryEventActions, inboundOptOutActions, parseInboundSms, parseSmsDeliveryEvent } from '../../../shared/feedback/sms';

const receivedAt = new Date('2026-03-01T02:00:00.000Z');

/** AWS's "Example of a two-way SMS message payload for Amazon SNS topics", with the reply changed. */
const inbound = (messageBody: string, messageKeyword = 'KEYWORD_1234') => ({
  originationNumber: '+14255550182',
  destinationNumber: '+12125550101',
  messageKeyword,
  messageBody,
  inboundMessageId: 'cae173d2-66b9-564c-8309-21f858e9fb84',
  previousPublishedMessageId: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
});

/** AWS's "SMS example log" (End User Messaging event destinations), with the Context our SMS channel sends. */
const deliveryEvent = (eventType: string, context: Record<string, string> | null = { userId: 'u-42', campaign: 'winback', step: '0' }) => ({
  eventType,
  eventVersion: '1.0',
  eventTimestamp: 1686975103470,
  isFinal: true,
  originationPhoneNumber: '+12065550152',
  destinationPhoneNumber: '+14255550156',
  isInternationalSend: false,
  mcc: '310',
  mnc: '800',
  messageId: '862a8790-60c0-4430-9b2b-658bdexample',
  messageRequestTimestamp: 1686975103170,
  messageEncoding: 'GSM',
  messageType: 'PROMOTIONAL',
  messageStatus: 'SUCCESSFUL',
  messageStatusDescription: 'Message has been accepted by phone carrier',
  context,
  totalMessageParts: 1,
  totalMessagePrice: 0.09582,
  totalCarrierFee: 0.0,
});

describe('inbound SMS replies', () => {
  it.each(['R', 'r', 'TD', 'td.', ' T ', '退订', '退订。', 'Ｒ', 'ＴＤ', 'STOP', 'Stop!', 'unsubscribe'])('reads %j as a refusal', (reply) => {
    expect(parseInboundSms(inbound(reply))?.optOut).toBe(true);
  });

  it.each(['Hi', 'Rewake', 'R2', 'TD please call me', '好的', ''])('does not read %j as a refusal', (reply) => {
    expect(parseInboundSms(inbound(reply))?.optOut).toBe(false);
  });

  it('counts the registered keyword End User Messaging matched, even when the body says more', () => {
    expect(parseInboundSms(inbound('stop sending me these', 'STOP'))?.optOut).toBe(true);
  });

  it('withdraws SMS consent for every user at the number, only while the number is still theirs', () => {
    const parsed = parseInboundSms(inbound('R'))!;

    expect(inboundOptOutActions(parsed, ['u-1', 'u-2'], receivedAt)).toEqual(
      ['u-1', 'u-2'].map((userId) => ({
        userId,
        source: 'sms_reply',
        change: { kind: 'withdraw_consent', channel: 'sms' },
        at: '2026-03-01T02:00:00.000Z',
        idempotencyKey: 'sms-inbound:cae173d2-66b9-564c-8309-21f858e9fb84',
        onlyIfAddress: '+14255550182',
      })),
    );
    expect(inboundOptOutActions(parseInboundSms(inbound('thanks'))!, ['u-1'], receivedAt)).toEqual([]);
  });
});

describe('End User Messaging delivery events', () => {
  it('reads which user a number belongs to from the Context our SMS channel sends', () => {
    expect(parseSmsDeliveryEvent(deliveryEvent('TEXT_SUCCESSFUL'), receivedAt)).toEqual({
      eventType: 'TEXT_SUCCESSFUL',
      userId: 'u-42',
      phone: '+14255550156',
      messageId: '862a8790-60c0-4430-9b2b-658bdexample',
      at: '2023-06-17T04:11:43.470Z',
    });
  });

  it('knows no user when the message was not ours (no userId in its Context)', () => {
    expect(parseSmsDeliveryEvent(deliveryEvent('TEXT_SUCCESSFUL', { account: 'bar' }), receivedAt)).toBeUndefined();
    expect(parseSmsDeliveryEvent(deliveryEvent('TEXT_SUCCESSFUL', null), receivedAt)).toBeUndefined();
  });

  it('removes an invalid number (TEXT_INVALID) while it is still the user\'s, and nothing for other events', () => {
    const invalid = parseSmsDeliveryEvent(deliveryEvent('TEXT_INVALID'), receivedAt)!;
    const delivered = parseSmsDeliveryEvent(deliveryEvent('TEXT_DELIVERED'), receivedAt)!;

    expect(deliveryEventActions(invalid)).toEqual([
      {
        userId: 'u-42',
        source: 'provider_outcome',
        change: { kind: 'remove_address', channel: 'sms' },
        at: '2023-06-17T04:11:43.470Z',
        idempotencyKey: 'sms-event:862a8790-60c0-4430-9b2b-658bdexample:TEXT_INVALID',
        onlyIfAddress: '+14255550156',
      },
    ]);
    expect(deliveryEventActions(delivered)).toEqual([]);
  });
});

describe('feedback queue records', () => {
  it('tells the three kinds apart, raw or inside the SNS envelope', () => {
    const ses = { eventType: 'Bounce', mail: { messageId: 'm-1' }, bounce: { bounceType: 'Permanent' } };
    const envelope = { Type: 'Notification', MessageId: 'x', TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: JSON.stringify(inbound('R')), Timestamp: '2026-03-01T02:00:00.000Z' };

    expect(parseNotification(JSON.stringify(ses)).kind).toBe('ses');
    expect(parseNotification(JSON.stringify(inbound('R'))).kind).toBe('sms_inbound');
    expect(parseNotification(JSON.stringify(deliveryEvent('TEXT_DELIVERED'))).kind).toBe('sms_event');
    expect(parseNotification(JSON.stringify({ hello: 'world' })).kind).toBe('unknown');
    expect(parseNotification(JSON.stringify(envelope))).toEqual({ kind: 'sms_inbound', message: inbound('R'), publishedAt: '2026-03-01T02:00:00.000Z' });
  });

  it('throws on a body that is not JSON, so the record is retried and kept, not dropped', () => {
    expect(() => parseNotification('not json')).toThrow(SyntaxError);
  });
});
