/**
 * What a user or a provider told us that must change a profile, and how it becomes an ordinary
 * `profile` event: an unsubscribe click, an SES bounce or complaint, an SMS "R"/"TD"/"STOP" reply,
 * a provider's OPT_OUT. Each goes through the same event store ingest uses, so the fold, the
 * exactly-once write path and "latest by event time wins" apply to it like to any app event.
 *
 * Feedback never adds an address and never grants consent: it can only withdraw consent for one
 * channel or remove one address, so a forged or replayed notification can at worst stop messages.
 */
import { createHash } from 'node:crypto';
import type { Channel } from '../config';
import { parseEvent, type EventOf } from '../events/schema';

export type FeedbackSource = 'unsubscribe' | 'ses_bounce' | 'ses_complaint' | 'sms_reply' | 'provider_outcome';

export type ProfileChange =
  /** Marketing consent for this channel withdrawn (unsubscribe, complaint, opt-out reply). */
  | { kind: 'withdraw_consent'; channel: Channel }
  /** The address can no longer receive anything (permanent bounce, invalid number or token). */
  | { kind: 'remove_address'; channel: Channel };

export interface FeedbackAction {
  userId: string;
  source: FeedbackSource;
  change: ProfileChange;
  /** When it happened (ISO-8601 with offset): the event's timestamp, so later app events still win. */
  at: string;
  /**
   * Identifies the notification or click (an SES message id, an inbound SMS id, an unsubscribe
   * token): the event id is derived from it, so a redelivered notification is a duplicate.
   */
  idempotencyKey: string;
  /**
   * Apply only while the profile still holds this address for the channel: a bounce for an address
   * the user has since replaced must not remove the new one. Personal data: never logged.
   */
  onlyIfAddress?: string;
}

/** The minimum of a stored profile that deciding and naming a feedback event needs. */
export interface ProfileView {
  factCount: number;
  channels: Partial<Record<Channel, string>>;
  consent: Partial<Record<Channel, boolean>>;
}

/**
 * Nothing to write: the profile already says what the feedback says. Checked before writing, so
 * a second click, a redelivered bounce or a second complaint about the same message is a no-op.
 */
export function alreadyInEffect(change: ProfileChange, profile: ProfileView | undefined): boolean {
  if (!profile) return false;
  return change.kind === 'withdraw_consent' ? profile.consent[change.channel] === false : profile.channels[change.channel] === undefined;
}

/** True when the profile no longer holds `address` for the channel (compared the way the provider does). */
export function addressChanged(channel: Channel, address: string, profile: ProfileView | undefined): boolean {
  const current = profile?.channels[channel];
  if (current === undefined) return true;
  return normaliseAddress(channel, current) !== normaliseAddress(channel, address);
}

function normaliseAddress(channel: Channel, address: string): string {
  // Mail providers report the address as the recipient's server accepted it; case is not significant.
  return channel === 'email' ? address.trim().toLowerCase() : address.trim();
}

/**
 * The event id: the source, a hash of the idempotency key, and the profile's fact count when the
 * feedback was applied. The same notification redelivered, or two clicks racing, name the same
 * event and the store keeps one. The fact count makes a later, separate withdrawal (after the user
 * consented again) a new event rather than a duplicate of the first one.
 */
export function feedbackEventId(action: Pick<FeedbackAction, 'source' | 'change' | 'idempotencyKey'>, factCount: number): string {
  const digest = createHash('sha256').update(action.idempotencyKey).digest('hex').slice(0, 32);
  return `${action.source}.${action.change.channel}.${digest}.${factCount}`;
}

/** The `profile` event that records the change, validated by the same schema as every ingested event. */
export function toProfileEvent(action: FeedbackAction, factCount: number): EventOf<'profile'> {
  const { channel } = action.change;
  const properties = action.change.kind === 'withdraw_consent' ? { consent: { [channel]: false } } : { channels: { [channel]: null } };
  const parsed = parseEvent({
    eventId: feedbackEventId(action, factCount),
    userId: action.userId,
    type: 'profile',
    timestamp: action.at,
    properties,
  });
  if (!parsed.ok) {
    // Only a bug here (a malformed user id from a verified token, a bad timestamp) gets this far.
    throw new TypeError(`Feedback event is invalid: ${parsed.problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`);
  }
  return parsed.event as EventOf<'profile'>;
}

/** ISO-8601 with offset, as the event schema requires, from an epoch-ms number or a parseable string. */
export function isoTimestamp(value: number | string | undefined, fallback: Date): string {
  const ms = typeof value === 'number' ? value : value === undefined ? Number.NaN : Date.parse(value);
  return new Date(Number.isFinite(ms) ? ms : fallback.getTime()).toISOString();
}
