/**
 * Ingest API: POST /v1/events, GET /v1/users/{userId}, DELETE /v1/users/{userId}.
 * Parses and validates, calls the event store, answers. The write path's guarantees (exactly
 * once, order-independent) live in shared/store/event-store.ts.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { configFromEnv, type RewakeConfig } from '../../shared/config';
import { assess } from '../../shared/dormancy/classify';
import { ENV, requireEnv } from '../../shared/env';
import { RequestError } from '../../shared/errors';
import { validateBatch } from '../../shared/events/schema';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import { documentClient } from '../../shared/store/dynamo';
import { EventStore } from '../../shared/store/event-store';
import { ProfileRefreshQueue } from '../../shared/queue/profile-refresh-queue';
import { sqsClient } from '../../shared/queue/sqs';
import { ProfileStore } from '../../shared/store/profile-store';
import { SendLedger } from '../../shared/store/send-ledger';
import { httpErrors, json, parseJsonBody } from './http';

export interface IngestDeps {
  config: RewakeConfig;
  events: EventStore;
  refresh: ProfileRefreshQueue;
  profiles: ProfileStore;
  ledger: SendLedger;
  now: () => Date;
}

export function depsFromEnv(): IngestDeps {
  const config = configFromEnv();
  const db = documentClient();
  return {
    config,
    events: new EventStore(db, {
      eventsTable: requireEnv(ENV.eventsTable),
      profilesTable: requireEnv(ENV.profilesTable),
      retentionDays: config.events.retentionDays,
    }),
    refresh: new ProfileRefreshQueue(sqsClient(), requireEnv(ENV.profileRefreshQueueUrl)),
    profiles: new ProfileStore(db, requireEnv(ENV.profilesTable)),
    ledger: new SendLedger(db, requireEnv(ENV.sendsTable)),
    now: () => new Date(),
  };
}

export async function route(event: APIGatewayProxyEvent, deps: IngestDeps): Promise<APIGatewayProxyResult> {
  const key = `${event.httpMethod} ${event.resource}`;
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  switch (key) {
    case 'POST /v1/events':
      return postEvents(event, deps);
    case 'GET /v1/users/{userId}':
      return getUser(userIdOf(event), deps);
    case 'DELETE /v1/users/{userId}':
      return deleteUser(userIdOf(event), deps);
    default:
      return json(404, { message: `No route for ${event.httpMethod} ${event.path}` });
  }
}

async function postEvents(event: APIGatewayProxyEvent, deps: IngestDeps): Promise<APIGatewayProxyResult> {
  const body = parseJsonBody(event, deps.config.events.maxBodyBytes);
  const validation = validateBatch(body, deps.config.events);
  if (!validation.ok) {
    metrics.addMetric('RequestsRejected', MetricUnit.Count, 1);
    throw new RequestError(400, `${validation.problems.length} problem(s) in the request; nothing was stored`, validation.problems);
  }
  const result = await deps.events.ingest(validation.events);
  // Consent, channels and opt-outs must bind the very next send: fold those users now. Everyone
  // else is folded off the request path. Duplicates are refreshed too, so a retry after a crash
  // always completes the profile.
  const urgent = new Set(validation.events.filter((e) => e.type === 'profile').map((e) => e.userId));
  await Promise.all([...urgent].map((userId) => deps.events.refreshProfile(userId)));
  await deps.refresh.request(result.users.filter((u) => !urgent.has(u)));
  metrics.addMetric('EventsAccepted', MetricUnit.Count, result.accepted);
  metrics.addMetric('EventsDuplicate', MetricUnit.Count, result.duplicates);
  logger.debug('events ingested', { accepted: result.accepted, duplicates: result.duplicates, users: result.users.length });
  return json(202, { accepted: result.accepted, duplicates: result.duplicates });
}

async function getUser(userId: string, deps: IngestDeps): Promise<APIGatewayProxyResult> {
  const [profile, { entries, deleted }] = await Promise.all([deps.profiles.get(userId), deps.ledger.forUser(userId)]);
  if (!profile || deleted) return json(404, { message: `No user ${userId}` });
  const assessment = assess(profile, deps.now(), deps.config.dormancy);
  // The tier is the one the latest scan cut, since tiers are relative to the whole dormant population.
  const latest = [...entries].sort((a, b) => (a.scoredAt < b.scoredAt ? 1 : -1))[0];
  return json(200, { profile, dormancy: { ...assessment, tier: latest?.tier ?? null, tierScoredAt: latest?.scoredAt ?? null } });
}

async function deleteUser(userId: string, deps: IngestDeps): Promise<APIGatewayProxyResult> {
  // Marker first: from this instant no send can go out, even if erasing the events fails half-way.
  await deps.ledger.markDeleted(userId, deps.now());
  const erased = await deps.events.deleteUser(userId);
  metrics.addMetric('UsersDeleted', MetricUnit.Count, 1);
  return json(200, { userId, deleted: true, eventItemsErased: erased });
}

function userIdOf(event: APIGatewayProxyEvent): string {
  const userId = event.pathParameters?.userId;
  if (!userId || !/^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}$/.test(userId)) {
    throw new RequestError(400, 'Invalid userId in path', [{ index: null, field: 'userId', reason: 'must be a valid user id' }]);
  }
  return userId;
}

let deps: IngestDeps | undefined;

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(httpErrors())
  .handler(async (event) => route(event, (deps ??= depsFromEnv())));
