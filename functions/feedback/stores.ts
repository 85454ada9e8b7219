/**
 * The stores feedback is applied through, shared by the feedback, unsubscribe and send handlers:
 * the same EventStore ingest uses (write once, fold now), the profile read, and the ledger's
 * deletion marker. Also the SMS recipient index, which inbound replies need.
 */
import { createHash } from 'node:crypto';
import { PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RewakeConfig } from '../../shared/config';
import type { FeedbackStores } from '../../shared/feedback/apply';
import { EventStore } from '../../shared/store/event-store';
import { ProfileStore } from '../../shared/store/profile-store';
import { SendLedger } from '../../shared/store/send-ledger';

export interface FeedbackStoreDeps {
  events: EventStore;
  profiles: ProfileStore;
  ledger: SendLedger;
}

export interface FeedbackTables {
  eventsTable: string;
  profilesTable: string;
  sendsTable: string;
}

/** The three stores over the given tables (handlers read the names with requireEnv). */
export function feedbackStoreDeps(db: DynamoDBDocumentClient, tables: FeedbackTables, config: RewakeConfig): FeedbackStoreDeps {
  return {
    events: new EventStore(db, { eventsTable: tables.eventsTable, profilesTable: tables.profilesTable, retentionDays: config.events.retentionDays }),
    profiles: new ProfileStore(db, tables.profilesTable),
    ledger: new SendLedger(db, tables.sendsTable),
  };
}

export function feedbackStores({ events, profiles, ledger }: FeedbackStoreDeps): FeedbackStores {
  return {
    isDeleted: async (userId) => (await ledger.forUser(userId)).deleted,
    profile: (userId) => profiles.get(userId),
    ingest: (batch) => events.ingest(batch),
    refreshProfile: (userId) => events.refreshProfile(userId),
  };
}

/**
 * Phone number → the users Rewake sent SMS to at that number, learned from End User Messaging
 * delivery events (their Context names the user). An inbound "R" reply names only the number.
 *
 * Kept in the events table, in partitions no user id can have (`#sms:<sha256 of the number>`;
 * user ids start with a letter or digit), one item per user (sort key `R#<userId>`), expiring after
 * the raw-event retention like raw events do. The hash keeps the number itself out of keys and
 * logs; it is pseudonymisation, not secrecy (phone numbers are few enough to enumerate).
 */
export class SmsRecipientIndex {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  static partitionOf(phone: string): string {
    return `#sms:${createHash('sha256').update(phone.trim()).digest('hex')}`;
  }

  /** Idempotent: the same (number, user) pair is one item, its expiry pushed forward. */
  async remember(phone: string, userId: string): Promise<void> {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.retentionDays * 86_400;
    await this.db.send(new PutCommand({ TableName: this.table, Item: { userId: SmsRecipientIndex.partitionOf(phone), sk: `R#${userId}`, expiresAt } }));
  }

  async usersOf(phone: string): Promise<string[]> {
    const users: string[] = [];
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: 'userId = :p AND begins_with(sk, :r)',
        // DynamoDB deletes expired items late (and the emulator never does).
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: { ':p': SmsRecipientIndex.partitionOf(phone), ':r': 'R#', ':now': nowSeconds },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) users.push(String(item.sk).slice(2));
    return users;
  }
}
