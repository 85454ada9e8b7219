/**
 * Every delivery channel sits behind this one interface, so the sender neither knows nor cares
 * whether a message leaves through Pinpoint, SES, End User Messaging SMS or a webhook.
 */
import type { Channel } from '../config';

export interface OutgoingMessage {
  /** Unique within one send call: ties the per-address result back to the ledger. */
  key: string;
  userId: string;
  campaign: string;
  step: number;
  channel: Channel;
  /** Phone number, email or device token: personal information, never logged. */
  address: string;
  title: string;
  body: string;
  /** Recommended skus, best first: for providers that carry structured data (app push, webhook). */
  recommendations?: string[];
}

/**
 * Per-message outcome, in Pinpoint's vocabulary (DESIGN "Channels"): `retry` goes back through
 * the queue, `suppress` stops this address (permanent failure or opt-out), `sent` includes
 * the provider's DUPLICATE.
 */
export type DeliveryOutcome =
  | { key: string; result: 'sent'; messageId?: string; status: string }
  | { key: string; result: 'retry'; status: string }
  | { key: string; result: 'suppress'; status: string };

export interface DeliveryChannel {
  /** Which of the user's channels this provider can deliver. */
  readonly channels: readonly Channel[];
  /** Sends in as few provider calls as the provider allows; throws only when nothing was accepted. */
  send(messages: OutgoingMessage[]): Promise<DeliveryOutcome[]>;
}
