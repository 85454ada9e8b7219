import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { CHANNELS, defaultConfig, type Channel } from '../../../shared/config';
import { decide, quietHoursEnd, type DecideInput, type LedgerEntry, type SendStatus } from '../../../shared/delivery/rules';
import type { Profile } from '../../../shared/profiles/aggregate';
import { daysBefore, profileWith } from '../../fixtures/builders';

const DELIVERY = defaultConfig().delivery; // quiet 21:00–09:00 Asia/Shanghai, caps 1/7d and 3/30d, order push, sms, email
/** 14:00 in Shanghai: outside quiet hours. */
const NOW = new Date('2026-06-01T06:00:00.000Z');

const ADDRESSES = { push: 'device-token-1', sms: '+8613812345678', email: 'li.lei@example.com', webhook: 'wx-openid-1' } as const;

/** A user we may reach on every channel, who last bought long before the scan. */
function reachable(overrides: Partial<Profile> = {}): Profile {
  return profileWith({
    lastPurchaseAt: '2025-10-01T02:00:00.000Z',
    channels: { ...ADDRESSES },
    consent: { push: true, sms: true, email: true, webhook: true },
    ...overrides,
  });
}

function decideFor(overrides: Partial<DecideInput> = {}) {
  const input: DecideInput = {
    profile: reachable(),
    deleted: false,
    holdout: false,
    campaign: 'winback',
    step: 1,
    scoredAt: '2026-06-01T02:00:00.000Z',
    ledger: [],
    now: NOW,
    availableChannels: ['push', 'sms', 'email'],
    delivery: DELIVERY,
    ...overrides,
  };
  return decide(input);
}

/** A ledger entry of an earlier message: win-back unless told (another step, so only the caps see it). */
const earlier = (daysAgo: number, status: SendStatus = 'sent', campaign = 'winback'): LedgerEntry => ({
  campaign,
  step: 0,
  status,
  at: daysBefore(NOW, daysAgo),
});

/** 2026-06-01 at hh:mm in Shanghai (UTC+8, no DST). */
const shanghai = (hhmm: string, day = '2026-06-01') => new Date(`${day}T${hhmm}+08:00`);

describe('decide', () => {
  it('sends on the first channel of the configured order when everything allows it', () => {
    // Prepare / Act
    const decision = decideFor();

    // Assess
    expect(decision).toEqual({ outcome: 'send', channel: 'push', address: 'device-token-1' });
  });

  it('suppresses a deleted user before anything else, even one in the holdout', () => {
    // Prepare / Act
    const decision = decideFor({ deleted: true, holdout: true });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'deleted' });
  });

  it('suppresses a candidate whose profile no longer exists', () => {
    // Prepare / Act
    const decision = decideFor({ profile: undefined });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'no_profile' });
  });

  it.each(['sending', 'sent', 'unknown', 'holdout', 'suppressed', 'failed'] as const)(
    'treats a step already recorded as %s as handled',
    (status) => {
      // Prepare
      const ledger: LedgerEntry[] = [{ campaign: 'winback', step: 1, status, at: daysBefore(NOW, 0.5) }];

      // Act
      const decision = decideFor({ ledger });

      // Assess
      expect(decision).toEqual({ outcome: 'suppress', reason: 'already_handled' });
    },
  );

  it.each(['queued', 'deferred'] as const)('goes ahead with a step that is only %s', (status) => {
    // Prepare
    const ledger: LedgerEntry[] = [{ campaign: 'winback', step: 1, status, at: daysBefore(NOW, 0.5) }];

    // Act
    const decision = decideFor({ ledger });

    // Assess
    expect(decision.outcome).toBe('send');
  });

  it('does not treat another step of the same campaign as this one', () => {
    // Prepare
    const ledger: LedgerEntry[] = [{ campaign: 'winback', step: 0, status: 'holdout', at: daysBefore(NOW, 7) }];

    // Act
    const decision = decideFor({ ledger });

    // Assess
    expect(decision.outcome).toBe('send');
  });

  it('suppresses a user who bought after being scored, because they came back on their own', () => {
    // Prepare
    const profile = reachable({ lastPurchaseAt: '2026-06-01T03:00:00.000Z' });

    // Act
    const decision = decideFor({ profile });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'returned' });
  });

  it('holds out a holdout user with the channel they would have got, never sending', () => {
    // Prepare / Act
    const decision = decideFor({ holdout: true });

    // Assess
    expect(decision).toEqual({ outcome: 'holdout', channel: 'push' });
  });

  it('decides the holdout before consent: an opted-out holdout user is still held out', () => {
    // Prepare
    const profile = reachable({ optOut: true });

    // Act
    const decision = decideFor({ holdout: true, profile });

    // Assess
    expect(decision).toEqual({ outcome: 'holdout', channel: 'push' });
  });

  it('holds out a holdout user without any consented channel, with no channel', () => {
    // Prepare
    const profile = reachable({ consent: {} });

    // Act
    const decision = decideFor({ holdout: true, profile });

    // Assess
    expect(decision).toEqual({ outcome: 'holdout', channel: null });
  });

  it('never sends to a holdout user, whatever their consent, caps and clock', () => {
    // Prepare
    const channelSet = fc.subarray([...CHANNELS]);
    const scenario = fc.record({
      addresses: channelSet,
      consented: channelSet,
      optOut: fc.boolean(),
      sentDaysAgo: fc.option(fc.integer({ min: 0, max: 40 })),
      hourOffset: fc.integer({ min: 0, max: 23 }),
    });

    // Act / Assess
    fc.assert(
      fc.property(scenario, ({ addresses, consented, optOut, sentDaysAgo, hourOffset }) => {
        const profile = reachable({
          channels: Object.fromEntries(addresses.map((c) => [c, ADDRESSES[c]])),
          consent: Object.fromEntries(consented.map((c) => [c, true])),
          optOut,
        });
        const ledger = sentDaysAgo === null ? [] : [earlier(sentDaysAgo)];
        const now = new Date(NOW.getTime() + hourOffset * 3_600_000);
        const decision = decideFor({ holdout: true, profile, ledger, now, availableChannels: CHANNELS });
        expect(decision.outcome).toBe('holdout');
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('suppresses a user who opted out of all marketing, even with channel consent', () => {
    // Prepare
    const profile = reachable({ optOut: true });

    // Act
    const decision = decideFor({ profile });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'opted_out' });
  });

  it('does not use an address the user never consented to', () => {
    // Prepare
    const profile = reachable({ channels: { sms: ADDRESSES.sms }, consent: {} });

    // Act
    const decision = decideFor({ profile });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'no_consented_channel' });
  });

  it('does not use a channel whose consent was withdrawn', () => {
    // Prepare
    const profile = reachable({ channels: { sms: ADDRESSES.sms }, consent: { sms: false } });

    // Act
    const decision = decideFor({ profile });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'no_consented_channel' });
  });

  it('cannot use a consented channel without an address', () => {
    // Prepare
    const profile = reachable({ channels: { email: ADDRESSES.email }, consent: { sms: true } });

    // Act
    const decision = decideFor({ profile });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'no_consented_channel' });
  });

  it('picks the one channel that has both an address and consent', () => {
    // Prepare
    const profile = reachable({ channels: { push: ADDRESSES.push, sms: ADDRESSES.sms }, consent: { sms: true, email: true } });

    // Act
    const decision = decideFor({ profile });

    // Assess
    expect(decision).toEqual({ outcome: 'send', channel: 'sms', address: ADDRESSES.sms });
  });

  it('uses the preferred channel first, ahead of the configured order', () => {
    // Prepare
    const profile = reachable({ preferredChannel: 'email' });

    // Act
    const decision = decideFor({ profile });

    // Assess
    expect(decision).toEqual({ outcome: 'send', channel: 'email', address: ADDRESSES.email });
  });

  it('falls back to the configured order when the preferred channel is not consented', () => {
    // Prepare
    const profile = reachable({ preferredChannel: 'email', consent: { sms: true, email: false } });

    // Act
    const decision = decideFor({ profile });

    // Assess
    expect(decision).toMatchObject({ outcome: 'send', channel: 'sms' });
  });

  it('follows the configured channel order', () => {
    // Prepare
    const delivery = { ...DELIVERY, channelOrder: ['email', 'sms', 'push'] as Channel[] };

    // Act
    const decision = decideFor({ delivery });

    // Assess
    expect(decision).toMatchObject({ outcome: 'send', channel: 'email' });
  });

  it('skips a channel this deployment cannot deliver on', () => {
    // Prepare / Act
    const decision = decideFor({ availableChannels: ['sms', 'email'] });

    // Assess
    expect(decision).toMatchObject({ outcome: 'send', channel: 'sms' });
  });

  it('skips a preferred channel this deployment cannot deliver on', () => {
    // Prepare
    const profile = reachable({ preferredChannel: 'webhook' });

    // Act
    const decision = decideFor({ profile, availableChannels: ['push', 'sms', 'email'] });

    // Assess
    expect(decision).toMatchObject({ outcome: 'send', channel: 'push' });
  });

  it('caps at one message in 7 days', () => {
    // Prepare / Act
    const decision = decideFor({ ledger: [earlier(3)] });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'frequency_cap' });
  });

  it('sends again once the last message is more than 7 days old', () => {
    // Prepare / Act
    const decision = decideFor({ ledger: [earlier(8)] });

    // Assess
    expect(decision.outcome).toBe('send');
  });

  it('allows a third message within 30 days', () => {
    // Prepare / Act
    const decision = decideFor({ ledger: [earlier(10), earlier(20)] });

    // Assess
    expect(decision.outcome).toBe('send');
  });

  it('caps at three messages in 30 days', () => {
    // Prepare / Act
    const decision = decideFor({ ledger: [earlier(8), earlier(15), earlier(29)] });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'frequency_cap' });
  });

  it('forgets messages older than 30 days for the 30-day cap', () => {
    // Prepare / Act
    const decision = decideFor({ ledger: [earlier(8), earlier(15), earlier(31)] });

    // Assess
    expect(decision.outcome).toBe('send');
  });

  it.each(['sending', 'unknown'] as const)('counts a message left %s against the caps, since it may have reached the user', (status) => {
    // Prepare / Act
    const decision = decideFor({ ledger: [earlier(2, status)] });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'frequency_cap' });
  });

  it.each(['holdout', 'suppressed', 'failed', 'queued', 'deferred'] as const)('does not count a %s entry against the caps', (status) => {
    // Prepare
    const ledger = [earlier(1, status), earlier(2, status), earlier(3, status)];

    // Act
    const decision = decideFor({ ledger });

    // Assess
    expect(decision.outcome).toBe('send');
  });

  describe('caps scoped by campaign (default: 1 win-back message in 7 days, 3 of any campaign in 30)', () => {
    it('does not count a birthday message against the win-back 7-day cap', () => {
      // Prepare / Act
      const decision = decideFor({ ledger: [earlier(3, 'sent', 'birthday-2026')] });

      // Assess
      expect(decision.outcome).toBe('send');
    });

    it('does not hold back a birthday message with the win-back 7-day cap', () => {
      // Prepare / Act
      const decision = decideFor({ campaign: 'birthday-2026', step: 0, ledger: [earlier(3)] });

      // Assess
      expect(decision.outcome).toBe('send');
    });

    it('counts a later win-back episode against the win-back 7-day cap', () => {
      // Prepare / Act
      const decision = decideFor({ campaign: 'winback~2', step: 1, ledger: [earlier(3, 'sent', 'winback~2')] });

      // Assess
      expect(decision).toEqual({ outcome: 'suppress', reason: 'frequency_cap' });
    });

    it('counts birthday and new-arrival messages against the 30-day cap of any campaign', () => {
      // Prepare: two other campaigns and one win-back message within 30 days, none within 7.
      const ledger = [earlier(10, 'sent', 'birthday-2026'), earlier(15, 'sent', 'new-spring-tea'), earlier(20)];

      // Act
      const decision = decideFor({ ledger });

      // Assess
      expect(decision).toEqual({ outcome: 'suppress', reason: 'frequency_cap' });
    });

    it('holds back a birthday message once three messages went out in 30 days', () => {
      // Prepare / Act
      const decision = decideFor({ campaign: 'birthday-2026', step: 0, ledger: [earlier(8), earlier(15), earlier(22)] });

      // Assess
      expect(decision).toEqual({ outcome: 'suppress', reason: 'frequency_cap' });
    });

    it('applies a cap that names one campaign only to that campaign', () => {
      // Prepare: at most one anniversary message a year, and no other cap.
      const delivery = { ...DELIVERY, frequencyCaps: [{ days: 365, max: 1, campaigns: ['anniversary' as const] }] };
      const ledger = [earlier(200, 'sent', 'anniversary-2025'), earlier(1)];

      // Act
      const anniversary = decideFor({ delivery, campaign: 'anniversary-2026', step: 0, ledger });
      const winback = decideFor({ delivery, ledger });

      // Assess
      expect(anniversary).toEqual({ outcome: 'suppress', reason: 'frequency_cap' });
      expect(winback.outcome).toBe('send');
    });
  });

  it('defers a send at 22:30 in Shanghai to 09:00 the next morning', () => {
    // Prepare / Act
    const decision = decideFor({ now: shanghai('22:30:00') });

    // Assess
    expect(decision).toEqual({ outcome: 'defer', reason: 'quiet_hours', notBefore: shanghai('09:00:00', '2026-06-02').toISOString() });
  });

  it('defers a send at 08:59 in Shanghai to 09:00 the same morning', () => {
    // Prepare / Act
    const decision = decideFor({ now: shanghai('08:59:00', '2026-06-02') });

    // Assess
    expect(decision).toEqual({ outcome: 'defer', reason: 'quiet_hours', notBefore: shanghai('09:00:00', '2026-06-02').toISOString() });
  });

  it('defers to exactly 09:00:00, dropping the seconds of the current minute', () => {
    // Prepare / Act
    const decision = decideFor({ now: shanghai('22:30:45.250') });

    // Assess
    expect(decision).toMatchObject({ outcome: 'defer', notBefore: '2026-06-02T01:00:00.000Z' });
  });

  it.each([
    ['09:00:00', 'send'],
    ['20:59:00', 'send'],
    ['21:00:00', 'defer'],
    ['00:00:00', 'defer'],
  ])('at %s in Shanghai the outcome is %s', (hhmm, outcome) => {
    // Prepare / Act
    const decision = decideFor({ now: shanghai(hhmm) });

    // Assess
    expect(decision.outcome).toBe(outcome);
  });

  it('judges quiet hours in the user’s own time zone: 22:30 in Shanghai is 15:30 in London', () => {
    // Prepare
    const profile = reachable({ timezone: 'Europe/London' });

    // Act
    const decision = decideFor({ profile, now: shanghai('22:30:00') });

    // Assess
    expect(decision.outcome).toBe('send');
  });

  it('defers a London user at 22:30 London time to 09:00 London time', () => {
    // Prepare: 2026-06-01 is in British Summer Time (UTC+1).
    const profile = reachable({ timezone: 'Europe/London' });

    // Act
    const decision = decideFor({ profile, now: new Date('2026-06-01T21:30:00.000Z') });

    // Assess
    expect(decision).toEqual({ outcome: 'defer', reason: 'quiet_hours', notBefore: '2026-06-02T08:00:00.000Z' });
  });

  it('uses the configured default time zone for a user without one', () => {
    // Prepare: 14:00 UTC is 22:00 in Shanghai but 14:00 in a UTC default.
    const now = new Date('2026-06-01T14:00:00.000Z');

    // Act
    const shanghaiDefault = decideFor({ now });
    const utcDefault = decideFor({ now, delivery: { ...DELIVERY, defaultTimezone: 'UTC' } });

    // Assess
    expect(shanghaiDefault.outcome).toBe('defer');
    expect(utcDefault.outcome).toBe('send');
  });

  it('checks the caps before quiet hours, so a capped user is suppressed rather than deferred', () => {
    // Prepare / Act
    const decision = decideFor({ ledger: [earlier(1)], now: shanghai('23:00:00') });

    // Assess
    expect(decision).toEqual({ outcome: 'suppress', reason: 'frequency_cap' });
  });
});

describe('quietHoursEnd', () => {
  const lunch = { start: '12:00', end: '14:00' };

  it('returns the end of a window that does not wrap midnight, the same day', () => {
    // Prepare / Act
    const end = quietHoursEnd(new Date('2026-06-01T13:15:00Z'), 'UTC', lunch);

    // Assess
    expect(end?.toISOString()).toBe('2026-06-01T14:00:00.000Z');
  });

  it.each(['11:59', '14:00', '23:00', '03:00'])('is not quiet at %s outside a 12:00–14:00 window', (hhmm) => {
    // Prepare / Act
    const end = quietHoursEnd(new Date(`2026-06-01T${hhmm}:00Z`), 'UTC', lunch);

    // Assess
    expect(end).toBeUndefined();
  });

  it('treats a window that starts and ends at the same minute as no quiet hours', () => {
    // Prepare / Act
    const end = quietHoursEnd(new Date('2026-06-01T22:00:00Z'), 'UTC', { start: '21:00', end: '21:00' });

    // Assess
    expect(end).toBeUndefined();
  });

  it('ends quiet hours at 09:00 London time on the night the clocks go back', () => {
    // Prepare: 22:30 BST on 2026-10-24; BST ends at 02:00 on 10-25, so 09:00 is 09:00 UTC.
    const now = new Date('2026-10-24T21:30:00.000Z');

    // Act
    const end = quietHoursEnd(now, 'Europe/London', { start: '21:00', end: '09:00' });

    // Assess
    expect(end?.toISOString()).toBe('2026-10-25T09:00:00.000Z');
  });

  it('ends quiet hours at 09:00 London time on the night the clocks go forward', () => {
    // Prepare: 22:30 GMT on 2026-03-28; BST starts at 01:00 on 03-29, so 09:00 is 08:00 UTC.
    const now = new Date('2026-03-28T22:30:00.000Z');

    // Act
    const end = quietHoursEnd(now, 'Europe/London', { start: '21:00', end: '09:00' });

    // Assess
    expect(end?.toISOString()).toBe('2026-03-29T08:00:00.000Z');
  });
});
