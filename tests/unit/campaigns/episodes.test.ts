import { describe, it, expect } from 'vitest';
import { episodeCampaignId, episodeOf, nextWinback, type LedgerHistoryEntry, type WinbackSettings } from '../../../shared/campaigns/winback';
import { daysAfter, profileWith } from '../../fixtures/builders';

const SETTINGS: WinbackSettings = { id: 'winback', stepDays: [0, 7, 21], cooldownDays: 90 };
const ENTERED = '2026-01-05T18:00:00.000Z'; // the scan that started episode 1
const DORMANT = profileWith({ lastPurchaseAt: '2025-06-01T02:00:00.000Z' });

/** A settled step of an episode: queued by the scan on its day, settled by the sender 8 hours later. */
const step = (campaign: string, n: number, enteredAt: string | Date = ENTERED, status = 'sent'): LedgerHistoryEntry => {
  const queuedAt = daysAfter(enteredAt, SETTINGS.stepDays[n]!);
  return { campaign, step: n, status, queuedAt: queuedAt.toISOString(), enqueuedAt: queuedAt.toISOString(), at: daysAfter(queuedAt, 8 / 24).toISOString() };
};
const episode1 = [step('winback', 0), step('winback', 1), step('winback', 2)];
/** Episode 1 ended when its last step was settled: day 21 + 8 hours. */
const EPISODE_1_END = daysAfter(ENTERED, 21 + 8 / 24);

describe('episode campaign ids', () => {
  it('keeps the plain id for episode 1, so ledger items written before episodes are episode 1', () => {
    expect(episodeCampaignId('winback', 1)).toBe('winback');
    expect(episodeOf('winback', 'winback')).toBe(1);
  });

  it('numbers later episodes after a tilde and reads them back', () => {
    expect(episodeCampaignId('winback', 3)).toBe('winback~3');
    expect(episodeOf('winback~3', 'winback')).toBe(3);
  });

  it('does not take another campaign’s id, or a malformed episode, for this one', () => {
    expect(episodeOf('birthday-2026', 'winback')).toBeUndefined();
    expect(episodeOf('winback-vip', 'winback')).toBeUndefined();
    expect(episodeOf('winback~x', 'winback')).toBeUndefined();
    expect(episodeOf('winback~1', 'winback')).toBeUndefined();
  });
});

describe('nextWinback', () => {
  it('enters a user with no win-back history into episode 1 at step 0, ignoring other campaigns', () => {
    // Prepare
    const ledger = [{ campaign: 'birthday-2025', step: 0, status: 'sent', queuedAt: '2025-11-01T18:00:00.000Z' }];

    // Act
    const next = nextWinback(ledger, DORMANT, new Date(ENTERED), SETTINGS);

    // Assess
    expect(next).toEqual({ due: true, campaign: 'winback', episode: 1, step: 0 });
  });

  it('follows the cadence inside the latest episode', () => {
    // Prepare
    const ledger = [step('winback', 0)];

    // Act
    const next = nextWinback(ledger, DORMANT, daysAfter(ENTERED, 7), SETTINGS);

    // Assess
    expect(next).toEqual({ due: true, campaign: 'winback', episode: 1, step: 1 });
  });

  it('reports an episode between its steps as open, so lower-priority campaigns wait', () => {
    // Prepare
    const ledger = [step('winback', 0)];

    // Act
    const next = nextWinback(ledger, DORMANT, daysAfter(ENTERED, 3), SETTINGS);

    // Assess
    expect(next).toEqual({ due: false, campaign: 'winback', episode: 1, why: 'not_yet', open: true });
  });

  it('does not re-enter a finished episode before the cooldown has passed since its last step', () => {
    // Prepare: 90 days after the end, minus two hours (more than the scan's one-hour start tolerance).
    const now = daysAfter(EPISODE_1_END, 90 - 2 / 24);

    // Act
    const next = nextWinback(episode1, DORMANT, now, SETTINGS);

    // Assess
    expect(next).toEqual({ due: false, campaign: 'winback', episode: 1, why: 'cooldown', open: false });
  });

  it('re-enters a still dormant user into episode 2 once the cooldown has passed', () => {
    // Prepare / Act
    const next = nextWinback(episode1, DORMANT, daysAfter(EPISODE_1_END, 90), SETTINGS);

    // Assess
    expect(next).toEqual({ due: true, campaign: 'winback~2', episode: 2, step: 0 });
  });

  it('counts the cooldown after a return from the return, not from the episode’s start', () => {
    // Prepare: the user bought 10 days into episode 1 (step 1 had gone out), and is dormant again later.
    const returnedAt = daysAfter(ENTERED, 10);
    const returned = profileWith({ lastPurchaseAt: returnedAt.toISOString() });
    const ledger = [step('winback', 0), step('winback', 1)];

    // Act
    const early = nextWinback(ledger, returned, daysAfter(returnedAt, 89), SETTINGS);
    const due = nextWinback(ledger, returned, daysAfter(returnedAt, 90), SETTINGS);

    // Assess
    expect(early).toMatchObject({ due: false, why: 'cooldown' });
    expect(due).toEqual({ due: true, campaign: 'winback~2', episode: 2, step: 0 });
  });

  it('does not take the purchase that ended episode 1 for a return from episode 2', () => {
    // Prepare: returned during episode 1, re-entered 100 days after that purchase, step 0 of episode 2 sent.
    const returnedAt = daysAfter(ENTERED, 10);
    const returned = profileWith({ lastPurchaseAt: returnedAt.toISOString() });
    const secondEntry = daysAfter(returnedAt, 100);
    const ledger = [step('winback', 0), step('winback', 1), step('winback~2', 0, secondEntry)];

    // Act
    const next = nextWinback(ledger, returned, daysAfter(secondEntry, 7), SETTINGS);

    // Assess
    expect(next).toEqual({ due: true, campaign: 'winback~2', episode: 2, step: 1 });
  });

  it('offers the same step again while it is claimed today, so two scans claim one ledger key', () => {
    // Prepare: the first scan of the day claimed episode 2's step 0 (SQS accepted it).
    const now = daysAfter(EPISODE_1_END, 95);
    const claimed: LedgerHistoryEntry = { campaign: 'winback~2', step: 0, status: 'queued', queuedAt: now.toISOString(), enqueuedAt: now.toISOString() };

    // Act: the second scan, three hours later.
    const next = nextWinback([...episode1, claimed], DORMANT, daysAfter(now, 3 / 24), SETTINGS);

    // Assess
    expect(next).toEqual({ due: false, campaign: 'winback~2', episode: 2, why: 'pending', open: true });
  });

  it('reads the episodes by number, whatever order the ledger returns them in', () => {
    // Prepare: episodes 2 and 10 finished long ago; 10 is the latest, not 2 (string order would say 2).
    const e10 = daysAfter(ENTERED, 400);
    const ledger = [
      step('winback~10', 2, e10),
      step('winback~2', 0, daysAfter(ENTERED, 200)),
      step('winback~2', 1, daysAfter(ENTERED, 200)),
      step('winback~2', 2, daysAfter(ENTERED, 200)),
      step('winback~10', 0, e10),
      step('winback~10', 1, e10),
    ];

    // Act
    const next = nextWinback(ledger, DORMANT, daysAfter(e10, 21 + 100), SETTINGS);

    // Assess
    expect(next).toEqual({ due: true, campaign: 'winback~11', episode: 11, step: 0 });
  });

  it('re-enters at once after an episode when the cooldown is 0', () => {
    // Prepare / Act
    const next = nextWinback(episode1, DORMANT, daysAfter(EPISODE_1_END, 1), { ...SETTINGS, cooldownDays: 0 });

    // Assess
    expect(next).toMatchObject({ due: true, campaign: 'winback~2', step: 0 });
  });
});
