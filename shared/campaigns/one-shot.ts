/**
 * Single-message campaigns (birthday, anniversary, new arrivals): one step, step 0, under a
 * campaign id that names the occurrence. Due while the ledger has no word on it, and again only
 * when a scan claimed it and crashed before SQS accepted the message (the same rule as a win-back
 * step, so a crash never loses the message and a rerun never doubles it).
 */
import { STALE_QUEUED_MS, type CampaignHistoryEntry } from './winback';

export function oneShotDue(history: readonly CampaignHistoryEntry[], now: Date): boolean {
  const entry = history.find((e) => e.step === 0);
  if (!entry) return true;
  return entry.status === 'queued' && !entry.enqueuedAt && now.getTime() - Date.parse(entry.queuedAt) > STALE_QUEUED_MS;
}
