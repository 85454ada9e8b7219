/**
 * The exactly-once ingest write path, without DynamoDB transactions (the embedded emulator has
 * none, and single-item operations are cheaper anyway). Every step is safe to repeat:
 *
 *   1. which events are new: BatchGetItem on their fact keys (userId, F#eventId);
 *   2. raw events: BatchWriteItem of (userId, E#eventId) items, which expire after the retention;
 *   3. facts: BatchWriteItem of (userId, F#eventId) items, kept for good — the small part of each
 *      event that profiles are folded from. Written after the raw events, so a fact implies its
 *      raw event was stored;
 *   4. profile: recomputed as a pure fold of all the user's facts and written only if it folds at
 *      least as many facts as the stored one (facts only grow, so more facts means newer). Run
 *      right away for users whose consent or channels changed (an opt-out must stop the next send),
 *      otherwise asynchronously from the profile-refresh queue, off the request path.
 *
 * A crash between any two steps is repaired by the client's retry, and a retry always requests the
 * profile refresh again, even when every event turned out to be a duplicate. docs/design.md has
 * the cases.
 */
import { BatchGetCommand, DeleteCommand, paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RewakeEvent } from '../events/schema';
import { foldProfile, type Profile } from '../profiles/aggregate';
import { toFact, type Fact } from '../profiles/facts';
import { batchWrite, isConditionFailure, sleep } from './dynamo';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** Every user the request touched, duplicates included: their profiles need a refresh. */
  users: string[];
}

export interface EventStoreOptions {
  eventsTable: string;
  profilesTable: string;
  retentionDays: number;
  /** Clock, for raw-event expiry. */
  now?: () => Date;
}

const RAW_PREFIX = 'E#';
const FACT_PREFIX = 'F#';

export class EventStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: EventStoreOptions,
  ) {}

  /** Steps 1–3. The caller refreshes the returned users' profiles (step 4), now or via the queue. */
  async ingest(events: RewakeEvent[]): Promise<IngestResult> {
    const unique = dedupeById(events);
    const known = await this.knownEventKeys(unique);
    const fresh = unique.filter((e) => !known.has(keyOf(e)));
    await this.putRawEvents(fresh);
    await this.putFacts(fresh);
    return { accepted: fresh.length, duplicates: events.length - fresh.length, users: [...new Set(unique.map((e) => e.userId))] };
  }

  /** Step 1: the events whose fact is already stored (a retry, or a client's duplicate). */
  async knownEventKeys(events: RewakeEvent[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (let i = 0; i < events.length; i += 100) {
      let keys: Record<string, unknown>[] = events.slice(i, i + 100).map((e) => ({ userId: e.userId, sk: FACT_PREFIX + e.eventId }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 8) throw new Error(`BatchGetItem on ${this.options.eventsTable}: ${keys.length} keys still unprocessed`);
        if (attempt > 0) await sleep(25 * 2 ** (attempt - 1) * (0.5 + Math.random()));
        const out = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.options.eventsTable]: { Keys: keys, ProjectionExpression: 'userId, sk', ConsistentRead: true } },
          }),
        );
        for (const item of out.Responses?.[this.options.eventsTable] ?? []) known.add(`${item.userId}\u0000${String(item.sk).slice(FACT_PREFIX.length)}`);
        keys = (out.UnprocessedKeys?.[this.options.eventsTable]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return known;
  }

  /** Step 2: the raw event log, kept for the retention period (recommendations, audit, replay). */
  async putRawEvents(events: RewakeEvent[]): Promise<void> {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.options.retentionDays * 86_400;
    await batchWrite(
      this.db,
      this.options.eventsTable,
      events.map((e) => ({ PutRequest: { Item: { userId: e.userId, sk: RAW_PREFIX + e.eventId, event: JSON.stringify(e), expiresAt } } })),
    );
  }

  /** Step 3: one small, permanent fact item per event. */
  async putFacts(events: RewakeEvent[]): Promise<void> {
    await batchWrite(
      this.db,
      this.options.eventsTable,
      events.map((e) => ({ PutRequest: { Item: { userId: e.userId, sk: FACT_PREFIX + e.eventId, fact: JSON.stringify(toFact(e)) } } })),
    );
  }

  /** Every fact of a user. Facts do not expire; raw events do. */
  async loadFacts(userId: string): Promise<Fact[]> {
    const facts: Fact[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.options.eventsTable,
        KeyConditionExpression: 'userId = :u AND begins_with(sk, :f)',
        ExpressionAttributeValues: { ':u': userId, ':f': FACT_PREFIX },
        ProjectionExpression: 'fact',
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) facts.push(JSON.parse(item.fact as string) as Fact);
    return facts;
  }

  /** Step 4: fold the facts and store the profile unless a newer one (more facts) is there. */
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
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.options.eventsTable,
        KeyConditionExpression: 'userId = :u AND begins_with(sk, :e)',
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: { ':u': userId, ':e': RAW_PREFIX, ':now': nowSeconds },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) events.push(JSON.parse(item.event as string) as RewakeEvent);
    return events;
  }

  /** Erase every event item and fact of a user, then the profile (PIPL). Returns items deleted. */
  async deleteUser(userId: string): Promise<number> {
    let deleted = 0;
    const pages = paginateQuery(
      { client: this.db },
      { TableName: this.options.eventsTable, KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': userId }, ProjectionExpression: 'userId, sk' },
    );
    for await (const page of pages) {
      const keys = (page.Items ?? []).map((i) => ({ DeleteRequest: { Key: { userId: i.userId, sk: i.sk } } }));
      await batchWrite(this.db, this.options.eventsTable, keys);
      deleted += keys.length;
    }
    await this.db.send(new DeleteCommand({ TableName: this.options.profilesTable, Key: { userId } }));
    return deleted;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

const keyOf = (e: RewakeEvent) => `${e.userId}\u0000${e.eventId}`;

function dedupeById(events: RewakeEvent[]): RewakeEvent[] {
  // eventIds are unique per user: the same id from two users is two events.
  const seen = new Set<string>();
  return events.filter((e) => (seen.has(keyOf(e)) ? false : (seen.add(keyOf(e)), true)));
}
