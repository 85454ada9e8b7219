/**
 * The outbox audit (issue 5's acceptance, machine-checked): given what the providers actually
 * accepted, prove after the fact that no message broke a delivery rule — consent, opt-out,
 * deletion, holdout, quiet hours, frequency caps, one message per (user, campaign, step), and the
 * refusal / unsubscribe line.
 *
 * It is an audit, not a second copy of the sender: it judges the messages themselves against the
 * user's facts, and computes local time and windows on its own instead of calling the sender's
 * helpers, so a bug in shared/delivery/rules.ts cannot hide itself here.
 *
 * Clocks. A message's send instant is the ledger's `at` for its (user, campaign, step): the
 * sender's clock, which a local replay sets to the data's time (REWAKE_NOW). The outbox line's
 * `receivedAt` is the provider's wall clock, as is a deletion marker's `deletedAt` (the ingest API
 * stamps it), so deletion is judged on those two.
 *
 * Profiles are judged as of the send: the user's facts dated up to the send instant are folded
 * (shared/profiles/aggregate.ts), so a consent withdrawn after a message was sent does not make
 * that message a violation. Facts are dated by event time; an event that arrived after the send
 * but is dated before it is counted, which the audit cannot tell apart from one the sender ignored.
 *
 * A user erased on request (PIPL) leaves only the marker: their facts and ledger are gone, so for
 * a message sent before the erasure the rules that need them are counted as skipped, not passed.
 */
import { campaignKind, holdoutCampaignOf } from '../campaigns/kinds';
import { CHANNELS, LOCALES, type Channel, type Locale, type RewakeConfig } from '../config';
import { isHoldout } from '../measure/holdout';
import { EMAIL_UNSUBSCRIBE, SMS_REFUSAL } from '../offers/render';
import { foldProfile, type Profile } from '../profiles/aggregate';
import type { Fact } from '../profiles/facts';
import type { SendStatus } from './rules';

export const AUDIT_RULES = [
  'consent',
  'opt_out',
  'deleted',
  'holdout',
  'quiet_hours',
  'frequency_cap',
  'unique',
  'refusal_line',
  'unsubscribe',
  'ledger',
] as const;
export type AuditRule = (typeof AUDIT_RULES)[number];

/** Provider answers under which the message reached (or had already reached) the user. */
export const DELIVERED_STATUSES: ReadonlySet<string> = new Set(['SUCCESSFUL', 'DUPLICATE']);

/** Ledger statuses of a message that may have gone out: the ones the sender counts against caps. */
const SENT_STATUSES: ReadonlySet<SendStatus> = new Set(['sending', 'sent', 'unknown']);

/** One message as a provider recorded it (one address of an outbox line). */
export interface AuditedMessage {
  userId: string | null;
  campaign: string | null;
  step: number | string | null;
  channel: string;
  /** Phone number, email or push token: compared, never reported. */
  address: string;
  /** The text the user got; undefined when the request carried none. */
  body?: string;
  /** The provider's per-address answer; only SUCCESSFUL and DUPLICATE count as delivered. */
  deliveryStatus: string;
  /** When the provider accepted the request, by its own (wall) clock. */
  receivedAt: string;
}

/** What the ledger holds for one (user, campaign, step). */
export interface AuditLedgerRecord {
  campaign: string;
  step: number;
  status: SendStatus;
  /** When it was sent (the sender's clock), or would have been for the holdout. */
  at?: string;
  /** The scan's holdout draw for the candidate. */
  holdout?: boolean;
}

export interface AuditUser {
  /** Every fact stored for the user; the audit folds those dated up to each send. */
  facts: Fact[];
  ledger: AuditLedgerRecord[];
  /** The deletion marker's instant, when the user asked to be erased. */
  deletedAt?: string;
}

/** A frequency cap; one naming `campaigns` (kinds: winback, birthday…) counts only those kinds. */
export type AuditCap = RewakeConfig['delivery']['frequencyCaps'][number];

export interface AuditConfig {
  locale: Locale;
  delivery: {
    defaultTimezone: string;
    quietHours: { start: string; end: string };
    frequencyCaps: readonly AuditCap[];
  };
  holdout: RewakeConfig['holdout'];
  /** The win-back id: the holdout of every win-back episode is drawn on it. */
  campaigns: { winback: { id: string } };
}

export interface AuditInput {
  messages: AuditedMessage[];
  /** Keyed by userId; a user missing here has no facts, no ledger and no marker. */
  users: Readonly<Record<string, AuditUser>>;
  config: AuditConfig;
}

export interface AuditViolation {
  rule: AuditRule;
  userId: string | null;
  campaign: string | null;
  step: number | string | null;
  /** Why, in words; never an address or a message body. */
  detail: string;
}

export interface AuditResult {
  /** Delivered messages audited. */
  messages: number;
  /** Outbox entries the provider did not deliver (throttled, failed, opted out at the carrier). */
  notDelivered: number;
  /** Per rule, how many messages (or, for caps, message × cap pairs) were judged. */
  checked: Record<AuditRule, number>;
  /** Per rule, messages that could not be judged (an erased user's facts, an unknown send instant). */
  skipped: Record<AuditRule, number>;
  violations: AuditViolation[];
}

const DAY_MS = 86_400_000;

interface Delivered {
  message: AuditedMessage;
  userId: string;
  campaign: string;
  step: number;
  user: AuditUser;
  record?: AuditLedgerRecord;
  /** From the ledger; undefined when the ledger has no sent record for it. */
  sentAt?: number;
  /** The profile as of the send; undefined when the user had no facts by then. */
  profile?: Profile;
  erased: boolean;
}

export function auditOutbox(input: AuditInput): AuditResult {
  const checked = Object.fromEntries(AUDIT_RULES.map((r) => [r, 0])) as Record<AuditRule, number>;
  const skipped = Object.fromEntries(AUDIT_RULES.map((r) => [r, 0])) as Record<AuditRule, number>;
  const violations: AuditViolation[] = [];
  const { config } = input;
  const delivered = input.messages.filter((m) => DELIVERED_STATUSES.has(m.deliveryStatus));

  const violate = (rule: AuditRule, m: AuditedMessage, detail: string) =>
    violations.push({ rule, userId: m.userId, campaign: m.campaign, step: m.step, detail });

  const judged: Delivered[] = [];
  for (const message of delivered) {
    const { userId, campaign, step } = message;
    if (!userId || !campaign || typeof step !== 'number' || !Number.isInteger(step)) {
      checked.ledger += 1;
      // Without who and which step nothing else can be judged, and exactly-once cannot hold.
      violate('ledger', message, 'the message names no userId, campaign and integer step');
      continue;
    }
    const user = input.users[userId] ?? { facts: [], ledger: [] };
    const record = user.ledger.find((r) => r.campaign === campaign && r.step === step);
    const parsed = record && SENT_STATUSES.has(record.status) && record.at ? Date.parse(record.at) : NaN;
    const sentAt = Number.isNaN(parsed) ? undefined : parsed;
    const erased = user.deletedAt !== undefined;
    const profile = erased ? undefined : foldProfile(userId, sentAt === undefined ? user.facts : user.facts.filter((f) => f.t <= sentAt));
    judged.push({ message, userId, campaign, step, user, record, sentAt, profile, erased });
  }

  for (const d of judged) {
    const { message: m, record, profile } = d;

    // Deletion. The marker is written after the user's ledger is emptied, so a sent record that
    // exists beside it was claimed after the erasure began; otherwise compare the two wall clocks.
    checked.deleted += 1;
    if (d.user.deletedAt !== undefined) {
      if (record && SENT_STATUSES.has(record.status)) {
        violate('deleted', m, `the ledger recorded this send (${record.status}) after the user was erased`);
      } else if (Date.parse(m.receivedAt) >= Date.parse(d.user.deletedAt)) {
        violate('deleted', m, `delivered at ${m.receivedAt}, after the user was erased at ${d.user.deletedAt}`);
      }
    }

    // The ledger must know every delivered message: it is what makes a redelivery a no-op. An
    // erasure removed the records of messages sent before it, so those are not judged.
    if (d.erased) skipped.ledger += 1;
    else {
      checked.ledger += 1;
      if (!record) violate('ledger', m, 'no ledger record for this (user, campaign, step)');
      else if (!SENT_STATUSES.has(record.status)) violate('ledger', m, `delivered, but the ledger says ${record.status}`);
      else if (d.sentAt === undefined) violate('ledger', m, 'the ledger record has no valid send instant');
    }

    // Holdout: the recorded draw, the record's status, and the deterministic draw recomputed (one
    // draw per campaign kind, so episodes and years share it: shared/campaigns/kinds.ts).
    checked.holdout += 1;
    const drawnOn = holdoutCampaignOf(d.campaign, config.campaigns.winback.id);
    if (record?.status === 'holdout' || record?.holdout === true) {
      violate('holdout', m, 'the ledger has this (user, campaign, step) in the holdout');
    } else if (isHoldout(d.userId, drawnOn, config.holdout)) {
      violate('holdout', m, `the user hashes into the ${drawnOn} holdout`);
    }

    if (d.erased) {
      skipped.consent += 1;
      skipped.opt_out += 1;
    } else {
      checked.consent += 1;
      const channel = m.channel as Channel;
      if (!profile) {
        violate('consent', m, d.sentAt === undefined ? 'the user has no profile' : 'the user had no profile at the send');
      } else if (!(CHANNELS as readonly string[]).includes(m.channel) || profile.consent[channel] !== true) {
        violate('consent', m, `no consent for ${m.channel} at the send (consent: ${String(profile.consent[channel] ?? 'none')})`);
      } else if (!sameAddress(profile.channels[channel], m.address)) {
        violate('consent', m, `sent to an address that was not the user's ${m.channel} address at the send`);
      }
      if (!profile) skipped.opt_out += 1;
      else {
        checked.opt_out += 1;
        if (profile.optOut) violate('opt_out', m, 'the user had opted out of marketing before the send');
      }
    }

    if (d.sentAt === undefined || d.erased) skipped.quiet_hours += 1;
    else {
      checked.quiet_hours += 1;
      const timezone = profile?.timezone ?? config.delivery.defaultTimezone;
      const local = localClock(d.sentAt, timezone);
      if (insideQuietHours(local, config.delivery.quietHours)) {
        violate('quiet_hours', m, `sent at ${hhmm(local)} in ${timezone}, inside quiet hours ${config.delivery.quietHours.start}–${config.delivery.quietHours.end}`);
      }
    }

    // Domestic SMS and WeChat go through the webhook and carry the same refusal line.
    if (m.channel === 'sms' || m.channel === 'webhook') {
      checked.refusal_line += 1;
      const locales = expectedLocales(d, config.locale);
      const body = (m.body ?? '').trimEnd();
      if (!locales.some((l) => body.endsWith(SMS_REFUSAL[l]))) {
        violate('refusal_line', m, `${m.channel} body does not end with ${locales.map((l) => `"${SMS_REFUSAL[l]}"`).join(' or ')}`);
      }
    } else if (m.channel === 'email') {
      checked.unsubscribe += 1;
      const body = m.body ?? '';
      const locales = expectedLocales(d, config.locale);
      if (!locales.some((l) => body.includes(EMAIL_UNSUBSCRIBE[l])) && !/unsubscribe|退订/i.test(body)) {
        violate('unsubscribe', m, 'email carries no unsubscribe line or link');
      }
    }
  }

  // One message per (user, campaign, step), ever.
  const byKey = new Map<string, Delivered[]>();
  for (const d of judged) {
    const key = `${d.userId}\u0000${d.campaign}\u0000${d.step}`;
    byKey.set(key, [...(byKey.get(key) ?? []), d]);
  }
  checked.unique += judged.length;
  for (const group of byKey.values()) {
    if (group.length > 1) violate('unique', group[1]!.message, `delivered ${group.length} times`);
  }

  checkCaps(judged, config.delivery.frequencyCaps, checked, skipped, violate);

  return { messages: delivered.length, notDelivered: input.messages.length - delivered.length, checked, skipped, violations };
}

/**
 * At most `max` delivered messages in any window of `days` days, per user. Windows are half-open,
 * (t − days, t], as the sender counts them: a message exactly `days` earlier no longer counts.
 */
function checkCaps(
  judged: Delivered[],
  caps: readonly AuditCap[],
  checked: Record<AuditRule, number>,
  skipped: Record<AuditRule, number>,
  violate: (rule: AuditRule, m: AuditedMessage, detail: string) => void,
): void {
  const byUser = new Map<string, Delivered[]>();
  for (const d of judged) {
    if (d.sentAt === undefined) {
      skipped.frequency_cap += 1;
      continue;
    }
    byUser.set(d.userId, [...(byUser.get(d.userId) ?? []), d]);
  }
  for (const messages of byUser.values()) {
    for (const cap of caps) {
      const scope = cap.campaigns;
      const inScope = messages.filter((d) => !scope || scope.includes(campaignKind(d.campaign))).sort((a, b) => a.sentAt! - b.sentAt! || a.step - b.step);
      checked.frequency_cap += inScope.length;
      // Each message is judged on the window ending at it, counting only itself and those before
      // it: every message beyond the cap is flagged once, and ties at one instant still add up.
      inScope.forEach((d, i) => {
        const from = d.sentAt! - cap.days * DAY_MS;
        const count = inScope.slice(0, i + 1).filter((e) => e.sentAt! > from).length;
        if (count > cap.max) {
          const scoped = scope ? ` of ${scope.join(', ')}` : '';
          violate('frequency_cap', d.message, `${count} messages${scoped} in the ${cap.days} days up to ${new Date(d.sentAt!).toISOString()}; the cap is ${cap.max}`);
        }
      });
    }
  }
}

/** The locale the message should be in: the user's at the send, else the brand's default. */
function expectedLocales(d: Delivered, fallback: Locale): readonly Locale[] {
  // An erased user's locale is gone with their facts: accept any locale's line.
  if (d.erased) return LOCALES;
  return [d.profile?.locale ?? fallback];
}

/** Push tokens are stored as `apns:<token>` / `fcm:<token>`; providers get the bare token. */
function sameAddress(stored: string | undefined, sent: string): boolean {
  if (stored === undefined) return false;
  const bare = (a: string) => a.replace(/^(apns|fcm):/, '');
  return stored === sent || bare(stored) === bare(sent);
}

/** Minutes since local midnight at `instant` in `timezone`. */
function localClock(instant: number, timezone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).formatToParts(new Date(instant));
  const value = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  return value('hour') * 60 + value('minute');
}

function insideQuietHours(minutes: number, quiet: { start: string; end: string }): boolean {
  const start = parseHhmm(quiet.start);
  const end = parseHhmm(quiet.end);
  if (start === end) return false;
  // 21:00–09:00 wraps midnight: quiet from the start to midnight and from midnight to the end.
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

function parseHhmm(text: string): number {
  const [h, m] = text.split(':');
  return Number(h) * 60 + Number(m);
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
