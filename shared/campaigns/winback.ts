/**
 * The "好久不见" win-back cadence: step 0 on entering, then each step `stepDays[i]` days after
 * entry, stopping at the user's first return (a purchase after entry) or after the last step.
 *
 * One pass through the cadence is an *episode*. Once an episode has ended, the user may enter a
 * new one only `cooldownDays` after its end, and only if the scan finds them at risk or dormant
 * again. Each episode has its own campaign id (`winback`, then `winback~2`, `winback~3`…), so the
 * ledger's "one message per (user, campaign, step)" holds within every episode, and the records
 * written before episodes existed are episode 1 as they are.
 */
import type { Profile } from '../profiles/aggregate';

export interface CampaignHistoryEntry {
  step: number;
  status: string;
  /** When the scan claimed the step in the ledger. */
  queuedAt: string;
  /** When SQS accepted its message; absent if the scan crashed in between. */
  enqueuedAt?: string;
  /** When it was sent, held out or suppressed (the sender's word); absent while queued. */
  at?: string;
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

/** A ledger entry of any campaign, as the scan reads it. */
export interface LedgerHistoryEntry extends CampaignHistoryEntry {
  campaign: string;
  /** The as-of day of the scan that queued it. */
  asOf?: string;
}

export interface WinbackSettings {
  /** The campaign id of the first episode; later episodes append `~<n>`. */
  id: string;
  stepDays: readonly number[];
  cooldownDays: number;
}

export type WinbackDecision =
  | { due: true; campaign: string; episode: number; step: number }
  | {
      due: false;
      campaign: string;
      episode: number;
      why: 'pending' | 'not_yet' | 'cooldown';
      /** True while an episode is under way: its next step is still to come. */
      open: boolean;
    };

const EPISODE_SEPARATOR = '~';

/** The campaign id of a user's n-th win-back episode (1-based). */
export function episodeCampaignId(baseId: string, episode: number): string {
  return episode <= 1 ? baseId : `${baseId}${EPISODE_SEPARATOR}${episode}`;
}

/** Which episode a campaign id is, or undefined when it is not this win-back campaign's. */
export function episodeOf(campaignId: string, baseId: string): number | undefined {
  if (campaignId === baseId) return 1;
  const prefix = `${baseId}${EPISODE_SEPARATOR}`;
  if (!campaignId.startsWith(prefix)) return undefined;
  const n = Number(campaignId.slice(prefix.length));
  return Number.isInteger(n) && n >= 2 ? n : undefined;
}

/**
 * The win-back step due for a user the scan found at risk or dormant, across episodes: the
 * latest episode's next step while it runs; after it ended (the user returned, or its last step
 * is done), a new episode's step 0 once the cooldown has passed.
 */
export function nextWinback(entries: readonly LedgerHistoryEntry[], profile: Profile, now: Date, settings: WinbackSettings): WinbackDecision {
  const byEpisode = new Map<number, CampaignHistoryEntry[]>();
  for (const entry of entries) {
    const episode = episodeOf(entry.campaign, settings.id);
    if (episode === undefined) continue;
    byEpisode.set(episode, [...(byEpisode.get(episode) ?? []), entry]);
  }
  if (byEpisode.size === 0) return { due: true, campaign: settings.id, episode: 1, step: 0 };

  const episode = Math.max(...byEpisode.keys());
  const campaign = episodeCampaignId(settings.id, episode);
  const history = byEpisode.get(episode)!;
  const next = nextWinbackStep(history, profile, now, settings.stepDays);
  if (next.due) return { due: true, campaign, episode, step: next.step };
  if (next.why === 'pending' || next.why === 'not_yet') return { due: false, campaign, episode, why: next.why, open: true };

  const reentryAt = episodeEnd(history, profile, next.why) + settings.cooldownDays * DAY_MS - SCAN_START_TOLERANCE_MS;
  if (now.getTime() < reentryAt) return { due: false, campaign, episode, why: 'cooldown', open: false };
  return { due: true, campaign: episodeCampaignId(settings.id, episode + 1), episode: episode + 1, step: 0 };
}

/**
 * When an episode ended: at the user's return, or when its last step was settled. The profile
 * keeps only the latest purchase, which is the return or a later one; counting from it can only
 * lengthen the cooldown, never shorten it.
 */
function episodeEnd(history: readonly CampaignHistoryEntry[], profile: Profile, why: 'finished' | 'returned'): number {
  if (why === 'returned' && profile.lastPurchaseAt) return Date.parse(profile.lastPurchaseAt);
  return Math.max(...history.map((e) => Date.parse(e.at ?? e.queuedAt)));
}
