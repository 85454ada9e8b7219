/**
 * The unsubscribe link (RFC 8058 one-click, and the page a person sees): what a verified token
 * means, and what a valid one-click request looks like. Token signing and checking live with the
 * SES channel that issues the links (shared/channels/ses.ts); this module starts from the
 * (userId, channel) a token proved.
 *
 * What an unsubscribe withdraws: marketing consent for the channel the link came in, and nothing
 * else. RFC 8058 unsubscribes the recipient from the list the message came from, and every Rewake
 * message is marketing, so that is all marketing on that channel; it is not the global opt-out
 * (`optOut`), which the brand's own app or an explicit request sets. Someone who unsubscribes from
 * the emails may still have agreed to, say, push notifications, and PIPL asks that each consent be
 * withdrawable on its own, not that one withdrawal revoke all others.
 */
import type { Channel } from '../config';
import type { FeedbackAction } from './actions';

export interface VerifiedToken {
  userId: string;
  channel: Channel;
}

/** The action for a verified token clicked at `now`; the token itself is the idempotency key. */
export function unsubscribeAction(verified: VerifiedToken, token: string, now: Date): FeedbackAction {
  return {
    userId: verified.userId,
    source: 'unsubscribe',
    change: { kind: 'withdraw_consent', channel: verified.channel },
    at: now.toISOString(),
    idempotencyKey: token,
  };
}

/** Why a token was refused, for the 400 answer. */
export type TokenProblem = 'missing' | 'malformed' | 'forged';

/**
 * Classifies a token that did not verify: absent, not shaped like one of ours (payload.mac, both
 * base64url), or shaped right but not signed with our key (altered, or made by someone else).
 * Tokens carry no expiry (links live long in inboxes); rotating the key voids them all, and those
 * are reported as `forged` too, since they can no longer be told apart.
 */
export function tokenProblem(token: string | undefined): TokenProblem {
  if (!token) return 'missing';
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/.test(token) ? 'forged' : 'malformed';
}

export const TOKEN_PROBLEM_TEXT: Record<TokenProblem, string> = {
  missing: 'The link has no token: open it exactly as it appears in the email.',
  malformed: 'The token in this link is incomplete or damaged: open the link exactly as it appears in the email.',
  forged: 'The token in this link was not issued by us, or has been changed: it cannot unsubscribe anyone.',
};

/**
 * True when the body is the RFC 8058 one-click request: `List-Unsubscribe=One-Click`, sent as
 * application/x-www-form-urlencoded or multipart/form-data (the two encodings the RFC allows).
 */
export function isOneClickBody(body: string | null | undefined, contentType: string | undefined): boolean {
  if (!body) return false;
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) return multipartField(body, type, 'List-Unsubscribe') === 'One-Click';
  // Mail clients are told to send urlencoded; be lenient about a missing content type.
  return new URLSearchParams(body.trim()).getAll('List-Unsubscribe').includes('One-Click');
}

function multipartField(body: string, contentType: string, name: string): string | undefined {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return undefined;
  for (const part of body.split(`--${boundary}`)) {
    const split = part.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const headers = part.slice(0, split);
    if (!new RegExp(`content-disposition:\\s*form-data;[^\\r\\n]*\\bname="${name}"`, 'i').test(headers)) continue;
    return part.slice(split).replace(/^\r?\n\r?\n/, '').replace(/\r?\n$/, '');
  }
  return undefined;
}
