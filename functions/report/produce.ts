/**
 * Loads what the reactivation report needs from the stores and builds it: every ledger record,
 * then the facts of each user the ledger names (one query per user, a few at a time), trimmed to
 * the event types the report reads. Shared by the report Lambda, `rewake report` and `rewake start`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RewakeConfig } from '../../shared/config';
import { ENV, requireEnv } from '../../shared/env';
import { renderReportHtml } from '../../shared/measure/report-html';
import { buildReport, type Report, type ReportFact, type ReportInput, type ReportSend } from '../../shared/measure/report';
import { documentClient } from '../../shared/store/dynamo';
import { EventStore } from '../../shared/store/event-store';
import { SendLedger } from '../../shared/store/send-ledger';

export interface ReportSources {
  ledger: Pick<SendLedger, 'scanAll'>;
  events: Pick<EventStore, 'loadFacts'>;
  /** All users, for the top of the funnel. Omitted: the funnel starts at the candidates. */
  countUsers?: () => Promise<number>;
}

export interface ProduceOptions {
  config: RewakeConfig;
  now: Date;
  delivery: ReportInput['delivery'];
  period?: ReportInput['period'];
  /** States from a scan summary the caller holds (the local demo has its last scan's). */
  byState?: Record<string, number>;
  populationAsOf?: string;
  /** Users whose facts load at once. @default 16 */
  concurrency?: number;
}

export async function produceReport(sources: ReportSources, options: ProduceOptions): Promise<Report> {
  const { config } = options;
  const sends: ReportSend[] = [];
  for await (const page of sources.ledger.scanAll()) sends.push(...page);

  // Only these facts matter; dropping browsing, logins and the rest keeps memory in proportion to purchases.
  const wanted = new Set<string>([...config.report.qualifyingEvents, 'purchase', 'coupon_redeem']);
  const users = [...new Set(sends.map((s) => s.userId))];
  const facts = new Map<string, ReportFact[]>();
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const userId = users[next++]!;
      const mine = (await sources.events.loadFacts(userId)).filter((f) => wanted.has(f.type));
      if (mine.length > 0) facts.set(userId, mine);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, Math.max(1, users.length)) }, worker));

  const userCount = sources.countUsers ? await sources.countUsers() : undefined;
  return buildReport({
    sends,
    facts,
    settings: config.report,
    now: options.now,
    period: options.period,
    timezone: config.schedule.timezone,
    delivery: options.delivery,
    population: userCount === undefined ? undefined : { users: userCount, byState: options.byState, asOf: options.populationAsOf },
  });
}

/**
 * The stores named by the environment (SENDS_TABLE, EVENTS_TABLE, PROFILES_TABLE), as the stack
 * sets them on the Lambda and the local runtime sets them in process. Call after the runtime started.
 */
export function sourcesFromEnv(config: RewakeConfig, db: DynamoDBDocumentClient = documentClient()): ReportSources {
  const profilesTable = requireEnv(ENV.profilesTable);
  return {
    ledger: new SendLedger(db, requireEnv(ENV.sendsTable)),
    events: new EventStore(db, { eventsTable: requireEnv(ENV.eventsTable), profilesTable, retentionDays: config.events.retentionDays }),
    countUsers: tableItemCounter(db, profilesTable),
  };
}

/** Counts the items of a table (the profiles table: one item per user) without reading them out. */
export function tableItemCounter(db: DynamoDBDocumentClient, table: string): () => Promise<number> {
  return async () => {
    let count = 0;
    for await (const page of paginateScan({ client: db }, { TableName: table, Select: 'COUNT' })) count += page.Count ?? 0;
    return count;
  };
}

/** Writes report.json and report.html into `outDir`; returns their paths. */
export function writeReportFiles(report: Report, outDir: string): { json: string; html: string } {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'report.json');
  const html = join(outDir, 'report.html');
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(html, renderReportHtml(report));
  return { json, html };
}
