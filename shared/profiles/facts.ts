/**
 * A fact is the part of an event a profile needs, small enough to keep for good after the raw
 * event expires. Profiles are a pure fold over a user's facts (see aggregate.ts), which is what
 * makes ingest exactly-once and order-independent without transactions (docs/design.md).
 */
import type { EventType, RewakeEvent } from '../events/schema';

export interface Fact {
  /** eventId: the idempotency key. */
  id: string;
  type: EventType;
  /** Event time, epoch milliseconds. */
  t: number;
  /** The user's local calendar day (from the timestamp's own offset): purchases on one day merge. */
  day: string;
  /** Type-specific details, trimmed: purchases keep amount, order and the categories/skus bought. */
  p: Record<string, unknown>;
}

export function toFact(event: RewakeEvent): Fact {
  const base = { id: event.eventId, type: event.type, t: Date.parse(event.timestamp), day: localDay(event.timestamp) };
  if (event.type === 'purchase') {
    const { orderId, amount, currency, items } = event.properties;
    return {
      ...base,
      p: {
        orderId,
        amount,
        currency,
        categories: unique(items.map((i) => i.category)),
        skus: unique(items.map((i) => i.sku)).slice(0, 50),
      },
    };
  }
  return { ...base, p: { ...event.properties } };
}

/** "2026-11-25T23:30:00+08:00" → "2026-11-25": the date as the user's clock showed it. */
export function localDay(isoWithOffset: string): string {
  return isoWithOffset.slice(0, 10);
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
