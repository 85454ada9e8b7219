/**
 * GET /v1/reports/latest: the latest reactivation report summary, as the report job stored it in
 * the reports bucket (reports/latest.json). 404 with a clear message until the job has run once.
 */
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ENV, requireEnv } from '../../shared/env';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import { json } from '../ingest/http';
import { LATEST_JSON_KEY } from './keys';

export interface LatestDeps {
  s3: S3Client;
  bucket: string;
}

export async function getLatestReport(event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'resource' | 'path'>, deps: LatestDeps): Promise<APIGatewayProxyResult> {
  if (event.httpMethod !== 'GET') return json(405, { message: `${event.httpMethod} is not allowed on ${event.path}; use GET` });
  metrics.addMetric('ReportRequests', MetricUnit.Count, 1);
  try {
    const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: LATEST_JSON_KEY }));
    const body = (await out.Body?.transformToString('utf-8')) ?? '';
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', ...(out.LastModified ? { 'last-modified': out.LastModified.toUTCString() } : {}) },
      body,
    };
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
      return json(404, { message: 'No report yet: the report job has not run. It runs daily (report.scheduleCron), or invoke the report function once.' });
    }
    logger.error('reading the latest report failed', { error: error as Error });
    return json(500, { message: 'Internal error reading the latest report; retry later' });
  }
}

let deps: LatestDeps | undefined;

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (event) => getLatestReport(event, (deps ??= { s3: new S3Client({}), bucket: requireEnv(ENV.reportsBucket) })));
