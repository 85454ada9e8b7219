/**
 * Profile refresh: consumes the users named by ingest and folds each one's facts into their
 * profile (shared/store/event-store.ts, step 4). Idempotent: folding twice gives the same profile,
 * so SQS redelivery is harmless; a record that fails comes back as a batch item failure.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { configFromEnv } from '../../shared/config';
import { ENV, requireEnv } from '../../shared/env';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import { parseRefreshRequest } from '../../shared/queue/profile-refresh-queue';
import { documentClient } from '../../shared/store/dynamo';
import { EventStore } from '../../shared/store/event-store';

export function depsFromEnv(): { events: EventStore } {
  return {
    events: new EventStore(documentClient(), {
      eventsTable: requireEnv(ENV.eventsTable),
      profilesTable: requireEnv(ENV.profilesTable),
      retentionDays: configFromEnv().events.retentionDays,
    }),
  };
}

/** Folds of one user run one at a time; different users in parallel, a few at once. */
const CONCURRENCY = 8;

export async function refreshProfiles(event: SQSEvent, deps: { events: EventStore }): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  // A user named in several records of the batch is folded once.
  const usersByRecord = new Map<string, string[]>();
  for (const record of event.Records) {
    try {
      usersByRecord.set(record.messageId, parseRefreshRequest(record.body).userIds);
    } catch (error) {
      logger.error('malformed refresh request', { messageId: record.messageId, error: error as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  const users = [...new Set([...usersByRecord.values()].flat())];
  const failedUsers = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, users.length) }, async () => {
      while (next < users.length) {
        const userId = users[next++]!;
        try {
          await deps.events.refreshProfile(userId);
        } catch (error) {
          logger.error('profile refresh failed', { userId, error: error as Error });
          failedUsers.add(userId);
        }
      }
    }),
  );
  for (const [messageId, userIds] of usersByRecord) if (userIds.some((u) => failedUsers.has(u))) failures.push({ itemIdentifier: messageId });
  metrics.addMetric('ProfilesRefreshed', MetricUnit.Count, users.length - failedUsers.size);
  return { batchItemFailures: failures };
}

let deps: { events: EventStore } | undefined;

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (event) => refreshProfiles(event, (deps ??= depsFromEnv())));
