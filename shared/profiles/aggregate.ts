/**
 * A user's profile is a pure function of their facts: sort by (time, eventId), fold. The same
 * set of facts in any arrival order gives the same profile, and a fact applied twice is still one
 * fact, so retries and late events cannot skew the aggregates (DESIGN "Profiles and activity
 * metrics").
 */
import type { Channel } from '../config';
import type { Fact } from './facts';

export type ChannelAddresses = Partial<Record<Channel, string>>;
export type ChannelConsent = Partial<Record<Channel, boolean>>;

export interface IntervalStats {
  /** Number of gaps between consecutive purchase days. */
  count: number;
  meanDays: number;
  medianDays: number;
  stdevDays: number;
  lastDays: number;
}

export interface Profile {
  userId: string;
  /** How many distinct facts this profile folds; facts only grow, so a larger count is newer. */
  factCount: number;
  firstSeenAt: string;
  lastSeenAt: string;
  /** Last event time per event type (ISO). */
  lastSeenByType: Partial<Record<string, string>>;
  registeredAt?: string;
  loginCount: number;
  /** Distinct local days with any activity in the 180 days up to lastSeenAt, newest first. */
  recentActiveDays: string[];
  /** Orders (purchase events). */
  orderCount: number;
  /** Distinct purchase days: same-day orders merge, as in the BTYD literature. */
  purchaseDays: number;
  /** BTYD x: repeat purchase days (purchase days after the first). */
  frequency: number;
  firstPurchaseAt?: string;
  lastPurchaseAt?: string;
  /** First and last purchase *days* (local), the BTYD time origin and recency. */
  firstPurchaseDay?: string;
  lastPurchaseDay?: string;
  monetaryTotal: number;
  /** Mean spend per purchase day. */
  monetaryMean: number;
  /** Gamma-Gamma m_x: mean spend of the repeat purchase days (first day excluded); 0 when x = 0. */
  repeatMonetaryMean: number;
  interPurchase?: IntervalStats;
  /** Spend-and-view weighted interest per category, top 10. */
  categoryAffinity: Record<string, number>;
  /** Skus bought, most recent first (bounded), so recommendations skip what was just bought. */
  recentSkus: string[];
  socialCount: number;
  supportTicketCount: number;
  lastSupportTicketAt?: string;
  refundCount: number;
  refundTotal: number;
  lastRefundAt?: string;
  messageOpenCount: number;
  messageClickCount: number;
  couponRedeemCount: number;
  birthday?: string;
  timezone?: string;
  locale?: 'zh-CN' | 'en';
  preferredChannel?: Channel;
  channels: ChannelAddresses;
  consent: ChannelConsent;
  /** PIPL Art. 24: false means the user refused personalised recommendations. */
  personalisedRecommendations: boolean;
  /** Global marketing opt-out. */
  optOut: boolean;
  tags: string[];
}

const DAY_MS = 86_400_000;
const RECENT_WINDOW_DAYS = 180;

export function foldProfile(userId: string, facts: Iterable<Fact>): Profile | undefined {
  const byId = new Map<string, Fact>();
  for (const fact of facts) if (!byId.has(fact.id)) byId.set(fact.id, fact);
  if (byId.size === 0) return undefined;
  const ordered = [...byId.values()].sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const first = ordered[0]!;
  const last = ordered[ordered.length - 1]!;
  const profile: Profile = {
    userId,
    factCount: ordered.length,
    firstSeenAt: iso(first.t),
    lastSeenAt: iso(last.t),
    lastSeenByType: {},
    loginCount: 0,
    recentActiveDays: [],
    orderCount: 0,
    purchaseDays: 0,
    frequency: 0,
    monetaryTotal: 0,
    monetaryMean: 0,
    repeatMonetaryMean: 0,
    categoryAffinity: {},
    recentSkus: [],
    socialCount: 0,
    supportTicketCount: 0,
    refundCount: 0,
    refundTotal: 0,
    messageOpenCount: 0,
    messageClickCount: 0,
    couponRedeemCount: 0,
    channels: {},
    consent: {},
    personalisedRecommendations: true,
    optOut: false,
    tags: [],
  };

  const spendByDay = new Map<string, number>();
  const affinity = new Map<string, number>();
  const activeDays = new Set<string>();
  const skus: string[] = [];
  const recentFrom = last.t - RECENT_WINDOW_DAYS * DAY_MS;

  for (const fact of ordered) {
    profile.lastSeenByType[fact.type] = iso(fact.t);
    if (fact.t >= recentFrom) activeDays.add(fact.day);
    const p = fact.p;
    switch (fact.type) {
      case 'register':
        profile.registeredAt ??= iso(fact.t);
        break;
      case 'login':
        profile.loginCount += 1;
        break;
      case 'browse':
        bump(affinity, String(p.category), 1);
        break;
      case 'purchase': {
        profile.orderCount += 1;
        const amount = Number(p.amount);
        spendByDay.set(fact.day, (spendByDay.get(fact.day) ?? 0) + amount);
        profile.firstPurchaseAt ??= iso(fact.t);
        profile.lastPurchaseAt = iso(fact.t);
        const categories = (p.categories as string[] | undefined) ?? [];
        // A purchase says more about interest than a view: weight it like five.
        for (const c of categories) bump(affinity, c, 5);
        for (const sku of (p.skus as string[] | undefined) ?? []) skus.unshift(sku);
        break;
      }
      case 'refund':
        profile.refundCount += 1;
        profile.refundTotal += Number(p.amount);
        profile.lastRefundAt = iso(fact.t);
        break;
      case 'support_ticket':
        profile.supportTicketCount += 1;
        profile.lastSupportTicketAt = iso(fact.t);
        break;
      case 'social':
        profile.socialCount += 1;
        break;
      case 'message_open':
        profile.messageOpenCount += 1;
        break;
      case 'message_click':
        profile.messageClickCount += 1;
        break;
      case 'coupon_redeem':
        profile.couponRedeemCount += 1;
        break;
      case 'profile':
        applyProfileUpdate(profile, p);
        break;
    }
  }

  const days = [...spendByDay.keys()].sort();
  if (days.length > 0) {
    profile.purchaseDays = days.length;
    profile.frequency = days.length - 1;
    profile.firstPurchaseDay = days[0];
    profile.lastPurchaseDay = days[days.length - 1];
    profile.monetaryTotal = round2([...spendByDay.values()].reduce((s, v) => s + v, 0));
    profile.monetaryMean = round2(profile.monetaryTotal / days.length);
    if (days.length > 1) {
      const repeat = days.slice(1).map((d) => spendByDay.get(d)!);
      profile.repeatMonetaryMean = round2(repeat.reduce((s, v) => s + v, 0) / repeat.length);
      profile.interPurchase = intervalStats(days);
    }
  }
  profile.refundTotal = round2(profile.refundTotal);
  profile.categoryAffinity = Object.fromEntries(
    [...affinity.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10),
  );
  profile.recentSkus = [...new Set(skus)].slice(0, 20);
  profile.recentActiveDays = [...activeDays].sort().reverse();
  return profile;
}

function applyProfileUpdate(profile: Profile, p: Record<string, unknown>): void {
  if (typeof p.birthday === 'string') profile.birthday = p.birthday;
  if (typeof p.timezone === 'string') profile.timezone = p.timezone;
  if (p.locale === 'zh-CN' || p.locale === 'en') profile.locale = p.locale;
  if (typeof p.preferredChannel === 'string') profile.preferredChannel = p.preferredChannel as Channel;
  const channels = p.channels as Record<string, string | null | undefined> | undefined;
  for (const [channel, address] of Object.entries(channels ?? {})) {
    if (address === null) delete profile.channels[channel as Channel];
    else if (typeof address === 'string') profile.channels[channel as Channel] = address;
  }
  const consent = p.consent as Record<string, boolean | undefined> | undefined;
  for (const [key, value] of Object.entries(consent ?? {})) {
    if (typeof value !== 'boolean') continue;
    if (key === 'personalisedRecommendations') profile.personalisedRecommendations = value;
    else profile.consent[key as Channel] = value;
  }
  if (typeof p.optOut === 'boolean') profile.optOut = p.optOut;
  if (Array.isArray(p.tags)) profile.tags = p.tags as string[];
}

/** Gaps in days between consecutive purchase days (sorted yyyy-mm-dd). */
function intervalStats(days: string[]): IntervalStats {
  const gaps: number[] = [];
  for (let i = 1; i < days.length; i++) gaps.push((Date.parse(days[i]!) - Date.parse(days[i - 1]!)) / DAY_MS);
  const sorted = [...gaps].sort((a, b) => a - b);
  const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const variance = gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length;
  return {
    count: gaps.length,
    meanDays: round2(mean),
    medianDays: round2(median),
    stdevDays: round2(Math.sqrt(variance)),
    lastDays: gaps[gaps.length - 1]!,
  };
}

function bump(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

const iso = (t: number) => new Date(t).toISOString();
const round2 = (v: number) => Math.round(v * 100) / 100;
