/**
 * The rules checked before every send (DESIGN "Delivery rules"; PIPL Art. 15/24): consent per
 * channel and the global opt-out, the deletion marker, the holdout, frequency caps and quiet
 * hours. Pure: the sender hands in the profile, the user's ledger and the clock; the answer says
 * what to do and why, and every answer is recorded.
 */
import { campaignKind, type CampaignKind } from '../campaigns/kinds';
import type { Channel, RewakeConfig } from '../config';
import type { Profile } from '../profiles/aggregate';

export type SuppressReason =
  | 'no_profile'
  | 'deleted'
  | 'opted_out'
  | 'no_consented_channel'
  | 'frequency_cap'
  | 'already_handled'
  | 'returned';

export type Decision =
  | { outcome: 'send'; channel: Channel; address: string }
  | { outcome: 'defer'; reason: 'quiet_hours'; notBefore: string }
  | { outcome: 'suppress'; reason: SuppressReason }
  | { outcome: 'holdout'; channel: Channel | null };

/** What the ledger says about one earlier message to this user. */
export interface LedgerEntry {
  campaign: string;
  step: number;
  status: SendStatus;
  /** When it was (or would have been) sent; ISO. */
  at?: string;
}

/** `sending` is intent recorded before the provider call; `unknown` is a crash between the two. */
export type SendStatus = 'queued' | 'sending' | 'sent' | 'unknown' | 'holdout' | 'suppressed' | 'deferred' | 'failed';

/** Statuses that count against frequency caps: anything that may have reached the user. */
const COUNTS_AGAINST_CAPS: ReadonlySet<SendStatus> = new Set(['sending', 'sent', 'unknown']);

export interface DecideInput {
  profile: Profile | undefined;
  deleted: boolean;
  holdout: boolean;
  campaign: string;
  step: number;
  /** When the candidate was scored: a purchase after it means the user came back on their own. */
  scoredAt: string;
  ledger: LedgerEntry[];
  now: Date;
  /** Channels this deployment can deliver on. */
  availableChannels: readonly Channel[];
  delivery: RewakeConfig['delivery'];
}

export function decide(input: DecideInput): Decision {
  const { profile, now, delivery } = input;
  if (input.deleted) return { outcome: 'suppress', reason: 'deleted' };
  if (!profile) return { outcome: 'suppress', reason: 'no_profile' };
  const prior = input.ledger.find((e) => e.campaign === input.campaign && e.step === input.step);
  if (prior && prior.status !== 'queued' && prior.status !== 'deferred') return { outcome: 'suppress', reason: 'already_handled' };
  if (profile.lastPurchaseAt && Date.parse(profile.lastPurchaseAt) > Date.parse(input.scoredAt)) {
    return { outcome: 'suppress', reason: 'returned' };
  }

  const channel = chooseChannel(profile, delivery.channelOrder, input.availableChannels);
  // The holdout is decided before consent so both groups are drawn from the same population;
  // the report compares like with like.
  if (input.holdout) return { outcome: 'holdout', channel: channel?.channel ?? null };
  if (profile.optOut) return { outcome: 'suppress', reason: 'opted_out' };
  if (!channel) return { outcome: 'suppress', reason: 'no_consented_channel' };
  if (overCap(input.ledger, now, delivery.frequencyCaps, campaignKind(input.campaign))) return { outcome: 'suppress', reason: 'frequency_cap' };

  const timezone = profile.timezone ?? delivery.defaultTimezone;
  const opening = quietHoursEnd(now, timezone, delivery.quietHours);
  if (opening) return { outcome: 'defer', reason: 'quiet_hours', notBefore: opening.toISOString() };
  return { outcome: 'send', ...channel };
}

/** The preferred channel if usable, else the first usable one in the configured order. */
export function chooseChannel(
  profile: Profile,
  order: readonly Channel[],
  available: readonly Channel[],
): { channel: Channel; address: string } | undefined {
  const candidates = profile.preferredChannel ? [profile.preferredChannel, ...order] : order;
  for (const channel of candidates) {
    const address = profile.channels[channel];
    // Consent must be explicit: no record of consent means no marketing (PIPL Art. 13).
    if (address && profile.consent[channel] === true && available.includes(channel)) return { channel, address };
  }
  return undefined;
}

/**
 * True when one more message of campaign kind `kind` would exceed a cap. A cap that names
 * `campaigns` counts only messages of those kinds and holds back only those kinds (the default
 * "1 win-back message in 7 days" neither counts nor stops a birthday message); a cap without
 * counts and holds back every kind (the default "3 in 30").
 */
export function overCap(ledger: LedgerEntry[], now: Date, caps: RewakeConfig['delivery']['frequencyCaps'], kind: CampaignKind = 'winback'): boolean {
  return caps.some(({ days, max, campaigns }) => {
    if (campaigns && !campaigns.includes(kind)) return false;
    const since = now.getTime() - days * 86_400_000;
    const sent = ledger.filter(
      (e) => COUNTS_AGAINST_CAPS.has(e.status) && e.at && Date.parse(e.at) > since && (!campaigns || campaigns.includes(campaignKind(e.campaign))),
    ).length;
    return sent >= max;
  });
}

/**
 * If `now` falls inside quiet hours in `timezone`, the instant they end; otherwise undefined.
 * Quiet hours may wrap midnight (21:00–09:00, the default).
 */
export function quietHoursEnd(now: Date, timezone: string, quiet: { start: string; end: string }): Date | undefined {
  const local = localMinutes(now, timezone);
  const start = toMinutes(quiet.start);
  const end = toMinutes(quiet.end);
  if (start === end) return undefined;
  const inside = start < end ? local >= start && local < end : local >= start || local < end;
  if (!inside) return undefined;
  let opening = new Date(now.getTime() + ((end - local + 1440) % 1440) * 60_000);
  // Adding wall-clock minutes to an instant is off by the shift when the clocks change overnight:
  // correct by what the local clock actually shows at the estimate (twice covers any DST rule).
  for (let i = 0; i < 2; i++) {
    const drift = ((end - localMinutes(opening, timezone) + 720 + 1440) % 1440) - 720;
    if (drift === 0) break;
    opening = new Date(opening.getTime() + drift * 60_000);
  }
  opening.setUTCSeconds(0, 0);
  return opening;
}

function localMinutes(at: Date, timezone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value);
  return hour * 60 + minute;
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}
