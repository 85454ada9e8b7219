/**
 * One feedback topic carries three kinds of message: SES sending events, End User Messaging
 * inbound SMS, and End User Messaging delivery events. The queue behind the topic receives them
 * raw (raw message delivery) or, if that is off, inside SNS's JSON envelope; both are accepted.
 */
import { isSesEvent } from './ses';
import { isInboundSms, isSmsDeliveryEvent } from './sms';

export type NotificationKind = 'ses' | 'sms_inbound' | 'sms_event' | 'unknown';

export interface Notification {
  kind: NotificationKind;
  message: unknown;
  /** When SNS published it, if the envelope says so. */
  publishedAt?: string;
}

/** Parses an SQS record body from the feedback queue. Throws on a body that is not JSON. */
export function parseNotification(body: string): Notification {
  let message: unknown = JSON.parse(body);
  let publishedAt: string | undefined;
  const envelope = message as { Type?: unknown; Message?: unknown; Timestamp?: unknown } | null;
  if (envelope && envelope.Type === 'Notification' && typeof envelope.Message === 'string') {
    publishedAt = typeof envelope.Timestamp === 'string' ? envelope.Timestamp : undefined;
    message = JSON.parse(envelope.Message);
  }
  return { kind: kindOf(message), message, publishedAt };
}

function kindOf(message: unknown): NotificationKind {
  if (isSesEvent(message)) return 'ses';
  if (isInboundSms(message)) return 'sms_inbound';
  if (isSmsDeliveryEvent(message)) return 'sms_event';
  return 'unknown';
}
