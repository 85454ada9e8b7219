import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileStore } from '../../shared/store/profile-store';
import { EventStore } from '../../shared/store/event-store';
import { SendLedger } from '../../shared/store/send-ledger';
import { documentClient } from '../../shared/store/dynamo';
import { defaultConfig } from '../../shared/config';
import type { LocalRuntime } from '../../infra/local/runtime';
import { handler, route, type IngestDeps } from '../../functions/ingest/handler';
import { apiEvent, context, post, settle, startTestRuntime } from './helpers';
import { ProfileRefreshQueue } from '../../shared/queue/profile-refresh-queue';
import { sqsClient } from '../../shared/queue/sqs';
import { browse, profileUpdate, purchase } from '../fixtures/events';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';

let runtime: LocalRuntime;
let profiles: ProfileStore;

beforeAll(async () => {
  runtime = await startTestRuntime();
  profiles = new ProfileStore(documentClient(), process.env.PROFILES_TABLE!);
});
afterAll(async () => runtime?.stop());

async function itemsOf(userId: string) {
  const out = await documentClient().send(new QueryCommand({ TableName: process.env.EVENTS_TABLE!, KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': userId } }));
  return out.Items ?? [];
}

type Step = 'knownEventKeys' | 'putRawEvents' | 'putFacts' | 'refreshProfile' | 'request';

/** Deps whose write path fails once at the named step, as a crash there would. */
function depsFailingOnceAt(step: Step): IngestDeps {
  const config = defaultConfig();
  const db = documentClient();
  const events = new EventStore(db, { eventsTable: process.env.EVENTS_TABLE!, profilesTable: process.env.PROFILES_TABLE!, retentionDays: 30 });
  const refresh = new ProfileRefreshQueue(sqsClient(), process.env.PROFILE_REFRESH_QUEUE_URL!);
  const target = (step === 'request' ? refresh : events) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = target[step]!.bind(target);
  let failed = false;
  target[step] = async (...args: unknown[]) => {
    if (!failed) {
      failed = true;
      throw new Error(`injected crash at ${step}`);
    }
    return original(...args);
  };
  return { config, events, refresh, profiles: new ProfileStore(db, process.env.PROFILES_TABLE!), ledger: new SendLedger(db, process.env.SENDS_TABLE!), now: () => new Date() };
}

describe('POST /v1/events', () => {
  it('stores the events and folds them into the profile', async () => {
    const res = await post(handler, [
      purchase('u-fold', '2026-01-01T10:00:00+08:00', 100, { category: 'tea' }),
      purchase('u-fold', '2026-01-01T18:00:00+08:00', 50),
      purchase('u-fold', '2026-02-01T10:00:00+08:00', 80, { category: 'cups' }),
      browse('u-fold', '2026-02-03T10:00:00+08:00', 'cups'),
    ]);

    expect(res).toEqual({ statusCode: 202, body: { accepted: 4, duplicates: 0 } });
    await settle(runtime);
    const profile = await profiles.get('u-fold');
    expect(profile).toMatchObject({ orderCount: 3, purchaseDays: 2, frequency: 1, monetaryTotal: 230, repeatMonetaryMean: 80, lastPurchaseDay: '2026-02-01' });
    expect(profile!.lastSeenByType.browse).toBe('2026-02-03T02:00:00.000Z');
  });

  it('counts the same eventId sent twice, one after the other, once', async () => {
    const event = purchase('u-dup', '2026-03-01T10:00:00+08:00', 42, { eventId: 'same-event' });

    const first = await post(handler, [event]);
    const second = await post(handler, [event]);

    expect(first.body).toEqual({ accepted: 1, duplicates: 0 });
    expect(second.body).toEqual({ accepted: 0, duplicates: 1 });
    await settle(runtime);
    expect(await profiles.get('u-dup')).toMatchObject({ orderCount: 1, monetaryTotal: 42, factCount: 1 });
  });

  it('counts the same eventId sent concurrently once', async () => {
    const event = purchase('u-race', '2026-03-01T10:00:00+08:00', 42, { eventId: 'racing-event' });
    const others = [purchase('u-race', '2026-03-02T10:00:00+08:00', 10), purchase('u-race', '2026-03-03T10:00:00+08:00', 20)];

    const results = await Promise.all([post(handler, [event, others[0]!]), post(handler, [event]), post(handler, [event, others[1]!])]);

    expect(results.map((r) => r.statusCode)).toEqual([202, 202, 202]);
    await settle(runtime);
    expect(await profiles.get('u-race')).toMatchObject({ orderCount: 3, monetaryTotal: 72, factCount: 3 });
  });

  it('builds the same profile from events that arrive late and out of order', async () => {
    const timeline = [
      profileUpdate('x', '2026-01-01T09:00:00+08:00', { consent: { sms: true }, channels: { sms: '+8613811112222' } }, 'o1'),
      purchase('x', '2026-01-05T10:00:00+08:00', 30, { eventId: 'o2' }),
      profileUpdate('x', '2026-02-01T09:00:00+08:00', { consent: { sms: false } }, 'o3'),
      purchase('x', '2026-03-05T10:00:00+08:00', 60, { eventId: 'o4', category: 'cups' }),
    ];
    const inOrder = timeline.map((e) => ({ ...e, userId: 'u-ordered' }));
    const shuffled = [3, 1, 0, 2].map((i) => ({ ...timeline[i]!, userId: 'u-shuffled' }));

    for (const e of inOrder) await post(handler, [e]);
    for (const e of shuffled) await post(handler, [e]);
    await settle(runtime);

    const { userId: _a, ...ordered } = (await profiles.get('u-ordered'))!;
    const { userId: _b, ...fromShuffled } = (await profiles.get('u-shuffled'))!;
    expect(fromShuffled).toEqual(ordered);
    expect(ordered.consent.sms).toBe(false);
  });

  it.each(['knownEventKeys', 'putRawEvents', 'putFacts', 'refreshProfile', 'request'] as const)('recovers from a crash at %s when the client retries, counting each event once', async (step) => {
    const userId = `u-crash-${step}`;
    // A profile event makes the refresh synchronous, so the crash at refreshProfile is reachable.
    const events = [purchase(userId, '2026-04-01T10:00:00+08:00', 25), purchase(userId, '2026-04-09T10:00:00+08:00', 35), profileUpdate(userId, '2026-04-09T11:00:00+08:00', { optOut: true })];
    const deps = depsFailingOnceAt(step);
    const request = apiEvent('POST', '/v1/events', { body: { events } });

    await expect(route(request, deps)).rejects.toThrow(`injected crash at ${step}`);
    const retry = await route(request, deps);

    expect(retry.statusCode).toBe(202);
    await settle(runtime);
    expect(await profiles.get(userId)).toMatchObject({ orderCount: 2, purchaseDays: 2, monetaryTotal: 60, factCount: 3, optOut: true });
  });

  it('rejects an invalid request with 400, lists every problem, and stores nothing', async () => {
    const res = await post(handler, [
      purchase('u-bad', '2026-01-01T10:00:00+08:00', 10),
      { eventId: 'e2', userId: 'u-bad', type: 'purchase', timestamp: '2026-01-01T10:00:00', properties: { orderId: 'o', amount: -5, currency: 'CNY' } },
      { eventId: 'e3', userId: 'u-bad', type: 'teleport', timestamp: '2026-01-01T10:00:00+08:00', properties: {} },
    ]);

    expect(res.statusCode).toBe(400);
    expect(res.body.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 1, field: 'timestamp' }),
        expect.objectContaining({ index: 1, field: 'properties.amount' }),
        expect.objectContaining({ index: 2, field: 'type' }),
      ]),
    );
    expect(await itemsOf('u-bad')).toEqual([]);
    expect(await profiles.get('u-bad')).toBeUndefined();
  });

  it('answers 415 to a body that is not JSON and 400 to malformed JSON', async () => {
    const notJson = await handler(apiEvent('POST', '/v1/events', { rawBody: 'events=1', contentType: 'application/x-www-form-urlencoded' }), context());
    const malformed = await handler(apiEvent('POST', '/v1/events', { rawBody: '{"events": [' }), context());

    expect(notJson.statusCode).toBe(415);
    expect(malformed.statusCode).toBe(400);
    expect(JSON.parse(malformed.body).problems[0]).toMatchObject({ field: '(body)' });
  });

  it('answers 413 to a body over the configured limit', async () => {
    const huge = JSON.stringify({ events: [], pad: 'x'.repeat(defaultConfig().events.maxBodyBytes) });

    const res = await handler(apiEvent('POST', '/v1/events', { rawBody: huge }), context());

    expect(res.statusCode).toBe(413);
  });
});

describe('GET and DELETE /v1/users/{userId}', () => {
  it('returns the profile with its dormancy state', async () => {
    await post(handler, [purchase('u-read', '2020-01-01T10:00:00+08:00', 99)]);
    await settle(runtime);

    const res = await handler(apiEvent('GET', '/v1/users/{userId}', { userId: 'u-read' }), context());

    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.profile.monetaryTotal).toBe(99);
    expect(body.dormancy.state).toBe('lost');
  });

  it('answers 404 for a user it has never seen', async () => {
    const res = await handler(apiEvent('GET', '/v1/users/{userId}', { userId: 'nobody' }), context());
    expect(res.statusCode).toBe(404);
  });

  it('erases a user’s events and profile and leaves only a suppression marker', async () => {
    await post(handler, [purchase('u-erase', '2026-01-01T10:00:00+08:00', 10), profileUpdate('u-erase', '2026-01-01T11:00:00+08:00', { channels: { email: 'a@example.com' } })]);
    await settle(runtime);

    const res = await handler(apiEvent('DELETE', '/v1/users/{userId}', { userId: 'u-erase' }), context());
    const after = await handler(apiEvent('GET', '/v1/users/{userId}', { userId: 'u-erase' }), context());

    expect(res.statusCode).toBe(200);
    expect(await itemsOf('u-erase')).toEqual([]);
    expect(await profiles.get('u-erase')).toBeUndefined();
    expect(after.statusCode).toBe(404);
    const ledger = await new SendLedger(documentClient(), process.env.SENDS_TABLE!).forUser('u-erase');
    expect(ledger.deleted).toBe(true);
  });
});
