import { describe, expect, it } from 'vitest';
import { unsubscribeToken } from '../../../shared/channels/ses';
import type { DecisionRecord } from '../../../shared/delivery/decision-log';
import { providerOutcomeActions } from '../../../shared/feedback/provider-outcomes';
import { isOneClickBody, tokenProblem, unsubscribeAction } from '../../../shared/feedback/unsubscribe';

describe('unsubscribe link', () => {
  it('withdraws consent for the token\'s channel only — not the global opt-out — keyed by the token, at the click', () => {
    const token = unsubscribeToken('u-42', 'k');

    expect(unsubscribeAction({ userId: 'u-42', channel: 'email' }, token, new Date('2026-03-01T10:00:00Z'))).toEqual({
      userId: 'u-42',
      source: 'unsubscribe',
      change: { kind: 'withdraw_consent', channel: 'email' },
      at: '2026-03-01T10:00:00.000Z',
      idempotencyKey: token,
    });
  });

  it('accepts the RFC 8058 body, urlencoded or multipart, and nothing else', () => {
    const boundary = '----x7';
    const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;

    expect(isOneClickBody('List-Unsubscribe=One-Click', 'application/x-www-form-urlencoded')).toBe(true);
    expect(isOneClickBody('List-Unsubscribe=One-Click', undefined)).toBe(true);
    expect(isOneClickBody('a=1&List-Unsubscribe=One-Click', 'application/x-www-form-urlencoded; charset=utf-8')).toBe(true);
    expect(isOneClickBody(multipart, `multipart/form-data; boundary=${boundary}`)).toBe(true);
    expect(isOneClickBody(multipart.replace('One-Click', 'Two-Clicks'), `multipart/form-data; boundary=${boundary}`)).toBe(false);
    expect(isOneClickBody('List-Unsubscribe=Maybe', 'application/x-www-form-urlencoded')).toBe(false);
    expect(isOneClickBody('', 'application/x-www-form-urlencoded')).toBe(false);
    expect(isOneClickBody(null, undefined)).toBe(false);
  });

  it('tells a missing token from a damaged one and from a well-formed one not signed by us', () => {
    const ours = unsubscribeToken('u-42', 'someone-elses-key');

    expect(tokenProblem(undefined)).toBe('missing');
    expect(tokenProblem('')).toBe('missing');
    expect(tokenProblem(ours.slice(0, -5))).toBe('malformed');
    expect(tokenProblem('hello world')).toBe('malformed');
    expect(tokenProblem(ours)).toBe('forged');
  });
});

describe('provider outcomes the sender met', () => {
  const decision = (reason: string, channel = 'sms', decision: DecisionRecord['decision'] = 'failed'): DecisionRecord => ({
    userId: 'u-42',
    campaign: 'winback',
    step: 1,
    decision,
    reason,
    channel,
    at: '2026-03-01T02:00:00.000Z',
  });

  it('withdraws the channel\'s consent on OPT_OUT and removes the address on PERMANENT_FAILURE', () => {
    expect(providerOutcomeActions([decision('OPT_OUT'), decision('PERMANENT_FAILURE', 'push')])).toEqual([
      { userId: 'u-42', source: 'provider_outcome', change: { kind: 'withdraw_consent', channel: 'sms' }, at: '2026-03-01T02:00:00.000Z', idempotencyKey: 'send:u-42:winback:1:OPT_OUT' },
      { userId: 'u-42', source: 'provider_outcome', change: { kind: 'remove_address', channel: 'push' }, at: '2026-03-01T02:00:00.000Z', idempotencyKey: 'send:u-42:winback:1:PERMANENT_FAILURE' },
    ]);
  });

  it('ignores answers that say nothing about the user, and decisions that are not failures', () => {
    const noise = [decision('THROTTLED'), decision('MessageRejected', 'email'), decision('OPT_OUT', 'sms', 'retry'), decision('OPT_OUT', 'fax'), decision('OPT_OUT', 'sms', 'sent')];

    expect(providerOutcomeActions(noise)).toEqual([]);
  });
});
