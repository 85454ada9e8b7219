import { describe, it, expect } from 'vitest';
import { mayBeDue, planCampaigns, type PlanInput } from '../../../shared/campaigns/plan';
import { rankDue, type DueCampaign } from '../../../shared/campaigns/priority';
import { dayIn } from '../../../shared/clock';
import type { LedgerHistoryEntry } from '../../../shared/campaigns/winback';
import { parseConfig, type RewakeConfigInput } from '../../../shared/config';
import type { DormancyState } from '../../../shared/dormancy/classify';
import type { Profile } from '../../../shared/profiles/aggregate';
import { daysAfter, profileWith } from '../../fixtures/builders';

/** The daily scan of 1 June 2026, 02:00 in Shanghai. */
const SCAN = new Date('2026-06-01T02:00:00+08:00');
const AS_OF = '2026-06-01';
const ANNOUNCEMENTS = { newArrivals: { announcements: [{ id: 'teaware-spring', category: 'teaware', arrivedOn: '2026-05-25' }] } };

/** Dormant since last November, birthday on 2 June, fond of teaware; joined 2025-09-01. */
const DORMANT = profileWith({
  lastPurchaseAt: '2025-11-01T02:00:00.000Z',
  firstPurchaseAt: '2025-09-01T02:00:00.000Z',
  registeredAt: '2025-09-01T02:00:00.000Z',
  birthday: '--06-02',
  categoryAffinity: { teaware: 4 },
});

function plan(opts: { profile?: Profile; state?: DormancyState; now?: Date; asOf?: string; ledger?: LedgerHistoryEntry[]; config?: RewakeConfigInput } = {}) {
  const config = parseConfig({ campaigns: ANNOUNCEMENTS, ...opts.config });
  const input: PlanInput = {
    profile: opts.profile ?? DORMANT,
    state: opts.state ?? 'dormant',
    now: opts.now ?? SCAN,
    campaigns: config.campaigns,
    defaultTimezone: config.delivery.defaultTimezone,
  };
  return { input, result: planCampaigns({ ...input, ledger: opts.ledger ?? [], asOf: opts.asOf ?? AS_OF }) };
}

/** A ledger entry queued by the scan at `queuedAt` (its as-of day in Shanghai), settled 7 hours later unless still queued. */
const entry = (campaign: string, step: number, queuedAt: Date, status = 'sent', asOf = dayIn(queuedAt, 'Asia/Shanghai')): LedgerHistoryEntry => ({
  campaign,
  step,
  status,
  queuedAt: queuedAt.toISOString(),
  enqueuedAt: queuedAt.toISOString(),
  at: status === 'queued' ? undefined : daysAfter(queuedAt, 0.3).toISOString(),
  asOf,
});
const chosen = (r: ReturnType<typeof plan>['result']) => (r.chosen ? `${r.chosen.campaign}#${r.chosen.step}` : null);
const waits = (r: ReturnType<typeof plan>['result']) => r.outranked.map((o) => `${o.due.campaign}<${o.by}`);

describe('rankDue', () => {
  const due = (kind: DueCampaign['kind'], campaign: string): DueCampaign => ({ kind, campaign, step: 0 });

  it('chooses the kind ranked first and lets the others wait, naming what outranked them', () => {
    // Prepare / Act
    const ranked = rankDue([due('new_arrivals', 'new-x'), due('winback', 'winback'), due('birthday', 'birthday-2026')], ['birthday', 'anniversary', 'winback', 'new_arrivals']);

    // Assess
    expect(ranked.chosen?.campaign).toBe('birthday-2026');
    expect(ranked.outranked.map((o) => [o.due.campaign, o.by])).toEqual([
      ['winback', 'birthday-2026'],
      ['new-x', 'birthday-2026'],
    ]);
  });

  it('never chooses a kind left out of the priority list', () => {
    // Prepare / Act
    const ranked = rankDue([due('birthday', 'birthday-2026')], ['winback']);

    // Assess
    expect(ranked).toEqual({ outranked: [] });
  });

  it('lets a campaign under way hold back the kinds below it, but not the ones above', () => {
    // Prepare
    const underWay = [{ kind: 'winback' as const, campaign: 'winback' }];
    const order = ['birthday', 'winback', 'new_arrivals'] as const;

    // Act
    const below = rankDue([due('new_arrivals', 'new-x')], order, underWay);
    const above = rankDue([due('birthday', 'birthday-2026')], order, underWay);

    // Assess
    expect(below).toEqual({ outranked: [{ due: due('new_arrivals', 'new-x'), by: 'winback' }] });
    expect(above.chosen?.campaign).toBe('birthday-2026');
  });
});

describe('planCampaigns (default priority: birthday > anniversary > winback > new arrivals)', () => {
  it('enqueues the birthday first when a dormant user’s birthday window and win-back entry coincide', () => {
    // Prepare / Act
    const { result } = plan();

    // Assess
    expect(chosen(result)).toBe('birthday-2026#0');
    expect(result.chosen).toMatchObject({ kind: 'birthday', occasionOn: '2026-06-02' });
    expect(waits(result)).toEqual(['winback<birthday-2026', 'new-teaware-spring<birthday-2026']);
  });

  it('enters win-back the next day, once the birthday is handled', () => {
    // Prepare
    const ledger = [entry('birthday-2026', 0, SCAN)];

    // Act
    const { result } = plan({ ledger, now: daysAfter(SCAN, 1), asOf: '2026-06-02' });

    // Assess
    expect(chosen(result)).toBe('winback#0');
    expect(waits(result)).toEqual(['new-teaware-spring<winback']);
  });

  it('enqueues nothing else when a second scan runs the same day', () => {
    // Prepare: the first scan of the day queued the birthday.
    const ledger = [entry('birthday-2026', 0, SCAN, 'queued')];

    // Act
    const { result } = plan({ ledger, now: daysAfter(SCAN, 0.1) });

    // Assess
    expect(result.chosen).toBeUndefined();
    expect(waits(result)).toEqual(['winback<birthday-2026', 'new-teaware-spring<birthday-2026']);
  });

  it('sends the birthday once a year: not again in its window, again the next year', () => {
    // Prepare
    const ledger = [entry('birthday-2026', 0, SCAN)];
    const config = { campaigns: { ...ANNOUNCEMENTS, priority: ['birthday' as const] } };

    // Act
    const sameWindow = plan({ ledger, config, now: daysAfter(SCAN, 1), asOf: '2026-06-02' });
    const nextYear = plan({ ledger, config, now: new Date('2027-06-01T02:00:00+08:00'), asOf: '2027-06-01' });

    // Assess
    expect(chosen(sameWindow.result)).toBeNull();
    expect(chosen(nextYear.result)).toBe('birthday-2027#0');
  });

  it('sends an active user a birthday offer with the default audience, not with audience "candidates"', () => {
    // Prepare
    const active = { ...DORMANT, lastPurchaseAt: '2026-05-20T02:00:00.000Z' };

    // Act
    const all = plan({ profile: active, state: 'active' });
    const candidatesOnly = plan({ profile: active, state: 'active', config: { campaigns: { ...ANNOUNCEMENTS, birthday: { audience: 'candidates' } } } });

    // Assess: only the birthday; win-back and new arrivals are for at-risk and dormant users.
    expect(chosen(all.result)).toBe('birthday-2026#0');
    expect(all.result.outranked).toEqual([]);
    expect(chosen(candidatesOnly.result)).toBeNull();
  });

  it('sends a lost user nothing, birthday included', () => {
    // Prepare / Act
    const { input, result } = plan({ state: 'lost' });

    // Assess
    expect(result).toEqual({ outranked: [] });
    expect(mayBeDue({ ...input, state: 'lost' })).toBe(false);
  });

  it('reads an active user’s ledger only inside a yearly window', () => {
    // Prepare
    const { input } = plan({ state: 'active' });

    // Act / Assess: birthday on 2 June, 3 lead days → from 30 May.
    expect(mayBeDue(input)).toBe(true);
    expect(mayBeDue({ ...input, now: new Date('2026-05-28T02:00:00+08:00') })).toBe(false);
    expect(mayBeDue({ ...input, state: 'at_risk', now: new Date('2026-05-28T02:00:00+08:00') })).toBe(true);
  });

  it('holds new arrivals back while a win-back episode runs, and sends them once it has ended', () => {
    // Prepare: episode 1 entered on 20 May, so on 1 June step 1 is done and step 2 (day 21) is ahead.
    const entered = new Date('2026-05-20T02:00:00+08:00');
    const noBirthday = { ...DORMANT, birthday: undefined };
    const running = [entry('winback', 0, entered), entry('winback', 1, daysAfter(entered, 7))];
    const ended = [...running, entry('winback', 2, daysAfter(entered, 21))];

    // Act
    const during = plan({ profile: noBirthday, ledger: running });
    const after = plan({ profile: noBirthday, ledger: ended, now: daysAfter(entered, 23), asOf: '2026-06-12' });

    // Assess
    expect(during.result).toMatchObject({ outranked: [{ due: { campaign: 'new-teaware-spring' }, by: 'winback' }] });
    expect(during.result.chosen).toBeUndefined();
    expect(after.result.chosen).toMatchObject({ kind: 'new_arrivals', campaign: 'new-teaware-spring', step: 0, category: 'teaware' });
  });

  it('follows a configured order: win-back before birthday, anniversary left out', () => {
    // Prepare: 1 September is also the first anniversary of joining.
    const config = { campaigns: { ...ANNOUNCEMENTS, priority: ['winback' as const, 'birthday' as const] } };
    const profile = { ...DORMANT, birthday: '--09-01' };

    // Act
    const { result } = plan({ profile, config, now: new Date('2026-09-01T02:00:00+08:00'), asOf: '2026-09-01' });

    // Assess
    expect(chosen(result)).toBe('winback#0');
    expect(waits(result)).toEqual(['birthday-2026<winback']);
  });

  it('sends the anniversary with the years of membership, ahead of win-back', () => {
    // Prepare
    const profile = { ...DORMANT, birthday: undefined };

    // Act
    const { result } = plan({ profile, now: new Date('2026-08-30T02:00:00+08:00'), asOf: '2026-08-30' });

    // Assess
    expect(result.chosen).toMatchObject({ kind: 'anniversary', campaign: 'anniversary-2026', years: 1, occasionOn: '2026-09-01' });
    expect(waits(result)).toEqual(['winback<anniversary-2026']);
  });
});
