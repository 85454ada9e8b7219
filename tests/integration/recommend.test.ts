/**
 * The recommender training Lambda on the embedded DynamoDB: facts in the Events table → a stored
 * model in the Models table → one user's recommendations read back through the store.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler, type TrainSummary } from '../../functions/recommend/handler';
import type { LocalRuntime } from '../../infra/local/runtime';
import type { RewakeEvent } from '../../shared/events/schema';
import { recommend } from '../../shared/recommend/recommend';
import { LATEST_ID } from '../../shared/recommend/serialise';
import { documentClient } from '../../shared/store/dynamo';
import { EventStore } from '../../shared/store/event-store';
import { ProfileStore } from '../../shared/store/profile-store';
import { RecommendationStore } from '../../shared/store/recommendation-store';
import { context, startTestRuntime } from './helpers';

const NOW = '2026-06-01T00:00:00.000Z';
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.parse(NOW) - n * DAY).toISOString().replace('Z', '+00:00');

let runtime: LocalRuntime;
let events: EventStore;
let profiles: ProfileStore;
let store: RecommendationStore;
let n = 0;

const order = (userId: string, at: string, items: [sku: string, category: string][]): RewakeEvent => ({
  eventId: `e-${++n}`,
  userId,
  type: 'purchase',
  timestamp: at,
  properties: { orderId: `o-${n}`, amount: 10 * items.length, currency: 'CNY', items: items.map(([sku, category]) => ({ sku, category, price: 10, quantity: 1 })) },
});
const view = (userId: string, at: string, sku: string, category: string): RewakeEvent => ({ eventId: `e-${++n}`, userId, type: 'browse', timestamp: at, properties: { sku, category } });
const refusal = (userId: string, at: string): RewakeEvent => ({ eventId: `e-${++n}`, userId, type: 'profile', timestamp: at, properties: { consent: { personalisedRecommendations: false } } });

async function train(now = NOW): Promise<TrainSummary> {
  return handler({ now }, context('rewake-recommend'));
}

async function recommendationsFor(userId: string, count = 3) {
  const profile = (await profiles.get(userId))!;
  const input = (await store.forUser(profile))!;
  return { input, list: recommend(input.model, input.history, { now: Date.parse(NOW), count, personalised: input.personalised, categories: input.categories }) };
}

beforeAll(async () => {
  runtime = await startTestRuntime();
  const db = documentClient();
  events = new EventStore(db, { eventsTable: process.env.EVENTS_TABLE!, profilesTable: process.env.PROFILES_TABLE!, retentionDays: 400 });
  profiles = new ProfileStore(db, process.env.PROFILES_TABLE!);
  // No pointer caching here: each read sees the newest model, as a fresh sender container would.
  store = new RecommendationStore(db, process.env.MODELS_TABLE!, 2, 0);

  // Six shoppers buy tea-1 with cup-1; three buy snack-1 alone; one views cup-1 (naming its category).
  const batch: RewakeEvent[] = [];
  for (let i = 0; i < 6; i++) batch.push(order(`pair-${i}`, daysAgo(30 + i), [['tea-1', 'tea'], ['cup-1', 'cups']]));
  for (let i = 0; i < 3; i++) batch.push(order(`snack-${i}`, daysAgo(10), [['snack-1', 'snacks']]));
  batch.push(view('pair-0', daysAgo(29), 'cup-1', 'cups'));
  // The users we ask about: tea-1 bought long ago, yesterday, and by someone who refuses personalisation.
  batch.push(order('u-long-ago', daysAgo(200), [['tea-1', 'tea']]));
  batch.push(order('u-recent', daysAgo(1), [['tea-1', 'tea']]));
  batch.push(order('u-refuses', daysAgo(200), [['tea-1', 'tea']]), refusal('u-refuses', daysAgo(199)));
  const result = await events.ingest(batch);
  for (const userId of result.users) await events.refreshProfile(userId);
});

afterAll(async () => {
  await runtime?.stop();
});

describe('the recommender training job', () => {
  it('stores nothing a reader could use before the first run', async () => {
    const profile = (await profiles.get('u-long-ago'))!;
    expect(await store.forUser(profile)).toBeUndefined();
  });

  it('trains on every purchase and view fact and reports what it stored', async () => {
    // Act
    const summary = await train();

    // Assess: 12 users with purchases or views; tea-1, cup-1, snack-1; tea-1 ↔ cup-1 are the only pairs.
    expect(summary).toMatchObject({ users: 12, items: 3, neighbours: 2, fittedAt: NOW, pruned: [] });
    // 3 items + 3 categories + 1 popular chunk + 1 manifest chunk + the pointer.
    expect(summary.records).toBe(9);
  });

  it('recommends the co-bought item and the old purchase again, then a popular item', async () => {
    // Act
    const { list, input } = await recommendationsFor('u-long-ago');

    // Assess
    expect(input.personalised).toBe(true);
    expect(list.map((r) => [r.sku, r.source])).toEqual([
      ['tea-1', 'personal'],
      ['cup-1', 'personal'],
      ['snack-1', 'popular'],
    ]);
  });

  it('does not offer again what the user bought yesterday', async () => {
    const { list } = await recommendationsFor('u-recent');
    expect(list.map((r) => r.sku)).toEqual(['cup-1', 'snack-1']);
  });

  it('gives a user who refused personalised recommendations the everyone-list, reading none of their data', async () => {
    // Act
    const { list, input } = await recommendationsFor('u-refuses');

    // Assess: most popular first (tea-1: 9 recent-weighted buyers, cup-1: 6, snack-1: 3).
    expect(input).toMatchObject({ personalised: false, history: [], categories: [] });
    expect(input.model.items.size).toBe(0);
    expect(list.map((r) => [r.sku, r.source])).toEqual([
      ['tea-1', 'popular'],
      ['cup-1', 'popular'],
      ['snack-1', 'popular'],
    ]);
  });

  it('stores categories settled from views and single-category orders', async () => {
    const model = (await store.load())!;
    expect(Object.fromEntries([...model.items].map(([sku, e]) => [sku, e.category]))).toEqual({ 'tea-1': 'tea', 'cup-1': 'cups', 'snack-1': 'snacks' });
  });

  it('keeps the newest two versions and deletes older ones whole', async () => {
    // Prepare: the first version, from the run above.
    const first = (await store.latest())!;

    // Act: two more weekly runs.
    const second = await train(new Date(Date.parse(NOW) + 7 * DAY).toISOString());
    const third = await train(new Date(Date.parse(NOW) + 14 * DAY).toISOString());

    // Assess
    expect(third.pruned).toEqual([first.version]);
    const db = documentClient();
    const pointers = await db.send(new QueryCommand({ TableName: process.env.MODELS_TABLE!, KeyConditionExpression: 'modelId = :m', ExpressionAttributeValues: { ':m': LATEST_ID } }));
    expect(second.pruned).toEqual([]);
    expect(pointers.Items!.map((p) => p.version).sort()).toEqual([second.version, third.version]);
    const gone = await db.send(new GetCommand({ TableName: process.env.MODELS_TABLE!, Key: { modelId: `recs#${first.version}#i#tea-1`, fittedAt: first.fittedAt } }));
    expect(gone.Item).toBeUndefined();
    const manifest = await db.send(new GetCommand({ TableName: process.env.MODELS_TABLE!, Key: { modelId: `recs#${first.version}#m#0`, fittedAt: first.fittedAt } }));
    expect(manifest.Item).toBeUndefined();
    expect((await store.latest())!.version).toBe(third.version);
    expect((await recommendationsFor('u-recent')).list.map((r) => r.sku)).toEqual(['cup-1', 'snack-1']);
  });
});

describe('the sender\'s view of the latest model', () => {
  it('keeps using the model it found for the pointer TTL, then picks up the newer one', async () => {
    // Prepare: a reader with a one-hour TTL that has read the current model.
    const cached = new RecommendationStore(documentClient(), process.env.MODELS_TABLE!, 2, 3_600_000);
    const profile = (await profiles.get('u-long-ago'))!;
    const before = (await cached.forUser(profile))!.model.version;

    // Act: a newer model appears.
    const newer = await train(new Date(Date.parse(NOW) + 21 * DAY).toISOString());

    // Assess: the caching reader still sees the one it had; a fresh one sees the newer at once.
    expect(newer.version).not.toBe(before);
    expect((await cached.forUser(profile))!.model.version).toBe(before);
    expect((await store.forUser(profile))!.model.version).toBe(newer.version);
  });
});
