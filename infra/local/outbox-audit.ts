/**
 * Gathers what the outbox audit (shared/delivery/audit.ts) needs from a local run and runs it:
 * <outDir>/outbox.jsonl as the fake Pinpoint wrote it, and for every user it names, their facts
 * (events table), ledger records and deletion marker (sends table). <outDir>/decisions.jsonl is
 * summarised beside the verdict, to show which rules the run actually exercised.
 *
 * The fake Pinpoint stamps `receivedAt` with the wall clock, while a replay's sender acts at the
 * data's time (REWAKE_NOW), so the send instant comes from the ledger's `at`; `receivedAt` is
 * compared only with deletion markers, which the ingest API also stamps with the wall clock.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RewakeConfig } from '../../shared/config';
import { auditOutbox, AUDIT_RULES, DELIVERED_STATUSES, type AuditedMessage, type AuditResult, type AuditUser } from '../../shared/delivery/audit';
import type { DecisionRecord } from '../../shared/delivery/decision-log';
import { ENV, requireEnv } from '../../shared/env';
import { documentClient } from '../../shared/store/dynamo';
import { EventStore } from '../../shared/store/event-store';
import { SendLedger } from '../../shared/store/send-ledger';
import { renderedContent, type OutboxLine, type PinpointMessageRequest } from './pinpoint-outbox';

export interface AuditLocalRunOptions {
  /** Where the run wrote outbox.jsonl and decisions.jsonl. */
  outDir: string;
  config: RewakeConfig;
  /** Defaults to the process's client, which the local runtime points at its emulator. */
  db?: DynamoDBDocumentClient;
  /** Defaults to the names the local runtime put in the environment. */
  tables?: { events: string; profiles: string; sends: string };
}

export interface LocalAuditReport extends AuditResult {
  outboxFile: string;
  /** Outbox lines (provider requests) read. */
  requests: number;
  /** Decisions of the run, `decision` or `decision:reason`, counted. */
  decisions: Record<string, number>;
}

/** Users whose records are read at once: enough to overlap round trips, few enough for 2 cores. */
const READ_CONCURRENCY = 8;

export async function auditLocalRun(opts: AuditLocalRunOptions): Promise<LocalAuditReport> {
  const outboxFile = join(opts.outDir, 'outbox.jsonl');
  if (!existsSync(outboxFile)) throw new Error(`No outbox at ${outboxFile}: run the pipeline first (npm start)`);
  const lines = readJsonLines<OutboxLine>(outboxFile);
  const messages = lines.flatMap(outboxMessages);

  const db = opts.db ?? documentClient();
  const tables = opts.tables ?? { events: requireEnv(ENV.eventsTable), profiles: requireEnv(ENV.profilesTable), sends: requireEnv(ENV.sendsTable) };
  const events = new EventStore(db, { eventsTable: tables.events, profilesTable: tables.profiles, retentionDays: opts.config.events.retentionDays });
  const ledger = new SendLedger(db, tables.sends);

  // Only users something was delivered to can break a rule.
  const userIds = [...new Set(messages.filter((m) => DELIVERED_STATUSES.has(m.deliveryStatus) && m.userId).map((m) => m.userId!))];
  const users: Record<string, AuditUser> = {};
  for (let i = 0; i < userIds.length; i += READ_CONCURRENCY) {
    await Promise.all(
      userIds.slice(i, i + READ_CONCURRENCY).map(async (userId) => {
        users[userId] = await readUser(userId, { db, sendsTable: tables.sends, events, ledger });
      }),
    );
  }

  const result = auditOutbox({ messages, users, config: opts.config });
  const decisionsFile = join(opts.outDir, 'decisions.jsonl');
  const decisions = existsSync(decisionsFile) ? countDecisions(readJsonLines<DecisionRecord>(decisionsFile)) : {};
  return { ...result, outboxFile, requests: lines.length, decisions };
}

async function readUser(
  userId: string,
  stores: { db: DynamoDBDocumentClient; sendsTable: string; events: EventStore; ledger: SendLedger },
): Promise<AuditUser> {
  const [facts, { entries, deleted }] = await Promise.all([stores.events.loadFacts(userId), stores.ledger.forUser(userId)]);
  let deletedAt: string | undefined;
  if (deleted) {
    const marker = await stores.db.send(new GetCommand({ TableName: stores.sendsTable, Key: { userId, sk: 'DELETED' }, ConsistentRead: true }));
    // A marker without its instant still marks the user erased; the epoch makes every message "after" it.
    deletedAt = typeof marker.Item?.deletedAt === 'string' ? marker.Item.deletedAt : new Date(0).toISOString();
  }
  return {
    facts,
    ledger: entries.map((e) => ({ campaign: e.campaign, step: e.step, status: e.status, at: e.at, holdout: e.holdout })),
    deletedAt,
  };
}

/** The messages of one outbox line, each with the text its address received. */
export function outboxMessages(line: OutboxLine): AuditedMessage[] {
  return line.messages.map((m) => ({
    userId: m.userId,
    campaign: m.campaign,
    step: m.step,
    channel: m.channel,
    address: m.address,
    body: messageBody(line.request, m.address),
    deliveryStatus: m.deliveryStatus,
    receivedAt: line.receivedAt,
  }));
}

/** The body Pinpoint sends to one address of a MessageRequest, as the fake Pinpoint renders it. */
export function messageBody(request: PinpointMessageRequest, address: string): string | undefined {
  const config = request.Addresses?.[address];
  return config ? renderedContent(request, config).body : undefined;
}

function readJsonLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

function countDecisions(records: DecisionRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) {
    const key = r.reason && r.decision !== 'sent' ? `${r.decision}:${r.reason}` : r.decision;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The verdict for people: one line per rule, then every violation (ids and reasons, never addresses). */
export function formatAuditReport(report: LocalAuditReport, maxViolations = 50): string {
  const lines = [
    '',
    `Outbox audit      ${report.outboxFile}`,
    `  messages        ${report.messages} delivered in ${report.requests} provider request(s)` + (report.notDelivered ? `; ${report.notDelivered} not delivered (ignored)` : ''),
    `  rule            checked  skipped  violations`,
  ];
  for (const rule of AUDIT_RULES) {
    const violations = report.violations.filter((v) => v.rule === rule).length;
    lines.push(`  ${rule.padEnd(15)} ${String(report.checked[rule]).padStart(7)}  ${String(report.skipped[rule]).padStart(7)}  ${String(violations).padStart(10)}`);
  }
  const decisions = Object.entries(report.decisions).map(([k, v]) => `${k} ${v}`).join(' · ');
  if (decisions) lines.push(`  decisions       ${decisions}`);
  if (report.violations.length === 0) {
    lines.push('', 'OK: no message broke a delivery rule.');
  } else {
    lines.push('', `FAILED: ${report.violations.length} violation(s)`);
    for (const v of report.violations.slice(0, maxViolations)) lines.push(`  ${v.rule}  ${v.userId ?? '(no user)'}  ${v.campaign ?? '?'}#${v.step ?? '?'}  ${v.detail}`);
    if (report.violations.length > maxViolations) lines.push(`  … and ${report.violations.length - maxViolations} more (--json lists them all)`);
  }
  return lines.join('\n') + '\n';
}
