import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { RewakeEvent } from '../../../shared/events/schema';
import { foldProfile } from '../../../shared/profiles/aggregate';
import { localDay, toFact } from '../../../shared/profiles/facts';
import {
  browse,
  factsOf,
  foldEvents,
  login,
  profileUpdate,
  purchase,
  refund,
  seededShuffle,
  supportTicket,
} from '../../fixtures/builders';

describe('toFact and localDay', () => {
  it('takes the local day from the timestamp’s own offset, not from UTC', () => {
    // Prepare: 00:30 in Shanghai is still the previous day in UTC.
    const event = login('2026-03-02T00:30:00+08:00');

    // Act
    const fact = toFact(event);

    // Assess
    expect(fact.day).toBe('2026-03-02');
    expect(fact.t).toBe(Date.parse('2026-03-01T16:30:00Z'));
  });

  it('reads a negative offset’s local day as the user saw it', () => {
    // Prepare / Act
    const day = localDay('2026-03-01T22:00:00-05:00');

    // Assess
    expect(day).toBe('2026-03-01');
  });

  it('keeps a purchase’s amount and its distinct categories and skus', () => {
    // Prepare
    const event = purchase('2026-03-01T10:00:00+08:00', 90, { categories: ['tea', 'tea', 'cups'], skus: ['t1', 't2', 'c1'] });

    // Act
    const fact = toFact(event);

    // Assess
    expect(fact.p).toMatchObject({ amount: 90, currency: 'CNY', categories: ['tea', 'cups'], skus: ['t1', 't2', 'c1'] });
  });
});

describe('foldProfile', () => {
  it('returns no profile for a user without facts', () => {
    // Prepare / Act
    const profile = foldProfile('user-1', []);

    // Assess
    expect(profile).toBeUndefined();
  });

  it('merges two purchases on one local day into one purchase day', () => {
    // Prepare
    const events = [
      purchase('2026-01-05T10:00:00+08:00', 100),
      purchase('2026-01-05T18:00:00+08:00', 50),
      purchase('2026-02-04T12:00:00+08:00', 30),
    ];

    // Act
    const profile = foldEvents(events);

    // Assess
    expect(profile.orderCount).toBe(3);
    expect(profile.purchaseDays).toBe(2);
    expect(profile.frequency).toBe(1);
    expect(profile.monetaryTotal).toBe(180);
    expect(profile.monetaryMean).toBe(90);
  });

  it('counts 23:30 and 00:30 the next morning (+08:00) as two purchase days', () => {
    // Prepare: one hour apart, but on two days of the user's calendar.
    const events = [purchase('2026-03-01T23:30:00+08:00', 10), purchase('2026-03-02T00:30:00+08:00', 20)];

    // Act
    const profile = foldEvents(events);

    // Assess
    expect(profile.purchaseDays).toBe(2);
    expect(profile.frequency).toBe(1);
    expect(profile.firstPurchaseDay).toBe('2026-03-01');
    expect(profile.lastPurchaseDay).toBe('2026-03-02');
  });

  it('counts 00:30 and 20:00 on one local day (+08:00) as one purchase day though they fall on two UTC days', () => {
    // Prepare
    const events = [purchase('2026-03-02T00:30:00+08:00', 10), purchase('2026-03-02T20:00:00+08:00', 20)];

    // Act
    const profile = foldEvents(events);

    // Assess
    expect(profile.purchaseDays).toBe(1);
    expect(profile.frequency).toBe(0);
  });

  it('excludes the first purchase day from the repeat monetary mean', () => {
    // Prepare
    const events = [
      purchase('2026-01-01T10:00:00+08:00', 300),
      purchase('2026-01-10T10:00:00+08:00', 40),
      purchase('2026-01-10T15:00:00+08:00', 20),
      purchase('2026-01-20T10:00:00+08:00', 40),
    ];

    // Act
    const profile = foldEvents(events);

    // Assess: repeat days spend 60 and 40.
    expect(profile.repeatMonetaryMean).toBe(50);
    expect(profile.monetaryMean).toBeCloseTo(400 / 3, 2);
  });

  it('leaves the repeat monetary mean at zero and no interval stats for a single purchase day', () => {
    // Prepare
    const events = [purchase('2026-01-01T10:00:00+08:00', 80), purchase('2026-01-01T11:00:00+08:00', 20)];

    // Act
    const profile = foldEvents(events);

    // Assess
    expect(profile.repeatMonetaryMean).toBe(0);
    expect(profile.interPurchase).toBeUndefined();
    expect(profile.monetaryMean).toBe(100);
  });

  it('computes the median, mean and last gap between purchase days', () => {
    // Prepare: gaps of 10, 4 and 30 days.
    const events = [
      purchase('2026-01-01T10:00:00+08:00', 10),
      purchase('2026-01-11T22:00:00+08:00', 10),
      purchase('2026-01-15T08:00:00+08:00', 10),
      purchase('2026-02-14T12:00:00+08:00', 10),
    ];

    // Act
    const stats = foldEvents(events).interPurchase;

    // Assess
    expect(stats).toMatchObject({ count: 3, medianDays: 10, lastDays: 30 });
    expect(stats?.meanDays).toBeCloseTo(44 / 3, 2);
    expect(stats?.stdevDays).toBeCloseTo(11.12, 2);
  });

  it('takes the median of an even number of gaps as the mean of the middle two', () => {
    // Prepare: gaps of 10 and 4 days.
    const events = [
      purchase('2026-01-01T10:00:00+08:00', 10),
      purchase('2026-01-11T10:00:00+08:00', 10),
      purchase('2026-01-15T10:00:00+08:00', 10),
    ];

    // Act
    const stats = foldEvents(events).interPurchase;

    // Assess
    expect(stats?.medianDays).toBe(7);
  });

  it('counts a duplicate fact (same event id) once', () => {
    // Prepare
    const order = purchase('2026-01-01T10:00:00+08:00', 100, { eventId: 'evt-order-1' });
    const again = purchase('2026-01-01T10:00:00+08:00', 100, { eventId: 'evt-order-1' });

    // Act
    const profile = foldEvents([order, login('2026-01-02T10:00:00+08:00'), again]);

    // Assess
    expect(profile.factCount).toBe(2);
    expect(profile.orderCount).toBe(1);
    expect(profile.monetaryTotal).toBe(100);
  });

  it('sets first and last seen from event time, whatever the arrival order', () => {
    // Prepare
    const events = [login('2026-04-01T10:00:00+08:00'), login('2026-01-01T10:00:00+08:00'), login('2026-02-01T10:00:00+08:00')];

    // Act
    const profile = foldEvents(events);

    // Assess
    expect(profile.firstSeenAt).toBe('2026-01-01T02:00:00.000Z');
    expect(profile.lastSeenAt).toBe('2026-04-01T02:00:00.000Z');
    expect(profile.loginCount).toBe(3);
  });

  it('gives the same profile for any arrival order of a fixed history (seeded shuffles)', () => {
    // Prepare
    const history: RewakeEvent[] = [
      profileUpdate('2026-01-01T09:00:00+08:00', { channels: { sms: '+8613812345678' }, consent: { sms: true }, tags: ['new'] }),
      browse('2026-01-02T10:00:00+08:00', 'tea'),
      purchase('2026-01-03T10:00:00+08:00', 88, { categories: ['tea'] }),
      purchase('2026-01-03T21:00:00+08:00', 12.3, { categories: ['cups'] }),
      purchase('2026-02-10T10:00:00+08:00', 45.1, { categories: ['tea'] }),
      refund('2026-02-12T10:00:00+08:00', 12.3),
      supportTicket('2026-02-12T11:00:00+08:00'),
      profileUpdate('2026-02-20T09:00:00+08:00', { consent: { sms: false }, optOut: true, tags: ['vip'] }),
      login('2026-03-01T10:00:00+08:00'),
      browse('2026-03-02T10:00:00+08:00', 'teapots'),
    ];
    const expected = foldEvents(history);

    for (const seed of [1, 2, 3, 42, 2026]) {
      // Act
      const shuffled = foldEvents(seededShuffle(history, seed));

      // Assess
      expect(shuffled).toEqual(expected);
    }
  });

  it('gives the same profile for any arrival order and any re-delivery of generated histories', () => {
    // Prepare
    const offsets = ['+08:00', '+00:00', '-05:00', '+05:30'];
    const two = (n: number) => String(n).padStart(2, '0');
    const stamp = fc
      .record({ day: fc.integer({ min: 0, max: 400 }), minute: fc.integer({ min: 0, max: 1439 }), offset: fc.constantFrom(...offsets) })
      .map(({ day, minute, offset }) => {
        const d = new Date(Date.UTC(2025, 0, 1) + day * 86_400_000);
        return `${d.toISOString().slice(0, 10)}T${two(Math.floor(minute / 60))}:${two(minute % 60)}:00${offset}`;
      });
    const anEvent: fc.Arbitrary<(id: string) => RewakeEvent> = fc.oneof(
      fc.record({ at: stamp, amount: fc.integer({ min: 0, max: 50_000 }), cat: fc.constantFrom('tea', 'cups', 'snacks') }).map(
        ({ at, amount, cat }) => (id: string) => purchase(at, amount / 100, { eventId: id, categories: [cat] }),
      ),
      fc.record({ at: stamp, cat: fc.constantFrom('tea', 'cups', 'snacks', 'teapots') }).map(({ at, cat }) => (id: string) => browse(at, cat, `${cat}-1`, { eventId: id })),
      stamp.map((at) => (id: string) => login(at, { eventId: id })),
      stamp.map((at) => (id: string) => supportTicket(at, { eventId: id })),
      fc.record({ at: stamp, sms: fc.boolean(), optOut: fc.boolean(), drop: fc.boolean() }).map(
        ({ at, sms, optOut, drop }) =>
          (id: string) =>
            profileUpdate(at, { channels: { sms: drop ? null : '+8613812345678' }, consent: { sms }, optOut }, { eventId: id }),
      ),
    );
    const histories = fc
      .array(anEvent, { minLength: 1, maxLength: 30 })
      .map((makers) => makers.map((make, i) => make(`evt-${String(i).padStart(3, '0')}`)));
    const arrivals = histories.chain((history) =>
      fc.tuple(fc.constant(history), fc.shuffledSubarray(history, { minLength: history.length }), fc.subarray(history)),
    );

    // Act / Assess
    fc.assert(
      fc.property(arrivals, ([history, shuffled, redelivered]) => {
        expect(foldEvents([...shuffled, ...redelivered])).toEqual(foldEvents(history));
      }),
      { numRuns: 150, seed: 20260601 },
    );
  });

  it('lets the consent with the latest event time win even when the older update arrives later', () => {
    // Prepare: the user withdrew consent on 03-01; a delayed update from 02-01 arrives after it.
    const withdrawn = profileUpdate('2026-03-01T10:00:00+08:00', { consent: { sms: false }, optOut: true });
    const olderGrant = profileUpdate('2026-02-01T10:00:00+08:00', { channels: { sms: '+8613812345678' }, consent: { sms: true }, optOut: false });

    // Act
    const profile = foldEvents([withdrawn, olderGrant]);

    // Assess
    expect(profile.consent.sms).toBe(false);
    expect(profile.optOut).toBe(true);
    expect(profile.channels.sms).toBe('+8613812345678');
  });

  it('leaves consent for other channels unchanged when an update names only one', () => {
    // Prepare
    const events = [
      profileUpdate('2026-02-01T10:00:00+08:00', { consent: { sms: true, email: true } }),
      profileUpdate('2026-03-01T10:00:00+08:00', { consent: { email: false } }),
    ];

    // Act
    const profile = foldEvents(events);

    // Assess
    expect(profile.consent).toEqual({ sms: true, email: false });
  });

  it('removes an address when a later update sets its channel to null', () => {
    // Prepare
    const events = [
      profileUpdate('2026-02-01T10:00:00+08:00', { channels: { sms: '+8613812345678', email: 'li@example.com' } }),
      profileUpdate('2026-03-01T10:00:00+08:00', { channels: { sms: null } }),
    ];

    // Act
    const profile = foldEvents(events);

    // Assess
    expect(profile.channels).toEqual({ email: 'li@example.com' });
  });

  it('records a refusal of personalised recommendations', () => {
    // Prepare
    const events = [profileUpdate('2026-02-01T10:00:00+08:00', { consent: { personalisedRecommendations: false } })];

    // Act
    const profile = foldEvents(events);

    // Assess
    expect(profile.personalisedRecommendations).toBe(false);
    expect(profile.consent).toEqual({});
  });

  it('allows personalised recommendations until the user refuses them', () => {
    // Prepare / Act
    const profile = foldEvents([login('2026-02-01T10:00:00+08:00')]);

    // Assess
    expect(profile.personalisedRecommendations).toBe(true);
    expect(profile.optOut).toBe(false);
  });

  it('weights one purchase in a category above four views of another', () => {
    // Prepare
    const events = [
      purchase('2026-02-01T10:00:00+08:00', 50, { categories: ['tea'] }),
      ...[1, 2, 3, 4].map((d) => browse(`2026-02-0${d + 1}T10:00:00+08:00`, 'cups')),
    ];

    // Act
    const affinity = foldEvents(events).categoryAffinity;

    // Assess
    expect(affinity.tea).toBeGreaterThan(affinity.cups!);
    expect(Object.keys(affinity)).toEqual(['tea', 'cups']);
  });

  it('keeps only the ten strongest categories', () => {
    // Prepare: category c-i viewed i times, i = 1..12.
    const events = Array.from({ length: 12 }, (_, i) =>
      Array.from({ length: i + 1 }, (_, k) => browse(`2026-02-${String(k + 1).padStart(2, '0')}T10:00:00+08:00`, `c-${i + 1}`)),
    ).flat();

    // Act
    const affinity = foldEvents(events).categoryAffinity;

    // Assess
    expect(Object.keys(affinity)).toHaveLength(10);
    expect(affinity).not.toHaveProperty('c-1');
    expect(affinity).not.toHaveProperty('c-2');
    expect(affinity['c-12']).toBe(12);
  });

  it('bounds the recent active days to the 180 days before the user was last seen', () => {
    // Prepare
    const events = [
      login('2025-06-01T10:00:00+08:00'),
      login('2025-09-02T10:00:00+08:00'), // 180 days before the last
      login('2025-12-01T10:00:00+08:00'),
      login('2025-12-01T20:00:00+08:00'),
      login('2026-03-01T10:00:00+08:00'),
    ];

    // Act
    const days = foldEvents(events).recentActiveDays;

    // Assess
    expect(days).toEqual(['2026-03-01', '2025-12-01', '2025-09-02']);
  });

  it('lists the skus bought most recently first, without repeats', () => {
    // Prepare
    const events = [
      purchase('2026-01-01T10:00:00+08:00', 10, { skus: ['a'] }),
      purchase('2026-02-01T10:00:00+08:00', 10, { skus: ['b'] }),
      purchase('2026-03-01T10:00:00+08:00', 10, { skus: ['a'] }),
    ];

    // Act
    const skus = foldEvents(events).recentSkus;

    // Assess
    expect(skus).toEqual(['a', 'b']);
  });

  it('counts refunds and support tickets and remembers when the last ones happened', () => {
    // Prepare
    const events = [
      refund('2026-01-05T10:00:00+08:00', 10.1),
      refund('2026-02-05T10:00:00+08:00', 20.2),
      supportTicket('2026-02-06T10:00:00+08:00'),
    ];

    // Act
    const profile = foldEvents(events);

    // Assess
    expect(profile.refundCount).toBe(2);
    expect(profile.refundTotal).toBe(30.3);
    expect(profile.lastRefundAt).toBe('2026-02-05T02:00:00.000Z');
    expect(profile.supportTicketCount).toBe(1);
    expect(profile.lastSupportTicketAt).toBe('2026-02-06T02:00:00.000Z');
  });

  it('folds facts given as any iterable, not only arrays', () => {
    // Prepare
    const facts = factsOf([login('2026-01-01T10:00:00+08:00'), login('2026-01-02T10:00:00+08:00')]);

    // Act
    const profile = foldProfile('user-1', new Set(facts));

    // Assess
    expect(profile?.loginCount).toBe(2);
  });
});
