/**
 * Email through Amazon SES v2 `SendEmail`: one simple (Subject / Html / Text, UTF-8) message per
 * call, which is how SES v2 sends non-templated mail, a few calls in flight at a time. Every email
 * carries RFC 8058 one-click unsubscribe headers whose link holds an HMAC-signed token of
 * (userId, channel), so an unsubscribe cannot be forged for someone else.
 *
 * Why not `SendBulkEmail` (50 destinations per call)? It only sends templates; per-destination
 * bodies would go through an inline template with `{{html}}`-style substitution, whose escaping
 * rules SES documents only as "simple substitutions" and which cannot be checked offline. SES
 * meters by message, not by call, so the per-message calls cost throughput nothing.
 *
 * An address on the account-level suppression list is NOT an error here: SES accepts the message
 * (and returns a MessageId) but does not deliver it, and reports a bounce event later through the
 * configuration set's event destination. So `sent` from this channel means "accepted by SES".
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SESv2Client, SendEmailCommand, type MessageHeader, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import type { Channel } from '../config';
import type { DeliveryChannel, DeliveryOutcome, OutgoingMessage } from './channel';
import { errorName, sendEach, type EachResult } from './router';

let shared: SESv2Client | undefined;
/** One client per process, built on first use (AWS_ENDPOINT_URL_SESV2 points it elsewhere locally). */
export function sesClient(): SESv2Client {
  shared ??= new SESv2Client({ maxAttempts: 3 });
  return shared;
}

export function resetSesClient(): void {
  shared = undefined;
}

export interface SesEmailChannelOptions {
  /** A verified SES identity, e.g. `"Rewake Shop" <hello@shop.example>`. */
  fromEmailAddress: string;
  configurationSetName?: string;
  /** HTTPS endpoint that takes the one-click POST (and a GET for a confirmation page): `…?token=…` is appended. */
  unsubscribeBaseUrl: string;
  /** Key for the unsubscribe token's HMAC. Keep it stable: rotating it voids links already sent. */
  unsubscribeSecret: string;
  /** Optional mailbox offered as the second List-Unsubscribe choice (`<mailto:…?subject=unsubscribe%20TOKEN>`). */
  unsubscribeMailto?: string;
  /** Calls in flight at once. @default 5 */
  concurrency?: number;
}

export class SesEmailChannel implements DeliveryChannel {
  readonly channels: readonly Channel[] = ['email'];

  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesEmailChannelOptions,
  ) {
    if (!options.fromEmailAddress) throw new TypeError('SesEmailChannel needs fromEmailAddress');
    if (!options.unsubscribeSecret) throw new TypeError('SesEmailChannel needs unsubscribeSecret');
    new URL(options.unsubscribeBaseUrl); // throws on a malformed base URL, at construction
  }

  async send(messages: OutgoingMessage[]): Promise<DeliveryOutcome[]> {
    return sendEach(messages, this.options.concurrency ?? 5, (m) => this.sendOne(m));
  }

  private async sendOne(m: OutgoingMessage): Promise<EachResult> {
    try {
      const out = await this.client.send(new SendEmailCommand(sesRequest(m, this.options)));
      return { outcome: { key: m.key, result: 'sent', status: 'SUCCESSFUL', messageId: out.MessageId } };
    } catch (error) {
      return classifySesError(m.key, error);
    }
  }
}

/** The exact SendEmail request for one message. */
export function sesRequest(m: OutgoingMessage, options: SesEmailChannelOptions): SendEmailCommandInput {
  const token = unsubscribeToken(m.userId, options.unsubscribeSecret, m.channel);
  const url = unsubscribeUrl(options.unsubscribeBaseUrl, token);
  const zh = /[\u3400-\u9fff]/.test(m.body);
  const label = zh ? '退订' : 'Unsubscribe';
  return {
    FromEmailAddress: options.fromEmailAddress,
    Destination: { ToAddresses: [m.address] },
    Content: {
      Simple: {
        Subject: { Data: m.title, Charset: 'UTF-8' },
        Body: {
          Html: { Data: html(m.body, url, label), Charset: 'UTF-8' },
          Text: { Data: `${m.body}\n\n${label}: ${url}`, Charset: 'UTF-8' },
        },
        Headers: unsubscribeHeaders(url, token, options.unsubscribeMailto),
      },
    },
    ConfigurationSetName: options.configurationSetName,
    // Ties SES events (bounces, complaints, suppression-list drops) back to the ledger.
    EmailTags: [
      { Name: 'userId', Value: tagValue(m.userId) },
      { Name: 'campaign', Value: tagValue(m.campaign) },
      { Name: 'step', Value: String(m.step) },
    ],
  };
}

/** RFC 2369 List-Unsubscribe plus RFC 8058 one-click, as Gmail and Yahoo require of bulk senders. */
export function unsubscribeHeaders(url: string, token: string, mailto?: string): MessageHeader[] {
  const targets = [`<${url}>`];
  if (mailto) targets.push(`<mailto:${mailto}?subject=${encodeURIComponent(`unsubscribe ${token}`)}>`);
  return [
    { Name: 'List-Unsubscribe', Value: targets.join(', ') },
    { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
  ];
}

export function unsubscribeUrl(baseUrl: string, token: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set('token', token);
  return url.toString();
}

/**
 * Maps a SendEmail failure (AWS SES v2 API reference, SendEmail "Errors"):
 * - TooManyRequestsException, LimitExceededException (sending rate or daily quota) → retry, and
 *   start no further calls this batch: SES asked us to slow down.
 * - InternalServiceErrorException, any 5xx, a network error → retry (transient, per request; the
 *   client's own 3 attempts have already been spent).
 * - AccountSuspendedException, SendingPausedException, MailFromDomainNotVerifiedException,
 *   NotFoundException (configuration set or identity missing), AccessDenied → retry and halt: the
 *   account or its setup is at fault, not the user. Suppressing would burn every user's campaign
 *   step for good; retrying sends the messages through the queue to the DLQ (with its alarm), to be
 *   redriven once an operator fixes the account.
 * - MessageRejected (content refused, e.g. a virus, or in the sandbox an unverified recipient)
 *   and BadRequestException (a malformed address, a header SES refuses) → suppress: the same
 *   request fails the same way, so a retry would only burn receive counts.
 * - Anything else → retry.
 */
export function classifySesError(key: string, error: unknown): EachResult {
  const name = errorName(error);
  switch (name) {
    case 'TooManyRequestsException':
    case 'LimitExceededException':
    case 'ThrottlingException':
      return { outcome: { key, result: 'retry', status: name }, halt: true };
    case 'AccountSuspendedException':
    case 'SendingPausedException':
    case 'MailFromDomainNotVerifiedException':
    case 'NotFoundException':
    case 'AccessDeniedException':
      return { outcome: { key, result: 'retry', status: name }, halt: true };
    case 'MessageRejected':
    case 'BadRequestException':
      return { outcome: { key, result: 'suppress', status: name } };
  }
  // InternalServiceErrorException, other 5xx, network errors, and anything unknown.
  return { outcome: { key, result: 'retry', status: name } };
}

// ---------------------------------------------------------------------------------------------
// Unsubscribe tokens: base64url("v1:<channel>:<userId>") + "." + base64url(HMAC-SHA256)
// ---------------------------------------------------------------------------------------------

const TOKEN_VERSION = 'v1';

/** A token naming (userId, channel), signed with `secret`; URL-safe, no expiry (links live long in inboxes). */
export function unsubscribeToken(userId: string, secret: string, channel: Channel = 'email'): string {
  const payload = Buffer.from(`${TOKEN_VERSION}:${channel}:${userId}`, 'utf8').toString('base64url');
  return `${payload}.${tokenMac(payload, secret)}`;
}

/** The (userId, channel) a token was made for, or undefined when it is malformed or not signed with `secret`. */
export function verifyUnsubscribeToken(token: string, secret: string): { userId: string; channel: Channel } | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return undefined;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(tokenMac(payload, secret), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const match = /^v1:(push|sms|email|webhook):(.+)$/s.exec(Buffer.from(payload, 'base64url').toString('utf8'));
  if (!match) return undefined;
  return { channel: match[1] as Channel, userId: match[2]! };
}

function tokenMac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`rewake-unsubscribe.${payload}`).digest('base64url');
}

function html(body: string, url: string, label: string): string {
  const link = `<a href="${escapeHtml(url)}">${label}</a>`;
  return `<!doctype html><html><body><p>${escapeHtml(body)}</p><p style="font-size:12px;color:#666">${link}</p></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** SES tag values: ASCII letters, digits, `_` and `-` only; at most 256 characters. */
function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || '_';
}
