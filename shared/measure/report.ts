/**
 * The reactivation report (回流率): did the win-back campaign bring more dormant users back than
 * the holdout, which was scored and recorded but never messaged? Pure: plain ledger records and
 * facts in, one JSON-serialisable Report out; the CLI, the local demo and the report Lambda only
 * load data and write files.
 *
 * How it counts, as a careful analyst would (the same text goes into the report's `method`):
 * - Unit: one win-back episode = one user in one campaign. A user gets up to one record per step
 *   (day 0, 7, 21); the episode's attribution window opens at its first decided step — the send,
 *   or for the holdout the would-be send — and lasts `attributionDays`.
 * - Arms by assignment (intention to treat): the sender draws the holdout BEFORE checking consent,
 *   caps and opt-out (shared/delivery/rules.ts), so the fair comparison is everyone assigned to be
 *   messaged (sent + suppressed for consent/opt-out/caps + failed) against the whole holdout.
 *   "Sent only" (episodes whose first message went out) is shown too, but it drops the least
 *   reachable users from one arm only, so it is biased and labelled as such.
 * - Excluded from both arms alike: episodes whose first step was suppressed before assignment
 *   could matter (the user had already come back, had no profile, or was deleted), and episodes
 *   still queued or deferred (no window yet).
 * - Windows that have not ended by `now` are left out of every rate and counted as in progress:
 *   a half-observed window would understate reactivation, and the two arms are randomised, so
 *   dropping the same kind of episode from both keeps the comparison fair.
 */
import { campaignKind } from '../campaigns/kinds';
import { dayIn } from '../clock';
import { TIERS, type Channel, type RewakeConfig, type Tier } from '../config';
import type { SendStatus } from '../delivery/rules';
import { newcombeDifference, riskRatioKatz, wilson, type Estimate, type Interval } from './stats';

const DAY_MS = 86_400_000;

/** The ledger fields the report reads (a SendRecord has them all). */
export interface ReportSend {
  userId: string;
  campaign: string;
  step: number;
  status: SendStatus;
  holdout: boolean;
  /** When sent, or would have been for the holdout. */
  at?: string;
  state: string;
  tier: Tier;
  reason: string;
  offerId?: string;
  channel?: Channel;
  couponCode?: string;
  couponExpiresOn?: string;
  /** Why it was suppressed or failed. */
  detail?: string;
}

/** A stored fact (shared/profiles/facts.ts): event type, epoch ms, trimmed properties. */
export interface ReportFact {
  type: string;
  t: number;
  p: Record<string, unknown>;
}

export type ReportSettings = RewakeConfig['report'];

export interface ReportInput {
  sends: readonly ReportSend[];
  /** Facts of the users in `sends`, by user id. Users missing here simply have no events. */
  facts: ReadonlyMap<string, readonly ReportFact[]> | Readonly<Record<string, readonly ReportFact[]>>;
  settings: ReportSettings;
  /** The data is complete up to this instant: windows ending later are in progress. */
  now: Date;
  /** Episodes whose window opens on these days (inclusive, YYYY-MM-DD in `timezone`); open ends mean everything. */
  period?: { from?: string; to?: string };
  timezone: string;
  /** 'simulated' when no message really reached anyone (local runs, the fake Pinpoint outbox). */
  delivery: 'real' | 'simulated';
  /**
   * The top of the funnel: all users, and per dormancy state when the caller has a scan summary.
   * Without states the funnel shows the candidates' states from the ledger.
   */
  population?: { users: number; byState?: Record<string, number>; asOf?: string };
}

export interface ArmStats {
  /** Episodes (users × campaign) in the arm. */
  n: number;
  reactivated: number;
  rate: number | null;
  /** Wilson 95% interval of the rate. */
  rateCi: Interval | null;
  /** Sum of purchase amounts inside the windows, and per episode (zeros included). */
  revenue: number;
  revenuePerUser: number | null;
}

export type Verdict = 'uplift' | 'negative' | 'no_measurable_uplift' | 'too_small';

export interface Comparison {
  treated: ArmStats;
  holdout: ArmStats;
  /** Treated rate − holdout rate, Newcombe hybrid score 95% CI. */
  difference: Estimate | null;
  /** Treated rate / holdout rate − 1, Katz log 95% CI; null when either arm has no reactivation. */
  relative: Estimate | null;
  revenuePerUserDifference: number | null;
  tooSmall: boolean;
  verdict: Verdict;
}

export interface GroupRow extends Comparison {
  key: string;
}

/** `campaign` groups by kind (win-back episodes together, birthdays of every year together). */
export const DIMENSIONS = ['campaign', 'tier', 'reason', 'offer', 'channel'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface Report {
  version: 1;
  generatedAt: string;
  period: { from: string | null; to: string | null; timezone: string; firstWindowStart: string | null; lastWindowStart: string | null };
  settings: ReportSettings & { confidence: 0.95 };
  delivery: 'real' | 'simulated';
  method: {
    unit: string;
    arms: string;
    sentOnly: string;
    window: string;
    difference: string;
    relative: string;
    revenue: string;
    coupons: string;
    caveats: string[];
  };
  counts: {
    ledgerRecords: number;
    episodes: number;
    outsidePeriod: number;
    /** No decided step yet (queued, deferred). */
    pending: number;
    /** First step suppressed before the arms could differ, by reason and arm. */
    excluded: Record<string, { treated: number; holdout: number }>;
    /** Window not over by `now`. */
    inProgress: { treated: number; holdout: number };
    analysed: { treated: number; holdout: number };
    /** What happened at the first step of analysed treated episodes: sent, failed, suppressed:<why>… */
    treatedFirstStep: Record<string, number>;
    messagesSent: number;
  };
  /** Intention to treat: the headline. */
  overall: Comparison;
  /** Treated episodes whose first message was sent, against the whole holdout: biased, for reference. */
  sentOnly: Comparison;
  groups: Record<Dimension, GroupRow[]>;
  /** Cumulative share reactivated by day d after the (would-be) send, d = 1…attributionDays. */
  series: { day: number[]; treated: number[]; holdout: number[] };
  coupons: {
    issued: number;
    redeemed: number;
    redemptionRate: number | null;
    redeemedAfterExpiry: number;
    /** Not redeemed yet and still valid at `now`: the redemption count may still grow. */
    stillValid: number;
    /** Purchase amounts of the orders the matched redemptions name. */
    revenue: number;
    /** Redemptions of codes the ledger never sent, or sent to someone else. */
    unmatched: number;
    redeemedByAnotherUser: number;
    byOffer: { offerId: string; issued: number; redeemed: number; redemptionRate: number | null }[];
  };
  funnel: {
    source: 'scan' | 'ledger';
    note: string;
    users: number | null;
    byState: Record<string, number>;
    candidatesByState: Record<string, number>;
    candidatesByTier: Record<string, number>;
    treated: number;
    holdout: number;
    messaged: number;
    reactivatedTreated: number;
    reactivatedHoldout: number;
  };
  currencies: string[];
  warnings: string[];
  conclusion: string;
}

/** Suppressed before the holdout check in decide(): the same for both arms, so excluded from both. */
const BEFORE_ASSIGNMENT = new Set(['returned', 'deleted', 'no_profile']);
/** Statuses with a decision and a window start. */
const DECIDED: ReadonlySet<SendStatus> = new Set(['sent', 'holdout', 'suppressed', 'failed', 'sending', 'unknown']);

interface Episode {
  userId: string;
  arm: 'treated' | 'holdout';
  start: number;
  first: ReportSend;
  keys: Record<Dimension, string>;
  reactivatedAt: number | null;
  revenue: number;
}

export function buildReport(input: ReportInput): Report {
  const { settings, timezone } = input;
  const now = input.now.getTime();
  const windowMs = settings.attributionDays * DAY_MS;
  const factsOf = (userId: string): readonly ReportFact[] =>
    (input.facts instanceof Map ? input.facts.get(userId) : (input.facts as Record<string, readonly ReportFact[]>)[userId]) ?? [];
  const qualifying = new Set<string>(settings.qualifyingEvents);
  const from = input.period?.from ?? null;
  const to = input.period?.to ?? null;

  const counts: Report['counts'] = {
    ledgerRecords: input.sends.length,
    episodes: 0,
    outsidePeriod: 0,
    pending: 0,
    excluded: {},
    inProgress: { treated: 0, holdout: 0 },
    analysed: { treated: 0, holdout: 0 },
    treatedFirstStep: {},
    messagesSent: 0,
  };
  const warnings: string[] = [];
  const currencies = new Set<string>();
  const episodes: Episode[] = [];
  const inPeriodRecords: ReportSend[] = [];
  let holdoutMessaged = 0;
  let firstStart: number | null = null;
  let lastStart: number | null = null;

  for (const records of groupEpisodes(input.sends)) {
    counts.episodes++;
    const first = records.find((r) => DECIDED.has(r.status) && r.at !== undefined && !Number.isNaN(Date.parse(r.at)));
    if (!first) {
      counts.pending++;
      continue;
    }
    const start = Date.parse(first.at!);
    const startDay = dayIn(new Date(start), timezone);
    if ((from && startDay < from) || (to && startDay > to)) {
      counts.outsidePeriod++;
      continue;
    }
    inPeriodRecords.push(...records);
    const arm = first.holdout ? 'holdout' : 'treated';
    if (first.status === 'suppressed' && BEFORE_ASSIGNMENT.has(first.detail ?? '')) {
      const bucket = (counts.excluded[first.detail!] ??= { treated: 0, holdout: 0 });
      bucket[arm]++;
      continue;
    }
    if (start + windowMs > now) {
      counts.inProgress[arm]++;
      continue;
    }
    counts.analysed[arm]++;
    firstStart = firstStart === null ? start : Math.min(firstStart, start);
    lastStart = lastStart === null ? start : Math.max(lastStart, start);
    const sent = records.filter((r) => r.status === 'sent').length;
    counts.messagesSent += sent;
    if (arm === 'holdout' && sent > 0) holdoutMessaged++;
    if (arm === 'treated') {
      const what = first.status === 'suppressed' ? `suppressed:${first.detail ?? 'unknown'}` : first.status;
      counts.treatedFirstStep[what] = (counts.treatedFirstStep[what] ?? 0) + 1;
    }

    let reactivatedAt: number | null = null;
    let revenue = 0;
    for (const fact of factsOf(first.userId)) {
      if (fact.t < start || fact.t >= start + windowMs) continue;
      if (qualifying.has(fact.type) && (reactivatedAt === null || fact.t < reactivatedAt)) reactivatedAt = fact.t;
      if (fact.type === 'purchase' && typeof fact.p.amount === 'number') {
        revenue += fact.p.amount;
        if (typeof fact.p.currency === 'string') currencies.add(fact.p.currency);
      }
    }
    episodes.push({
      userId: first.userId,
      arm,
      start,
      first,
      keys: { campaign: campaignKind(first.campaign), tier: first.tier, reason: first.reason, offer: first.offerId ?? 'none', channel: first.channel ?? 'none' },
      reactivatedAt,
      revenue,
    });
  }

  const treated = episodes.filter((e) => e.arm === 'treated');
  const holdout = episodes.filter((e) => e.arm === 'holdout');
  const overall = compare(treated, holdout, settings);
  const sentOnly = compare(
    treated.filter((e) => e.first.status === 'sent'),
    holdout,
    settings,
  );

  const groups = Object.fromEntries(
    DIMENSIONS.map((dimension) => {
      const keys = [...new Set(episodes.map((e) => e.keys[dimension]))].sort(dimension === 'tier' ? byTierOrder : undefined);
      const rows = keys.map((key) => ({
        key,
        ...compare(
          treated.filter((e) => e.keys[dimension] === key),
          holdout.filter((e) => e.keys[dimension] === key),
          settings,
        ),
      }));
      return [dimension, rows];
    }),
  ) as Record<Dimension, GroupRow[]>;

  const day = Array.from({ length: settings.attributionDays }, (_, i) => i + 1);
  const cumulative = (arm: Episode[]) =>
    day.map((d) => (arm.length === 0 ? 0 : arm.filter((e) => e.reactivatedAt !== null && e.reactivatedAt < e.start + d * DAY_MS).length / arm.length));

  const coupons = matchCoupons(inPeriodRecords, input.sends, [...new Set(input.sends.map((s) => s.userId))], factsOf, now);

  // Warnings: everything that limits what the figures can say.
  const analysedTotal = treated.length + holdout.length;
  if (analysedTotal === 0) {
    warnings.push(`No episode in this period has a finished ${settings.attributionDays}-day window yet: nothing can be measured.`);
  } else if (holdout.length === 0) {
    warnings.push('No holdout episodes: without a control group there is nothing to compare with (holdout.share is 0?).');
  }
  const inProgress = counts.inProgress.treated + counts.inProgress.holdout;
  if (inProgress > 0) {
    warnings.push(
      `${inProgress} episode(s) whose ${settings.attributionDays}-day window has not ended by ${input.now.toISOString().slice(0, 10)} are left out (treated ${counts.inProgress.treated}, holdout ${counts.inProgress.holdout}); run the report again later to include them.`,
    );
  }
  if (counts.pending > 0) warnings.push(`${counts.pending} episode(s) are still queued or deferred (no send decision yet) and are left out.`);
  if (overall.tooSmall && analysedTotal > 0) warnings.push(`Overall: ${tooSmallText(overall, settings)}.`);
  for (const dimension of DIMENSIONS) {
    const small = groups[dimension].filter((g) => g.tooSmall).map((g) => g.key);
    if (small.length > 0 && analysedTotal > 0) {
      warnings.push(`By ${dimension}: too small to conclude for ${small.join(', ')} (fewer than ${settings.minGroupSize} users or ${settings.minReactivations} reactivations in an arm).`);
    }
  }
  // Historical or stalled data: windows that end well after the last event anyone sent are only
  // partly observed, whatever the clock says.
  let lastEventAt = Number.NEGATIVE_INFINITY;
  for (const userId of new Set(input.sends.map((s) => s.userId))) for (const f of factsOf(userId)) lastEventAt = Math.max(lastEventAt, f.t);
  const beyondData = Number.isFinite(lastEventAt) ? episodes.filter((e) => e.start + windowMs > lastEventAt + DAY_MS).length : 0;
  if (beyondData > 0) {
    warnings.push(
      `The latest event in the data is from ${new Date(lastEventAt).toISOString().slice(0, 10)}, but ${beyondData} analysed window(s) end more than a day after it: they may be only partly observed (is the data historical, or has ingest stopped?).`,
    );
  }
  if (holdoutMessaged > 0) warnings.push(`${holdoutMessaged} holdout episode(s) were messaged anyway: the control group is contaminated.`);
  if (currencies.size > 1) warnings.push(`Purchases in several currencies (${[...currencies].sort().join(', ')}) are summed as they are: revenue figures mix currencies.`);
  if (coupons.stillValid > 0) warnings.push(`${coupons.stillValid} coupon(s) are still valid: their redemption count may still grow.`);

  const funnel = buildFunnel(input, episodes, counts, treated, holdout);

  return {
    version: 1,
    generatedAt: input.now.toISOString(),
    period: {
      from,
      to,
      timezone,
      firstWindowStart: firstStart === null ? null : new Date(firstStart).toISOString(),
      lastWindowStart: lastStart === null ? null : new Date(lastStart).toISOString(),
    },
    settings: { ...settings, confidence: 0.95 },
    delivery: input.delivery,
    method: methodNotes(settings),
    counts,
    overall,
    sentOnly,
    groups,
    series: { day, treated: cumulative(treated), holdout: cumulative(holdout) },
    coupons,
    funnel,
    currencies: [...currencies].sort(),
    warnings,
    conclusion: conclude(overall, settings, input.delivery),
  };
}

/** Ledger records grouped by (user, campaign), steps in order. */
function groupEpisodes(sends: readonly ReportSend[]): ReportSend[][] {
  const byKey = new Map<string, ReportSend[]>();
  for (const s of sends) {
    const key = `${s.userId}\u0000${s.campaign}`;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(s);
  }
  return [...byKey.values()].map((list) => list.sort((a, b) => a.step - b.step));
}

function armStats(episodes: Episode[]): ArmStats {
  const n = episodes.length;
  const reactivated = episodes.filter((e) => e.reactivatedAt !== null).length;
  const revenue = episodes.reduce((sum, e) => sum + e.revenue, 0);
  return {
    n,
    reactivated,
    rate: n === 0 ? null : reactivated / n,
    rateCi: wilson(reactivated, n) ?? null,
    revenue,
    revenuePerUser: n === 0 ? null : revenue / n,
  };
}

function compare(treatedEpisodes: Episode[], holdoutEpisodes: Episode[], settings: ReportSettings): Comparison {
  const treated = armStats(treatedEpisodes);
  const holdout = armStats(holdoutEpisodes);
  const difference = newcombeDifference(treated.reactivated, treated.n, holdout.reactivated, holdout.n) ?? null;
  const ratio = riskRatioKatz(treated.reactivated, treated.n, holdout.reactivated, holdout.n);
  const relative = ratio ? { estimate: ratio.estimate - 1, low: ratio.low - 1, high: ratio.high - 1 } : null;
  const tooSmall =
    Math.min(treated.n, holdout.n) < settings.minGroupSize || Math.min(treated.reactivated, holdout.reactivated) < settings.minReactivations;
  let verdict: Verdict;
  if (tooSmall || !difference) verdict = 'too_small';
  else if (difference.low > 0) verdict = 'uplift';
  else if (difference.high < 0) verdict = 'negative';
  else verdict = 'no_measurable_uplift';
  return {
    treated,
    holdout,
    difference,
    relative,
    revenuePerUserDifference: treated.revenuePerUser !== null && holdout.revenuePerUser !== null ? treated.revenuePerUser - holdout.revenuePerUser : null,
    tooSmall,
    verdict,
  };
}

/**
 * Each coupon the sender issued (a `sent` record with a code) is matched to its redemption by code
 * and user, counting only redemptions between the send and the end of the coupon's last valid day
 * (couponExpiresOn is a UTC day: the sender derives it from the send instant in UTC).
 */
function matchCoupons(
  inPeriod: readonly ReportSend[],
  allSends: readonly ReportSend[],
  users: readonly string[],
  factsOf: (userId: string) => readonly ReportFact[],
  now: number,
): Report['coupons'] {
  const everIssued = new Map<string, ReportSend>();
  for (const s of allSends) if (s.status === 'sent' && s.couponCode) everIssued.set(s.couponCode, s);
  const issued = inPeriod.filter((s) => s.status === 'sent' && s.couponCode);
  const issuedCodes = new Set(issued.map((s) => s.couponCode!));

  const redeemedAt = new Map<string, number>();
  const lateCodes = new Set<string>();
  const orderOf = new Map<string, { userId: string; orderId: string }>();
  let unmatched = 0;
  let redeemedByAnotherUser = 0;
  for (const userId of users) {
    for (const fact of factsOf(userId)) {
      if (fact.type !== 'coupon_redeem' || typeof fact.p.couponCode !== 'string') continue;
      const code = fact.p.couponCode;
      const send = everIssued.get(code);
      if (!send) {
        unmatched++;
        continue;
      }
      if (send.userId !== userId) {
        redeemedByAnotherUser++;
        continue;
      }
      if (!issuedCodes.has(code)) continue; // a coupon from an episode outside the period
      const sentAt = Date.parse(send.at ?? '');
      const validUntil = send.couponExpiresOn ? Date.parse(send.couponExpiresOn) + DAY_MS : Number.POSITIVE_INFINITY;
      if (fact.t < sentAt) continue;
      if (fact.t >= validUntil) {
        lateCodes.add(code);
        continue;
      }
      if (!redeemedAt.has(code) || fact.t < redeemedAt.get(code)!) {
        redeemedAt.set(code, fact.t);
        if (typeof fact.p.orderId === 'string') orderOf.set(code, { userId, orderId: fact.p.orderId });
      }
    }
  }

  let revenue = 0;
  for (const { userId, orderId } of orderOf.values()) {
    const order = factsOf(userId).find((f) => f.type === 'purchase' && f.p.orderId === orderId);
    if (order && typeof order.p.amount === 'number') revenue += order.p.amount;
  }
  const stillValid = issued.filter((s) => !redeemedAt.has(s.couponCode!) && (!s.couponExpiresOn || Date.parse(s.couponExpiresOn) + DAY_MS > now)).length;
  const offers = [...new Set(issued.map((s) => s.offerId ?? 'none'))].sort();
  return {
    issued: issued.length,
    redeemed: redeemedAt.size,
    redemptionRate: issued.length === 0 ? null : redeemedAt.size / issued.length,
    redeemedAfterExpiry: [...lateCodes].filter((c) => !redeemedAt.has(c)).length,
    stillValid,
    revenue,
    unmatched,
    redeemedByAnotherUser,
    byOffer: offers.map((offerId) => {
      const mine = issued.filter((s) => (s.offerId ?? 'none') === offerId);
      const redeemed = mine.filter((s) => redeemedAt.has(s.couponCode!)).length;
      return { offerId, issued: mine.length, redeemed, redemptionRate: mine.length === 0 ? null : redeemed / mine.length };
    }),
  };
}

function buildFunnel(input: ReportInput, episodes: Episode[], counts: Report['counts'], treated: Episode[], holdout: Episode[]): Report['funnel'] {
  const candidatesByState: Record<string, number> = {};
  const candidatesByTier: Record<string, number> = Object.fromEntries(TIERS.map((t) => [t, 0]));
  for (const e of episodes) {
    candidatesByState[e.first.state] = (candidatesByState[e.first.state] ?? 0) + 1;
    candidatesByTier[e.first.tier] = (candidatesByTier[e.first.tier] ?? 0) + 1;
  }
  const population = input.population;
  const users = population ? `${population.users} users${population.asOf ? ` as of ${population.asOf}` : ''}; no` : 'No';
  return {
    source: population?.byState ? 'scan' : 'ledger',
    note: population?.byState
      ? `Users and states from the scan${population.asOf ? ` as of ${population.asOf}` : ''}; candidates and outcomes from the sends ledger (episodes with a finished window).`
      : `${users} scan summary is stored, so the states are those of the candidates the sends ledger knows (episodes with a finished window), as they were scored.`,
    users: population?.users ?? null,
    byState: population?.byState ?? candidatesByState,
    candidatesByState,
    candidatesByTier,
    treated: treated.length,
    holdout: holdout.length,
    messaged: counts.treatedFirstStep.sent ?? 0,
    reactivatedTreated: treated.filter((e) => e.reactivatedAt !== null).length,
    reactivatedHoldout: holdout.filter((e) => e.reactivatedAt !== null).length,
  };
}

function methodNotes(settings: ReportSettings): Report['method'] {
  const days = settings.attributionDays;
  return {
    unit: `One episode = one user in one campaign. Its ${days}-day attribution window opens at the first decided step (the send, or the would-be send for the holdout); later steps of the cadence fall inside it.`,
    arms:
      'Intention to treat: treated = every episode assigned to be messaged (sent, suppressed for consent, opt-out or frequency caps, failed), holdout = every held-out episode. The holdout is drawn before consent is checked, so these two arms are comparable. Episodes whose first step was suppressed because the user had already returned, had no profile or was deleted are excluded from both arms alike.',
    sentOnly:
      'Sent only = treated episodes whose first message was sent, against the whole holdout. It drops unreachable users (no consent, opted out, capped) from the treated side only; they are likely less engaged, so this figure is biased upward and shown for reference.',
    window: `Reactivated = a ${settings.qualifyingEvents.join(' or ')} event at or after the window opens and within ${days} days. Episodes whose window has not ended yet are not counted in any rate (shown as in progress).`,
    difference: "Absolute uplift = treated rate − holdout rate, with Newcombe's hybrid score 95% interval (Newcombe 1998, method 10): Wilson limits of each rate combined by square-and-add.",
    relative: 'Relative uplift = treated rate ÷ holdout rate − 1, with the Katz log 95% interval for the risk ratio; none when either arm has no reactivation.',
    revenue: 'Revenue per user = purchase amounts (gross, before refunds) inside the window, divided by every episode in the arm, zeros included. No interval is given: spend is heavy-tailed and a normal interval would mislead.',
    coupons:
      "A coupon redemption is matched to the send that issued its code, for the same user, between the send and the end of the coupon's last valid day (UTC); coupon revenue is the amount of the order the redemption names.",
    caveats: [
      `A group is flagged "too small to conclude" when either arm has fewer than ${settings.minGroupSize} users or fewer than ${settings.minReactivations} reactivations.`,
      'The holdout is recorded when the sender picks it up; a treated message deferred by quiet hours opens its window up to a night later, so the holdout gets a few extra hours: a small bias against the campaign.',
      'Channel groups compare like with like only approximately: an opted-out treated user has no channel, while the holdout records the channel it would have used.',
      'A user erased on request (PIPL) leaves no ledger records and is missing from both arms.',
      'A user can be several episodes: one per campaign occurrence (a later win-back episode, a birthday each year), and one purchase can reactivate more than one. The overall figures pool them, the campaign table separates the kinds, and the intervals treat episodes as independent, which is slightly optimistic.',
    ],
  };
}

function tooSmallText(c: Comparison, settings: ReportSettings): string {
  return `too small to conclude (treated ${c.treated.n} users / ${c.treated.reactivated} reactivated, holdout ${c.holdout.n} / ${c.holdout.reactivated}; need ${settings.minGroupSize} users and ${settings.minReactivations} reactivations in each arm)`;
}

function conclude(c: Comparison, settings: ReportSettings, delivery: Report['delivery']): string {
  const days = settings.attributionDays;
  const parts: string[] = [];
  if (c.treated.n + c.holdout.n === 0) {
    parts.push(`Nothing to conclude yet: no win-back episode in this period has a finished ${days}-day window.`);
  } else if (c.holdout.n === 0 || c.treated.n === 0) {
    parts.push(`Nothing to conclude: the ${c.holdout.n === 0 ? 'holdout' : 'treated'} arm is empty.`);
  } else {
    const rates = `treated ${formatPercent(c.treated.rate)} (${c.treated.reactivated}/${c.treated.n}) vs holdout ${formatPercent(c.holdout.rate)} (${c.holdout.reactivated}/${c.holdout.n}) reactivated within ${days} days`;
    const diff = c.difference ? `${formatPoints(c.difference.estimate)}, 95% CI ${formatPoints(c.difference.low)} to ${formatPoints(c.difference.high)}` : 'no interval';
    const rel = c.relative ? `; relative ${formatSignedPercent(c.relative.estimate)} (95% CI ${formatSignedPercent(c.relative.low)} to ${formatSignedPercent(c.relative.high)})` : '';
    const includesZero = c.difference !== null && c.difference.low <= 0 && c.difference.high >= 0;
    if (c.verdict === 'too_small') {
      parts.push(`Too small to conclude anything: ${rates}; difference ${diff}${includesZero ? ', which includes 0' : ''}.`);
    } else if (c.verdict === 'no_measurable_uplift') {
      parts.push(`No measurable uplift: ${rates}; the difference, ${diff}, includes 0.`);
    } else if (c.verdict === 'uplift') {
      parts.push(`Measurable uplift: ${rates}; difference ${diff}${rel}.`);
    } else {
      parts.push(`Treated users came back less often than the holdout: ${rates}; difference ${diff}${rel}.`);
    }
  }
  if (delivery === 'simulated') {
    parts.push(
      'No message in this data was really delivered (a local run: sends went to the fake Pinpoint outbox), so treated and holdout users differ only by chance: an uplift near zero is the honest, expected result, and any difference here is not an effect of the campaign.',
    );
  }
  return parts.join(' ');
}

const byTierOrder = (a: string, b: string) => tierRank(a) - tierRank(b) || (a < b ? -1 : a > b ? 1 : 0);
const tierRank = (t: string) => {
  const i = (TIERS as readonly string[]).indexOf(t);
  return i < 0 ? TIERS.length : i;
};

/** 0.1234 → "12.3%"; null → "—". */
export function formatPercent(rate: number | null, digits = 1): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(digits)}%`;
}

/** A difference of rates in percentage points, signed: 0.0123 → "+1.2 pts". */
export function formatPoints(diff: number, digits = 1): string {
  const v = diff * 100;
  const text = Math.abs(v).toFixed(digits);
  return `${v < 0 && Number(text) !== 0 ? '−' : '+'}${text} pts`;
}

/** A relative change, signed: 0.25 → "+25%". */
export function formatSignedPercent(rel: number, digits = 0): string {
  const v = rel * 100;
  const text = Math.abs(v).toFixed(digits);
  return `${v < 0 && Number(text) !== 0 ? '−' : '+'}${text}%`;
}
