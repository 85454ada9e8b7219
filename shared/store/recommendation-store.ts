/**
 * The recommender model in the Models table (layout and reasons in shared/recommend/serialise.ts).
 *
 *   put(model)        every record of the version (BatchWriteItem), then its `recs#latest` pointer,
 *                     then deletes versions older than the newest `keepVersions`;
 *   forUser(profile)  at send time: one Query for the newest pointer and one BatchGetItem (per 100
 *                     keys) for the user's recent skus, top categories and the popular list.
 *
 * A reader that took the previous pointer a moment before a new one landed still finds its records:
 * the previous version is kept until the next training run.
 */
import { BatchGetCommand, DeleteCommand, PutCommand, QueryCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Profile } from '../profiles/aggregate';
import type { Fact } from '../profiles/facts';
import { historyFromFacts, historyFromProfile } from '../recommend/facts';
import { assembleModel, categoryId, decodeList, decodePointer, itemId, LATEST_ID, manifestId, modelRecords, popularId, type Pointer } from '../recommend/serialise';
import type { HistoryEntry, RecModel } from '../recommend/types';
import { batchWrite, sleep } from './dynamo';

/** What `recommend(model, history, { personalised, categories, ... })` needs for one user. */
export interface UserRecInput {
  model: RecModel;
  history: HistoryEntry[];
  personalised: boolean;
  /** The user's categories, most liked first (empty for users who refused personalisation). */
  categories: string[];
}

export interface ForUserOptions {
  /** The user's facts (EventStore.loadFacts): exact purchase times. Without them, the profile's recent skus. */
  facts?: Iterable<Fact>;
  /** Neighbour lists read for at most this many of the user's most recent skus. */
  maxSkus?: number;
  /** Category lists read for at most this many of the user's top categories. */
  maxCategories?: number;
}

export class RecommendationStore {
  /** The latest pointer, kept briefly: the model changes weekly, the sender asks for every message. */
  private cachedPointer?: { at: number; pointer: Promise<Pointer | undefined> };

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly keepVersions = 2,
    private readonly pointerTtlMs = 60_000,
  ) {}

  /** Stores a trained model; returns how many records were written (the pointer included). */
  async put(model: RecModel): Promise<{ records: number; pruned: string[] }> {
    const { records, pointer } = modelRecords(model);
    await batchWrite(
      this.db,
      this.table,
      records.map((Item) => ({ PutRequest: { Item } })),
    );
    await this.db.send(new PutCommand({ TableName: this.table, Item: pointer }));
    this.cachedPointer = undefined;
    const pruned = await this.prune();
    return { records: records.length + 1, pruned };
  }

  /** The newest complete version's pointer, or undefined when no model was ever stored. */
  async latest(): Promise<Pointer | undefined> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'modelId = :m',
        ExpressionAttributeValues: { ':m': LATEST_ID },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item ? decodePointer(item) : undefined;
  }

  /**
   * What `recommend` needs for this user, reading only their part of the model. A user who refused
   * personalised recommendations gets an empty history and no categories: nothing of theirs is read.
   */
  async forUser(profile: Profile, options: ForUserOptions = {}): Promise<UserRecInput | undefined> {
    const pointer = await this.recentPointer();
    if (!pointer) return undefined;
    const personalised = profile.personalisedRecommendations !== false;
    const history = personalised ? (options.facts ? historyFromFacts(options.facts) : historyFromProfile(profile)) : [];
    const categories = personalised
      ? Object.entries(profile.categoryAffinity ?? {})
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .map(([c]) => c)
          .slice(0, options.maxCategories ?? 5)
      : [];
    const skus = recentSkus(history, options.maxSkus ?? 50);
    const ids = [
      ...Array.from({ length: pointer.popularChunks }, (_, n) => popularId(pointer.version, n)),
      ...categories.map((c) => categoryId(pointer.version, c)),
      ...skus.map((sku) => itemId(pointer.version, sku)),
    ];
    const records = await this.getAll(ids, pointer.fittedAt);
    return { model: assembleModel(pointer, records), history, personalised, categories };
  }

  /**
   * `latest()`, reused for `pointerTtlMs`, so a new model (or the first one) is picked up within that
   * time; a failed read is not kept.
   */
  private recentPointer(): Promise<Pointer | undefined> {
    const now = Date.now();
    if (!this.cachedPointer || now - this.cachedPointer.at > this.pointerTtlMs) {
      const pointer = this.latest();
      const entry = { at: now, pointer };
      this.cachedPointer = entry;
      const forget = () => {
        if (this.cachedPointer === entry) this.cachedPointer = undefined;
      };
      pointer.catch(forget);
    }
    return this.cachedPointer.pointer;
  }

  /** The whole stored model (every record of the version): for tools and tests, not the send path. */
  async load(pointer?: Pointer): Promise<RecModel | undefined> {
    const p = pointer ?? (await this.latest());
    if (!p) return undefined;
    const suffixes = await this.manifest(p);
    const records = await this.getAll(
      suffixes.map((s) => `recs#${p.version}#${s}`),
      p.fittedAt,
    );
    return assembleModel(p, records);
  }

  /** Deletes every version but the newest `keepVersions`, records first and pointer last, so a crash leaves it retryable. */
  async prune(): Promise<string[]> {
    const pointers: Pointer[] = [];
    const pages = paginateQuery(
      { client: this.db },
      { TableName: this.table, KeyConditionExpression: 'modelId = :m', ExpressionAttributeValues: { ':m': LATEST_ID }, ScanIndexForward: false, ConsistentRead: true },
    );
    for await (const page of pages) for (const item of page.Items ?? []) pointers.push(decodePointer(item));
    const pruned: string[] = [];
    for (const old of pointers.slice(this.keepVersions)) {
      const suffixes = await this.manifest(old);
      const ids = [...suffixes.map((s) => `recs#${old.version}#${s}`), ...Array.from({ length: old.manifestChunks }, (_, n) => manifestId(old.version, n))];
      await batchWrite(
        this.db,
        this.table,
        ids.map((modelId) => ({ DeleteRequest: { Key: { modelId, fittedAt: old.fittedAt } } })),
      );
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: { modelId: LATEST_ID, fittedAt: old.fittedAt } }));
      pruned.push(old.version);
    }
    return pruned;
  }

  private async manifest(pointer: Pointer): Promise<string[]> {
    const ids = Array.from({ length: pointer.manifestChunks }, (_, n) => manifestId(pointer.version, n));
    const records = await this.getAll(ids, pointer.fittedAt);
    return records.flatMap((r) => decodeList(r, 'suffixes'));
  }

  /** BatchGetItem of exact keys in chunks of 100, re-asking for unprocessed keys with backoff. */
  private async getAll(modelIds: string[], fittedAt: string): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    for (let i = 0; i < modelIds.length; i += 100) {
      let keys: Record<string, unknown>[] = modelIds.slice(i, i + 100).map((modelId) => ({ modelId, fittedAt }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 8) throw new Error(`BatchGetItem on ${this.table}: ${keys.length} keys still unprocessed`);
        if (attempt > 0) await sleep(25 * 2 ** (attempt - 1) * (0.5 + Math.random()));
        const out = await this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys } } }));
        found.push(...((out.Responses?.[this.table] ?? []) as Record<string, unknown>[]));
        keys = (out.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return found;
  }
}

/** Distinct skus of the history, most recent interaction first. */
function recentSkus(history: HistoryEntry[], limit: number): string[] {
  const latest = new Map<string, number>();
  for (const h of history) if ((latest.get(h.sku) ?? -Infinity) < h.t) latest.set(h.sku, h.t);
  return [...latest.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([sku]) => sku);
}
