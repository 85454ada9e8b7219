/**
 * Which campaign the scan enqueues for one user today, and which wait: every campaign kind's own
 * rule (win-back cadence with re-entry, birthday, anniversary, new arrivals), then the priority.
 * Pure: the scan hands in the profile, its dormancy state, the user's ledger and the clock.
 *
 * Audiences: win-back and new arrivals are for at-risk and dormant users; birthday and
 * anniversary for every user not lost by default (`audience: 'all'`), or only the at-risk and
 * dormant (`'candidates'`). Lost users get nothing: past the point where a message pays.
 */
import type { RewakeConfig } from '../config';
import type { DormancyState } from '../dormancy/classify';
import type { Profile } from '../profiles/aggregate';
import { newArrivalsCampaignId, type CampaignKind } from './kinds';
import { eligibleAnnouncements } from './new-arrivals';
import { oneShotDue } from './one-shot';
import { rankDue, type DueCampaign, type Ranked } from './priority';
import { nextWinback, type LedgerHistoryEntry } from './winback';
import { anniversaryOccasion, birthdayOccasion } from './yearly';

type CampaignSettings = RewakeConfig['campaigns'];

/** States the win-back and new-arrivals campaigns are for. */
const CANDIDATE_STATES: ReadonlySet<DormancyState> = new Set(['at_risk', 'dormant']);

export const isCandidateState = (state: DormancyState) => CANDIDATE_STATES.has(state);

export interface PlanInput {
  profile: Profile;
  state: DormancyState;
  now: Date;
  campaigns: CampaignSettings;
  defaultTimezone: string;
}

/**
 * Birthday and anniversary occurrences whose window is open today for this user, before the
 * ledger is read. The scan reads a non-candidate's ledger only when this is non-empty, so a
 * daily scan of active users costs no ledger reads outside their few days a year.
 */
export function yearlyDue(input: PlanInput): DueCampaign[] {
  const { profile, state, now, campaigns, defaultTimezone } = input;
  if (state === 'lost') return [];
  const candidate = isCandidateState(state);
  const enabled = (kind: CampaignKind) => campaigns.priority.includes(kind);
  const due: DueCampaign[] = [];
  if (enabled('birthday') && (candidate || campaigns.birthday.audience === 'all')) {
    const birthday = birthdayOccasion(profile, now, campaigns.birthday, defaultTimezone);
    if (birthday) due.push({ kind: 'birthday', campaign: birthday.campaign, step: 0, occasionOn: birthday.on });
  }
  if (enabled('anniversary') && (candidate || campaigns.anniversary.audience === 'all')) {
    const anniversary = anniversaryOccasion(profile, now, campaigns.anniversary, defaultTimezone);
    if (anniversary) due.push({ kind: 'anniversary', campaign: anniversary.campaign, step: 0, occasionOn: anniversary.on, years: anniversary.years });
  }
  return due;
}

/** True when the scan must read the user's ledger: something may be due. */
export function mayBeDue(input: PlanInput): boolean {
  return isCandidateState(input.state) || yearlyDue(input).length > 0;
}

/**
 * The campaign to enqueue today (if any) and the due ones that wait, with what outranked them.
 * One campaign per user per scan day: once a scan of day `asOf` queued something for the user, a
 * second scan that day enqueues nothing else (it may only offer that same claim again, if it was
 * left stale by a crash), so rerunning a scan never turns "only the top one" into two messages.
 */
export function planCampaigns(input: PlanInput & { ledger: readonly LedgerHistoryEntry[]; asOf: string }): Ranked {
  const { profile, state, now, campaigns, defaultTimezone, ledger } = input;
  const history = (campaign: string) => ledger.filter((e) => e.campaign === campaign);
  const due = yearlyDue(input).filter((d) => oneShotDue(history(d.campaign), now));
  const underWay: { kind: CampaignKind; campaign: string }[] = [];

  if (isCandidateState(state)) {
    if (campaigns.priority.includes('winback')) {
      const winback = nextWinback(ledger, profile, now, campaigns.winback);
      if (winback.due) due.push({ kind: 'winback', campaign: winback.campaign, step: winback.step });
      else if (winback.open) underWay.push({ kind: 'winback', campaign: winback.campaign });
    }
    if (campaigns.priority.includes('new_arrivals')) {
      const announcement = eligibleAnnouncements(profile, now, campaigns.newArrivals, defaultTimezone).find((a) =>
        oneShotDue(history(newArrivalsCampaignId(a.id)), now),
      );
      if (announcement) {
        due.push({ kind: 'new_arrivals', campaign: newArrivalsCampaignId(announcement.id), step: 0, category: announcement.category, sku: announcement.sku });
      }
    }
  }
  const queuedToday = ledger.find((e) => e.asOf === input.asOf);
  if (queuedToday) {
    const again = due.find((d) => d.campaign === queuedToday.campaign && d.step === queuedToday.step);
    return { chosen: again, outranked: due.filter((d) => d !== again).map((d) => ({ due: d, by: queuedToday.campaign })) };
  }
  return rankDue(due, campaigns.priority, underWay);
}
