/**
 * A signed HTTPS webhook for providers Rewake cannot reach through AWS: in mainland China, where
 * neither Pinpoint, SES nor End User Messaging runs, a domestic SMS gateway or a WeChat bridge.
 * The served channels are an option, so the same class is the `webhook` channel or stands in for
 * `sms`.
 *
 * Request: `POST options.url`, JSON `{ messages: [{ id, userId, campaign, step, channel, address,
 * title, body }] }` (at most `maxBatch` per request), with
 *   x-rewake-timestamp: <unix seconds>
 *   x-rewake-signature: v1=<hex HMAC-SHA256(secret, `${timestamp}.${rawBody}`)>
 * The receiver checks it with `verifyWebhookSignature` on the raw body, before parsing it.
 *
 * Reply (2xx): `{ results: [{ id, status: 'accepted' | 'rejected' | 'retry' | 'opted_out',
 * messageId? }] }`. Any other HTTP status, a timeout, a network error or an unreadable reply
 * throws, so the whole batch goes back through the queue.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Channel } from '../config';
import { RewakeError } from '../errors';
import type { DeliveryChannel, DeliveryOutcome, OutgoingMessage } from './channel';
import { ensureRefusalLine, errorName } from './router';

export const TIMESTAMP_HEADER = 'x-rewake-timestamp';
export const SIGNATURE_HEADER = 'x-rewake-signature';

export interface WebhookChannelOptions {
  /** The provider's endpoint; HTTPS outside tests. */
  url: string;
  /** Shared HMAC key. */
  secret: string;
  /** Which of the user's channels this provider delivers. @default ['webhook'] */
  channels?: readonly Channel[];
  /** Messages per request. @default 100 */
  maxBatch?: number;
  /** Per-request timeout. @default 10000 */
  timeoutMs?: number;
}

/** The provider could not take the request. `retryable`: 429, 5xx, timeout or network; otherwise our request or credentials are wrong. */
export class WebhookError extends RewakeError {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface WebhookMessage {
  id: string;
  userId: string;
  campaign: string;
  step: number;
  channel: Channel;
  address: string;
  title: string;
  body: string;
  /** Recommended skus, best first (for WeChat template cards and the like); empty when none. */
  recommendations: string[];
}

export type WebhookResultStatus = 'accepted' | 'rejected' | 'retry' | 'opted_out';

export class WebhookChannel implements DeliveryChannel {
  readonly channels: readonly Channel[];
  private readonly maxBatch: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: WebhookChannelOptions) {
    if (!options.secret) throw new TypeError('WebhookChannel needs a secret');
    new URL(options.url); // throws on a malformed URL, at construction
    this.channels = options.channels?.length ? [...options.channels] : ['webhook'];
    this.maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 100));
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(messages: OutgoingMessage[]): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = [];
    for (let start = 0; start < messages.length; start += this.maxBatch) {
      const batch = messages.slice(start, start + this.maxBatch);
      try {
        outcomes.push(...(await this.post(batch)));
      } catch (error) {
        // Nothing accepted yet: throw, and the caller retries everything. Once an earlier request
        // went through, its outcomes must survive: the rest come back as retry instead.
        if (outcomes.length === 0) throw error;
        const status = errorName(error);
        for (const m of messages.slice(start)) outcomes.push({ key: m.key, result: 'retry', status });
        break;
      }
    }
    return outcomes;
  }

  private async post(batch: OutgoingMessage[]): Promise<DeliveryOutcome[]> {
    const body = JSON.stringify({ messages: batch.map(toWebhookMessage) });
    const timestamp = String(Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhook(this.options.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = errorName(error) === 'TimeoutError';
      throw new WebhookError(timedOut ? `Webhook timed out after ${this.timeoutMs} ms` : 'Webhook request failed', true, undefined, { cause: error });
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      const retryable = response.status === 429 || response.status >= 500;
      throw new WebhookError(`Webhook responded HTTP ${response.status}`, retryable, response.status);
    }
    return outcomesFromReply(batch, text);
  }
}

function toWebhookMessage(m: OutgoingMessage): WebhookMessage {
  // Domestic SMS and WeChat fall under the same refusal rule as SMS.
  const body = m.channel === 'sms' || m.channel === 'webhook' ? ensureRefusalLine(m.body) : m.body;
  return { id: m.key, userId: m.userId, campaign: m.campaign, step: m.step, channel: m.channel, address: m.address, title: m.title, body, recommendations: m.recommendations ?? [] };
}

/** Per-message outcomes from the provider's reply; a message the reply does not mention is retried. */
export function outcomesFromReply(batch: readonly OutgoingMessage[], replyText: string): DeliveryOutcome[] {
  let reply: unknown;
  try {
    reply = JSON.parse(replyText);
  } catch (error) {
    throw new WebhookError('Webhook reply is not JSON', true, undefined, { cause: error });
  }
  const results = (reply as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) throw new WebhookError('Webhook reply has no results array', true);
  const byId = new Map<string, { status?: unknown; messageId?: unknown }>();
  for (const r of results as { id?: unknown; status?: unknown; messageId?: unknown }[]) {
    if (r && typeof r.id === 'string' && !byId.has(r.id)) byId.set(r.id, r);
  }
  return batch.map((m) => outcomeOf(m.key, byId.get(m.key)));
}

function outcomeOf(key: string, r: { status?: unknown; messageId?: unknown } | undefined): DeliveryOutcome {
  if (!r) return { key, result: 'retry', status: 'MISSING' };
  switch (r.status as WebhookResultStatus) {
    case 'accepted':
      return { key, result: 'sent', status: 'SUCCESSFUL', messageId: typeof r.messageId === 'string' ? r.messageId : undefined };
    case 'rejected':
      return { key, result: 'suppress', status: 'PERMANENT_FAILURE' };
    case 'opted_out':
      return { key, result: 'suppress', status: 'OPT_OUT' };
    case 'retry':
      return { key, result: 'retry', status: 'TEMPORARY_FAILURE' };
    default:
      return { key, result: 'retry', status: 'UNKNOWN_STATUS' };
  }
}

/** `v1=<hex HMAC-SHA256(secret, "timestamp.body")>`. */
export function signWebhook(secret: string, timestamp: string | number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface VerifyWebhookInput {
  secret: string;
  /** The x-rewake-timestamp header. */
  timestamp: string | null | undefined;
  /** The x-rewake-signature header; several comma-separated `v1=` values are accepted (key rotation). */
  signature: string | null | undefined;
  /** The raw request body, exactly as received. */
  body: string;
  /** How far the timestamp may be from now, either way. @default 300 */
  toleranceSeconds?: number;
  /** Now, in ms since the epoch. @default Date.now() */
  now?: number;
}

/** True when the signature matches the body and timestamp, and the timestamp is within tolerance (replay guard). */
export function verifyWebhookSignature(input: VerifyWebhookInput): boolean {
  const { secret, timestamp, signature, body } = input;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  const nowSeconds = (input.now ?? Date.now()) / 1000;
  if (Math.abs(nowSeconds - Number(timestamp)) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body).slice(3), 'hex');
  return signature.split(',').some((candidate) => {
    const match = /^v1=([0-9a-f]{64})$/i.exec(candidate.trim());
    if (!match) return false;
    const given = Buffer.from(match[1]!, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
