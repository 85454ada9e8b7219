import { describe, it, expect } from 'vitest';
import { EVENT_TYPES, parseEvent, validateBatch, type EventType } from '../../../shared/events/schema';

const AT = '2026-11-25T10:30:00+08:00';

/** One valid example per event type, as an app would POST it. */
const VALID: Record<EventType, Record<string, unknown>> = {
  register: { source: 'miniprogram-ad' },
  login: { platform: 'miniprogram' },
  browse: { sku: 'tea-001', category: 'tea' },
  purchase: {
    orderId: 'order-1',
    amount: 128.5,
    currency: 'CNY',
    items: [
      { sku: 'tea-001', category: 'tea', price: 88.5, quantity: 1 },
      { sku: 'cup-002', category: 'cups', price: 20, quantity: 2 },
    ],
  },
  refund: { orderId: 'order-1', amount: 20, currency: 'CNY', reason: 'broken cup' },
  support_ticket: { ticketId: 'ticket-9', topic: 'quality', severity: 'high' },
  social: { action: 'share', targetId: 'post-7' },
  message_open: { campaign: 'winback', step: 0, messageId: 'msg-1' },
  message_click: { campaign: 'winback', step: 1, url: 'https://shop.example.com/tea?c=wb' },
  coupon_redeem: { couponCode: 'WB-7K2P', orderId: 'order-2' },
  profile: {
    birthday: '1990-03-14',
    timezone: 'Asia/Shanghai',
    locale: 'zh-CN',
    preferredChannel: 'sms',
    channels: { sms: '+8613812345678', email: 'li.lei@example.com', push: null },
    consent: { sms: true, email: false, personalisedRecommendations: false },
    optOut: false,
    tags: ['vip'],
  },
};

const event = (type: string, properties: unknown, extra: Record<string, unknown> = {}) => ({
  eventId: `e-${type}`,
  userId: 'user-1',
  type,
  timestamp: AT,
  properties,
  ...extra,
});

const LIMITS = { maxEventsPerRequest: 500 };

/** The problems of a parse that must fail. */
function problemsOf(raw: unknown) {
  const result = parseEvent(raw);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
  return result.problems;
}

describe('parseEvent', () => {
  it.each(EVENT_TYPES)('accepts a valid %s event', (type) => {
    // Prepare
    const raw = event(type, VALID[type]);

    // Act
    const result = parseEvent(raw);

    // Assess
    expect(result).toEqual({ ok: true, event: expect.objectContaining({ type, eventId: `e-${type}`, userId: 'user-1' }) });
  });

  it('fills the defaults of optional properties: a purchase without items has none', () => {
    // Prepare
    const raw = event('purchase', { orderId: 'order-1', amount: 10, currency: 'CNY' });

    // Act
    const result = parseEvent(raw);

    // Assess
    expect(result.ok && result.event.type === 'purchase' && result.event.properties.items).toEqual([]);
  });

  it('accepts a UTC timestamp written with Z, which is an offset', () => {
    // Prepare / Act
    const result = parseEvent(event('login', {}, { timestamp: '2026-11-25T02:30:00Z' }));

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each(['eventId', 'userId', 'properties'])('reports a missing %s as required', (field) => {
    // Prepare
    const raw: Record<string, unknown> = event('browse', VALID.browse);
    delete raw[field];

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toContainEqual({ field, reason: 'is required' });
  });

  it('reports a missing timestamp as required', () => {
    // Prepare
    const raw: Record<string, unknown> = event('browse', VALID.browse);
    delete raw.timestamp;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([{ field: 'timestamp', reason: 'is required' }]);
  });

  it('reports each missing property of a purchase as required, by its path', () => {
    // Prepare
    const raw = event('purchase', { currency: 'CNY', items: [{ sku: 'tea-001', category: 'tea', quantity: 1 }] });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: 'properties.orderId', reason: 'is required' },
        { field: 'properties.amount', reason: 'is required' },
        { field: 'properties.items.0.price', reason: 'is required' },
      ]),
    );
    expect(problems).toHaveLength(3);
  });

  it('reports a missing social action as required', () => {
    // Prepare
    const raw = event('social', { targetId: 'post-7' });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([{ field: 'properties.action', reason: 'is required' }]);
  });

  it('reports a missing type on the type field', () => {
    // Prepare
    const raw: Record<string, unknown> = event('browse', VALID.browse);
    delete raw.type;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([{ field: 'type', reason: 'is required' }]);
  });

  it('rejects an unknown type on the type field, listing the known types', () => {
    // Prepare / Act
    const problems = problemsOf(event('checkout', { orderId: 'o-1' }));

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe('type');
    expect(problems[0]!.reason).toMatch(/must be one of .*purchase/);
  });

  it('rejects an unknown property as not a recognised field', () => {
    // Prepare / Act
    const problems = problemsOf(event('browse', { ...VALID.browse, colour: 'green' }));

    // Assess
    expect(problems).toEqual([{ field: 'properties.colour', reason: 'is not a recognised field' }]);
  });

  it('rejects an unknown top-level field of an event as not a recognised field', () => {
    // Prepare / Act
    const problems = problemsOf(event('login', {}, { sessionId: 's-1' }));

    // Assess
    expect(problems).toEqual([{ field: 'sessionId', reason: 'is not a recognised field' }]);
  });

  it('rejects a timestamp without an offset, because the local day would be unknown', () => {
    // Prepare / Act
    const problems = problemsOf(event('login', {}, { timestamp: '2026-11-25T10:30:00' }));

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe('timestamp');
    expect(problems[0]!.reason).toMatch(/offset/);
  });

  it('rejects a negative purchase amount and a negative item price', () => {
    // Prepare
    const raw = event('purchase', {
      orderId: 'order-1',
      amount: -5,
      currency: 'CNY',
      items: [{ sku: 'tea-001', category: 'tea', price: -5, quantity: 1 }],
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      { field: 'properties.amount', reason: 'must not be negative' },
      { field: 'properties.items.0.price', reason: 'must not be negative' },
    ]);
  });

  it('rejects an id with characters unsafe for keys and logs', () => {
    // Prepare / Act
    const problems = problemsOf(event('login', {}, { userId: 'user 1' }));

    // Assess
    expect(problems.map((p) => p.field)).toEqual(['userId']);
  });

  it('rejects a phone number that is not E.164 and a malformed email in a profile update', () => {
    // Prepare / Act
    const problems = problemsOf(event('profile', { channels: { sms: '13812345678', email: 'not-an-email' } }));

    // Assess
    expect(problems.map((p) => p.field)).toEqual(['properties.channels.sms', 'properties.channels.email']);
  });

  it('accepts a birthday without a year, written --MM-DD', () => {
    // Prepare / Act
    const result = parseEvent(event('profile', { birthday: '--03-14' }));

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each(['1990-13-01', '03-14', '---03-14'])('rejects the birthday %s', (birthday) => {
    // Prepare / Act
    const problems = problemsOf(event('profile', { birthday }));

    // Assess
    expect(problems).toEqual([{ field: 'properties.birthday', reason: 'must be YYYY-MM-DD or --MM-DD' }]);
  });

  it('rejects an event that is not an object', () => {
    // Prepare / Act
    const problems = problemsOf('login');

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe('(event)');
  });
});

describe('validateBatch', () => {
  it('returns every event of a valid batch, in order', () => {
    // Prepare
    const body = { events: [event('login', VALID.login), event('browse', VALID.browse), event('purchase', VALID.purchase)] };

    // Act
    const result = validateBatch(body, LIMITS);

    // Assess
    expect(result.ok && result.events.map((e) => e.type)).toEqual(['login', 'browse', 'purchase']);
  });

  it.each([
    ['null', null],
    ['an array', [event('login', {})]],
    ['a string', '{"events": []}'],
  ])('rejects a body that is %s as a whole', (_label, body) => {
    // Prepare / Act
    const result = validateBatch(body, LIMITS);

    // Assess
    expect(result).toEqual({ ok: false, problems: [{ index: null, field: '(body)', reason: expect.stringMatching(/JSON object/) }] });
  });

  it('rejects a body whose events is not an array', () => {
    // Prepare / Act
    const result = validateBatch({ events: event('login', {}) }, LIMITS);

    // Assess
    expect(result).toEqual({ ok: false, problems: [{ index: null, field: 'events', reason: 'must be an array of events' }] });
  });

  it('rejects an empty batch', () => {
    // Prepare / Act
    const result = validateBatch({ events: [] }, LIMITS);

    // Assess
    expect(result).toEqual({ ok: false, problems: [{ index: null, field: 'events', reason: 'must contain at least one event' }] });
  });

  it('rejects a batch with more events than the limit, naming the limit', () => {
    // Prepare
    const body = { events: [event('login', {}), event('login', {}), event('login', {})] };

    // Act
    const result = validateBatch(body, { maxEventsPerRequest: 2 });

    // Assess
    expect(result).toEqual({ ok: false, problems: [{ index: null, field: 'events', reason: 'must contain at most 2 events' }] });
  });

  it('rejects an unknown field next to events', () => {
    // Prepare / Act
    const result = validateBatch({ events: [event('login', {})], source: 'app' }, LIMITS);

    // Assess
    expect(result).toEqual({ ok: false, problems: [{ index: null, field: 'source', reason: 'is not a recognised field' }] });
  });

  it('rejects the whole batch and lists every problem with its index when several events are bad', () => {
    // Prepare
    const noOffset = event('login', {}, { timestamp: '2026-11-25T10:30:00' });
    const unknownType = event('wishlist', {});
    const negativeRefund = event('refund', { orderId: 'order-1', amount: -3 });
    const body = { events: [event('login', {}), noOffset, event('browse', VALID.browse), unknownType, negativeRefund] };

    // Act
    const result = validateBatch(body, LIMITS);

    // Assess
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((p) => [p.index, p.field])).toEqual([
      [1, 'timestamp'],
      [3, 'type'],
      [4, 'properties.amount'],
    ]);
  });
});
