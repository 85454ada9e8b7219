/**
 * The reactivation report job (daily, EventBridge Scheduler, after the scan's sends): builds the
 * report from the sends ledger and the events table and writes it to the reports bucket:
 *
 *   reports/latest.json      what GET /v1/reports/latest returns
 *   reports/<YYYY-MM-DD>.json one per day (the day in schedule.timezone), for the history
 *   reports/latest.html      the self-contained page with charts
 *
 * The dated copy is written first and latest.json last, so a reader never sees a latest.json
 * whose HTML or history is missing.
 */
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { dayIn, now as clockNow } from '../../shared/clock';
import { configFromEnv, type RewakeConfig } from '../../shared/config';
import { ENV, requireEnv } from '../../shared/env';
import { renderReportHtml } from '../../shared/measure/report-html';
import type { Report } from '../../shared/measure/report';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import { datedKey, LATEST_HTML_KEY, LATEST_JSON_KEY } from './keys';
import { produceReport, sourcesFromEnv, type ReportSources } from './produce';

export interface ReportRequest {
  source?: string;
  /** ISO instant to report as of; default now. */
  now?: string;
  /** Period of window openings, YYYY-MM-DD inclusive; default everything. */
  from?: string;
  to?: string;
}

export interface ReportDeps {
  config: RewakeConfig;
  sources: ReportSources;
  s3: S3Client;
  bucket: string;
  now: () => Date;
}

export function depsFromEnv(): ReportDeps {
  const config = configFromEnv();
  return {
    config,
    sources: sourcesFromEnv(config),
    s3: new S3Client({}),
    bucket: requireEnv(ENV.reportsBucket),
    now: clockNow,
  };
}

export interface ReportResult {
  keys: string[];
  verdict: Report['overall']['verdict'];
  analysed: Report['counts']['analysed'];
}

export async function runReport(request: ReportRequest, deps: ReportDeps): Promise<ReportResult> {
  const at = request.now ? new Date(request.now) : deps.now();
  if (Number.isNaN(at.getTime())) throw new Error(`Report request has an invalid "now": ${request.now}`);
  const report = await produceReport(deps.sources, {
    config: deps.config,
    now: at,
    delivery: 'real',
    period: { from: request.from, to: request.to },
  });
  const json = JSON.stringify(report);
  const day = dayIn(at, deps.config.schedule.timezone);
  const put = (Key: string, Body: string, ContentType: string, CacheControl?: string) =>
    deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key, Body, ContentType, CacheControl }));
  await put(datedKey(day), json, 'application/json; charset=utf-8');
  await put(LATEST_HTML_KEY, renderReportHtml(report), 'text/html; charset=utf-8', 'no-cache');
  await put(LATEST_JSON_KEY, json, 'application/json; charset=utf-8', 'no-cache');

  metrics.addMetric('ReportEpisodesTreated', MetricUnit.Count, report.counts.analysed.treated);
  metrics.addMetric('ReportEpisodesHoldout', MetricUnit.Count, report.counts.analysed.holdout);
  logger.info('report written', { day, verdict: report.overall.verdict, analysed: report.counts.analysed, warnings: report.warnings.length });
  return { keys: [datedKey(day), LATEST_HTML_KEY, LATEST_JSON_KEY], verdict: report.overall.verdict, analysed: report.counts.analysed };
}

let deps: ReportDeps | undefined;

export const handler = middy<ReportRequest, ReportResult>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (event) => runReport(event ?? {}, (deps ??= depsFromEnv())));
