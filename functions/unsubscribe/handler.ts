/**
 * The unsubscribe link every email carries (channels.ses), behind API Gateway with no API key:
 * mail clients and people call it, not the brand's servers. The signed token in the URL is what
 * authorizes it, and it can only ever withdraw consent, never grant anything.
 *
 *   GET  /v1/unsubscribe?token=…   a confirmation page whose button POSTs; GET itself changes
 *                                  nothing, since mail scanners and link previews fetch links
 *   POST /v1/unsubscribe?token=…   RFC 8058 one-click (body `List-Unsubscribe=One-Click`): email
 *                                  consent withdrawn through the event store and the profile
 *                                  folded before answering 200, so the next send already sees it
 *
 * A bad token answers 400 with the reason and writes nothing. A repeated click finds consent
 * already withdrawn and writes nothing; two racing clicks write the same event id, stored once.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { verifyUnsubscribeToken } from '../../shared/channels/ses';
import { now as clockNow } from '../../shared/clock';
import { configFromEnv, type RewakeConfig } from '../../shared/config';
import { ENV, requireEnv } from '../../shared/env';
import { ConfigError } from '../../shared/errors';
import { applyFeedback, type FeedbackStores } from '../../shared/feedback/apply';
import { isOneClickBody, tokenProblem, TOKEN_PROBLEM_TEXT, unsubscribeAction } from '../../shared/feedback/unsubscribe';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import { resolveSecret } from '../../shared/secrets';
import { documentClient } from '../../shared/store/dynamo';
import { feedbackStoreDeps, feedbackStores } from '../feedback/stores';
import { confirmPage, donePage, errorPage } from './page';
import { lazyAsync } from '../../shared/lazy';

export interface UnsubscribeDeps {
  config: RewakeConfig;
  stores: FeedbackStores;
  /** The key the SES channel signs tokens with (channels.ses.unsubscribeSecretEnv). */
  secret: string;
  now: () => Date;
}

export async function depsFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<UnsubscribeDeps> {
  const config = configFromEnv(env);
  const ses = config.channels.ses;
  if (!ses) throw new ConfigError('channels.ses is not configured: the unsubscribe endpoint only serves the links SES emails carry');
  const tables = {
    eventsTable: requireEnv(ENV.eventsTable, env),
    profilesTable: requireEnv(ENV.profilesTable, env),
    sendsTable: requireEnv(ENV.sendsTable, env),
  };
  return {
    config,
    stores: feedbackStores(feedbackStoreDeps(documentClient(), tables, config)),
    secret: await resolveSecret(ses.unsubscribeSecretEnv, env),
    now: clockNow,
  };
}

export async function unsubscribe(event: APIGatewayProxyEvent, deps: UnsubscribeDeps): Promise<APIGatewayProxyResult> {
  const method = event.httpMethod.toUpperCase();
  if (method !== 'GET' && method !== 'POST') return errorPage(405, '不支持此请求。', 'This request method is not supported.');

  const token = event.queryStringParameters?.token ?? undefined;
  const verified = token ? verifyUnsubscribeToken(token, deps.secret) : undefined;
  if (!token || !verified) {
    const problem = tokenProblem(token);
    metrics.addMetric(`UnsubscribeRejected_${problem}`, MetricUnit.Count, 1);
    return errorPage(400, '此退订链接无效：请使用邮件中的原始链接。', TOKEN_PROBLEM_TEXT[problem]);
  }
  const brand = deps.config.brand;
  if (method === 'GET') return confirmPage(verified.channel, token, brand);

  if (!isOneClickBody(bodyText(event), headerOf(event, 'content-type'))) {
    metrics.addMetric('UnsubscribeRejected_body', MetricUnit.Count, 1);
    return errorPage(400, '请求内容不正确：请使用退订页面上的按钮。', 'The request body must be List-Unsubscribe=One-Click (RFC 8058); use the button on the unsubscribe page.');
  }
  try {
    const [result] = await applyFeedback([unsubscribeAction(verified, token, deps.now())], deps.stores);
    metrics.addMetric(`Unsubscribe_${result!.outcome}`, MetricUnit.Count, 1);
    // The user id, channel and outcome only: never the token (it is the link's authority) nor an address.
    logger.info('unsubscribe', { userId: verified.userId, channel: verified.channel, outcome: result!.outcome });
    return donePage(verified.channel, brand);
  } catch (error) {
    logger.error('unsubscribe failed', { userId: verified.userId, channel: verified.channel, error: error as Error });
    return errorPage(500, '暂时无法完成退订，请稍后重试。', 'We could not complete the unsubscribe just now; please try again in a moment.');
  }
}

function bodyText(event: APIGatewayProxyEvent): string | null {
  if (event.body === null || event.body === undefined) return null;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

function headerOf(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === name) return value ?? undefined;
  return undefined;
}

/** Built once per container; a failed cold start is retried by the next request. */
const cachedDeps = lazyAsync(depsFromEnv);

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (event) => unsubscribe(event, await cachedDeps()));
