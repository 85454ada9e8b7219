/**
 * The recommender training job (weekly, EventBridge Scheduler): streams every purchase and browse
 * fact from the Events table (a parallel scan, facts only, projected to the two attributes it
 * needs), trains the item-to-item model, and stores it in the Models table, pointer last. The
 * sender reads it per user at send time (RecommendationStore.forUser).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { now as clockNow } from '../../shared/clock';
import { configFromEnv, type RewakeConfig } from '../../shared/config';
import { ENV, requireEnv } from '../../shared/env';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import type { Fact } from '../../shared/profiles/facts';
import { addFact } from '../../shared/recommend/facts';
import { RecommenderTrainer } from '../../shared/recommend/train';
import { documentClient } from '../../shared/store/dynamo';
import { RecommendationStore } from '../../shared/store/recommendation-store';

export interface TrainRequest {
  source?: string;
  /** ISO instant to train as of (the decay's reference); default now. */
  now?: string;
}

export interface TrainSummary {
  version: string;
  fittedAt: string;
  users: number;
  items: number;
  interactions: number;
  /** Neighbour pairs stored, over all items. */
  neighbours: number;
  records: number;
  /** Older versions deleted. */
  pruned: string[];
}

export interface TrainDeps {
  config: RewakeConfig;
  db: DynamoDBDocumentClient;
  eventsTable: string;
  store: RecommendationStore;
  now: () => Date;
}

export function depsFromEnv(): TrainDeps {
  const db = documentClient();
  return {
    config: configFromEnv(),
    db,
    eventsTable: requireEnv(ENV.eventsTable),
    store: new RecommendationStore(db, requireEnv(ENV.modelsTable)),
    now: clockNow,
  };
}

/** Only these fact types feed the model; the rest are parsed and skipped. */
const USEFUL = new Set(['purchase', 'browse']);

export async function trainRecommendations(request: TrainRequest, deps: TrainDeps): Promise<TrainSummary> {
  const at = request.now ? new Date(request.now) : deps.now();
  if (Number.isNaN(at.getTime())) throw new Error(`Train request has an invalid "now": ${request.now}`);
  const { neighbours, popularItems } = deps.config.recommendations;
  const trainer = new RecommenderTrainer({ fittedAt: at, params: { neighbours, popularItems } });
  const segments = deps.config.schedule.scanSegments;
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      const pages = paginateScan(
        { client: deps.db, pageSize: 1000 },
        {
          TableName: deps.eventsTable,
          Segment: segment,
          TotalSegments: segments,
          FilterExpression: 'begins_with(#sk, :f)',
          ProjectionExpression: '#u, #f',
          ExpressionAttributeNames: { '#sk': 'sk', '#u': 'userId', '#f': 'fact' },
          ExpressionAttributeValues: { ':f': 'F#' },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const fact = JSON.parse(item.fact as string) as Fact;
          // Facts from after the reference instant (a re-run "as of" a past day) stay out.
          if (USEFUL.has(fact.type) && fact.t <= at.getTime()) addFact(trainer, item.userId as string, fact);
        }
      }
    }),
  );
  const model = trainer.train();
  const { records, pruned } = await deps.store.put(model);
  metrics.addMetric('RecommenderItems', MetricUnit.Count, model.stats.items);
  metrics.addMetric('RecommenderUsers', MetricUnit.Count, model.stats.users);
  logger.info('recommender trained', { version: model.version, ...model.stats, records, pruned });
  return { version: model.version, fittedAt: model.fittedAt, ...model.stats, records, pruned };
}

let deps: TrainDeps | undefined;

export const handler = middy<TrainRequest, TrainSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (request) => trainRecommendations(request ?? {}, (deps ??= depsFromEnv())));
