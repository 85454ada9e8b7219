/**
 * The sends ledger: one item per (user, campaign, step), the single source of truth for "was this
 * message sent?". Every transition is a conditional write, so two scans, two sender instances or
 * an SQS redelivery can never both win the same (user, campaign, step).
 *
 *   queued ──claim──▶ sending ──settle──▶ sent | failed
 *     │  ▲                │
 *     │  └──release───────┘ (provider said "retry later": back to the queue)
 *     └──record──▶ holdout | suppressed | deferred
 *
 * A crash after `claim` and before `settle` leaves `sending`: the provider may or may not have the
 * message, and no retry will send it again (at most once wins for marketing; docs/design.md).
 */
import { paginateQuery, paginateScan, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STALE_QUEUED_MS } from '../campaigns/winback';
import type { Channel, Tier } from '../config';
import type { LedgerEntry, SendStatus } from '../delivery/rules';
import type { DormancyState, ReasonCode } from '../dormancy/classify';
import { batchWrite, isConditionFailure } from './dynamo';

export interface SendRecord {
  userId: string;
  campaign: string;
  step: number;
  status: SendStatus;
  /** When the scan scored the user, and the scan's as-of day. */
  scoredAt: string;
  asOf: string;
  state: DormancyState;
  tier: Tier;
  reason: ReasonCode;
  value: number;
  holdout: boolean;
  queuedAt: string;
  /** When SQS accepted the candidate's message. */
  enqueuedAt?: string;
  /** When it was sent, or would have been for the holdout: the start of the attribution window. */
  at?: string;
  channel?: Channel;
  offerId?: string;
  discountPercent?: number;
  couponCode?: string;
  couponExpiresOn?: string;
  messageId?: string;
  /** The recommended skus the message showed, best first. */
  recommendations?: string[];
  /** Why it was suppressed, deferred or failed. */
  detail?: string;
  notBefore?: string;
}

const DELETED_SK = 'DELETED';
const OPEN_STATUSES = [':queued', ':deferred'];

export const ledgerKey = (campaign: string, step: number) => `C#${campaign}#${String(step).padStart(3, '0')}`;

export class SendLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Everything the ledger knows about a user: their messages, and whether they asked to be deleted. */
  async forUser(userId: string): Promise<{ entries: (LedgerEntry & SendRecord)[]; deleted: boolean }> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.db },
      { TableName: this.table, KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': userId }, ConsistentRead: true },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return {
      deleted: items.some((i) => i.sk === DELETED_SK),
      entries: items.filter((i) => String(i.sk).startsWith('C#')) as unknown as (LedgerEntry & SendRecord)[],
    };
  }

  /**
   * The scan's claim on a (user, campaign, step): true when the caller should enqueue it. A second
   * scan gets false, unless the first one claimed it and crashed before SQS accepted the message.
   */
  async markQueued(record: SendRecord, now: Date): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...record, sk: ledgerKey(record.campaign, record.step), status: 'queued' },
          ConditionExpression: 'attribute_not_exists(sk) OR (#s = :queued AND attribute_not_exists(enqueuedAt) AND queuedAt < :stale)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':queued': 'queued', ':stale': new Date(now.getTime() - STALE_QUEUED_MS).toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** SQS accepted the messages of these claims: no later scan needs to offer them again. */
  async markEnqueued(keys: { userId: string; campaign: string; step: number }[], at: Date): Promise<void> {
    await Promise.all(
      keys.map((k) =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { userId: k.userId, sk: ledgerKey(k.campaign, k.step) },
            UpdateExpression: 'SET enqueuedAt = if_not_exists(enqueuedAt, :at)',
            ConditionExpression: 'attribute_exists(sk)',
            ExpressionAttributeValues: { ':at': at.toISOString() },
          }),
        ),
      ),
    );
  }

  /** Record the final word for a message that is not being sent (holdout, suppressed, deferred). */
  async record(record: SendRecord): Promise<boolean> {
    return this.transition(record);
  }

  /** Intent to send, before the provider call. False when someone else already has it. */
  async claim(record: SendRecord): Promise<boolean> {
    return this.transition({ ...record, status: 'sending' });
  }

  /** The provider's answer, after the call. Only the claimant gets here. */
  async settle(userId: string, campaign: string, step: number, fields: { status: 'sent' | 'failed'; messageId?: string; detail?: string; at: string }): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { userId, sk: ledgerKey(campaign, step) },
        UpdateExpression: 'SET #s = :s, #at = :at, messageId = :m, detail = :d',
        ConditionExpression: '#s = :sending',
        ExpressionAttributeNames: { '#s': 'status', '#at': 'at' },
        ExpressionAttributeValues: { ':s': fields.status, ':at': fields.at, ':m': fields.messageId ?? null, ':d': fields.detail ?? null, ':sending': 'sending' },
      }),
    );
  }

  /** The provider asked us to retry later: give the claim back so the redelivered record can take it. */
  async release(userId: string, campaign: string, step: number, detail: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { userId, sk: ledgerKey(campaign, step) },
        UpdateExpression: 'SET #s = :queued, detail = :d',
        ConditionExpression: '#s = :sending',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':queued': 'queued', ':sending': 'sending', ':d': detail },
      }),
    );
  }

  /** PIPL erasure: drop the user's pending and past sends, keep a marker with no personal data. */
  async markDeleted(userId: string, at: Date): Promise<void> {
    const { entries } = await this.forUser(userId);
    await batchWrite(this.db, this.table, entries.map((e) => ({ DeleteRequest: { Key: { userId, sk: ledgerKey(e.campaign, e.step) } } })));
    await this.db.send(new PutCommand({ TableName: this.table, Item: { userId, sk: DELETED_SK, deletedAt: at.toISOString() } }));
  }

  /** Every campaign record, page by page (for the report). */
  async *scanAll(pageSize = 1000): AsyncGenerator<SendRecord[]> {
    for await (const page of paginateScan({ client: this.db, pageSize }, { TableName: this.table })) {
      const records = (page.Items ?? []).filter((i) => String(i.sk).startsWith('C#')) as unknown as SendRecord[];
      if (records.length) yield records;
    }
  }

  private async transition(record: SendRecord): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...record, sk: ledgerKey(record.campaign, record.step) },
          ConditionExpression: `attribute_not_exists(sk) OR #s IN (${OPEN_STATUSES.join(', ')})`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':queued': 'queued', ':deferred': 'deferred' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
