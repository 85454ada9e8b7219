import { describe, it, expect } from 'vitest';
import { defaultConfig } from '../../../shared/config';
import { nextWinbackStep, STALE_QUEUED_MS, type CampaignHistoryEntry } from '../../../shared/campaigns/winback';
import { daysAfter, profileWith } from '../../fixtures/builders';

const STEP_DAYS = defaultConfig().campaigns.winback.stepDays; // day 0, 7, 21
const ENTERED = '2026-06-01T18:00:05.000Z'; // the daily scan that put the user into the campaign
const DORMANT = profileWith({ lastPurchaseAt: '2025-11-01T02:00:00.000Z' });

const entry = (step: number, status: string, queuedAt: string | Date = daysAfter(ENTERED, STEP_DAYS[step] ?? 0)): CampaignHistoryEntry => ({
  step,
  status,
  queuedAt: new Date(queuedAt).toISOString(),
});

describe('nextWinbackStep', () => {
  it('starts a user with no history at step 0', () => {
    // Prepare / Act
    const next = nextWinbackStep([], DORMANT, daysAfter(ENTERED, 0), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: true, step: 0 });
  });

  it('makes step 1 due 7 days after entry', () => {
    // Prepare
    const history = [entry(0, 'sent')];

    // Act
    const next = nextWinbackStep(history, DORMANT, daysAfter(ENTERED, 7), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: true, step: 1 });
  });

  it('does not make step 1 due on the day before day 7', () => {
    // Prepare
    const history = [entry(0, 'sent')];

    // Act: more than the scan's start tolerance (1 h) early.
    const next = nextWinbackStep(history, DORMANT, daysAfter(ENTERED, 6.9), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: false, why: 'not_yet' });
  });

  it('makes step 1 due for a day-7 scan that starts a few minutes earlier than the day-0 scan did', () => {
    // Prepare
    const history = [entry(0, 'sent')];

    // Act: 15 minutes short of exactly 7 days.
    const next = nextWinbackStep(history, DORMANT, daysAfter(ENTERED, 7 - 15 / 1440), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: true, step: 1 });
  });

  it('counts step 2 from entry (day 21), not from step 1', () => {
    // Prepare: step 1 went out late, on day 10.
    const history = [entry(0, 'sent'), entry(1, 'sent', daysAfter(ENTERED, 10))];

    // Act
    const day20 = nextWinbackStep(history, DORMANT, daysAfter(ENTERED, 20), STEP_DAYS);
    const day21 = nextWinbackStep(history, DORMANT, daysAfter(ENTERED, 21), STEP_DAYS);

    // Assess
    expect(day20).toEqual({ due: false, why: 'not_yet' });
    expect(day21).toEqual({ due: true, step: 2 });
  });

  it('moves on after a step the user was held out of or suppressed from, like after a send', () => {
    // Prepare
    const heldOut = [entry(0, 'holdout')];
    const suppressed = [entry(0, 'suppressed')];

    // Act
    const afterHoldout = nextWinbackStep(heldOut, DORMANT, daysAfter(ENTERED, 7), STEP_DAYS);
    const afterSuppressed = nextWinbackStep(suppressed, DORMANT, daysAfter(ENTERED, 7), STEP_DAYS);

    // Assess
    expect(afterHoldout).toEqual({ due: true, step: 1 });
    expect(afterSuppressed).toEqual({ due: true, step: 1 });
  });

  it('waits while the last step is still queued', () => {
    // Prepare
    const history = [entry(0, 'queued')];

    // Act
    const next = nextWinbackStep(history, DORMANT, new Date(Date.parse(ENTERED) + 10 * 60_000), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: false, why: 'pending' });
  });

  it('waits while the last step is deferred by quiet hours, however long ago it was queued', () => {
    // Prepare
    const history = [entry(0, 'deferred')];

    // Act
    const next = nextWinbackStep(history, DORMANT, daysAfter(ENTERED, 8), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: false, why: 'pending' });
  });

  it('offers again a claimed step that never reached the queue once the claim is stale', () => {
    // Prepare: the scan claimed step 1 in the ledger but crashed before SQS accepted it.
    const history = [entry(0, 'sent'), entry(1, 'queued')];
    const now = new Date(Date.parse(history[1]!.queuedAt) + STALE_QUEUED_MS + 1);

    // Act
    const next = nextWinbackStep(history, DORMANT, now, STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: true, step: 1 });
  });

  it('leaves a fresh claim to the scan that made it, which may still be running', () => {
    // Prepare
    const history = [entry(0, 'sent'), entry(1, 'queued')];
    const now = new Date(Date.parse(history[1]!.queuedAt) + STALE_QUEUED_MS - 60_000);

    // Act
    const next = nextWinbackStep(history, DORMANT, now, STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: false, why: 'pending' });
  });

  it('does not offer again a queued step that SQS accepted, however old', () => {
    // Prepare
    const queued = entry(1, 'queued');
    const history = [entry(0, 'sent'), { ...queued, enqueuedAt: new Date(Date.parse(queued.queuedAt) + 1_000).toISOString() }];

    // Act
    const next = nextWinbackStep(history, DORMANT, daysAfter(queued.queuedAt, 2), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: false, why: 'pending' });
  });

  it('stops when the user bought after entering the campaign', () => {
    // Prepare
    const returned = profileWith({ lastPurchaseAt: daysAfter(ENTERED, 3).toISOString() });

    // Act
    const next = nextWinbackStep([entry(0, 'sent')], returned, daysAfter(ENTERED, 7), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: false, why: 'returned' });
  });

  it('does not count the purchase that preceded entry as a return', () => {
    // Prepare
    const before = profileWith({ lastPurchaseAt: daysAfter(ENTERED, -1).toISOString() });

    // Act
    const next = nextWinbackStep([entry(0, 'sent')], before, daysAfter(ENTERED, 7), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: true, step: 1 });
  });

  it('finishes after the last step', () => {
    // Prepare
    const history = [entry(0, 'sent'), entry(1, 'sent'), entry(2, 'sent')];

    // Act
    const next = nextWinbackStep(history, DORMANT, daysAfter(ENTERED, 60), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: false, why: 'finished' });
  });

  it('reads the history in step order, whatever order the ledger returns it in', () => {
    // Prepare
    const history = [entry(1, 'sent'), entry(0, 'sent')];

    // Act
    const next = nextWinbackStep(history, DORMANT, daysAfter(ENTERED, 21), STEP_DAYS);

    // Assess
    expect(next).toEqual({ due: true, step: 2 });
  });

  it('measures later steps from the first step’s day when the cadence does not start at day 0', () => {
    // Prepare: steps on day 1 and day 8 → step 1 is 7 days after entry.
    const history = [entry(0, 'sent')];

    // Act
    const early = nextWinbackStep(history, DORMANT, daysAfter(ENTERED, 6.5), [1, 8]);
    const due = nextWinbackStep(history, DORMANT, daysAfter(ENTERED, 7), [1, 8]);

    // Assess
    expect(early).toEqual({ due: false, why: 'not_yet' });
    expect(due).toEqual({ due: true, step: 1 });
  });
});
