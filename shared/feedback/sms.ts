/**
 * AWS End User Messaging SMS → feedback, from the two kinds of message it publishes to SNS:
 *
 * - inbound (two-way) messages: a reply of 「R」, 「TD」, 「T」, 退订 or an English opt-out keyword
 *   (STOP, UNSUBSCRIBE, …) withdraws SMS consent. The payload names only the phone number, so the
 *   user(s) come from the recipient index the delivery events below keep;
 * - delivery events of the configuration set: each says which user (the `Context` the SMS channel
 *   sends: userId, campaign, step) a number belongs to, which feeds that index; TEXT_INVALID
 *   (the number is not a valid phone number) also removes the number from the profile.
 *
 * The reply is the SMS form of the refusal line every Rewake SMS ends with (拒收请回复R); the SMS
 * channel's opt-out list is End User Messaging's own record and stops sends at once, while the
 * profile change lets the sender choose another consented channel instead of failing on this one.
 */
import { isoTimestamp, type FeedbackAction } from './actions';

/**
 * Refusal replies, compared after trimming, upper-casing and dropping trailing punctuation.
 * Chinese carriers' conventions (R, TD, T, 退订) and End User Messaging's default opt-out keywords.
 */
export const OPT_OUT_REPLIES: ReadonlySet<string> = new Set([
  'R',
  'TD',
  'T',
  '退订',
  '退定',
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'END',
  'QUIT',
  'CANCEL',
  'OPTOUT',
  'OPT-OUT',
  'REVOKE',
]);

export interface InboundSms {
  /** The customer's number (E.164): personal data, never logged. */
  phone: string;
  inboundMessageId: string;
  /** The reply refuses further SMS. */
  optOut: boolean;
}

interface InboundPayload {
  originationNumber?: unknown;
  destinationNumber?: unknown;
  messageKeyword?: unknown;
  messageBody?: unknown;
  inboundMessageId?: unknown;
}

export function isInboundSms(message: unknown): boolean {
  const m = message as InboundPayload | null;
  return typeof m === 'object' && m !== null && typeof m.originationNumber === 'string' && typeof m.inboundMessageId === 'string' && 'messageBody' in m;
}

export function parseInboundSms(message: unknown): InboundSms | undefined {
  if (!isInboundSms(message)) return undefined;
  const m = message as InboundPayload;
  const words = [m.messageBody, m.messageKeyword].filter((w): w is string => typeof w === 'string').map(normaliseReply);
  return {
    phone: String(m.originationNumber).trim(),
    inboundMessageId: String(m.inboundMessageId),
    optOut: words.some((w) => OPT_OUT_REPLIES.has(w)),
  };
}

function normaliseReply(text: string): string {
  return text
    .normalize('NFKC') // full-width Ｒ or ＴＤ, as Chinese input methods type them
    .trim()
    .replace(/[\s.!。！,，]+$/u, '')
    .toUpperCase();
}

/** Withdraws SMS consent for each user the number belongs to, while it is still their number. */
export function inboundOptOutActions(inbound: InboundSms, userIds: readonly string[], receivedAt: Date): FeedbackAction[] {
  if (!inbound.optOut) return [];
  return userIds.map((userId) => ({
    userId,
    source: 'sms_reply',
    change: { kind: 'withdraw_consent', channel: 'sms' },
    at: receivedAt.toISOString(),
    idempotencyKey: `sms-inbound:${inbound.inboundMessageId}`,
    onlyIfAddress: inbound.phone,
  }));
}

export interface SmsDeliveryEvent {
  eventType: string;
  userId: string;
  /** Personal data, never logged. */
  phone: string;
  messageId: string;
  at: string;
}

interface DeliveryPayload {
  eventType?: unknown;
  destinationPhoneNumber?: unknown;
  messageId?: unknown;
  eventTimestamp?: unknown;
  context?: Record<string, unknown> | null;
}

export function isSmsDeliveryEvent(message: unknown): boolean {
  const m = message as DeliveryPayload | null;
  return typeof m === 'object' && m !== null && typeof m.eventType === 'string' && m.eventType.startsWith('TEXT_') && typeof m.destinationPhoneNumber === 'string';
}

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}$/;

/** A delivery event for a message Rewake sent (its Context names a user), else undefined. */
export function parseSmsDeliveryEvent(message: unknown, receivedAt: Date): SmsDeliveryEvent | undefined {
  if (!isSmsDeliveryEvent(message)) return undefined;
  const m = message as DeliveryPayload;
  const userId = m.context?.userId;
  if (typeof userId !== 'string' || !USER_ID.test(userId)) return undefined;
  return {
    eventType: String(m.eventType),
    userId,
    phone: String(m.destinationPhoneNumber).trim(),
    messageId: typeof m.messageId === 'string' ? m.messageId : '',
    at: isoTimestamp(typeof m.eventTimestamp === 'number' ? m.eventTimestamp : undefined, receivedAt),
  };
}

/** Events that prove the number reached (or was at least routed to) the user: worth remembering for replies. */
export const RECIPIENT_EVENTS: ReadonlySet<string> = new Set(['TEXT_SUCCESSFUL', 'TEXT_DELIVERED', 'TEXT_QUEUED', 'TEXT_PENDING']);

/** TEXT_INVALID: the destination is not a valid phone number; it is removed while it is still the user's. */
export function deliveryEventActions(event: SmsDeliveryEvent): FeedbackAction[] {
  if (event.eventType !== 'TEXT_INVALID') return [];
  return [
    {
      userId: event.userId,
      source: 'provider_outcome',
      change: { kind: 'remove_address', channel: 'sms' },
      at: event.at,
      idempotencyKey: `sms-event:${event.messageId}:${event.eventType}`,
      onlyIfAddress: event.phone,
    },
  ];
}
