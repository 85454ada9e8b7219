import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../shared/config';
import { buildReport, formatPoints, type ReportFact, type ReportInput, type ReportSend } from '../../../shared/measure/report';

/**
 * A small case worked by hand. Every window opens at START (2026-03-01 02:00 UTC) and, with the
 * 30-day attribution window, ends (exclusive) at 2026-03-31 02:00 UTC. The report runs on NOW.
 *
 * treated (10 analysed episodes)                        holdout (5 analysed episodes)
 *  t1  sent, high, sms, vip-20 coupon A   buys 03-05 100  ✓  h1 high, sms    buys 03-15 40  ✓
 *  t2  sent ×2, high, sms, coupon B       buys 03-20  50  ✓  h2 high, push   nothing
 *  t3  sent, high, push                   buys 04-05 (after the window)      h3 medium, push buys 04-10 (after)
 *  t4  sent, high, push                   buys 02-20 (before); redeems A     h4 low, none    nothing
 *  t5  suppressed no consent, medium      buys 03-10  30  ✓  h5 low, email   redeems an unknown code
 *  t6  suppressed opted out, medium       nothing
 *  t7  failed, medium, push               nothing
 *  t8  sent, low, email                   logs in 03-02 (not a purchase)
 *  t9  sent, low, push                    buys exactly at the window's end (excluded)
 *  t10 sent, low, push                    buys exactly at the window's start 20  ✓
 *
 * Left out: t11 and h6 (suppressed: already returned) from both arms; t12 (deferred: no window
 * yet); t13 (sent 05-15: window ends 06-14, after NOW), whose coupon C is still valid.
 *
 * Treated 4/10 = 0.4, revenue 100+50+30+20 = 200 → 20 per user. Holdout 1/5 = 0.2, revenue 40 → 8.
 */
const START = '2026-03-01T02:00:00.000Z';
const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

function send(userId: string, fields: Partial<ReportSend>): ReportSend {
  return { userId, campaign: 'winback', step: 0, status: 'sent', holdout: false, at: START, state: 'dormant', tier: 'high', reason: 'still_browsing', offerId: 'promo-general', ...fields };
}
const purchase = (iso: string, amount: number, orderId = `o-${iso}`): ReportFact => ({ type: 'purchase', t: at(iso), p: { orderId, amount, currency: 'CNY' } });
const redeem = (iso: string, couponCode: string, orderId?: string): ReportFact => ({ type: 'coupon_redeem', t: at(iso), p: orderId ? { couponCode, orderId } : { couponCode } });

const sends: ReportSend[] = [
  send('t1', { tier: 'high', channel: 'sms', offerId: 'vip-20', couponCode: 'RWAAAA1111', couponExpiresOn: '2026-03-31' }),
  send('t2', { tier: 'high', channel: 'sms', offerId: 'coupon-10', couponCode: 'RWBBBB2222', couponExpiresOn: '2026-03-15' }),
  send('t2', { step: 1, at: '2026-03-08T02:00:00.000Z', tier: 'high', channel: 'sms', offerId: 'promo-general' }),
  send('t3', { tier: 'high', channel: 'push' }),
  send('t4', { tier: 'high', channel: 'push' }),
  send('t5', { status: 'suppressed', detail: 'no_consented_channel', tier: 'medium', reason: 'service_issue' }),
  send('t6', { status: 'suppressed', detail: 'opted_out', tier: 'medium', reason: 'service_issue' }),
  send('t7', { status: 'failed', detail: 'PERMANENT_FAILURE', tier: 'medium', channel: 'push' }),
  send('t8', { tier: 'low', channel: 'email' }),
  send('t9', { tier: 'low', channel: 'push' }),
  send('t10', { tier: 'low', channel: 'push' }),
  send('t11', { status: 'suppressed', detail: 'returned' }),
  send('t12', { status: 'deferred', at: undefined }),
  send('t13', { at: '2026-05-15T02:00:00.000Z', channel: 'push', offerId: 'vip-20', couponCode: 'RWCCCC3333', couponExpiresOn: '2026-06-14' }),
  send('h1', { status: 'holdout', holdout: true, tier: 'high', channel: 'sms' }),
  send('h2', { status: 'holdout', holdout: true, tier: 'high', channel: 'push' }),
  send('h3', { status: 'holdout', holdout: true, tier: 'medium', channel: 'push' }),
  send('h4', { status: 'holdout', holdout: true, tier: 'low' }),
  send('h5', { status: 'holdout', holdout: true, tier: 'low', channel: 'email' }),
  send('h6', { status: 'suppressed', detail: 'returned', holdout: true }),
];

const facts: Record<string, ReportFact[]> = {
  t1: [purchase('2026-03-05T10:00:00Z', 100, 'o1'), redeem('2026-03-05T10:00:00Z', 'RWAAAA1111', 'o1')],
  t2: [purchase('2026-03-21T02:00:00Z', 50, 'o2'), redeem('2026-03-21T02:00:00Z', 'RWBBBB2222', 'o2')],
  t3: [purchase('2026-04-05T00:00:00Z', 80)],
  t4: [purchase('2026-02-20T00:00:00Z', 70), redeem('2026-03-06T00:00:00Z', 'RWAAAA1111')],
  t5: [purchase('2026-03-10T12:00:00Z', 30)],
  t8: [{ type: 'login', t: at('2026-03-02T00:00:00Z'), p: {} }],
  t9: [purchase('2026-03-31T02:00:00Z', 60)],
  t10: [purchase(START, 20)],
  t11: [purchase('2026-03-03T00:00:00Z', 999)],
  h1: [purchase('2026-03-15T02:00:00Z', 40)],
  h3: [purchase('2026-04-10T00:00:00Z', 25)],
  h5: [redeem('2026-03-04T00:00:00Z', 'RWZZZZ9999')],
};

const settings = { ...defaultConfig().report, minGroupSize: 3, minReactivations: 1 };
const input = (overrides: Partial<ReportInput> = {}): ReportInput => ({ sends, facts, settings, now: NOW, timezone: 'UTC', delivery: 'real', ...overrides });

describe('buildReport on a hand-computed case', () => {
  const report = buildReport(input());

  it('sorts episodes into analysed, excluded, in progress and pending', () => {
    expect(report.counts.ledgerRecords).toBe(20);
    expect(report.counts.episodes).toBe(19); // t2 has two steps
    expect(report.counts.analysed).toEqual({ treated: 10, holdout: 5 });
    expect(report.counts.excluded).toEqual({ returned: { treated: 1, holdout: 1 } });
    expect(report.counts.inProgress).toEqual({ treated: 1, holdout: 0 });
    expect(report.counts.pending).toBe(1);
    expect(report.counts.treatedFirstStep).toEqual({ sent: 7, 'suppressed:no_consented_channel': 1, 'suppressed:opted_out': 1, failed: 1 });
    // t1, t3, t4, t8, t9, t10 once, t2 twice.
    expect(report.counts.messagesSent).toBe(8);
  });

  it('counts reactivations and revenue per arm by intention to treat', () => {
    expect(report.overall.treated).toMatchObject({ n: 10, reactivated: 4, rate: 0.4, revenue: 200, revenuePerUser: 20 });
    expect(report.overall.holdout).toMatchObject({ n: 5, reactivated: 1, rate: 0.2, revenue: 40, revenuePerUser: 8 });
    expect(report.overall.revenuePerUserDifference).toBe(12);
  });

  it('gives the uplift with Newcombe and Katz intervals', () => {
    // Wilson 4/10: 0.16818 to 0.68733; Wilson 1/5: 0.03622 to 0.62447 (z = 1.95996).
    // Newcombe: 0.2 − √((0.4 − 0.16818)² + (0.62447 − 0.2)²) = −0.28364;
    //           0.2 + √((0.68733 − 0.4)² + (0.2 − 0.03622)²) = 0.53072   (checked in Python).
    expect(report.overall.difference!.estimate).toBeCloseTo(0.2, 12);
    expect(report.overall.difference!.low).toBeCloseTo(-0.28364, 4);
    expect(report.overall.difference!.high).toBeCloseTo(0.53072, 4);
    // RR = 0.4 / 0.2 = 2; se(ln RR) = √(1/4 − 1/10 + 1/1 − 1/5) = √0.95.
    const se = Math.sqrt(0.95);
    expect(report.overall.relative!.estimate).toBeCloseTo(1, 12);
    expect(report.overall.relative!.low).toBeCloseTo(2 * Math.exp(-1.959964 * se) - 1, 5);
    expect(report.overall.relative!.high).toBeCloseTo(2 * Math.exp(1.959964 * se) - 1, 5);
    expect(report.overall.treated.rateCi!.low).toBeCloseTo(0.16818, 4);
  });

  it('says plainly that an interval including 0 is no measurable uplift', () => {
    expect(report.overall.tooSmall).toBe(false);
    expect(report.overall.verdict).toBe('no_measurable_uplift');
    expect(report.conclusion).toMatch(/^No measurable uplift: treated 40\.0% \(4\/10\) vs holdout 20\.0% \(1\/5\)/);
    expect(report.conclusion).toContain('includes 0');
    expect(report.conclusion).not.toContain('fake Pinpoint');
  });

  it('reports "sent only" separately: first message sent vs the whole holdout', () => {
    // Sent first: t1, t2, t3, t4, t8, t9, t10 → reactivated t1, t2, t10 = 3/7.
    expect(report.sentOnly.treated).toMatchObject({ n: 7, reactivated: 3 });
    expect(report.sentOnly.holdout).toMatchObject({ n: 5, reactivated: 1 });
    expect(report.sentOnly.difference!.estimate).toBeCloseTo(3 / 7 - 0.2, 12);
  });

  it('breaks down by tier, reason, offer and channel, flagging small groups', () => {
    const tiers = Object.fromEntries(report.groups.tier.map((g) => [g.key, g]));
    expect(report.groups.tier.map((g) => g.key)).toEqual(['high', 'medium', 'low']);
    // high: t1 ✓ t2 ✓ t3 t4 = 2/4 vs h1 ✓ h2 = 1/2; medium: t5 ✓ t6 t7 = 1/3 vs h3 = 0/1; low: t10 ✓ = 1/3 vs 0/2.
    expect([tiers.high!.treated.reactivated, tiers.high!.treated.n, tiers.high!.holdout.reactivated, tiers.high!.holdout.n]).toEqual([2, 4, 1, 2]);
    expect([tiers.medium!.treated.reactivated, tiers.medium!.treated.n, tiers.medium!.holdout.reactivated, tiers.medium!.holdout.n]).toEqual([1, 3, 0, 1]);
    expect([tiers.low!.treated.reactivated, tiers.low!.treated.n, tiers.low!.holdout.reactivated, tiers.low!.holdout.n]).toEqual([1, 3, 0, 2]);
    expect(report.groups.tier.every((g) => g.tooSmall && g.verdict === 'too_small')).toBe(true);
    // No holdout reactivation in the medium tier: no ratio, so no relative uplift rather than an infinite one.
    expect(tiers.medium!.relative).toBeNull();

    const channels = Object.fromEntries(report.groups.channel.map((g) => [g.key, g]));
    expect(Object.keys(channels).sort()).toEqual(['email', 'none', 'push', 'sms']);
    // push: t3 t4 t7 t9 t10 ✓ = 1/5 vs h2 h3 = 0/2; none: t5 ✓ t6 = 1/2 vs h4 = 0/1.
    expect([channels.push!.treated.reactivated, channels.push!.treated.n, channels.push!.holdout.n]).toEqual([1, 5, 2]);
    expect([channels.none!.treated.reactivated, channels.none!.treated.n, channels.none!.holdout.n]).toEqual([1, 2, 1]);

    const reasons = Object.fromEntries(report.groups.reason.map((g) => [g.key, g]));
    expect(reasons.service_issue!.treated.n).toBe(2);
    expect(reasons.service_issue!.holdout.n).toBe(0);
    expect(reasons.service_issue!.difference).toBeNull();

    expect(report.groups.campaign.map((g) => [g.key, g.treated.n, g.holdout.n])).toEqual([['winback', 10, 5]]);
    const offers = Object.fromEntries(report.groups.offer.map((g) => [g.key, g]));
    expect(offers['vip-20']!.treated).toMatchObject({ n: 1, reactivated: 1 });
    expect(report.warnings.some((w) => w.startsWith('By tier: too small to conclude for high, medium, low'))).toBe(true);
  });

  it('draws the cumulative reactivation curve by days since the (would-be) send', () => {
    // Treated reactivations after START: t10 at 0 d, t1 at 4 d 8 h, t5 at 9 d 10 h, t2 at 20 d.
    // Holdout: h1 at exactly 14 d, so it first counts on day 15 ("within 15 days").
    const treated = [...Array(4).fill(0.1), ...Array(5).fill(0.2), ...Array(11).fill(0.3), ...Array(10).fill(0.4)];
    const holdout = [...Array(14).fill(0), ...Array(16).fill(0.2)];
    expect(report.series.day).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(report.series.treated.map((v) => Math.round(v * 1e9) / 1e9)).toEqual(treated);
    expect(report.series.holdout).toEqual(holdout);
  });

  it('matches coupon redemptions to their sends by code, user and validity', () => {
    expect(report.coupons).toMatchObject({
      issued: 3, // A (t1), B (t2), C (t13, still in its window)
      redeemed: 1, // A by t1 on 03-05
      redemptionRate: 1 / 3,
      redeemedAfterExpiry: 1, // B, valid through 03-15, redeemed 03-21
      stillValid: 1, // C, valid through 06-14 > NOW
      revenue: 100, // order o1
      unmatched: 1, // h5's RWZZZZ9999 was never sent
      redeemedByAnotherUser: 1, // t4 redeemed t1's code
    });
    expect(report.coupons.byOffer).toEqual([
      { offerId: 'coupon-10', issued: 1, redeemed: 0, redemptionRate: 0 },
      { offerId: 'vip-20', issued: 2, redeemed: 1, redemptionRate: 0.5 },
    ]);
  });

  it('builds the funnel from the ledger when no scan summary is given, and says so', () => {
    expect(report.funnel).toMatchObject({
      source: 'ledger',
      users: null,
      candidatesByTier: { high: 6, medium: 4, low: 5 },
      treated: 10,
      holdout: 5,
      messaged: 7,
      reactivatedTreated: 4,
      reactivatedHoldout: 1,
    });
    expect(report.funnel.note).toMatch(/^No scan summary is stored/);
    expect(buildReport(input({ population: { users: 445 } })).funnel.note).toMatch(/^445 users; no scan summary is stored/);
    const withUsers = buildReport(input({ population: { users: 445 } }));
    expect(withUsers.funnel).toMatchObject({ source: 'ledger', users: 445, byState: { dormant: 15 } });
    const withScan = buildReport(input({ population: { users: 445, byState: { active: 200, at_risk: 100, dormant: 120, lost: 25 }, asOf: '2026-03-01' } }));
    expect(withScan.funnel).toMatchObject({ source: 'scan', users: 445, byState: { active: 200, at_risk: 100, dormant: 120, lost: 25 } });
  });

  it('warns about in-progress windows, pending sends and coupons still valid', () => {
    expect(report.warnings.some((w) => w.startsWith('1 episode(s) whose 30-day window has not ended by 2026-06-01'))).toBe(true);
    expect(report.warnings.some((w) => w.startsWith('1 episode(s) are still queued or deferred'))).toBe(true);
    expect(report.warnings.some((w) => w.startsWith('1 coupon(s) are still valid'))).toBe(true);
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('buildReport choices', () => {
  it('counts a window that has not ended as in progress, not as "not reactivated"', () => {
    // NOW one day before t1's window ends: every episode of the case is in progress.
    const report = buildReport(input({ now: new Date(at(START) + 29 * DAY) }));
    expect(report.counts.analysed).toEqual({ treated: 0, holdout: 0 });
    expect(report.counts.inProgress).toEqual({ treated: 11, holdout: 5 });
    expect(report.overall.difference).toBeNull();
    expect(report.conclusion).toMatch(/^Nothing to conclude yet/);
  });

  it('selects episodes by the day their window opens, in the given time zone', () => {
    // 2026-02-28 17:00 UTC is already 03-01 01:00 in Shanghai.
    const late = [send('x1', { at: '2026-02-28T17:00:00.000Z' }), send('x2', { status: 'holdout', holdout: true, at: '2026-02-28T15:00:00.000Z' })];
    const shanghai = buildReport(input({ sends: late, facts: {}, timezone: 'Asia/Shanghai', period: { from: '2026-03-01', to: '2026-03-01' } }));
    expect(shanghai.counts.analysed).toEqual({ treated: 1, holdout: 0 }); // x2 opens at 23:00 on 02-28 in Shanghai
    const utc = buildReport(input({ sends: late, facts: {}, timezone: 'UTC', period: { from: '2026-03-01' } }));
    expect(utc.counts.outsidePeriod).toBe(2);
  });

  it('counts other qualifying events when configured', () => {
    // With logins qualifying too, t8 (logged in on 03-02) comes back: 5/10.
    const report = buildReport(input({ settings: { ...settings, qualifyingEvents: ['purchase', 'login'] } }));
    expect(report.overall.treated.reactivated).toBe(5);
  });

  it('flags the whole comparison as too small with the default thresholds', () => {
    const report = buildReport(input({ settings: defaultConfig().report }));
    expect(report.overall.tooSmall).toBe(true);
    expect(report.overall.verdict).toBe('too_small');
    expect(report.conclusion).toMatch(/^Too small to conclude anything/);
    expect(report.warnings.some((w) => w.startsWith('Overall: too small to conclude (treated 10 users / 4 reactivated, holdout 5 / 1'))).toBe(true);
  });

  it('calls a clear difference an uplift, and says when the sends were simulated', () => {
    // 60/200 vs 20/200: Newcombe 95% CI 0.1229 to 0.2751 (computed independently in Python): above 0.
    const many: ReportSend[] = [];
    const manyFacts: Record<string, ReportFact[]> = {};
    for (let i = 0; i < 200; i++) {
      many.push(send(`a${i}`, {}), send(`b${i}`, { status: 'holdout', holdout: true }));
      if (i < 60) manyFacts[`a${i}`] = [purchase('2026-03-10T00:00:00Z', 10)];
      if (i < 20) manyFacts[`b${i}`] = [purchase('2026-03-10T00:00:00Z', 10)];
    }
    const report = buildReport(input({ sends: many, facts: manyFacts, settings: defaultConfig().report, delivery: 'simulated' }));
    expect(report.overall.verdict).toBe('uplift');
    expect(report.overall.difference!.low).toBeCloseTo(0.12285, 4);
    expect(report.overall.difference!.high).toBeCloseTo(0.2751, 4);
    // RR = 0.3 / 0.1 = 3 → relative +200%.
    expect(report.overall.relative!.estimate).toBeCloseTo(2, 12);
    expect(report.conclusion).toMatch(/^Measurable uplift: treated 30\.0% \(60\/200\) vs holdout 10\.0% \(20\/200\)/);
    expect(report.conclusion).toContain('an uplift near zero is the honest, expected result');
  });

  it('warns when windows end well after the last event in the data', () => {
    // The case's last event is t3's purchase on 04-05, after every window's end (03-31): no warning.
    expect(buildReport(input()).warnings.some((w) => w.startsWith('The latest event'))).toBe(false);
    // Without t3, h3 and t9 the last event is t2's on 03-21: all 15 analysed windows end (03-31) after 03-22.
    const { t3: _t3, h3: _h3, t9: _t9, ...early } = facts;
    const report = buildReport(input({ facts: early }));
    expect(report.warnings).toContain(
      'The latest event in the data is from 2026-03-21, but 15 analysed window(s) end more than a day after it: they may be only partly observed (is the data historical, or has ingest stopped?).',
    );
  });

  it('treats each campaign occurrence as its own episode and groups them by kind', () => {
    // u1: win-back episode 1 (bought on 03-05) and episode 2 from 05-01 (no purchase in its window);
    // u2: a birthday offer, held out, bought on 03-05 too.
    const occurrences = [
      send('u1', {}),
      send('u1', { campaign: 'winback~2', at: '2026-05-01T02:00:00.000Z' }),
      send('u2', { campaign: 'birthday-2026', status: 'holdout', holdout: true }),
    ];
    const bought = { u1: [purchase('2026-03-05T00:00:00Z', 10)], u2: [purchase('2026-03-05T00:00:00Z', 10)] };
    const report = buildReport(input({ sends: occurrences, facts: bought, now: new Date('2026-07-01T00:00:00Z') }));
    expect(report.counts.episodes).toBe(3);
    expect(report.overall.treated).toMatchObject({ n: 2, reactivated: 1 });
    expect(report.groups.campaign.map((g) => [g.key, g.treated.n, g.treated.reactivated, g.holdout.n, g.holdout.reactivated])).toEqual([
      ['birthday', 0, 0, 1, 1],
      ['winback', 2, 1, 0, 0],
    ]);
  });

  it('reports a contaminated holdout', () => {
    const report = buildReport(input({ sends: [...sends, send('h2', { step: 1, holdout: true, status: 'sent', at: '2026-03-08T02:00:00.000Z' })] }));
    expect(report.warnings).toContain('1 holdout episode(s) were messaged anyway: the control group is contaminated.');
  });

  it('formats signed percentage points without a "−0.0"', () => {
    expect(formatPoints(0.0123)).toBe('+1.2 pts');
    expect(formatPoints(-0.0123)).toBe('−1.2 pts');
    expect(formatPoints(-0.00001)).toBe('+0.0 pts');
  });
});
