/**
 * `rewake start | serve | scan`: the local pipeline, driven through the real handlers — ingest
 * over HTTP in the API Gateway event shape, the scan as EventBridge would invoke it, the sender
 * fed by a queue runner with SQS semantics — on the embedded emulators.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { configFromEnv, type RewakeConfig } from '../../shared/config';
import type { DecisionRecord } from '../../shared/delivery/decision-log';
import type { RewakeEvent } from '../../shared/events/schema';
import { loadConfig } from '../aws/load-config';
import { apiRoutes, startLocalApi, type ApiHandler } from './api-server';
import { loadDemoDataset } from './demo-dataset';
import { fakeLambdaContext } from './lambda-context';
import { drainQueue, type DrainStats } from './queue-runner';
import { startLocalRuntime, type LocalRuntime } from './runtime';
import type { ScanSummary } from '../../functions/scan/handler';
import type { StoredModel } from '../../shared/dormancy/customer-model';
import type { TrainSummary } from '../../functions/recommend/handler';
import { runScanStateMachine, type ScanInvoke } from './scan-orchestrator';
import { auditLocalRun, formatAuditReport } from './outbox-audit';
import { reportTable } from '../../shared/measure/report-text';

type Command = 'start' | 'serve' | 'scan';

export async function runLocal(command: Command, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'as-of': { type: 'string' },
      out: { type: 'string', default: 'out' },
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '3000' },
      json: { type: 'boolean', default: false },
      'no-demo-data': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const { config } = loadConfig();
  const asOf = values['as-of'];
  if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new Error(`--as-of must be YYYY-MM-DD, got "${asOf}"`);
  // `start` begins empty unless told otherwise; `serve` and `scan` share a kept store by default,
  // so events POSTed to a running `serve` are there for a later `scan`.
  const dataDir = values['data-dir'] ?? (command === 'start' ? undefined : DEFAULT_DATA_DIR);

  const runtime = await startLocalRuntime({ config, outDir: values.out, dataDir });
  try {
    if (command === 'serve') return await serve(runtime, Number(values.port), !values['no-demo-data']);
    if (command === 'scan') {
      if (await isEmpty()) await loadDemoThroughApi(runtime, 'the store is empty: loading the demo data first');
      const result = await scanAndSend(runtime, config, asOf ?? new Date().toISOString().slice(0, 10));
      print(values.json, { scan: result.scan, delivery: result.delivery });
      return 0;
    }
    return await start(runtime, config, asOf, values.json);
  } finally {
    await runtime.stop();
  }
}

/**
 * The whole story on real data: history up to a past day is ingested, the weekly scans run the
 * win-back cadence (day 0, 7, 21…) while the dataset's own later events are replayed between them,
 * then the rest of the data arrives and the report compares treated users with the holdout.
 */
async function start(runtime: LocalRuntime, config: RewakeConfig, asOfArg: string | undefined, json: boolean): Promise<number> {
  const t0 = Date.now();
  const dataset = loadDemoDataset();
  const firstScan = asOfArg ?? demoFirstScanDay(dataset.lastEventAt, config);
  const scanDays = weeklyScanDays(firstScan, config.campaigns.winback.stepDays);
  const { handler: ingest } = await import('../../functions/ingest/handler');
  const api = await startLocalApi({ handler: ingest as unknown as (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult> });
  const ingested = { accepted: 0, duplicates: 0 };
  let remaining = dataset.events; // sorted by time
  const ingestUpTo = async (until: number | undefined) => {
    const due = remaining.filter((e) => until === undefined || Date.parse(e.timestamp) < until);
    remaining = remaining.slice(due.length);
    const result = await replay(api.url, api.apiKey, due);
    ingested.accepted += result.accepted;
    ingested.duplicates += result.duplicates;
    await settleProfiles(runtime);
    return due.length;
  };
  const scans: ScanRound[] = [];
  let decisions: DecisionRecord[] = [];
  let recommender: TrainSummary | undefined;
  try {
    for (const day of scanDays) {
      const replayed = await ingestUpTo(Date.parse(scanInstant(day, config)));
      const round = await scanAndSend(runtime, config, day);
      const fresh = round.decisions.slice(decisions.length);
      decisions = round.decisions;
      scans.push({ day, eventsBefore: replayed, scan: round.scan, delivery: round.delivery, sent: fresh.filter((d) => d.decision === 'sent').length });
      recommender = round.recommendations;
    }
    // The dataset's actual later events: who really came back, treated or not.
    const later = await ingestUpTo(undefined);
    scans.push({ day: 'after', eventsBefore: later });
  } finally {
    await api.stop();
  }
  const last = scans.findLast((s): s is Required<ScanRound> => s.scan !== undefined)!;

  // Every delivered message checked against the rules it had to pass, from the run's own tables.
  const audit = await auditLocalRun({ outDir: runtime.outDir, config });
  // The report as of the data's end: the dataset's actual later events decide who came back.
  const { produceReport, sourcesFromEnv, writeReportFiles } = await import('../../functions/report/produce');
  const report = await produceReport(sourcesFromEnv(config), {
    config,
    now: new Date(dataset.lastEventAt),
    delivery: 'simulated',
    byState: last.scan.byState,
    populationAsOf: last.scan.asOf,
  });
  const reportFiles = writeReportFiles(report, runtime.outDir);

  const summary = {
    dataset: { file: 'data/online-retail-slice.csv', customers: dataset.customers, events: dataset.events.length, lastEventAt: dataset.lastEventAt },
    ingested,
    scans: scans.map((s) => ({ day: s.day, eventsReplayedBefore: s.eventsBefore, queued: s.scan?.enqueued, holdout: s.scan?.holdout, sent: s.sent })),
    scan: last.scan,
    delivery: last.delivery,
    recommendations: recommender && { items: recommender.items, users: recommender.users, interactions: recommender.interactions },
    messages: {
      byChannel: countBy(decisions.filter((d) => d.decision === 'sent'), (d) => d.channel ?? 'none'),
      byOffer: countBy(decisions.filter((d) => d.decision === 'sent'), (d) => d.offerId ?? 'none'),
      byTier: countBy(decisions.filter((d) => d.decision === 'sent'), (d) => d.tier ?? 'none'),
      byCampaign: countBy(decisions.filter((d) => d.decision === 'sent'), (d) => (d.step > 0 ? `${d.campaign}#${d.step}` : d.campaign)),
    },
    decisions: countBy(decisions, (d) => (d.reason && d.decision !== 'sent' ? `${d.decision}:${d.reason}` : d.decision)),
    audit: { messages: audit.messages, violations: audit.violations },
    report,
    files: {
      outbox: runtime.outbox.outboxFile,
      preview: runtime.outbox.previewFile,
      decisions: runtime.decisionsFile,
      report: reportFiles.html,
      reportJson: reportFiles.json,
    },
    seconds: Math.round((Date.now() - t0) / 100) / 10,
  };
  print(json, summary);
  if (!json) {
    process.stdout.write(`\n${formatAuditReport(audit)}\n`);
    process.stdout.write(`\n${reportTable(report)}\n`);
  }
  // A violation is a bug in the sender: the demo must say so loudly, not just print it.
  return audit.violations.length > 0 ? 1 : 0;
}

interface ScanRound {
  day: string;
  eventsBefore: number;
  scan?: ScanSummary;
  delivery?: DrainStats;
  sent?: number;
}

/**
 * The demo's first scan: early enough that the whole cadence and every attribution window after it
 * fit inside the data, so the reactivation figures are observed, not cut off.
 */
export function demoFirstScanDay(lastEventAt: string, config: RewakeConfig): string {
  const cadence = lastWeeklyOffset(config.campaigns.winback.stepDays);
  const window = config.report.attributionDays;
  return new Date(Date.parse(lastEventAt.slice(0, 10)) - (cadence + window + 1) * 86_400_000).toISOString().slice(0, 10);
}

/** Weekly scans from the first until the cadence's last step has had its scan (on or after its day). */
export function weeklyScanDays(first: string, stepDays: readonly number[]): string[] {
  const days: string[] = [];
  for (let offset = 0; offset <= lastWeeklyOffset(stepDays); offset += 7) days.push(new Date(Date.parse(first) + offset * 86_400_000).toISOString().slice(0, 10));
  return days;
}

/** Days from the first weekly scan to the one that sends the cadence's last step. */
function lastWeeklyOffset(stepDays: readonly number[]): number {
  return Math.ceil(Math.max(...stepDays) / 7) * 7;
}

async function serve(runtime: LocalRuntime, port: number, loadDemo: boolean): Promise<number> {
  const { handler: ingest } = await import('../../functions/ingest/handler');
  // With channels.ses, the unsubscribe link's routes too (no key; REWAKE_UNSUBSCRIBE_SECRET signs the links).
  const unsubscribe = configFromEnv().channels.ses ? (await import('../../functions/unsubscribe/handler')).handler : undefined;
  const api = await startLocalApi({ handler: apiRoutes(ingest as unknown as ApiHandler, unsubscribe as unknown as ApiHandler | undefined), port });
  // The profiles Lambda's stand-in: fold whatever ingest queued, every moment, until stopped.
  const stop = new AbortController();
  const refresher = (async () => {
    while (!stop.signal.aborted) {
      await settleProfiles(runtime, stop.signal);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  if (loadDemo && (await isEmpty())) {
    const result = await replay(api.url, api.apiKey, loadDemoDataset().events);
    log(`loaded the demo data: ${result.accepted} events (--no-demo-data to start empty)`);
  }
  log(`Rewake ingest API on ${api.url}`);
  log(`  POST ${api.url}/v1/events   GET|DELETE ${api.url}/v1/users/{userId}   (header x-api-key)`);
  if (api.apiKeyGenerated) log(`  API key (generated; set REWAKE_API_KEY to choose one): ${api.apiKey}`);
  log('Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stop.abort();
  await refresher;
  await api.stop();
  return 0;
}

const DEFAULT_DATA_DIR = '.rewake-data';

/** True when no profile is stored yet. */
async function isEmpty(): Promise<boolean> {
  const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  const { documentClient } = await import('../../shared/store/dynamo');
  const out = await documentClient().send(new ScanCommand({ TableName: process.env.PROFILES_TABLE!, Limit: 1 }));
  return (out.Items ?? []).length === 0;
}

async function loadDemoThroughApi(runtime: LocalRuntime, why: string): Promise<void> {
  log(why);
  const { handler: ingest } = await import('../../functions/ingest/handler');
  const api = await startLocalApi({ handler: ingest as unknown as (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult> });
  try {
    await replay(api.url, api.apiKey, loadDemoDataset().events);
  } finally {
    await api.stop();
  }
  await settleProfiles(runtime);
}

/** Run the real profiles handler over the refresh queue until it is empty. */
export async function settleProfiles(runtime: LocalRuntime, signal?: AbortSignal): Promise<DrainStats> {
  const { handler: profilesHandler } = await import('../../functions/profiles/handler');
  return drainQueue({
    client: runtime.sqs.client,
    queueUrl: runtime.refreshQueue.queueUrl,
    handler: profilesHandler as unknown as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>,
    functionName: 'rewake-profiles-local',
    signal,
  });
}

/** The scan as the schedule would run it (02:00 in the schedule's zone), then the sends the next morning. */
async function scanAndSend(runtime: LocalRuntime, config: RewakeConfig, asOf: string) {
  const offset = utcOffsetOf(config.schedule.timezone, `${asOf}T12:00:00Z`);
  const scanAt = scanInstant(asOf, config);
  // Sends go out at 10:00 on the scan's day, outside the default quiet hours, in the data's time.
  process.env.REWAKE_NOW = `${asOf}T10:00:00${offset}`;
  const { handler: scanHandler } = await import('../../functions/scan/handler');
  const { handler: sendHandler } = await import('../../functions/send/handler');
  const { handler: fitHandler } = await import('../../functions/fit/handler');
  progress(`fitting the customer-base models as of ${asOf}…`);
  const model = (await fitHandler({ source: 'local', now: scanAt }, fakeLambdaContext({ functionName: 'rewake-fit-local', timeoutMs: 900_000 }))) as StoredModel;
  // The weekly recommender job's stand-in: the sender reads the model it stores.
  const { handler: recommendHandler } = await import('../../functions/recommend/handler');
  progress(`training recommendations as of ${asOf}…`);
  const recommendations = (await recommendHandler({ source: 'local', now: scanAt }, fakeLambdaContext({ functionName: 'rewake-recommend-local', timeoutMs: 900_000 }))) as TrainSummary;
  progress(`scanning profiles as of ${asOf}…`);
  const scan = await runScanStateMachine(scanHandler as unknown as ScanInvoke, { source: 'local', now: scanAt });
  progress(`scan: ${scan.profiles} profiles, ${scan.enqueued} candidates queued; sending…`);
  const delivery: DrainStats = await drainQueue({
    client: runtime.sqs.client,
    queueUrl: runtime.sqs.queueUrl,
    handler: sendHandler as unknown as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>,
    batchSize: config.queue.senderBatchSize,
    onProgress: (s) => progress(`sending: ${s.received} received, ${s.succeeded} done, ${s.failed} to retry`),
  });
  progress('');
  const decisions = readDecisions(runtime.decisionsFile);
  return { scan, delivery, decisions, model, recommendations };
}

/** POST the events in batches through the local API, a few requests at a time, as an app would. */
async function replay(url: string, apiKey: string, events: RewakeEvent[], batchSize = 100, concurrency = 4) {
  const totals = { accepted: 0, duplicates: 0 };
  const batches: RewakeEvent[][] = [];
  for (let i = 0; i < events.length; i += batchSize) batches.push(events.slice(i, i + batchSize));
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ events: batch }),
      });
      const body = (await response.json()) as { accepted?: number; duplicates?: number; message?: string; problems?: unknown };
      if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
      totals.accepted += body.accepted ?? 0;
      totals.duplicates += body.duplicates ?? 0;
      done += batch.length;
      progress(`ingesting events: ${done}/${events.length}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  progress('');
  return totals;
}

function readDecisions(file: string): DecisionRecord[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as DecisionRecord);
  } catch {
    return [];
  }
}

function print(json: boolean, summary: Record<string, unknown>): void {
  if (json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  const s = summary as {
    dataset?: { customers: number; events: number };
    ingested?: { accepted: number; duplicates: number };
    scan: ScanSummary;
    delivery: DrainStats;
    scans?: { day: string; eventsReplayedBefore: number; queued?: number; holdout?: number; sent?: number }[];
    messages?: { byChannel: Record<string, number>; byOffer: Record<string, number>; byTier: Record<string, number>; byCampaign?: Record<string, number> };
    decisions?: Record<string, number>;
    recommendations?: { items: number; users: number; interactions: number };
    files?: { outbox: string; preview: string; decisions: string; report?: string; reportJson?: string };
    seconds?: number;
  };
  const lines: string[] = ['', 'Rewake — local run', ''];
  if (s.dataset && s.ingested) {
    lines.push(`Events ingested   ${s.ingested.accepted} accepted, ${s.ingested.duplicates} duplicates (${s.dataset.events} replayed for ${s.dataset.customers} customers)`);
  }
  if (s.scans) {
    lines.push('Weekly scans      (the data\'s own events replayed up to each scan, then the rest)');
    for (const r of s.scans) {
      lines.push(
        r.queued === undefined
          ? `  then            ${r.eventsReplayedBefore} later events replayed: who really came back`
          : `  ${r.day}      ${String(r.eventsReplayedBefore).padStart(5)} events before · ${r.queued} queued (${r.holdout} holdout) · ${r.sent} sent`,
      );
    }
  }
  lines.push(`${(s.scans ? 'Last scan' : 'Scan as of').padEnd(18)}${s.scan.asOf}: ${s.scan.profiles} users`);
  lines.push(
    s.scan.model.used
      ? `  model           ${s.scan.model.name} (fitted ${s.scan.model.fittedAt?.slice(0, 10)}); tiers cut on predicted lifetime value`
      : `  model           none, rules alone: ${s.scan.model.note}; tiers cut on historical spend`,
  );
  lines.push(`  by state        ${fmt(s.scan.byState)}`);
  lines.push(`  candidates/tier ${fmt(s.scan.byTier)}   (tier cut points: high ≥ ${s.scan.tierCuts.high.toFixed(2)}, medium ≥ ${s.scan.tierCuts.medium.toFixed(2)})`);
  lines.push(`  queued          ${s.scan.enqueued} candidates, of which ${s.scan.holdout} in the holdout`);
  if (s.messages) {
    lines.push(`Messages sent     ${Object.values(s.messages.byChannel).reduce((a, b) => a + b, 0)}`);
    lines.push(`  by channel      ${fmt(s.messages.byChannel)}`);
    lines.push(`  by offer        ${fmt(s.messages.byOffer)}`);
    lines.push(`  by tier         ${fmt(s.messages.byTier)}`);
    if (s.messages.byCampaign) lines.push(`  by campaign     ${fmt(s.messages.byCampaign)}`);
  }
  if (s.recommendations) {
    lines.push(`Recommendations   item-to-item model retrained before each scan: ${s.recommendations.items} products, ${s.recommendations.users} buyers, ${s.recommendations.interactions} interactions`);
  }
  if (s.decisions) lines.push(`Decisions         ${fmt(s.decisions)}`);
  lines.push(`Queue             ${s.delivery.received} received, ${s.delivery.succeeded} done, ${s.delivery.failed} retried, ${s.delivery.deadLettered} dead-lettered`);
  if (s.files) {
    lines.push('', `Outbox            ${s.files.outbox}`, `Preview           ${s.files.preview}`, `Decisions         ${s.files.decisions}`);
    if (s.files.report) lines.push(`Report            ${s.files.report} (and ${s.files.reportJson})`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  // Timing goes to stderr: the summary itself is the same on every run.
  if (s.seconds !== undefined) log(`took ${s.seconds} s`);
}

const fmt = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ') || '—';

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The scheduled scan's instant on a day: 02:00 in the schedule's zone. */
function scanInstant(day: string, config: RewakeConfig): string {
  return `${day}T02:00:00${utcOffsetOf(config.schedule.timezone, `${day}T12:00:00Z`)}`;
}

/** "+08:00" for Asia/Shanghai at that instant. */
function utcOffsetOf(timezone: string, atIso: string): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(atIso))
    .find((p) => p.type === 'timeZoneName')?.value;
  const offset = part?.replace('GMT', '') ?? '';
  return offset === '' ? '+00:00' : offset;
}

function dayAfter(iso: string): string {
  return new Date(Date.parse(iso) + 86_400_000).toISOString().slice(0, 10);
}

let lastProgressLength = 0;
/** One updating line on a terminal; nothing when piped, so logs and --json stay clean. */
function progress(text: string): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(`\r${text.padEnd(lastProgressLength)}\r${text}`);
  lastProgressLength = text.length;
  if (text === '') process.stderr.write('\r');
}

function log(text: string): void {
  process.stderr.write(text + '\n');
}

