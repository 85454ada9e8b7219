/**
 * Scan benchmark (DESIGN "Targets": the scan scores at least 1,000,000 profiles in one pass with
 * memory flat in the number of users).
 *
 * a. The real scan, end to end: BENCH_SCAN_PROFILES (100,000) profiles put straight into the
 *    embedded DynamoDB's profiles table, a model fitted on them (FitInput, as the fit job does) and
 *    stored in the Models table, then the real scan handler run phase by phase by the local state
 *    machine (plan, sketch × segments, cuts, enqueue × segments, summarize), enqueueing to the local
 *    SQS candidates queue (real SQS, not a stub: a side calibration shows what SQS alone costs).
 *    Profiles/s per phase, requests per profile and per candidate, peak RSS and heap sampled
 *    every 20 ms during the scan.
 * b. The scoring core alone (scoreProfile + assess + tierOf, exactly as the scan calls them) on
 *    BENCH_SCAN_CORE_PROFILES (1,000,000) profiles generated one at a time and dropped, with the
 *    heap (after a full GC) and RSS sampled at 100k, 250k, 500k and 1M.
 *
 * Profiles are realistic, not hand-made: each customer's purchase history is simulated from the
 * BTYD story (purchase rate λ ~ Gamma, dropout p ~ Beta after each purchase and at time 0, spend
 * per order Gamma-Gamma), with registration, consent, logins, browsing, the odd support ticket or
 * refund, and folded into a Profile by the real `foldProfile` from facts shaped as `toFact` makes them.
 *
 *   npm run bench -- scan [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Context } from 'aws-lambda';
import type { ScanRequest, ScanSummary } from '../functions/scan/handler';
import type { RewakeConfig } from '../shared/config';
import type { StoredModel } from '../shared/dormancy/customer-model';
import type { TierCuts } from '../shared/dormancy/tiers';
import { Rng } from '../shared/models/simulate';
import { foldProfile, type Profile } from '../shared/profiles/aggregate';
import type { Fact } from '../shared/profiles/facts';
import { quietLocalEnv } from '../infra/local/quiet-env';

const DEFAULTS = {
  profiles: envInt('BENCH_SCAN_PROFILES', 100_000),
  coreProfiles: envInt('BENCH_SCAN_CORE_PROFILES', 1_000_000),
  /** Writers in flight while loading the table. */
  loadConcurrency: 4,
};

/** The scan's instant: 02:00 in Asia/Shanghai, as the schedule runs it. */
const SCAN_AT = '2026-11-02T02:00:00+08:00';
const CHECKPOINTS = [100_000, 250_000, 500_000, 1_000_000];

export interface MemorySample {
  /** MiB. */
  heapUsed: number;
  rss: number;
}

export interface ScanBenchReport {
  scan: {
    profiles: number;
    segments: number;
    meanProfileBytes: number;
    meanFactsPerProfile: number;
    load: { seconds: number; itemsPerSecond: number };
    model: { name: string | null; customers: number; repeatCustomers: number; fitMs: number; fallbackReason: string | null; params: Record<string, number> | null };
    phases: { phase: string; seconds: number; invocations: number; profilesPerSecond: number | null }[];
    totalSeconds: number;
    profilesPerSecond: number;
    candidates: number;
    candidatesPerSecond: number;
    summary: Pick<ScanSummary, 'byState' | 'byTier' | 'enqueued' | 'holdout' | 'notDue' | 'tierCuts' | 'valueBasis'>;
    requests: { byCommand: Record<string, number>; perProfile: number; perCandidate: Record<string, number> };
    sqs: { queue: 'local SQS (local-aws-sqs)'; calibrationSeconds: number; shareOfEnqueuePhase: number };
    memory: { before: MemorySample; peak: MemorySample; growth: MemorySample; afterGc: MemorySample; samples: number; retainedKiBPerCandidate: number };
  };
  core: {
    profiles: number;
    /** Fitted on a streamed sample of its own, as the fit job does; cuts sketched as the scan does. */
    model: { name: string | null; customers: number; tierCuts: TierCuts };
    scoreMicrosPerProfile: number;
    generateMicrosPerProfile: number;
    profilesPerSecond: number;
    byState: Record<string, number>;
    byTier: Record<string, number>;
    scored: number;
    baseline: MemorySample;
    checkpoints: ({ profiles: number; seconds: number } & MemorySample)[];
    heapGrowthMiB: number;
    flat: boolean;
  };
  notes: string[];
}

export async function benchScan(opts: { json: boolean }): Promise<void> {
  const report = await runScanBench();
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
}

export async function runScanBench(overrides: Partial<typeof DEFAULTS> = {}): Promise<ScanBenchReport> {
  const options = { ...DEFAULTS, ...overrides };
  quietLocalEnv();
  const { defaultConfig } = await import('../shared/config');
  const config = defaultConfig();
  const at = new Date(SCAN_AT);

  // b first, in a process whose heap and RSS hold nothing else yet; a's emulators never shrink RSS.
  const core = await benchScoringCore(config, at, options.coreProfiles);
  const scan = await benchScanPhases(config, at, options);
  const notes = [
    `(a) runs everything in this one process: dynalite keeps the ${scan.report.profiles.toLocaleString('en')} profiles and the ledger items the scan writes, ` +
      `and local-aws-sqs the queued candidates, so its heap and RSS include the emulators' data; the scan itself streams pages of 500 profiles per segment. ` +
      `What the heap keeps after the scan grows with the candidates, and it is the emulator's: a heap-snapshot diff of a 5,000-profile run showed ` +
      `one memdown iterator left open per ledger Query (2,427 for 2,402 candidates), each pinning a version of dynalite's in-memory tree, and none of the scan's objects. ` +
      `(b) is the scan's own memory question, run first, with nothing else in the heap.`,
    `The enqueue phase costs per candidate, not per profile: a ledger Query (forUser), a conditional PutItem (markQueued), ` +
      `a tenth of a SendMessageBatch and an UpdateItem (markEnqueued), each a single-item request that this emulator charges ~1–2 ms for; ` +
      `SQS alone is ${(100 * scan.report.sqs.shareOfEnqueuePhase).toFixed(0)}% of that phase, so the real local queue is used, not a stub.`,
  ];
  return { scan: scan.report, core, notes };
}

// ---------------------------------------------------------------------------------------------
// a. The real scan phases over profiles stored in the embedded DynamoDB

async function benchScanPhases(config: RewakeConfig, at: Date, options: typeof DEFAULTS) {
  const { startLocalRuntime } = await import('../infra/local/runtime');
  const outDir = mkdtempSync(join(tmpdir(), 'rewake-bench-scan-'));
  const runtime = await startLocalRuntime({ config, outDir });
  try {
    const { documentClient, batchWrite } = await import('../shared/store/dynamo');
    const { sqsClient } = await import('../shared/queue/sqs');
    const { ModelStore } = await import('../shared/store/model-store');
    const { FitInput } = await import('../shared/dormancy/customer-model');
    const db = documentClient();
    const counts: Record<string, number> = {};
    let counting = false;
    const counter = (next: (args: unknown) => Promise<unknown>, ctx: unknown) => async (args: unknown) => {
      if (counting) {
        const name = ((ctx as { commandName?: string }).commandName ?? 'unknown').replace(/Command$/, '');
        counts[name] = (counts[name] ?? 0) + 1;
      }
      return next(args);
    };
    db.middlewareStack.add(counter as never, { step: 'initialize', name: 'rewakeBenchCounter' });
    sqsClient().middlewareStack.add(counter as never, { step: 'initialize', name: 'rewakeBenchCounter' });

    // Load: generate, fold, feed the fit and write, a chunk at a time (never the whole set in memory).
    progress(`generating and loading ${options.profiles.toLocaleString('en')} profiles…`);
    const fit = new FitInput(at, config.model.periodDays);
    const generator = profiles(20241102, at, options.profiles);
    let bytes = 0;
    let facts = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: options.loadConcurrency }, async () => {
        for (;;) {
          const chunk: Profile[] = [];
          for (let i = 0; i < 100; i++) {
            const next = generator.next();
            if (next.done) break;
            chunk.push(next.value);
          }
          if (chunk.length === 0) return;
          for (const p of chunk) {
            fit.add(p);
            bytes += Buffer.byteLength(JSON.stringify(p));
            facts += p.factCount;
          }
          await batchWrite(db, process.env.PROFILES_TABLE!, chunk.map((Item) => ({ PutRequest: { Item } })));
        }
      }),
    );
    const loadSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const model = fit.fit(config.model, at);
    const fitMs = performance.now() - t1;
    await new ModelStore(db, process.env.MODELS_TABLE!).put(model);

    // The scan, as the state machine runs it, with each invocation timed by phase.
    const { handler } = await import('../functions/scan/handler');
    const { runScanStateMachine } = await import('../infra/local/scan-orchestrator');
    const phaseSpans = new Map<string, { start: number; end: number; invocations: number }>();
    const invoke = async (request: ScanRequest, context: Context) => {
      const phase = request.phase ?? 'plan';
      const start = performance.now();
      const result = await (handler as unknown as (r: ScanRequest, c: Context) => Promise<unknown>)(request, context);
      const span = phaseSpans.get(phase) ?? { start, end: start, invocations: 0 };
      span.start = Math.min(span.start, start);
      span.end = Math.max(span.end, performance.now());
      span.invocations += 1;
      phaseSpans.set(phase, span);
      return result;
    };
    const memory = new MemoryMonitor();
    const before = memory.settled();
    progress('running the scan phases (the enqueue phase takes a few ms per candidate)…');
    memory.start(20);
    counting = true;
    const t2 = performance.now();
    const summary = await runScanStateMachine(invoke, { source: 'bench', now: at.toISOString() });
    const totalSeconds = (performance.now() - t2) / 1000;
    counting = false;
    const peak = memory.stop();
    const afterGc = memory.settled();
    if (summary.profiles !== options.profiles) throw new Error(`the scan saw ${summary.profiles} profiles, ${options.profiles} were stored`);
    if (!summary.model.used) throw new Error(`the scan did not use the model: ${summary.model.note}`);

    // SQS alone: the same number of candidate messages through CandidateQueue to a side queue.
    const sqsSeconds = await calibrateSqs(runtime, summary.enqueued);

    const enqueueSpan = phaseSpans.get('enqueue');
    const phaseOrder = ['plan', 'sketch', 'cuts', 'enqueue', 'summarize'];
    const phases = phaseOrder
      .filter((p) => phaseSpans.has(p))
      .map((phase) => {
        const span = phaseSpans.get(phase)!;
        const seconds = (span.end - span.start) / 1000;
        return { phase, seconds, invocations: span.invocations, profilesPerSecond: phase === 'sketch' || phase === 'enqueue' ? summary.profiles / seconds : null };
      });
    const perCandidate = Object.fromEntries(
      ['Query', 'PutItem', 'UpdateItem', 'SendMessageBatch'].map((k) => [k, (counts[k] ?? 0) / Math.max(1, summary.enqueued)]),
    );
    const report: ScanBenchReport['scan'] = {
      profiles: options.profiles,
      segments: config.schedule.scanSegments,
      meanProfileBytes: bytes / options.profiles,
      meanFactsPerProfile: facts / options.profiles,
      load: { seconds: loadSeconds, itemsPerSecond: options.profiles / loadSeconds },
      model: modelInfo(model, fitMs),
      phases,
      totalSeconds,
      profilesPerSecond: summary.profiles / totalSeconds,
      candidates: summary.enqueued,
      candidatesPerSecond: summary.enqueued / ((enqueueSpan ? enqueueSpan.end - enqueueSpan.start : 1) / 1000),
      summary: { byState: summary.byState, byTier: summary.byTier, enqueued: summary.enqueued, holdout: summary.holdout, notDue: summary.notDue, tierCuts: summary.tierCuts, valueBasis: summary.valueBasis },
      requests: { byCommand: counts, perProfile: Object.values(counts).reduce((s, v) => s + v, 0) / summary.profiles, perCandidate },
      sqs: { queue: 'local SQS (local-aws-sqs)', calibrationSeconds: sqsSeconds, shareOfEnqueuePhase: enqueueSpan ? sqsSeconds / ((enqueueSpan.end - enqueueSpan.start) / 1000) : 0 },
      memory: {
        before,
        peak,
        growth: { heapUsed: peak.heapUsed - before.heapUsed, rss: peak.rss - before.rss },
        afterGc,
        samples: memory.samples,
        // What the emulators keep per candidate after the scan: a ledger item and a queued message.
        retainedKiBPerCandidate: ((afterGc.heapUsed - before.heapUsed) * 1024) / Math.max(1, summary.enqueued),
      },
    };
    return { report };
  } finally {
    await runtime.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

function modelInfo(model: StoredModel, fitMs: number): ScanBenchReport['scan']['model'] {
  const params = model.transaction ? ({ ...model.transaction.params } as Record<string, number>) : null;
  return { name: model.transaction?.model ?? null, customers: model.customers, repeatCustomers: model.repeatCustomers, fitMs, fallbackReason: model.fallbackReason, params };
}

async function calibrateSqs(runtime: import('../infra/local/runtime').LocalRuntime, candidates: number): Promise<number> {
  const { createQueuePair } = await import('../infra/local/sqs');
  const { CandidateQueue } = await import('../shared/queue/candidate-queue');
  const { sqsClient } = await import('../shared/queue/sqs');
  const side = await createQueuePair(runtime.sqs.client, { queueName: 'rewake-bench-side', maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
  const queue = new CandidateQueue(sqsClient(), side.queueUrl);
  const candidate = {
    userId: 'u000000000',
    campaign: 'winback',
    step: 0,
    asOf: SCAN_AT.slice(0, 10),
    scoredAt: SCAN_AT,
    state: 'dormant' as const,
    tier: 'medium' as const,
    reason: 'unknown' as const,
    value: 123.45,
    holdout: false,
  };
  // A segment's page enqueues its due candidates in one call; pages of 500 profiles, 4 segments at once.
  const pages: (typeof candidate)[][] = [];
  const perPage = 150;
  for (let i = 0; i < candidates; i += perPage) pages.push(Array.from({ length: Math.min(perPage, candidates - i) }, (_, j) => ({ ...candidate, userId: `u${String(i + j).padStart(9, '0')}` })));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < pages.length) await queue.enqueue(pages[next++]!);
  }));
  return (performance.now() - t0) / 1000;
}

// ---------------------------------------------------------------------------------------------
// b. The scoring core alone, streaming

async function benchScoringCore(config: RewakeConfig, at: Date, n: number): Promise<ScanBenchReport['core']> {
  const { scoreProfile } = await import('../shared/dormancy/customer-model');
  const { assess } = await import('../shared/dormancy/classify');
  const { tierOf } = await import('../shared/dormancy/tiers');
  const { model, cuts } = await coreModel(config, at);
  const candidateStates = new Set(['at_risk', 'dormant']);
  progress(`scoring ${n.toLocaleString('en')} streamed profiles…`);
  const monitor = new MemoryMonitor();
  const baseline = monitor.settled();
  // The scan's own rule: candidates are at risk or dormant, valued by lifetime value under a model.
  const byState: Record<string, number> = {};
  const byTier: Record<string, number> = {};
  let scored = 0;
  let scoreMs = 0;
  const checkpoints: ScanBenchReport['core']['checkpoints'] = [];
  const wanted = CHECKPOINTS.filter((c) => c < n).concat(n);
  const t0 = performance.now();
  let i = 0;
  for (const profile of profiles(19970930, at, n)) {
    // Exactly the scan's per-profile work (functions/scan/handler.ts scoreOne + tierOf).
    const s0 = performance.now();
    const score = scoreProfile(model, profile, at, config.model);
    const assessment = assess(profile, at, config.dormancy, { score, thresholds: config.model });
    const value = score?.clv ?? 0;
    if (candidateStates.has(assessment.state)) {
      const tier = tierOf(value, cuts);
      byTier[tier] = (byTier[tier] ?? 0) + 1;
    }
    scoreMs += performance.now() - s0;
    if (score) scored += 1;
    byState[assessment.state] = (byState[assessment.state] ?? 0) + 1;
    i += 1;
    if (i === wanted[checkpoints.length]) checkpoints.push({ profiles: i, seconds: (performance.now() - t0) / 1000, ...monitor.settled() });
  }
  const totalSeconds = (performance.now() - t0) / 1000;
  const first = checkpoints[0]!;
  const last = checkpoints[checkpoints.length - 1]!;
  const heapGrowthMiB = last.heapUsed - first.heapUsed;
  return {
    profiles: n,
    model: { name: model.transaction?.model ?? null, customers: model.customers, tierCuts: cuts },
    scoreMicrosPerProfile: (scoreMs * 1000) / n,
    generateMicrosPerProfile: ((totalSeconds * 1000 - scoreMs) * 1000) / n,
    profilesPerSecond: n / (scoreMs / 1000),
    byState,
    byTier,
    scored,
    baseline,
    checkpoints,
    heapGrowthMiB,
    // Flat: the heap after 1M differs from the heap after 100k by less than 5 MiB.
    flat: Math.abs(heapGrowthMiB) < 5,
  };
}

/**
 * The model and tier cuts the core scores with, made as the fit job and the scan make them, on a
 * streamed sample of its own: FitInput over 50,000 profiles, then the candidates' values sketched.
 */
async function coreModel(config: RewakeConfig, at: Date, sample = 50_000): Promise<{ model: StoredModel; cuts: TierCuts }> {
  const { FitInput, scoreProfile } = await import('../shared/dormancy/customer-model');
  const { assess } = await import('../shared/dormancy/classify');
  const { QuantileSketch, tierCuts } = await import('../shared/dormancy/tiers');
  progress(`fitting the core's model on ${sample.toLocaleString('en')} streamed profiles…`);
  const fit = new FitInput(at, config.model.periodDays);
  for (const p of profiles(CORE_FIT_SEED, at, sample)) fit.add(p);
  const model = fit.fit(config.model, at);
  if (!model.transaction) throw new Error(`no usable model for the core: ${model.fallbackReason}`);
  const sketch = new QuantileSketch();
  for (const p of profiles(CORE_FIT_SEED, at, sample)) {
    const score = scoreProfile(model, p, at, config.model);
    const assessment = assess(p, at, config.dormancy, { score, thresholds: config.model });
    if (assessment.state === 'at_risk' || assessment.state === 'dormant') sketch.add(score?.clv ?? 0);
  }
  return { model, cuts: tierCuts(config.tiers, sketch) };
}

const CORE_FIT_SEED = 20261102;

// ---------------------------------------------------------------------------------------------
// Memory

const MiB = 1024 * 1024;
let gc: (() => void) | undefined;
function fullGc(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

class MemoryMonitor {
  private timer: NodeJS.Timeout | undefined;
  private peak: MemorySample = { heapUsed: 0, rss: 0 };
  samples = 0;

  /** Heap and RSS after a full collection: what is really retained. */
  settled(): MemorySample {
    fullGc();
    fullGc();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed / MiB, rss: m.rss / MiB };
  }

  start(everyMs: number): void {
    this.peak = { heapUsed: 0, rss: 0 };
    this.samples = 0;
    const sample = () => {
      const m = process.memoryUsage();
      this.peak = { heapUsed: Math.max(this.peak.heapUsed, m.heapUsed / MiB), rss: Math.max(this.peak.rss, m.rss / MiB) };
      this.samples += 1;
    };
    sample();
    this.timer = setInterval(sample, everyMs);
  }

  stop(): MemorySample {
    clearInterval(this.timer);
    const m = process.memoryUsage();
    return { heapUsed: Math.max(this.peak.heapUsed, m.heapUsed / MiB), rss: Math.max(this.peak.rss, m.rss / MiB) };
  }
}

// ---------------------------------------------------------------------------------------------
// Realistic profiles: simulated histories folded by the real foldProfile

const DAY_MS = 86_400_000;
const SHANGHAI_MS = 8 * 3_600_000;
const CATEGORIES = ['tea', 'snacks', 'skincare', 'coffee', 'baby', 'pets', 'kitchen', 'books', 'sports', 'fashion', 'electronics', 'home'];
/** BTYD parameters per day: λ ~ Gamma(r, α) (mean 1 purchase per 45 days), p ~ Beta(a, b). */
const PURCHASE = { r: 0.7, alpha: 31.5, a: 1.2, b: 4.5 };
/** Gamma-Gamma spend per order, in CNY (mean ≈ p·γ/(q−1) ≈ 190). */
const SPEND = { p: 4, q: 5, gamma: 190 };
/** Customers acquired uniformly over the three years before the scan. */
const ACQUISITION_DAYS = 3 * 365;

/** One profile at a time, deterministic for a seed; nothing is kept between profiles. */
export function* profiles(seed: number, at: Date, n: number): Generator<Profile> {
  const rng = new Rng(seed);
  const end = at.getTime();
  for (let i = 0; i < n; i++) {
    const userId = `u${seed.toString(36)}-${i.toString(36).padStart(7, '0')}`;
    yield foldProfile(userId, history(rng, userId, end))!;
  }
}

function history(rng: Rng, userId: string, end: number): Fact[] {
  const facts: Fact[] = [];
  let seq = 0;
  const add = (type: Fact['type'], t: number, p: Record<string, unknown>) => {
    // As toFact: the id, the instant, the user's local day (Asia/Shanghai), the trimmed properties.
    facts.push({ id: `${userId}-${(seq++).toString(36)}`, type, t, day: new Date(t + SHANGHAI_MS).toISOString().slice(0, 10), p });
  };
  const start = end - (1 + Math.floor(rng.uniform() * ACQUISITION_DAYS)) * DAY_MS + Math.floor(rng.uniform() * DAY_MS);
  const favourite = CATEGORIES[Math.floor(rng.uniform() * CATEGORIES.length)]!;
  const category = () => (rng.uniform() < 0.6 ? favourite : CATEGORIES[Math.floor(rng.uniform() * CATEGORIES.length)]!);
  const hasPush = rng.uniform() < 0.5;
  add('register', start - 120_000, { source: 'app' });
  add('profile', start - 60_000, {
    birthday: `${1960 + Math.floor(rng.uniform() * 45)}-${pad(1 + Math.floor(rng.uniform() * 12))}-${pad(1 + Math.floor(rng.uniform() * 28))}`,
    timezone: 'Asia/Shanghai',
    locale: rng.uniform() < 0.85 ? 'zh-CN' : 'en',
    preferredChannel: hasPush ? 'push' : 'sms',
    channels: { sms: `+86138${String(Math.floor(rng.uniform() * 1e8)).padStart(8, '0')}`, ...(hasPush ? { push: `fcm:${userId}` } : {}) },
    consent: { sms: rng.uniform() < 0.75, push: hasPush && rng.uniform() < 0.8, personalisedRecommendations: rng.uniform() >= 0.1 },
    optOut: rng.uniform() < 0.05,
    tags: [],
  });

  // The BTYD story (MBG/NBD: may drop out at time 0, then after each purchase).
  const lambda = rng.gamma(PURCHASE.r) / PURCHASE.alpha;
  const dropout = rng.beta(PURCHASE.a, PURCHASE.b);
  const nu = rng.gamma(SPEND.q) / SPEND.gamma;
  let t = start;
  let alive = true;
  let orders = 0;
  for (;;) {
    const amount = Math.round((rng.gamma(SPEND.p) / nu) * 100) / 100;
    const cats = rng.uniform() < 0.3 ? [category(), category()] : [category()];
    add('login', t - 600_000, { platform: 'ios' });
    add('browse', t - 300_000, { sku: `${cats[0]}-${Math.floor(rng.uniform() * 200)}`, category: cats[0] });
    add('purchase', t, { orderId: `${userId}-o${orders}`, amount, currency: 'CNY', categories: [...new Set(cats)], skus: cats.map((c) => `${c}-${Math.floor(rng.uniform() * 200)}`) });
    orders += 1;
    if (rng.uniform() < 0.03) add('refund', t + 3 * DAY_MS, { orderId: `${userId}-o${orders - 1}`, amount, currency: 'CNY' });
    if (rng.uniform() < dropout) alive = false;
    if (!alive || lambda <= 0) break;
    t += (rng.exponential() / lambda) * DAY_MS;
    if (t >= end - 3_600_000) break;
  }
  const last = facts[facts.length - 1]!.t;
  // After the last order: some keep browsing (still_browsing), a few raise a ticket (service_issue).
  if (rng.uniform() < 0.2) {
    const visits = 1 + Math.floor(rng.uniform() * 4);
    for (let v = 0; v < visits; v++) {
      const when = last + rng.uniform() * (end - last);
      add('browse', when, { sku: `${favourite}-${Math.floor(rng.uniform() * 200)}`, category: favourite });
    }
  }
  if (rng.uniform() < 0.04) add('support_ticket', last + rng.uniform() * Math.min(20 * DAY_MS, end - last), { ticketId: `${userId}-t`, topic: 'delivery', severity: 'medium' });
  return facts;
}

const pad = (n: number) => String(n).padStart(2, '0');

// ---------------------------------------------------------------------------------------------
// Report

function formatReport(r: ScanBenchReport): string {
  const n = (x: number, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const mb = (x: number) => `${n(x, 1)} MiB`;
  const s = r.scan;
  const counts = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  const model = s.model.name
    ? `${s.model.name} on ${n(s.model.customers)} customers (${n(s.model.repeatCustomers)} repeat), fit ${n(s.model.fitMs)} ms; ${Object.entries(s.model.params ?? {}).map(([k, v]) => `${k} ${n(v, 3)}`).join(' ')}`
    : `none: ${s.model.fallbackReason}`;
  const rows: [string, string, string][] = [
    ['a. real scan phases, end to end', `${n(s.profilesPerSecond)} profiles/s`, `${n(s.profiles)} profiles in ${n(s.totalSeconds, 1)} s, ${s.segments} segments in parallel`],
    ...s.phases.map(
      (p): [string, string, string] => [
        `   ${p.phase}${p.invocations > 1 ? ` × ${p.invocations}` : ''}`,
        p.profilesPerSecond === null ? `${n(p.seconds * 1000, 1)} ms` : `${n(p.profilesPerSecond)} profiles/s`,
        p.profilesPerSecond === null ? '' : `${n(p.seconds, 1)} s${p.phase === 'enqueue' ? `; ${n(s.candidatesPerSecond)} candidates/s` : ''}`,
      ],
    ),
    ['   candidates enqueued', n(s.candidates), `holdout ${n(s.summary.holdout)}; by state ${counts(s.summary.byState)}; by tier ${counts(s.summary.byTier)}`],
    ['   requests per profile', n(s.requests.perProfile, 3), counts(s.requests.byCommand)],
    ['   requests per candidate', '', Object.entries(s.requests.perCandidate).map(([k, v]) => `${k} ${n(v, 2)}`).join(', ')],
    ['   SQS alone (same messages)', `${n(s.sqs.calibrationSeconds, 1)} s`, `${n(100 * s.sqs.shareOfEnqueuePhase, 0)} % of the enqueue phase; ${s.sqs.queue}`],
    ['   memory before the scan', `heap ${mb(s.memory.before.heapUsed)}`, `RSS ${mb(s.memory.before.rss)} (after GC; the emulators hold the table)`],
    ['   peak during the scan', `heap ${mb(s.memory.peak.heapUsed)}`, `RSS ${mb(s.memory.peak.rss)}; growth heap ${mb(s.memory.growth.heapUsed)}, RSS ${mb(s.memory.growth.rss)} (${s.memory.samples} samples)`],
    [
      '   after the scan, after GC',
      `heap ${mb(s.memory.afterGc.heapUsed)}`,
      `RSS ${mb(s.memory.afterGc.rss)}; ${n(s.memory.retainedKiBPerCandidate, 1)} KiB of heap kept per candidate, by the emulators (see notes)`,
    ],
    ['   model (Models table)', '', model],
    ['   profiles stored', `${n(s.meanProfileBytes)} B mean`, `${n(s.meanFactsPerProfile, 1)} facts each; loaded at ${n(s.load.itemsPerSecond)} items/s (${n(s.load.seconds, 1)} s)`],
  ];
  const c = r.core;
  rows.push(
    ['b. scoring core (score + assess + tier)', `${n(c.profilesPerSecond)} profiles/s`, `${n(c.scoreMicrosPerProfile, 2)} µs/profile; generating + folding ${n(c.generateMicrosPerProfile, 1)} µs/profile (not in the rate)`],
    ['   profiles', n(c.profiles), `scored by the model ${n(c.scored)}; by state ${counts(c.byState)}; by tier ${counts(c.byTier)}`],
    ['   model and tier cuts', c.model.name ?? 'none', `fitted on ${n(c.model.customers)} streamed customers; CLV cuts high ≥ ${n(c.model.tierCuts.high, 2)}, medium ≥ ${n(c.model.tierCuts.medium, 2)}`],
    ['   baseline', `heap ${mb(c.baseline.heapUsed)}`, `RSS ${mb(c.baseline.rss)}`],
    ...c.checkpoints.map((p): [string, string, string] => [`   after ${n(p.profiles)}`, `heap ${mb(p.heapUsed)}`, `RSS ${mb(p.rss)}; ${n(p.seconds, 1)} s`]),
    ['   heap growth, first → last checkpoint', mb(c.heapGrowthMiB), c.flat ? 'flat (< 5 MiB)' : 'NOT flat'],
  );
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  return [
    `Rewake scan benchmark: scan as of ${SCAN_AT}, default config (${s.segments} segments, rules + model)`,
    '',
    ...rows.map(([a, b, c2]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c2}`.trimEnd()),
    '',
    'notes:',
    ...r.notes.map((x) => `  - ${x}`),
    '',
  ].join('\n');
}

/** One line of progress on a terminal; nothing when piped, so --json and logs stay clean. */
function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`scan bench: ${text}\n`);
}

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}
