import { describe, it, expect } from 'vitest';
import { eligibleAnnouncements, type Announcement, type NewArrivalsSettings } from '../../../shared/campaigns/new-arrivals';
import { profileWith } from '../../fixtures/builders';

const TEAWARE: Announcement = { id: 'teaware-spring', category: 'teaware', arrivedOn: '2026-05-25' };
const OOLONG: Announcement = { id: 'oolong-2026', category: 'oolong', sku: 'oolong-tgy-2026', arrivedOn: '2026-05-28' };
const SETTINGS: NewArrivalsSettings = { windowDays: 14, announcements: [TEAWARE, OOLONG] };
const NOW = new Date('2026-06-01T10:00:00+08:00');
const SHANGHAI = 'Asia/Shanghai';

/** A dormant tea lover who last bought in November. */
const fan = (overrides = {}) =>
  profileWith({ lastPurchaseAt: '2025-11-01T02:00:00.000Z', categoryAffinity: { oolong: 12, teaware: 3, snacks: 1 }, ...overrides });

const ids = (list: Announcement[]) => list.map((a) => a.id);

describe('eligibleAnnouncements', () => {
  it('offers the announcements of the user’s categories, the most liked category first', () => {
    // Prepare / Act
    const eligible = eligibleAnnouncements(fan(), NOW, SETTINGS, SHANGHAI);

    // Assess
    expect(ids(eligible)).toEqual(['oolong-2026', 'teaware-spring']);
  });

  it('skips a category the user has never shown interest in', () => {
    // Prepare
    const profile = fan({ categoryAffinity: { teaware: 3 } });

    // Act
    const eligible = eligibleAnnouncements(profile, NOW, SETTINGS, SHANGHAI);

    // Assess
    expect(ids(eligible)).toEqual(['teaware-spring']);
  });

  it('skips users who bought after the arrival, and users who already have the announced sku', () => {
    // Prepare
    const boughtSince = fan({ lastPurchaseAt: '2026-05-29T02:00:00.000Z' }); // after both arrivals
    const hasSku = fan({ recentSkus: ['oolong-tgy-2026'] });

    // Act
    const afterPurchase = eligibleAnnouncements(boughtSince, NOW, SETTINGS, SHANGHAI);
    const withSku = eligibleAnnouncements(hasSku, NOW, SETTINGS, SHANGHAI);

    // Assess
    expect(afterPurchase).toEqual([]);
    expect(ids(withSku)).toEqual(['teaware-spring']);
  });

  it('counts a purchase on the arrival day itself, in the user’s zone, as bought since the arrival', () => {
    // Prepare: 25 May 01:00 in Shanghai (the arrival day) is still 24 May in UTC.
    const profile = fan({ lastPurchaseAt: '2026-05-24T17:00:00.000Z', categoryAffinity: { teaware: 3 } });

    // Act
    const shanghai = eligibleAnnouncements(profile, NOW, SETTINGS, SHANGHAI);
    const utc = eligibleAnnouncements(profile, NOW, SETTINGS, 'UTC');

    // Assess
    expect(shanghai).toEqual([]);
    expect(ids(utc)).toEqual(['teaware-spring']);
  });

  it('lets an announcement go out from its arrival day for windowDays days, not before or after', () => {
    // Prepare
    const settings = { windowDays: 14, announcements: [TEAWARE] };
    const profile = fan();

    // Act
    const dayBefore = eligibleAnnouncements(profile, new Date('2026-05-24T10:00:00+08:00'), settings, SHANGHAI);
    const arrival = eligibleAnnouncements(profile, new Date('2026-05-25T10:00:00+08:00'), settings, SHANGHAI);
    const lastDay = eligibleAnnouncements(profile, new Date('2026-06-07T10:00:00+08:00'), settings, SHANGHAI);
    const past = eligibleAnnouncements(profile, new Date('2026-06-08T10:00:00+08:00'), settings, SHANGHAI);

    // Assess
    expect([dayBefore.length, arrival.length, lastDay.length, past.length]).toEqual([0, 1, 1, 0]);
  });

  it('never picks a user who refused personalised recommendations (PIPL Art. 24)', () => {
    // Prepare / Act
    const eligible = eligibleAnnouncements(fan({ personalisedRecommendations: false }), NOW, SETTINGS, SHANGHAI);

    // Assess
    expect(eligible).toEqual([]);
  });

  it('prefers the newer arrival when the categories are liked equally, then the configured order', () => {
    // Prepare
    const a: Announcement = { id: 'a', category: 'oolong', arrivedOn: '2026-05-20' };
    const b: Announcement = { id: 'b', category: 'teaware', arrivedOn: '2026-05-30' };
    const c: Announcement = { id: 'c', category: 'teaware', arrivedOn: '2026-05-20' };
    const profile = fan({ categoryAffinity: { oolong: 5, teaware: 5 } });

    // Act
    const eligible = eligibleAnnouncements(profile, NOW, { windowDays: 30, announcements: [a, b, c] }, SHANGHAI);

    // Assess
    expect(ids(eligible)).toEqual(['b', 'a', 'c']);
  });
});
