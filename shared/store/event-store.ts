/**
 * The exactly-once ingest write path, without DynamoDB transactions (the embedded emulator has
 * none, and single-item operations are cheaper anyway). Three steps, each idempotent:
 *
 *   1. raw events: PutItem by (userId, E#eventId) — a retry overwrites the same item;
 *   2. facts: per (userId, day) one UpdateItem `SET #f = if_not_exists(#f, :fact)` — a fact is
 *      written once and never changed, whatever is retried or raced;
 *   3. profile: recomputed as a pure fold of all the user's facts and written only if it folds at
 *      least as many facts as the stored one (facts only grow, so more facts means newer).
 *
 * A crash between any two steps is repaired by the client's retry, because step 3 always runs,
 * even when every event turned out to be a duplicate. docs/design.md explains the cases.
 */
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RewakeEvent } from '../events/schema';
import { foldProfile, type Profile } from '../profiles/aggregate';
import { toFact, type Fact } from '../profiles/facts';
import { batchWrite, isConditionFailure } from './dynamo';

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

export interface EventStoreOptions {
  eventsTable: string;
  profilesTable: string;
  retentionDays: number;
  /** Clock, for raw-event expiry. */
  now?: () => Date;
}

const FACT_PREFIX = 'f_';
/** Facts per UpdateItem, keeping expressions far below DynamoDB's 4 KB expression limit. */
const FACTS_PER_UPDATE = 40;

export class EventStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: EventStoreOptions,
  ) {}

  async ingest(events: RewakeEvent[]): Promise<IngestResult & { profiles: Profile[] }> {
    const unique = dedupeById(events);
    await this.putRawEvents(unique);
    const duplicates = await this.putFacts(unique);
    const users = [...new Set(unique.map((e) => e.userId))];
    const profiles = (await Promise.all(users.map((u) => this.refreshProfile(u)))).filter((p): p is Profile => !!p);
    return { accepted: unique.length - duplicates, duplicates: events.length - unique.length + duplicates, profiles };
  }

  /** Step 1: the raw event log, kept for the retention period (recommendations, audit, replay). */
  async putRawEvents(events: RewakeEvent[]): Promise<void> {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.options.retentionDays * 86_400;
    await batchWrite(
      this.db,
      this.options.eventsTable,
      events.map((e) => ({ PutRequest: { Item: { userId: e.userId, sk: `E#${e.eventId}`, type: e.type, timestamp: e.timestamp, event: JSON.stringify(e), expiresAt } } })),
    );
  }

  /** Step 2: facts into day buckets, write-once. Returns how many were already there. */
  async putFacts(events: RewakeEvent[]): Promise<number> {
    const buckets = new Map<string, Fact[]>();
    for (const event of events) {
      const fact = toFact(event);
      const key = `${event.userId}\u0000${fact.day}`;
      buckets.set(key, [...(buckets.get(key) ?? []), fact]);
    }
    let duplicates = 0;
    const updates: Promise<void>[] = [];
    for (const [key, facts] of buckets) {
      const [userId, day] = key.split('\u0000') as [string, string];
      for (let i = 0; i < facts.length; i += FACTS_PER_UPDATE) {
        const chunk = facts.slice(i, i + FACTS_PER_UPDATE);
        updates.push(
          this.putFactChunk(userId, day, chunk).then((existing) => {
            duplicates += existing;
          }),
        );
      }
    }
    await Promise.all(updates);
    return duplicates;
  }

  private async putFactChunk(userId: string, day: string, facts: Fact[]): Promise<number> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = facts.map((fact, i) => {
      names[`#f${i}`] = FACT_PREFIX + fact.id;
      values[`:f${i}`] = JSON.stringify(fact);
      return `#f${i} = if_not_exists(#f${i}, :f${i})`;
    });
    const out = await this.db.send(
      new UpdateCommand({
        TableName: this.options.eventsTable,
        Key: { userId, sk: `D#${day}` },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        // The old values of the facts that were already there: those events are duplicates.
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return Object.keys(out.Attributes ?? {}).filter((k) => k.startsWith(FACT_PREFIX)).length;
  }

  /** Every fact of a user, from their day buckets. Facts do not expire; raw events do. */
  async loadFacts(userId: string): Promise<Fact[]> {
    const facts: Fact[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.options.eventsTable,
          KeyConditionExpression: 'userId = :u AND begins_with(sk, :d)',
          ExpressionAttributeValues: { ':u': userId, ':d': 'D#' },
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        for (const [name, value] of Object.entries(item)) {
          if (name.startsWith(FACT_PREFIX)) facts.push(JSON.parse(value as string) as Fact);
        }
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return facts;
  }

  /** Step 3: fold the facts and store the profile unless a newer one (more facts) is there. */
  async refreshProfile(userId: string): Promise<Profile | undefined> {
    const profile = foldProfile(userId, await this.loadFacts(userId));
    if (!profile) return undefined;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.options.profilesTable,
          Item: profile,
          ConditionExpression: 'attribute_not_exists(userId) OR factCount <= :n',
          ExpressionAttributeValues: { ':n': profile.factCount },
        }),
      );
    } catch (error) {
      // A concurrent request already stored a profile with more facts: it is newer than ours.
      if (!isConditionFailure(error)) throw error;
    }
    return profile;
  }

  /** Raw events of a user that have not expired (the emulator never applies TTL, AWS applies it late). */
  async rawEvents(userId: string): Promise<RewakeEvent[]> {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const events: RewakeEvent[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.options.eventsTable,
          KeyConditionExpression: 'userId = :u AND begins_with(sk, :e)',
          FilterExpression: 'expiresAt > :now',
          ExpressionAttributeValues: { ':u': userId, ':e': 'E#', ':now': nowSeconds },
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) events.push(JSON.parse(item.event as string) as RewakeEvent);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return events;
  }

  /** Erase every event item and fact of a user, then the profile (PIPL). Returns items deleted. */
  async deleteUser(userId: string): Promise<number> {
    let deleted = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.options.eventsTable,
          KeyConditionExpression: 'userId = :u',
          ExpressionAttributeValues: { ':u': userId },
          ProjectionExpression: 'userId, sk',
          ExclusiveStartKey,
        }),
      );
      const keys = (page.Items ?? []).map((i) => ({ DeleteRequest: { Key: { userId: i.userId, sk: i.sk } } }));
      await batchWrite(this.db, this.options.eventsTable, keys);
      deleted += keys.length;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    await this.db.send(new DeleteCommand({ TableName: this.options.profilesTable, Key: { userId } }));
    return deleted;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

function dedupeById(events: RewakeEvent[]): RewakeEvent[] {
  // eventIds are unique per user: the same id from two users is two events.
  const seen = new Set<string>();
  return events.filter((e) => {
    const key = `${e.userId}\u0000${e.eventId}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
