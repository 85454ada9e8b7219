/**
 * The ingest contract: what apps may POST to /v1/events. One request is a batch
 * `{"events": [...]}`; each event has a client-generated `eventId` (the idempotency key), a
 * `userId`, a `type`, an ISO-8601 `timestamp` with offset, and per-type `properties`.
 *
 * Validation is the schema's job (zod), not hand-written checks; `validateBatch` turns every
 * problem into {index, field, reason} so a client can fix its whole request in one go.
 */
import { z } from 'zod';
import { isTimeZone } from '../clock';
import type { FieldProblem } from '../errors';

/** Ids are opaque to us but printable and bounded, so they are safe as DynamoDB keys and in logs. */
const id = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@\-]*$/, 'may contain only letters, digits and . _ : @ -');

const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const money = z
  .number()
  .finite('must be a finite number')
  .min(0, 'must not be negative')
  .max(100_000_000, 'is implausibly large');

const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY');

/** ISO-8601 with an explicit offset, so the user's local day is known (same-day purchases merge). */
const timestamp = z.iso.datetime({ offset: true, local: false, message: 'must be ISO-8601 with an offset, e.g. 2026-11-25T10:30:00+08:00' });

const campaignRef = {
  campaign: text(64),
  step: z.number().int().min(0).max(100),
  messageId: text(256).optional(),
};

const channelKinds = ['push', 'sms', 'email', 'webhook'] as const;

/** E.164, e.g. +8613812345678. */
const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +8613812345678');
const email = z.email('must be an email address').max(254);

const properties = {
  register: z.object({ source: text(64).optional() }).strict(),
  login: z.object({ platform: z.enum(['web', 'ios', 'android', 'miniprogram', 'pos', 'other']).optional() }).strict(),
  browse: z.object({ sku: text(64), category: text(64) }).strict(),
  purchase: z
    .object({
      orderId: text(64),
      amount: money,
      currency,
      items: z
        .array(
          z
            .object({
              sku: text(64),
              category: text(64),
              price: money,
              quantity: z.number().int('must be a whole number').min(1).max(100_000),
            })
            .strict(),
        )
        .max(200, 'at most 200 items per order')
        .default([]),
    })
    .strict(),
  refund: z.object({ orderId: text(64), amount: money, currency: currency.optional(), reason: text(256).optional() }).strict(),
  support_ticket: z
    .object({
      ticketId: text(64),
      topic: z.enum(['delivery', 'quality', 'payment', 'account', 'other']).default('other'),
      severity: z.enum(['low', 'medium', 'high']).default('medium'),
    })
    .strict(),
  social: z.object({ action: z.enum(['like', 'comment', 'share', 'follow']), targetId: text(64).optional() }).strict(),
  message_open: z.object(campaignRef).strict(),
  message_click: z.object({ ...campaignRef, url: z.url().max(2048).optional() }).strict(),
  coupon_redeem: z.object({ couponCode: text(64), orderId: text(64).optional() }).strict(),
  profile: z
    .object({
      /** YYYY-MM-DD, or --MM-DD when the year is not shared. */
      birthday: z
        .string()
        .regex(/^(\d{4}-|--)(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be YYYY-MM-DD or --MM-DD')
        .optional(),
      timezone: z
        .string()
        .max(64)
        .refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai')
        .optional(),
      locale: z.enum(['zh-CN', 'en']).optional(),
      preferredChannel: z.enum(channelKinds).optional(),
      /** Where to reach the user. null removes an address. */
      channels: z
        .object({
          sms: phone.nullable().optional(),
          email: email.nullable().optional(),
          push: text(4096).nullable().optional(),
          webhook: text(256).nullable().optional(),
        })
        .strict()
        .optional(),
      /** Marketing consent per channel (PIPL Art. 13/15): absent means unchanged, false withdraws. */
      consent: z
        .object({
          sms: z.boolean().optional(),
          email: z.boolean().optional(),
          push: z.boolean().optional(),
          webhook: z.boolean().optional(),
          /** PIPL Art. 24: the user may refuse personalised recommendations. */
          personalisedRecommendations: z.boolean().optional(),
        })
        .strict()
        .optional(),
      /** Global marketing opt-out: true stops every marketing message, whatever the channel consent. */
      optOut: z.boolean().optional(),
      tags: z.array(text(32)).max(50).optional(),
    })
    .strict(),
} as const;

export const EVENT_TYPES = Object.keys(properties) as EventType[];
export type EventType = keyof typeof properties;

const base = { eventId: id, userId: id, timestamp };

const eventSchema = z.discriminatedUnion(
  'type',
  EVENT_TYPES.map((type) => z.object({ ...base, type: z.literal(type), properties: properties[type] }).strict()) as unknown as [
    z.ZodObject,
    ...z.ZodObject[],
  ],
);

type PropertiesOf<T extends EventType> = z.output<(typeof properties)[T]>;

/** A validated event. `properties` is typed by `type`. */
export type RewakeEvent = {
  [T in EventType]: { eventId: string; userId: string; type: T; timestamp: string; properties: PropertiesOf<T> };
}[EventType];

export type EventOf<T extends EventType> = Extract<RewakeEvent, { type: T }>;

export interface BatchLimits {
  maxEventsPerRequest: number;
  /** Bytes of one event's JSON; unlimited when absent. */
  maxEventBytes?: number;
}

export type BatchValidation = { ok: true; events: RewakeEvent[] } | { ok: false; problems: FieldProblem[] };

/**
 * Validates a parsed request body. Either every event is valid, or the whole request is rejected
 * with every problem listed, so a client never has to guess which half was stored.
 */
export function validateBatch(body: unknown, limits: BatchLimits): BatchValidation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ index: null, field: '(body)', reason: 'must be a JSON object {"events": [...]}' }] };
  }
  const events = (body as { events?: unknown }).events;
  const extra = Object.keys(body).filter((k) => k !== 'events');
  const problems: FieldProblem[] = extra.map((k) => ({ index: null, field: k, reason: 'is not a recognised field' }));
  if (!Array.isArray(events)) {
    problems.push({ index: null, field: 'events', reason: 'must be an array of events' });
    return { ok: false, problems };
  }
  if (events.length === 0) problems.push({ index: null, field: 'events', reason: 'must contain at least one event' });
  if (events.length > limits.maxEventsPerRequest) {
    problems.push({ index: null, field: 'events', reason: `must contain at most ${limits.maxEventsPerRequest} events` });
    return { ok: false, problems };
  }
  const valid: RewakeEvent[] = [];
  events.forEach((raw, index) => {
    const result = parseEvent(raw);
    if (!result.ok) {
      problems.push(...result.problems.map((p) => ({ ...p, index })));
      return;
    }
    // Field limits name the field; this catches events whose fields are each fine but add up.
    const bytes = limits.maxEventBytes === undefined ? 0 : Buffer.byteLength(JSON.stringify(result.event), 'utf8');
    if (limits.maxEventBytes !== undefined && bytes > limits.maxEventBytes) {
      problems.push({ index, field: '(event)', reason: `is ${bytes} bytes; the limit is ${limits.maxEventBytes}` });
      return;
    }
    valid.push(result.event);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, events: valid };
}

type EventParse = { ok: true; event: RewakeEvent } | { ok: false; problems: Omit<FieldProblem, 'index'>[] };

export function parseEvent(raw: unknown): EventParse {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const type = (raw as { type?: unknown }).type;
    if (type === undefined) return { ok: false, problems: [{ field: 'type', reason: 'is required' }] };
    if (typeof type !== 'string' || !(EVENT_TYPES as string[]).includes(type)) {
      return { ok: false, problems: [{ field: 'type', reason: `must be one of ${EVENT_TYPES.join(', ')}` }] };
    }
  }
  const result = eventSchema.safeParse(raw);
  if (result.success) return { ok: true, event: result.data as RewakeEvent };
  return {
    ok: false,
    problems: result.error.issues.flatMap((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), reason: 'is not a recognised field' }));
      }
      const missing = valueAt(raw, issue.path) === undefined;
      return [{ field: issue.path.join('.') || '(event)', reason: missing ? 'is required' : reasonOf(issue) }];
    }),
  };
}

function reasonOf(issue: z.core.$ZodIssue): string {
  return issue.code === 'invalid_type' ? `must be a ${issue.expected}` : issue.message;
}

/** The raw input at a zod issue's path: undefined there means the field is missing. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
