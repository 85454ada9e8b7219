/**
 * Provider feedback: SES bounces and complaints and End User Messaging SMS replies and delivery
 * events arrive on one SNS topic, which feeds the feedback queue this function consumes. Each
 * message becomes zero or more profile changes (shared/feedback), applied through the event store
 * like any ingested `profile` event and folded at once, so later sends see them:
 *
 *   Permanent bounce      → the email address is removed (while it is still the user's)
 *   complaint             → email consent withdrawn
 *   SMS reply R/TD/STOP   → SMS consent withdrawn for the users at that number
 *   SMS TEXT_INVALID      → the number is removed (while it is still the user's)
 *   SMS delivery events   → remembered: which users a number belongs to, for the replies
 *
 * Records are processed one at a time with Powertools batch processing; a record that fails
 * (a store error, a body that is not JSON, a message of no known kind) is reported as a batch item
 * failure, retried by SQS and, after queue.maxReceiveCount receives, kept in the dead-letter queue
 * (with an alarm). Applying feedback twice is harmless, so retries and redrives are safe.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { verifyUnsubscribeToken } from '../../shared/channels/ses';
import { configFromEnv } from '../../shared/config';
import { ENV, requireEnv } from '../../shared/env';
import { RewakeError } from '../../shared/errors';
import type { FeedbackAction } from '../../shared/feedback/actions';
import { applyFeedback, type FeedbackStores } from '../../shared/feedback/apply';
import { parseNotification } from '../../shared/feedback/notification';
import { sesFeedback } from '../../shared/feedback/ses';
import { deliveryEventActions, inboundOptOutActions, parseInboundSms, parseSmsDeliveryEvent, RECIPIENT_EVENTS } from '../../shared/feedback/sms';
import type { VerifiedToken } from '../../shared/feedback/unsubscribe';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import { resolveSecret } from '../../shared/secrets';
import { documentClient } from '../../shared/store/dynamo';
import { feedbackStoreDeps, feedbackStores, SmsRecipientIndex } from './stores';
import { lazyAsync } from '../../shared/lazy';

/** A message on the feedback topic that is none of the kinds above. */
export class UnknownFeedbackKindError extends RewakeError {}

export interface FeedbackDeps {
  stores: FeedbackStores;
  recipients: SmsRecipientIndex;
  /** Checks the unsubscribe token an SES event's List-Unsubscribe header carries; none without channels.ses. */
  verifyToken: (token: string) => VerifiedToken | undefined;
}

export async function depsFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<FeedbackDeps> {
  const config = configFromEnv(env);
  const db = documentClient();
  const eventsTable = requireEnv(ENV.eventsTable, env);
  const tables = { eventsTable, profilesTable: requireEnv(ENV.profilesTable, env), sendsTable: requireEnv(ENV.sendsTable, env) };
  const ses = config.channels.ses;
  const secret = ses ? await resolveSecret(ses.unsubscribeSecretEnv, env) : undefined;
  return {
    stores: feedbackStores(feedbackStoreDeps(db, tables, config)),
    recipients: new SmsRecipientIndex(db, eventsTable, config.events.retentionDays),
    verifyToken: (token) => (secret ? verifyUnsubscribeToken(token, secret) : undefined),
  };
}

/** One SQS record: one SNS message from SES or End User Messaging. */
export async function handleRecord(record: SQSRecord, deps: FeedbackDeps): Promise<void> {
  const notification = parseNotification(record.body);
  const receivedAt = receivedAtOf(record, notification.publishedAt);
  let actions: FeedbackAction[] = [];
  switch (notification.kind) {
    case 'ses': {
      const parsed = sesFeedback(notification.message, { verifyToken: deps.verifyToken, receivedAt });
      if (parsed.ignored) metrics.addMetric(`FeedbackIgnored_${parsed.ignored}`, MetricUnit.Count, 1);
      actions = parsed.actions;
      break;
    }
    case 'sms_inbound': {
      const inbound = parseInboundSms(notification.message)!;
      if (!inbound.optOut) {
        metrics.addMetric('FeedbackIgnored_sms_reply_not_opt_out', MetricUnit.Count, 1);
        break;
      }
      const users = await deps.recipients.usersOf(inbound.phone);
      // End User Messaging's own opt-out list still blocks the number (when R/TD are opt-out keywords).
      if (users.length === 0) metrics.addMetric('FeedbackIgnored_sms_reply_unknown_number', MetricUnit.Count, 1);
      actions = inboundOptOutActions(inbound, users, receivedAt);
      break;
    }
    case 'sms_event': {
      const event = parseSmsDeliveryEvent(notification.message, receivedAt);
      if (!event) {
        metrics.addMetric('FeedbackIgnored_sms_event_without_user', MetricUnit.Count, 1);
        break;
      }
      if (RECIPIENT_EVENTS.has(event.eventType)) await deps.recipients.remember(event.phone, event.userId);
      actions = deliveryEventActions(event);
      break;
    }
    case 'unknown':
      // Something we do not understand was published to the feedback topic: keep it (DLQ, alarm)
      // for a person to look at, rather than dropping what may be an opt-out in a new format.
      throw new UnknownFeedbackKindError('Feedback message of no known kind (not an SES event, nor an End User Messaging SMS message or event)');
  }
  for (const { action, outcome } of await applyFeedback(actions, deps.stores)) {
    metrics.addMetric(`Feedback_${action.source}_${outcome}`, MetricUnit.Count, 1);
    logger.info('feedback applied', { userId: action.userId, source: action.source, change: action.change.kind, channel: action.change.channel, outcome });
  }
}

/** SQS's SentTimestamp (when SNS handed it over), else the SNS envelope's, else now. */
function receivedAtOf(record: SQSRecord, publishedAt: string | undefined): Date {
  const sent = Number(record.attributes?.SentTimestamp);
  if (Number.isFinite(sent) && sent > 0) return new Date(sent);
  const published = publishedAt ? Date.parse(publishedAt) : Number.NaN;
  return Number.isFinite(published) ? new Date(published) : new Date();
}

export async function handleBatch(event: SQSEvent, deps: FeedbackDeps): Promise<SQSBatchResponse> {
  // Sequential: a user's bounce and complaint in one batch are applied in order, not raced.
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(event, (record: SQSRecord) => handleRecordSafely(record, deps), processor, { processInParallel: false });
}

/**
 * Failures are logged and rethrown by name only: a JSON parse error quotes the body, and bodies
 * hold email addresses and phone numbers.
 */
async function handleRecordSafely(record: SQSRecord, deps: FeedbackDeps): Promise<void> {
  try {
    await handleRecord(record, deps);
  } catch (error) {
    const name = (error instanceof Error && error.name) || 'Error';
    logger.error('feedback record failed; SQS will retry it, then keep it in the dead-letter queue', { messageId: record.messageId, error: name });
    throw new Error(`${name} while handling feedback record ${record.messageId}`);
  }
}

/** Built once per container; a failed cold start is retried by the next batch. */
const cachedDeps = lazyAsync(depsFromEnv);

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (event) => handleBatch(event, await cachedDeps()));
