/**
 * Property-based robustness of the ingest API: the real handler on the embedded DynamoDB, fed
 * malformed bodies, wrong types, missing fields, oversized strings and numbers, odd unicode and
 * injection-looking ids. The contract (DESIGN "Events"): bad input gets a 4xx, never a 5xx and never
 * a 202; the whole request is rejected with every problem listed as {index, field, reason}; and
 * nothing is stored.
 *
 * "Nothing is stored" is checked twice: per run, the exact keys the batch would have written (raw
 * events, day buckets, profiles) are read back; per test, both tables are scanned for any user
 * other than the few the positive controls stored on purpose (user ids starting `ok-`).
 */
import { BatchGetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/ingest/handler';
import type { LocalRuntime } from '../../infra/local/runtime';
import { defaultConfig } from '../../shared/config';
import type { FieldProblem } from '../../shared/errors';
import { EVENT_TYPES, validateBatch, type EventType } from '../../shared/events/schema';
import { documentClient } from '../../shared/store/dynamo';
import { apiEvent, context, settle, startTestRuntime } from './helpers';

const LIMITS = defaultConfig().events;
/** The contract's id rule, restated so a generated "bad" id can be checked to really be bad. */
const VALID_ID = /^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}$/;
/** Bounded runs: the whole file stays well under 20 s on a busy two-core machine. */
const RUNS = { handler: 100, pure: 300, writes: 15 } as const;

let runtime: LocalRuntime;
/** Users the positive controls stored on purpose; every other user must have left no trace. */
const acceptedUsers = new Set<string>();

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => runtime?.stop());

// ---------------------------------------------------------------------------------------------
// Calling the handler and looking at the tables

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Response {
  statusCode: number;
  body: { problems?: FieldProblem[]; accepted?: number; duplicates?: number };
}

async function postRaw(body: string, opts: { contentType?: string | null; base64?: boolean } = {}): Promise<Response> {
  const rawBody = opts.base64 ? Buffer.from(body, 'utf8').toString('base64') : body;
  const event = apiEvent('POST', '/v1/events', { rawBody, contentType: opts.contentType });
  event.isBase64Encoded = opts.base64 ?? false;
  const res = await handler(event, context());
  return { statusCode: res.statusCode, body: JSON.parse(res.body) as Response['body'] };
}

const tables = () => ({ events: process.env.EVENTS_TABLE!, profiles: process.env.PROFILES_TABLE!, sends: process.env.SENDS_TABLE! });

/** A string DynamoDB would take as a key (well-formed, non-empty, within the key size limit). */
const keyable = (s: unknown, maxBytes: number): s is string =>
  typeof s === 'string' && s.length > 0 && Buffer.byteLength(s) <= maxBytes && Buffer.from(s, 'utf8').toString('utf8') === s;

/** Reads back every item a batch could have written: its raw events, facts and profiles. */
async function expectNotStored(events: unknown[]): Promise<void> {
  const eventKeys = new Map<string, { userId: string; sk: string }>();
  const profileKeys = new Map<string, { userId: string }>();
  for (const e of events) {
    if (typeof e !== 'object' || e === null) continue;
    const { userId, eventId } = e as Record<string, unknown>;
    if (!keyable(userId, 2048)) continue;
    profileKeys.set(userId, { userId });
    const sks = keyable(eventId, 1000) ? [`E#${eventId}`, `F#${eventId}`] : [];
    for (const sk of sks) if (sk) eventKeys.set(`${userId}\u0000${sk}`, { userId, sk });
  }
  if (profileKeys.size === 0) return;
  const { events: eventsTable, profiles } = tables();
  const out = await documentClient().send(
    new BatchGetCommand({
      RequestItems: {
        ...(eventKeys.size > 0 ? { [eventsTable]: { Keys: [...eventKeys.values()] } } : {}),
        [profiles]: { Keys: [...profileKeys.values()] },
      },
    }),
  );
  expect(out.UnprocessedKeys ?? {}).toEqual({});
  expect([...(out.Responses?.[eventsTable] ?? []), ...(out.Responses?.[profiles] ?? [])]).toEqual([]);
}

async function usersIn(table: string): Promise<string[]> {
  const users: string[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(new ScanCommand({ TableName: table, ProjectionExpression: 'userId', ExclusiveStartKey }));
    for (const item of page.Items ?? []) users.push(item.userId as string);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return users;
}

/** Scans the events and profiles tables (and the sends ledger): only the controls' users are there. */
async function expectNothingStoredBeyondControls(): Promise<void> {
  const { events, profiles, sends } = tables();
  for (const table of [events, profiles, sends]) {
    const strangers = (await usersIn(table)).filter((u) => !acceptedUsers.has(u));
    expect({ table, strangers }).toEqual({ table, strangers: [] });
  }
}

/** The request was rejected whole: a 4xx with problems, no 202, no 5xx. */
function expectRejected(res: Response, statuses: number[] = [400]): FieldProblem[] {
  expect(statuses).toContain(res.statusCode);
  const problems = res.body.problems ?? [];
  expect(problems.length).toBeGreaterThan(0);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Valid events, one arbitrary per type

const record = { noNullPrototype: true } as const;
const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,15}$/);
/** Printable ASCII text, within every text field's limit. */
const textArb = fc.string({ minLength: 1, maxLength: 12 });
const moneyArb = fc.integer({ min: 0, max: 10_000_000_000 }).map((cents) => cents / 100);
const currencyArb = fc.constantFrom('CNY', 'GBP', 'USD', 'JPY');
const OFFSETS = ['+08:00', '+00:00', '-05:00', '+05:45', '-12:00', '+14:00', 'Z'] as const;
const timestampArb = fc
  .record({ t: fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2030-12-31') }), offset: fc.constantFrom(...OFFSETS), millis: fc.boolean() })
  .map(({ t, offset, millis }) => {
    const minutes = offset === 'Z' ? 0 : (offset[0] === '-' ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
    return new Date(t + minutes * 60_000).toISOString().slice(0, millis ? 23 : 19) + offset;
  });
const itemArb = fc.record({ sku: textArb, category: textArb, price: moneyArb, quantity: fc.integer({ min: 1, max: 100_000 }) }, record);
const phoneArb = fc.stringMatching(/^\+[1-9]\d{6,14}$/);
const emailArb = fc.stringMatching(/^[a-z0-9]{1,10}$/).map((local) => `${local}@example.com`);
const birthdayArb = fc
  .record({ year: fc.option(fc.integer({ min: 1920, max: 2020 }), { nil: undefined }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 28 }) })
  .map(({ year, month, day }) => `${year ?? '-'}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
const campaign = { campaign: textArb, step: fc.integer({ min: 0, max: 100 }), messageId: textArb };

const PROPERTIES: Record<EventType, fc.Arbitrary<JsonObject>> = {
  register: fc.record({ source: textArb }, { ...record, requiredKeys: [] }),
  login: fc.record({ platform: fc.constantFrom('web', 'ios', 'android', 'miniprogram', 'pos', 'other') }, { ...record, requiredKeys: [] }),
  browse: fc.record({ sku: textArb, category: textArb }, record),
  purchase: fc.record(
    { orderId: textArb, amount: moneyArb, currency: currencyArb, items: fc.array(itemArb, { maxLength: 3 }) },
    { ...record, requiredKeys: ['orderId', 'amount', 'currency'] },
  ),
  refund: fc.record({ orderId: textArb, amount: moneyArb, currency: currencyArb, reason: textArb }, { ...record, requiredKeys: ['orderId', 'amount'] }),
  support_ticket: fc.record(
    { ticketId: textArb, topic: fc.constantFrom('delivery', 'quality', 'payment', 'account', 'other'), severity: fc.constantFrom('low', 'medium', 'high') },
    { ...record, requiredKeys: ['ticketId'] },
  ),
  social: fc.record({ action: fc.constantFrom('like', 'comment', 'share', 'follow'), targetId: textArb }, { ...record, requiredKeys: ['action'] }),
  message_open: fc.record(campaign, { ...record, requiredKeys: ['campaign', 'step'] }),
  message_click: fc.record(
    { ...campaign, url: fc.constantFrom('https://shop.example.com/tea?c=wb', 'http://example.cn/a/b#c') },
    { ...record, requiredKeys: ['campaign', 'step'] },
  ),
  coupon_redeem: fc.record({ couponCode: textArb, orderId: textArb }, { ...record, requiredKeys: ['couponCode'] }),
  profile: fc.record(
    {
      birthday: birthdayArb,
      timezone: fc.constantFrom('Asia/Shanghai', 'UTC', 'Europe/London', 'America/New_York'),
      locale: fc.constantFrom('zh-CN', 'en'),
      preferredChannel: fc.constantFrom('push', 'sms', 'email', 'webhook'),
      channels: fc.record(
        { sms: fc.option(phoneArb, { nil: null }), email: fc.option(emailArb, { nil: null }), push: fc.option(textArb, { nil: null }), webhook: fc.option(textArb, { nil: null }) },
        { ...record, requiredKeys: [] },
      ),
      consent: fc.record(
        { sms: fc.boolean(), email: fc.boolean(), push: fc.boolean(), webhook: fc.boolean(), personalisedRecommendations: fc.boolean() },
        { ...record, requiredKeys: [] },
      ),
      optOut: fc.boolean(),
      tags: fc.array(textArb, { maxLength: 3 }),
    },
    { ...record, requiredKeys: [] },
  ) as fc.Arbitrary<JsonObject>,
};

/** Required properties per type, and of each purchase item: deleting one must be a problem. */
const REQUIRED: Record<EventType, string[]> = {
  register: [],
  login: [],
  browse: ['sku', 'category'],
  purchase: ['orderId', 'amount', 'currency'],
  refund: ['orderId', 'amount'],
  support_ticket: ['ticketId'],
  social: ['action'],
  message_open: ['campaign', 'step'],
  message_click: ['campaign', 'step'],
  coupon_redeem: ['couponCode'],
  profile: [],
};
const ITEM_REQUIRED = ['sku', 'category', 'price', 'quantity'];
const NUMERIC_TYPES: EventType[] = ['purchase', 'refund', 'message_open', 'message_click'];

const eventArb = (userPrefix: string, types: readonly EventType[] = EVENT_TYPES) =>
  fc.constantFrom(...types).chain((type) =>
    fc.record({ eventId: idArb, userId: idArb.map((u) => `${userPrefix}${u}`), type: fc.constant(type), timestamp: timestampArb, properties: PROPERTIES[type] }, record),
  ) as fc.Arbitrary<JsonObject>;

const batchArb = (userPrefix: string) => fc.array(eventArb(userPrefix), { minLength: 1, maxLength: 6 });

// ---------------------------------------------------------------------------------------------
// One-field mutations

type Path = (string | number)[];
/** Stands in for a number literal JSON.stringify cannot write (1e999, -0, 30-digit integers). */
const RAW = 'RAW-NUMBER-LITERAL-5f0c';

interface Mutation {
  kind: string;
  path: Path;
  /** The replacement value; absent with `remove`. */
  value?: Json;
  remove?: boolean;
  /** Spliced into the body text where `value` is RAW. */
  raw?: string;
  /** The field the problem list must name. */
  field: string;
}

function nodesOf(value: Json, path: Path = []): { path: Path; value: Json }[] {
  const out = path.length > 0 ? [{ path, value }] : [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...nodesOf(v, [...path, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...nodesOf(v, [...path, k]));
  return out;
}

function applyMutation(event: JsonObject, m: Mutation): Json {
  if (m.path.length === 0) return m.value ?? null;
  const copy = structuredClone(event);
  let parent: Json = copy;
  for (const step of m.path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[step]!;
  const last = m.path[m.path.length - 1]!;
  if (m.remove) delete (parent as Record<string | number, Json>)[last];
  else (parent as Record<string | number, Json>)[last] = m.value!;
  return copy;
}

const fieldOf = (path: Path) => path.join('.');

/** A value of a type the schema never accepts where `value` stands (null stays out for strings: channels take null). */
function wrongTypesFor(value: Json): Json[] {
  if (typeof value === 'string') return [42, true, [], {}];
  if (typeof value === 'number') return ['12', true, null, [], {}];
  if (typeof value === 'boolean') return ['true', 1, null, [], {}];
  if (value === null) return [42, true, [], {}];
  if (Array.isArray(value)) return ['x', 1, null, {}];
  return ['x', 1, null, []];
}

const ODD_CHARS = [
  '\uD800', '\uDFFF', '\uDBFF', // lone surrogates
  '\u200F', '\u202E', '\u061C', // RTL marks and override
  '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', // zero-width
  '\u{1F642}', '\u{1F44D}\u{1F3FD}', '\u{1F1E8}\u{1F1F3}', // emoji, skin tone, flag
  '\u0000', '\u0007', '\n', '\t', ' ', // NUL, control, whitespace
  '\uFF21', '\u0430', 'e\u0301', // full-width A, Cyrillic a, combining accent
] as const;

const INJECTIONS = [
  "' OR 1=1 --", '" OR ""="', "'; DROP TABLE events; --", '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
  '../../etc/passwd', '..\\..\\windows\\win.ini', '/etc/passwd', '#', ':', '@', '.', '-', '_x', 'E#evt-1', 'D#2026-01-01', 'u#D#2026-01-01',
  '${jndi:ldap://x/a}', '{"$ne":null}', '$where', '%00', '%2e%2e%2f', 'a b', 'line\nbreak', 'trailing\n', '', ' ', '\u0000',
  'x'.repeat(129), 'u'.repeat(2049),
] as const;

const injectionIdArb = fc
  .tuple(fc.constantFrom('', 'u1', 'user.42'), fc.constantFrom(...INJECTIONS), fc.constantFrom('', 'z'))
  .map(([prefix, payload, suffix]) => prefix + payload + suffix)
  .filter((id) => !VALID_ID.test(id));

const oddUnicodeIdArb = fc
  .tuple(idArb, fc.constantFrom(...ODD_CHARS), fc.nat())
  .map(([id, ch, at]) => {
    const pos = at % (id.length + 1);
    return id.slice(0, pos) + ch + id.slice(pos);
  });

/** Strings beyond every text limit (the largest is 4096), in plain and odd characters. */
const hugeStringArb = fc
  .tuple(fc.constantFrom('x', 'é', '中', ...ODD_CHARS), fc.integer({ min: 4097, max: 12_000 }))
  .map(([ch, n]) => ch.repeat(n));

/** Numbers no numeric field accepts (amount and price ≤ 1e8 and ≥ 0; quantity 1..1e5 whole; step 0..100 whole). */
const BAD_NUMBERS = ['1e308', '-1e308', '1e999', '-1e999', '-1', '-5e-324', '123456789012345678901234567890', '100000001', '1.7976931348623157e308'];
const BAD_NUMBERS_BY_KEY: Record<string, string[]> = { quantity: ['-0', '0', '1.5', '9007199254740993'], step: ['0.5', '101', '-0.1'] };

const MUTATIONS = {
  'wrong type': (event: JsonObject) =>
    fc.constantFrom(...nodesOf(event)).chain(({ path, value }) =>
      fc.constantFrom(...wrongTypesFor(value)).map((v): Mutation => ({ kind: 'wrong type', path, value: v, field: fieldOf(path) })),
    ),
  'not an object': () => fc.constantFrom<Json>(null, 42, 'event', [], true, [{}]).map((v): Mutation => ({ kind: 'not an object', path: [], value: v, field: '(event)' })),
  'missing field': (event: JsonObject) => {
    const type = event.type as EventType;
    const props = event.properties as JsonObject;
    const items = (Array.isArray(props.items) ? props.items : []) as Json[];
    const required: Path[] = [
      ...['eventId', 'userId', 'type', 'timestamp', 'properties'].map((k) => [k]),
      ...REQUIRED[type].map((k) => ['properties', k]),
      ...items.flatMap((_, i) => ITEM_REQUIRED.map((k) => ['properties', 'items', i, k])),
    ];
    return fc.constantFrom(...required).map((path): Mutation => ({ kind: 'missing field', path, remove: true, field: fieldOf(path) }));
  },
  'unknown field': (event: JsonObject) => {
    const objects = [{ path: [] as Path }, ...nodesOf(event).filter(({ value }) => value !== null && typeof value === 'object' && !Array.isArray(value))];
    return fc
      .tuple(fc.constantFrom(...objects), fc.stringMatching(/^[a-zA-Z]{1,8}$/))
      .map(([{ path }, key]): Mutation => ({ kind: 'unknown field', path: [...path, `x_${key}`], value: 'surplus', field: fieldOf([...path, `x_${key}`]) }));
  },
  'huge string': (event: JsonObject) =>
    fc
      .tuple(fc.constantFrom(...nodesOf(event).filter(({ value }) => typeof value === 'string')), hugeStringArb)
      .map(([{ path }, value]): Mutation => ({ kind: 'huge string', path, value, field: fieldOf(path) })),
  'bad number': (event: JsonObject) =>
    fc.constantFrom(...nodesOf(event).filter(({ value }) => typeof value === 'number')).chain(({ path }) =>
      fc
        .constantFrom(...BAD_NUMBERS, ...(BAD_NUMBERS_BY_KEY[String(path[path.length - 1])] ?? []))
        .map((raw): Mutation => ({ kind: 'bad number', path, value: RAW, raw, field: fieldOf(path) })),
    ),
  'odd unicode id': () =>
    fc
      .tuple(fc.constantFrom('eventId', 'userId'), oddUnicodeIdArb)
      .map(([key, value]): Mutation => ({ kind: 'odd unicode id', path: [key], value, field: key })),
  'injection id': () =>
    fc.tuple(fc.constantFrom('eventId', 'userId'), injectionIdArb).map(([key, value]): Mutation => ({ kind: 'injection id', path: [key], value, field: key })),
} satisfies Record<string, (event: JsonObject) => fc.Arbitrary<Mutation>>;

type MutationKind = keyof typeof MUTATIONS;

interface MutatedBatch {
  /** The valid batch, before the mutation. */
  valid: JsonObject[];
  index: number;
  mutation: Mutation;
  events: Json[];
  body: string;
}

/** A valid batch with exactly one field of one event (at `index`) made invalid. */
function mutatedBatchArb(kinds: readonly MutationKind[], userPrefix = 'rej-'): fc.Arbitrary<MutatedBatch> {
  return fc.constantFrom(...kinds).chain((kind) =>
    fc
      .record({
        others: fc.array(eventArb(userPrefix), { maxLength: 4 }),
        target: eventArb(userPrefix, kind === 'bad number' ? NUMERIC_TYPES : EVENT_TYPES),
        at: fc.nat(),
      })
      .chain(({ others, target, at }) =>
        MUTATIONS[kind](target).map((mutation) => {
          const index = at % (others.length + 1);
          const valid = [...others.slice(0, index), target, ...others.slice(index)];
          const events = valid.map((e, i) => (i === index ? applyMutation(e, mutation) : e));
          let body = JSON.stringify({ events });
          if (mutation.raw !== undefined) body = body.replace(JSON.stringify(RAW), mutation.raw);
          return { valid, index, mutation, events, body };
        }),
      ),
  );
}

/** The request is rejected whole, every problem is about event `index`, one of them names the field. */
async function expectRejectedAtIndex({ body, index, mutation, events }: MutatedBatch): Promise<void> {
  const res = await postRaw(body);
  const problems = expectRejected(res);
  expect(problems.filter((p) => p.index !== index)).toEqual([]);
  expect(problems.map((p) => p.field)).toContain(mutation.field);
  // The handler reports exactly what the validator finds, nothing lost on the way.
  const direct = validateBatch(JSON.parse(body), LIMITS);
  expect(direct.ok ? [] : direct.problems).toEqual(problems);
  await expectNotStored(events);
}

// ---------------------------------------------------------------------------------------------

describe('the generators these properties start from', () => {
  it('produce batches the validator accepts, so every rejection below is caused by the mutation', () => {
    fc.assert(
      fc.property(batchArb('rej-'), (events) => {
        const result = validateBatch(JSON.parse(JSON.stringify({ events })), LIMITS);
        expect(result.ok ? [] : result.problems).toEqual([]);
      }),
      { numRuns: RUNS.pure },
    );
  });

  it('produce batches the handler accepts and stores, so the 4xx answers below are not vacuous', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1e9 }), batchArb('ok-'), async (salt, batch) => {
        // A fresh user per run, so one run's events cannot be another run's duplicates.
        const events = batch.map((e) => ({ ...e, userId: `${e.userId as string}.${salt}` }));
        for (const e of events) acceptedUsers.add(e.userId);

        const res = await postRaw(JSON.stringify({ events }));

        expect(res.statusCode).toBe(202);
        expect((res.body.accepted ?? 0) + (res.body.duplicates ?? 0)).toBe(events.length);
      }),
      { numRuns: RUNS.writes },
    );
    await settle(runtime);
    expect((await usersIn(tables().profiles)).filter((u) => acceptedUsers.has(u)).length).toBe(acceptedUsers.size);
  });
});

describe('POST /v1/events with a malformed body', () => {
  it('answers 400 to any JSON value that is not a batch of events, and stores nothing', async () => {
    const bodies = fc.oneof(
      fc.jsonValue(),
      fc.record({ events: fc.jsonValue() }),
      fc.record({ events: fc.array(fc.jsonValue(), { minLength: 1, maxLength: 5 }) }),
      fc.dictionary(fc.string(), fc.jsonValue()),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (value) => {
        const res = await postRaw(JSON.stringify(value));
        expectRejected(res);
        if (Array.isArray((value as { events?: unknown } | null)?.events)) await expectNotStored((value as { events: unknown[] }).events);
      }),
      { numRuns: RUNS.handler },
    );
    await expectNothingStoredBeyondControls();
  });

  it('answers 4xx to any string body under any content type, plain or base64, and stores nothing', async () => {
    const SPECIAL = ['', ' ', '\n', 'null', 'true', '0', '""', '{}', '[]', '{', '[', '{"events":', '{"events":[', 'NaN', 'undefined', '\uFEFF{"events":[]}', '{"events":[]}garbage'];
    const contentTypes = fc.constantFrom<string | null>('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/problem+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', null);
    const strings = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ maxLength: 200 }), fc.constantFrom(...SPECIAL));
    await fc.assert(
      fc.asyncProperty(strings, contentTypes, fc.boolean(), async (body, contentType, base64) => {
        const res = await postRaw(body, { contentType, base64 });
        expectRejected(res, [400, 413, 415]);
      }),
      { numRuns: RUNS.handler },
    );
    await expectNothingStoredBeyondControls();
  });

  it('answers 400 to a valid batch cut short anywhere or followed by garbage, and stores nothing', async () => {
    const GARBAGE = ['}', ']', ',', ',{}', '{"events":[]}', 'x', '\u0000', ' ,', '//', '/* */'];
    await fc.assert(
      fc.asyncProperty(batchArb('rej-'), fc.nat(), fc.option(fc.constantFrom(...GARBAGE), { nil: undefined }), async (events, cut, garbage) => {
        const whole = JSON.stringify({ events });
        const body = garbage === undefined ? whole.slice(0, cut % whole.length) : whole + garbage;

        const problems = expectRejected(await postRaw(body));

        expect(problems).toEqual([expect.objectContaining({ index: null, field: '(body)' })]);
        await expectNotStored(events);
      }),
      { numRuns: RUNS.handler },
    );
    await expectNothingStoredBeyondControls();
  });

  it('answers 400 to NaN, Infinity and other number literals JSON does not allow, and stores nothing', async () => {
    const NOT_JSON = ['NaN', '-NaN', 'Infinity', '-Infinity', '+1', '01', '-01', '1.', '.5', '0x10', '1e', '--1', '1_000', 'undefined', '١'];
    await fc.assert(
      fc.asyncProperty(mutatedBatchArb(['bad number']), fc.constantFrom(...NOT_JSON), async (batch, literal) => {
        const body = JSON.stringify({ events: batch.events }).replace(JSON.stringify(RAW), literal);
        const problems = expectRejected(await postRaw(body));
        expect(problems).toEqual([expect.objectContaining({ index: null, field: '(body)' })]);
        await expectNotStored(batch.events);
      }),
      { numRuns: RUNS.handler },
    );
    await expectNothingStoredBeyondControls();
  });

  it('rejects every top-level shape other than {"events": [...]} with request-level problems, and stores nothing', async () => {
    const shapes = fc.tuple(batchArb('rej-'), fc.nat(), fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== 'events')).map(([events, pick, key]) => {
      const first = events[0]!;
      const tooMany = Array.from({ length: LIMITS.maxEventsPerRequest + 1 }, (_, i) => events[i % events.length]!);
      const all: Json[] = [
        events, // a bare array
        first, // a bare event
        { events: first },
        { events: JSON.stringify(events) },
        { events: null },
        { events: [] },
        { events: tooMany },
        { Events: events },
        { data: { events } },
        { events, [key]: 1 },
        { [key]: events },
        null,
        42,
        'events',
        true,
      ];
      return { events, body: all[pick % all.length]! };
    });
    await fc.assert(
      fc.asyncProperty(shapes, async ({ events, body }) => {
        const problems = expectRejected(await postRaw(JSON.stringify(body)));
        expect(problems.filter((p) => p.index !== null)).toEqual([]);
        await expectNotStored(events);
      }),
      { numRuns: RUNS.handler },
    );
    await expectNothingStoredBeyondControls();
  });

  it('answers 413 to any body over the byte limit, counting bytes rather than characters, and 400 at exactly the limit', async () => {
    const limit = LIMITS.maxBodyBytes;
    const cases = fc.record({ events: batchArb('rej-'), pad: fc.constantFrom('x', 'é', '中', '\u{1F642}'), over: fc.boolean(), base64: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(cases, async ({ events, pad, over, base64 }) => {
        // {"events":[...],"pad":"<pad…><x…>"}: padded to exactly the limit, or one byte over it.
        const skeleton = JSON.stringify({ events, pad: '' });
        const room = limit + (over ? 1 : 0) - Buffer.byteLength(skeleton);
        const wide = Math.floor(room / Buffer.byteLength(pad));
        const filler = pad.repeat(wide) + 'x'.repeat(room - wide * Buffer.byteLength(pad));
        const body = JSON.stringify({ events, pad: filler });
        expect(Buffer.byteLength(body)).toBe(limit + (over ? 1 : 0));

        const res = await postRaw(body, { base64 });

        // At the limit the body is read, and rejected for its surplus field; one byte over, it is not read.
        const problems = expectRejected(res, [over ? 413 : 400]);
        if (!over) expect(problems).toEqual([{ index: null, field: 'pad', reason: 'is not a recognised field' }]);
        await expectNotStored(events);
      }),
      { numRuns: RUNS.writes },
    );
    await expectNothingStoredBeyondControls();
  });
});

describe('POST /v1/events with a valid batch mutated in exactly one field', () => {
  const cases: [string, MutationKind[]][] = [
    ['a field of the wrong type, or an event that is not an object', ['wrong type', 'not an object']],
    ['a required field missing', ['missing field']],
    ['a field the contract does not know', ['unknown field']],
    ['a string beyond every limit, in plain or odd characters', ['huge string']],
    ['a huge, negative, fractional or NaN-like number (1e308, 1e999, -0, 30-digit integers)', ['bad number']],
    ['an id with odd unicode (lone surrogates, RTL and zero-width marks, emoji, NUL)', ['odd unicode id']],
    ["an injection-looking id (' OR 1=1 --, <script>, ../../etc/passwd, #, :, very long)", ['injection id']],
  ];

  it.each(cases)('rejects the whole batch with 400 for %s, names that event’s index and field, and stores nothing', async (_, kinds) => {
    await fc.assert(
      fc.asyncProperty(mutatedBatchArb(kinds), async (batch) => {
        await expectRejectedAtIndex(batch);
      }),
      { numRuns: RUNS.handler },
    );
    await expectNothingStoredBeyondControls();
  });

  it('is rejected by validateBatch alone for every kind of mutation, with only that event’s index in the problems', () => {
    const kinds = Object.keys(MUTATIONS) as MutationKind[];
    fc.assert(
      fc.property(mutatedBatchArb(kinds), ({ body, index, mutation, valid }) => {
        expect(validateBatch(JSON.parse(JSON.stringify({ events: valid })), LIMITS).ok).toBe(true);

        const result = validateBatch(JSON.parse(body), LIMITS);

        expect(result.ok).toBe(false);
        const problems = result.ok ? [] : result.problems;
        expect(problems.filter((p) => p.index !== index)).toEqual([]);
        expect(problems.map((p) => p.field)).toContain(mutation.field);
        for (const p of problems) expect(p.reason).toMatch(/\S/);
      }),
      { numRuns: RUNS.pure },
    );
  });
});

describe('free text and user ids in the path', () => {
  it('stores free text with emoji, RTL and zero-width marks, NUL or lone surrogates exactly as sent, or rejects it whole, never a 5xx', async () => {
    const oddText = fc
      .array(fc.oneof(fc.constantFrom(...ODD_CHARS), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 20 })
      .map((parts) => parts.join('').slice(0, 256))
      .filter((s) => s.length > 0);
    await fc.assert(
      fc.asyncProperty(eventArb('ok-', ['refund']), oddText, fc.integer({ min: 0, max: 1e9 }), async (event, reason, salt) => {
        const userId = `${event.userId as string}.${salt}`;
        const sent = { ...event, userId, properties: { ...(event.properties as JsonObject), reason } };
        acceptedUsers.add(userId);

        const res = await postRaw(JSON.stringify({ events: [sent] }));

        expect([202, 400]).toContain(res.statusCode);
        if (res.statusCode === 400) {
          expect(res.body.problems).toEqual([expect.objectContaining({ index: 0, field: 'properties.reason' })]);
          await expectNotStored([sent]);
          return;
        }
        const { events } = tables();
        const stored = await documentClient().send(new BatchGetCommand({ RequestItems: { [events]: { Keys: [{ userId, sk: `E#${event.eventId as string}` }] } } }));
        const item = stored.Responses?.[events]?.[0];
        expect((JSON.parse(item?.event as string) as { properties: { reason: string } }).properties.reason).toBe(reason);
      }),
      { numRuns: RUNS.writes },
    );
  });

  it('answers 400 to GET and DELETE with an injection-looking or odd-unicode user id, and writes no deletion marker', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(injectionIdArb, oddUnicodeIdArb), fc.constantFrom('GET', 'DELETE'), async (userId, method) => {
        const res = await handler(apiEvent(method, '/v1/users/{userId}', { userId }), context());
        expect(res.statusCode).toBe(400);
        expect(JSON.parse(res.body).problems).toEqual([expect.objectContaining({ index: null, field: 'userId' })]);
      }),
      { numRuns: RUNS.handler },
    );
    await expectNothingStoredBeyondControls();
  });
});
