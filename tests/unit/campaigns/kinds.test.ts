import { describe, it, expect } from 'vitest';
import { campaignKind, holdoutCampaignOf } from '../../../shared/campaigns/kinds';
import { oneShotDue } from '../../../shared/campaigns/one-shot';
import { STALE_QUEUED_MS } from '../../../shared/campaigns/winback';
import { parseConfig } from '../../../shared/config';

describe('campaignKind', () => {
  it.each([
    ['winback', 'winback'],
    ['winback~2', 'winback'],
    ['birthday-2026', 'birthday'],
    ['anniversary-2027', 'anniversary'],
    ['new-teaware-spring', 'new_arrivals'],
    // A ledger id from before the other kinds, or a custom win-back id, is win-back.
    ['vip-winback', 'winback'],
    ['birthday', 'winback'],
  ] as const)('reads %s as %s', (id, kind) => {
    expect(campaignKind(id)).toBe(kind);
  });
});

describe('holdoutCampaignOf', () => {
  it('draws every win-back episode on the plain win-back id, so a user keeps their group', () => {
    expect(holdoutCampaignOf('winback~3', 'winback')).toBe('winback');
    expect(holdoutCampaignOf('winback', 'winback')).toBe('winback');
  });

  it('draws every year of a yearly campaign, and every announcement, on the kind', () => {
    expect(holdoutCampaignOf('birthday-2026', 'winback')).toBe('birthday');
    expect(holdoutCampaignOf('birthday-2027', 'winback')).toBe('birthday');
    expect(holdoutCampaignOf('anniversary-2026', 'winback')).toBe('anniversary');
    expect(holdoutCampaignOf('new-a', 'winback')).toBe(holdoutCampaignOf('new-b', 'winback'));
  });
});

describe('oneShotDue', () => {
  const NOW = new Date('2026-06-01T02:00:00.000Z');
  const queuedAgo = (ms: number, extra = {}) => [{ step: 0, status: 'queued', queuedAt: new Date(NOW.getTime() - ms).toISOString(), ...extra }];

  it('is due with no ledger entry, and not once the message was handled in any way', () => {
    expect(oneShotDue([], NOW)).toBe(true);
    for (const status of ['sent', 'sending', 'holdout', 'suppressed', 'deferred', 'failed']) {
      expect(oneShotDue([{ step: 0, status, queuedAt: '2026-05-31T02:00:00.000Z' }], NOW)).toBe(false);
    }
  });

  it('offers again a claim that never reached the queue once it is stale, and only then', () => {
    expect(oneShotDue(queuedAgo(STALE_QUEUED_MS + 1), NOW)).toBe(true);
    expect(oneShotDue(queuedAgo(STALE_QUEUED_MS - 60_000), NOW)).toBe(false);
    expect(oneShotDue(queuedAgo(STALE_QUEUED_MS * 10, { enqueuedAt: '2026-05-31T02:00:00.000Z' }), NOW)).toBe(false);
  });
});

describe('campaign configuration', () => {
  it('defaults to the documented campaigns, priority and caps', () => {
    // Prepare / Act
    const config = parseConfig({});

    // Assess
    expect(config.campaigns.priority).toEqual(['birthday', 'anniversary', 'winback', 'new_arrivals']);
    expect(config.campaigns.winback.cooldownDays).toBe(90);
    expect(config.campaigns.birthday).toEqual({ leadDays: 3, audience: 'all' });
    expect(config.campaigns.newArrivals).toEqual({ windowDays: 30, announcements: [] });
    expect(config.delivery.frequencyCaps).toEqual([
      { days: 7, max: 1, campaigns: ['winback'] },
      { days: 30, max: 3 },
    ]);
    expect(config.offers.byCampaign.birthday).toMatchObject({ id: 'birthday-15', kind: 'coupon', discountPercent: 15 });
  });

  it.each(['winback~2', 'birthday-2026', 'new-winback', 'a#b'])('rejects the win-back id %s, which another id could collide with', (id) => {
    expect(() => parseConfig({ campaigns: { winback: { id } } })).toThrow(/campaigns\.winback\.id/);
  });

  it('rejects a priority list that repeats a kind or names an unknown one', () => {
    expect(() => parseConfig({ campaigns: { priority: ['winback', 'winback'] } })).toThrow(/campaigns\.priority/);
    expect(() => parseConfig({ campaigns: { priority: ['easter'] } })).toThrow(/campaigns\.priority/);
  });

  it('rejects announcements with a bad id, a bad day or a repeated id', () => {
    const announcement = { id: 'teaware', category: 'teaware', arrivedOn: '2026-05-25' };
    expect(() => parseConfig({ campaigns: { newArrivals: { announcements: [{ ...announcement, id: 'Tea Ware' }] } } })).toThrow(/announcements\.0\.id/);
    expect(() => parseConfig({ campaigns: { newArrivals: { announcements: [{ ...announcement, arrivedOn: '25/05/2026' }] } } })).toThrow(/arrivedOn/);
    expect(() => parseConfig({ campaigns: { newArrivals: { announcements: [announcement, announcement] } } })).toThrow(/must be unique/);
  });

  it('rejects a cap naming an unknown campaign kind', () => {
    expect(() => parseConfig({ delivery: { frequencyCaps: [{ days: 7, max: 1, campaigns: ['promo'] }] } })).toThrow(/frequencyCaps\.0\.campaigns/);
  });
});
