/**
 * The model fit job (weekly, EventBridge Scheduler; `rewake start` runs it before the scan):
 * streams every profile into compact arrays, fits BG/NBD, MBG/NBD and Gamma-Gamma by maximum
 * likelihood on the whole customer base, and stores the parameters with the fit date and data
 * window. With too little data, or a degenerate fit, it stores why, and scans fall back to rules.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { now as clockNow } from '../../shared/clock';
import { configFromEnv, type RewakeConfig } from '../../shared/config';
import { FitInput, type StoredModel } from '../../shared/dormancy/customer-model';
import { ENV, requireEnv } from '../../shared/env';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import { documentClient } from '../../shared/store/dynamo';
import { ModelStore } from '../../shared/store/model-store';
import { ProfileStore } from '../../shared/store/profile-store';

export interface FitRequest {
  source?: string;
  /** ISO instant to fit as of; default now. */
  now?: string;
}

export interface FitDeps {
  config: RewakeConfig;
  profiles: ProfileStore;
  models: ModelStore;
  now: () => Date;
}

export function depsFromEnv(): FitDeps {
  const db = documentClient();
  return {
    config: configFromEnv(),
    profiles: new ProfileStore(db, requireEnv(ENV.profilesTable)),
    models: new ModelStore(db, requireEnv(ENV.modelsTable)),
    now: clockNow,
  };
}

export async function fitModels(request: FitRequest, deps: FitDeps): Promise<StoredModel> {
  const at = request.now ? new Date(request.now) : deps.now();
  if (Number.isNaN(at.getTime())) throw new Error(`Fit request has an invalid "now": ${request.now}`);
  const input = new FitInput(at, deps.config.model.periodDays);
  const segments = deps.config.schedule.scanSegments;
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      for await (const page of deps.profiles.scanSegment(segment, segments)) for (const profile of page) input.add(profile);
    }),
  );
  const model = input.fit(deps.config.model, at);
  await deps.models.put(model);
  metrics.addMetric('CustomersFitted', MetricUnit.Count, model.customers);
  if (model.fallbackReason) logger.warn('no usable model: scans fall back to rules', { reason: model.fallbackReason });
  else logger.info('model fitted', { model: model.transaction?.model, customers: model.customers, fits: model.fits });
  return model;
}

let deps: FitDeps | undefined;

export const handler = middy<FitRequest, StoredModel>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (request) => fitModels(request ?? {}, (deps ??= depsFromEnv())));
