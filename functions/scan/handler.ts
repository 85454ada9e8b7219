/**
 * The dormancy scan. No single invocation reads the whole table: a Step Functions state machine
 * (infra/aws; `infra/local/scan-orchestrator.ts` locally) calls this handler once per phase and
 * per parallel-scan segment:
 *
 *   plan ─▶ sketch × N segments ─▶ cuts ─▶ enqueue × N segments ─▶ summarize
 *
 * `sketch` streams a segment and returns the value distribution of its candidates (constant
 * memory); `cuts` merges them into tier cut points; `enqueue` scores, tiers and enqueues, per user,
 * the one campaign step due today that ranks highest (shared/campaigns/plan.ts: win-back with
 * re-entry, birthday, anniversary, new arrivals). Safe to run twice a day: the ledger lets each
 * step through once, and a user queued today gets nothing else that day.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { CAMPAIGN_KINDS, holdoutCampaign, type CampaignKind } from '../../shared/campaigns/kinds';
import { isCandidateState, mayBeDue, planCampaigns } from '../../shared/campaigns/plan';
import { now as clockNow, dayIn } from '../../shared/clock';
import { configFromEnv, TIERS, type RewakeConfig, type Tier } from '../../shared/config';
import { recordDecisions, type DecisionRecord } from '../../shared/delivery/decision-log';
import type { Candidate } from '../../shared/dormancy/candidate';
import { assess, STATES, type Assessment, type DormancyState } from '../../shared/dormancy/classify';
import { scoreProfile, usableModel, type ModelScore, type StoredModel } from '../../shared/dormancy/customer-model';
import { QuantileSketch, tierCuts, tierOf, type TierCuts } from '../../shared/dormancy/tiers';
import { ENV, requireEnv } from '../../shared/env';
import { isHoldout } from '../../shared/measure/holdout';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import type { Profile } from '../../shared/profiles/aggregate';
import { CandidateQueue } from '../../shared/queue/candidate-queue';
import { sqsClient } from '../../shared/queue/sqs';
import { documentClient } from '../../shared/store/dynamo';
import { ModelStore } from '../../shared/store/model-store';
import { ProfileStore } from '../../shared/store/profile-store';
import { SendLedger } from '../../shared/store/send-ledger';

/** Everything every segment must agree on, decided once by `plan`. */
export interface ScanPlan {
  /** The scan's instant (ISO) and its day in the schedule's time zone. */
  now: string;
  asOf: string;
  totalSegments: number;
  segments: number[];
  /** The model every segment scores with, or null: the rules alone decide. */
  model: StoredModel | null;
  /** Why there is no model, for the summary and the report. */
  modelNote: string | null;
}

export interface SegmentSummary {
  profiles: number;
  byState: Record<DormancyState, number>;
  byTier: Record<Tier, number>;
  enqueued: number;
  /** Enqueued per campaign kind. */
  byCampaign: Record<CampaignKind, number>;
  holdout: number;
  notDue: number;
  /** Due campaigns that wait because a higher-priority one took the user's day. */
  outranked: number;
}

export interface ScanSummary extends SegmentSummary {
  asOf: string;
  scannedAt: string;
  tierCuts: TierCuts;
  /** What the value tiers were cut on. */
  valueBasis: 'lifetime_value' | 'historical_spend';
  model: { used: boolean; name: string | null; fittedAt: string | null; note: string | null };
}

export type ScanRequest =
  | { phase?: 'plan'; source?: string; now?: string }
  | { phase: 'sketch'; plan: ScanPlan; segment: number }
  | { phase: 'cuts'; plan: ScanPlan; sketches: ReturnType<QuantileSketch['toJSON']>[] }
  | { phase: 'enqueue'; plan: ScanPlan; cuts: TierCuts; segment: number }
  | { phase: 'summarize'; plan: ScanPlan; cuts: TierCuts; summaries: SegmentSummary[] };

export interface ScanDeps {
  config: RewakeConfig;
  profiles: ProfileStore;
  ledger: SendLedger;
  models: ModelStore;
  queue: CandidateQueue;
  now: () => Date;
}

export function depsFromEnv(): ScanDeps {
  const db = documentClient();
  return {
    config: configFromEnv(),
    profiles: new ProfileStore(db, requireEnv(ENV.profilesTable)),
    ledger: new SendLedger(db, requireEnv(ENV.sendsTable)),
    models: new ModelStore(db, requireEnv(ENV.modelsTable)),
    queue: new CandidateQueue(sqsClient(), requireEnv(ENV.candidatesQueueUrl)),
    now: clockNow,
  };
}

export async function runPhase(request: ScanRequest, deps: ScanDeps): Promise<unknown> {
  switch (request.phase) {
    case undefined:
    case 'plan':
      return plan(request, deps);
    case 'sketch':
      return sketchSegment(request.plan, request.segment, deps);
    case 'cuts':
      return tierCuts(deps.config.tiers, request.sketches.reduce((all, s) => all.merge(QuantileSketch.fromJSON(s)), new QuantileSketch()));
    case 'enqueue':
      return enqueueSegment(request.plan, request.cuts, request.segment, deps);
    case 'summarize':
      return summarize(request.plan, request.cuts, request.summaries);
  }
}

async function plan(request: { now?: string }, deps: ScanDeps): Promise<ScanPlan> {
  const at = request.now ? new Date(request.now) : deps.now();
  if (Number.isNaN(at.getTime())) throw new Error(`Scan request has an invalid "now": ${request.now}`);
  const stored = deps.config.model.enabled ? await deps.models.latest() : undefined;
  const model = usableModel(stored, at, deps.config.model);
  const modelNote = model
    ? null
    : !deps.config.model.enabled
      ? 'model scoring is disabled in the configuration'
      : !stored
        ? 'no model has been fitted yet'
        : (stored.fallbackReason ?? `the latest fit (${stored.fittedAt}) is older than ${deps.config.model.maxAgeDays} days`);
  const totalSegments = deps.config.schedule.scanSegments;
  return {
    now: at.toISOString(),
    asOf: dayIn(at, deps.config.schedule.timezone),
    totalSegments,
    segments: Array.from({ length: totalSegments }, (_, i) => i),
    model,
    modelNote,
  };
}

interface Scored {
  assessment: Assessment;
  score: ModelScore | undefined;
  value: number;
}

function scoreOne(profile: Profile, plan: ScanPlan, config: RewakeConfig): Scored {
  const at = new Date(plan.now);
  const score = scoreProfile(plan.model, profile, at, config.model);
  const assessment = assess(profile, at, config.dormancy, { score, thresholds: config.model });
  // Tiers rank by predicted lifetime value when a model scored the user, else by what they spent.
  return { assessment, score, value: plan.model ? (score?.clv ?? 0) : profile.monetaryTotal };
}

async function sketchSegment(plan: ScanPlan, segment: number, deps: ScanDeps) {
  const sketch = new QuantileSketch();
  for await (const page of deps.profiles.scanSegment(segment, plan.totalSegments)) {
    for (const profile of page) {
      const { assessment, value } = scoreOne(profile, plan, deps.config);
      if (isCandidateState(assessment.state)) sketch.add(value);
    }
  }
  return sketch.toJSON();
}

async function enqueueSegment(plan: ScanPlan, cuts: TierCuts, segment: number, deps: ScanDeps): Promise<SegmentSummary> {
  const { config } = deps;
  const at = new Date(plan.now);
  const summary = emptySummary();
  for await (const page of deps.profiles.scanSegment(segment, plan.totalSegments)) {
    const due: Candidate[] = [];
    const waiting: DecisionRecord[] = [];
    for (const profile of page) {
      summary.profiles += 1;
      const { assessment, value } = scoreOne(profile, plan, config);
      summary.byState[assessment.state] += 1;
      // Yearly campaigns may reach users who are not candidates: they get a tier by the same cuts.
      const tier = tierOf(value, cuts);
      if (isCandidateState(assessment.state)) summary.byTier[tier] += 1;
      const input = { profile, state: assessment.state, now: at, campaigns: config.campaigns, defaultTimezone: config.delivery.defaultTimezone };
      if (!mayBeDue(input)) continue;
      const { entries, deleted } = await deps.ledger.forUser(profile.userId);
      if (deleted) continue;
      const { chosen, outranked } = planCampaigns({ ...input, ledger: entries, asOf: plan.asOf });
      for (const { due: waits, by } of outranked) {
        waiting.push({ userId: profile.userId, campaign: waits.campaign, step: waits.step, kind: waits.kind, decision: 'deferred', reason: 'lower_priority', outrankedBy: by, tier, at: plan.now });
      }
      summary.outranked += outranked.length;
      if (!chosen) {
        summary.notDue += 1;
        continue;
      }
      const candidate: Candidate = {
        userId: profile.userId,
        campaign: chosen.campaign,
        step: chosen.step,
        kind: chosen.kind,
        asOf: plan.asOf,
        scoredAt: plan.now,
        state: assessment.state,
        tier,
        reason: assessment.reason,
        value: Math.round(value * 100) / 100,
        holdout: isHoldout(profile.userId, holdoutCampaign(chosen.kind, config.campaigns.winback.id), config.holdout),
        ...(chosen.category !== undefined && { category: chosen.category }),
        ...(chosen.sku !== undefined && { sku: chosen.sku }),
        ...(chosen.years !== undefined && { years: chosen.years }),
        ...(chosen.occasionOn !== undefined && { occasionOn: chosen.occasionOn }),
      };
      if (await deps.ledger.markQueued({ ...candidate, status: 'queued', queuedAt: plan.now }, at)) due.push(candidate);
      else summary.notDue += 1;
    }
    // Claim in the ledger, enqueue, then note the enqueue: a crash before the note leaves claims
    // the next scan offers again, never messages that no ledger entry knows about.
    await deps.queue.enqueue(due);
    await deps.ledger.markEnqueued(due, at);
    recordDecisions(waiting);
    summary.enqueued += due.length;
    summary.holdout += due.filter((c) => c.holdout).length;
    for (const c of due) summary.byCampaign[c.kind ?? 'winback'] += 1;
  }
  metrics.addMetric('ProfilesScanned', MetricUnit.Count, summary.profiles);
  metrics.addMetric('CandidatesEnqueued', MetricUnit.Count, summary.enqueued);
  metrics.addMetric('CampaignsOutranked', MetricUnit.Count, summary.outranked);
  return summary;
}

function summarize(plan: ScanPlan, cuts: TierCuts, summaries: SegmentSummary[]): ScanSummary {
  const total = emptySummary();
  for (const s of summaries) {
    total.profiles += s.profiles;
    total.enqueued += s.enqueued;
    total.holdout += s.holdout;
    total.notDue += s.notDue;
    // A segment summary from a run that began before this version has neither field.
    total.outranked += s.outranked ?? 0;
    for (const kind of CAMPAIGN_KINDS) total.byCampaign[kind] += s.byCampaign?.[kind] ?? 0;
    for (const state of STATES) total.byState[state] += s.byState[state];
    for (const tier of TIERS) total.byTier[tier] += s.byTier[tier];
  }
  const summary: ScanSummary = {
    ...total,
    asOf: plan.asOf,
    scannedAt: plan.now,
    tierCuts: cuts,
    valueBasis: plan.model ? 'lifetime_value' : 'historical_spend',
    model: { used: !!plan.model, name: plan.model?.transaction?.model ?? null, fittedAt: plan.model?.fittedAt ?? null, note: plan.modelNote },
  };
  logger.info('scan finished', { ...summary });
  return summary;
}

function emptySummary(): SegmentSummary {
  return {
    profiles: 0,
    byState: Object.fromEntries(STATES.map((s) => [s, 0])) as Record<DormancyState, number>,
    byTier: Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>,
    enqueued: 0,
    byCampaign: Object.fromEntries(CAMPAIGN_KINDS.map((k) => [k, 0])) as Record<CampaignKind, number>,
    holdout: 0,
    notDue: 0,
    outranked: 0,
  };
}

let deps: ScanDeps | undefined;

export const handler = middy<ScanRequest, unknown>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (request) => {
    // Every invocation adds a metric, so Powertools never warns about an empty flush.
    metrics.addMetric(`ScanPhase_${request?.phase ?? 'plan'}`, MetricUnit.Count, 1);
    return runPhase(request ?? {}, (deps ??= depsFromEnv()));
  });
