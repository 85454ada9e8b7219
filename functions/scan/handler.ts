/**
 * The dormancy scan, run daily by EventBridge Scheduler (or `rewake scan --as-of` locally).
 * Streams the profiles table over parallel-scan segments twice: first to learn the dormant
 * population's value distribution (tier cut points), then to tier each candidate and enqueue the
 * campaign step that is due. Safe to run twice a day: the ledger lets each step through once.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { nextWinbackStep } from '../../shared/campaigns/winback';
import { now as clockNow, dayIn } from '../../shared/clock';
import { configFromEnv, TIERS, type RewakeConfig, type Tier } from '../../shared/config';
import type { Candidate } from '../../shared/dormancy/candidate';
import { assess, STATES, type DormancyState } from '../../shared/dormancy/classify';
import { QuantileSketch, tierCuts, tierOf, type TierCuts } from '../../shared/dormancy/tiers';
import { ENV, requireEnv } from '../../shared/env';
import { isHoldout } from '../../shared/measure/holdout';
import { logger, metrics, MetricUnit } from '../../shared/observability';
import type { Profile } from '../../shared/profiles/aggregate';
import { CandidateQueue, sqsClient } from '../../shared/queue/candidate-queue';
import { documentClient } from '../../shared/store/dynamo';
import { ProfileStore } from '../../shared/store/profile-store';
import { SendLedger } from '../../shared/store/send-ledger';

export interface ScanRequest {
  /** EventBridge Scheduler sends {"source":"schedule"}; a manual run may pin the instant. */
  source?: string;
  /** ISO instant to scan as of; default now. */
  now?: string;
}

export interface ScanSummary {
  asOf: string;
  scannedAt: string;
  profiles: number;
  byState: Record<DormancyState, number>;
  /** Candidates (at risk or dormant) per tier. */
  byTier: Record<Tier, number>;
  tierCuts: TierCuts;
  enqueued: number;
  holdout: number;
  /** Candidates with nothing due today (step pending, cadence finished, returned...). */
  notDue: number;
}

export interface ScanDeps {
  config: RewakeConfig;
  profiles: ProfileStore;
  ledger: SendLedger;
  queue: CandidateQueue;
  now: () => Date;
}

export function depsFromEnv(): ScanDeps {
  const db = documentClient();
  return {
    config: configFromEnv(),
    profiles: new ProfileStore(db, requireEnv(ENV.profilesTable)),
    ledger: new SendLedger(db, requireEnv(ENV.sendsTable)),
    queue: new CandidateQueue(sqsClient(), requireEnv(ENV.candidatesQueueUrl)),
    now: clockNow,
  };
}

/** States that enter the win-back campaign. `lost` users are past the point where a message pays. */
const CANDIDATE_STATES: ReadonlySet<DormancyState> = new Set(['at_risk', 'dormant']);

export async function scan(request: ScanRequest, deps: ScanDeps): Promise<ScanSummary> {
  const { config } = deps;
  const at = request.now ? new Date(request.now) : deps.now();
  if (Number.isNaN(at.getTime())) throw new Error(`Scan request has an invalid "now": ${request.now}`);
  const segments = config.schedule.scanSegments;
  const campaign = config.campaigns.winback.id;
  const valueOf = (p: Profile) => p.monetaryTotal;

  // Pass 1: the value distribution of today's candidates, in constant memory.
  const sketches = await Promise.all(
    range(segments).map(async (segment) => {
      const sketch = new QuantileSketch();
      for await (const page of deps.profiles.scanSegment(segment, segments)) {
        for (const p of page) if (CANDIDATE_STATES.has(assess(p, at, config.dormancy).state)) sketch.add(valueOf(p));
      }
      return sketch;
    }),
  );
  const cuts = tierCuts(config.tiers, sketches.reduce((all, s) => all.merge(s), new QuantileSketch()));

  // Pass 2: tier each candidate and enqueue its due step.
  const summary: ScanSummary = {
    asOf: dayIn(at, config.schedule.timezone),
    scannedAt: at.toISOString(),
    profiles: 0,
    byState: Object.fromEntries(STATES.map((s) => [s, 0])) as Record<DormancyState, number>,
    byTier: Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>,
    tierCuts: cuts,
    enqueued: 0,
    holdout: 0,
    notDue: 0,
  };
  await Promise.all(
    range(segments).map(async (segment) => {
      for await (const page of deps.profiles.scanSegment(segment, segments)) {
        const due: Candidate[] = [];
        for (const profile of page) {
          summary.profiles += 1;
          const assessment = assess(profile, at, config.dormancy);
          summary.byState[assessment.state] += 1;
          if (!CANDIDATE_STATES.has(assessment.state)) continue;
          const value = valueOf(profile);
          const tier = tierOf(value, cuts);
          summary.byTier[tier] += 1;
          const { entries, deleted } = await deps.ledger.forUser(profile.userId);
          if (deleted) continue;
          const history = entries.filter((e) => e.campaign === campaign);
          const next = nextWinbackStep(history, profile, at, config.campaigns.winback.stepDays);
          if (!next.due) {
            summary.notDue += 1;
            continue;
          }
          const candidate: Candidate = {
            userId: profile.userId,
            campaign,
            step: next.step,
            asOf: summary.asOf,
            scoredAt: at.toISOString(),
            state: assessment.state,
            tier,
            reason: assessment.reason,
            value,
            holdout: isHoldout(profile.userId, campaign, config.holdout),
          };
          const claimed = await deps.ledger.markQueued({ ...candidate, status: 'queued', queuedAt: at.toISOString() }, at);
          if (claimed) due.push(candidate);
          else summary.notDue += 1;
        }
        // Claim in the ledger, enqueue, then note the enqueue: a crash before the note leaves claims
        // the next scan offers again, never messages that no ledger entry knows about.
        await deps.queue.enqueue(due);
        await deps.ledger.markEnqueued(due, at);
        summary.enqueued += due.length;
        summary.holdout += due.filter((c) => c.holdout).length;
      }
    }),
  );
  metrics.addMetric('ProfilesScanned', MetricUnit.Count, summary.profiles);
  metrics.addMetric('CandidatesEnqueued', MetricUnit.Count, summary.enqueued);
  logger.info('scan finished', { ...summary });
  return summary;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

let deps: ScanDeps | undefined;

export const handler = middy<ScanRequest, ScanSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (request) => scan(request ?? {}, (deps ??= depsFromEnv())));
