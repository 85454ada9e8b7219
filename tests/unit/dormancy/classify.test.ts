import { describe, it, expect } from 'vitest';
import { defaultConfig } from '../../../shared/config';
import { assess, likelyCause } from '../../../shared/dormancy/classify';
import type { IntervalStats } from '../../../shared/profiles/aggregate';
import { daysBefore, foldEvents, login, profileWith, purchase } from '../../fixtures/builders';

const RULES = defaultConfig().dormancy; // dormant at 180 days without purchase or 90 without activity, lost at 540
const AS_OF = new Date('2026-06-01T02:00:00.000Z');

const cycle = (medianDays: number): IntervalStats => ({ count: 3, meanDays: medianDays, medianDays, stdevDays: 0, lastDays: medianDays });

/** A buyer who last purchased `purchasedDaysAgo` and was last seen `seenDaysAgo`, both before AS_OF. */
function buyer(purchasedDaysAgo: number, seenDaysAgo: number, extra: Parameters<typeof profileWith>[0] = {}) {
  const lastPurchaseAt = daysBefore(AS_OF, purchasedDaysAgo);
  return profileWith({
    firstSeenAt: daysBefore(AS_OF, Math.max(purchasedDaysAgo, seenDaysAgo) + 200),
    lastSeenAt: daysBefore(AS_OF, seenDaysAgo),
    lastSeenByType: { purchase: lastPurchaseAt, login: daysBefore(AS_OF, seenDaysAgo) },
    lastPurchaseAt,
    lastPurchaseDay: lastPurchaseAt.slice(0, 10),
    categoryAffinity: { tea: 5, cups: 2 },
    ...extra,
  });
}

describe('assess', () => {
  it('calls a user who bought recently active, with no cause to address', () => {
    // Prepare
    const profile = buyer(10, 2);

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result).toMatchObject({ state: 'active', rule: 'recent', reason: 'unknown', daysSinceLastPurchase: 10, daysSinceLastActivity: 2 });
  });

  it('flags a user at risk once the time since purchase exceeds twice their own median cycle', () => {
    // Prepare: a 20-day rhythm, so at risk after 40 days.
    const profile = buyer(41, 3, { purchaseDays: 4, interPurchase: cycle(20) });

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result).toMatchObject({ state: 'at_risk', rule: 'own_cycle', cycleDays: 20 });
  });

  it('keeps a user active on the exact day their own cycle allows, since at risk means exceeding it', () => {
    // Prepare
    const profile = buyer(40, 3, { purchaseDays: 4, interPurchase: cycle(20) });

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result.state).toBe('active');
  });

  it('never flags a fast buyer at risk sooner than the minimum days after their last purchase', () => {
    // Prepare: a 5-day rhythm would say at risk after 10 days, but the floor is 30.
    const fast = (daysAgo: number) => buyer(daysAgo, 1, { purchaseDays: 6, interPurchase: cycle(5) });

    // Act
    const at20 = assess(fast(20), AS_OF, RULES);
    const at31 = assess(fast(31), AS_OF, RULES);

    // Assess
    expect(at20.state).toBe('active');
    expect(at31.state).toBe('at_risk');
  });

  it('ignores the own cycle of a user with fewer purchase days than the minimum', () => {
    // Prepare: two purchase days (one gap) are not enough for a rhythm.
    const profile = buyer(100, 1, { purchaseDays: 2, interPurchase: cycle(5) });

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result).toMatchObject({ state: 'active', cycleDays: null, predictedDormancyDay: null });
  });

  it('predicts the dormancy day as the last purchase plus the at-risk span', () => {
    // Prepare: last purchase 2026-04-01 (10:00 Shanghai), 20-day rhythm → 40 days later.
    const profile = buyer(0, 0, {
      lastPurchaseAt: '2026-04-01T02:00:00.000Z',
      lastPurchaseDay: '2026-04-01',
      purchaseDays: 4,
      interPurchase: cycle(20),
    });

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result.predictedDormancyDay).toBe('2026-05-11');
  });

  it('predicts the dormancy day on the user’s local calendar when they bought just after midnight', () => {
    // Prepare: last bought 2026-05-02 00:30 in Shanghai (still 05-01 in UTC), 20-day rhythm → 40 days.
    const profile = foldEvents([
      purchase('2026-03-03T00:30:00+08:00', 10),
      purchase('2026-03-23T00:30:00+08:00', 10),
      purchase('2026-04-12T00:30:00+08:00', 10),
      purchase('2026-05-02T00:30:00+08:00', 10),
    ]);

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(profile.lastPurchaseDay).toBe('2026-05-02');
    expect(result.cycleDays).toBe(20);
    expect(result.predictedDormancyDay).toBe('2026-06-11');
  });

  it('calls a user dormant after 180 days without a purchase even if they are still active', () => {
    // Prepare
    const profile = buyer(180, 3);

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result).toMatchObject({ state: 'dormant', rule: 'no_purchase_days', daysSinceLastPurchase: 180 });
  });

  it('does not call a user dormant by purchase at 179 days', () => {
    // Prepare
    const profile = buyer(179, 3);

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result.state).toBe('active');
  });

  it('calls a user dormant after 90 days without any activity', () => {
    // Prepare
    const profile = buyer(120, 90);

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result).toMatchObject({ state: 'dormant', rule: 'no_activity_days', daysSinceLastActivity: 90 });
  });

  it('calls a user who never bought and went quiet for 90 days dormant by activity', () => {
    // Prepare
    const profile = profileWith({
      firstSeenAt: daysBefore(AS_OF, 120),
      lastSeenAt: daysBefore(AS_OF, 95),
      lastPurchaseAt: undefined,
      lastPurchaseDay: undefined,
      firstPurchaseAt: undefined,
      purchaseDays: 0,
    });

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result).toMatchObject({ state: 'dormant', rule: 'no_activity_days', daysSinceLastPurchase: null });
  });

  it('calls a user lost after 540 days without purchase and 90 without activity', () => {
    // Prepare
    const profile = buyer(540, 100);

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result).toMatchObject({ state: 'lost', rule: 'lost_days' });
  });

  it('keeps a long-lapsed buyer who is still active dormant rather than lost', () => {
    // Prepare
    const profile = buyer(600, 5);

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result).toMatchObject({ state: 'dormant', rule: 'no_purchase_days' });
  });

  it('calls a user who never bought, first seen 540 days ago and quiet for 90, lost', () => {
    // Prepare
    const profile = profileWith({
      firstSeenAt: daysBefore(AS_OF, 600),
      lastSeenAt: daysBefore(AS_OF, 200),
      lastPurchaseAt: undefined,
      purchaseDays: 0,
    });

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result.state).toBe('lost');
  });

  it('follows configured thresholds rather than fixed ones', () => {
    // Prepare
    const rules = { ...RULES, dormantAfterDaysWithoutPurchase: 60 };

    // Act
    const result = assess(buyer(61, 1), AS_OF, rules);

    // Assess
    expect(result).toMatchObject({ state: 'dormant', rule: 'no_purchase_days' });
  });

  it('carries the likely cause of a dormant user', () => {
    // Prepare: dormant by purchase, ticket 10 days before going quiet.
    const profile = buyer(200, 40, { lastSupportTicketAt: daysBefore(AS_OF, 50), supportTicketCount: 1 });

    // Act
    const result = assess(profile, AS_OF, RULES);

    // Assess
    expect(result).toMatchObject({ state: 'dormant', reason: 'service_issue' });
  });
});

describe('likelyCause', () => {
  it('blames a service issue when a support ticket came within 60 days before going quiet', () => {
    // Prepare
    const profile = buyer(200, 100, { lastSupportTicketAt: daysBefore(AS_OF, 150) });

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).toBe('service_issue');
  });

  it('blames a service issue when a refund came shortly before going quiet', () => {
    // Prepare
    const profile = buyer(200, 100, { lastRefundAt: daysBefore(AS_OF, 110) });

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).toBe('service_issue');
  });

  it('does not blame a ticket that came long before the user went quiet', () => {
    // Prepare
    const profile = buyer(200, 100, { lastSupportTicketAt: daysBefore(AS_OF, 170) });

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).not.toBe('service_issue');
  });

  it('sees a user who browsed recently but has not bought since as still browsing', () => {
    // Prepare
    const lastBrowse = daysBefore(AS_OF, 20);
    const profile = buyer(200, 20, { lastSeenByType: { purchase: daysBefore(AS_OF, 200), browse: lastBrowse } });

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).toBe('still_browsing');
  });

  it('puts a service issue ahead of still browsing', () => {
    // Prepare
    const profile = buyer(200, 20, {
      lastSeenByType: { purchase: daysBefore(AS_OF, 200), browse: daysBefore(AS_OF, 20) },
      lastRefundAt: daysBefore(AS_OF, 25),
    });

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).toBe('service_issue');
  });

  it('does not count browsing within a week after the last purchase as still browsing', () => {
    // Prepare
    const profile = buyer(30, 25, { lastSeenByType: { purchase: daysBefore(AS_OF, 30), browse: daysBefore(AS_OF, 25) } });

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).not.toBe('still_browsing');
  });

  it('does not count browsing more than 60 days ago as still browsing', () => {
    // Prepare
    const profile = buyer(300, 70, { lastSeenByType: { purchase: daysBefore(AS_OF, 300), browse: daysBefore(AS_OF, 70) } });

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).not.toBe('still_browsing');
  });

  it('sees fewer active days in the last 90 days of history than half the 90 before as fading engagement', () => {
    // Prepare: last seen 2026-03-01; six active days in Oct–Nov, one in the final 90 days.
    const profile = foldEvents([
      ...['2025-10-01', '2025-10-10', '2025-10-20', '2025-11-01', '2025-11-10', '2025-11-20'].map((d) => login(`${d}T10:00:00+08:00`)),
      login('2026-03-01T10:00:00+08:00'),
    ]);

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).toBe('fading_engagement');
  });

  it('does not see steady engagement as fading', () => {
    // Prepare: three active days in each 90-day half.
    const profile = foldEvents(
      ['2025-10-01', '2025-10-20', '2025-11-10', '2026-01-10', '2026-02-01', '2026-03-01'].map((d) => login(`${d}T10:00:00+08:00`)),
    );

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).toBe('unknown');
  });

  it('sees a repeat buyer whose interest sits in one category as lacking novelty', () => {
    // Prepare
    const profile = buyer(200, 150, { purchaseDays: 3, categoryAffinity: { tea: 15 } });

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).toBe('no_novelty');
  });

  it('does not see a one-time buyer as lacking novelty', () => {
    // Prepare
    const profile = buyer(200, 150, { purchaseDays: 1, categoryAffinity: { tea: 5 } });

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).toBe('unknown');
  });

  it('gives unknown when no signal fits', () => {
    // Prepare
    const profile = buyer(200, 150, { purchaseDays: 3, categoryAffinity: { tea: 10, cups: 5 } });

    // Act
    const reason = likelyCause(profile, AS_OF);

    // Assess
    expect(reason).toBe('unknown');
  });
});
