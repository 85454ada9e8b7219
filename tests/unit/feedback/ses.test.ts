import { describe, expect, it } from 'vitest';
import { unsubscribeHeaders, unsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken } from '../../../shared/channels/ses';
import { listUnsubscribeToken, sesFeedback } from '../../../shared/feedback/ses';

const SECRET = 'unsubscribe-secret-for-tests';
const verifyToken = (token: string) => verifyUnsubscribeToken(token, SECRET);
const receivedAt = new Date('2017-08-05T00:45:00.000Z');

/** The List-Unsubscribe header the SES channel puts on a message to `userId`. */
function listUnsubscribe(userId: string, secret = SECRET) {
  const token = unsubscribeToken(userId, secret, 'email');
  const [header] = unsubscribeHeaders(unsubscribeUrl('https://api.shop.example/v1/unsubscribe', token), token, 'unsubscribe@shop.example');
  return { name: header!.Name!, value: header!.Value! };
}

/** The mail object of AWS's "Examples of event data that Amazon SES publishes to Amazon SNS", with our headers and tags. */
function mail(headers: { name: string; value: string }[], tags: Record<string, string[]> = {}) {
  return {
    timestamp: '2017-08-05T00:40:02.012Z',
    source: 'Sender Name <sender@example.com>',
    sourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/sender@example.com',
    sendingAccountId: '123456789012',
    messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
    destination: ['recipient@example.com'],
    headersTruncated: false,
    headers: [
      { name: 'From', value: 'Sender Name <sender@example.com>' },
      { name: 'To', value: 'recipient@example.com' },
      { name: 'Subject', value: 'Message sent from Amazon SES' },
      ...headers,
      { name: 'MIME-Version', value: '1.0' },
    ],
    commonHeaders: { from: ['Sender Name <sender@example.com>'], to: ['recipient@example.com'], messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000', subject: 'Message sent from Amazon SES' },
    tags: { 'ses:configuration-set': ['ConfigSet'], 'ses:source-ip': ['192.0.2.0'], 'ses:from-domain': ['example.com'], 'ses:caller-identity': ['ses_user'], ...tags },
  };
}

const bounce = (bounceType: string, m = mail([listUnsubscribe('u.42@shop')])) => ({
  eventType: 'Bounce',
  bounce: {
    bounceType,
    bounceSubType: 'General',
    bouncedRecipients: [{ emailAddress: 'recipient@example.com', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
    timestamp: '2017-08-05T00:41:02.669Z',
    feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
    reportingMTA: 'dsn; mta.example.com',
  },
  mail: m,
});

const complaint = (feedbackType = 'abuse', m = mail([listUnsubscribe('u.42@shop')])) => ({
  eventType: 'Complaint',
  complaint: {
    complainedRecipients: [{ emailAddress: 'recipient@example.com' }],
    timestamp: '2017-08-05T00:41:02.669Z',
    feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
    userAgent: 'Mozilla/5.0',
    complaintFeedbackType: feedbackType,
    arrivalDate: '2017-08-05T00:41:02.669Z',
  },
  mail: m,
});

describe('SES feedback', () => {
  it('removes the address of a Permanent bounce, for the user its unsubscribe token names, while it is still theirs', () => {
    const { actions, ignored } = sesFeedback(bounce('Permanent'), { verifyToken, receivedAt });

    expect(ignored).toBeUndefined();
    expect(actions).toEqual([
      {
        userId: 'u.42@shop',
        source: 'ses_bounce',
        change: { kind: 'remove_address', channel: 'email' },
        at: '2017-08-05T00:41:02.669Z',
        idempotencyKey: 'ses:EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000:bounce:0',
        onlyIfAddress: 'recipient@example.com',
      },
    ]);
  });

  it('withdraws email consent on a complaint, and not on a not-spam report', () => {
    const abuse = sesFeedback(complaint('abuse'), { verifyToken, receivedAt });
    const notSpam = sesFeedback(complaint('not-spam'), { verifyToken, receivedAt });

    expect(abuse.actions).toEqual([
      {
        userId: 'u.42@shop',
        source: 'ses_complaint',
        change: { kind: 'withdraw_consent', channel: 'email' },
        at: '2017-08-05T00:41:02.669Z',
        idempotencyKey: 'ses:EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000:complaint',
      },
    ]);
    expect(notSpam).toEqual({ actions: [], ignored: 'ses_complaint_not_spam' });
  });

  it('ignores Transient and Undetermined bounces and every other event type', () => {
    expect(sesFeedback(bounce('Transient'), { verifyToken, receivedAt }).actions).toEqual([]);
    expect(sesFeedback(bounce('Undetermined'), { verifyToken, receivedAt }).actions).toEqual([]);
    const delivery = { eventType: 'Delivery', mail: mail([listUnsubscribe('u-1')]), delivery: { recipients: ['recipient@example.com'] } };
    expect(sesFeedback(delivery, { verifyToken, receivedAt })).toEqual({ actions: [], ignored: 'ses_delivery' });
  });

  it('reads identity notifications too (notificationType instead of eventType)', () => {
    const { eventType: _ignored, ...rest } = bounce('Permanent');

    expect(sesFeedback({ notificationType: 'Bounce', ...rest }, { verifyToken, receivedAt }).actions).toHaveLength(1);
  });

  it('acts on no one when the header\'s token was not signed with our key', () => {
    const forged = bounce('Permanent', mail([listUnsubscribe('u-victim', 'someone-elses-key')]));

    expect(sesFeedback(forged, { verifyToken, receivedAt })).toEqual({ actions: [], ignored: 'ses_unknown_user' });
  });

  it('falls back to the userId tag only when the tag is provably the user id (no "_", which stands for any replaced character)', () => {
    const lossless = bounce('Permanent', mail([], { userId: ['u-42'] }));
    const ambiguous = bounce('Permanent', mail([], { userId: ['u_42'] }));

    expect(sesFeedback(lossless, { verifyToken, receivedAt }).actions.map((a) => a.userId)).toEqual(['u-42']);
    expect(sesFeedback(ambiguous, { verifyToken, receivedAt })).toEqual({ actions: [], ignored: 'ses_unknown_user' });
  });

  it('prefers the signed token over the tag when both are present', () => {
    const both = bounce('Permanent', mail([listUnsubscribe('u-token')], { userId: ['u-tag'] }));

    expect(sesFeedback(both, { verifyToken, receivedAt }).actions.map((a) => a.userId)).toEqual(['u-token']);
  });

  it('finds the token in the https target of List-Unsubscribe, whatever else the header lists', () => {
    const token = unsubscribeToken('u-1', SECRET);
    const header = { name: 'list-unsubscribe', value: `<mailto:unsubscribe@shop.example?subject=x>, <https://api.shop.example/v1/unsubscribe?token=${token}>` };

    expect(listUnsubscribeToken([header])).toBe(token);
    expect(listUnsubscribeToken([{ name: 'List-Unsubscribe', value: '<mailto:only@shop.example>' }])).toBeUndefined();
    expect(listUnsubscribeToken(undefined)).toBeUndefined();
  });

  it('is not fooled by messages that are not SES events', () => {
    expect(sesFeedback({ originationNumber: '+14255550182', messageBody: 'STOP' }, { verifyToken, receivedAt })).toEqual({ actions: [], ignored: 'not_ses' });
  });
});
