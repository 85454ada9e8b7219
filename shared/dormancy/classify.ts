/**
 * Rule-based lifecycle state and likely cause (seed §2.1–2.2). The model-based part (P(alive),
 * lifetime value) plugs in through `ModelScore`; with no model the rules alone decide.
 */
import type { RewakeConfig } from '../config';
import type { Profile } from '../profiles/aggregate';
import type { ModelScore } from './customer-model';
import type { ReasonCode } from './reasons';

export const STATES = ['active', 'at_risk', 'dormant', 'lost'] as const;
export type DormancyState = (typeof STATES)[number];

export { REASONS, type ReasonCode } from './reasons';

export interface Assessment {
  state: DormancyState;
  /** Which rule set the state, for the report and for operators tuning thresholds. */
  rule: 'no_purchase_days' | 'no_activity_days' | 'own_cycle' | 'lost_days' | 'model_p_alive' | 'recent';
  reason: ReasonCode;
  daysSinceLastPurchase: number | null;
  daysSinceLastActivity: number;
  /** The user's own typical gap between purchase days, when they have enough history. */
  cycleDays: number | null;
  /** The day the user's own rhythm says they should have bought again ("predicted dormancy point"). */
  predictedDormancyDay: string | null;
  /** The model's P(alive), when a model scored the user. */
  pAlive: number | null;
}

/** The model's view of a user, and the thresholds that turn it into a state. */
export interface ModelEvidence {
  score: ModelScore | undefined;
  thresholds: Pick<RewakeConfig['model'], 'pAliveDormantBelow' | 'pAliveAtRiskBelow' | 'minDaysSincePurchase'>;
}

const DAY_MS = 86_400_000;

/**
 * The rules decide first; the model can only move a user further along (active → at risk →
 * dormant), and only once enough time has passed since their last purchase, so a customer who
 * always buys slowly is not flagged by the day count alone, and one whose own rhythm says they are
 * gone is caught before the 180-day rule would.
 */
export function assess(profile: Profile, asOf: Date, rules: RewakeConfig['dormancy'], model?: ModelEvidence): Assessment {
  const byRules = assessByRules(profile, asOf, rules);
  const pAlive = model?.score?.pAlive ?? null;
  const assessment = { ...byRules, pAlive };
  if (pAlive === null || !model || byRules.daysSinceLastPurchase === null) return assessment;
  if (byRules.daysSinceLastPurchase < model.thresholds.minDaysSincePurchase) return assessment;
  if ((byRules.state === 'active' || byRules.state === 'at_risk') && pAlive < model.thresholds.pAliveDormantBelow) {
    return { ...assessment, state: 'dormant', rule: 'model_p_alive', reason: likelyCause(profile, asOf) };
  }
  if (byRules.state === 'active' && pAlive < model.thresholds.pAliveAtRiskBelow) {
    return { ...assessment, state: 'at_risk', rule: 'model_p_alive', reason: likelyCause(profile, asOf) };
  }
  return assessment;
}

function assessByRules(profile: Profile, asOf: Date, rules: RewakeConfig['dormancy']): Omit<Assessment, 'pAlive'> {
  const daysSinceLastActivity = daysBetween(profile.lastSeenAt, asOf);
  const daysSinceLastPurchase = profile.lastPurchaseAt ? daysBetween(profile.lastPurchaseAt, asOf) : null;
  const cycleDays =
    profile.interPurchase && profile.purchaseDays >= rules.minPurchaseDaysForCycle ? profile.interPurchase.medianDays : null;
  const atRiskAfter = cycleDays === null ? null : Math.max(rules.minDaysBeforeAtRisk, rules.atRiskCycleMultiple * cycleDays);
  const predictedDormancyDay =
    atRiskAfter !== null && profile.lastPurchaseDay
      ? // Counted on the user's own calendar: the last purchase day is local to them.
        new Date(Date.parse(profile.lastPurchaseDay) + Math.ceil(atRiskAfter) * DAY_MS).toISOString().slice(0, 10)
      : null;

  const base = { daysSinceLastPurchase, daysSinceLastActivity, cycleDays, predictedDormancyDay };
  const reason = likelyCause(profile, asOf);
  const sincePurchaseOrEver = daysSinceLastPurchase ?? daysBetween(profile.firstSeenAt, asOf);

  if (sincePurchaseOrEver >= rules.lostAfterDaysWithoutPurchase && daysSinceLastActivity >= rules.dormantAfterDaysWithoutActivity) {
    return { ...base, state: 'lost', rule: 'lost_days', reason };
  }
  if (daysSinceLastPurchase !== null && daysSinceLastPurchase >= rules.dormantAfterDaysWithoutPurchase) {
    return { ...base, state: 'dormant', rule: 'no_purchase_days', reason };
  }
  if (daysSinceLastActivity >= rules.dormantAfterDaysWithoutActivity) {
    return { ...base, state: 'dormant', rule: 'no_activity_days', reason };
  }
  if (atRiskAfter !== null && daysSinceLastPurchase !== null && daysSinceLastPurchase > atRiskAfter) {
    return { ...base, state: 'at_risk', rule: 'own_cycle', reason };
  }
  return { ...base, state: 'active', rule: 'recent', reason: 'unknown' };
}

/**
 * The likely cause steers the message (seed §2.2). Checked in order of how actionable it is:
 * a service problem first (apologise before selling), then browsing-without-buying (a price or
 * need change: recommend and discount), then fading engagement, then no novelty.
 */
export function likelyCause(profile: Profile, asOf: Date): ReasonCode {
  const lastPurchase = profile.lastPurchaseAt ? Date.parse(profile.lastPurchaseAt) : null;
  const serviceAt = Math.max(
    profile.lastSupportTicketAt ? Date.parse(profile.lastSupportTicketAt) : -Infinity,
    profile.lastRefundAt ? Date.parse(profile.lastRefundAt) : -Infinity,
  );
  // A ticket or refund near the end of the user's activity (within 60 days before it went quiet).
  if (Number.isFinite(serviceAt) && serviceAt >= Date.parse(profile.lastSeenAt) - 60 * DAY_MS) return 'service_issue';

  const lastBrowse = profile.lastSeenByType.browse ? Date.parse(profile.lastSeenByType.browse) : null;
  if (lastBrowse !== null && (lastPurchase === null || lastBrowse > lastPurchase + 7 * DAY_MS) && asOf.getTime() - lastBrowse < 60 * DAY_MS) {
    return 'still_browsing';
  }

  // Fading: active on fewer days in the last 90 days of history than in the 90 before.
  const lastSeen = Date.parse(profile.lastSeenAt);
  const recent = profile.recentActiveDays.filter((d) => Date.parse(d) > lastSeen - 90 * DAY_MS).length;
  const earlier = profile.recentActiveDays.length - recent;
  if (earlier >= 3 && recent < earlier / 2) return 'fading_engagement';

  // No novelty: a repeat buyer whose interest sat in one category (they may have run out of new things there).
  const categories = Object.keys(profile.categoryAffinity);
  if (profile.purchaseDays >= 2 && categories.length === 1) return 'no_novelty';

  return 'unknown';
}

function daysBetween(isoTime: string, asOf: Date): number {
  return Math.max(0, Math.floor((asOf.getTime() - Date.parse(isoTime)) / DAY_MS));
}
