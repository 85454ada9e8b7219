/**
 * Amazon SES email sending events (configuration-set event publishing to SNS; identity feedback
 * notifications have the same shape with `notificationType` instead of `eventType`) → feedback:
 *
 * - a Permanent bounce: the address cannot receive mail (it does not exist, or it is on the
 *   account's suppression list), so it is removed from the profile — only while it is still the
 *   profile's address;
 * - a complaint (the recipient pressed "spam"): email consent is withdrawn. A `not-spam` report is
 *   the opposite and changes nothing;
 * - Transient and Undetermined bounces, deliveries, opens and the rest: nothing.
 *
 * Which user: the signed token in the message's own List-Unsubscribe header (the event echoes the
 * headers), so a notification can only ever name the user the message was sent to. Failing that
 * (headers truncated), the `userId` message tag, but only when it is provably the user id itself:
 * SES tag values allow only letters, digits, `_` and `-`, and the SES channel writes other
 * characters as `_`, so a tag with a `_` in it could stand for several user ids and is not used.
 */
import type { Channel } from '../config';
import { isoTimestamp, type FeedbackAction } from './actions';
import type { VerifiedToken } from './unsubscribe';

export interface SesFeedbackOptions {
  /** Checks an unsubscribe token's signature (shared/channels/ses.ts verifyUnsubscribeToken with the key). */
  verifyToken: (token: string) => VerifiedToken | undefined;
  /** Used when the event carries no usable timestamp. */
  receivedAt: Date;
}

export interface FeedbackParse {
  actions: FeedbackAction[];
  /** Why nothing came of the notification, for a metric; absent when there are actions. */
  ignored?: string;
}

interface SesMail {
  messageId?: string;
  headers?: { name?: string; value?: string }[];
  tags?: Record<string, string[] | undefined>;
}

interface SesEvent {
  eventType?: string;
  notificationType?: string;
  mail?: SesMail;
  bounce?: { bounceType?: string; bouncedRecipients?: { emailAddress?: string }[]; timestamp?: string };
  complaint?: { complainedRecipients?: { emailAddress?: string }[]; timestamp?: string; complaintFeedbackType?: string };
}

/** True when `message` looks like an SES sending event or feedback notification. */
export function isSesEvent(message: unknown): boolean {
  const m = message as SesEvent | null;
  return typeof m === 'object' && m !== null && typeof m.mail === 'object' && (typeof m.eventType === 'string' || typeof m.notificationType === 'string');
}

export function sesFeedback(message: unknown, options: SesFeedbackOptions): FeedbackParse {
  if (!isSesEvent(message)) return { actions: [], ignored: 'not_ses' };
  const event = message as SesEvent;
  const type = event.eventType ?? event.notificationType;
  if (type !== 'Bounce' && type !== 'Complaint') return { actions: [], ignored: `ses_${String(type).toLowerCase()}` };
  if (type === 'Bounce' && event.bounce?.bounceType !== 'Permanent') return { actions: [], ignored: 'ses_bounce_not_permanent' };
  if (type === 'Complaint' && event.complaint?.complaintFeedbackType === 'not-spam') return { actions: [], ignored: 'ses_complaint_not_spam' };

  const userId = userIdOf(event.mail!, options.verifyToken);
  if (!userId) return { actions: [], ignored: 'ses_unknown_user' };
  const messageId = event.mail!.messageId ?? '';
  const email: Channel = 'email';

  if (type === 'Complaint') {
    return {
      actions: [
        {
          userId,
          source: 'ses_complaint',
          change: { kind: 'withdraw_consent', channel: email },
          at: isoTimestamp(event.complaint?.timestamp, options.receivedAt),
          idempotencyKey: `ses:${messageId}:complaint`,
        },
      ],
    };
  }
  const recipients = (event.bounce?.bouncedRecipients ?? []).map((r) => r.emailAddress).filter((a): a is string => typeof a === 'string' && a.length > 0);
  if (recipients.length === 0) return { actions: [], ignored: 'ses_bounce_without_recipient' };
  return {
    actions: recipients.map((address, index) => ({
      userId,
      source: 'ses_bounce',
      change: { kind: 'remove_address', channel: email },
      at: isoTimestamp(event.bounce?.timestamp, options.receivedAt),
      idempotencyKey: `ses:${messageId}:bounce:${index}`,
      onlyIfAddress: address,
    })),
  };
}

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}$/;

function userIdOf(mail: SesMail, verifyToken: SesFeedbackOptions['verifyToken']): string | undefined {
  const token = listUnsubscribeToken(mail.headers);
  if (token) {
    const verified = verifyToken(token);
    // A header we cannot verify is not evidence of anything; nor is one issued for another channel.
    if (verified && verified.channel === 'email' && USER_ID.test(verified.userId)) return verified.userId;
  }
  const tag = mail.tags?.userId?.[0];
  if (tag && !tag.includes('_') && USER_ID.test(tag)) return tag;
  return undefined;
}

/** The `token` query parameter of the https target in a List-Unsubscribe header, if any. */
export function listUnsubscribeToken(headers: SesMail['headers']): string | undefined {
  const value = headers?.find((h) => h.name?.toLowerCase() === 'list-unsubscribe')?.value;
  if (!value) return undefined;
  for (const match of value.matchAll(/<([^>]+)>/g)) {
    try {
      const url = new URL(match[1]!);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') continue;
      const token = url.searchParams.get('token');
      if (token) return token;
    } catch {
      // Not a URL: try the next target.
    }
  }
  return undefined;
}
