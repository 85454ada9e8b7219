/**
 * The "好久不见" win-back cadence: step 0 on entering, then each step `stepDays[i]` days after
 * entry, stopping at the user's first return (a purchase after entry) or after the last step.
 */
import type { Profile } from '../profiles/aggregate';

export interface CampaignHistoryEntry {
  step: number;
  status: string;
  /** When the scan claimed the step in the ledger. */
  queuedAt: string;
  /** When SQS accepted its message; absent if the scan crashed in between. */
  enqueuedAt?: string;
}

export type NextStep = { due: true; step: number } | { due: false; why: 'pending' | 'not_yet' | 'finished' | 'returned' };

const DAY_MS = 86_400_000;
/** How long a claim without an enqueue is left to the scan that made it (it may still be running). */
const SCAN_START_TOLERANCE_MS = 60 * 60 * 1000;
export const STALE_QUEUED_MS = 15 * 60 * 1000;

export function nextWinbackStep(history: CampaignHistoryEntry[], profile: Profile, now: Date, stepDays: readonly number[]): NextStep {
  if (history.length === 0) return { due: true, step: 0 };
  const sorted = [...history].sort((a, b) => a.step - b.step);
  const entry = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  const enteredAt = Date.parse(entry.queuedAt);
  if (profile.lastPurchaseAt && Date.parse(profile.lastPurchaseAt) > enteredAt) return { due: false, why: 'returned' };
  // A step still waiting in the queue (or deferred) must finish before the next one is considered.
  // One claimed but never accepted by SQS (the scan crashed in between) is offered again; the
  // sender's ledger claim keeps even a double enqueue from becoming a double send.
  if (last.status === 'queued' && !last.enqueuedAt && now.getTime() - Date.parse(last.queuedAt) > STALE_QUEUED_MS) {
    return { due: true, step: last.step };
  }
  if (last.status === 'queued' || last.status === 'deferred') return { due: false, why: 'pending' };
  const step = last.step + 1;
  if (step >= stepDays.length) return { due: false, why: 'finished' };
  // A daily scan does not start at the same second every day: allow it to run a little early, so
  // a day-7 step goes out with the day-7 scan, not the day-8 one.
  const dueAt = enteredAt + (stepDays[step]! - stepDays[0]!) * DAY_MS - SCAN_START_TOLERANCE_MS;
  return now.getTime() >= dueAt ? { due: true, step } : { due: false, why: 'not_yet' };
}
