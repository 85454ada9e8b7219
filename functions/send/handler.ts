/**
 * The sender: consumes candidate batches from SQS, applies the delivery rules, and hands every
 * message of the batch to the channel in as few provider calls as it allows. Returns the records
 * to retry as batch item failures (ReportBatchItemFailures); the rest are done, exactly once,
 * thanks to the ledger's conditional claim.
 */
import { randomBytes } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DeliveryChannel, DeliveryOutcome, OutgoingMessage } from '../../shared/channels/channel';
import { PinpointChannel, pinpointClient } from '../../shared/channels/pinpoint';
import { ChannelRouter, type ChannelProviders } from '../../shared/channels/router';
import { SesEmailChannel, sesClient } from '../../shared/channels/ses';
import { EumSmsChannel, smsClient } from '../../shared/channels/sms';
import { WebhookChannel } from '../../shared/channels/webhook';
import { now as clockNow } from '../../shared/clock';
import { configFromEnv, type RewakeConfig } from '../../shared/config';
import { recordDecisions, type DecisionRecord } from '../../shared/delivery/decision-log';
import { decide } from '../../shared/delivery/rules';
import type { Candidate } from '../../shared/dormancy/candidate';
import { ENV, requireEnv } from '../../shared/env';
import { chooseOffer } from '../../shared/offers/policy';
import { renderMessage } from '../../shared/offers/render';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import { CandidateQueue } from '../../shared/queue/candidate-queue';
import { sqsClient } from '../../shared/queue/sqs';
import type { FeedbackStores } from '../../shared/feedback/apply';
import { channelSecretNames, loadSecretsIntoEnv } from '../../shared/secrets';
import { feedbackStoreDeps, feedbackStores } from '../feedback/stores';
import { recordProviderOutcomes } from '../feedback/provider-outcomes';
import { documentClient } from '../../shared/store/dynamo';
import { ProfileStore } from '../../shared/store/profile-store';
import { SendLedger, type SendRecord } from '../../shared/store/send-ledger';
import { RecommendationStore } from '../../shared/store/recommendation-store';
import { recommend } from '../../shared/recommend';
import type { Profile } from '../../shared/profiles/aggregate';

export interface SendDeps {
  config: RewakeConfig;
  profiles: ProfileStore;
  ledger: SendLedger;
  queue: CandidateQueue;
  channel: DeliveryChannel;
  now: () => Date;
  /** The stored item-to-item model; absent: messages carry no product recommendations. */
  recommendations?: RecommendationStore;
  /** Where provider OPT_OUT / PERMANENT_FAILURE answers are recorded for later campaigns; off when absent. */
  feedback?: FeedbackStores;
}

export function depsFromEnv(): SendDeps {
  const config = configFromEnv();
  const db = documentClient();
  return {
    config,
    profiles: new ProfileStore(db, requireEnv(ENV.profilesTable)),
    ledger: new SendLedger(db, requireEnv(ENV.sendsTable)),
    queue: new CandidateQueue(sqsClient(), requireEnv(ENV.candidatesQueueUrl)),
    channel: channelFromConfig(config),
    now: clockNow,
    recommendations: new RecommendationStore(db, requireEnv(ENV.modelsTable)),
    // Recording provider answers needs the events table; the stack names it only when enabled.
    feedback: process.env[ENV.eventsTable]
      ? feedbackStores(
          feedbackStoreDeps(db, { eventsTable: requireEnv(ENV.eventsTable), profilesTable: requireEnv(ENV.profilesTable), sendsTable: requireEnv(ENV.sendsTable) }, config),
        )
      : undefined,
  };
}

/**
 * push → Pinpoint; sms → End User Messaging when configured, else the webhook when it serves sms,
 * else Pinpoint; email → SES when configured; webhook's own channels → the webhook.
 */
export function channelFromConfig(config: RewakeConfig, env: NodeJS.ProcessEnv = process.env): ChannelRouter {
  const { ses, sms, webhook, pinpoint } = config.channels;
  const pinpointChannel = new PinpointChannel(pinpointClient(), {
    applicationId: requireEnv(ENV.pinpointApplicationId, env),
    smsOriginationNumber: pinpoint.smsOriginationNumber,
  });
  const providers: ChannelProviders = { push: pinpointChannel, sms: pinpointChannel };
  if (sms) {
    providers.sms = new EumSmsChannel(smsClient(), { originationIdentity: sms.originationIdentity, configurationSetName: sms.configurationSet });
  }
  if (ses) {
    providers.email = new SesEmailChannel(sesClient(), {
      fromEmailAddress: ses.fromAddress,
      configurationSetName: ses.configurationSet,
      unsubscribeBaseUrl: ses.unsubscribeBaseUrl,
      unsubscribeMailto: ses.unsubscribeMailto,
      unsubscribeSecret: requireEnv(ses.unsubscribeSecretEnv, env),
    });
  }
  if (webhook) {
    const channel = new WebhookChannel({
      url: webhook.url,
      secret: requireEnv(webhook.secretEnv, env),
      channels: webhook.channels,
      maxBatch: webhook.maxBatch,
      timeoutMs: webhook.timeoutMs,
    });
    for (const c of webhook.channels) providers[c] = channel;
  }
  return new ChannelRouter(providers);
}

interface Pending {
  record: SQSRecord;
  candidate: Candidate;
  ledger: SendRecord;
  message: OutgoingMessage;
}

export async function sendBatch(event: SQSEvent, deps: SendDeps): Promise<SQSBatchResponse> {
  const now = deps.now();
  metrics.addMetric('RecordsReceived', MetricUnit.Count, event.Records.length);
  const failures = new Set<string>();
  const decisions: DecisionRecord[] = [];
  const outgoing: Pending[] = [];

  await Promise.all(
    event.Records.map(async (record) => {
      try {
        const pending = await decideRecord(record, deps, now, decisions);
        if (pending) outgoing.push(pending);
      } catch (error) {
        // A record that cannot be handled goes back to the queue, and after maxReceiveCount to
        // the DLQ: never dropped silently.
        logger.error('candidate failed', { messageId: record.messageId, error: error as Error });
        failures.add(record.messageId);
      }
    }),
  );

  const outcomes = await deliver(deps.channel, outgoing.map((p) => p.message));
  await Promise.all(
    outgoing.map(async (p) => {
      const outcome = outcomes.get(p.message.key)!;
      const { userId, campaign, step } = p.candidate;
      const base = { userId, campaign, step, kind: p.candidate.kind ?? 'winback', channel: p.message.channel, tier: p.candidate.tier, offerId: p.ledger.offerId, at: now.toISOString() };
      try {
        if (outcome.result === 'sent') {
          await deps.ledger.settle(userId, campaign, step, { status: 'sent', messageId: outcome.messageId, detail: outcome.status, at: now.toISOString() });
          decisions.push({ ...base, decision: 'sent', reason: outcome.status });
        } else if (outcome.result === 'suppress') {
          await deps.ledger.settle(userId, campaign, step, { status: 'failed', detail: outcome.status, at: now.toISOString() });
          decisions.push({ ...base, decision: 'failed', reason: outcome.status });
        } else {
          await deps.ledger.release(userId, campaign, step, outcome.status);
          decisions.push({ ...base, decision: 'retry', reason: outcome.status });
          failures.add(p.record.messageId);
        }
      } catch (error) {
        logger.error('ledger settle failed', { messageId: p.record.messageId, error: error as Error });
        failures.add(p.record.messageId);
      }
    }),
  );

  recordDecisions(decisions);
  await recordProviderOutcomes(decisions, deps.feedback);
  for (const d of decisions) metrics.addMetric(`Decision_${d.decision}`, MetricUnit.Count, 1);
  return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
}

async function decideRecord(record: SQSRecord, deps: SendDeps, now: Date, decisions: DecisionRecord[]): Promise<Pending | undefined> {
  const candidate = parseCandidate(record.body);
  const { config } = deps;
  const { userId, campaign, step } = candidate;
  const at = now.toISOString();

  // Deferred by quiet hours and not yet due: hop through the queue again (SQS delays ≤ 15 min).
  if (candidate.notBefore && Date.parse(candidate.notBefore) > now.getTime()) {
    await deps.queue.defer(candidate, (Date.parse(candidate.notBefore) - now.getTime()) / 1000);
    return undefined;
  }

  const [profile, { entries, deleted }] = await Promise.all([deps.profiles.get(userId), deps.ledger.forUser(userId)]);
  const decision = decide({
    profile,
    deleted,
    holdout: candidate.holdout,
    campaign,
    step,
    scoredAt: candidate.scoredAt,
    ledger: entries.map((e) => ({ campaign: e.campaign, step: e.step, status: e.status, at: e.at })),
    now,
    availableChannels: deps.channel.channels,
    delivery: config.delivery,
  });
  // A candidate without a kind was queued before there were other campaigns: win-back.
  const kind = candidate.kind ?? 'winback';
  const offer = chooseOffer(candidate.tier, candidate.reason, step, config.offers, kind);
  const prior = entries.find((e) => e.campaign === campaign && e.step === step);
  const ledger: SendRecord = {
    ...stripTransient(candidate),
    status: 'queued',
    queuedAt: prior?.queuedAt ?? at,
    enqueuedAt: prior?.enqueuedAt,
    offerId: offer.id,
    discountPercent: offer.discountPercent,
  };
  const log = { userId, campaign, step, kind, tier: candidate.tier, offerId: offer.id, at };

  switch (decision.outcome) {
    case 'holdout':
      // Recorded with everything the report needs, as if sent now; never sent.
      if (await deps.ledger.record({ ...ledger, status: 'holdout', at, channel: decision.channel ?? undefined })) {
        decisions.push({ ...log, decision: 'holdout', channel: decision.channel ?? undefined });
      }
      return undefined;
    case 'suppress':
      if (decision.reason !== 'already_handled' && (await deps.ledger.record({ ...ledger, status: 'suppressed', detail: decision.reason, at }))) {
        decisions.push({ ...log, decision: 'suppressed', reason: decision.reason });
      }
      return undefined;
    case 'defer': {
      // Queue first, ledger second: a crash in between leaves a message to retry, not a ledger
      // entry waiting for a message that does not exist.
      await deps.queue.defer({ ...candidate, notBefore: decision.notBefore }, (Date.parse(decision.notBefore) - now.getTime()) / 1000);
      await deps.ledger.record({ ...ledger, status: 'deferred', notBefore: decision.notBefore, detail: decision.reason });
      decisions.push({ ...log, decision: 'deferred', reason: decision.reason });
      return undefined;
    }
    case 'send': {
      const locale = profile?.locale ?? config.locale;
      const couponCode = offer.kind === 'coupon' || offer.kind === 'vip_discount' ? newCouponCode() : undefined;
      const couponExpiresOn = couponCode ? new Date(now.getTime() + offer.validDays * 86_400_000).toISOString().slice(0, 10) : undefined;
      // PIPL Art. 24: no personalisation for users who refused it.
      const personalised = profile?.personalisedRecommendations === true;
      const categories = personalised ? Object.keys(profile.categoryAffinity).slice(0, 2) : [];
      const recommendations = await recommendFor(profile, deps, now);
      const rendered = renderMessage({
        recommendations,
        brand: config.brand,
        locale,
        channel: decision.channel,
        offer,
        kind,
        couponCode,
        expiresOn: couponExpiresOn,
        categories,
        category: personalised ? candidate.category : undefined,
        years: candidate.years,
      });
      const claimed = await deps.ledger.claim({ ...ledger, channel: decision.channel, couponCode, couponExpiresOn, recommendations, at });
      if (!claimed) return undefined; // another delivery of this record, or another sender, has it
      return {
        record,
        candidate,
        ledger: { ...ledger, couponCode },
        message: { key: record.messageId, userId, campaign, step, channel: decision.channel, address: decision.address, ...rendered, recommendations },
      };
    }
  }
}

/**
 * The user's recommended products from the latest stored model: their own history first, then their
 * categories and what is popular; only popular items for users who refused personalisation (PIPL
 * Art. 24), without reading their history. No model yet, or a failed read: the message goes
 * without, rather than not at all.
 */
async function recommendFor(profile: Profile | undefined, deps: SendDeps, now: Date): Promise<string[] | undefined> {
  if (!deps.recommendations || !profile) return undefined;
  const { count, recentDays, consumableCategories } = deps.config.recommendations;
  try {
    const input = await deps.recommendations.forUser(profile);
    if (!input) return undefined;
    const picks = recommend(input.model, input.history, { now, count, personalised: input.personalised, categories: input.categories, recentDays, consumableCategories });
    return picks.map((r) => r.sku);
  } catch (error) {
    logger.warn('recommendations unavailable; sending without them', { error: (error as Error).name });
    return undefined;
  }
}

/** One provider pass for the whole batch; a failed call means every message in it is retried. */
async function deliver(channel: DeliveryChannel, messages: OutgoingMessage[]): Promise<Map<string, DeliveryOutcome>> {
  if (messages.length === 0) return new Map();
  try {
    const outcomes = await channel.send(messages);
    return new Map(outcomes.map((o) => [o.key, o]));
  } catch (error) {
    logger.warn('provider call failed; the batch will be retried', { error: error as Error, messages: messages.length });
    return new Map(messages.map((m) => [m.key, { key: m.key, result: 'retry', status: (error as Error).name || 'PROVIDER_ERROR' }]));
  }
}

function parseCandidate(body: string): Candidate {
  const candidate = JSON.parse(body) as Candidate;
  if (typeof candidate?.userId !== 'string' || typeof candidate.campaign !== 'string' || !Number.isInteger(candidate.step)) {
    throw new Error('Malformed candidate message: needs userId, campaign and step');
  }
  return candidate;
}

function stripTransient({ notBefore: _notBefore, ...candidate }: Candidate) {
  return candidate;
}

/** Unguessable: 40 random bits, in an alphabet without look-alikes (no 0/O, 1/I). */
function newCouponCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(10);
  let code = '';
  for (const b of bytes) code += alphabet[b % alphabet.length];
  return `RW${code.slice(0, 4)}${code.slice(4, 8)}`;
}

let deps: SendDeps | undefined;

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    // Channel keys (unsubscribe, webhook) come from Secrets Manager once per container.
    if (!deps) await loadSecretsIntoEnv(channelSecretNames(configFromEnv()));
    return sendBatch(event, (deps ??= depsFromEnv()));
  });
